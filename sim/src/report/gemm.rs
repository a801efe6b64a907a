//! The text report of one GEMM run (`systole gemm`): shape, cycles, folds, memory, energy and
//! every event count with its unit.

use std::fmt::Write;

use super::table::{count, duration, percent, sig, uj};
use crate::config::{ArchConfig, BufferId};
use crate::energy::{Efficiency, EnergyBreakdown, EnergyReport};
use crate::mapping::schedule::scalesim_cycles;
use crate::stats::RunStats;

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
pub(super) fn folds_text(s: &RunStats) -> String {
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
