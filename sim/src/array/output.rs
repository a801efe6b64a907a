//! The output path below the array: the deskew registers, the controller's output-row cursor,
//! the output stage and buffer C (`docs/microarchitecture.md`, "Structure": deskew -> output stage
//! -> buffer C). In each cycle the deskewed bottom row is written to C as one row; a row that
//! accumulates adds the partial sums read back from C `L_C` cycles earlier, and a row's final
//! write is requantized by the output stage in the same cycle. The path also tells the stall wait
//! whether this cycle's read-back and write find their slot in C ("Memory system").

use std::collections::VecDeque;

use super::edge::Deskew;
use super::regs::{popcount, prefix_bits, words};
use super::shared::Shared;
use crate::config::{ArchConfig, BufferId};
use crate::mapping::schedule::{OutOp, Plan};
use crate::matrix::Matrix;
use crate::memory::buffer::Sram;
use crate::memory::dma::MemorySystem;
use crate::probe::Probe;
use crate::quant::OutputStage;

/// The deskew, buffer C and the output stage, with the controller's cursor over output rows.
pub(super) struct OutputPath<'a> {
    deskew: Deskew,
    sram_c: Sram<i32>,
    /// `None`: C stays int32.
    stage: Option<&'a OutputStage>,
    /// The next output row to schedule (fold, step of the fold, its op).
    out_fold: usize,
    out_step: usize,
    next_out: Option<OutOp>,
    /// Scheduled rows not yet written, oldest first (a row that accumulates has had its
    /// read-back issued).
    pending: VecDeque<OutOp>,
    /// The read-back row at C's output this cycle.
    readback: Vec<i32>,
    /// The row being written.
    values: Vec<i32>,
    /// The lanes the controller expects valid in the row being written.
    expect: Vec<u64>,
}

impl<'a> OutputPath<'a> {
    /// An empty deskew, buffer C cleared, the cursor at the plan's first output row.
    pub(super) fn new(cfg: &ArchConfig, plan: &Plan, stage: Option<&'a OutputStage>) -> Self {
        let c = plan.c;
        let lc = &plan.layout_c;
        let latency = cfg.buffer(BufferId::C).read_latency as usize;
        OutputPath {
            deskew: Deskew::new(c),
            sram_c: Sram::new(c, latency, vec![0i32; lc.tiles() * lc.steps() * lc.lanes]),
            stage,
            out_fold: 0,
            out_step: 0,
            next_out: Some(plan.out_op(0, 0)),
            pending: VecDeque::new(),
            readback: vec![0i32; c],
            values: vec![0i32; c],
            expect: vec![0u64; words(c)],
        }
    }

    /// Stall wait: whether the read-back issued in cycle `t`, if any, finds its partial sums in
    /// C, and the row written in `t`, if any, finds a free row in its bank.
    #[inline(always)]
    pub(super) fn ready(&self, plan: &Plan, t: u64, mem: &MemorySystem) -> bool {
        let readback = match self.next_out {
            Some(op) if op.accumulate && op.edge + plan.delta - plan.lat_c == t as i64 => {
                mem.readback_ready()
            }
            _ => true,
        };
        let write = match self.pending.front() {
            Some(op) if op.edge + plan.delta == t as i64 => mem.write_ready(plan, op),
            _ => true,
        };
        readback && write
    }

    /// Whether every output row has been written.
    #[inline(always)]
    pub(super) fn finished(&self) -> bool {
        self.pending.is_empty() && self.next_out.is_none()
    }

    /// Cycle `t` (contract cycle `now`, `wall` from the start command): the bottom row enters
    /// the deskew, this cycle's read-back is issued and the deskewed row is written. Returns the
    /// banks of C the datapath read and wrote (the DMA keeps off them this cycle).
    #[inline(always)]
    pub(super) fn cycle<P: Probe>(
        &mut self,
        t: u64,
        (now, wall): (u64, u64),
        (bottom, bottom_valid): (&[i32], &[u64]),
        sh: &mut Shared<'_, P>,
    ) -> (Option<usize>, Option<usize>) {
        // The bottom row leaves through the deskew.
        sh.ev.deskew_hops += self.deskew.cycle(t, bottom, bottom_valid);

        // The read-back issued L_C cycles ago arrives; this cycle's read-back is issued (before
        // the write: the SRAM is read-first); the deskewed row is written.
        let arrived = self.sram_c.output(t).map(|o| {
            self.readback.copy_from_slice(o.data);
            o.addr
        });
        let c_read = self.issue_readback(t, now, sh);
        self.drop_missed(t, sh);
        let c_write = self.write_row(t, (now, wall), arrived, sh);
        (c_read, c_write)
    }

    /// Schedules every output row whose read-back is due by cycle `t` and issues this cycle's
    /// read-back, if any; returns the bank of C it reads.
    #[inline(always)]
    fn issue_readback<P: Probe>(
        &mut self,
        t: u64,
        now: u64,
        sh: &mut Shared<'_, P>,
    ) -> Option<usize> {
        let plan = sh.plan;
        let mut c_read = None;
        let mut read = None;
        while let Some(op) = self.next_out {
            // A row that accumulates must have its read-back issued exactly L_C cycles before its
            // write; a row that does not is only queued (no read), possibly before cycle 0.
            let at = op.edge + plan.delta - plan.lat_c;
            if at > t as i64 {
                break;
            }
            if op.accumulate {
                if at < t as i64 || read.is_some() {
                    // Late, or two read-backs in one cycle: only a broken schedule gets here.
                    sh.diag.hazards += 1;
                } else {
                    read = Some((op.addr, op.count));
                    sh.buffer_read(now, BufferId::C, op.addr, op.count);
                    if let Some(mem) = sh.mem.as_mut() {
                        c_read = Some(mem.on_readback(plan, &op));
                    }
                }
            }
            self.pending.push_back(op);
            self.out_step += 1;
            if self.out_step == plan.out_steps(self.out_fold) {
                self.out_step = 0;
                self.out_fold += 1;
            }
            self.next_out =
                (self.out_fold < plan.folds()).then(|| plan.out_op(self.out_fold, self.out_step));
        }
        self.sram_c.issue_read(t, read);
        c_read
    }

    /// Drops the rows whose write cycle passed unwritten (only a broken schedule leaves one).
    #[inline(always)]
    fn drop_missed<P>(&mut self, t: u64, sh: &mut Shared<'_, P>) {
        let delta = sh.plan.delta;
        while self
            .pending
            .front()
            .is_some_and(|op| op.edge + delta < t as i64)
        {
            self.pending.pop_front();
            sh.diag.hazards += 1;
        }
    }

    /// Writes the deskewed row to C if one is due in cycle `t`: the read-back that `arrived`
    /// (its address) is added when the row accumulates, and the output stage requantizes a
    /// row's final write. Returns the bank of C it writes.
    #[inline(always)]
    fn write_row<P: Probe>(
        &mut self,
        t: u64,
        (now, wall): (u64, u64),
        arrived: Option<usize>,
        sh: &mut Shared<'_, P>,
    ) -> Option<usize> {
        let plan = sh.plan;
        let row_valid = popcount(&self.deskew.out_valid) > 0;
        let due = self
            .pending
            .front()
            .is_some_and(|op| op.edge + plan.delta == t as i64);
        if !due {
            if row_valid {
                // A row left the array when the controller expected none.
                sh.diag.hazards += 1;
            }
            return None;
        }
        let op = self.pending.pop_front().expect("checked");
        prefix_bits(&mut self.expect, op.count);
        if self.deskew.out_valid != self.expect {
            sh.diag.hazards += 1;
        }
        for j in 0..plan.c {
            let base = if op.accumulate && arrived == Some(op.addr) {
                self.readback[j]
            } else {
                0
            };
            self.values[j] = base.wrapping_add(self.deskew.out_val[j]);
        }
        if op.accumulate && arrived != Some(op.addr) {
            sh.diag.hazards += 1;
        }
        if let (Some(st), true) = (self.stage, op.last) {
            for (j, v) in self.values[..op.count].iter_mut().enumerate() {
                let ch = op.channel + if op.channel_per_lane { j } else { 0 };
                *v = i32::from(st.apply(ch, *v));
            }
            sh.ev.output_stage_ops += op.count as u64;
        }
        self.sram_c.write(op.addr, &self.expect, &self.values);
        sh.ev.c_buf_writes += sh.cfg.words_for(BufferId::C, op.count as u32);
        sh.ev.c_buf_write_elems += op.count as u64;
        sh.probe
            .buffer_write(now, BufferId::C, op.addr, &self.values[..op.count]);
        sh.mem.as_mut().map(|mem| mem.on_write(plan, &op, wall))
    }

    /// C as the run left it in buffer C.
    pub(super) fn into_c(self, plan: &Plan) -> Matrix<i32> {
        plan.layout_c.unpack(self.sram_c.contents())
    }
}
