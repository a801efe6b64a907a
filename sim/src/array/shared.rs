//! What every unit of the machine reaches during a cycle: the config and the controller's
//! schedule (the plan), the memory system, the probe, the event counters and the hazard count.
//! `machine.rs` owns one [`Shared`] per run and lends it to the units in turn (the edge ports,
//! the output path, the clock), so that no unit holds another's state.

use crate::config::{ArchConfig, BufferId};
use crate::events::EventCounts;
use crate::mapping::schedule::Plan;
use crate::memory::dma::MemorySystem;
use crate::probe::Probe;

/// Internal diagnostics of a run (tests use them to show the schedule is hazard-free).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Diagnostics {
    /// Values lost inside the array or output rows that did not match the controller's
    /// expectation. Zero in every correct run.
    pub(crate) hazards: u64,
}

/// The run-wide state the units of the machine share.
pub(super) struct Shared<'a, P> {
    pub(super) cfg: &'a ArchConfig,
    /// The controller's static schedule.
    pub(super) plan: &'a Plan,
    pub(super) probe: &'a mut P,
    /// The memory system (`None`: the ideal model, everything on chip before cycle 0).
    pub(super) mem: Option<MemorySystem>,
    pub(super) ev: EventCounts,
    pub(super) diag: Diagnostics,
}

impl<P: Probe> Shared<'_, P> {
    /// A read of `lanes` elements at vector `addr` of buffer `buf` was issued in contract cycle
    /// `now`: counts it and reports it to the probe.
    #[inline(always)]
    pub(super) fn buffer_read(&mut self, now: u64, buf: BufferId, addr: usize, lanes: usize) {
        let words = self.cfg.words_for(buf, lanes as u32);
        let n = lanes as u64;
        let ev = &mut self.ev;
        match buf {
            BufferId::A => {
                ev.a_buf_reads += words;
                ev.a_buf_read_elems += n;
            }
            BufferId::B => {
                ev.b_buf_reads += words;
                ev.b_buf_read_elems += n;
            }
            BufferId::C => {
                ev.c_buf_reads += words;
                ev.c_buf_read_elems += n;
            }
        }
        self.probe.buffer_read(now, buf, addr, lanes);
    }
}
