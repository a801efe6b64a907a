//! A schedule cursor of the controller: walks the folds of a mapping in the order the fold queue
//! ([`crate::blocks::fold_queue::FoldQueue`]) hands them over, and issues one op per step on the
//! contract's static timetable (`docs/microarchitecture.md`, "Mappings and fold order"). The
//! controller has four: the left-edge stream, the top edge (OS stream or WS/IS preload slots),
//! the C write-back and the C read-back.
//!
//! Fold `f`'s step `s` is issued in cycle `start(f) + s`. The first fold starts at `t_first`;
//! each fold starts its interval after the one before it. A stream cursor's fold `f + 1` starts
//! `I_f` after fold `f`, where `I_f` is the interval of fold `f`'s chunk (a full chunk's or the
//! last, shorter chunk's); a preload cursor (`lag`) runs one fold ahead of the stream, so its fold
//! `f + 1` starts `I_{f-1}` after fold `f`, and fold 1 at `t_second`. In slot mode a step stands
//! for array row `R-1-s`, and it is active only when that row is inside the tile (preload slots,
//! OS output rows).
//!
//! The cursor takes its fold's entry from the queue when it starts and when it moves on, and
//! keeps it in its own registers. `issue` says which op is due in this cycle even when the
//! cycle stalls (`hold`): the op's effects (the read, the write, the step to the next op) are
//! what a stall cancels, so that the DMA can decide the stall from the request without a
//! combinational loop.

use rust_hdl::prelude::*;

/// Which of an entry's addresses a cursor steps from.
pub const BASE_LEFT: u64 = 0;
/// The top edge's tile address.
pub const BASE_TOP: u64 = 1;
/// C's row address.
pub const BASE_OUT: u64 = 2;

/// One cursor (see the module doc).
#[derive(LogicBlock)]
pub struct FoldCursor {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// Load fold 0 from the queue and start (one cycle).
    pub start: Signal<In, Bit>,
    /// Issue ops only while enabled.
    pub en: Signal<In, Bit>,
    /// A stalled cycle: the op due now (`issue`) stays due, and the cursor holds every register.
    pub hold: Signal<In, Bit>,
    /// The cursor's time base.
    pub t: Signal<In, Bits<32>>,
    /// Issue cycle of fold 0's first step.
    pub t_first: Signal<In, Bits<32>>,
    /// Preload cursors: issue cycle of fold 1's first step.
    pub t_second: Signal<In, Bits<32>>,
    /// A preload cursor (see the module doc).
    pub lag: Signal<In, Bit>,
    /// Steps stand for array rows `R-1-s`, `R` per fold.
    pub slot_mode: Signal<In, Bit>,
    /// Which address of the entry the steps add to ([`BASE_LEFT`] .. [`BASE_OUT`]).
    pub base_sel: Signal<In, Bits<2>>,
    /// Steps of a fold with a full chunk (not in slot mode).
    pub len_full: Signal<In, Bits<16>>,
    /// Steps of a fold with the last chunk.
    pub len_last: Signal<In, Bits<16>>,
    /// The interval after a fold with a full chunk.
    pub i_full: Signal<In, Bits<32>>,
    /// The interval after a fold with the last chunk.
    pub i_last: Signal<In, Bits<32>>,
    /// The queue's entry at this cursor's read pointer: the left edge's address.
    pub h_lbase: Signal<In, Bits<16>>,
    /// The top edge's address.
    pub h_tbase: Signal<In, Bits<16>>,
    /// C's row address.
    pub h_obase: Signal<In, Bits<16>>,
    /// The fold's first column.
    pub h_cbase: Signal<In, Bits<16>>,
    /// Used array rows.
    pub h_rows: Signal<In, Bits<8>>,
    /// Used array columns.
    pub h_cols: Signal<In, Bits<8>>,
    /// The chunk's first stream element.
    pub h_s0: Signal<In, Bits<16>>,
    /// Not the first row tile.
    pub h_rt_nz: Signal<In, Bit>,
    /// Not the first column tile.
    pub h_ct_nz: Signal<In, Bit>,
    /// An odd output tile (the run's output tiles counted in order: C's bank of a WS/IS fold).
    pub h_ot_odd: Signal<In, Bit>,
    /// The last row tile.
    pub h_last_rt: Signal<In, Bit>,
    /// The stream's last chunk.
    pub h_last_chunk: Signal<In, Bit>,
    /// The run's last fold.
    pub h_final: Signal<In, Bit>,
    /// Its nest flags (`fold_queue::NEST_ADVANCED_SHIFT`).
    pub h_nest: Signal<In, Bits<8>>,
    /// The cursor takes the queue's entry this cycle (its read pointer moves on).
    pub take: Signal<Out, Bit>,
    /// An op is issued this cycle.
    pub issue: Signal<Out, Bit>,
    /// Its address (the fold's base + step, or + slot row in slot mode).
    pub addr: Signal<Out, Bits<16>>,
    /// Array rows the current fold uses.
    pub rows_used: Signal<Out, Bits<16>>,
    /// Array columns the current fold uses.
    pub cols_used: Signal<Out, Bits<16>>,
    /// Array row of the current step in slot mode.
    pub slot_row: Signal<Out, Bits<16>>,
    /// The slot's row is inside the tile.
    pub slot_active: Signal<Out, Bit>,
    /// The fold is not the first row tile (WS/IS: it accumulates).
    pub rt_nz: Signal<Out, Bit>,
    /// The fold is not in the first column tile.
    pub ct_nz: Signal<Out, Bit>,
    /// The fold's output tile is odd.
    pub ot_odd: Signal<Out, Bit>,
    /// The fold is the last row tile.
    pub last_rt: Signal<Out, Bit>,
    /// The fold's index is odd.
    pub fold_odd: Signal<Out, Bit>,
    /// The op is its fold's first step.
    pub first_step: Signal<Out, Bit>,
    /// The current fold's nest flags (`fold_queue::NEST_ADVANCED_SHIFT`).
    pub nest: Signal<Out, Bits<8>>,
    /// The op is its fold's last step.
    pub last_step: Signal<Out, Bit>,
    /// This op is the last of the run.
    pub final_op: Signal<Out, Bit>,
    /// From the start until the last op.
    pub busy: Signal<Out, Bit>,
    /// The current step within the fold.
    pub step_idx: Signal<Out, Bits<16>>,
    /// The current step's stream element (`s0 + step`).
    pub stream_pos: Signal<Out, Bits<16>>,
    /// The fold's first column.
    pub col_base: Signal<Out, Bits<16>>,
    run: DFF<Bit>,
    s: DFF<Bits<16>>,
    next_time: DFF<Bits<32>>,
    next_fold: DFF<Bits<32>>,
    base: DFF<Bits<16>>,
    rows: DFF<Bits<8>>,
    cols: DFF<Bits<8>>,
    cbase: DFF<Bits<16>>,
    s0: DFF<Bits<16>>,
    f_rt_nz: DFF<Bit>,
    f_ct_nz: DFF<Bit>,
    f_ot_odd: DFF<Bit>,
    f_last_rt: DFF<Bit>,
    f_last_chunk: DFF<Bit>,
    f_final: DFF<Bit>,
    f_nest: DFF<Bits<8>>,
    fodd: DFF<Bit>,
    head_base: Signal<Local, Bits<16>>,
    head_ival: Signal<Local, Bits<32>>,
    cur_ival: Signal<Local, Bits<32>>,
    steps: Signal<Local, Bits<16>>,
    s_next: Signal<Local, Bits<16>>,
    offset: Signal<Local, Bits<16>>,
    fire: Signal<Local, Bit>,
    last: Signal<Local, Bit>,
    moving: Signal<Local, Bit>,
    r: Constant<Bits<16>>,
    r1: Constant<Bits<16>>,
    one16: Constant<Bits<16>>,
    one32: Constant<Bits<32>>,
    zero16: Constant<Bits<16>>,
    k_top: Constant<Bits<2>>,
    k_out: Constant<Bits<2>>,
}

impl FoldCursor {
    /// A cursor for an array of `rows` rows.
    pub fn new(rows: usize) -> Self {
        let b16 = |v: usize| Constant::new(Bits::<16>::from(v as u64));
        FoldCursor {
            clock: Default::default(),
            start: Default::default(),
            en: Default::default(),
            hold: Default::default(),
            t: Default::default(),
            t_first: Default::default(),
            t_second: Default::default(),
            lag: Default::default(),
            slot_mode: Default::default(),
            base_sel: Default::default(),
            len_full: Default::default(),
            len_last: Default::default(),
            i_full: Default::default(),
            i_last: Default::default(),
            h_lbase: Default::default(),
            h_tbase: Default::default(),
            h_obase: Default::default(),
            h_cbase: Default::default(),
            h_rows: Default::default(),
            h_cols: Default::default(),
            h_s0: Default::default(),
            h_rt_nz: Default::default(),
            h_ct_nz: Default::default(),
            h_ot_odd: Default::default(),
            h_last_rt: Default::default(),
            h_last_chunk: Default::default(),
            h_final: Default::default(),
            h_nest: Default::default(),
            take: Default::default(),
            issue: Default::default(),
            addr: Default::default(),
            rows_used: Default::default(),
            cols_used: Default::default(),
            slot_row: Default::default(),
            slot_active: Default::default(),
            rt_nz: Default::default(),
            ct_nz: Default::default(),
            ot_odd: Default::default(),
            last_rt: Default::default(),
            fold_odd: Default::default(),
            first_step: Default::default(),
            last_step: Default::default(),
            final_op: Default::default(),
            nest: Default::default(),
            busy: Default::default(),
            step_idx: Default::default(),
            stream_pos: Default::default(),
            col_base: Default::default(),
            run: Default::default(),
            s: Default::default(),
            next_time: Default::default(),
            next_fold: Default::default(),
            base: Default::default(),
            rows: Default::default(),
            cols: Default::default(),
            cbase: Default::default(),
            s0: Default::default(),
            f_rt_nz: Default::default(),
            f_ct_nz: Default::default(),
            f_ot_odd: Default::default(),
            f_last_rt: Default::default(),
            f_last_chunk: Default::default(),
            f_final: Default::default(),
            f_nest: Default::default(),
            fodd: Default::default(),
            head_base: Default::default(),
            head_ival: Default::default(),
            cur_ival: Default::default(),
            steps: Default::default(),
            s_next: Default::default(),
            offset: Default::default(),
            fire: Default::default(),
            last: Default::default(),
            moving: Default::default(),
            r: b16(rows),
            r1: b16(rows - 1),
            one16: b16(1),
            one32: Constant::new(Bits::<32>::from(1u64)),
            zero16: b16(0),
            k_top: Constant::new(Bits::<2>::from(BASE_TOP)),
            k_out: Constant::new(Bits::<2>::from(BASE_OUT)),
        }
    }
}

impl Logic for FoldCursor {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            run,
            s,
            next_time,
            next_fold,
            base,
            rows,
            cols,
            cbase,
            s0,
            f_rt_nz,
            f_ct_nz,
            f_ot_odd,
            f_last_rt,
            f_last_chunk,
            f_final,
            f_nest,
            fodd
        );
        // Outputs are written once per evaluation, through locals: a default-then-override
        // write on a port makes two events in an event-driven simulator, and two blocks that do
        // that to each other's inputs re-trigger each other forever (measured in Icarus).
        self.head_base.next = self.h_lbase.val();
        if self.base_sel.val() == self.k_top.val() {
            self.head_base.next = self.h_tbase.val();
        }
        if self.base_sel.val() == self.k_out.val() {
            self.head_base.next = self.h_obase.val();
        }
        self.head_ival.next = self.i_full.val();
        if self.h_last_chunk.val() {
            self.head_ival.next = self.i_last.val();
        }
        self.cur_ival.next = self.i_full.val();
        if self.f_last_chunk.q.val() {
            self.cur_ival.next = self.i_last.val();
        }
        self.steps.next = self.len_full.val();
        if self.f_last_chunk.q.val() {
            self.steps.next = self.len_last.val();
        }
        if self.slot_mode.val() {
            self.steps.next = self.r.val();
        }
        self.offset.next = self.s.q.val();
        if self.slot_mode.val() {
            self.offset.next = self.r1.val() - self.s.q.val();
        }
        self.addr.next = self.base.q.val() + self.offset.val();
        self.rows_used.next = bit_cast::<16, 8>(self.rows.q.val());
        self.cols_used.next = bit_cast::<16, 8>(self.cols.q.val());
        self.slot_row.next = self.r1.val() - self.s.q.val();
        self.slot_active.next =
            (self.r1.val() - self.s.q.val()) < bit_cast::<16, 8>(self.rows.q.val());
        self.rt_nz.next = self.f_rt_nz.q.val();
        self.ct_nz.next = self.f_ct_nz.q.val();
        self.ot_odd.next = self.f_ot_odd.q.val();
        self.last_rt.next = self.f_last_rt.q.val();
        self.fold_odd.next = self.fodd.q.val();
        self.busy.next = self.run.q.val();
        self.step_idx.next = self.s.q.val();
        self.stream_pos.next = self.s0.q.val() + self.s.q.val();
        self.col_base.next = self.cbase.q.val();
        self.s_next.next = self.s.q.val() + self.one16.val();
        self.first_step.next = self.s.q.val() == self.zero16.val();
        self.nest.next = self.f_nest.q.val();
        self.last.next = self.s_next.val() == self.steps.val();
        self.last_step.next = self.last.val();
        self.fire.next =
            self.en.val() & self.run.q.val() & (self.t.val() == self.next_time.q.val());
        self.issue.next = self.fire.val();
        self.final_op.next = self.fire.val() & self.last.val() & self.f_final.q.val();
        // Moving to the next fold: the current fold's last step, unless it is the run's last.
        self.moving.next =
            self.fire.val() & !self.hold.val() & self.last.val() & !self.f_final.q.val();
        self.take.next = self.start.val() | self.moving.val();

        if self.start.val() | self.moving.val() {
            self.base.d.next = self.head_base.val();
            self.rows.d.next = self.h_rows.val();
            self.cols.d.next = self.h_cols.val();
            self.cbase.d.next = self.h_cbase.val();
            self.s0.d.next = self.h_s0.val();
            self.f_rt_nz.d.next = self.h_rt_nz.val();
            self.f_ct_nz.d.next = self.h_ct_nz.val();
            self.f_ot_odd.d.next = self.h_ot_odd.val();
            self.f_last_rt.d.next = self.h_last_rt.val();
            self.f_last_chunk.d.next = self.h_last_chunk.val();
            self.f_final.d.next = self.h_final.val();
            self.f_nest.d.next = self.h_nest.val();
            self.s.d.next = self.zero16.val();
        }
        if self.start.val() {
            self.run.d.next = true;
            self.next_time.d.next = self.t_first.val();
            self.next_fold.d.next = self.t_first.val() + self.head_ival.val();
            if self.lag.val() {
                self.next_fold.d.next = self.t_second.val();
            }
            self.fodd.d.next = false;
        } else if self.fire.val() & !self.hold.val() {
            if self.last.val() {
                if self.f_final.q.val() {
                    self.run.d.next = false;
                } else {
                    self.next_time.d.next = self.next_fold.q.val();
                    self.next_fold.d.next = self.next_fold.q.val() + self.head_ival.val();
                    if self.lag.val() {
                        self.next_fold.d.next = self.next_fold.q.val() + self.cur_ival.val();
                    }
                    self.fodd.d.next = !self.fodd.q.val();
                }
            } else {
                self.s.d.next = self.s_next.val();
                self.next_time.d.next = self.next_time.q.val() + self.one32.val();
            }
        }
    }
}
