//! What a run reports: [`RunStats`] for one GEMM, [`Totals`] for several.

use serde::{Deserialize, Serialize};

use crate::config::{BufferId, Dataflow};
use crate::events::EventCounts;
use crate::probe::{DramRequest, Probe};
use crate::workload::GemmShape;

/// A run of consecutive folds that took the same number of cycles (fold cycles are stored
/// run-length encoded: a GEMM of thousands of folds has a handful of distinct values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoldCycles {
    /// Cycles from the start of each of these folds to the start of the next (the last fold: to
    /// the end of the run). A fold starts when the controller issues the first read of its stream;
    /// the first fold starts at cycle 0, so it includes the initial fill (and, in WS/IS, the first
    /// preload) and the last fold includes the final drain.
    pub cycles: u64,
    /// How many consecutive folds took that many cycles.
    pub folds: u64,
}

/// The statistics of one GEMM run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunStats {
    /// Architecture name.
    pub arch: String,
    /// Dataflow.
    pub dataflow: Dataflow,
    /// PE rows.
    pub rows: u32,
    /// PE columns.
    pub cols: u32,
    /// GEMM dimensions.
    pub m: usize,
    /// GEMM dimensions.
    pub n: usize,
    /// GEMM dimensions.
    pub k: usize,
    /// Cycles from the first buffer read (cycle 0) to the last write of C, inclusive, stall
    /// cycles included.
    pub total_cycles: u64,
    /// Cycles within `total_cycles` in which the array stalled (every register held) waiting
    /// for memory: a vector not yet fetched, no free slot in C, a spilled partial sum not back.
    pub stall_cycles: u64,
    /// Cycles before cycle 0 in which the DMA fetched the first two folds' operands.
    pub load_cycles: u64,
    /// Cycles after the last write of C until the last result has left for DRAM.
    pub writeback_cycles: u64,
    /// End to end: `load_cycles + total_cycles + writeback_cycles`.
    pub latency_cycles: u64,
    /// Bytes read from DRAM (every operand; see `events` for each).
    pub dram_read_bytes: u64,
    /// Bytes written to DRAM.
    pub dram_write_bytes: u64,
    /// The mapping the run followed: its stream tile, its loops and where A and B were kept
    /// (`docs/mapping.md`).
    pub mapping: crate::mapping::Mapping,
    /// How the memory system reused each operand (absent with the ideal memory model).
    pub memory: Option<crate::memory::dma::MemoryPlan>,
    /// Multiply-accumulates performed (equal to `events.macs`).
    pub macs: u64,
    /// `macs / (total_cycles x rows x cols)`.
    pub utilization: f64,
    /// Number of folds.
    pub folds: u64,
    /// Cycles per fold, run-length encoded, in fold order.
    pub fold_cycles: Vec<FoldCycles>,
    /// Event counts by component.
    pub events: EventCounts,
}

impl RunStats {
    /// Cycles of the end-to-end run in which the array did not compute for memory: the DMA's
    /// prologue, the stalls and the writeback (`latency_cycles` minus the cycles it computed,
    /// `total_cycles - stall_cycles`). `stall_cycles` counts only the stalls between cycle 0
    /// and the last write of C.
    pub fn memory_wait_cycles(&self) -> u64 {
        self.latency_cycles
            .saturating_sub(self.total_cycles.saturating_sub(self.stall_cycles))
    }

    /// The GEMM shape.
    pub fn shape(&self) -> GemmShape {
        GemmShape {
            m: self.m,
            n: self.n,
            k: self.k,
        }
    }
}

/// Run-length encodes per-fold cycle counts.
pub fn encode_fold_cycles(per_fold: impl IntoIterator<Item = u64>) -> Vec<FoldCycles> {
    let mut out: Vec<FoldCycles> = Vec::new();
    for c in per_fold {
        match out.last_mut() {
            Some(last) if last.cycles == c => last.folds += 1,
            _ => out.push(FoldCycles {
                cycles: c,
                folds: 1,
            }),
        }
    }
    out
}

/// Sums over several runs (the layers of a workload, each possibly repeated). Layers run one after
/// another; nothing overlaps across layer boundaries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Sum of total cycles.
    pub total_cycles: u64,
    /// Sum of stall cycles (the array frozen between cycle 0 and the last write of C).
    pub stall_cycles: u64,
    /// Sum of end-to-end latencies (layers run one after another, nothing overlaps).
    pub latency_cycles: u64,
    /// Sum of [`RunStats::memory_wait_cycles`]: the DMA's prologues, the stalls and the
    /// writebacks.
    #[serde(default)]
    pub memory_wait_cycles: u64,
    /// Sum of MACs.
    pub macs: u64,
    /// `macs / (total_cycles x PEs)`.
    pub utilization: f64,
    /// Summed event counts.
    pub events: EventCounts,
}

impl Totals {
    /// Adds `repeat` runs with these statistics.
    pub fn add(&mut self, s: &RunStats, repeat: u64) {
        // Workload files bound `repeat` (see `workload::MAX_REPEAT`); saturate rather than wrap.
        self.total_cycles = self
            .total_cycles
            .saturating_add(s.total_cycles.saturating_mul(repeat));
        self.stall_cycles = self
            .stall_cycles
            .saturating_add(s.stall_cycles.saturating_mul(repeat));
        self.latency_cycles = self
            .latency_cycles
            .saturating_add(s.latency_cycles.saturating_mul(repeat));
        self.memory_wait_cycles = self
            .memory_wait_cycles
            .saturating_add(s.memory_wait_cycles().saturating_mul(repeat));
        self.macs = self.macs.saturating_add(s.macs.saturating_mul(repeat));
        self.events.add(&s.events.scaled(repeat));
        let pes = u64::from(s.rows) * u64::from(s.cols);
        self.utilization = utilization(self.macs, self.total_cycles, pes);
    }
}

impl Totals {
    /// The first sum that reached `u64::MAX` (the sums saturate instead of wrapping), by name, or
    /// `None` when every one fits. A run whose totals saturated is refused rather than reported:
    /// every figure derived from them (stalls, utilisation, energy per MAC) would be wrong.
    pub fn saturated(&self) -> Option<&'static str> {
        [
            ("end-to-end cycles", self.latency_cycles),
            ("total cycles", self.total_cycles),
            ("stall cycles", self.stall_cycles),
            ("MACs", self.macs),
        ]
        .into_iter()
        .chain(self.events.pairs())
        .find(|&(_, v)| v == u64::MAX)
        .map(|(name, _)| name)
    }
}

/// `macs / (cycles x pes)`, 0 when nothing ran.
pub fn utilization(macs: u64, cycles: u64, pes: u64) -> f64 {
    if cycles == 0 || pes == 0 {
        0.0
    } else {
        macs as f64 / (cycles as f64 * pes as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_length_encoding() {
        let e = encode_fold_cycles([16, 64, 64, 64, 100]);
        assert_eq!(
            e,
            vec![
                FoldCycles {
                    cycles: 16,
                    folds: 1
                },
                FoldCycles {
                    cycles: 64,
                    folds: 3
                },
                FoldCycles {
                    cycles: 100,
                    folds: 1
                }
            ]
        );
        assert!(encode_fold_cycles([]).is_empty());
    }
}

/// The first and last cycle of each kind of access in one run, in contract cycles (cycle 0 is
/// the first buffer read; DMA requests of the prologue are negative), as SCALE-Sim's
/// `DETAILED_ACCESS_REPORT.csv` gives them. `None`: no such access.
///
/// Collected by observing the run (it is a [`Probe`]): SRAM windows are the array's own buffer
/// accesses (reads of A and B, writes of C); DRAM windows are the cycles in which the DMA issued
/// its requests (reads into A and B, drains and spills out of C).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessWindows {
    /// Buffer A reads by the array.
    pub sram_a_read: Option<(i64, i64)>,
    /// Buffer B reads by the array.
    pub sram_b_read: Option<(i64, i64)>,
    /// Buffer C writes by the array.
    pub sram_c_write: Option<(i64, i64)>,
    /// DRAM reads into A.
    pub dram_a_read: Option<(i64, i64)>,
    /// DRAM reads into B.
    pub dram_b_read: Option<(i64, i64)>,
    /// DRAM writes out of C.
    pub dram_c_write: Option<(i64, i64)>,
    /// The DMA's request windows in its own cycles (A, B, C), until [`AccessWindows::finish`].
    #[serde(skip)]
    wall_dram: [Option<(u64, u64)>; 3],
}

fn widen<T: Copy + Ord>(w: &mut Option<(T, T)>, at: T) {
    *w = Some(match *w {
        None => (at, at),
        Some((a, b)) => (a.min(at), b.max(at)),
    });
}

impl AccessWindows {
    /// Converts the DMA's cycles (counted from the start command) into contract cycles once the
    /// run's prologue length is known.
    pub fn finish(&mut self, load_cycles: u64) {
        let conv = |w: Option<(u64, u64)>| {
            w.map(|(a, b)| (a as i64 - load_cycles as i64, b as i64 - load_cycles as i64))
        };
        self.dram_a_read = conv(self.wall_dram[0]);
        self.dram_b_read = conv(self.wall_dram[1]);
        self.dram_c_write = conv(self.wall_dram[2]);
    }
}

impl Probe for AccessWindows {
    fn buffer_read(&mut self, cycle: u64, buf: BufferId, _addr: usize, _lanes: usize) {
        match buf {
            BufferId::A => widen(&mut self.sram_a_read, cycle as i64),
            BufferId::B => widen(&mut self.sram_b_read, cycle as i64),
            BufferId::C => {}
        }
    }

    fn buffer_write(&mut self, cycle: u64, buf: BufferId, _addr: usize, _values: &[i32]) {
        if buf == BufferId::C {
            widen(&mut self.sram_c_write, cycle as i64);
        }
    }

    fn dram_request(&mut self, req: &DramRequest) {
        match (req.buf, req.write) {
            (BufferId::A, false) => widen(&mut self.wall_dram[0], req.wall),
            (BufferId::B, false) => widen(&mut self.wall_dram[1], req.wall),
            (BufferId::C, true) => widen(&mut self.wall_dram[2], req.wall),
            _ => {}
        }
    }
}
