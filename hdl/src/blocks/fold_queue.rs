//! The fold queue: the mapping's folds in run order, produced once by the loop-nest walker
//! ([`FoldWalk`]) and read by the controller's four schedule cursors ([`FoldCursor`]s) at their
//! own pace (`docs/rtl.md`, "Mapped fold orders").
//!
//! The walker reads the mapping from the loop registers the host writes before the start command
//! ([`crate::blocks::loop_regs`]). At the start command the walker goes to fold 0,
//! and from then on the queue writes one fold per cycle into a ring of entries (as many as
//! `systole_sim::mapping::schedule::fold_queue_design_depth` asks for the config) while the ring
//! has room. An entry holds what a cursor needs of its fold, the products computed
//! once here: the vector addresses of the fold's first stream vector in the left edge's buffer
//! (`row tile x T + s0`), of its top-edge tile (`col tile x K`, plus `row tile x R` for a
//! preload), and of its first output row in C (`col tile x steps of C`, plus `row tile x R` in
//! OS or `s0` in WS/IS); its first column, used rows and columns, stream offset `s0`, and flags.
//!
//! Each cursor has a read pointer; it takes the entry at its pointer when it moves to a fold
//! (`take`), and then holds that fold in its own registers. The ring is full when the queue's
//! write pointer leads the read pointer of a running cursor by the depth; then the walker waits. A
//! cursor never finds its entry unwritten as long as no running cursor lags the leading one by
//! the depth or more: the backends check that bound per run from the fast model's timetable
//! (`systole_sim::mapping::schedule::fold_queue_depth`) before they start.
//!
//! [`FoldCursor`]: crate::blocks::fold_cursor::FoldCursor

use rust_hdl::prelude::*;
use systole_sim::config::{ArchConfig, Dataflow, MemoryModel};
use systole_sim::mapping::schedule::{fold_queue_depth, fold_queue_design_depth};
use systole_sim::mapping::Mapping;
use systole_sim::workload::GemmShape;

use crate::blocks::fold_walk::{FoldWalk, WALK_LOOPS};
use crate::blocks::loop_regs::mapping_writes;

/// Cursors that read the queue: left stream, top edge, C write, C read-back.
pub const QUEUE_READERS: usize = 4;
const _: () = assert!(QUEUE_READERS == 4 && WALK_LOOPS == 6);

/// An entry's nest flags hold in bits 0..4 A's fetch and retire flags, then B's
/// (`systole_sim::mapping::nest`'s `FETCH_A` .. `RETIRE_B`), and from this bit the loop that
/// moved on to reach the fold (`nest::FoldEntry::advanced`).
pub const NEST_ADVANCED_SHIFT: u64 = 4;

/// Checks that the fold queue of `cfg`'s design runs `mapping` of `shape` in `df` (the walker has
/// a slot for each loop, no cursor lags the leading one by the ring's depth, and with DRAM the
/// fetch walkers can time the nest), and returns the host writes that load the loop registers
/// ([`mapping_writes`]); otherwise says why in one line.
pub fn check_mapping(
    cfg: &ArchConfig,
    df: Dataflow,
    shape: GemmShape,
    mapping: &Mapping,
) -> Result<Vec<(u64, u8)>, String> {
    let writes = mapping_writes(cfg, df, shape, mapping, cfg.memory == MemoryModel::Dram)?;
    let need = fold_queue_depth(cfg, df, shape, mapping);
    let have = fold_queue_design_depth(cfg);
    if need > have {
        return Err(format!(
            "its cursors run up to {need} folds apart, and the fold queue of this design holds {have}; run the fast backend"
        ));
    }
    Ok(writes)
}

/// The fold queue (see the module doc).
#[derive(LogicBlock)]
pub struct FoldQueue {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// The start command: the walker goes to fold 0, the ring empties.
    pub start: Signal<In, Bit>,
    /// The dataflow is OS (no preload; C's rows are the fold's array rows).
    pub os: Signal<In, Bit>,
    /// The stream's extent `T`.
    pub tlen: Signal<In, Bits<16>>,
    /// K (the steps of the top edge's operand layout).
    pub k: Signal<In, Bits<16>>,
    /// The steps of C's layout (OS, WS: M; IS: N).
    pub c_steps: Signal<In, Bits<16>>,
    /// Extent of the dimension on the array's rows.
    pub row_dim: Signal<In, Bits<16>>,
    /// Extent of the dimension on the array's columns.
    pub col_dim: Signal<In, Bits<16>>,
    /// The loop registers ([`crate::blocks::loop_regs::LoopRegs`]): each slot's axis.
    pub axis: [Signal<In, Bits<2>>; WALK_LOOPS],
    /// Each slot's iterations.
    pub trips: [Signal<In, Bits<16>>; WALK_LOOPS],
    /// Tiles of each slot's axis.
    pub tiles: [Signal<In, Bits<16>>; WALK_LOOPS],
    /// Tiles one iteration moves the axis on.
    pub stride: [Signal<In, Bits<16>>; WALK_LOOPS],
    /// The slot is the inner loop of a blocked dimension.
    pub inner: [Signal<In, Bit>; WALK_LOOPS],
    /// A's flags look at the slot.
    pub edge_a: [Signal<In, Bit>; WALK_LOOPS],
    /// B's flags look at the slot.
    pub edge_b: [Signal<In, Bit>; WALK_LOOPS],
    /// The stream tile.
    pub ts: Signal<In, Bits<16>>,
    /// The last chunk's length.
    pub tlast: Signal<In, Bits<16>>,
    /// Cursor `c` takes the entry at its read pointer this cycle.
    pub take: [Signal<In, Bit>; 4],
    /// Cursor `c` runs in this run's dataflow: from the start command on, its read pointer holds
    /// the walker back when the ring is full.
    pub active: [Signal<In, Bit>; 4],
    /// Cursor `c`'s next entry: the left edge's first address.
    pub h_lbase: [Signal<Out, Bits<16>>; 4],
    /// The top edge's tile address.
    pub h_tbase: [Signal<Out, Bits<16>>; 4],
    /// C's first row address.
    pub h_obase: [Signal<Out, Bits<16>>; 4],
    /// The fold's first column (its column tile x C).
    pub h_cbase: [Signal<Out, Bits<16>>; 4],
    /// Array rows the fold uses.
    pub h_rows: [Signal<Out, Bits<8>>; 4],
    /// Array columns the fold uses.
    pub h_cols: [Signal<Out, Bits<8>>; 4],
    /// The chunk's first stream element.
    pub h_s0: [Signal<Out, Bits<16>>; 4],
    /// Not the first row tile.
    pub h_rt_nz: [Signal<Out, Bit>; 4],
    /// Not the first column tile.
    pub h_ct_nz: [Signal<Out, Bit>; 4],
    /// The fold's output tile is odd: the run's output tiles (a column tile's chunk, whose K
    /// folds run back to back) counted in run order; C's bank of a WS/IS fold.
    pub h_ot_odd: [Signal<Out, Bit>; 4],
    /// The last row tile.
    pub h_last_rt: [Signal<Out, Bit>; 4],
    /// The stream's last chunk.
    pub h_last_chunk: [Signal<Out, Bit>; 4],
    /// The run's last fold.
    pub h_final: [Signal<Out, Bit>; 4],
    /// The fold's nest flags ([`NEST_ADVANCED_SHIFT`]): A's and B's fetch and retire flags and the loop
    /// that moved on to reach it.
    pub h_nest: [Signal<Out, Bits<8>>; 4],
    walk: FoldWalk,
    e_lbase: Vec<DFF<Bits<16>>>,
    e_tbase: Vec<DFF<Bits<16>>>,
    e_obase: Vec<DFF<Bits<16>>>,
    e_cbase: Vec<DFF<Bits<16>>>,
    e_rows: Vec<DFF<Bits<8>>>,
    e_cols: Vec<DFF<Bits<8>>>,
    e_s0: Vec<DFF<Bits<16>>>,
    e_rt_nz: Vec<DFF<Bit>>,
    e_ct_nz: Vec<DFF<Bit>>,
    e_ot_odd: Vec<DFF<Bit>>,
    e_last_rt: Vec<DFF<Bit>>,
    e_last_chunk: Vec<DFF<Bit>>,
    e_final: Vec<DFF<Bit>>,
    e_nest: Vec<DFF<Bits<8>>>,
    /// The loop the walker's last step moved on (0 at fold 0).
    advanced: DFF<Bits<8>>,
    /// The count of output tiles begun so far (folds of row tile 0) is odd.
    tiles_odd: DFF<Bit>,
    rt_nz_now: Signal<Local, Bit>,
    n_nest: Signal<Local, Bits<8>>,
    n_advanced: Signal<Local, Bits<8>>,
    wptr: DFF<Bits<8>>,
    rptr: [DFF<Bits<8>>; 4],
    _depth: usize,
    armed: DFF<Bit>,
    walked: DFF<Bit>,
    rt: Signal<Local, Bits<16>>,
    ct: Signal<Local, Bits<16>>,
    row_base: Signal<Local, Bits<16>>,
    s0: Signal<Local, Bits<16>>,
    row_rem: Signal<Local, Bits<16>>,
    col_base: Signal<Local, Bits<16>>,
    col_rem: Signal<Local, Bits<16>>,
    n_lbase: Signal<Local, Bits<16>>,
    n_tbase: Signal<Local, Bits<16>>,
    n_obase: Signal<Local, Bits<16>>,
    n_rows: Signal<Local, Bits<16>>,
    n_cols: Signal<Local, Bits<16>>,
    n_rows8: Signal<Local, Bits<8>>,
    n_cols8: Signal<Local, Bits<8>>,
    m_lbase: [Signal<Local, Bits<16>>; 4],
    m_tbase: [Signal<Local, Bits<16>>; 4],
    m_obase: [Signal<Local, Bits<16>>; 4],
    m_cbase: [Signal<Local, Bits<16>>; 4],
    m_rows: [Signal<Local, Bits<8>>; 4],
    m_cols: [Signal<Local, Bits<8>>; 4],
    m_s0: [Signal<Local, Bits<16>>; 4],
    m_rt_nz: [Signal<Local, Bit>; 4],
    m_ct_nz: [Signal<Local, Bit>; 4],
    m_ot_odd: [Signal<Local, Bit>; 4],
    m_last_rt: [Signal<Local, Bit>; 4],
    m_last_chunk: [Signal<Local, Bit>; 4],
    m_final: [Signal<Local, Bit>; 4],
    m_nest: [Signal<Local, Bits<8>>; 4],
    k_loop: [Constant<Bits<8>>; 6],
    k_nest_bit: [Constant<Bits<8>>; 4],
    full: Signal<Local, Bit>,
    write: Signal<Local, Bit>,
    k_r: Constant<Bits<16>>,
    k_c: Constant<Bits<16>>,
    k_zero16: Constant<Bits<16>>,
    k_one8: Constant<Bits<8>>,
    k_zero8: Constant<Bits<8>>,
    k_depth8: Constant<Bits<8>>,
    k_mask8: Constant<Bits<8>>,
    k_ring: Vec<Constant<Bits<8>>>,
}

impl FoldQueue {
    /// The queue of an `rows x cols` array with a ring of `depth` entries (a power of two, at
    /// most 128: `systole_sim::mapping::schedule::fold_queue_design_depth`).
    pub fn new(rows: usize, cols: usize, depth: usize) -> Self {
        assert!(
            depth.is_power_of_two() && (2..=128).contains(&depth),
            "internal error: a fold queue of {depth} entries"
        );
        fn ring<T: Default>(depth: usize) -> Vec<T> {
            (0..depth).map(|_| T::default()).collect()
        }
        let k16 = |v: usize| Constant::new(Bits::<16>::from(v as u64));
        let k8 = |v: u64| Constant::new(Bits::<8>::from(v));
        FoldQueue {
            clock: Default::default(),
            start: Default::default(),
            os: Default::default(),
            tlen: Default::default(),
            k: Default::default(),
            c_steps: Default::default(),
            row_dim: Default::default(),
            col_dim: Default::default(),
            axis: Default::default(),
            trips: Default::default(),
            tiles: Default::default(),
            stride: Default::default(),
            inner: Default::default(),
            edge_a: Default::default(),
            edge_b: Default::default(),
            ts: Default::default(),
            tlast: Default::default(),
            take: Default::default(),
            active: Default::default(),
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
            walk: Default::default(),
            e_lbase: ring(depth),
            e_tbase: ring(depth),
            e_obase: ring(depth),
            e_cbase: ring(depth),
            e_rows: ring(depth),
            e_cols: ring(depth),
            e_s0: ring(depth),
            e_rt_nz: ring(depth),
            e_ct_nz: ring(depth),
            e_ot_odd: ring(depth),
            e_last_rt: ring(depth),
            e_last_chunk: ring(depth),
            e_final: ring(depth),
            e_nest: ring(depth),
            advanced: Default::default(),
            tiles_odd: Default::default(),
            rt_nz_now: Default::default(),
            n_nest: Default::default(),
            n_advanced: Default::default(),
            wptr: Default::default(),
            rptr: Default::default(),
            _depth: depth,
            armed: Default::default(),
            walked: Default::default(),
            rt: Default::default(),
            ct: Default::default(),
            row_base: Default::default(),
            s0: Default::default(),
            row_rem: Default::default(),
            col_base: Default::default(),
            col_rem: Default::default(),
            n_lbase: Default::default(),
            n_tbase: Default::default(),
            n_obase: Default::default(),
            n_rows: Default::default(),
            n_cols: Default::default(),
            n_rows8: Default::default(),
            n_cols8: Default::default(),
            m_lbase: Default::default(),
            m_tbase: Default::default(),
            m_obase: Default::default(),
            m_cbase: Default::default(),
            m_rows: Default::default(),
            m_cols: Default::default(),
            m_s0: Default::default(),
            m_rt_nz: Default::default(),
            m_ct_nz: Default::default(),
            m_ot_odd: Default::default(),
            m_last_rt: Default::default(),
            m_last_chunk: Default::default(),
            m_final: Default::default(),
            m_nest: Default::default(),
            k_loop: std::array::from_fn(|i| k8((i as u64) << NEST_ADVANCED_SHIFT)),
            k_nest_bit: std::array::from_fn(|i| k8(1 << i)),
            full: Default::default(),
            write: Default::default(),
            k_r: k16(rows),
            k_c: k16(cols),
            k_zero16: k16(0),
            k_one8: k8(1),
            k_zero8: k8(0),
            k_depth8: k8(depth as u64),
            k_mask8: k8(depth as u64 - 1),
            k_ring: (0..depth).map(|i| k8(i as u64)).collect(),
        }
    }
}

impl Logic for FoldQueue {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, walk);
        dff_setup!(self, clock, wptr, armed, walked, advanced, tiles_odd);
        for j in 0..self._depth {
            self.e_lbase[j].clock.next = self.clock.val();
            self.e_lbase[j].d.next = self.e_lbase[j].q.val();
            self.e_tbase[j].clock.next = self.clock.val();
            self.e_tbase[j].d.next = self.e_tbase[j].q.val();
            self.e_obase[j].clock.next = self.clock.val();
            self.e_obase[j].d.next = self.e_obase[j].q.val();
            self.e_cbase[j].clock.next = self.clock.val();
            self.e_cbase[j].d.next = self.e_cbase[j].q.val();
            self.e_rows[j].clock.next = self.clock.val();
            self.e_rows[j].d.next = self.e_rows[j].q.val();
            self.e_cols[j].clock.next = self.clock.val();
            self.e_cols[j].d.next = self.e_cols[j].q.val();
            self.e_s0[j].clock.next = self.clock.val();
            self.e_s0[j].d.next = self.e_s0[j].q.val();
            self.e_rt_nz[j].clock.next = self.clock.val();
            self.e_rt_nz[j].d.next = self.e_rt_nz[j].q.val();
            self.e_ct_nz[j].clock.next = self.clock.val();
            self.e_ct_nz[j].d.next = self.e_ct_nz[j].q.val();
            self.e_ot_odd[j].clock.next = self.clock.val();
            self.e_ot_odd[j].d.next = self.e_ot_odd[j].q.val();
            self.e_last_rt[j].clock.next = self.clock.val();
            self.e_last_rt[j].d.next = self.e_last_rt[j].q.val();
            self.e_last_chunk[j].clock.next = self.clock.val();
            self.e_last_chunk[j].d.next = self.e_last_chunk[j].q.val();
            self.e_final[j].clock.next = self.clock.val();
            self.e_final[j].d.next = self.e_final[j].q.val();
            self.e_nest[j].clock.next = self.clock.val();
            self.e_nest[j].d.next = self.e_nest[j].q.val();
        }
        for c in 0..4 {
            self.rptr[c].clock.next = self.clock.val();
            self.rptr[c].d.next = self.rptr[c].q.val();
        }

        for i in 0..6 {
            self.walk.trips[i].next = self.trips[i].val();
            self.walk.tiles[i].next = self.tiles[i].val();
            self.walk.stride[i].next = self.stride[i].val();
            self.walk.axis[i].next = self.axis[i].val();
            self.walk.inner[i].next = self.inner[i].val();
            self.walk.edge_a[i].next = self.edge_a[i].val();
            self.walk.edge_b[i].next = self.edge_b[i].val();
            self.walk.mask[i].next = false;
        }

        // The entry of the walker's fold.
        self.rt.next = self.walk.row_tile.val();
        self.ct.next = self.walk.col_tile.val();
        self.row_base.next = bit_cast::<16, 32>(self.rt.val() * self.k_r.val());
        self.col_base.next = bit_cast::<16, 32>(self.ct.val() * self.k_c.val());
        self.s0.next = bit_cast::<16, 32>(self.walk.chunk.val() * self.ts.val());
        self.row_rem.next = self.row_dim.val() - self.row_base.val();
        self.col_rem.next = self.col_dim.val() - self.col_base.val();
        self.n_rows.next = self.k_r.val();
        if self.row_rem.val() < self.k_r.val() {
            self.n_rows.next = self.row_rem.val();
        }
        self.n_cols.next = self.k_c.val();
        if self.col_rem.val() < self.k_c.val() {
            self.n_cols.next = self.col_rem.val();
        }
        // Array rows and columns are at most 255 (the lanes' counts are 8 bits).
        self.n_rows8.next = bit_cast::<8, 16>(self.n_rows.val());
        self.n_cols8.next = bit_cast::<8, 16>(self.n_cols.val());
        self.n_lbase.next = bit_cast::<16, 32>(self.rt.val() * self.tlen.val()) + self.s0.val();
        self.n_tbase.next = bit_cast::<16, 32>(self.ct.val() * self.k.val());
        self.n_obase.next = bit_cast::<16, 32>(self.ct.val() * self.c_steps.val()) + self.s0.val();
        if !self.os.val() {
            self.n_tbase.next =
                bit_cast::<16, 32>(self.ct.val() * self.k.val()) + self.row_base.val();
        }
        if self.os.val() {
            self.n_obase.next =
                bit_cast::<16, 32>(self.ct.val() * self.c_steps.val()) + self.row_base.val();
        }

        // A fold of row tile 0 begins an output tile (the count so far gives its parity); a
        // later row tile's fold is in the tile begun last.
        self.rt_nz_now.next = self.rt.val() != self.k_zero16.val();
        // The fold's nest flags, and the loop the walker's next step moves on.
        self.n_nest.next = self.advanced.q.val();
        if self.walk.fetch_a.val() {
            self.n_nest.next = self.n_nest.val() | self.k_nest_bit[0].val();
        }
        if self.walk.retire_a.val() {
            self.n_nest.next = self.n_nest.val() | self.k_nest_bit[1].val();
        }
        if self.walk.fetch_b.val() {
            self.n_nest.next = self.n_nest.val() | self.k_nest_bit[2].val();
        }
        if self.walk.retire_b.val() {
            self.n_nest.next = self.n_nest.val() | self.k_nest_bit[3].val();
        }
        self.n_advanced.next = self.k_loop[0].val();
        for i in 0..6 {
            if self.walk.moving[i].val() {
                self.n_advanced.next = self.k_loop[i].val();
            }
        }

        // The ring is full when a busy cursor's read pointer trails the write pointer by the
        // depth.
        self.full.next = false;
        for c in 0..4 {
            if self.active[c].val()
                & ((self.wptr.q.val() - self.rptr[c].q.val()) == self.k_depth8.val())
            {
                self.full.next = true;
            }
        }
        self.write.next =
            self.armed.q.val() & !self.walked.q.val() & !self.full.val() & !self.start.val();
        self.walk.start.next = self.start.val();
        self.walk.step.next = self.write.val();
        for j in 0..self._depth {
            if self.write.val() & ((self.wptr.q.val() & self.k_mask8.val()) == self.k_ring[j].val())
            {
                self.e_lbase[j].d.next = self.n_lbase.val();
                self.e_tbase[j].d.next = self.n_tbase.val();
                self.e_obase[j].d.next = self.n_obase.val();
                self.e_cbase[j].d.next = self.col_base.val();
                self.e_rows[j].d.next = self.n_rows8.val();
                self.e_cols[j].d.next = self.n_cols8.val();
                self.e_s0[j].d.next = self.s0.val();
                self.e_rt_nz[j].d.next = self.rt.val() != self.k_zero16.val();
                self.e_ct_nz[j].d.next = self.ct.val() != self.k_zero16.val();
                self.e_ot_odd[j].d.next = self.tiles_odd.q.val() ^ self.rt_nz_now.val();
                self.e_last_rt[j].d.next = self.row_rem.val() <= self.k_r.val();
                self.e_last_chunk[j].d.next = (self.tlen.val() - self.s0.val()) <= self.ts.val();
                self.e_final[j].d.next = self.walk.final_fold.val();
                self.e_nest[j].d.next = self.n_nest.val();
            }
        }
        if self.start.val() {
            self.armed.d.next = true;
            self.walked.d.next = false;
            self.wptr.d.next = self.k_zero8.val();
            self.advanced.d.next = self.k_zero8.val();
            self.tiles_odd.d.next = false;
        } else if self.write.val() {
            if !self.rt_nz_now.val() {
                self.tiles_odd.d.next = !self.tiles_odd.q.val();
            }
            self.wptr.d.next = self.wptr.q.val() + self.k_one8.val();
            self.advanced.d.next = self.n_advanced.val();
            if self.walk.final_fold.val() {
                self.walked.d.next = true;
            }
        }

        // Each cursor's next entry (through locals, so that each output is written once per
        // evaluation: see the cursor's note on events), and its pointer.
        for c in 0..4 {
            self.m_lbase[c].next = self.e_lbase[0].q.val();
            self.m_tbase[c].next = self.e_tbase[0].q.val();
            self.m_obase[c].next = self.e_obase[0].q.val();
            self.m_cbase[c].next = self.e_cbase[0].q.val();
            self.m_rows[c].next = self.e_rows[0].q.val();
            self.m_cols[c].next = self.e_cols[0].q.val();
            self.m_s0[c].next = self.e_s0[0].q.val();
            self.m_rt_nz[c].next = self.e_rt_nz[0].q.val();
            self.m_ct_nz[c].next = self.e_ct_nz[0].q.val();
            self.m_ot_odd[c].next = self.e_ot_odd[0].q.val();
            self.m_last_rt[c].next = self.e_last_rt[0].q.val();
            self.m_last_chunk[c].next = self.e_last_chunk[0].q.val();
            self.m_final[c].next = self.e_final[0].q.val();
            self.m_nest[c].next = self.e_nest[0].q.val();
            for j in 0..self._depth {
                if (self.rptr[c].q.val() & self.k_mask8.val()) == self.k_ring[j].val() {
                    self.m_lbase[c].next = self.e_lbase[j].q.val();
                    self.m_tbase[c].next = self.e_tbase[j].q.val();
                    self.m_obase[c].next = self.e_obase[j].q.val();
                    self.m_cbase[c].next = self.e_cbase[j].q.val();
                    self.m_rows[c].next = self.e_rows[j].q.val();
                    self.m_cols[c].next = self.e_cols[j].q.val();
                    self.m_s0[c].next = self.e_s0[j].q.val();
                    self.m_rt_nz[c].next = self.e_rt_nz[j].q.val();
                    self.m_ct_nz[c].next = self.e_ct_nz[j].q.val();
                    self.m_ot_odd[c].next = self.e_ot_odd[j].q.val();
                    self.m_last_rt[c].next = self.e_last_rt[j].q.val();
                    self.m_last_chunk[c].next = self.e_last_chunk[j].q.val();
                    self.m_final[c].next = self.e_final[j].q.val();
                    self.m_nest[c].next = self.e_nest[j].q.val();
                }
            }
            self.h_lbase[c].next = self.m_lbase[c].val();
            self.h_tbase[c].next = self.m_tbase[c].val();
            self.h_obase[c].next = self.m_obase[c].val();
            self.h_cbase[c].next = self.m_cbase[c].val();
            self.h_rows[c].next = self.m_rows[c].val();
            self.h_cols[c].next = self.m_cols[c].val();
            self.h_s0[c].next = self.m_s0[c].val();
            self.h_rt_nz[c].next = self.m_rt_nz[c].val();
            self.h_ct_nz[c].next = self.m_ct_nz[c].val();
            self.h_ot_odd[c].next = self.m_ot_odd[c].val();
            self.h_last_rt[c].next = self.m_last_rt[c].val();
            self.h_last_chunk[c].next = self.m_last_chunk[c].val();
            self.h_final[c].next = self.m_final[c].val();
            self.h_nest[c].next = self.m_nest[c].val();
            if self.start.val() {
                self.rptr[c].d.next = self.k_zero8.val();
            } else if self.take[c].val() {
                self.rptr[c].d.next = self.rptr[c].q.val() + self.k_one8.val();
            }
        }
    }
}
