//! The drain's walk: the folds whose rows of C are final, in run order, under any mapping, with
//! where their rows go in DRAM (`docs/rtl.md`, "Fetch walkers"). The DMA's drain
//! ([`crate::blocks::dma::DrainCursor`]) sends each bank's rows in the order they were written,
//! and needs each final fold's place in C's layout: in OS every fold (its rows bottom first), in
//! WS/IS each output tile once (its last row tile's rows, one per stream step). A [`FoldWalk`]
//! visits them, with the K loop (the array rows' axis, innermost in WS/IS) masked in WS/IS; its
//! row tile is then 0, which WS/IS addresses do not use.
//!
//! A final fold's rows are at `column tile x steps of C + row base + row` in C's layout: the
//! steps of C are M (OS, WS) or N (IS), the row base `row tile x R` (OS) or `s0` (WS/IS). It has
//! the fold's used rows (OS) or chunk length (WS/IS) rows of its used columns' lanes.

use rust_hdl::prelude::*;

use crate::blocks::fold_walk::{FoldWalk, AXIS_ROW, WALK_LOOPS};

/// The drain's walk of an `rows x cols` array (see the module doc).
#[derive(LogicBlock)]
pub struct DrainWalk {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// Go to the run's first final fold.
    pub start: Signal<In, Bit>,
    /// The drain has sent the fold's last row: move to the next final fold.
    pub step: Signal<In, Bit>,
    /// The loop registers ([`crate::blocks::loop_regs::LoopRegs`]): each slot's axis.
    pub axis: [Signal<In, Bits<2>>; WALK_LOOPS],
    /// Iterations.
    pub trips: [Signal<In, Bits<16>>; WALK_LOOPS],
    /// Tiles of the slot's axis.
    pub tiles: [Signal<In, Bits<16>>; WALK_LOOPS],
    /// Tiles per iteration.
    pub stride: [Signal<In, Bits<16>>; WALK_LOOPS],
    /// Inner loop of a blocked dimension.
    pub inner: [Signal<In, Bit>; WALK_LOOPS],
    /// The dataflow is OS.
    pub os: Signal<In, Bit>,
    /// The stream tile and the last chunk's length.
    pub ts: Signal<In, Bits<16>>,
    /// Last chunk's length.
    pub tlast: Signal<In, Bits<16>>,
    /// The stream's extent `T`.
    pub tlen: Signal<In, Bits<16>>,
    /// Steps of C's layout (OS, WS: M; IS: N).
    pub c_steps: Signal<In, Bits<16>>,
    /// Extent of the dimension on the array's rows.
    pub row_dim: Signal<In, Bits<16>>,
    /// Extent of the dimension on the array's columns.
    pub col_dim: Signal<In, Bits<16>>,
    /// The fold's column tile's first step in C's layout (`column tile x steps of C`).
    pub col_base: Signal<Out, Bits<16>>,
    /// Its row base (`row tile x R` in OS, `s0` in WS/IS).
    pub row_base: Signal<Out, Bits<16>>,
    /// Its rows.
    pub rows: Signal<Out, Bits<16>>,
    /// Its lanes (used columns).
    pub cols: Signal<Out, Bits<16>>,
    walk: FoldWalk,
    rt_base: Signal<Local, Bits<16>>,
    ct_first: Signal<Local, Bits<16>>,
    s0: Signal<Local, Bits<16>>,
    row_rem: Signal<Local, Bits<16>>,
    col_rem: Signal<Local, Bits<16>>,
    k_r: Constant<Bits<16>>,
    k_c: Constant<Bits<16>>,
    k_row: Constant<Bits<2>>,
}

impl DrainWalk {
    /// The walk of an `rows x cols` array.
    pub fn new(rows: usize, cols: usize) -> Self {
        let k16 = |v: usize| Constant::new(Bits::<16>::from(v as u64));
        DrainWalk {
            clock: Default::default(),
            start: Default::default(),
            step: Default::default(),
            axis: Default::default(),
            trips: Default::default(),
            tiles: Default::default(),
            stride: Default::default(),
            inner: Default::default(),
            os: Default::default(),
            ts: Default::default(),
            tlast: Default::default(),
            tlen: Default::default(),
            c_steps: Default::default(),
            row_dim: Default::default(),
            col_dim: Default::default(),
            col_base: Default::default(),
            row_base: Default::default(),
            rows: Default::default(),
            cols: Default::default(),
            walk: Default::default(),
            rt_base: Default::default(),
            ct_first: Default::default(),
            s0: Default::default(),
            row_rem: Default::default(),
            col_rem: Default::default(),
            k_r: k16(rows),
            k_c: k16(cols),
            k_row: Constant::new(Bits::<2>::from(AXIS_ROW)),
        }
    }
}

impl Logic for DrainWalk {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, walk);
        for i in 0..6 {
            self.walk.axis[i].next = self.axis[i].val();
            self.walk.trips[i].next = self.trips[i].val();
            self.walk.tiles[i].next = self.tiles[i].val();
            self.walk.stride[i].next = self.stride[i].val();
            self.walk.inner[i].next = self.inner[i].val();
            self.walk.edge_a[i].next = false;
            self.walk.edge_b[i].next = false;
            self.walk.mask[i].next = !self.os.val() & (self.axis[i].val() == self.k_row.val());
        }
        self.walk.start.next = self.start.val();
        self.walk.step.next = self.step.val() & !self.start.val() & !self.walk.final_fold.val();

        self.rt_base.next = bit_cast::<16, 32>(self.walk.row_tile.val() * self.k_r.val());
        self.ct_first.next = bit_cast::<16, 32>(self.walk.col_tile.val() * self.k_c.val());
        self.s0.next = bit_cast::<16, 32>(self.walk.chunk.val() * self.ts.val());
        self.col_base.next = bit_cast::<16, 32>(self.walk.col_tile.val() * self.c_steps.val());
        self.col_rem.next = self.col_dim.val() - self.ct_first.val();
        self.cols.next = self.k_c.val();
        if self.col_rem.val() < self.k_c.val() {
            self.cols.next = self.col_rem.val();
        }
        self.row_rem.next = self.row_dim.val() - self.rt_base.val();
        if self.os.val() {
            self.row_base.next = self.rt_base.val();
            self.rows.next = self.k_r.val();
            if self.row_rem.val() < self.k_r.val() {
                self.rows.next = self.row_rem.val();
            }
        } else {
            self.row_base.next = self.s0.val();
            self.rows.next = self.ts.val();
            if (self.tlen.val() - self.s0.val()) <= self.tlast.val() {
                self.rows.next = self.tlast.val();
            }
        }
    }
}
