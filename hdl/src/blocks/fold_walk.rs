//! The loop-nest walker: the folds of a mapping in run order, as an odometer over up to
//! [`WALK_LOOPS`] loops (`docs/microarchitecture.md`, "Mappings and fold order"). It mirrors
//! `systole_sim::mapping::nest::folds`, from the numbers `nest::walk_loops` derives for each loop
//! (its axis, trips, stride, whether it is the inner loop of a blocked dimension, and whether A's
//! and B's fetch and retire flags look at it), so the hardware derives nothing the fast model
//! does not hand it.
//!
//! Per loop it keeps the index and the loop's share of its axis's tile (`contrib`: index x
//! stride). An axis's tile is the sum of its loops' shares; the inner loop of a blocked dimension
//! runs `min(trips, tiles - block start)` times, the block start being the outer loop's share.
//! A step moves the innermost loop that is not at its last iteration on and starts every loop
//! inside it over. Unused loop slots have one trip and look at nothing. A masked slot holds its
//! first iteration: a DMA fetch walker ([`crate::blocks::fetch_walk`]) masks the loops that do
//! not index its operand inside the operand's keep level and so visits only the folds that fetch.
//!
//! It is held equal to the fast model's walk on every candidate mapping of the mapper
//! (`hdl/tests/fold_walk.rs`); the fold queue (`crate::blocks::fold_queue`) runs one and hands
//! its folds to the controller's cursors.

use rust_hdl::prelude::*;
use systole_sim::mapping::nest::Axis;

/// Loop slots of the walker: a mapping has at most two loops per dimension. The kernel's
/// literal indices (`[6]`, `5 - k`) assume six, hence the assertion below.
pub const WALK_LOOPS: usize = 6;
const _: () = assert!(WALK_LOOPS == 6);

/// Axis code of a loop slot: the array's rows (`systole_sim::mapping::nest::Axis`'s codes).
pub const AXIS_ROW: u64 = Axis::Row as u64;
/// The array's columns.
pub const AXIS_COL: u64 = Axis::Col as u64;
/// The stream's chunks.
pub const AXIS_STREAM: u64 = Axis::Stream as u64;
/// An unused slot.
pub const AXIS_NONE: u64 = 3;

/// The walker (see the module doc). Its inputs hold the mapping for the whole walk.
#[derive(LogicBlock)]
pub struct FoldWalk {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// Go to fold 0 (one cycle).
    pub start: Signal<In, Bit>,
    /// Move to the next fold.
    pub step: Signal<In, Bit>,
    /// Each slot's axis ([`AXIS_ROW`] .. [`AXIS_NONE`]), outer to inner.
    pub axis: [Signal<In, Bits<2>>; WALK_LOOPS],
    /// Each slot's iterations (1 for an unused slot).
    pub trips: [Signal<In, Bits<16>>; WALK_LOOPS],
    /// Tiles of each slot's axis.
    pub tiles: [Signal<In, Bits<16>>; WALK_LOOPS],
    /// Tiles one iteration of the slot moves its axis on.
    pub stride: [Signal<In, Bits<16>>; WALK_LOOPS],
    /// The slot is the inner loop of a blocked dimension.
    pub inner: [Signal<In, Bit>; WALK_LOOPS],
    /// A's flags look at the slot.
    pub edge_a: [Signal<In, Bit>; WALK_LOOPS],
    /// B's flags look at the slot.
    pub edge_b: [Signal<In, Bit>; WALK_LOOPS],
    /// The slot holds its first iteration (a fetch walker's masked loops,
    /// [`crate::blocks::fetch_walk`]); low in the controller's walk.
    pub mask: [Signal<In, Bit>; WALK_LOOPS],
    /// The current fold's tile of the row axis.
    pub row_tile: Signal<Out, Bits<16>>,
    /// Its tile of the column axis.
    pub col_tile: Signal<Out, Bits<16>>,
    /// Its chunk of the stream.
    pub chunk: Signal<Out, Bits<16>>,
    /// The fold's reads of A fetch their vectors.
    pub fetch_a: Signal<Out, Bit>,
    /// The fold's reads of A free their slots.
    pub retire_a: Signal<Out, Bit>,
    /// Likewise for B.
    pub fetch_b: Signal<Out, Bit>,
    /// Likewise for B.
    pub retire_b: Signal<Out, Bit>,
    /// The current fold is the last.
    pub final_fold: Signal<Out, Bit>,
    /// The slot is at its last iteration (a masked slot too, when it has one trip).
    pub last_now: [Signal<Out, Bit>; WALK_LOOPS],
    /// The slot is the one the next step moves on (none at the last fold).
    pub moving: [Signal<Out, Bit>; WALK_LOOPS],
    idx: [DFF<Bits<16>>; WALK_LOOPS],
    contrib: [DFF<Bits<16>>; WALK_LOOPS],
    /// The slot's trips in the current iteration of the loops outside it.
    trips_now: [Signal<Local, Bits<16>>; WALK_LOOPS],
    /// Outer-block start of the slot's axis (the shares of its non-inner loops before it).
    block_start: [Signal<Local, Bits<16>>; WALK_LOOPS],
    /// The slot is at its last iteration, or masked.
    at_last: [Signal<Local, Bit>; WALK_LOOPS],
    /// The slot is at its last iteration.
    real_last: [Signal<Local, Bit>; WALK_LOOPS],
    /// Every slot from `i` inward is at its last iteration (`[WALK_LOOPS]` is 1).
    inside_last: [Signal<Local, Bit>; 7],
    /// Running sums of the shares, per axis, over slots `0..i`.
    sum_row: [Signal<Local, Bits<16>>; 7],
    sum_col: [Signal<Local, Bits<16>>; 7],
    sum_stream: [Signal<Local, Bits<16>>; 7],
    /// Running ANDs of the flags over slots `0..i`.
    and_fetch_a: [Signal<Local, Bit>; 7],
    and_retire_a: [Signal<Local, Bit>; 7],
    and_fetch_b: [Signal<Local, Bit>; 7],
    and_retire_b: [Signal<Local, Bit>; 7],
    k_zero: Constant<Bits<16>>,
    k_one: Constant<Bits<16>>,
    k_row: Constant<Bits<2>>,
    k_col: Constant<Bits<2>>,
    k_stream: Constant<Bits<2>>,
}

impl Default for FoldWalk {
    fn default() -> Self {
        let k16 = |v: u64| Constant::new(Bits::<16>::from(v));
        let k2 = |v: u64| Constant::new(Bits::<2>::from(v));
        FoldWalk {
            clock: Default::default(),
            start: Default::default(),
            step: Default::default(),
            axis: Default::default(),
            trips: Default::default(),
            tiles: Default::default(),
            stride: Default::default(),
            inner: Default::default(),
            edge_a: Default::default(),
            edge_b: Default::default(),
            mask: Default::default(),
            row_tile: Default::default(),
            col_tile: Default::default(),
            chunk: Default::default(),
            fetch_a: Default::default(),
            retire_a: Default::default(),
            fetch_b: Default::default(),
            retire_b: Default::default(),
            final_fold: Default::default(),
            last_now: Default::default(),
            moving: Default::default(),
            idx: Default::default(),
            contrib: Default::default(),
            trips_now: Default::default(),
            block_start: Default::default(),
            at_last: Default::default(),
            real_last: Default::default(),
            inside_last: Default::default(),
            sum_row: Default::default(),
            sum_col: Default::default(),
            sum_stream: Default::default(),
            and_fetch_a: Default::default(),
            and_retire_a: Default::default(),
            and_fetch_b: Default::default(),
            and_retire_b: Default::default(),
            k_zero: k16(0),
            k_one: k16(1),
            k_row: k2(AXIS_ROW),
            k_col: k2(AXIS_COL),
            k_stream: k2(AXIS_STREAM),
        }
    }
}

impl Logic for FoldWalk {
    #[hdl_gen]
    fn update(&mut self) {
        for i in 0..6 {
            self.idx[i].clock.next = self.clock.val();
            self.idx[i].d.next = self.idx[i].q.val();
            self.contrib[i].clock.next = self.clock.val();
            self.contrib[i].d.next = self.contrib[i].q.val();
        }
        // Shares per axis, summed outer to inner; a slot's block start is the sum, before it, of
        // the shares of its axis's loops that are not inner loops (the outer block loop).
        self.sum_row[0].next = self.k_zero.val();
        self.sum_col[0].next = self.k_zero.val();
        self.sum_stream[0].next = self.k_zero.val();
        for i in 0..6 {
            self.sum_row[i + 1].next = self.sum_row[i].val();
            self.sum_col[i + 1].next = self.sum_col[i].val();
            self.sum_stream[i + 1].next = self.sum_stream[i].val();
            self.block_start[i].next = self.k_zero.val();
            if self.axis[i].val() == self.k_row.val() {
                self.sum_row[i + 1].next = self.sum_row[i].val() + self.contrib[i].q.val();
                self.block_start[i].next = self.sum_row[i].val();
            }
            if self.axis[i].val() == self.k_col.val() {
                self.sum_col[i + 1].next = self.sum_col[i].val() + self.contrib[i].q.val();
                self.block_start[i].next = self.sum_col[i].val();
            }
            if self.axis[i].val() == self.k_stream.val() {
                self.sum_stream[i + 1].next = self.sum_stream[i].val() + self.contrib[i].q.val();
                self.block_start[i].next = self.sum_stream[i].val();
            }
        }
        // Trips now: the inner loop of a blocked dimension stops at the axis's last tile.
        for i in 0..6 {
            self.trips_now[i].next = self.trips[i].val();
            if self.inner[i].val()
                & ((self.tiles[i].val() - self.block_start[i].val()) < self.trips[i].val())
            {
                self.trips_now[i].next = self.tiles[i].val() - self.block_start[i].val();
            }
            self.real_last[i].next =
                (self.idx[i].q.val() + self.k_one.val()) >= self.trips_now[i].val();
            self.at_last[i].next = self.real_last[i].val() | self.mask[i].val();
            self.last_now[i].next = self.real_last[i].val();
        }
        // Which slots are at their last iteration from `i` inward, and the flags.
        self.inside_last[6].next = true;
        for k in 0..6 {
            self.inside_last[5 - k].next =
                self.inside_last[6 - k].val() & self.at_last[5 - k].val();
        }
        self.and_fetch_a[0].next = true;
        self.and_retire_a[0].next = true;
        self.and_fetch_b[0].next = true;
        self.and_retire_b[0].next = true;
        for i in 0..6 {
            self.and_fetch_a[i + 1].next = self.and_fetch_a[i].val()
                & (!self.edge_a[i].val() | (self.idx[i].q.val() == self.k_zero.val()));
            self.and_retire_a[i + 1].next =
                self.and_retire_a[i].val() & (!self.edge_a[i].val() | self.at_last[i].val());
            self.and_fetch_b[i + 1].next = self.and_fetch_b[i].val()
                & (!self.edge_b[i].val() | (self.idx[i].q.val() == self.k_zero.val()));
            self.and_retire_b[i + 1].next =
                self.and_retire_b[i].val() & (!self.edge_b[i].val() | self.at_last[i].val());
        }
        self.row_tile.next = self.sum_row[6].val();
        self.col_tile.next = self.sum_col[6].val();
        self.chunk.next = self.sum_stream[6].val();
        self.fetch_a.next = self.and_fetch_a[6].val();
        self.retire_a.next = self.and_retire_a[6].val();
        self.fetch_b.next = self.and_fetch_b[6].val();
        self.retire_b.next = self.and_retire_b[6].val();
        self.final_fold.next = self.inside_last[0].val();
        for i in 0..6 {
            self.moving[i].next = self.inside_last[i + 1].val() & !self.at_last[i].val();
        }
        // A step: the innermost slot not at its last iteration moves on, every slot inside it
        // starts over (a slot whose inner slots are all at their last iteration either moves on
        // or, at its own last, starts over for the slot outside it).
        for i in 0..6 {
            if self.start.val() {
                self.idx[i].d.next = self.k_zero.val();
                self.contrib[i].d.next = self.k_zero.val();
            } else if self.step.val() & self.inside_last[i + 1].val() {
                if self.at_last[i].val() {
                    self.idx[i].d.next = self.k_zero.val();
                    self.contrib[i].d.next = self.k_zero.val();
                } else {
                    self.idx[i].d.next = self.idx[i].q.val() + self.k_one.val();
                    self.contrib[i].d.next = self.contrib[i].q.val() + self.stride[i].val();
                }
            }
        }
    }
}
