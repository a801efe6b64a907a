//! Human-readable reports: text tables for the terminal and Markdown for `reports/`.

use std::fmt::Write;

use crate::array::schedule::scalesim_cycles;
use crate::config::{ArchConfig, BufferId};
use crate::events::EventCounts;
use crate::run::WorkloadRun;
use crate::stats::RunStats;

/// `1234567` -> `1,234,567`.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

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

/// Describes the fold cycles: `3 folds: 1 x 16, 1 x 64, 1 x 120 cycles`.
fn folds_text(s: &RunStats) -> String {
    let parts: Vec<String> = s
        .fold_cycles
        .iter()
        .map(|f| format!("{} x {}", count(f.folds), count(f.cycles)))
        .collect();
    format!("{} ({} cycles)", count(s.folds), parts.join(", "))
}

/// The text report of one GEMM run.
pub fn gemm_text(cfg: &ArchConfig, s: &RunStats) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "GEMM {}x{}x{} (M x N x K) on {}: {}x{} PEs at {} MHz, dataflow {}",
        s.m, s.n, s.k, cfg.name, s.rows, s.cols, cfg.clock_mhz, s.dataflow
    );
    let rows: Vec<(&str, String)> = vec![
        (
            "total cycles",
            format!(
                "{}  ({})",
                count(s.total_cycles),
                duration(s.total_cycles, cfg.clock_mhz)
            ),
        ),
        ("stall cycles", count(s.stall_cycles)),
        ("MACs", count(s.macs)),
        ("utilization", percent(s.utilization)),
        ("folds", folds_text(s)),
        (
            "SCALE-Sim 3.0.0",
            format!(
                "{} cycles for the same GEMM (folds back to back, no overlap)",
                count(scalesim_cycles(s.rows, s.cols, s.dataflow, s.shape()))
            ),
        ),
    ];
    for (k, v) in rows {
        let _ = writeln!(o, "  {k:<18}{v}");
    }
    let _ = writeln!(o, "\n  {:<20}{:>16}  unit", "event", "count");
    for (name, v) in s.events.pairs() {
        let _ = writeln!(o, "  {name:<20}{:>16}  {}", count(v), event_unit(cfg, name));
    }
    o
}

struct Row {
    cells: Vec<String>,
}

/// Renders rows as an aligned text table (first column left-aligned, the rest right-aligned).
fn text_table(header: &[&str], rows: &[Row]) -> String {
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
            if i == 0 {
                let _ = write!(s, "{:<w$}", cells[i], w = width[i]);
            } else {
                let _ = write!(s, "  {:>w$}", cells[i], w = width[i]);
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

/// Renders rows as a Markdown table.
fn markdown_table(header: &[&str], rows: &[Row]) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "| {} |", header.join(" | "));
    let seps: Vec<&str> = (0..header.len())
        .map(|i| if i == 0 { "---" } else { "---:" })
        .collect();
    let _ = writeln!(o, "| {} |", seps.join(" | "));
    for r in rows {
        let _ = writeln!(o, "| {} |", r.cells.join(" | "));
    }
    o
}

const SUMMARY_HEADER: &[&str] = &[
    "dataflow",
    "cycles",
    "time",
    "util",
    "A reads",
    "B reads",
    "C reads",
    "C writes",
    "SCALE-Sim cycles",
];

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
                        * l.repeat
                })
                .sum();
            Row {
                cells: vec![
                    d.dataflow.to_string(),
                    count(d.total.total_cycles),
                    duration(d.total.total_cycles, run.arch.clock_mhz),
                    percent(d.total.utilization),
                    count(e.a_buf_read_elems),
                    count(e.b_buf_read_elems),
                    count(e.c_buf_read_elems),
                    count(e.c_buf_write_elems),
                    count(scalesim),
                ],
            }
        })
        .collect()
}

fn layer_header(run: &WorkloadRun) -> Vec<String> {
    let mut h: Vec<String> = ["layer", "repeat", "M", "N", "K"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for d in &run.dataflows {
        h.push(format!("{} cycles", d.dataflow));
        h.push(format!("{} util", d.dataflow));
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
                let s = &d.layers[i].stats;
                cells.push(count(s.total_cycles));
                cells.push(percent(s.utilization));
            }
            Row { cells }
        })
        .collect()
}

/// Bytes moved through the three buffers (int8 A and B elements, int32 C elements).
pub fn buffer_bytes(cfg: &ArchConfig, e: &EventCounts) -> u64 {
    let op = u64::from(cfg.array.operand_bits).div_ceil(8);
    let acc = u64::from(cfg.array.acc_bits).div_ceil(8);
    (e.a_buf_read_elems + e.a_buf_write_elems + e.b_buf_read_elems + e.b_buf_write_elems) * op
        + (e.c_buf_read_elems + e.c_buf_write_elems) * acc
}

fn headline(run: &WorkloadRun) -> String {
    let layers = run.dataflows.first().map_or(0, |d| d.layers.len());
    let macs = run.dataflows.first().map_or(0, |d| d.total.macs);
    format!(
        "Workload {} ({} layers, {} MACs) on {}: {}x{} PEs at {} MHz",
        run.workload,
        layers,
        count(macs),
        run.arch.name,
        run.arch.array.rows,
        run.arch.array.cols,
        run.arch.clock_mhz
    )
}

fn winners(run: &WorkloadRun) -> String {
    let best = |key: &dyn Fn(&crate::run::DataflowRun) -> u64| {
        run.dataflows
            .iter()
            .min_by_key(|d| key(d))
            .map(|d| d.dataflow.to_string())
            .unwrap_or_default()
    };
    let cycles = best(&|d| d.total.total_cycles);
    let traffic = best(&|d| buffer_bytes(&run.arch, &d.total.events));
    format!("fewest cycles: {cycles}; least buffer traffic (bytes read and written): {traffic}")
}

/// The comparison of dataflows on a workload, as text.
pub fn workload_text(run: &WorkloadRun) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{}", headline(run));
    if !run.source.is_empty() {
        let _ = writeln!(o, "{}", run.source);
    }
    let _ = writeln!(o);
    o.push_str(&text_table(SUMMARY_HEADER, &summary_rows(run)));
    let _ = writeln!(
        o,
        "(buffer accesses in elements; layers run back to back; stalls are zero until DRAM is modelled)"
    );
    let _ = writeln!(o, "{}\n", winners(run));
    let h = layer_header(run);
    let h: Vec<&str> = h.iter().map(String::as_str).collect();
    o.push_str(&text_table(&h, &layer_rows(run)));
    o
}

/// The comparison of dataflows on a workload, as a Markdown document; `command` is the command
/// line that produced it (written at its top so the report can be regenerated).
pub fn workload_markdown(run: &WorkloadRun, command: &str) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# {} on {}\n", run.workload, run.arch.name);
    let _ = writeln!(o, "Generated by `{command}`.\n");
    let _ = writeln!(o, "{}.", headline(run));
    if !run.source.is_empty() {
        let _ = writeln!(o, "Shapes: {}.", run.source);
    }
    let _ = writeln!(o, "\n## Dataflows\n");
    o.push_str(&markdown_table(SUMMARY_HEADER, &summary_rows(run)));
    let _ = writeln!(
        o,
        "\nBuffer accesses are in elements (bank-word counts and every other event are in \
         `results.json`). Layers run back to back. Stall cycles are zero until DRAM is modelled. \
         The SCALE-Sim column is SCALE-Sim 3.0.0's cycle count for the same GEMMs (folds back to \
         back, see `docs/microarchitecture.md`).\n"
    );
    let _ = writeln!(o, "{}.\n", winners(run));
    let _ = writeln!(o, "## Layers\n");
    let h = layer_header(run);
    let h: Vec<&str> = h.iter().map(String::as_str).collect();
    o.push_str(&markdown_table(&h, &layer_rows(run)));
    o
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
        use crate::workload::{GemmLayer, Workload};
        let cfg = ArchConfig::preset("tiny-4x4").unwrap();
        let w = Workload {
            name: "t".into(),
            source: "test".into(),
            layers: vec![
                GemmLayer {
                    name: "big".into(),
                    m: 8,
                    n: 8,
                    k: 40,
                    repeat: 3,
                },
                GemmLayer {
                    name: "small".into(),
                    m: 2,
                    n: 9,
                    k: 3,
                    repeat: 1,
                },
            ],
        };
        crate::run::run_workload(&cfg, &w, &Dataflow::ALL, false, &|| {}).unwrap()
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
            assert!(row.contains(&count(d.total.total_cycles)), "{row}");
        }
        let fewest = run
            .dataflows
            .iter()
            .min_by_key(|d| d.total.total_cycles)
            .unwrap();
        let least = run
            .dataflows
            .iter()
            .min_by_key(|d| buffer_bytes(&run.arch, &d.total.events))
            .unwrap();
        let line = format!(
            "fewest cycles: {}; least buffer traffic (bytes read and written): {}",
            fewest.dataflow, least.dataflow
        );
        assert!(text.contains(&line), "{text}");
        let md = workload_markdown(&run, "systole run x");
        assert!(md.contains("Generated by `systole run x`"));
        assert!(md.contains("| big | 3 | 8 | 8 | 40 |"), "{md}");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(500, 500.0), "1.00 us");
        assert_eq!(duration(5_000_000, 500.0), "10.00 ms");
    }
}
