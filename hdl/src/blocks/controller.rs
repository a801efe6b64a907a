//! The controller: takes one start command (M, N, K, dataflow, buffer base addresses), derives
//! the run's constants (stream length, fold interval), and runs every fold of the GEMM on the
//! contract's static schedule through four [`FoldCursor`]s fed by the mapping's fold queue, then
//! raises `done`. It also holds the mapping's registers ([`LoopRegs`]), the DMA's two fetch
//! cursors ([`FetchCursor`]) and the drain's walk ([`DrainWalk`]).
//!
//! States: idle -> setup (fold intervals) -> launch (cursors load) -> preroll (`L_C` cycles in
//! which only the C read-back cursor's clock runs, so that read-backs due before cycle 0, which
//! never accumulate, are stepped over) -> run (cycle 0 to the last C write) -> flush (the
//! counters add the last cycle's events) -> done.
//!
//! Stalls: the `stall` input acts only in the run state. There it makes the cycle a stalled one
//! (`hold`): the time bases `t`/`tr`, the cursors and the state hold, and the top level freezes
//! every register of the datapath. The request outputs (`a_re` .. `c_wcount`) still show the op
//! due in the cycle, so that whatever decides the stall (the DMA) can look at them without
//! a combinational loop; the top gates their effect. In idle, setup, launch, preroll, flush and
//! done, `stall` is ignored: those states run before cycle 0 or after the last write, and nothing
//! in them touches the buffers' contents.

use rust_hdl::prelude::*;
use systole_sim::config::ArchConfig;

use crate::blocks::drain_walk::DrainWalk;
use crate::blocks::fetch_cursor::FetchCursor;
use crate::blocks::fold_cursor::{FoldCursor, BASE_LEFT, BASE_OUT, BASE_TOP};
use crate::blocks::fold_queue::FoldQueue;
use crate::blocks::loop_regs::LoopRegs;
use crate::interface::{mode_code, FLAG_FIRST, FLAG_LAST, FLAG_SLOT, MODE_IS, MODE_OS, MODE_WS};

const ST_IDLE: u64 = 0;
const ST_SETUP: u64 = 1;
const ST_LAUNCH: u64 = 2;
const ST_PREROLL: u64 = 3;
const ST_RUN: u64 = 4;
const ST_DONE: u64 = 5;
const ST_FLUSH: u64 = 6;

/// The controller (see the module doc).
#[derive(LogicBlock)]
pub struct Controller {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// Start (one cycle).
    pub start: Signal<In, Bit>,
    /// Start command: M.
    pub cmd_m: Signal<In, Bits<16>>,
    /// Start command: N.
    pub cmd_n: Signal<In, Bits<16>>,
    /// Start command: K.
    pub cmd_k: Signal<In, Bits<16>>,
    /// Start command: dataflow (0 OS, 1 WS, 2 IS).
    pub cmd_mode: Signal<In, Bits<2>>,
    /// Start command: vector address of A in buffer A.
    pub cmd_a_base: Signal<In, Bits<16>>,
    /// Start command: vector address of B in buffer B.
    pub cmd_b_base: Signal<In, Bits<16>>,
    /// Start command: vector address of C in buffer C.
    pub cmd_c_base: Signal<In, Bits<16>>,
    /// Start command: how often A's vectors are fetched from DRAM (0 whole, 1 per run, 2 per
    /// fold: the memory plan's reuse, which the host's driver works out from the sizes).
    pub cmd_a_reuse: Signal<In, Bits<2>>,
    /// Start command: B's reuse.
    pub cmd_b_reuse: Signal<In, Bits<2>>,
    /// Start command: when C spills WS/IS partial sums to DRAM, the chunks each fold's rows are
    /// cut into (0: C does not spill), rows per chunk, and how many chunks have one row more
    /// (the memory plan's, like the reuse).
    pub cmd_c_chunks: Signal<In, Bits<16>>,
    /// Rows per chunk.
    pub cmd_c_chunk: Signal<In, Bits<16>>,
    /// Chunks with one row more.
    pub cmd_c_chunk_rem: Signal<In, Bits<16>>,
    /// A host write of one byte of the mapping's loop registers (before the start command;
    /// [`crate::blocks::loop_regs::mapping_writes`]).
    pub map_we: Signal<In, Bit>,
    /// The register byte.
    pub map_lane: Signal<In, Bits<8>>,
    /// Its value.
    pub map_wdata: Signal<In, Bits<8>>,
    /// Stall request: in the run state, the cycle stalls (see `hold`); ignored in every other
    /// state.
    pub stall: Signal<In, Bit>,
    /// This cycle stalls (`stall` in the run state): the cursors, the time bases and the state
    /// hold, and the top freezes every register of the datapath and gates the requests below.
    pub hold: Signal<Out, Bit>,
    /// Busy from the start command until done.
    pub busy: Signal<Out, Bit>,
    /// The run finished; counters are final.
    pub done: Signal<Out, Bit>,
    /// Cycles 0 .. last write (the counters count in these).
    pub running: Signal<Out, Bit>,
    /// The first stream read of a fold is issued this cycle (not in a stalled cycle).
    pub fold_start: Signal<Out, Bit>,
    /// The mode, for the array and the edge multiplexers.
    pub os: Signal<Out, Bit>,
    /// The mode is IS (A and B swap edges).
    pub is: Signal<Out, Bit>,
    /// Read requests to buffers A and B: address, valid lanes, markers, preload tag.
    pub a_re: Signal<Out, Bit>,
    /// Read address in buffer A (base included).
    pub a_addr: Signal<Out, Bits<16>>,
    /// Valid lanes of the A read (0: only markers travel).
    pub a_count: Signal<Out, Bits<8>>,
    /// Markers travelling with the A read (first, last, slot).
    pub a_flags: Signal<Out, Bits<4>>,
    /// Preload destination-row tag travelling with the A read.
    pub a_tag: Signal<Out, Bits<8>>,
    /// A read of buffer B is issued this cycle.
    pub b_re: Signal<Out, Bit>,
    /// Read address in buffer B (base included).
    pub b_addr: Signal<Out, Bits<16>>,
    /// Valid lanes of the B read.
    pub b_count: Signal<Out, Bits<8>>,
    /// Markers travelling with the B read.
    pub b_flags: Signal<Out, Bits<4>>,
    /// Preload tag travelling with the B read.
    pub b_tag: Signal<Out, Bits<8>>,
    /// C read-back (WS/IS accumulation) and C write.
    pub c_re: Signal<Out, Bit>,
    /// Read-back address in buffer C.
    pub c_raddr: Signal<Out, Bits<16>>,
    /// Valid lanes of the read-back.
    pub c_rcount: Signal<Out, Bits<8>>,
    /// A row is written into buffer C this cycle.
    pub c_we: Signal<Out, Bit>,
    /// Write address in buffer C.
    pub c_waddr: Signal<Out, Bits<16>>,
    /// Valid lanes of the write.
    pub c_wcount: Signal<Out, Bits<8>>,
    /// The DMA's fetch cursor for buffer A has a vector to fetch (the vectors of A in the order
    /// of the reads that fetch them: their first reads with `whole` reuse, every fold's or each
    /// run's with a ring).
    pub fa_valid: Signal<Out, Bit>,
    /// Its layout address (base included): its address in DRAM, and in buffer A with `whole`
    /// reuse (a ring places it in its next slot).
    pub fa_addr: Signal<Out, Bits<16>>,
    /// Its lanes.
    pub fa_count: Signal<Out, Bits<8>>,
    /// The cycle in which the controller reads it (the fetch's deadline).
    pub fa_due: Signal<Out, Bits<32>>,
    /// It is read by fold 0 or 1 (the prologue).
    pub fa_early: Signal<Out, Bit>,
    /// The DMA issued the fetch of A's current vector.
    pub fa_step: Signal<In, Bit>,
    /// The same four for buffer B.
    pub fb_valid: Signal<Out, Bit>,
    /// Address in buffer B.
    pub fb_addr: Signal<Out, Bits<16>>,
    /// Lanes.
    pub fb_count: Signal<Out, Bits<8>>,
    /// Deadline.
    pub fb_due: Signal<Out, Bits<32>>,
    /// Prologue.
    pub fb_early: Signal<Out, Bit>,
    /// The DMA issued the fetch of B's current vector.
    pub fb_step: Signal<In, Bit>,
    /// The drain walk's final fold (the DMA drains its rows of C,
    /// [`crate::blocks::drain_walk`]): its column tile's first step in C's layout.
    pub drain_col_base: Signal<Out, Bits<16>>,
    /// Its row base.
    pub drain_row_base: Signal<Out, Bits<16>>,
    /// Its rows.
    pub drain_rows: Signal<Out, Bits<16>>,
    /// Its lanes.
    pub drain_cols: Signal<Out, Bits<16>>,
    /// The DMA has drained the fold's last row.
    pub drain_next: Signal<In, Bit>,
    /// The A read shown in `a_re` belongs to a fold that fetches its vectors (the first to read
    /// them); other folds find them already on chip.
    pub a_fetch: Signal<Out, Bit>,
    /// The same for the B read.
    pub b_fetch: Signal<Out, Bit>,
    /// The A read is its vector's last (with reuse per run or per fold, it frees the slot).
    pub a_retire: Signal<Out, Bit>,
    /// The same for the B read.
    pub b_retire: Signal<Out, Bit>,
    /// Buffer A is a ring of slots (reuse per run or per fold), not an image of A.
    pub a_ring: Signal<Out, Bit>,
    /// Buffer B is a ring.
    pub b_ring: Signal<Out, Bit>,
    /// The A read shown in `a_re` is its fold's first (its ring's kept reads start over here).
    pub a_first: Signal<Out, Bit>,
    /// The loop that moved on to reach the A read's fold (`nest::FoldEntry::advanced`).
    pub a_advanced: Signal<Out, Bits<3>>,
    /// The loops A's fetch and retire flags look at (bit `i`: loop slot `i`).
    pub a_edges: Signal<Out, Bits<8>>,
    /// The same three for the B read.
    pub b_first: Signal<Out, Bit>,
    /// The loop that moved on to reach the B read's fold.
    pub b_advanced: Signal<Out, Bits<3>>,
    /// The loops B's flags look at.
    pub b_edges: Signal<Out, Bits<8>>,
    /// The C write's bank: fold parity (OS), output-tile parity (WS/IS).
    pub w_bank: Signal<Out, Bit>,
    /// The C write takes a new row (not an update of a partial sum already there).
    pub w_claim: Signal<Out, Bit>,
    /// The C write is final (the DMA drains it).
    pub w_final: Signal<Out, Bit>,
    /// The bank of the C read-back.
    pub r_bank: Signal<Out, Bit>,
    /// The dimensions mapped on the array's rows and columns, and the stream length.
    pub o_row_dim: Signal<Out, Bits<16>>,
    /// Columns dimension.
    pub o_col_dim: Signal<Out, Bits<16>>,
    /// Stream length.
    pub o_tlen: Signal<Out, Bits<16>>,
    /// The launch cycle (the DMA resets for the new run).
    pub dma_launch: Signal<Out, Bit>,
    /// The C write's row within its fold (WS/IS: its stream step).
    pub w_row: Signal<Out, Bits<16>>,
    /// The C write's first column (its column tile's first column; OS and WS: the channel of
    /// lane 0 for the output stage).
    pub w_col: Signal<Out, Bits<16>>,
    /// The C write's row within its output tile (its step in the fold: C's banks place it).
    pub w_step: Signal<Out, Bits<16>>,
    /// The C read-back's row within its output tile (its step in the fold).
    pub r_row: Signal<Out, Bits<16>>,
    /// Base address of C (the command's).
    pub o_c_base: Signal<Out, Bits<16>>,
    /// The command's spill chunking (chunks, rows per chunk, chunks one row longer).
    pub o_c_chunks: Signal<Out, Bits<16>>,
    /// Rows per chunk.
    pub o_c_chunk: Signal<Out, Bits<16>>,
    /// Chunks with one row more.
    pub o_c_chunk_rem: Signal<Out, Bits<16>>,
    /// The cycle of fold 0's first C write (as `t` counts).
    pub o_wfirst: Signal<Out, Bits<32>>,
    /// The fold interval.
    pub o_interval: Signal<Out, Bits<32>>,
    /// The C read-back cursor steps this cycle (in every fold, reading or not; a stall cancels
    /// it).
    pub r_issue: Signal<Out, Bit>,
    c_chunks: DFF<Bits<16>>,
    c_chunk: DFF<Bits<16>>,
    c_chunk_rem: DFF<Bits<16>>,
    queue: FoldQueue,
    left: FoldCursor,
    top: FoldCursor,
    wr: FoldCursor,
    rd: FoldCursor,
    interval_last: DFF<Bits<32>>,
    ts32: Signal<Local, Bits<32>>,
    tl32: Signal<Local, Bits<32>>,
    ivl1: Signal<Local, Bits<32>>,
    ivl: Signal<Local, Bits<32>>,
    c_steps: Signal<Local, Bits<16>>,
    accumulates: Signal<Local, Bit>,
    regs: LoopRegs,
    fetch_left: FetchCursor,
    fetch_top: FetchCursor,
    drain_walk: DrainWalk,
    k_base_left: Constant<Bits<2>>,
    k_base_top: Constant<Bits<2>>,
    k_base_out: Constant<Bits<2>>,
    k_c16: Constant<Bits<16>>,
    l_fetch: Signal<Local, Bit>,
    t_fetch: Signal<Local, Bit>,
    l_ring: Signal<Local, Bit>,
    t_ring: Signal<Local, Bit>,
    l_retire: Signal<Local, Bit>,
    t_retire: Signal<Local, Bit>,
    edges_a: Signal<Local, Bits<8>>,
    edges_b: Signal<Local, Bits<8>>,
    k_slot_bit: [Constant<Bits<8>>; 6],
    reuse_a: DFF<Bits<2>>,
    reuse_b: DFF<Bits<2>>,
    k_whole: Constant<Bits<2>>,
    state: DFF<Bits<3>>,
    m: DFF<Bits<16>>,
    n: DFF<Bits<16>>,
    k: DFF<Bits<16>>,
    mode: DFFWithInit<Bits<2>>,
    a_base: DFF<Bits<16>>,
    b_base: DFF<Bits<16>>,
    c_base: DFF<Bits<16>>,
    t: DFF<Bits<32>>,
    tr: DFF<Bits<32>>,
    interval: DFF<Bits<32>>,
    k_os: Constant<Bits<2>>,
    k_ws: Constant<Bits<2>>,
    k_is: Constant<Bits<2>>,
    k_r16: Constant<Bits<16>>,
    k_r32: Constant<Bits<32>>,
    k_lc1: Constant<Bits<32>>,
    k_lc_last: Constant<Bits<32>>,
    k_one32: Constant<Bits<32>>,
    k_zero16: Constant<Bits<16>>,
    k_zero8: Constant<Bits<8>>,
    k_zero4: Constant<Bits<4>>,
    k_zero32: Constant<Bits<32>>,
    k_first: Constant<Bits<4>>,
    k_last: Constant<Bits<4>>,
    k_slot: Constant<Bits<4>>,
    k_idle: Constant<Bits<3>>,
    k_setup: Constant<Bits<3>>,
    k_launch: Constant<Bits<3>>,
    k_preroll: Constant<Bits<3>>,
    k_run: Constant<Bits<3>>,
    k_done: Constant<Bits<3>>,
    k_flush: Constant<Bits<3>>,
    k_lf_os: Constant<Bits<32>>,
    k_lf_ws: Constant<Bits<32>>,
    k_lf_is: Constant<Bits<32>>,
    k_tf_os: Constant<Bits<32>>,
    k_tf_ws: Constant<Bits<32>>,
    k_ts_ws: Constant<Bits<32>>,
    k_tf_is: Constant<Bits<32>>,
    k_ts_is: Constant<Bits<32>>,
    k_out_os: Constant<Bits<32>>,
    k_out_ws: Constant<Bits<32>>,
    k_out_is: Constant<Bits<32>>,
    is_os: Signal<Local, Bit>,
    is_ws: Signal<Local, Bit>,
    is_is: Signal<Local, Bit>,
    tlen: Signal<Local, Bits<16>>,
    row_dim: Signal<Local, Bits<16>>,
    col_dim: Signal<Local, Bits<16>>,
    tlen32: Signal<Local, Bits<32>>,
    k32: Signal<Local, Bits<32>>,
    ival1: Signal<Local, Bits<32>>,
    ival: Signal<Local, Bits<32>>,
    lreq_count: Signal<Local, Bits<8>>,
    lreq_flags: Signal<Local, Bits<4>>,
    treq_count: Signal<Local, Bits<8>>,
    treq_flags: Signal<Local, Bits<4>>,
    treq_tag: Signal<Local, Bits<8>>,
    lfirst: Signal<Local, Bits<32>>,
    tfirst: Signal<Local, Bits<32>>,
    wfirst: Signal<Local, Bits<32>>,
    tsecond: Signal<Local, Bits<32>>,
    in_run: Signal<Local, Bit>,
    launch: Signal<Local, Bit>,
    frozen: Signal<Local, Bit>,
}

/// Generation-time constants of the schedule for one config: the cursors' first ops per
/// dataflow, from the fast model's schedule (`mapping::schedule::cursor_starts`).
struct Consts {
    lf: [u64; 3],
    tf: [u64; 3],
    ts: [u64; 2],
    out: [u64; 3],
}

fn consts(cfg: &ArchConfig) -> Consts {
    use systole_sim::config::Dataflow;
    use systole_sim::mapping::schedule::cursor_starts;
    let [os, ws, is] = [Dataflow::Os, Dataflow::Ws, Dataflow::Is].map(|df| cursor_starts(cfg, df));
    Consts {
        lf: [os.left, ws.left, is.left],
        tf: [os.top, ws.top, is.top],
        ts: [ws.top_second, is.top_second],
        out: [os.write, ws.write, is.write],
    }
}

/// The mode code of a design that supports exactly one dataflow.
pub fn fixed_mode(cfg: &ArchConfig) -> Option<u64> {
    match cfg.array.dataflows.as_slice() {
        [df] => Some(mode_code(*df)),
        _ => None,
    }
}

impl Controller {
    /// The controller for `cfg`'s array and buffer latencies.
    pub fn new(cfg: &ArchConfig) -> Self {
        let (r, c) = (cfg.array.rows as usize, cfg.array.cols as usize);
        let lc = u64::from(cfg.buffers.c.read_latency);
        let k = consts(cfg);
        let b32 = |v: u64| Constant::new(Bits::<32>::from(v));
        let b3 = |v: u64| Constant::new(Bits::<3>::from(v));
        let b4 = |v: u64| Constant::new(Bits::<4>::from(v));
        Controller {
            clock: Default::default(),
            start: Default::default(),
            cmd_m: Default::default(),
            cmd_n: Default::default(),
            cmd_k: Default::default(),
            cmd_mode: Default::default(),
            cmd_a_base: Default::default(),
            cmd_b_base: Default::default(),
            cmd_c_base: Default::default(),
            cmd_a_reuse: Default::default(),
            cmd_b_reuse: Default::default(),
            cmd_c_chunks: Default::default(),
            cmd_c_chunk: Default::default(),
            cmd_c_chunk_rem: Default::default(),
            map_we: Default::default(),
            map_lane: Default::default(),
            map_wdata: Default::default(),
            stall: Default::default(),
            hold: Default::default(),
            busy: Default::default(),
            done: Default::default(),
            running: Default::default(),
            fold_start: Default::default(),
            os: Default::default(),
            is: Default::default(),
            a_re: Default::default(),
            a_addr: Default::default(),
            a_count: Default::default(),
            a_flags: Default::default(),
            a_tag: Default::default(),
            b_re: Default::default(),
            b_addr: Default::default(),
            b_count: Default::default(),
            b_flags: Default::default(),
            b_tag: Default::default(),
            c_re: Default::default(),
            c_raddr: Default::default(),
            c_rcount: Default::default(),
            c_we: Default::default(),
            c_waddr: Default::default(),
            c_wcount: Default::default(),
            fa_valid: Default::default(),
            fa_addr: Default::default(),
            fa_count: Default::default(),
            fa_due: Default::default(),
            fa_early: Default::default(),
            fa_step: Default::default(),
            fb_valid: Default::default(),
            fb_addr: Default::default(),
            fb_count: Default::default(),
            fb_due: Default::default(),
            fb_early: Default::default(),
            fb_step: Default::default(),
            drain_col_base: Default::default(),
            drain_row_base: Default::default(),
            drain_rows: Default::default(),
            drain_cols: Default::default(),
            drain_next: Default::default(),
            a_fetch: Default::default(),
            b_fetch: Default::default(),
            a_retire: Default::default(),
            b_retire: Default::default(),
            a_ring: Default::default(),
            b_ring: Default::default(),
            a_first: Default::default(),
            a_advanced: Default::default(),
            a_edges: Default::default(),
            b_first: Default::default(),
            b_advanced: Default::default(),
            b_edges: Default::default(),
            w_bank: Default::default(),
            w_claim: Default::default(),
            w_final: Default::default(),
            r_bank: Default::default(),
            o_row_dim: Default::default(),
            o_col_dim: Default::default(),
            o_tlen: Default::default(),
            dma_launch: Default::default(),
            w_row: Default::default(),
            w_col: Default::default(),
            r_row: Default::default(),
            w_step: Default::default(),
            o_c_base: Default::default(),
            o_c_chunks: Default::default(),
            o_c_chunk: Default::default(),
            o_c_chunk_rem: Default::default(),
            o_wfirst: Default::default(),
            o_interval: Default::default(),
            r_issue: Default::default(),
            c_chunks: Default::default(),
            c_chunk: Default::default(),
            c_chunk_rem: Default::default(),
            queue: FoldQueue::new(
                r,
                c,
                systole_sim::mapping::schedule::fold_queue_design_depth(cfg),
            ),
            left: FoldCursor::new(r),
            top: FoldCursor::new(r),
            wr: FoldCursor::new(r),
            rd: FoldCursor::new(r),
            interval_last: Default::default(),
            ts32: Default::default(),
            tl32: Default::default(),
            ivl1: Default::default(),
            ivl: Default::default(),
            c_steps: Default::default(),
            accumulates: Default::default(),
            regs: Default::default(),
            fetch_left: FetchCursor::new(r, c),
            fetch_top: FetchCursor::new(r, c),
            drain_walk: DrainWalk::new(r, c),
            k_base_left: Constant::new(Bits::<2>::from(BASE_LEFT)),
            k_base_top: Constant::new(Bits::<2>::from(BASE_TOP)),
            k_base_out: Constant::new(Bits::<2>::from(BASE_OUT)),
            k_c16: Constant::new(Bits::<16>::from(c as u64)),
            l_fetch: Default::default(),
            t_fetch: Default::default(),
            l_ring: Default::default(),
            t_ring: Default::default(),
            l_retire: Default::default(),
            t_retire: Default::default(),
            edges_a: Default::default(),
            edges_b: Default::default(),
            k_slot_bit: std::array::from_fn(|i| Constant::new(Bits::<8>::from(1u64 << i))),
            reuse_a: Default::default(),
            reuse_b: Default::default(),
            k_whole: Constant::new(Bits::<2>::from(0u64)),
            state: Default::default(),
            m: Default::default(),
            n: Default::default(),
            k: Default::default(),
            // Power-on mode: the only dataflow of a single-dataflow design, so that synthesis
            // folds the mode register (and the other modes' logic) into constants.
            mode: DFFWithInit::new(Bits::<2>::from(fixed_mode(cfg).unwrap_or(MODE_OS))),
            a_base: Default::default(),
            b_base: Default::default(),
            c_base: Default::default(),
            t: Default::default(),
            tr: Default::default(),
            interval: Default::default(),
            k_os: Constant::new(Bits::<2>::from(MODE_OS)),
            k_ws: Constant::new(Bits::<2>::from(MODE_WS)),
            k_is: Constant::new(Bits::<2>::from(MODE_IS)),
            k_r16: Constant::new(Bits::<16>::from(r as u64)),
            k_r32: b32(r as u64),
            k_lc1: b32(lc + 1),
            k_lc_last: b32(lc - 1),
            k_one32: b32(1),
            k_zero16: Constant::new(Bits::<16>::default()),
            k_zero8: Constant::new(Bits::<8>::default()),
            k_zero4: b4(0),
            k_zero32: b32(0),
            k_first: b4(FLAG_FIRST),
            k_last: b4(FLAG_LAST),
            k_slot: b4(FLAG_SLOT),
            k_idle: b3(ST_IDLE),
            k_setup: b3(ST_SETUP),
            k_launch: b3(ST_LAUNCH),
            k_preroll: b3(ST_PREROLL),
            k_run: b3(ST_RUN),
            k_done: b3(ST_DONE),
            k_flush: b3(ST_FLUSH),
            k_lf_os: b32(k.lf[0]),
            k_lf_ws: b32(k.lf[1]),
            k_lf_is: b32(k.lf[2]),
            k_tf_os: b32(k.tf[0]),
            k_tf_ws: b32(k.tf[1]),
            k_ts_ws: b32(k.ts[0]),
            k_tf_is: b32(k.tf[2]),
            k_ts_is: b32(k.ts[1]),
            k_out_os: b32(k.out[0]),
            k_out_ws: b32(k.out[1]),
            k_out_is: b32(k.out[2]),
            is_os: Default::default(),
            is_ws: Default::default(),
            is_is: Default::default(),
            tlen: Default::default(),
            row_dim: Default::default(),
            col_dim: Default::default(),
            tlen32: Default::default(),
            k32: Default::default(),
            ival1: Default::default(),
            ival: Default::default(),
            lreq_count: Default::default(),
            lreq_flags: Default::default(),
            treq_count: Default::default(),
            treq_flags: Default::default(),
            treq_tag: Default::default(),
            lfirst: Default::default(),
            tfirst: Default::default(),
            wfirst: Default::default(),
            tsecond: Default::default(),
            in_run: Default::default(),
            launch: Default::default(),
            frozen: Default::default(),
        }
    }
}

impl Logic for Controller {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            state,
            m,
            n,
            k,
            mode,
            a_base,
            b_base,
            c_base,
            t,
            tr,
            interval,
            interval_last,
            reuse_a,
            reuse_b,
            c_chunks,
            c_chunk,
            c_chunk_rem
        );
        clock!(self, clock, regs, queue, left, top, wr, rd, fetch_left, fetch_top, drain_walk);
        self.is_os.next = self.mode.q.val() == self.k_os.val();
        self.is_ws.next = self.mode.q.val() == self.k_ws.val();
        self.is_is.next = self.mode.q.val() == self.k_is.val();
        self.os.next = self.is_os.val();
        self.is.next = self.is_is.val();

        // Stream length T and the dimensions mapped on the array's rows and columns.
        self.tlen.next = self.k.q.val();
        self.row_dim.next = self.m.q.val();
        self.col_dim.next = self.n.q.val();
        if self.is_ws.val() {
            self.tlen.next = self.m.q.val();
            self.row_dim.next = self.k.q.val();
        }
        if self.is_is.val() {
            self.tlen.next = self.n.q.val();
            self.row_dim.next = self.k.q.val();
            self.col_dim.next = self.m.q.val();
        }
        self.tlen32.next = bit_cast::<32, 16>(self.tlen.val());
        self.k32.next = bit_cast::<32, 16>(self.k.q.val());
        // Fold intervals, of a fold with a full chunk (T_s) and with the last chunk: max(T_f, R),
        // and L_C + 1 when WS/IS folds accumulate (K > R).
        self.accumulates.next = !self.is_os.val() & (self.row_dim.val() > self.k_r16.val());
        self.ts32.next = bit_cast::<32, 16>(self.regs.ts.val());
        self.tl32.next = bit_cast::<32, 16>(self.regs.tlast.val());
        self.ival1.next = self.ts32.val();
        if self.ts32.val() < self.k_r32.val() {
            self.ival1.next = self.k_r32.val();
        }
        self.ival.next = self.ival1.val();
        if self.accumulates.val() & (self.ival1.val() < self.k_lc1.val()) {
            self.ival.next = self.k_lc1.val();
        }
        self.ivl1.next = self.tl32.val();
        if self.tl32.val() < self.k_r32.val() {
            self.ivl1.next = self.k_r32.val();
        }
        self.ivl.next = self.ivl1.val();
        if self.accumulates.val() & (self.ivl1.val() < self.k_lc1.val()) {
            self.ivl.next = self.k_lc1.val();
        }

        // Cursor parameters (read by the cursors when they start).
        self.lfirst.next = self.k_lf_os.val();
        self.tfirst.next = self.k_tf_os.val();
        self.wfirst.next = self.k32.val() + self.k_out_os.val();
        if self.is_ws.val() {
            self.lfirst.next = self.k_lf_ws.val();
            self.tfirst.next = self.k_tf_ws.val();
            self.wfirst.next = self.k_out_ws.val();
        }
        if self.is_is.val() {
            self.lfirst.next = self.k_lf_is.val();
            self.tfirst.next = self.k_tf_is.val();
            self.wfirst.next = self.k_out_is.val();
        }
        // The fold queue: the mapping's folds in run order, one entry per fold for each cursor.
        self.c_steps.next = self.m.q.val();
        if self.is_is.val() {
            self.c_steps.next = self.n.q.val();
        }
        self.queue.start.next = self.start.val()
            & ((self.state.q.val() == self.k_idle.val())
                | (self.state.q.val() == self.k_done.val()));
        self.queue.os.next = self.is_os.val();
        self.queue.tlen.next = self.tlen.val();
        self.queue.k.next = self.k.q.val();
        self.queue.c_steps.next = self.c_steps.val();
        self.queue.row_dim.next = self.row_dim.val();
        self.queue.col_dim.next = self.col_dim.val();
        self.regs.map_we.next = self.map_we.val();
        self.regs.map_lane.next = self.map_lane.val();
        self.regs.map_wdata.next = self.map_wdata.val();
        self.queue.ts.next = self.regs.ts.val();
        self.queue.tlast.next = self.regs.tlast.val();
        for i in 0..6 {
            self.queue.axis[i].next = self.regs.axis[i].val();
            self.queue.trips[i].next = self.regs.trips[i].val();
            self.queue.tiles[i].next = self.regs.tiles[i].val();
            self.queue.stride[i].next = self.regs.stride[i].val();
            self.queue.inner[i].next = self.regs.inner[i].val();
            self.queue.edge_a[i].next = self.regs.edge_a[i].val();
            self.queue.edge_b[i].next = self.regs.edge_b[i].val();
        }
        self.queue.take[0].next = self.left.take.val();
        self.queue.take[1].next = self.top.take.val();
        self.queue.take[2].next = self.wr.take.val();
        self.queue.take[3].next = self.rd.take.val();
        // Every cursor that runs holds the walker back from its first fold on (OS has no
        // read-back); a cursor done with its last fold has taken every entry.
        self.queue.active[0].next = true;
        self.queue.active[1].next = true;
        self.queue.active[2].next = true;
        self.queue.active[3].next = !self.is_os.val();
        self.left.h_lbase.next = self.queue.h_lbase[0].val();
        self.left.h_tbase.next = self.queue.h_tbase[0].val();
        self.left.h_obase.next = self.queue.h_obase[0].val();
        self.left.h_cbase.next = self.queue.h_cbase[0].val();
        self.left.h_rows.next = self.queue.h_rows[0].val();
        self.left.h_cols.next = self.queue.h_cols[0].val();
        self.left.h_s0.next = self.queue.h_s0[0].val();
        self.left.h_rt_nz.next = self.queue.h_rt_nz[0].val();
        self.left.h_ct_nz.next = self.queue.h_ct_nz[0].val();
        self.left.h_ot_odd.next = self.queue.h_ot_odd[0].val();
        self.left.h_last_rt.next = self.queue.h_last_rt[0].val();
        self.left.h_last_chunk.next = self.queue.h_last_chunk[0].val();
        self.left.h_final.next = self.queue.h_final[0].val();
        self.left.h_nest.next = self.queue.h_nest[0].val();
        self.top.h_lbase.next = self.queue.h_lbase[1].val();
        self.top.h_tbase.next = self.queue.h_tbase[1].val();
        self.top.h_obase.next = self.queue.h_obase[1].val();
        self.top.h_cbase.next = self.queue.h_cbase[1].val();
        self.top.h_rows.next = self.queue.h_rows[1].val();
        self.top.h_cols.next = self.queue.h_cols[1].val();
        self.top.h_s0.next = self.queue.h_s0[1].val();
        self.top.h_rt_nz.next = self.queue.h_rt_nz[1].val();
        self.top.h_ct_nz.next = self.queue.h_ct_nz[1].val();
        self.top.h_ot_odd.next = self.queue.h_ot_odd[1].val();
        self.top.h_last_rt.next = self.queue.h_last_rt[1].val();
        self.top.h_last_chunk.next = self.queue.h_last_chunk[1].val();
        self.top.h_final.next = self.queue.h_final[1].val();
        self.top.h_nest.next = self.queue.h_nest[1].val();
        self.wr.h_lbase.next = self.queue.h_lbase[2].val();
        self.wr.h_tbase.next = self.queue.h_tbase[2].val();
        self.wr.h_obase.next = self.queue.h_obase[2].val();
        self.wr.h_cbase.next = self.queue.h_cbase[2].val();
        self.wr.h_rows.next = self.queue.h_rows[2].val();
        self.wr.h_cols.next = self.queue.h_cols[2].val();
        self.wr.h_s0.next = self.queue.h_s0[2].val();
        self.wr.h_rt_nz.next = self.queue.h_rt_nz[2].val();
        self.wr.h_ct_nz.next = self.queue.h_ct_nz[2].val();
        self.wr.h_ot_odd.next = self.queue.h_ot_odd[2].val();
        self.wr.h_last_rt.next = self.queue.h_last_rt[2].val();
        self.wr.h_last_chunk.next = self.queue.h_last_chunk[2].val();
        self.wr.h_final.next = self.queue.h_final[2].val();
        self.wr.h_nest.next = self.queue.h_nest[2].val();
        self.rd.h_lbase.next = self.queue.h_lbase[3].val();
        self.rd.h_tbase.next = self.queue.h_tbase[3].val();
        self.rd.h_obase.next = self.queue.h_obase[3].val();
        self.rd.h_cbase.next = self.queue.h_cbase[3].val();
        self.rd.h_rows.next = self.queue.h_rows[3].val();
        self.rd.h_cols.next = self.queue.h_cols[3].val();
        self.rd.h_s0.next = self.queue.h_s0[3].val();
        self.rd.h_rt_nz.next = self.queue.h_rt_nz[3].val();
        self.rd.h_ct_nz.next = self.queue.h_ct_nz[3].val();
        self.rd.h_ot_odd.next = self.queue.h_ot_odd[3].val();
        self.rd.h_last_rt.next = self.queue.h_last_rt[3].val();
        self.rd.h_last_chunk.next = self.queue.h_last_chunk[3].val();
        self.rd.h_final.next = self.queue.h_final[3].val();
        self.rd.h_nest.next = self.queue.h_nest[3].val();
        // Every cursor: fold lengths and intervals of full and last chunks.
        self.left.len_full.next = self.regs.ts.val();
        self.left.len_last.next = self.regs.tlast.val();
        self.left.i_full.next = self.interval.q.val();
        self.left.i_last.next = self.interval_last.q.val();
        self.top.len_full.next = self.regs.ts.val();
        self.top.len_last.next = self.regs.tlast.val();
        self.top.i_full.next = self.interval.q.val();
        self.top.i_last.next = self.interval_last.q.val();
        self.wr.len_full.next = self.regs.ts.val();
        self.wr.len_last.next = self.regs.tlast.val();
        self.wr.i_full.next = self.interval.q.val();
        self.wr.i_last.next = self.interval_last.q.val();
        self.rd.len_full.next = self.regs.ts.val();
        self.rd.len_last.next = self.regs.tlast.val();
        self.rd.i_full.next = self.interval.q.val();
        self.rd.i_last.next = self.interval_last.q.val();
        self.left.t.next = self.t.q.val();
        self.left.t_first.next = self.lfirst.val();
        self.left.t_second.next = self.lfirst.val();
        self.left.lag.next = false;
        self.left.slot_mode.next = false;
        self.left.base_sel.next = self.k_base_left.val();

        // The top edge streams (OS) or preloads one fold ahead of the stream (WS/IS).
        self.top.t.next = self.t.q.val();
        self.top.t_first.next = self.tfirst.val();
        self.top.base_sel.next = self.k_base_top.val();
        self.top.t_second.next = self.tfirst.val();
        self.top.lag.next = false;
        self.top.slot_mode.next = false;
        if !self.is_os.val() {
            if self.is_is.val() {
                self.top.t_second.next = self.k_ts_is.val();
            } else {
                self.top.t_second.next = self.k_ts_ws.val();
            }
            self.top.lag.next = true;
            self.top.slot_mode.next = true;
        }

        self.wr.t.next = self.t.q.val();
        self.rd.t.next = self.tr.q.val();
        self.wr.t_first.next = self.wfirst.val();
        self.rd.t_first.next = self.wfirst.val();
        self.wr.t_second.next = self.wfirst.val();
        self.rd.t_second.next = self.wfirst.val();
        self.wr.lag.next = false;
        self.rd.lag.next = false;
        self.wr.base_sel.next = self.k_base_out.val();
        self.rd.base_sel.next = self.k_base_out.val();
        // OS writes the fold's rows bottom first (slot mode); WS/IS one row per stream vector.
        self.wr.slot_mode.next = self.is_os.val();
        self.rd.slot_mode.next = false;

        // Buffers A and B are rings of slots unless their operand is kept for the whole run.
        self.l_ring.next = self.reuse_a.q.val() != self.k_whole.val();
        self.t_ring.next = self.reuse_b.q.val() != self.k_whole.val();
        if self.is_is.val() {
            self.l_ring.next = self.reuse_b.q.val() != self.k_whole.val();
            self.t_ring.next = self.reuse_a.q.val() != self.k_whole.val();
        }
        // The DMA's fetch cursors walk the operands' fetching folds of the mapping (the left
        // edge's operand is B in IS, A otherwise), each with its loops masked.
        for i in 0..6 {
            self.fetch_left.axis[i].next = self.regs.axis[i].val();
            self.fetch_left.trips[i].next = self.regs.trips[i].val();
            self.fetch_left.tiles[i].next = self.regs.tiles[i].val();
            self.fetch_left.stride[i].next = self.regs.stride[i].val();
            self.fetch_left.inner[i].next = self.regs.inner[i].val();
            self.fetch_left.chunk_mask[i].next = self.regs.chunk_mask[i].val();
            self.fetch_left.block_mask[i].next = self.regs.block_mask[i].val();
            self.fetch_left.span0[i].next = self.regs.span0[i].val();
            self.fetch_left.span1[i].next = self.regs.span1[i].val();
            self.fetch_left.span2[i].next = self.regs.span2[i].val();
            self.fetch_left.span3[i].next = self.regs.span3[i].val();
            self.fetch_top.axis[i].next = self.regs.axis[i].val();
            self.fetch_top.trips[i].next = self.regs.trips[i].val();
            self.fetch_top.tiles[i].next = self.regs.tiles[i].val();
            self.fetch_top.stride[i].next = self.regs.stride[i].val();
            self.fetch_top.inner[i].next = self.regs.inner[i].val();
            self.fetch_top.chunk_mask[i].next = self.regs.chunk_mask[i].val();
            self.fetch_top.block_mask[i].next = self.regs.block_mask[i].val();
            self.fetch_top.span0[i].next = self.regs.span0[i].val();
            self.fetch_top.span1[i].next = self.regs.span1[i].val();
            self.fetch_top.span2[i].next = self.regs.span2[i].val();
            self.fetch_top.span3[i].next = self.regs.span3[i].val();
            if self.is_is.val() {
                self.fetch_left.mask[i].next = self.regs.edge_b[i].val();
                self.fetch_top.mask[i].next = self.regs.edge_a[i].val();
            } else {
                self.fetch_left.mask[i].next = self.regs.edge_a[i].val();
                self.fetch_top.mask[i].next = self.regs.edge_b[i].val();
            }
        }
        self.fetch_left.i_full.next = self.interval.q.val();
        self.fetch_left.i_last.next = self.interval_last.q.val();
        self.fetch_left.ts.next = self.regs.ts.val();
        self.fetch_left.tlast.next = self.regs.tlast.val();
        self.fetch_left.tlen.next = self.tlen.val();
        self.fetch_left.k.next = self.k.q.val();
        self.fetch_left.row_dim.next = self.row_dim.val();
        self.fetch_left.col_dim.next = self.col_dim.val();
        self.fetch_left.left.next = true;
        self.fetch_left.preload.next = false;
        self.fetch_left.t_first.next = self.lfirst.val();
        self.fetch_left.t_second.next = self.lfirst.val();
        self.fetch_top.i_full.next = self.interval.q.val();
        self.fetch_top.i_last.next = self.interval_last.q.val();
        self.fetch_top.ts.next = self.regs.ts.val();
        self.fetch_top.tlast.next = self.regs.tlast.val();
        self.fetch_top.tlen.next = self.tlen.val();
        self.fetch_top.k.next = self.k.q.val();
        self.fetch_top.row_dim.next = self.row_dim.val();
        self.fetch_top.col_dim.next = self.col_dim.val();
        self.fetch_top.left.next = false;
        self.fetch_top.preload.next = !self.is_os.val();
        // The drain's walk of the final folds.
        for i in 0..6 {
            self.drain_walk.axis[i].next = self.regs.axis[i].val();
            self.drain_walk.trips[i].next = self.regs.trips[i].val();
            self.drain_walk.tiles[i].next = self.regs.tiles[i].val();
            self.drain_walk.stride[i].next = self.regs.stride[i].val();
            self.drain_walk.inner[i].next = self.regs.inner[i].val();
        }
        self.drain_walk.os.next = self.is_os.val();
        self.drain_walk.ts.next = self.regs.ts.val();
        self.drain_walk.tlast.next = self.regs.tlast.val();
        self.drain_walk.tlen.next = self.tlen.val();
        self.drain_walk.c_steps.next = self.c_steps.val();
        self.drain_walk.row_dim.next = self.row_dim.val();
        self.drain_walk.col_dim.next = self.col_dim.val();
        self.drain_walk.step.next = self.drain_next.val();
        self.drain_col_base.next = self.drain_walk.col_base.val();
        self.drain_row_base.next = self.drain_walk.row_base.val();
        self.drain_rows.next = self.drain_walk.rows.val();
        self.drain_cols.next = self.drain_walk.cols.val();
        self.fetch_top.t_first.next = self.tfirst.val();
        // (Through a local: a child's input is written once per evaluation, see the cursor's
        // note on events.)
        self.tsecond.next = self.tfirst.val();
        if self.is_ws.val() {
            self.tsecond.next = self.k_ts_ws.val();
        }
        if self.is_is.val() {
            self.tsecond.next = self.k_ts_is.val();
        }
        self.fetch_top.t_second.next = self.tsecond.val();
        self.o_row_dim.next = self.row_dim.val();
        self.o_col_dim.next = self.col_dim.val();
        self.o_tlen.next = self.tlen.val();
        // Which reads fetch and which free their ring slots: the fold's nest flags (A's in bits 0
        // and 1, B's in 2 and 3; the left edge reads B in IS).
        self.l_fetch.next = self.left.nest.val().get_bit(0);
        self.l_retire.next = self.l_ring.val() & self.left.nest.val().get_bit(1);
        self.t_fetch.next = self.top.nest.val().get_bit(2);
        self.t_retire.next = self.t_ring.val() & self.top.nest.val().get_bit(3);
        if self.is_is.val() {
            self.l_fetch.next = self.left.nest.val().get_bit(2);
            self.l_retire.next = self.l_ring.val() & self.left.nest.val().get_bit(3);
            self.t_fetch.next = self.top.nest.val().get_bit(0);
            self.t_retire.next = self.t_ring.val() & self.top.nest.val().get_bit(1);
        }
        self.edges_a.next = self.k_zero8.val();
        self.edges_b.next = self.k_zero8.val();
        for i in 0..6 {
            if self.regs.edge_a[i].val() {
                self.edges_a.next = self.edges_a.val() | self.k_slot_bit[i].val();
            }
            if self.regs.edge_b[i].val() {
                self.edges_b.next = self.edges_b.val() | self.k_slot_bit[i].val();
            }
        }
        self.a_edges.next = self.edges_a.val();
        self.b_edges.next = self.edges_b.val();
        self.a_first.next = self.left.first_step.val();
        self.a_advanced.next = self.left.nest.val().get_bits::<3>(4);
        self.b_first.next = self.top.first_step.val();
        self.b_advanced.next = self.top.nest.val().get_bits::<3>(4);
        if self.is_is.val() {
            self.a_first.next = self.top.first_step.val();
            self.a_advanced.next = self.top.nest.val().get_bits::<3>(4);
            self.b_first.next = self.left.first_step.val();
            self.b_advanced.next = self.left.nest.val().get_bits::<3>(4);
        }
        self.w_bank.next = self.wr.ot_odd.val();
        if self.is_os.val() {
            self.w_bank.next = self.wr.fold_odd.val();
        }
        self.w_claim.next = self.is_os.val() | !self.wr.rt_nz.val();
        self.w_final.next = self.is_os.val() | self.wr.last_rt.val();
        self.r_bank.next = self.rd.ot_odd.val();
        self.w_row.next = self.wr.stream_pos.val();
        self.w_col.next = self.wr.col_base.val();
        self.w_step.next = self.wr.step_idx.val();
        self.r_row.next = self.rd.step_idx.val();
        self.o_c_base.next = self.c_base.q.val();
        self.o_c_chunks.next = self.c_chunks.q.val();
        self.o_c_chunk.next = self.c_chunk.q.val();
        self.o_c_chunk_rem.next = self.c_chunk_rem.q.val();
        self.o_wfirst.next = self.wfirst.val();
        self.o_interval.next = self.interval.q.val();
        self.r_issue.next = self.rd.issue.val();

        // The state machine.
        self.in_run.next = self.state.q.val() == self.k_run.val();
        self.running.next = self.in_run.val();
        // A stall has effect only in the run state (cycle 0 to the last C write).
        self.frozen.next = self.in_run.val() & self.stall.val();
        self.hold.next = self.frozen.val();
        self.left.hold.next = self.frozen.val();
        self.top.hold.next = self.frozen.val();
        self.wr.hold.next = self.frozen.val();
        self.rd.hold.next = self.frozen.val();
        self.done.next = self.state.q.val() == self.k_done.val();
        self.busy.next =
            (self.state.q.val() != self.k_idle.val()) & (self.state.q.val() != self.k_done.val());
        self.left.en.next = self.in_run.val();
        self.top.en.next = self.in_run.val();
        self.wr.en.next = self.in_run.val();
        self.rd.en.next = self.in_run.val() | (self.state.q.val() == self.k_preroll.val());
        // Cursor inputs are written once per evaluation (see the cursor's note on events).
        self.launch.next = self.state.q.val() == self.k_launch.val();
        self.left.start.next = self.launch.val();
        self.dma_launch.next = self.launch.val();
        self.fetch_left.start.next = self.launch.val();
        self.fetch_top.start.next = self.launch.val();
        self.drain_walk.start.next = self.launch.val();
        self.top.start.next = self.launch.val();
        self.wr.start.next = self.launch.val();
        self.rd.start.next = self.launch.val() & !self.is_os.val();
        if (self.state.q.val() == self.k_idle.val()) | (self.state.q.val() == self.k_done.val()) {
            if self.start.val() {
                self.m.d.next = self.cmd_m.val();
                self.n.d.next = self.cmd_n.val();
                self.k.d.next = self.cmd_k.val();
                self.mode.d.next = self.cmd_mode.val();
                self.a_base.d.next = self.cmd_a_base.val();
                self.b_base.d.next = self.cmd_b_base.val();
                self.c_base.d.next = self.cmd_c_base.val();
                self.reuse_a.d.next = self.cmd_a_reuse.val();
                self.reuse_b.d.next = self.cmd_b_reuse.val();
                self.c_chunks.d.next = self.cmd_c_chunks.val();
                self.c_chunk.d.next = self.cmd_c_chunk.val();
                self.c_chunk_rem.d.next = self.cmd_c_chunk_rem.val();
                self.state.d.next = self.k_setup.val();
            }
        } else if self.state.q.val() == self.k_setup.val() {
            self.interval.d.next = self.ival.val();
            self.interval_last.d.next = self.ivl.val();
            self.state.d.next = self.k_launch.val();
        } else if self.state.q.val() == self.k_launch.val() {
            self.t.d.next = self.k_zero32.val();
            self.tr.d.next = self.k_zero32.val();
            self.state.d.next = self.k_preroll.val();
        } else if self.state.q.val() == self.k_preroll.val() {
            self.tr.d.next = self.tr.q.val() + self.k_one32.val();
            if self.tr.q.val() == self.k_lc_last.val() {
                self.state.d.next = self.k_run.val();
            }
        } else if self.in_run.val() {
            // A stalled cycle holds the time bases and the state (the last write is retried).
            if !self.frozen.val() {
                self.t.d.next = self.t.q.val() + self.k_one32.val();
                self.tr.d.next = self.tr.q.val() + self.k_one32.val();
                if self.wr.final_op.val() {
                    self.state.d.next = self.k_flush.val();
                }
            }
        } else if self.state.q.val() == self.k_flush.val() {
            // The counters add the last cycle's events now (their increments are registered).
            self.state.d.next = self.k_done.val();
        }

        // Edge requests: the left cursor streams; the top cursor streams (OS) or preloads.
        self.lreq_count.next = bit_cast::<8, 16>(self.left.rows_used.val());
        self.lreq_flags.next = self.k_zero4.val();
        if self.is_os.val() & self.left.last_step.val() {
            self.lreq_flags.next = self.k_last.val();
        }
        if !self.is_os.val() & self.left.first_step.val() {
            self.lreq_flags.next = self.k_first.val();
        }
        self.treq_count.next = bit_cast::<8, 16>(self.top.cols_used.val());
        self.treq_flags.next = self.k_zero4.val();
        self.treq_tag.next = self.k_zero8.val();
        if !self.is_os.val() {
            self.treq_flags.next = self.k_slot.val();
            self.treq_tag.next = bit_cast::<8, 16>(self.top.slot_row.val());
            if !self.top.slot_active.val() {
                self.treq_count.next = self.k_zero8.val();
            }
        }
        self.a_re.next = false;
        self.a_addr.next = self.a_base.q.val();
        self.a_count.next = self.k_zero8.val();
        self.a_flags.next = self.k_zero4.val();
        self.a_tag.next = self.k_zero8.val();
        self.b_re.next = false;
        self.b_addr.next = self.b_base.q.val();
        self.b_count.next = self.k_zero8.val();
        self.b_flags.next = self.k_zero4.val();
        self.b_tag.next = self.k_zero8.val();
        if self.is_is.val() {
            if self.left.issue.val() {
                self.b_re.next = true;
                self.b_addr.next = self.b_base.q.val() + self.left.addr.val();
                self.b_count.next = self.lreq_count.val();
                self.b_flags.next = self.lreq_flags.val();
            }
            if self.top.issue.val() {
                self.a_re.next = true;
                self.a_addr.next = self.a_base.q.val() + self.top.addr.val();
                self.a_count.next = self.treq_count.val();
                self.a_flags.next = self.treq_flags.val();
                self.a_tag.next = self.treq_tag.val();
            }
        } else {
            if self.left.issue.val() {
                self.a_re.next = true;
                self.a_addr.next = self.a_base.q.val() + self.left.addr.val();
                self.a_count.next = self.lreq_count.val();
                self.a_flags.next = self.lreq_flags.val();
            }
            if self.top.issue.val() {
                self.b_re.next = true;
                self.b_addr.next = self.b_base.q.val() + self.top.addr.val();
                self.b_count.next = self.treq_count.val();
                self.b_flags.next = self.treq_flags.val();
                self.b_tag.next = self.treq_tag.val();
            }
        }
        // The fetch cursors' current ops, as buffers A and B (IS swaps the edges).
        if self.is_is.val() {
            self.fa_valid.next = self.fetch_top.busy.val();
            self.fa_addr.next = self.a_base.q.val() + self.fetch_top.addr.val();
            self.fa_count.next = self.fetch_top.count.val();
            self.fa_due.next = self.fetch_top.due.val();
            self.fa_early.next = self.fetch_top.early.val();
            self.fetch_top.step.next = self.fa_step.val();
            self.fb_valid.next = self.fetch_left.busy.val();
            self.fb_addr.next = self.b_base.q.val() + self.fetch_left.addr.val();
            self.fb_count.next = self.fetch_left.count.val();
            self.fb_due.next = self.fetch_left.due.val();
            self.fb_early.next = self.fetch_left.early.val();
            self.fetch_left.step.next = self.fb_step.val();
            self.a_fetch.next = self.t_fetch.val();
            self.b_fetch.next = self.l_fetch.val();
            self.a_retire.next = self.t_retire.val();
            self.b_retire.next = self.l_retire.val();
            self.a_ring.next = self.t_ring.val();
            self.b_ring.next = self.l_ring.val();
        } else {
            self.fa_valid.next = self.fetch_left.busy.val();
            self.fa_addr.next = self.a_base.q.val() + self.fetch_left.addr.val();
            self.fa_count.next = self.fetch_left.count.val();
            self.fa_due.next = self.fetch_left.due.val();
            self.fa_early.next = self.fetch_left.early.val();
            self.fetch_left.step.next = self.fa_step.val();
            self.fb_valid.next = self.fetch_top.busy.val();
            self.fb_addr.next = self.b_base.q.val() + self.fetch_top.addr.val();
            self.fb_count.next = self.fetch_top.count.val();
            self.fb_due.next = self.fetch_top.due.val();
            self.fb_early.next = self.fetch_top.early.val();
            self.fetch_top.step.next = self.fb_step.val();
            self.a_fetch.next = self.l_fetch.val();
            self.b_fetch.next = self.t_fetch.val();
            self.a_retire.next = self.l_retire.val();
            self.b_retire.next = self.t_retire.val();
            self.a_ring.next = self.l_ring.val();
            self.b_ring.next = self.t_ring.val();
        }
        self.fold_start.next =
            self.left.issue.val() & self.left.first_step.val() & !self.frozen.val();

        // C: read-backs of accumulating WS/IS folds, and the write of each output row.
        self.c_re.next = self.rd.issue.val() & self.rd.rt_nz.val() & !self.is_os.val();
        self.c_raddr.next = self.c_base.q.val() + self.rd.addr.val();
        self.c_rcount.next = self.k_zero8.val();
        if self.c_re.val() {
            self.c_rcount.next = bit_cast::<8, 16>(self.rd.cols_used.val());
        }
        self.c_we.next = self.wr.issue.val() & (!self.is_os.val() | self.wr.slot_active.val());
        self.c_waddr.next = self.c_base.q.val() + self.wr.addr.val();
        self.c_wcount.next = self.k_zero8.val();
        if self.c_we.val() {
            self.c_wcount.next = bit_cast::<8, 16>(self.wr.cols_used.val());
        }
    }
}
