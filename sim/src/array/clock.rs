//! The machine's clock against the memory system (`docs/microarchitecture.md`, "Memory system"):
//! it counts wall cycles from the start command and splits them into the DMA's prologue (load),
//! the datapath's active cycles and its stalls. It owns the two loops in which only the memory
//! system steps: the stall wait before an active cycle (every register of the datapath holds
//! until the cycle's reads find their data and its write finds a slot in C) and the drain of C
//! after the last write.

use super::shared::Shared;
use crate::memory::dma::MemorySystem;
use crate::probe::Probe;

/// Wall cycles, and how many of them were the prologue and stalls.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Clock {
    /// Every cycle from the start command: the prologue, then cycle 0, stalls included.
    pub(super) wall: u64,
    /// The DMA's prologue, before cycle 0 (contract cycle = `wall - load_cycles`).
    pub(super) load_cycles: u64,
    /// Cycles in which the datapath stalled after the prologue.
    pub(super) stall_cycles: u64,
}

impl Clock {
    /// The contract cycle of the current wall cycle.
    #[inline(always)]
    pub(super) fn now(&self) -> u64 {
        self.wall - self.load_cycles
    }

    /// Stall wait before active cycle `t`: steps the memory system alone until `go` says the
    /// cycle may go on, counting the waited cycles as prologue (before cycle 0 starts) or stalls.
    /// `go` answers for the whole datapath (the edge ports' reads, the output path's read-back
    /// and write); nothing happens with the ideal memory model.
    #[inline(always)]
    pub(super) fn stall_wait<P: Probe>(
        &mut self,
        t: u64,
        sh: &mut Shared<'_, P>,
        mut go: impl FnMut(&mut MemorySystem) -> bool,
    ) {
        let Some(mem) = sh.mem.as_mut() else {
            return;
        };
        while !go(mem) {
            let loading = t == 0 && self.stall_cycles == 0 && !mem.started();
            let mut waited = 1;
            if !mem.step(
                sh.cfg,
                sh.plan,
                self.wall,
                (None, None),
                &mut sh.ev,
                sh.probe,
            ) {
                // Nothing can move before the next arrival or bus slot: skip to it.
                let next = mem.next_event(sh.plan, self.wall).unwrap_or_else(|| {
                    panic!(
                        "internal error: the memory system of the {} run of {:?} on {} deadlocked at cycle {} (active cycle {t}; {}); please report this",
                        sh.plan.df, sh.plan.shape, sh.cfg.name, self.wall, mem.describe()
                    )
                });
                waited = next - self.wall;
            }
            if loading {
                self.load_cycles += waited;
            } else {
                self.stall_cycles += waited;
            }
            self.wall += waited;
        }
    }

    /// After the last write: steps the memory system until every result of C has left the chip.
    /// Returns the writeback cycles, from the end of the last active cycle to the last result
    /// leaving (0 with the ideal memory model).
    pub(super) fn drain<P: Probe>(&mut self, sh: &mut Shared<'_, P>) -> u64 {
        let Some(mem) = sh.mem.as_mut() else {
            return 0;
        };
        let end = self.wall;
        while !mem.drained() {
            if mem.step(
                sh.cfg,
                sh.plan,
                self.wall,
                (None, None),
                &mut sh.ev,
                sh.probe,
            ) {
                self.wall += 1;
            } else {
                self.wall = mem
                    .next_event(sh.plan, self.wall)
                    .expect("internal error: the final drain deadlocked");
            }
        }
        mem.drain_done().max(end) - end
    }
}
