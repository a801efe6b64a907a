//! SCALE-Sim-shaped CSVs of a run: `COMPUTE_REPORT.csv`, `BANDWIDTH_REPORT.csv` and
//! `DETAILED_ACCESS_REPORT.csv`, with SCALE-Sim 3.0.0's headers and line format (`, ` between
//! fields, a trailing `,`), so that scripts written for SCALE-Sim read them.
//!
//! There is one row per GEMM the array runs, numbered from 0 as SCALE-Sim numbers its `LayerID`s:
//! a layer that repeats, and a depthwise layer (which SCALE-Sim splits into one layer per
//! channel), gives one identical row per run. `docs/scalesim.md` says how each column is computed
//! from systole's counts and where it differs from SCALE-Sim's own.

use std::fmt::Write as _;

use crate::config::{ArchConfig, Dataflow};
use crate::run::{DataflowRun, LayerRun};
use crate::workload::Workload;

/// `COMPUTE_REPORT.csv`'s header (SCALE-Sim 3.0.0).
pub const COMPUTE_HEADER: &str = "LayerID, Total Cycles (incl. prefetch), Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %,";

/// `BANDWIDTH_REPORT.csv`'s header.
pub const BANDWIDTH_HEADER: &str = "LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, Avg IFMAP DRAM BW, Avg FILTER DRAM BW, Avg OFMAP DRAM BW,";

/// `DETAILED_ACCESS_REPORT.csv`'s header.
pub const DETAILED_ACCESS_HEADER: &str = "LayerID, SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, SRAM Filter Start Cycle, SRAM Filter Stop Cycle, SRAM Filter Reads, SRAM OFMAP Start Cycle, SRAM OFMAP Stop Cycle, SRAM OFMAP Writes, DRAM IFMAP Start Cycle, DRAM IFMAP Stop Cycle, DRAM IFMAP Reads, DRAM Filter Start Cycle, DRAM Filter Stop Cycle, DRAM Filter Reads, DRAM OFMAP Start Cycle, DRAM OFMAP Stop Cycle, DRAM OFMAP Writes,";

/// Whether `name` is one plain path component, safe to join onto the output directory: not
/// empty, not `.` or `..`, without a path separator, a drive colon or a control character.
pub fn is_folder_name(name: &str) -> bool {
    !matches!(name, "" | "." | "..")
        && !name.contains(['/', '\\', ':'])
        && !name.chars().any(char::is_control)
}

/// `name` made one plain path component ([`is_folder_name`]): path separators, colons and
/// control characters become `_`, and `.`, `..` or nothing becomes `_`.
pub fn folder_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | ':') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if is_folder_name(&s) {
        s
    } else {
        "_".to_string()
    }
}

/// Most rows a report is written with: one per GEMM run, so a layer repeated a million times
/// over many channels would otherwise write gigabytes of identical rows.
pub const MAX_ROWS: u64 = 1_000_000;

/// Checks, before a run, that its reports stay within [`MAX_ROWS`] rows: one per GEMM run of
/// `workload` (a layer's `repeat` times its groups).
pub fn check_rows(workload: &Workload) -> Result<(), String> {
    rows_within(workload.layers.iter().map(|l| l.runs()))
}

fn rows_within(runs: impl Iterator<Item = u64>) -> Result<(), String> {
    let rows = runs.fold(0u64, u64::saturating_add);
    if rows > MAX_ROWS {
        return Err(format!(
            "the workload runs {} GEMMs, one row each in SCALE-Sim's reports; they are written for at most {} GEMMs",
            crate::report::count(rows),
            crate::report::count(MAX_ROWS)
        ));
    }
    Ok(())
}

/// The three reports of one dataflow's run, as `(file name, contents)`; an error when the run has
/// more than [`MAX_ROWS`] GEMMs ([`check_rows`] says so before the run).
pub fn reports(
    arch: &ArchConfig,
    run: &DataflowRun,
) -> Result<Vec<(&'static str, String)>, String> {
    rows_within(run.layers.iter().map(|l| l.repeat))?;
    let mut compute = format!("{COMPUTE_HEADER}\n");
    let mut bandwidth = format!("{BANDWIDTH_HEADER}\n");
    let mut access = format!("{DETAILED_ACCESS_HEADER}\n");
    let mut id = 0u64;
    for l in &run.layers {
        let c = compute_row(arch, run.dataflow, l);
        let b = bandwidth_row(arch, l);
        let a = access_row(arch, l);
        for _ in 0..l.repeat {
            let _ = writeln!(compute, "{id}, {c},");
            let _ = writeln!(bandwidth, "{id}, {b},");
            let _ = writeln!(access, "{id}, {a},");
            id += 1;
        }
    }
    Ok(vec![
        ("COMPUTE_REPORT.csv", compute),
        ("BANDWIDTH_REPORT.csv", bandwidth),
        ("DETAILED_ACCESS_REPORT.csv", access),
    ])
}

/// SCALE-Sim's spatial mapping: the GEMM dimensions on the array's rows and columns (the
/// dataflow descriptor's).
fn spatial(df: Dataflow, m: u64, n: u64, k: u64) -> (u64, u64) {
    let d = crate::mapping::Descriptor::of(df);
    let of = |dim: crate::mapping::Dim| match dim {
        crate::mapping::Dim::M => m,
        crate::mapping::Dim::N => n,
        crate::mapping::Dim::K => k,
    };
    (of(d.rows), of(d.cols))
}

/// The mean over folds of the PEs a fold maps, over all PEs: every fold but the last of each
/// direction is full, so this is `Sr x Sc` over the folded area.
pub fn mapping_efficiency(arch: &ArchConfig, df: Dataflow, l: &LayerRun) -> f64 {
    let (r, c) = (u64::from(arch.array.rows), u64::from(arch.array.cols));
    let (sr, sc) = spatial(df, l.stats.m as u64, l.stats.n as u64, l.stats.k as u64);
    (sr * sc) as f64 / (sr.div_ceil(r) * r * sc.div_ceil(c) * c) as f64
}

fn compute_row(arch: &ArchConfig, df: Dataflow, l: &LayerRun) -> String {
    let s = &l.stats;
    let pes = arch.pes() as f64;
    let busy = s.total_cycles.saturating_sub(s.stall_cycles);
    let compute_util = if busy == 0 {
        0.0
    } else {
        s.macs as f64 / (busy as f64 * pes)
    };
    format!(
        "{}, {}, {}, {}, {}, {}",
        s.latency_cycles,
        s.total_cycles,
        s.stall_cycles,
        s.utilization * 100.0,
        mapping_efficiency(arch, df, l) * 100.0,
        compute_util * 100.0
    )
}

/// Element counts SCALE-Sim reports (its words are elements): (SRAM ifmap reads, filter reads,
/// ofmap writes by the array, DRAM ifmap reads, filter reads, ofmap writes).
fn element_counts(arch: &ArchConfig, l: &LayerRun) -> [u64; 6] {
    let e = &l.stats.events;
    // DRAM reads of A and B are the elements the DMA lands in their buffers (exact at every
    // width; bytes would count an int4 vector's padding nibble). C is int32: 4 bytes each.
    let acc = u64::from(arch.array.acc_bits).div_ceil(8);
    // C's writes include the refetched partial sums the DMA lands; SCALE-Sim counts the array's.
    let landed = e.dram_c_read_bytes / acc;
    [
        e.a_buf_read_elems,
        e.b_buf_read_elems,
        e.c_buf_write_elems.saturating_sub(landed),
        e.a_buf_write_elems,
        e.b_buf_write_elems,
        e.dram_c_write_bytes / acc,
    ]
}

fn window(w: Option<(i64, i64)>) -> (String, String) {
    match w {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => (String::new(), String::new()),
    }
}

fn access_row(arch: &ArchConfig, l: &LayerRun) -> String {
    let w = &l.windows;
    let n = element_counts(arch, l);
    let cells = [
        (w.sram_a_read, n[0]),
        (w.sram_b_read, n[1]),
        (w.sram_c_write, n[2]),
        (w.dram_a_read, n[3]),
        (w.dram_b_read, n[4]),
        (w.dram_c_write, n[5]),
    ];
    cells
        .iter()
        .map(|&(win, count)| {
            let (a, b) = window(win);
            format!("{a}, {b}, {count}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn bandwidth_row(arch: &ArchConfig, l: &LayerRun) -> String {
    let n = element_counts(arch, l);
    let w = &l.windows;
    let total = l.stats.total_cycles.max(1) as f64;
    let per_window = |count: u64, win: Option<(i64, i64)>| match win {
        Some((a, b)) => count as f64 / (b - a + 1) as f64,
        None => 0.0,
    };
    [
        n[0] as f64 / total,
        n[1] as f64 / total,
        n[2] as f64 / total,
        per_window(n[3], w.dram_a_read),
        per_window(n[4], w.dram_b_read),
        per_window(n[5], w.dram_c_write),
    ]
    .iter()
    .map(|v| v.to_string())
    .collect::<Vec<_>>()
    .join(", ")
}
