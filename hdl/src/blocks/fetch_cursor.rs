//! A DMA fetch cursor: the vectors of one edge's operand in the order of the reads that fetch
//! them, under any mapping, with each fetch's deadline (the cycle the controller reads it) and
//! prologue flag (`docs/rtl.md`, "Fetch walkers"). It mirrors the fast model's
//! `OperandStream::advance` and `deadline` (`sim/src/memory/dma.rs`).
//!
//! A [`FetchWalk`] visits the operand's fetching folds; the cursor steps through the current
//! fold's reads that move a vector and moves to the next fold after the last. A stream read `s`
//! of a fold (the left edge, and OS's top edge) reads `tile base + s0 + s` (row tile x T for the
//! left edge, column tile x K for the top) and is due `first + start + s`, `start` being the
//! fold's start less fold 0's. A WS/IS preload reads only the slots inside the tile, from slot
//! `R - rows` on: slot `R - rows + s` carries array row `rows - 1 - s`, at
//! `column tile x K + row tile x R + row`, due in fold 0 at `first + slot` and later at
//! `second + previous fold's start + slot` (a fold's preload runs during its predecessor's
//! stream). The cursor moves when the DMA issues its current vector (`step`), not on a timetable.

use rust_hdl::prelude::*;

use crate::blocks::fetch_walk::FetchWalk;
use crate::blocks::fold_walk::WALK_LOOPS;

/// The fetch cursor (see the module doc) of an `rows x cols` array.
#[derive(LogicBlock)]
pub struct FetchCursor {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// Go to the first fetch of fold 0 (the controller's launch cycle).
    pub start: Signal<In, Bit>,
    /// The DMA issues the current fetch: move to the next.
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
    /// The operand's flags look at the slot (its loops held at their first iteration).
    pub mask: [Signal<In, Bit>; WALK_LOOPS],
    /// Key masks, as [`FetchWalk::chunk_mask`].
    pub chunk_mask: [Signal<In, Bits<8>>; WALK_LOOPS],
    /// As [`FetchWalk::block_mask`].
    pub block_mask: [Signal<In, Bits<8>>; WALK_LOOPS],
    /// Spans under key 0.
    pub span0: [Signal<In, Bits<32>>; WALK_LOOPS],
    /// Key 1.
    pub span1: [Signal<In, Bits<32>>; WALK_LOOPS],
    /// Key 2.
    pub span2: [Signal<In, Bits<32>>; WALK_LOOPS],
    /// Key 3.
    pub span3: [Signal<In, Bits<32>>; WALK_LOOPS],
    /// Fold intervals with a full chunk and with the last.
    pub i_full: Signal<In, Bits<32>>,
    /// Last chunk.
    pub i_last: Signal<In, Bits<32>>,
    /// The stream tile and the last chunk's length.
    pub ts: Signal<In, Bits<16>>,
    /// Last chunk's length.
    pub tlast: Signal<In, Bits<16>>,
    /// The stream's extent `T` (steps of the left edge's layout).
    pub tlen: Signal<In, Bits<16>>,
    /// K (steps of the top edge's layout).
    pub k: Signal<In, Bits<16>>,
    /// Extent of the dimension on the array's rows.
    pub row_dim: Signal<In, Bits<16>>,
    /// Extent of the dimension on the array's columns.
    pub col_dim: Signal<In, Bits<16>>,
    /// The cursor feeds the left edge (else the top edge).
    pub left: Signal<In, Bit>,
    /// The top edge preloads (WS, IS).
    pub preload: Signal<In, Bit>,
    /// The issue cycle of fold 0's first read on this edge.
    pub t_first: Signal<In, Bits<32>>,
    /// Preload: the issue cycle of fold 1's first slot.
    pub t_second: Signal<In, Bits<32>>,
    /// A fetch is pending (from the start until the last is issued).
    pub busy: Signal<Out, Bit>,
    /// Its vector address.
    pub addr: Signal<Out, Bits<16>>,
    /// Its lanes.
    pub count: Signal<Out, Bits<8>>,
    /// The cycle in which the controller reads it.
    pub due: Signal<Out, Bits<32>>,
    /// It belongs to fold 0 or 1 (the prologue); low once the last fetch is issued.
    pub early: Signal<Out, Bit>,
    walk: FetchWalk,
    run: DFF<Bit>,
    s: DFF<Bits<16>>,
    tile: Signal<Local, Bits<16>>,
    tile_steps: Signal<Local, Bits<16>>,
    tile_base: Signal<Local, Bits<16>>,
    s0: Signal<Local, Bits<16>>,
    row_base: Signal<Local, Bits<16>>,
    col_base: Signal<Local, Bits<16>>,
    row_rem: Signal<Local, Bits<16>>,
    col_rem: Signal<Local, Bits<16>>,
    rows_used: Signal<Local, Bits<16>>,
    cols_used: Signal<Local, Bits<16>>,
    ops: Signal<Local, Bits<16>>,
    last_op: Signal<Local, Bit>,
    slot: Signal<Local, Bits<32>>,
    base_time: Signal<Local, Bits<32>>,
    s32: Signal<Local, Bits<32>>,
    k_r: Constant<Bits<16>>,
    k_c: Constant<Bits<16>>,
    k_one16: Constant<Bits<16>>,
    k_zero16: Constant<Bits<16>>,
    k_zero32: Constant<Bits<32>>,
}

impl FetchCursor {
    /// The cursor of an `rows x cols` array.
    pub fn new(rows: usize, cols: usize) -> Self {
        let k16 = |v: usize| Constant::new(Bits::<16>::from(v as u64));
        FetchCursor {
            clock: Default::default(),
            start: Default::default(),
            step: Default::default(),
            axis: Default::default(),
            trips: Default::default(),
            tiles: Default::default(),
            stride: Default::default(),
            inner: Default::default(),
            mask: Default::default(),
            chunk_mask: Default::default(),
            block_mask: Default::default(),
            span0: Default::default(),
            span1: Default::default(),
            span2: Default::default(),
            span3: Default::default(),
            i_full: Default::default(),
            i_last: Default::default(),
            ts: Default::default(),
            tlast: Default::default(),
            tlen: Default::default(),
            k: Default::default(),
            row_dim: Default::default(),
            col_dim: Default::default(),
            left: Default::default(),
            preload: Default::default(),
            t_first: Default::default(),
            t_second: Default::default(),
            busy: Default::default(),
            addr: Default::default(),
            count: Default::default(),
            due: Default::default(),
            early: Default::default(),
            walk: Default::default(),
            run: Default::default(),
            s: Default::default(),
            tile: Default::default(),
            tile_steps: Default::default(),
            tile_base: Default::default(),
            s0: Default::default(),
            row_base: Default::default(),
            col_base: Default::default(),
            row_rem: Default::default(),
            col_rem: Default::default(),
            rows_used: Default::default(),
            cols_used: Default::default(),
            ops: Default::default(),
            last_op: Default::default(),
            slot: Default::default(),
            base_time: Default::default(),
            s32: Default::default(),
            k_r: k16(rows),
            k_c: k16(cols),
            k_one16: k16(1),
            k_zero16: k16(0),
            k_zero32: Constant::new(Bits::<32>::from(0u64)),
        }
    }
}

impl Logic for FetchCursor {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, walk);
        dff_setup!(self, clock, run, s);
        for i in 0..6 {
            self.walk.axis[i].next = self.axis[i].val();
            self.walk.trips[i].next = self.trips[i].val();
            self.walk.tiles[i].next = self.tiles[i].val();
            self.walk.stride[i].next = self.stride[i].val();
            self.walk.inner[i].next = self.inner[i].val();
            self.walk.mask[i].next = self.mask[i].val();
            self.walk.chunk_mask[i].next = self.chunk_mask[i].val();
            self.walk.block_mask[i].next = self.block_mask[i].val();
            self.walk.span0[i].next = self.span0[i].val();
            self.walk.span1[i].next = self.span1[i].val();
            self.walk.span2[i].next = self.span2[i].val();
            self.walk.span3[i].next = self.span3[i].val();
        }
        self.walk.i_full.next = self.i_full.val();
        self.walk.i_last.next = self.i_last.val();

        // The current fold's tiles, used rows and columns, and chunk.
        self.row_base.next = bit_cast::<16, 32>(self.walk.row_tile.val() * self.k_r.val());
        self.col_base.next = bit_cast::<16, 32>(self.walk.col_tile.val() * self.k_c.val());
        self.row_rem.next = self.row_dim.val() - self.row_base.val();
        self.col_rem.next = self.col_dim.val() - self.col_base.val();
        self.rows_used.next = self.k_r.val();
        if self.row_rem.val() < self.k_r.val() {
            self.rows_used.next = self.row_rem.val();
        }
        self.cols_used.next = self.k_c.val();
        if self.col_rem.val() < self.k_c.val() {
            self.cols_used.next = self.col_rem.val();
        }
        self.s0.next = bit_cast::<16, 32>(self.walk.chunk.val() * self.ts.val());
        // One product for the tile's base: row tile x T (left) or column tile x K (top).
        self.tile.next = self.walk.col_tile.val();
        self.tile_steps.next = self.k.val();
        if self.left.val() {
            self.tile.next = self.walk.row_tile.val();
            self.tile_steps.next = self.tlen.val();
        }
        self.tile_base.next = bit_cast::<16, 32>(self.tile.val() * self.tile_steps.val());

        // The current fetch.
        self.s32.next = bit_cast::<32, 16>(self.s.q.val());
        self.ops.next = self.ts.val();
        if (self.tlen.val() - self.s0.val()) <= self.tlast.val() {
            self.ops.next = self.tlast.val();
        }
        self.addr.next = self.tile_base.val() + self.s0.val() + self.s.q.val();
        self.count.next = bit_cast::<8, 16>(self.rows_used.val());
        if !self.left.val() {
            self.count.next = bit_cast::<8, 16>(self.cols_used.val());
        }
        self.due.next = self.t_first.val() + self.walk.start_time.val() + self.s32.val();
        self.slot.next = bit_cast::<32, 16>(self.k_r.val() - self.rows_used.val()) + self.s32.val();
        self.base_time.next = self.t_second.val() + self.walk.prev_time.val();
        if self.walk.start_time.val() == self.k_zero32.val() {
            self.base_time.next = self.t_first.val();
        }
        if self.preload.val() {
            self.ops.next = self.rows_used.val();
            self.addr.next = self.tile_base.val() + self.row_base.val() + self.rows_used.val()
                - self.k_one16.val()
                - self.s.q.val();
            self.due.next = self.base_time.val() + self.slot.val();
        }
        self.last_op.next = (self.s.q.val() + self.k_one16.val()) >= self.ops.val();
        self.busy.next = self.run.q.val();
        self.early.next = self.walk.early.val() & self.run.q.val();

        // Moves.
        self.walk.start.next = self.start.val();
        self.walk.step.next = !self.start.val()
            & self.run.q.val()
            & self.step.val()
            & self.last_op.val()
            & !self.walk.last.val();
        if self.start.val() {
            self.run.d.next = true;
            self.s.d.next = self.k_zero16.val();
        } else if self.run.q.val() & self.step.val() {
            if self.last_op.val() {
                self.s.d.next = self.k_zero16.val();
                if self.walk.last.val() {
                    self.run.d.next = false;
                }
            } else {
                self.s.d.next = self.s.q.val() + self.k_one16.val();
            }
        }
    }
}
