//! Human-readable reports: text tables for the terminal and Markdown for `reports/`.

mod csv;
mod gemm;
mod mapping;
mod port;
mod table;

pub use csv::{workload_csv, CSV_COLUMNS};
pub use gemm::gemm_text;
pub use table::{count, duration, percent, sig};
pub(crate) use table::{left_table, markdown_table, mb, text_table, uj, Row};

use std::fmt::Write;

use crate::config::{ArchConfig, BufferId};

use crate::events::EventCounts;
use crate::mapping::schedule::scalesim_cycles;
use crate::run::WorkloadRun;

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
        let line = super::gemm::folds_text(&s);
        assert!(line.len() < 120, "{line}");
        assert!(line.starts_with("600 (100 to 106 cycles each, "), "{line}");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(500, 500.0), "1.00 us");
        assert_eq!(duration(5_000_000, 500.0), "10.00 ms");
    }
}
