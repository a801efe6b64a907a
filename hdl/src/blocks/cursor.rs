//! A fetch cursor of the DMA: walks the folds of a GEMM in SCALE-Sim's order (column tiles outer,
//! row tiles inner) on its own and shows the vector the DMA fetches next and its deadline. The
//! controller's own schedule cursors take mapped fold orders from the fold queue
//! ([`crate::blocks::fold_cursor`]); these two keep SCALE-Sim's walk until the DMA's fetches follow
//! the queue (`docs/rtl.md`, "Mapped fold orders"), so with DRAM the RTL runs that order only.
//!
//! Fold `f`'s step `s` is issued in cycle `first + s` for fold 0, `second + s` for fold 1 and
//! `second + (f-1)*interval + s` after that. In slot mode a step stands for array row `R-1-s`,
//! and it is active only when that row is inside the tile (preload slots, OS output rows).
//!
//! `issue` says which op is due in this cycle even when the cycle stalls (`hold`): the op's
//! effects (the read, the write, the step to the next op) are what a stall cancels, so that the
//! DMA can decide the stall from the request without a combinational loop.
//!
//! DMA mode (`dma` high): the same walk, but the cursor moves when told (`step`), not on the
//! timetable, and `due` shows the cycle in which the controller will read the current op (the
//! fetch's deadline). In slot mode it skips the slots outside the tile (they read nothing), so
//! its current op always moves a vector. The DMA's fetch cursors run ahead of the controller's.

use rust_hdl::prelude::*;

/// One cursor (see the module doc).
#[derive(LogicBlock)]
pub struct Cursor {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// Load the run parameters and start at fold 0 (one cycle).
    pub start: Signal<In, Bit>,
    /// Issue ops only while enabled.
    pub en: Signal<In, Bit>,
    /// A stalled cycle: the op due now (`issue`) stays due, and the cursor holds every register.
    pub hold: Signal<In, Bit>,
    /// DMA mode (see the module doc).
    pub dma: Signal<In, Bit>,
    /// DMA mode: issue the current op now and move to the next.
    pub step: Signal<In, Bit>,
    /// A fold of this cursor stands for two or more folds of the run (`early` drops after the
    /// first fold).
    pub stride2: Signal<In, Bit>,
    /// The cursor's time base.
    pub t: Signal<In, Bits<32>>,
    /// Issue cycle of fold 0's first step.
    pub t_first: Signal<In, Bits<32>>,
    /// Issue cycle of fold 1's first step.
    pub t_second: Signal<In, Bits<32>>,
    /// Fold interval `I`.
    pub interval: Signal<In, Bits<32>>,
    /// Steps per fold.
    pub steps: Signal<In, Bits<16>>,
    /// Steps stand for array rows `R-1-s`.
    pub slot_mode: Signal<In, Bit>,
    /// Extents of the array-row and array-column dimensions of the GEMM.
    pub row_dim: Signal<In, Bits<16>>,
    /// Extent of the GEMM dimension mapped on the array's columns.
    pub col_dim: Signal<In, Bits<16>>,
    /// Address increments per row tile and per column tile.
    pub rt_step: Signal<In, Bits<16>>,
    /// Address increment per column tile.
    pub ct_step: Signal<In, Bits<16>>,
    /// An op is issued this cycle.
    pub issue: Signal<Out, Bit>,
    /// Its address (tile bases + step, or + slot row in slot mode).
    pub addr: Signal<Out, Bits<16>>,
    /// Array rows the current fold uses.
    pub rows_used: Signal<Out, Bits<16>>,
    /// Array columns the current fold uses.
    pub cols_used: Signal<Out, Bits<16>>,
    /// Array row of the current step in slot mode.
    pub slot_row: Signal<Out, Bits<16>>,
    /// The slot's row is inside the tile.
    pub slot_active: Signal<Out, Bit>,
    /// The fold is not the first row tile of its column tile (WS/IS: it accumulates).
    pub rt_nz: Signal<Out, Bit>,
    /// The op is its fold's first step.
    pub first_step: Signal<Out, Bit>,
    /// The op is its fold's last step.
    pub last_step: Signal<Out, Bit>,
    /// This op is the last of the run.
    pub final_op: Signal<Out, Bit>,
    /// From the start command until done.
    pub busy: Signal<Out, Bit>,
    /// The cycle (of the time base) in which the current op is due.
    pub due: Signal<Out, Bits<32>>,
    /// The current fold is not in the first column tile.
    pub ct_nz: Signal<Out, Bit>,
    /// The current fold's index is odd.
    pub fold_odd: Signal<Out, Bit>,
    /// The current fold's column tile is odd.
    pub ct_odd: Signal<Out, Bit>,
    /// The current fold is its column tile's last row tile.
    pub last_rt: Signal<Out, Bit>,
    /// The current op belongs to one of the run's first two folds.
    pub early: Signal<Out, Bit>,
    /// The current step within the fold.
    pub step_idx: Signal<Out, Bits<16>>,
    /// Columns of the column dimension in the tiles before the current one (the current
    /// tile's first column).
    pub col_done: Signal<Out, Bits<16>>,
    r: Constant<Bits<16>>,
    c: Constant<Bits<16>>,
    r1: Constant<Bits<16>>,
    one16: Constant<Bits<16>>,
    one32: Constant<Bits<32>>,
    zero16: Constant<Bits<16>>,
    run: DFF<Bit>,
    s: DFF<Bits<16>>,
    next_time: DFF<Bits<32>>,
    next_fold: DFF<Bits<32>>,
    row_rem: DFF<Bits<16>>,
    col_rem: DFF<Bits<16>>,
    rt_base: DFF<Bits<16>>,
    ct_base: DFF<Bits<16>>,
    nz: DFF<Bit>,
    ctnz: DFF<Bit>,
    fodd: DFF<Bit>,
    codd: DFF<Bit>,
    fcnt: DFF<Bits<2>>,
    k_two: Constant<Bits<2>>,
    k_one2: Constant<Bits<2>>,
    k_zero2: Constant<Bits<2>>,
    rr_n: Signal<Local, Bits<16>>,
    ru_n: Signal<Local, Bits<16>>,
    skip_n: Signal<Local, Bits<16>>,
    ru_0: Signal<Local, Bits<16>>,
    skip_0: Signal<Local, Bits<16>>,
    s_next: Signal<Local, Bits<16>>,
    ru: Signal<Local, Bits<16>>,
    cu: Signal<Local, Bits<16>>,
    base: Signal<Local, Bits<16>>,
    offset: Signal<Local, Bits<16>>,
    fire: Signal<Local, Bit>,
    last: Signal<Local, Bit>,
    more_rows: Signal<Local, Bit>,
    more_cols: Signal<Local, Bit>,
}

impl Cursor {
    /// A cursor for an `rows x cols` array.
    pub fn new(rows: usize, cols: usize) -> Self {
        let b16 = |v: usize| Constant::new(Bits::<16>::from(v as u64));
        Cursor {
            clock: Default::default(),
            start: Default::default(),
            en: Default::default(),
            hold: Default::default(),
            dma: Default::default(),
            step: Default::default(),
            stride2: Default::default(),
            t: Default::default(),
            t_first: Default::default(),
            t_second: Default::default(),
            interval: Default::default(),
            steps: Default::default(),
            slot_mode: Default::default(),
            row_dim: Default::default(),
            col_dim: Default::default(),
            rt_step: Default::default(),
            ct_step: Default::default(),
            issue: Default::default(),
            addr: Default::default(),
            rows_used: Default::default(),
            cols_used: Default::default(),
            slot_row: Default::default(),
            slot_active: Default::default(),
            rt_nz: Default::default(),
            first_step: Default::default(),
            last_step: Default::default(),
            final_op: Default::default(),
            busy: Default::default(),
            due: Default::default(),
            ct_nz: Default::default(),
            fold_odd: Default::default(),
            ct_odd: Default::default(),
            last_rt: Default::default(),
            early: Default::default(),
            step_idx: Default::default(),
            col_done: Default::default(),
            r: b16(rows),
            c: b16(cols),
            r1: b16(rows - 1),
            one16: b16(1),
            one32: Constant::new(Bits::<32>::from(1u64)),
            zero16: b16(0),
            run: Default::default(),
            s: Default::default(),
            next_time: Default::default(),
            next_fold: Default::default(),
            row_rem: Default::default(),
            col_rem: Default::default(),
            rt_base: Default::default(),
            ct_base: Default::default(),
            nz: Default::default(),
            ctnz: Default::default(),
            fodd: Default::default(),
            codd: Default::default(),
            fcnt: Default::default(),
            k_two: Constant::new(Bits::<2>::from(2u64)),
            k_one2: Constant::new(Bits::<2>::from(1u64)),
            k_zero2: Constant::new(Bits::<2>::from(0u64)),
            rr_n: Default::default(),
            ru_n: Default::default(),
            skip_n: Default::default(),
            ru_0: Default::default(),
            skip_0: Default::default(),
            s_next: Default::default(),
            ru: Default::default(),
            cu: Default::default(),
            base: Default::default(),
            offset: Default::default(),
            fire: Default::default(),
            last: Default::default(),
            more_rows: Default::default(),
            more_cols: Default::default(),
        }
    }
}

impl Logic for Cursor {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, run, s, next_time, next_fold, row_rem, col_rem, rt_base, ct_base, nz,
            ctnz, fodd, codd, fcnt
        );
        // Outputs are written once per evaluation, through locals: a default-then-override
        // write on a port makes two events in an event-driven simulator, and two blocks that do
        // that to each other's inputs re-trigger each other forever (measured in Icarus).
        self.ru.next = self.r.val();
        if self.row_rem.q.val() < self.r.val() {
            self.ru.next = self.row_rem.q.val();
        }
        self.cu.next = self.c.val();
        if self.col_rem.q.val() < self.c.val() {
            self.cu.next = self.col_rem.q.val();
        }
        self.rows_used.next = self.ru.val();
        self.cols_used.next = self.cu.val();
        self.slot_row.next = self.r1.val() - self.s.q.val();
        self.slot_active.next = (self.r1.val() - self.s.q.val()) < self.ru.val();
        self.base.next = self.ct_base.q.val() + self.rt_base.q.val();
        self.offset.next = self.s.q.val();
        if self.slot_mode.val() {
            self.offset.next = self.r1.val() - self.s.q.val();
        }
        self.addr.next = self.base.val() + self.offset.val();
        self.rt_nz.next = self.nz.q.val();
        self.busy.next = self.run.q.val();
        self.s_next.next = self.s.q.val() + self.one16.val();
        self.first_step.next = self.s.q.val() == self.zero16.val();
        self.last.next = self.s_next.val() == self.steps.val();
        self.last_step.next = self.last.val();
        self.more_rows.next = self.row_rem.q.val() > self.r.val();
        self.more_cols.next = self.col_rem.q.val() > self.c.val();
        self.fire.next =
            self.en.val() & self.run.q.val() & (self.t.val() == self.next_time.q.val());
        if self.dma.val() {
            self.fire.next = self.run.q.val() & self.step.val();
        }
        self.issue.next = self.fire.val();
        self.due.next = self.next_time.q.val();
        self.step_idx.next = self.s.q.val();
        self.col_done.next = self.col_dim.val() - self.col_rem.q.val();
        self.ct_nz.next = self.ctnz.q.val();
        self.fold_odd.next = self.fodd.q.val();
        self.ct_odd.next = self.codd.q.val();
        self.last_rt.next = !self.more_rows.val();
        self.early.next = self.run.q.val() & (self.fcnt.q.val() < self.k_two.val());
        // DMA mode, slot mode: a fold starts at its first slot inside the tile (slot s stands
        // for array row R-1-s, and only rows below rows_used are inside).
        self.ru_0.next = self.r.val();
        if self.row_dim.val() < self.r.val() {
            self.ru_0.next = self.row_dim.val();
        }
        self.rr_n.next = self.row_dim.val();
        if self.more_rows.val() {
            self.rr_n.next = self.row_rem.q.val() - self.r.val();
        }
        self.ru_n.next = self.r.val();
        if self.rr_n.val() < self.r.val() {
            self.ru_n.next = self.rr_n.val();
        }
        self.skip_0.next = self.zero16.val();
        self.skip_n.next = self.zero16.val();
        if self.dma.val() & self.slot_mode.val() {
            self.skip_0.next = self.r.val() - self.ru_0.val();
            self.skip_n.next = self.r.val() - self.ru_n.val();
        }
        self.final_op.next =
            self.fire.val() & self.last.val() & !self.more_rows.val() & !self.more_cols.val();

        if self.start.val() {
            self.run.d.next = true;
            self.s.d.next = self.skip_0.val();
            self.next_time.d.next = self.t_first.val() + bit_cast::<32, 16>(self.skip_0.val());
            self.next_fold.d.next = self.t_second.val();
            self.row_rem.d.next = self.row_dim.val();
            self.col_rem.d.next = self.col_dim.val();
            self.rt_base.d.next = self.zero16.val();
            self.ct_base.d.next = self.zero16.val();
            self.nz.d.next = false;
            self.ctnz.d.next = false;
            self.fodd.d.next = false;
            self.codd.d.next = false;
            self.fcnt.d.next = self.k_zero2.val();
        } else if self.fire.val() & !self.hold.val() {
            if self.last.val() {
                // The fold's last step: move to the next fold (row tiles inner).
                self.s.d.next = self.skip_n.val();
                self.next_time.d.next =
                    self.next_fold.q.val() + bit_cast::<32, 16>(self.skip_n.val());
                self.fodd.d.next = !self.fodd.q.val();
                if self.stride2.val() {
                    self.fcnt.d.next = self.k_two.val();
                } else if self.fcnt.q.val() < self.k_two.val() {
                    self.fcnt.d.next = self.fcnt.q.val() + self.k_one2.val();
                }
                self.next_fold.d.next = self.next_fold.q.val() + self.interval.val();
                if self.more_rows.val() {
                    self.row_rem.d.next = self.row_rem.q.val() - self.r.val();
                    self.rt_base.d.next = self.rt_base.q.val() + self.rt_step.val();
                    self.nz.d.next = true;
                } else {
                    self.row_rem.d.next = self.row_dim.val();
                    self.rt_base.d.next = self.zero16.val();
                    self.nz.d.next = false;
                    if self.more_cols.val() {
                        self.col_rem.d.next = self.col_rem.q.val() - self.c.val();
                        self.ct_base.d.next = self.ct_base.q.val() + self.ct_step.val();
                        self.ctnz.d.next = true;
                        self.codd.d.next = !self.codd.q.val();
                    } else {
                        self.run.d.next = false;
                    }
                }
            } else {
                self.s.d.next = self.s_next.val();
                self.next_time.d.next = self.next_time.q.val() + self.one32.val();
            }
        }
    }
}
