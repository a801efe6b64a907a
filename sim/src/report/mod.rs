//! Human-readable reports: text tables for the terminal and Markdown for `reports/`.

mod mapping;
mod port;

use std::fmt::Write;

use crate::config::{ArchConfig, BufferId};
use crate::energy::{Efficiency, EnergyBreakdown, EnergyReport};
use crate::events::EventCounts;
use crate::mapping::schedule::scalesim_cycles;
use crate::run::WorkloadRun;
use crate::stats::RunStats;

pub use crate::text::count;

/// Cycles as time at `mhz`, with a unit that keeps 3-4 significant digits.
pub fn duration(cycles: u64, mhz: f64) -> String {
    let us = cycles as f64 / mhz;
    if us < 1e3 {
        format!("{us:.2} us")
    } else if us < 1e6 {
        format!("{:.2} ms", us / 1e3)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

/// Percentage with two decimals, rounded down so that 99.996 % does not read as 100.00 %.
pub fn percent(x: f64) -> String {
    format!("{:.2} %", (10_000.0 * x).floor() / 100.0)
}

/// What one unit of an event is, for the tables.
fn event_unit(cfg: &ArchConfig, name: &str) -> String {
    let buf = |c: char| match c {
        'a' => BufferId::A,
        'b' => BufferId::B,
        _ => BufferId::C,
    };
    if name == "macs" || name == "idle_pe_cycles" {
        "PE-cycles".into()
    } else if name.starts_with("dram_") {
        "bytes".into()
    } else if name == "output_stage_ops" {
        "int8 outputs".into()
    } else if name.ends_with("_elems") {
        "elements".into()
    } else if name.ends_with("_reads") || name.ends_with("_writes") {
        let id = buf(name.chars().next().unwrap_or('c'));
        format!("{}-bit words", cfg.buffer(id).word_bits)
    } else if name == "acc_updates" || name == "psum_hops" || name == "deskew_hops" {
        format!("{}-bit register writes", cfg.array.acc_bits)
    } else {
        format!("{}-bit register writes", cfg.array.operand_bits)
    }
}

/// Most runs of equal fold lengths listed one by one; beyond, a summary (`--json` has them all).
const FOLD_RUNS_LISTED: usize = 4;

/// Describes the fold cycles: `3 (1 x 16, 1 x 64, 1 x 120 cycles)`, or, for more than a few
/// runs of equal lengths, their range and mean.
fn folds_text(s: &RunStats) -> String {
    let f = &s.fold_cycles;
    if f.len() <= FOLD_RUNS_LISTED {
        let parts: Vec<String> = f
            .iter()
            .map(|f| format!("{} x {}", count(f.folds), count(f.cycles)))
            .collect();
        return format!("{} ({} cycles)", count(s.folds), parts.join(", "));
    }
    let (lo, hi) = f.iter().fold((u64::MAX, 0), |(lo, hi), r| {
        (lo.min(r.cycles), hi.max(r.cycles))
    });
    let (sum, n) = f.iter().fold((0u128, 0u128), |(s, n), r| {
        (
            s + u128::from(r.cycles) * u128::from(r.folds),
            n + u128::from(r.folds),
        )
    });
    format!(
        "{} ({} to {} cycles each, {:.1} on average; every fold's length is in --json's fold_cycles)",
        count(s.folds),
        count(lo),
        count(hi),
        sum as f64 / n.max(1) as f64
    )
}

/// The text report of one GEMM run, with its energy when given.
pub fn gemm_text(cfg: &ArchConfig, s: &RunStats, energy: Option<&EnergyReport>) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "GEMM {}x{}x{} (M x N x K) on {}: {}x{} PEs (int{} operands) at {} MHz, dataflow {}, memory model {}",
        s.m,
        s.n,
        s.k,
        cfg.name,
        s.rows,
        s.cols,
        cfg.array.operand_bits,
        cfg.clock_mhz,
        s.dataflow,
        cfg.memory.name()
    );
    let mut rows: Vec<(&str, String)> = vec![
        (
            "end to end",
            format!(
                "{} cycles  ({})",
                count(s.latency_cycles),
                duration(s.latency_cycles, cfg.clock_mhz)
            ),
        ),
        (
            "total cycles",
            format!(
                "{}  (cycle 0 to the last write of C)",
                count(s.total_cycles)
            ),
        ),
        (
            "stall cycles",
            format!(
                "{}  (within total cycles: the array frozen, waiting for memory)",
                count(s.stall_cycles)
            ),
        ),
        (
            "load/writeback",
            format!(
                "{} / {} cycles (DMA before cycle 0 / after the last write)",
                count(s.load_cycles),
                count(s.writeback_cycles)
            ),
        ),
        (
            "memory wait",
            format!(
                "{} cycles (load + stalls + writeback: end to end minus the cycles computed)",
                count(s.memory_wait_cycles())
            ),
        ),
        ("MACs", count(s.macs)),
        (
            "utilization",
            format!(
                "{} of total cycles, {} end to end (MACs / (cycles x PEs))",
                percent(s.utilization),
                percent(crate::stats::utilization(
                    s.macs,
                    s.latency_cycles,
                    u64::from(s.rows) * u64::from(s.cols)
                ))
            ),
        ),
        ("folds", folds_text(s)),
        (
            "DRAM",
            format!(
                "{} bytes read, {} written",
                count(s.dram_read_bytes),
                count(s.dram_write_bytes)
            ),
        ),
    ];
    if let Some(m) = &s.memory {
        rows.push((
            "memory plan",
            format!(
                "A / B / C: {} (docs/microarchitecture.md, \"Memory system\")",
                m.describe()
            ),
        ));
    }
    rows.push((
        "SCALE-Sim 3.0.0",
        format!(
            "{} cycles for the same GEMM (folds back to back, no overlap)",
            count(scalesim_cycles(s.rows, s.cols, s.dataflow, s.shape()))
        ),
    ));
    for (k, v) in rows {
        let _ = writeln!(o, "  {k:<18}{v}");
    }
    if let Some(e) = energy {
        let eff = Efficiency::of(s.macs, e.energy_pj.total, s.latency_cycles, cfg.clock_mhz);
        let _ = writeln!(
            o,
            "\n  energy ({} table, registers {}): {} uJ, {} pJ/MAC, {} TOPS/W, EDP {} J*s",
            e.tech,
            e.convention.name(),
            uj(e.energy_pj.total),
            sig(eff.pj_per_mac),
            sig(eff.tops_per_watt),
            sig(eff.edp_js)
        );
        let total = e.energy_pj.total;
        for (name, v) in EnergyBreakdown::COMPONENTS.iter().zip(e.energy_pj.values()) {
            let share = if total > 0.0 { 100.0 * v / total } else { 0.0 };
            let _ = writeln!(o, "  {name:<18}{:>12} pJ  {share:5.1} %", sig(v));
        }
        for n in &e.notes {
            let _ = writeln!(o, "  note: {n}");
        }
    }
    let _ = writeln!(o, "\n  {:<20}{:>16}  unit", "event", "count");
    for (name, v) in s.events.pairs() {
        let _ = writeln!(o, "  {name:<20}{:>16}  {}", count(v), event_unit(cfg, name));
    }
    o
}

pub(crate) struct Row {
    pub(crate) cells: Vec<String>,
}

/// Renders rows as an aligned text table (first column left-aligned, the rest right-aligned).
pub(crate) fn text_table(header: &[&str], rows: &[Row]) -> String {
    aligned_table(header, rows, 1)
}

/// Renders rows as a text table with every column left-aligned (for text cells).
pub(crate) fn left_table(header: &[&str], rows: &[Row]) -> String {
    aligned_table(header, rows, header.len())
}

/// A text table whose first `left` columns are left-aligned and the rest right-aligned.
fn aligned_table(header: &[&str], rows: &[Row], left: usize) -> String {
    let n = header.len();
    let mut width: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.cells.iter().enumerate() {
            width[i] = width[i].max(c.len());
        }
    }
    let mut o = String::new();
    let line = |o: &mut String, cells: &[String]| {
        let mut s = String::new();
        for i in 0..n {
            let sep = if i == 0 { "" } else { "  " };
            if i < left {
                let _ = write!(s, "{sep}{:<w$}", cells[i], w = width[i]);
            } else {
                let _ = write!(s, "{sep}{:>w$}", cells[i], w = width[i]);
            }
        }
        let _ = writeln!(o, "{}", s.trim_end());
    };
    let h: Vec<String> = header.iter().map(|s| s.to_string()).collect();
    line(&mut o, &h);
    for r in rows {
        line(&mut o, &r.cells);
    }
    o
}

/// Renders rows as a Markdown table. A `|` in a cell (a layer named `a|b`) is escaped, so that
/// it does not start another column.
pub(crate) fn markdown_table(header: &[&str], rows: &[Row]) -> String {
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let cells: Vec<String> = cells.map(|c| c.replace('|', "\\|")).collect();
        format!("| {} |\n", cells.join(" | "))
    };
    let mut o = line(&mut header.iter().copied());
    let seps: Vec<&str> = (0..header.len())
        .map(|i| if i == 0 { "---" } else { "---:" })
        .collect();
    let _ = writeln!(o, "| {} |", seps.join(" | "));
    for r in rows {
        o.push_str(&line(&mut r.cells.iter().map(String::as_str)));
    }
    o
}

const SUMMARY_HEADER: &[&str] = &[
    "dataflow",
    "e2e cycles",
    "time",
    "memory wait",
    "e2e util",
    "DRAM MB",
    "energy uJ",
    "pJ/MAC",
    "TOPS/W",
    "EDP J*s",
    "SCALE-Sim cycles",
];

/// Megabytes (10^6 bytes).
pub(crate) fn mb(bytes: u64) -> String {
    format!("{:.2}", bytes as f64 / 1e6)
}

/// Energy in microjoules from pJ, 4 significant digits.
pub(crate) fn uj(pj: f64) -> String {
    sig(pj / 1e6)
}

/// A number with 4 significant digits (scientific notation outside 0.001..1e6).
pub fn sig(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let a = x.abs();
    if !(1e-3..1e6).contains(&a) {
        return format!("{x:.3e}");
    }
    let decimals = (3 - a.log10().floor() as i32).max(0) as usize;
    format!("{x:.decimals$}")
}

fn dram_bytes(e: &EventCounts) -> u64 {
    e.dram_read_bytes() + e.dram_write_bytes()
}

fn summary_rows(run: &WorkloadRun) -> Vec<Row> {
    run.dataflows
        .iter()
        .map(|d| {
            let e: &EventCounts = &d.total.events;
            let scalesim: u64 = d
                .layers
                .iter()
                .map(|l| {
                    scalesim_cycles(l.stats.rows, l.stats.cols, d.dataflow, l.stats.shape())
                        .saturating_mul(l.repeat)
                })
                .fold(0, u64::saturating_add);
            let wait = d.total.memory_wait_cycles;
            let cycles = d.total.latency_cycles;
            Row {
                cells: vec![
                    d.dataflow.to_string(),
                    count(cycles),
                    duration(cycles, run.arch.clock_mhz),
                    count(wait),
                    percent(crate::stats::utilization(
                        d.total.macs,
                        cycles,
                        run.arch.pes(),
                    )),
                    mb(dram_bytes(e)),
                    uj(d.energy_pj.total),
                    sig(d.efficiency.pj_per_mac),
                    sig(d.efficiency.tops_per_watt),
                    sig(d.efficiency.edp_js),
                    count(scalesim),
                ],
            }
        })
        .collect()
}

fn energy_header() -> Vec<&'static str> {
    let mut h = vec!["dataflow"];
    h.extend([
        "MAC",
        "registers",
        "buffer A",
        "buffer B",
        "buffer C",
        "DRAM",
        "output stage",
        "leakage",
        "total",
    ]);
    h
}

fn energy_rows(run: &WorkloadRun) -> Vec<Row> {
    run.dataflows
        .iter()
        .map(|d| {
            let total = d.energy_pj.total;
            let mut cells = vec![d.dataflow.to_string()];
            for v in d.energy_pj.values() {
                let share = if total > 0.0 { v / total } else { 0.0 };
                cells.push(format!("{} ({:.0}%)", uj(v), 100.0 * share));
            }
            cells.push(uj(total));
            Row { cells }
        })
        .collect()
}

fn layer_header(run: &WorkloadRun) -> Vec<String> {
    let mut h: Vec<String> = ["layer", "repeat", "M", "N", "K"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for d in &run.dataflows {
        h.push(format!("{} e2e cycles", d.dataflow));
        h.push(format!("{} memory wait", d.dataflow));
        h.push(format!("{} uJ", d.dataflow));
    }
    h
}

fn layer_rows(run: &WorkloadRun) -> Vec<Row> {
    let Some(first) = run.dataflows.first() else {
        return vec![];
    };
    (0..first.layers.len())
        .map(|i| {
            let l = &first.layers[i];
            let mut cells = vec![
                l.name.clone(),
                l.repeat.to_string(),
                l.stats.m.to_string(),
                l.stats.n.to_string(),
                l.stats.k.to_string(),
            ];
            for d in &run.dataflows {
                let l = &d.layers[i];
                cells.push(count(l.stats.latency_cycles));
                cells.push(count(l.stats.memory_wait_cycles()));
                cells.push(uj(l.energy_pj.total));
            }
            Row { cells }
        })
        .collect()
}

/// Bytes moved through the three buffers (A and B elements at the operand width, packed; int32
/// C elements).
pub fn buffer_bytes(cfg: &ArchConfig, e: &EventCounts) -> u64 {
    cfg.packed_bytes(
        BufferId::A,
        e.a_buf_read_elems + e.a_buf_write_elems + e.b_buf_read_elems + e.b_buf_write_elems,
    ) + cfg.packed_bytes(BufferId::C, e.c_buf_read_elems + e.c_buf_write_elems)
}

fn headline(run: &WorkloadRun) -> String {
    let layers = run.dataflows.first().map_or(0, |d| d.layers.len());
    let macs = run.dataflows.first().map_or(0, |d| d.total.macs);
    let a = &run.arch;
    format!(
        "Workload {} ({} layers, {} MACs) on {}: {}x{} PEs (int{} operands) at {} MHz, buffers A/B/C {}/{}/{} KiB, DRAM {} ({}, memory model {}); energy: {} table, registers charged {}",
        run.workload,
        layers,
        count(macs),
        a.name,
        a.array.rows,
        a.array.cols,
        a.array.operand_bits,
        a.clock_mhz,
        a.buffers.a.capacity_kib,
        a.buffers.b.capacity_kib,
        a.buffers.c.capacity_kib,
        a.dram.kind.name().to_ascii_uppercase(),
        a.dram.describe(),
        a.memory.name(),
        run.tech,
        run.register_convention.name()
    )
}

/// The dataflow that wins on each metric: (metric, dataflow). Dataflows that tie are all named
/// (`OS, WS and IS (tied)`: with the ideal memory model every dataflow moves 0 DRAM bytes).
pub fn winners(run: &WorkloadRun) -> Vec<(&'static str, String)> {
    let best = |key: &dyn Fn(&crate::run::DataflowRun) -> f64| {
        let Some(min) = run.dataflows.iter().map(key).min_by(f64::total_cmp) else {
            return String::new();
        };
        let best: Vec<String> = run
            .dataflows
            .iter()
            .filter(|d| key(d) == min)
            .map(|d| d.dataflow.to_string())
            .collect();
        match best.as_slice() {
            [one] => one.clone(),
            [rest @ .., last] => format!("{} and {last} (tied)", rest.join(", ")),
            [] => String::new(),
        }
    };
    vec![
        ("fewest cycles", best(&|d| d.total.latency_cycles as f64)),
        (
            "least energy (and best TOPS/W)",
            best(&|d| d.energy_pj.total),
        ),
        (
            "lowest energy-delay product",
            best(&|d| d.efficiency.edp_js),
        ),
        (
            "least DRAM traffic",
            best(&|d| dram_bytes(&d.total.events) as f64),
        ),
    ]
}

fn winners_line(run: &WorkloadRun) -> String {
    winners(run)
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

const NOTE: &str = "e2e cycles = end to end per layer (DMA prologue, compute, stalls, writeback), \
layers back to back; memory wait = the cycles of those the array did not compute (prologue, \
stalls, writeback); e2e util = MACs / (e2e cycles x PEs)";

/// The comparison of dataflows on a workload, as text.
pub fn workload_text(run: &WorkloadRun) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{}", headline(run));
    if !run.source.is_empty() {
        let _ = writeln!(o, "{}", run.source);
    }
    for n in &run.input_notes {
        let _ = writeln!(o, "note: {n}");
    }
    let _ = writeln!(o);
    o.push_str(&text_table(SUMMARY_HEADER, &summary_rows(run)));
    let _ = writeln!(o, "({NOTE})");
    for n in port::needed(run) {
        let _ = writeln!(o, "DRAM bandwidth: {n}");
    }
    let _ = writeln!(o, "{}\n", winners_line(run));
    mapping::text(run, &mut o);
    let _ = writeln!(o);
    let _ = writeln!(o, "energy by component, uJ (share of the total):");
    o.push_str(&text_table(&energy_header(), &energy_rows(run)));
    for n in &run.energy_notes {
        let _ = writeln!(o, "note: {n}");
    }
    let _ = writeln!(o);
    let h = layer_header(run);
    let h: Vec<&str> = h.iter().map(String::as_str).collect();
    o.push_str(&text_table(&h, &layer_rows(run)));
    o
}

/// The comparison of dataflows on a workload, as a Markdown document; `command` is the command
/// line that produced it (written at its top so the report can be regenerated), and `plots` the
/// plot files (without extension) to embed.
pub fn workload_markdown(run: &WorkloadRun, command: &str, plots: &[(&str, &str)]) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# {} on {}\n", run.workload, run.arch.name);
    let _ = writeln!(o, "Generated by `{command}`.\n");
    let _ = writeln!(o, "{}.", headline(run));
    if !run.source.is_empty() {
        let _ = writeln!(o, "Shapes: {}.", run.source);
    }
    for n in &run.input_notes {
        let _ = writeln!(o, "\nNote: {n}");
    }
    let _ = writeln!(o, "\n## Dataflows\n");
    o.push_str(&markdown_table(SUMMARY_HEADER, &summary_rows(run)));
    let _ = writeln!(
        o,
        "\n*e2e cycles* are end to end per layer (the DMA's prologue, compute, stalls and the final \
         writeback), layers back to back; *memory wait* counts those in which the array did not \
         compute: the prologue, the stalls and the writeback (`memory_wait_cycles` in \
         `results.json`; `stall_cycles` there counts the stalls alone); e2e util = MACs / (e2e cycles \
         x PEs). TOPS/W counts a MAC as two operations. EDP = energy x \
         end-to-end time. The SCALE-Sim column is SCALE-Sim 3.0.0's compute cycle count for the \
         same GEMMs (folds back to back, no memory stalls; see `docs/microarchitecture.md`). Every \
         event count and the energy per action are in `results.json`; one row per layer and \
         dataflow in `results.csv`.\n"
    );
    let needed = port::needed(run);
    if !needed.is_empty() {
        let _ = writeln!(o, "DRAM bandwidth the run needs from a real port:\n");
        for n in needed {
            let _ = writeln!(o, "- {n}");
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "Winners:\n");
    for (k, v) in winners(run) {
        let _ = writeln!(o, "- {k}: **{v}**");
    }
    mapping::markdown(run, &mut o);
    let _ = writeln!(o, "\n## Energy by component (uJ, share of the total)\n");
    o.push_str(&markdown_table(&energy_header(), &energy_rows(run)));
    for n in &run.energy_notes {
        let _ = writeln!(o, "\nNote: {n}.");
    }
    let _ = writeln!(
        o,
        "\nTechnology table `{}`, registers charged {} (see `docs/energy.md`).\n",
        run.tech,
        run.register_convention.name()
    );
    if let Some((h, rows)) = action_rows(run) {
        let _ = writeln!(
            o,
            "Energy by action (uJ; actions that cost nothing are left out):\n"
        );
        let h: Vec<&str> = h.iter().map(String::as_str).collect();
        o.push_str(&markdown_table(&h, &rows));
        let _ = writeln!(o);
    }
    for (title, file) in plots {
        let _ = writeln!(o, "![{title}]({file}.png)\n");
    }
    let _ = writeln!(o, "## Layers\n");
    let h = layer_header(run);
    let h: Vec<&str> = h.iter().map(String::as_str).collect();
    o.push_str(&markdown_table(&h, &layer_rows(run)));
    if let Some(rows) = memory_plan_rows(run) {
        let _ = writeln!(o, "\n## Memory plan\n");
        let _ = writeln!(
            o,
            "How each layer's operands were reused from the buffers and what buffer C did with \
             partial sums (`docs/microarchitecture.md`, \"Memory system\"): `whole` stays on chip \
             for the run, `per-run` is kept across the folds of an outer loop's iteration and \
             fetched again for the next, `per-fold` streams; C `accumulate` keeps an output \
             tile's partial sums across its K folds, `spill` sends them to DRAM and back.\n"
        );
        let mut h = vec!["layer".to_string()];
        h.extend(
            run.dataflows
                .iter()
                .map(|d| format!("{} A / B / C", d.dataflow)),
        );
        let h: Vec<&str> = h.iter().map(String::as_str).collect();
        o.push_str(&markdown_table(&h, &rows));
    }
    o
}

/// One row per action that costs energy in some dataflow: (header, rows).
fn action_rows(run: &WorkloadRun) -> Option<(Vec<String>, Vec<Row>)> {
    let first = run.dataflows.first()?;
    let mut h = vec!["component".to_string(), "action".to_string()];
    h.extend(run.dataflows.iter().map(|d| d.dataflow.to_string()));
    let rows = (0..first.energy_actions.len())
        .filter(|&i| run.dataflows.iter().any(|d| d.energy_actions[i].pj > 0.0))
        .map(|i| {
            let a = &first.energy_actions[i];
            let mut cells = vec![a.component.clone(), format!("`{}`", a.action)];
            cells.extend(run.dataflows.iter().map(|d| uj(d.energy_actions[i].pj)));
            Row { cells }
        })
        .collect();
    Some((h, rows))
}

/// Per layer, each dataflow's memory plan (`None` with the ideal memory model).
fn memory_plan_rows(run: &WorkloadRun) -> Option<Vec<Row>> {
    let first = run.dataflows.first()?;
    (0..first.layers.len())
        .map(|i| {
            let mut cells = vec![first.layers[i].name.clone()];
            for d in &run.dataflows {
                cells.push(d.layers[i].stats.memory?.describe());
            }
            Some(Row { cells })
        })
        .collect()
}

/// Column names of [`workload_csv`].
pub const CSV_COLUMNS: &[&str] = &[
    "dataflow",
    "layer",
    "shape",
    "repeat",
    "m",
    "n",
    "k",
    "macs",
    "latency_cycles",
    "total_cycles",
    "stall_cycles",
    "load_cycles",
    "writeback_cycles",
    "utilization",
    "dram_read_bytes",
    "dram_write_bytes",
    "energy_pj_mac",
    "energy_pj_registers",
    "energy_pj_buffer_a",
    "energy_pj_buffer_b",
    "energy_pj_buffer_c",
    "energy_pj_dram",
    "energy_pj_output_stage",
    "energy_pj_leakage",
    "energy_pj_total",
    "pj_per_mac",
    "tops_per_watt",
    "edp_js",
    "mapping",
    "scalesim_order_latency_cycles",
    "scalesim_order_energy_pj",
];

/// One CSV row per (dataflow, layer), for one run of the layer (`repeat` says how many).
pub fn workload_csv(run: &WorkloadRun) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{}", CSV_COLUMNS.join(","));
    for d in &run.dataflows {
        for l in &d.layers {
            let s = &l.stats;
            let mut cells = vec![
                d.dataflow.name().to_string(),
                csv_field(&l.name),
                csv_field(&l.layer),
                l.repeat.to_string(),
                s.m.to_string(),
                s.n.to_string(),
                s.k.to_string(),
                l.macs.to_string(),
                s.latency_cycles.to_string(),
                s.total_cycles.to_string(),
                s.stall_cycles.to_string(),
                s.load_cycles.to_string(),
                s.writeback_cycles.to_string(),
                format!("{:.6}", s.utilization),
                s.dram_read_bytes.to_string(),
                s.dram_write_bytes.to_string(),
            ];
            cells.extend(l.energy_pj.values().iter().map(|v| format!("{v:.3}")));
            cells.push(format!("{:.3}", l.energy_pj.total));
            cells.push(format!("{:.6}", l.efficiency.pj_per_mac));
            cells.push(format!("{:.6}", l.efficiency.tops_per_watt));
            cells.push(format!("{:.6e}", l.efficiency.edp_js));
            cells.push(csv_field(&s.mapping.to_string()));
            let (cycles, pj) = match &l.scalesim_order {
                crate::run::ScalesimOrder::Same => (
                    s.latency_cycles.to_string(),
                    format!("{:.3}", l.energy_pj.total),
                ),
                crate::run::ScalesimOrder::Ran(r) => {
                    (r.latency_cycles.to_string(), format!("{:.3}", r.energy_pj))
                }
                crate::run::ScalesimOrder::Refused { .. } => (String::new(), String::new()),
            };
            cells.push(cycles);
            cells.push(pj);
            let _ = writeln!(o, "{}", cells.join(","));
        }
    }
    o
}

/// Quotes a CSV field when it holds a comma, a quote or a line break (RFC 4180).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1234567), "1,234,567");
    }

    #[test]
    fn percent_never_rounds_up_to_full() {
        assert_eq!(percent(0.99996), "99.99 %");
        assert_eq!(percent(1.0), "100.00 %");
        assert_eq!(percent(0.5), "50.00 %");
    }

    fn workload_run() -> WorkloadRun {
        use crate::config::Dataflow;
        use crate::workload::{Layer, Workload};
        let cfg = ArchConfig::preset("tiny-4x4").unwrap();
        let w = Workload {
            name: "t".into(),
            source: "test".into(),
            notes: vec![],
            quantized: None,
            layers: vec![
                Layer::gemm("big", 8, 8, 40).times(3),
                Layer::gemm("small", 2, 9, 3).times(1),
            ],
        };
        crate::run::run_workload(
            &cfg,
            &w,
            &Dataflow::ALL,
            (false, &crate::mapper::MappingPolicy::default()),
            &crate::energy::EnergyModel::default(),
            &|| {},
        )
        .unwrap()
    }

    #[test]
    fn scalesim_column_counts_repeats_and_winners_are_minima() {
        let run = workload_run();
        let text = workload_text(&run);
        for d in &run.dataflows {
            let want: u64 = d
                .layers
                .iter()
                .map(|l| scalesim_cycles(4, 4, d.dataflow, l.stats.shape()) * l.repeat)
                .sum();
            let row = text
                .lines()
                .find(|l| l.starts_with(&d.dataflow.to_string()))
                .unwrap();
            assert!(row.trim_end().ends_with(&count(want)), "{row} vs {want}");
            assert!(row.contains(&count(d.total.latency_cycles)), "{row}");
        }
        let fewest = run
            .dataflows
            .iter()
            .min_by_key(|d| d.total.latency_cycles)
            .unwrap();
        let least = run
            .dataflows
            .iter()
            .min_by(|a, b| a.energy_pj.total.total_cmp(&b.energy_pj.total))
            .unwrap();
        assert!(
            text.contains(&format!("fewest cycles: {}", fewest.dataflow)),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "least energy (and best TOPS/W): {}",
                least.dataflow
            )),
            "{text}"
        );
        let md = workload_markdown(&run, "systole run x", &[("t", "p")]);
        assert!(md.contains("Generated by `systole run x`"));
        assert!(md.contains("| big | 3 | 8 | 8 | 40 |"), "{md}");
        assert!(md.contains("![t](p.png)"), "{md}");
        let csv = workload_csv(&run);
        assert_eq!(csv.lines().count(), 1 + 3 * 2);
        assert!(csv
            .lines()
            .all(|l| l.split(',').count() == CSV_COLUMNS.len()));
    }

    /// One meaning per word (issue 22): the table's memory wait is the JSON's
    /// `memory_wait_cycles`, end to end minus the cycles computed, and it is not `stall_cycles`;
    /// a tie is named as one; a long run of fold lengths is summarised.
    #[test]
    fn memory_wait_ties_and_fold_summaries() {
        let run = workload_run();
        let text = workload_text(&run);
        for d in &run.dataflows {
            let want: u64 = d
                .layers
                .iter()
                .map(|l| {
                    let s = &l.stats;
                    (s.load_cycles + s.stall_cycles + s.writeback_cycles) * l.repeat
                })
                .sum();
            assert_eq!(d.total.memory_wait_cycles, want, "{}", d.dataflow);
            assert!(d.total.memory_wait_cycles > d.total.stall_cycles);
            let row = text
                .lines()
                .find(|l| l.starts_with(&d.dataflow.to_string()))
                .unwrap();
            assert!(row.contains(&format!("  {}  ", count(want))), "{row}");
        }
        assert!(
            text.contains("e2e cycles") && text.contains("memory wait"),
            "{text}"
        );
        // The ideal memory model moves no DRAM bytes in any dataflow: a three-way tie.
        let mut cfg = ArchConfig::preset("tiny-4x4").unwrap();
        cfg.memory = crate::config::MemoryModel::Ideal;
        let w = crate::workload::Workload {
            name: "t".into(),
            source: String::new(),
            notes: vec![],
            quantized: None,
            layers: vec![crate::workload::Layer::gemm("l", 8, 8, 8)],
        };
        let ideal = crate::run::run_workload(
            &cfg,
            &w,
            &crate::config::Dataflow::ALL,
            (false, &crate::mapper::MappingPolicy::default()),
            &crate::energy::EnergyModel::default(),
            &|| {},
        )
        .unwrap();
        let dram = winners(&ideal)
            .into_iter()
            .find(|(k, _)| *k == "least DRAM traffic")
            .unwrap()
            .1;
        assert_eq!(dram, "OS, WS and IS (tied)");
        // 300 fold lengths in runs: summarised in one short line.
        let mut s = run.dataflows[0].layers[0].stats.clone();
        s.fold_cycles = (0..300)
            .map(|i| crate::stats::FoldCycles {
                cycles: 100 + i % 7,
                folds: 1 + i % 3,
            })
            .collect();
        s.folds = s.fold_cycles.iter().map(|f| f.folds).sum();
        let line = folds_text(&s);
        assert!(line.len() < 120, "{line}");
        assert!(line.starts_with("600 (100 to 106 cycles each, "), "{line}");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(500, 500.0), "1.00 us");
        assert_eq!(duration(5_000_000, 500.0), "10.00 ms");
    }
}
