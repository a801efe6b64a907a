//! A DMA fetch walker: the folds whose reads fetch one operand (A or B), in run order, each with
//! its start time, one fold per move however many folds lie between two of them
//! (`docs/rtl.md`, "Fetch walkers"; `systole_sim::mapping::fetch_time`).
//!
//! It runs a [`FoldWalk`] with the operand's loops masked (the loops at or inside its keep level
//! that do not index it hold their first iteration), so every move lands on the next fetching
//! fold. Times are edge times less fold 0's. Per loop it keeps the time its current iteration
//! began; when loop `l` moves on, the next fold starts one span of `l` after that, the span
//! chosen by the key of `l` (bit 0: the stream loops outside `l` are all at their last
//! iteration; bit 1: so are the outer loops of the dimensions blocked across `l`), and every loop
//! from `l` inward begins its iteration there. The spans and the key masks are the host's
//! (`fetch_time::fetch_spans`), so the walker derives nothing the fast model does not hand it.
//! The previous fold's start (a WS/IS preload's) is the reached fold's start less the interval
//! of the ending iteration's last fold: the last chunk's when `l` is not a stream loop and the
//! key's bit 0 holds.

use rust_hdl::prelude::*;

use crate::blocks::fold_walk::{FoldWalk, AXIS_STREAM, WALK_LOOPS};

/// The fetch walker (see the module doc). Its inputs hold the mapping for the whole walk.
#[derive(LogicBlock)]
pub struct FetchWalk {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// Go to fold 0 (one cycle).
    pub start: Signal<In, Bit>,
    /// Move to the next fetching fold (ignored at the last).
    pub step: Signal<In, Bit>,
    /// Each slot's axis, as [`FoldWalk::axis`].
    pub axis: [Signal<In, Bits<2>>; WALK_LOOPS],
    /// Each slot's iterations.
    pub trips: [Signal<In, Bits<16>>; WALK_LOOPS],
    /// Tiles of each slot's axis.
    pub tiles: [Signal<In, Bits<16>>; WALK_LOOPS],
    /// Tiles one iteration moves the axis on.
    pub stride: [Signal<In, Bits<16>>; WALK_LOOPS],
    /// The slot is the inner loop of a blocked dimension.
    pub inner: [Signal<In, Bit>; WALK_LOOPS],
    /// The slot holds its first iteration (the operand's flags look at it).
    pub mask: [Signal<In, Bit>; WALK_LOOPS],
    /// Per slot, the stream loops outside it (bit `j`: slot `j`).
    pub chunk_mask: [Signal<In, Bits<8>>; WALK_LOOPS],
    /// Per slot, the outer loops of the dimensions blocked across it.
    pub block_mask: [Signal<In, Bits<8>>; WALK_LOOPS],
    /// Per slot, the span of one iteration under key 0 (neither condition).
    pub span0: [Signal<In, Bits<32>>; WALK_LOOPS],
    /// Under key 1 (the stream loops outside at their last iteration).
    pub span1: [Signal<In, Bits<32>>; WALK_LOOPS],
    /// Under key 2 (the blocked dimensions' outer loops at their last iteration).
    pub span2: [Signal<In, Bits<32>>; WALK_LOOPS],
    /// Under key 3 (both).
    pub span3: [Signal<In, Bits<32>>; WALK_LOOPS],
    /// The interval of a fold with a full chunk.
    pub i_full: Signal<In, Bits<32>>,
    /// The interval of a fold with the last chunk.
    pub i_last: Signal<In, Bits<32>>,
    /// The fold's tile of the row axis.
    pub row_tile: Signal<Out, Bits<16>>,
    /// Its tile of the column axis.
    pub col_tile: Signal<Out, Bits<16>>,
    /// Its chunk of the stream.
    pub chunk: Signal<Out, Bits<16>>,
    /// Its start, less fold 0's.
    pub start_time: Signal<Out, Bits<32>>,
    /// The previous fold's start, less fold 0's (0 for fold 0).
    pub prev_time: Signal<Out, Bits<32>>,
    /// It is fold 0 or 1 (the prologue's): it starts no later than fold 1, one full interval in.
    pub early: Signal<Out, Bit>,
    /// It is the operand's last fetching fold.
    pub last: Signal<Out, Bit>,
    walk: FoldWalk,
    begun: [DFF<Bits<32>>; WALK_LOOPS],
    now: DFF<Bits<32>>,
    prev: DFF<Bits<32>>,
    key_chunk: [Signal<Local, Bit>; WALK_LOOPS],
    key_block: [Signal<Local, Bit>; WALK_LOOPS],
    /// A slot at or outside `i - 1` moves on (`[0]` is low).
    moved_outside: [Signal<Local, Bit>; 7],
    sel_span: Signal<Local, Bits<32>>,
    sel_begun: Signal<Local, Bits<32>>,
    pred_last: Signal<Local, Bit>,
    next_start: Signal<Local, Bits<32>>,
    next_prev: Signal<Local, Bits<32>>,
    moves: Signal<Local, Bit>,
    k_zero32: Constant<Bits<32>>,
    k_stream: Constant<Bits<2>>,
}

impl Default for FetchWalk {
    fn default() -> Self {
        FetchWalk {
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
            row_tile: Default::default(),
            col_tile: Default::default(),
            chunk: Default::default(),
            start_time: Default::default(),
            prev_time: Default::default(),
            early: Default::default(),
            last: Default::default(),
            walk: Default::default(),
            begun: Default::default(),
            now: Default::default(),
            prev: Default::default(),
            key_chunk: Default::default(),
            key_block: Default::default(),
            moved_outside: Default::default(),
            sel_span: Default::default(),
            sel_begun: Default::default(),
            pred_last: Default::default(),
            next_start: Default::default(),
            next_prev: Default::default(),
            moves: Default::default(),
            k_zero32: Constant::new(Bits::<32>::from(0u64)),
            k_stream: Constant::new(Bits::<2>::from(AXIS_STREAM)),
        }
    }
}

impl Logic for FetchWalk {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, walk);
        dff_setup!(self, clock, now, prev);
        for i in 0..6 {
            self.begun[i].clock.next = self.clock.val();
            self.begun[i].d.next = self.begun[i].q.val();
            self.walk.axis[i].next = self.axis[i].val();
            self.walk.trips[i].next = self.trips[i].val();
            self.walk.tiles[i].next = self.tiles[i].val();
            self.walk.stride[i].next = self.stride[i].val();
            self.walk.inner[i].next = self.inner[i].val();
            self.walk.mask[i].next = self.mask[i].val();
            self.walk.edge_a[i].next = false;
            self.walk.edge_b[i].next = false;
        }
        // Each slot's key: its masks' loops (all outside it) at their last iterations.
        for l in 0..6 {
            self.key_chunk[l].next = true;
            self.key_block[l].next = true;
            for j in 0..6 {
                if self.chunk_mask[l].val().get_bit(j) & !self.walk.last_now[j].val() {
                    self.key_chunk[l].next = false;
                }
                if self.block_mask[l].val().get_bit(j) & !self.walk.last_now[j].val() {
                    self.key_block[l].next = false;
                }
            }
        }
        // The moving slot's span and iteration start.
        self.sel_span.next = self.k_zero32.val();
        self.sel_begun.next = self.k_zero32.val();
        self.pred_last.next = false;
        self.moved_outside[0].next = false;
        for l in 0..6 {
            self.moved_outside[l + 1].next =
                self.moved_outside[l].val() | self.walk.moving[l].val();
            if self.walk.moving[l].val() {
                self.sel_begun.next = self.begun[l].q.val();
                self.sel_span.next = self.span0[l].val();
                if self.key_chunk[l].val() & !self.key_block[l].val() {
                    self.sel_span.next = self.span1[l].val();
                }
                if !self.key_chunk[l].val() & self.key_block[l].val() {
                    self.sel_span.next = self.span2[l].val();
                }
                if self.key_chunk[l].val() & self.key_block[l].val() {
                    self.sel_span.next = self.span3[l].val();
                }
                self.pred_last.next =
                    self.key_chunk[l].val() & (self.axis[l].val() != self.k_stream.val());
            }
        }
        self.next_start.next = self.sel_begun.val() + self.sel_span.val();
        self.next_prev.next = self.next_start.val() - self.i_full.val();
        if self.pred_last.val() {
            self.next_prev.next = self.next_start.val() - self.i_last.val();
        }

        // Outputs.
        self.row_tile.next = self.walk.row_tile.val();
        self.col_tile.next = self.walk.col_tile.val();
        self.chunk.next = self.walk.chunk.val();
        self.start_time.next = self.now.q.val();
        self.prev_time.next = self.prev.q.val();
        self.early.next = self.now.q.val() <= self.i_full.val();
        self.last.next = self.walk.final_fold.val();

        // State.
        self.moves.next = self.step.val() & !self.walk.final_fold.val() & !self.start.val();
        self.walk.start.next = self.start.val();
        self.walk.step.next = self.moves.val();
        if self.start.val() {
            self.now.d.next = self.k_zero32.val();
            self.prev.d.next = self.k_zero32.val();
            for i in 0..6 {
                self.begun[i].d.next = self.k_zero32.val();
            }
        } else if self.moves.val() {
            self.now.d.next = self.next_start.val();
            self.prev.d.next = self.next_prev.val();
            for i in 0..6 {
                if self.moved_outside[i + 1].val() {
                    self.begun[i].d.next = self.next_start.val();
                }
            }
        }
    }
}
