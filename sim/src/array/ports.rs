//! The edge ports: buffers A and B with their read pipelines, the controller's two read cursors
//! (one per edge) with the markers that travel beside each read, and the skew registers that
//! feed the array's left and top edges (`docs/microarchitecture.md`, "Structure"; the edge
//! schedules are in the dataflow sections). Each port also tells the stall wait whether this
//! cycle's read finds its vector (`docs/microarchitecture.md`, "Memory system").

use super::edge::Skew;
use super::shared::Shared;
use crate::config::{ArchConfig, BufferId};
use crate::mapping::schedule::{EdgeOp, Plan, Port};
use crate::matrix::{Matrix, Operand};
use crate::memory::buffer::Sram;
use crate::memory::dma::MemorySystem;
use crate::probe::Probe;

/// One edge port of the controller: its next op and the markers travelling beside the SRAM read.
struct PortState {
    port: Port,
    buf: BufferId,
    latency: i64,
    fold: usize,
    step: usize,
    next: Option<EdgeOp>,
    ctl_flags: Vec<u8>,
    ctl_tag: Vec<u16>,
}

impl PortState {
    fn new(plan: &Plan, port: Port) -> Self {
        let (buf, latency) = match port {
            Port::Left => (plan.left_buf, plan.lat_left),
            Port::Top => (plan.top_buf, plan.lat_top),
        };
        let mut p = PortState {
            port,
            buf,
            latency,
            fold: 0,
            step: 0,
            next: None,
            ctl_flags: vec![0; latency as usize],
            ctl_tag: vec![0; latency as usize],
        };
        p.next = Some(plan.edge_op(port, 0, 0));
        p
    }

    /// The op to issue in cycle `t`, if one is due; advances the cursor. An op whose cycle has
    /// passed (only a broken schedule produces one) is issued late and counted in `late`.
    fn due(&mut self, plan: &Plan, t: u64, late: &mut u64) -> Option<EdgeOp> {
        let op = self.next?;
        let at = op.edge + plan.delta - self.latency;
        if at > t as i64 {
            return None;
        }
        if at < t as i64 {
            *late += 1;
        }
        self.step += 1;
        if self.step == plan.edge_steps(self.port, self.fold) {
            self.step = 0;
            self.fold += 1;
        }
        self.next =
            (self.fold < plan.folds()).then(|| plan.edge_op(self.port, self.fold, self.step));
        Some(op)
    }

    /// Stall wait: whether the read this port issues in cycle `t`, if any, finds its vector.
    #[inline(always)]
    fn read_ready(&self, plan: &Plan, t: u64, mem: &MemorySystem) -> bool {
        match self.next {
            Some(op) if op.count > 0 && op.edge + plan.delta - self.latency <= t as i64 => {
                mem.read_ready(plan, op.buffer, op.fold)
            }
            _ => true,
        }
    }
}

/// Buffers A and B, the controller's left and top read cursors, and the skew of both edges.
pub(super) struct EdgePorts<T> {
    sram_a: Sram<T>,
    sram_b: Sram<T>,
    /// Left, then top.
    ports: [PortState; 2],
    /// The left edge's skew; its outputs are the array's left inputs this cycle.
    pub(super) skew_left: Skew<T>,
    /// The top edge's skew.
    pub(super) skew_top: Skew<T>,
    /// The contract cycle of each fold's first left-edge read (`u64::MAX` until it is issued).
    pub(super) fold_start: Vec<u64>,
}

impl<T: Operand> EdgePorts<T> {
    /// Buffers A and B loaded with `a` and `b` in the plan's vector layouts, the cursors at
    /// fold 0 and the skews empty.
    pub(super) fn new(cfg: &ArchConfig, plan: &Plan, a: &Matrix<T>, b: &Matrix<T>) -> Self {
        let lat = |id: BufferId| cfg.buffer(id).read_latency as usize;
        EdgePorts {
            sram_a: Sram::new(plan.layout_a.lanes, lat(BufferId::A), plan.layout_a.pack(a)),
            sram_b: Sram::new(plan.layout_b.lanes, lat(BufferId::B), plan.layout_b.pack(b)),
            ports: [
                PortState::new(plan, Port::Left),
                PortState::new(plan, Port::Top),
            ],
            skew_left: Skew::new(plan.r),
            skew_top: Skew::new(plan.c),
            fold_start: vec![u64::MAX; plan.folds()],
        }
    }

    /// Stall wait: whether every read the controller issues in cycle `t` finds its vector.
    #[inline(always)]
    pub(super) fn reads_ready(&self, plan: &Plan, t: u64, mem: &MemorySystem) -> bool {
        self.ports.iter().all(|p| p.read_ready(plan, t, mem))
    }

    /// Cycle `t` (contract cycle `now`): the buffer outputs during `t` enter the edge skews
    /// (which compute the array's edge inputs), then the controller issues this cycle's reads.
    #[inline(always)]
    pub(super) fn cycle<P: Probe>(&mut self, t: u64, now: u64, sh: &mut Shared<'_, P>) {
        let EdgePorts {
            sram_a,
            sram_b,
            ports,
            skew_left,
            skew_top,
            fold_start,
        } = self;
        let plan = sh.plan;
        for (pi, skew) in [(0usize, skew_left), (1usize, skew_top)] {
            let port = &mut ports[pi];
            let s = (t % port.latency as u64) as usize;
            let (flags, tag) = (port.ctl_flags[s], port.ctl_tag[s]);
            let sram = if port.buf == BufferId::A {
                &mut *sram_a
            } else {
                &mut *sram_b
            };
            let out = sram.output(t).map(|o| (o.data, o.count));
            sh.ev.skew_hops += skew.cycle(t, out, flags, tag);
            match port.due(plan, t, &mut sh.diag.hazards) {
                Some(op) => {
                    sram.issue_read(t, Some((op.addr, op.count)));
                    port.ctl_flags[s] = op.flags;
                    port.ctl_tag[s] = op.tag;
                    if op.count > 0 {
                        sh.buffer_read(now, op.buffer, op.addr, op.count);
                        if let Some(mem) = sh.mem.as_mut() {
                            mem.on_read(plan, op.buffer, op.fold, op.addr);
                        }
                    }
                    if port.port == Port::Left {
                        fold_start[op.fold] = fold_start[op.fold].min(now);
                    }
                }
                None => {
                    sram.issue_read(t, None);
                    port.ctl_flags[s] = 0;
                    port.ctl_tag[s] = 0;
                }
            }
        }
    }
}
