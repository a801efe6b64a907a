//! A run's statistics once its last result has left: the cycle counts (prologue, compute,
//! stalls, writeback), the fold spans from the cycles in which the folds started, utilisation and
//! the event counts, gathered into [`RunStats`].

use crate::config::ArchConfig;
use crate::events::EventCounts;
use crate::mapping::schedule::Plan;
use crate::memory::dma::MemoryPlan;
use crate::stats::{encode_fold_cycles, utilization, FoldCycles, RunStats};

/// The fold cycles of a run whose folds started in the given cycles (fold 0's span starts at
/// cycle 0; see "Fold order" in the contract).
pub fn fold_spans(starts: &[u64], total_cycles: u64) -> Vec<FoldCycles> {
    let per_fold = (0..starts.len()).map(|f| {
        let begin = if f == 0 { 0 } else { starts[f] };
        let end = starts.get(f + 1).copied().unwrap_or(total_cycles);
        end - begin
    });
    encode_fold_cycles(per_fold)
}

/// A run's cycle counts, as [`RunStats`] names them.
#[derive(Debug, Clone, Copy)]
pub(super) struct Cycles {
    /// Cycle 0 to the end of the last write, stalls included.
    pub(super) total: u64,
    pub(super) stall: u64,
    /// The DMA's prologue.
    pub(super) load: u64,
    /// The drain of C after the last write.
    pub(super) writeback: u64,
}

/// The statistics of a run of `plan` with these cycle counts, fold start cycles (contract
/// cycles), memory plan and events.
pub(super) fn run_stats(
    cfg: &ArchConfig,
    plan: &Plan,
    cycles: Cycles,
    fold_start: &[u64],
    memory: Option<MemoryPlan>,
    ev: EventCounts,
) -> RunStats {
    RunStats {
        arch: cfg.name.clone(),
        dataflow: plan.df,
        rows: cfg.array.rows,
        cols: cfg.array.cols,
        m: plan.shape.m,
        n: plan.shape.n,
        k: plan.shape.k,
        total_cycles: cycles.total,
        stall_cycles: cycles.stall,
        load_cycles: cycles.load,
        writeback_cycles: cycles.writeback,
        latency_cycles: cycles.load + cycles.total + cycles.writeback,
        dram_read_bytes: ev.dram_read_bytes(),
        dram_write_bytes: ev.dram_write_bytes(),
        mapping: plan.mapping.clone(),
        memory,
        macs: ev.macs,
        utilization: utilization(ev.macs, cycles.total, cfg.pes()),
        folds: plan.folds() as u64,
        fold_cycles: fold_spans(fold_start, cycles.total),
        events: ev,
    }
}
