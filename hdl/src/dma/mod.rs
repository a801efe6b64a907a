//! The DMA engine: fills buffers A and B from DRAM ahead of the controller's reads, drains
//! finished rows of C to DRAM, brings spilled partial sums back, and stalls the machine when a
//! read would not find its vector or a write would find no room in C. It follows
//! `docs/microarchitecture.md` ("Memory system") and the fast model's `MemorySystem` cycle by
//! cycle, for every reuse of A and B (`whole`, `per-run`, `per-fold`) and every mode of C
//! (`drain`, `accumulate`, `spill`).
//!
//! Per cycle, in the fast model's order:
//! - **Arrivals**: the memory port's response for A (and for B) lands in its buffer (one vector
//!   per buffer per cycle); `written` counts them. A refetched row of C lands through C's DMA
//!   write port unless the array writes that bank this cycle.
//! - **Drain**: the oldest final row of C not yet drained, written in an earlier cycle, whose
//!   bank the datapath does not read this cycle, is sent to DRAM on request channel 0.
//! - **Fetches**: the fetch cursors' current vectors of A and B (in the controller) and the next
//!   refetch of C go out on channels 1, 2 and 3, earliest deadline first (ties: C, A, B), each
//!   only while its buffer has room. The memory port accepts a prefix of channels 0..3 (its
//!   `ready`s), as the DRAM bus's booking allows.
//! - **Stall** (run state): before the prologue's vectors (folds 0 and 1, or as many as the
//!   buffer holds) have landed; or a read of a fetching fold with no landed vector left
//!   (`needed == written`); or a write that takes a new row of a full bank of C (spilling: whose
//!   place in C is not yet drained); or a read-back of a spilled row not yet back.
//!
//! With `whole` reuse (the start command's `cmd_a_reuse`/`cmd_b_reuse` = 0) every vector lands at
//! its own layout address and stays. With `per-run` or `per-fold` reuse the buffer is a ring of
//! the fast model's depth: fetch `q` lands in slot `q mod depth`, fetching reads take the slots in
//! the same order (`needed mod depth`), a read in the last fold that uses its vector retires the
//! slot, and a fetch is issued only while fewer than `depth` fetches are unretired (this cycle's
//! retiring reads first, as in the fast model). OS's B per run is the one case with reads that do
//! not fetch: a column tile's later row tiles read step `s` at the slot of its first vector + `s`.
//! The counts of vectors are 17 bits and compared by difference, so they may wrap.
//!
//! C is two banks of `half` rows. Without spills each bank is a ring: a new row takes its bank's
//! next row; a WS/IS column tile's rows are consecutive from the row its first write took, so a
//! later row tile's read-back and write of row j find it there; drains leave each bank in the
//! order its rows were taken, read through C's own DMA read port (which a stall does not hold),
//! and their data follows the request on the memory port `L_C` cycles later. With spills
//! (`cmd_c_chunks` > 0) every row has a fixed place, quarter `g mod 4` of C for global chunk `g`,
//! which five [`ChunkWalk`]s follow (`docs/rtl.md`, "Spill"); the rings' pointers (`wp*`,
//! `cb*`, `dp*`), the occupancy counts and the drain cursor's bank and column registers then go
//! unused (the last wraps harmlessly).

use rust_hdl::prelude::*;
use systole_sim::config::{ArchConfig, MemoryModel};

use crate::chunk_walk::ChunkWalk;

mod fetch_ring;

pub use fetch_ring::FetchRing;

/// Rows per bank of C, the fast model's (`buffer_depth(C) / 2`). `check_rtl` refuses a DRAM
/// run whose banks exceed the physical C (at most 2^16 rows); the clamp only keeps the constants
/// in range for other designs.
pub fn c_bank_rows(cfg: &ArchConfig) -> u64 {
    (cfg.buffer_depth(systole_sim::config::BufferId::C) / 2).min(1 << 15)
}

/// The DMA engine (see the module doc).
#[derive(LogicBlock)]
pub struct Dma {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// The controller's launch cycle: reset for a new run.
    pub launch: Signal<In, Bit>,
    /// The controller's run state (cycle 0 to the last write).
    pub run: Signal<In, Bit>,
    /// The cycle stalls (from whatever cause): the datapath's requests below have no effect.
    pub hold: Signal<In, Bit>,
    /// Dataflow is OS.
    pub os: Signal<In, Bit>,
    /// Extents of the array-row and array-column dimensions, and the stream length.
    pub row_dim: Signal<In, Bits<16>>,
    /// Array-column dimension.
    pub col_dim: Signal<In, Bits<16>>,
    /// Stream length.
    pub tlen: Signal<In, Bits<16>>,
    /// Fetch cursor A: a vector to fetch, its address, lanes, deadline, prologue flag.
    pub fa_valid: Signal<In, Bit>,
    /// Address.
    pub fa_addr: Signal<In, Bits<16>>,
    /// Lanes.
    pub fa_count: Signal<In, Bits<8>>,
    /// Deadline.
    pub fa_due: Signal<In, Bits<32>>,
    /// Prologue.
    pub fa_early: Signal<In, Bit>,
    /// Fetch cursor B.
    pub fb_valid: Signal<In, Bit>,
    /// Address.
    pub fb_addr: Signal<In, Bits<16>>,
    /// Lanes.
    pub fb_count: Signal<In, Bits<8>>,
    /// Deadline.
    pub fb_due: Signal<In, Bits<32>>,
    /// Prologue.
    pub fb_early: Signal<In, Bit>,
    /// The controller's A read this cycle, its lanes, and whether its fold fetches.
    pub a_re: Signal<In, Bit>,
    /// Lanes.
    pub a_count: Signal<In, Bits<8>>,
    /// Fetching fold.
    pub a_fetch: Signal<In, Bit>,
    /// The A read frees its slot (the last read of its vector; rings only).
    pub a_retire: Signal<In, Bit>,
    /// Buffer A is a ring (reuse per run or per fold; the start command's).
    pub a_ring: Signal<In, Bit>,
    /// The controller's address of the A read (used as is when A is not a ring).
    pub a_addr: Signal<In, Bits<16>>,
    /// The B read.
    pub b_re: Signal<In, Bit>,
    /// Lanes.
    pub b_count: Signal<In, Bits<8>>,
    /// Fetching fold.
    pub b_fetch: Signal<In, Bit>,
    /// The B read frees its slot.
    pub b_retire: Signal<In, Bit>,
    /// Buffer B is a ring.
    pub b_ring: Signal<In, Bit>,
    /// The controller's address of the B read.
    pub b_addr: Signal<In, Bits<16>>,
    /// The B read's step within its fold (OS: a column tile's later row tiles read its ring
    /// slots again from the run's first slot).
    pub b_step: Signal<In, Bits<16>>,
    /// The C write this cycle, its bank, whether it takes a new row, whether it is final.
    pub c_we: Signal<In, Bit>,
    /// Bank.
    pub w_bank: Signal<In, Bit>,
    /// New row.
    pub w_claim: Signal<In, Bit>,
    /// Final.
    pub w_final: Signal<In, Bit>,
    /// The C write's row within its fold.
    pub w_row: Signal<In, Bits<16>>,
    /// The C read-back's row within its fold.
    pub r_row: Signal<In, Bits<16>>,
    /// Base address of C in DRAM.
    pub c_base: Signal<In, Bits<16>>,
    /// Spill (the start command's): chunks per fold (0: C does not spill), rows per chunk, and
    /// how many chunks have one row more.
    pub c_chunks: Signal<In, Bits<16>>,
    /// Rows per chunk.
    pub c_chunk: Signal<In, Bits<16>>,
    /// Chunks with one row more.
    pub c_chunk_rem: Signal<In, Bits<16>>,
    /// The controller's first C write cycle and fold interval (the refetches' deadlines).
    pub wfirst: Signal<In, Bits<32>>,
    /// Fold interval.
    pub interval: Signal<In, Bits<32>>,
    /// The read-back cursor steps this cycle (in every fold, reading or not).
    pub r_issue: Signal<In, Bit>,
    /// A drained row's data leaves C's DMA read port this cycle (it is in DRAM from the next).
    pub wvalid: Signal<In, Bit>,
    /// A refetched row of C is delivered by the memory port (lanes below).
    pub resp_c: Signal<In, Bit>,
    /// Its lanes.
    pub resp_c_count: Signal<In, Bits<8>>,
    /// Channel 3 accepted.
    pub ready3: Signal<In, Bit>,
    /// The C read-back this cycle and its bank.
    pub c_re: Signal<In, Bit>,
    /// Bank.
    pub r_bank: Signal<In, Bit>,
    /// Memory port: channels 0, 1, 2 accepted (a prefix of the valid ones).
    pub ready0: Signal<In, Bit>,
    /// Channel 1 accepted.
    pub ready1: Signal<In, Bit>,
    /// Channel 2 accepted.
    pub ready2: Signal<In, Bit>,
    /// A response lands in buffer A this cycle.
    pub resp_a: Signal<In, Bit>,
    /// A response lands in buffer B this cycle.
    pub resp_b: Signal<In, Bit>,
    /// The landing A response's address (its layout address; where it lands without a ring).
    pub resp_a_addr: Signal<In, Bits<16>>,
    /// The landing B response's address.
    pub resp_b_addr: Signal<In, Bits<16>>,
    /// Every write sent so far has left the chip.
    pub writes_idle: Signal<In, Bit>,
    /// Stall request to the controller.
    pub stall: Signal<Out, Bit>,
    /// A cycle of the run before the prologue has landed (a load cycle, not a stall).
    pub loading: Signal<Out, Bit>,
    /// A cycle after the run in which the DMA is still draining C.
    pub writeback: Signal<Out, Bit>,
    /// The DMA is working (from cycle 0 until the last drain has left the chip), and one cycle
    /// more, in which the counters add the last cycle's events.
    pub busy: Signal<Out, Bit>,
    /// Advance fetch cursors A and B.
    pub fa_step: Signal<Out, Bit>,
    /// Advance fetch cursor B.
    pub fb_step: Signal<Out, Bit>,
    /// Channel 0 (drain of a C row): valid, lanes.
    pub ch0_valid: Signal<Out, Bit>,
    /// Lanes of the drained row (4 bytes each).
    pub ch0_count: Signal<Out, Bits<8>>,
    /// The drained row's address in DRAM (C's layout address).
    pub ch0_addr: Signal<Out, Bits<16>>,
    /// A drain is issued this cycle: read its row of C through C's DMA port.
    pub drain_go: Signal<Out, Bit>,
    /// The drained row's address in C (bank `b`'s rows are `b x half ..`).
    pub d_raddr: Signal<Out, Bits<16>>,
    /// The C write's address in C.
    pub w_addr: Signal<Out, Bits<16>>,
    /// Buffer A's read address: the controller's, or the ring slot of the read.
    pub a_raddr: Signal<Out, Bits<16>>,
    /// Buffer B's read address.
    pub b_raddr: Signal<Out, Bits<16>>,
    /// Where the landing A response is written: its layout address, or the ring's next slot.
    pub a_waddr: Signal<Out, Bits<16>>,
    /// Where the landing B response is written.
    pub b_waddr: Signal<Out, Bits<16>>,
    /// The C read-back's address in C.
    pub r_addr: Signal<Out, Bits<16>>,
    /// Channel 1 (fetch, most urgent): valid, stream (0 = A, 1 = B, 2 = a refetch of C),
    /// address, lanes (1 byte each; 4 for C).
    pub ch1_valid: Signal<Out, Bit>,
    /// Stream.
    pub ch1_sel: Signal<Out, Bits<2>>,
    /// Address.
    pub ch1_addr: Signal<Out, Bits<16>>,
    /// Lanes.
    pub ch1_count: Signal<Out, Bits<8>>,
    /// Channel 2 (fetch).
    pub ch2_valid: Signal<Out, Bit>,
    /// Stream.
    pub ch2_sel: Signal<Out, Bits<2>>,
    /// Address.
    pub ch2_addr: Signal<Out, Bits<16>>,
    /// Lanes.
    pub ch2_count: Signal<Out, Bits<8>>,
    /// Channel 3 (fetch, least urgent).
    pub ch3_valid: Signal<Out, Bit>,
    /// Stream.
    pub ch3_sel: Signal<Out, Bits<2>>,
    /// Address.
    pub ch3_addr: Signal<Out, Bits<16>>,
    /// Lanes.
    pub ch3_count: Signal<Out, Bits<8>>,
    /// The delivered C row lands this cycle (through C's DMA write port; the memory port's
    /// delivery is taken).
    pub land: Signal<Out, Bit>,
    /// Where it lands in C.
    pub l_addr: Signal<Out, Bits<16>>,
    /// Event increment: bytes of C read back from DRAM.
    pub ev_dram_cr: Signal<Out, Bits<16>>,
    /// Event increments this cycle: DRAM bytes of A, B and C.
    pub ev_dram_a: Signal<Out, Bits<16>>,
    /// Bytes of B read.
    pub ev_dram_b: Signal<Out, Bits<16>>,
    /// Bytes of C written.
    pub ev_dram_c: Signal<Out, Bits<16>>,
    /// Bank words of C read by the drain.
    pub ev_c_words: Signal<Out, Bits<16>>,
    /// Elements of C read by the drain.
    pub ev_c_elems: Signal<Out, Bits<16>>,
    /// Elements of C written by a refetch landing.
    pub ev_cl_elems: Signal<Out, Bits<16>>,
    /// Spill: the row walks ([`ChunkWalk`]), by index: 0 the array's C writes, 1 its read-backs,
    /// 2 the drains, 3 the refetches, 4 their landings (3 and 4 walk only later K folds).
    walks: Vec<ChunkWalk>,
    /// Buffer A's fetch ring.
    ring_a: FetchRing,
    /// Buffer B's fetch ring.
    ring_b: FetchRing,
    rf_written: DFF<Bits<17>>,
    rf_needed: DFF<Bits<17>>,
    d_out: DFF<Bits<17>>,
    k_lc32: Constant<Bits<32>>,
    k_four17: Constant<Bits<17>>,
    spill: Signal<Local, Bit>,
    k_spills: Constant<Bit>,
    due1: Signal<Local, Bits<32>>,
    rf_addr: Signal<Local, Bits<16>>,
    dw: Signal<Local, Bits<17>>,
    df: Signal<Local, Bits<17>>,
    free_w: Signal<Local, Bit>,
    free_f: Signal<Local, Bit>,
    in_dram: Signal<Local, Bit>,
    c_wait: Signal<Local, Bit>,
    c_cand: Signal<Local, Bit>,
    dca: Signal<Local, Bit>,
    dcb: Signal<Local, Bit>,
    dab: Signal<Local, Bit>,
    first_a: Signal<Local, Bit>,
    first_b: Signal<Local, Bit>,
    first_c: Signal<Local, Bit>,
    last_a: Signal<Local, Bit>,
    last_b: Signal<Local, Bit>,
    last_c: Signal<Local, Bit>,
    sec_a: Signal<Local, Bit>,
    sec_b: Signal<Local, Bit>,
    sec_c: Signal<Local, Bit>,
    thr_a: Signal<Local, Bit>,
    thr_b: Signal<Local, Bit>,
    thr_c: Signal<Local, Bit>,
    two: Signal<Local, Bit>,
    three: Signal<Local, Bit>,
    acc3: Signal<Local, Bit>,
    fc_go: Signal<Local, Bit>,
    d_bank_e: Signal<Local, Bit>,
    r_bank_e: Signal<Local, Bit>,
    d_cnt_e: Signal<Local, Bits<16>>,
    live: DFF<Bit>,
    tail: DFF<Bit>,
    started: DFF<Bit>,
    occ0: DFF<Bits<17>>,
    occ1: DFF<Bits<17>>,
    fin_w: DFF<Bits<17>>,
    drained: DFF<Bits<17>>,
    lc: DFF<Bits<8>>,
    d_bank: DFF<Bit>,
    d_idx: DFF<Bits<16>>,
    d_rows: DFF<Bits<16>>,
    d_row_rem: DFF<Bits<16>>,
    d_col_rem: DFF<Bits<16>>,
    d_ct_base: DFF<Bits<16>>,
    d_rt_base: DFF<Bits<16>>,
    wp0: DFF<Bits<16>>,
    wp1: DFF<Bits<16>>,
    cb0: DFF<Bits<16>>,
    cb1: DFF<Bits<16>>,
    dp0: DFF<Bits<16>>,
    dp1: DFF<Bits<16>>,
    k_half16: Constant<Bits<16>>,
    w_base: Signal<Local, Bits<16>>,
    w_sum: Signal<Local, Bits<16>>,
    r_base: Signal<Local, Bits<16>>,
    r_sum: Signal<Local, Bits<16>>,
    wp_sel: Signal<Local, Bits<16>>,
    d_row_in: Signal<Local, Bits<16>>,
    k_dram: Constant<Bit>,
    k_half: Constant<Bits<17>>,
    k_r16: Constant<Bits<16>>,
    k_c16: Constant<Bits<16>>,
    k_lc: Constant<Bits<8>>,
    k_one17: Constant<Bits<17>>,
    k_one16: Constant<Bits<16>>,
    k_one8: Constant<Bits<8>>,
    k_zero17: Constant<Bits<17>>,
    k_zero16: Constant<Bits<16>>,
    k_zero8: Constant<Bits<8>>,
    k_zero2: Constant<Bits<2>>,
    k_one2: Constant<Bits<2>>,
    k_two2: Constant<Bits<2>>,
    lane_idx: Vec<Constant<Bits<8>>>,
    words_upto: Vec<Constant<Bits<16>>>,
    live_now: Signal<Local, Bit>,
    started_now: Signal<Local, Bit>,
    w_wait: Signal<Local, Bit>,
    claim: Signal<Local, Bit>,
    fin: Signal<Local, Bit>,
    d_pend: Signal<Local, Bit>,
    dr: Signal<Local, Bit>,
    d_count: Signal<Local, Bits<16>>,
    a_cand: Signal<Local, Bit>,
    b_cand: Signal<Local, Bit>,
    acc1: Signal<Local, Bit>,
    acc2: Signal<Local, Bit>,
    fa_go: Signal<Local, Bit>,
    fb_go: Signal<Local, Bit>,
    finished: Signal<Local, Bit>,
    working: Signal<Local, Bit>,
    d_rr_next: Signal<Local, Bits<16>>,
    d_ru_next: Signal<Local, Bits<16>>,
    d_ru0: Signal<Local, Bits<16>>,
}

impl Dma {
    /// The DMA for `cfg` (idle, never stalling, when `cfg.memory` is the ideal model).
    pub fn new(cfg: &ArchConfig) -> Self {
        let (r, c) = (cfg.array.rows as u64, cfg.array.cols as usize);
        let half = c_bank_rows(cfg);
        let word_bits = cfg.buffers.c.word_bits as usize;
        // The rings of A and B are the fast model's buffer depths (`check_rtl` holds them within
        // the physical buffers; the clamp keeps the constants in range for other designs).
        let depth = |b| cfg.buffer_depth(b).clamp(1, 1 << 16);
        let (depth_a, depth_b) = (
            depth(systole_sim::config::BufferId::A),
            depth(systole_sim::config::BufferId::B),
        );
        let dram = cfg.memory == MemoryModel::Dram;
        let b17 = |v: u64| Constant::new(Bits::<17>::from(v));
        let b16 = |v: u64| Constant::new(Bits::<16>::from(v));
        let b8 = |v: u64| Constant::new(Bits::<8>::from(v));
        Dma {
            clock: Default::default(),
            launch: Default::default(),
            run: Default::default(),
            hold: Default::default(),
            os: Default::default(),
            row_dim: Default::default(),
            col_dim: Default::default(),
            tlen: Default::default(),
            fa_valid: Default::default(),
            fa_addr: Default::default(),
            fa_count: Default::default(),
            fa_due: Default::default(),
            fa_early: Default::default(),
            fb_valid: Default::default(),
            fb_addr: Default::default(),
            fb_count: Default::default(),
            fb_due: Default::default(),
            fb_early: Default::default(),
            a_re: Default::default(),
            a_count: Default::default(),
            a_fetch: Default::default(),
            b_re: Default::default(),
            b_count: Default::default(),
            b_fetch: Default::default(),
            a_retire: Default::default(),
            a_ring: Default::default(),
            a_addr: Default::default(),
            b_retire: Default::default(),
            b_ring: Default::default(),
            b_addr: Default::default(),
            b_step: Default::default(),
            c_we: Default::default(),
            w_bank: Default::default(),
            w_claim: Default::default(),
            w_final: Default::default(),
            w_row: Default::default(),
            r_row: Default::default(),
            c_base: Default::default(),
            c_chunks: Default::default(),
            c_chunk: Default::default(),
            c_chunk_rem: Default::default(),
            wfirst: Default::default(),
            interval: Default::default(),
            r_issue: Default::default(),
            wvalid: Default::default(),
            resp_c: Default::default(),
            resp_c_count: Default::default(),
            ready3: Default::default(),
            c_re: Default::default(),
            r_bank: Default::default(),
            ready0: Default::default(),
            ready1: Default::default(),
            ready2: Default::default(),
            resp_a: Default::default(),
            resp_b: Default::default(),
            resp_a_addr: Default::default(),
            resp_b_addr: Default::default(),
            writes_idle: Default::default(),
            stall: Default::default(),
            loading: Default::default(),
            writeback: Default::default(),
            busy: Default::default(),
            fa_step: Default::default(),
            fb_step: Default::default(),
            ch0_valid: Default::default(),
            ch0_count: Default::default(),
            ch0_addr: Default::default(),
            drain_go: Default::default(),
            d_raddr: Default::default(),
            w_addr: Default::default(),
            a_raddr: Default::default(),
            b_raddr: Default::default(),
            a_waddr: Default::default(),
            b_waddr: Default::default(),
            r_addr: Default::default(),
            ch1_valid: Default::default(),
            ch1_sel: Default::default(),
            ch1_addr: Default::default(),
            ch1_count: Default::default(),
            ch2_valid: Default::default(),
            ch2_sel: Default::default(),
            ch2_addr: Default::default(),
            ch2_count: Default::default(),
            ch3_valid: Default::default(),
            ch3_sel: Default::default(),
            ch3_addr: Default::default(),
            ch3_count: Default::default(),
            land: Default::default(),
            l_addr: Default::default(),
            ev_dram_cr: Default::default(),
            ev_dram_a: Default::default(),
            ev_dram_b: Default::default(),
            ev_dram_c: Default::default(),
            ev_c_words: Default::default(),
            ev_c_elems: Default::default(),
            ev_cl_elems: Default::default(),
            walks: (0..5).map(|_| ChunkWalk::new(r, c as u64, half)).collect(),
            ring_a: FetchRing::new(depth_a, dram, false),
            ring_b: FetchRing::new(depth_b, dram, true),
            rf_written: Default::default(),
            rf_needed: Default::default(),
            d_out: Default::default(),
            k_lc32: Constant::new(Bits::<32>::from(u64::from(cfg.buffers.c.read_latency))),
            k_four17: b17(4),
            spill: Default::default(),
            // Only WS and IS accumulate partial sums: an OS-only design never spills, and
            // synthesis removes the spill logic.
            k_spills: Constant::new(
                cfg.memory == MemoryModel::Dram
                    && (cfg.supports(systole_sim::config::Dataflow::Ws)
                        || cfg.supports(systole_sim::config::Dataflow::Is)),
            ),
            due1: Default::default(),
            rf_addr: Default::default(),
            dw: Default::default(),
            df: Default::default(),
            free_w: Default::default(),
            free_f: Default::default(),
            in_dram: Default::default(),
            c_wait: Default::default(),
            c_cand: Default::default(),
            dca: Default::default(),
            dcb: Default::default(),
            dab: Default::default(),
            first_a: Default::default(),
            first_b: Default::default(),
            first_c: Default::default(),
            last_a: Default::default(),
            last_b: Default::default(),
            last_c: Default::default(),
            sec_a: Default::default(),
            sec_b: Default::default(),
            sec_c: Default::default(),
            thr_a: Default::default(),
            thr_b: Default::default(),
            thr_c: Default::default(),
            two: Default::default(),
            three: Default::default(),
            acc3: Default::default(),
            fc_go: Default::default(),
            d_bank_e: Default::default(),
            r_bank_e: Default::default(),
            d_cnt_e: Default::default(),
            live: Default::default(),
            tail: Default::default(),
            started: Default::default(),
            occ0: Default::default(),
            occ1: Default::default(),
            fin_w: Default::default(),
            drained: Default::default(),
            lc: Default::default(),
            d_bank: Default::default(),
            d_idx: Default::default(),
            d_rows: Default::default(),
            d_row_rem: Default::default(),
            d_col_rem: Default::default(),
            d_ct_base: Default::default(),
            d_rt_base: Default::default(),
            wp0: Default::default(),
            wp1: Default::default(),
            cb0: Default::default(),
            cb1: Default::default(),
            dp0: Default::default(),
            dp1: Default::default(),
            k_half16: b16(half),
            w_base: Default::default(),
            w_sum: Default::default(),
            r_base: Default::default(),
            r_sum: Default::default(),
            wp_sel: Default::default(),
            d_row_in: Default::default(),
            k_dram: Constant::new(dram),
            k_half: b17(half),
            k_r16: b16(r),
            k_c16: b16(c as u64),
            k_lc: b8(u64::from(cfg.buffers.c.read_latency)),
            k_one17: b17(1),
            k_one16: b16(1),
            k_one8: b8(1),
            k_zero17: b17(0),
            k_zero16: b16(0),
            k_zero8: b8(0),
            k_zero2: Constant::new(Bits::<2>::from(0u64)),
            k_one2: Constant::new(Bits::<2>::from(1u64)),
            k_two2: Constant::new(Bits::<2>::from(2u64)),
            lane_idx: (0..c).map(|l| b8(l as u64)).collect(),
            // A read of lanes 0..n touches ceil(n x 32 / word bits) bank words of C.
            words_upto: (0..c)
                .map(|l| b16(((l + 1) * 32).div_ceil(word_bits) as u64))
                .collect(),
            live_now: Default::default(),
            started_now: Default::default(),
            w_wait: Default::default(),
            claim: Default::default(),
            fin: Default::default(),
            d_pend: Default::default(),
            dr: Default::default(),
            d_count: Default::default(),
            a_cand: Default::default(),
            b_cand: Default::default(),
            acc1: Default::default(),
            acc2: Default::default(),
            fa_go: Default::default(),
            fb_go: Default::default(),
            finished: Default::default(),
            working: Default::default(),
            d_rr_next: Default::default(),
            d_ru_next: Default::default(),
            d_ru0: Default::default(),
        }
    }
}

impl Logic for Dma {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, live, tail, started, occ0, occ1, fin_w, drained, lc, d_bank, d_idx,
            d_rows, d_row_rem, d_col_rem, d_ct_base, d_rt_base, wp0, wp1, cb0, cb1, dp0, dp1,
            rf_written, rf_needed, d_out
        );
        // Spill: where each row of C lives, for the array's writes and read-backs, the drains,
        // the refetches and their landings (`ChunkWalk`).
        self.spill.next = self.k_spills.val() & (self.c_chunks.val() != self.k_zero16.val());
        // Fold 1's first read-back: its write's cycle less L_C.
        self.due1.next = self.wfirst.val() + self.interval.val() - self.k_lc32.val();
        for w in 0..self.walks.len() {
            self.walks[w].clock.next = self.clock.val();
            self.walks[w].start.next = self.launch.val();
            self.walks[w].chunks.next = self.c_chunks.val();
            self.walks[w].chunk.next = self.c_chunk.val();
            self.walks[w].chunk_rem.next = self.c_chunk_rem.val();
            self.walks[w].tlen.next = self.tlen.val();
            self.walks[w].row_dim.next = self.row_dim.val();
            self.walks[w].col_dim.next = self.col_dim.val();
            self.walks[w].due_first.next = self.due1.val();
            self.walks[w].interval.next = self.interval.val();
        }
        // Each child input is written once: Icarus propagates every write to a child's port at
        // once, so a default overridden later in this block (`later = 0; later = 1;`) glitches
        // the walk's outputs, which this block reads, and the simulation never settles.
        for w in 0..3 {
            self.walks[w].later.next = false;
        }
        for w in 3..5 {
            self.walks[w].later.next = true;
        }
        self.walks[0].step.next = self.spill.val() & self.c_we.val() & !self.hold.val();
        self.walks[1].step.next = self.spill.val() & self.r_issue.val() & !self.hold.val();
        // A row's place in C is free once the drains have passed row i of the chunk four back
        // (the quarter's previous chunk); the walks' chunks are compared by difference.
        self.dw.next = self.walks[0].g.val() - self.walks[2].g.val();
        self.free_w.next = (self.dw.val() < self.k_four17.val())
            | ((self.dw.val() == self.k_four17.val())
                & (self.walks[2].i.val() > self.walks[0].i.val()));
        self.df.next = self.walks[3].g.val() - self.walks[2].g.val();
        self.free_f.next = (self.df.val() < self.k_four17.val())
            | ((self.df.val() == self.k_four17.val())
                & (self.walks[2].i.val() > self.walks[3].i.val()));
        // The previous fold's value of the row is in DRAM (its drain has read it out of C).
        self.in_dram.next =
            (self.walks[3].v.val() - self.d_out.q.val()) < bit_cast::<17, 16>(self.tlen.val());
        // The DMA's time starts with the run's first cycle and ends when the last drain is out.
        self.live_now.next = self.k_dram.val() & (self.live.q.val() | self.run.val());
        // Buffers A and B: their fetch rings (`FetchRing`). A has no reads that do not fetch, so
        // its read step is never used.
        self.ring_a.clock.next = self.clock.val();
        self.ring_a.launch.next = self.launch.val();
        self.ring_a.hold.next = self.hold.val();
        self.ring_a.ring.next = self.a_ring.val();
        self.ring_a.read.next = self.a_re.val();
        self.ring_a.read_lanes.next = self.a_count.val();
        self.ring_a.read_fetches.next = self.a_fetch.val();
        self.ring_a.read_retires.next = self.a_retire.val();
        self.ring_a.read_address.next = self.a_addr.val();
        self.ring_a.read_step.next = self.k_zero16.val();
        self.ring_a.next_is_prologue.next = self.fa_early.val();
        self.ring_a.land.next = self.resp_a.val();
        self.ring_a.land_address.next = self.resp_a_addr.val();
        self.ring_b.clock.next = self.clock.val();
        self.ring_b.launch.next = self.launch.val();
        self.ring_b.hold.next = self.hold.val();
        self.ring_b.ring.next = self.b_ring.val();
        self.ring_b.read.next = self.b_re.val();
        self.ring_b.read_lanes.next = self.b_count.val();
        self.ring_b.read_fetches.next = self.b_fetch.val();
        self.ring_b.read_retires.next = self.b_retire.val();
        self.ring_b.read_address.next = self.b_addr.val();
        self.ring_b.read_step.next = self.b_step.val();
        self.ring_b.next_is_prologue.next = self.fb_early.val();
        self.ring_b.land.next = self.resp_b.val();
        self.ring_b.land_address.next = self.resp_b_addr.val();
        self.a_waddr.next = self.ring_a.write_at.val();
        self.b_waddr.next = self.ring_b.write_at.val();
        self.a_raddr.next = self.ring_a.read_at.val();
        self.b_raddr.next = self.ring_b.read_at.val();
        self.started_now.next =
            self.started.q.val() | (self.ring_a.primed.val() & self.ring_b.primed.val());

        // Stall: a read with nothing landed to read, or a new row for a full bank.
        self.w_wait.next = false;
        if self.c_we.val() & self.w_claim.val() {
            if self.w_bank.val() {
                self.w_wait.next = self.occ1.q.val() >= self.k_half.val();
            } else {
                self.w_wait.next = self.occ0.q.val() >= self.k_half.val();
            }
        }
        if self.spill.val() {
            self.w_wait.next = self.c_we.val() & self.w_claim.val() & !self.free_w.val();
        }
        // A read-back whose partial sums are not yet back from DRAM.
        self.c_wait.next = self.spill.val()
            & self.c_re.val()
            & (self.rf_needed.q.val() == self.rf_written.q.val());
        self.stall.next = self.live_now.val()
            & self.run.val()
            & (!self.started_now.val()
                | self.ring_a.starved.val()
                | self.ring_b.starved.val()
                | self.w_wait.val()
                | self.c_wait.val());
        self.loading.next = self.live_now.val() & self.run.val() & !self.started_now.val();

        // What the datapath did this cycle (nothing, in a stalled cycle).
        self.claim.next = self.c_we.val() & self.w_claim.val() & !self.hold.val();
        self.fin.next =
            self.c_we.val() & (self.w_final.val() | self.spill.val()) & !self.hold.val();

        // Drain: the oldest final row written in an earlier cycle, if the datapath does not read
        // its bank now.
        self.d_pend.next = self.drained.q.val() < self.fin_w.q.val();
        self.d_bank_e.next = self.d_bank.q.val();
        self.r_bank_e.next = self.r_bank.val();
        if self.spill.val() {
            self.d_bank_e.next = self.walks[2].bank.val();
            self.r_bank_e.next = self.walks[1].bank.val();
        }
        self.ch0_valid.next = self.live_now.val()
            & self.d_pend.val()
            & !(self.c_re.val() & !self.hold.val() & (self.r_bank_e.val() == self.d_bank_e.val()));
        self.d_count.next = self.d_col_rem.q.val();
        if self.d_col_rem.q.val() > self.k_c16.val() {
            self.d_count.next = self.k_c16.val();
        }
        self.d_cnt_e.next = self.d_count.val();
        if self.spill.val() {
            self.d_cnt_e.next = bit_cast::<16, 8>(self.walks[2].count.val());
        }
        self.ch0_count.next = bit_cast::<8, 16>(self.d_cnt_e.val());
        self.dr.next = self.ch0_valid.val() & self.ready0.val();

        // Fetches, earliest deadline first (ties: C, A, B): the most urgent on channel 1.
        self.a_cand.next = self.live_now.val() & self.fa_valid.val() & self.ring_a.room.val();
        self.b_cand.next = self.live_now.val() & self.fb_valid.val() & self.ring_b.room.val();
        self.c_cand.next = self.live_now.val()
            & self.spill.val()
            & self.walks[3].valid.val()
            & self.free_f.val()
            & self.in_dram.val();
        self.rf_addr.next = self.c_base.val() + self.walks[3].layout.val();
        self.dca.next = self.walks[3].due.val() <= self.fa_due.val();
        self.dcb.next = self.walks[3].due.val() <= self.fb_due.val();
        self.dab.next = self.fa_due.val() <= self.fb_due.val();
        self.first_c.next = self.c_cand.val()
            & (!self.a_cand.val() | self.dca.val())
            & (!self.b_cand.val() | self.dcb.val());
        self.first_a.next = self.a_cand.val()
            & (!self.c_cand.val() | !self.dca.val())
            & (!self.b_cand.val() | self.dab.val());
        self.first_b.next = self.b_cand.val()
            & (!self.c_cand.val() | !self.dcb.val())
            & (!self.a_cand.val() | !self.dab.val());
        self.last_c.next = self.c_cand.val()
            & (!self.a_cand.val() | !self.dca.val())
            & (!self.b_cand.val() | !self.dcb.val());
        self.last_a.next = self.a_cand.val()
            & (!self.c_cand.val() | self.dca.val())
            & (!self.b_cand.val() | !self.dab.val());
        self.last_b.next = self.b_cand.val()
            & (!self.c_cand.val() | self.dcb.val())
            & (!self.a_cand.val() | self.dab.val());
        self.three.next = self.a_cand.val() & self.b_cand.val() & self.c_cand.val();
        self.two.next = !self.three.val()
            & ((self.a_cand.val() & self.b_cand.val())
                | (self.a_cand.val() & self.c_cand.val())
                | (self.b_cand.val() & self.c_cand.val()));
        // Second: after the first; with three candidates, not the last either. Third: the last
        // of three.
        self.sec_a.next =
            self.a_cand.val() & !self.first_a.val() & (self.two.val() | !self.last_a.val());
        self.sec_b.next =
            self.b_cand.val() & !self.first_b.val() & (self.two.val() | !self.last_b.val());
        self.sec_c.next =
            self.c_cand.val() & !self.first_c.val() & (self.two.val() | !self.last_c.val());
        self.thr_a.next = self.three.val() & self.last_a.val();
        self.thr_b.next = self.three.val() & self.last_b.val();
        self.thr_c.next = self.three.val() & self.last_c.val();
        self.ch1_valid.next = self.first_a.val() | self.first_b.val() | self.first_c.val();
        self.ch2_valid.next = self.sec_a.val() | self.sec_b.val() | self.sec_c.val();
        self.ch3_valid.next = self.three.val();
        self.ch1_sel.next = self.k_zero2.val();
        self.ch1_addr.next = self.fa_addr.val();
        self.ch1_count.next = self.fa_count.val();
        if self.first_b.val() {
            self.ch1_sel.next = self.k_one2.val();
            self.ch1_addr.next = self.fb_addr.val();
            self.ch1_count.next = self.fb_count.val();
        }
        if self.first_c.val() {
            self.ch1_sel.next = self.k_two2.val();
            self.ch1_addr.next = self.rf_addr.val();
            self.ch1_count.next = self.walks[3].count.val();
        }
        self.ch2_sel.next = self.k_zero2.val();
        self.ch2_addr.next = self.fa_addr.val();
        self.ch2_count.next = self.fa_count.val();
        if self.sec_b.val() {
            self.ch2_sel.next = self.k_one2.val();
            self.ch2_addr.next = self.fb_addr.val();
            self.ch2_count.next = self.fb_count.val();
        }
        if self.sec_c.val() {
            self.ch2_sel.next = self.k_two2.val();
            self.ch2_addr.next = self.rf_addr.val();
            self.ch2_count.next = self.walks[3].count.val();
        }
        self.ch3_sel.next = self.k_zero2.val();
        self.ch3_addr.next = self.fa_addr.val();
        self.ch3_count.next = self.fa_count.val();
        if self.thr_b.val() {
            self.ch3_sel.next = self.k_one2.val();
            self.ch3_addr.next = self.fb_addr.val();
            self.ch3_count.next = self.fb_count.val();
        }
        if self.thr_c.val() {
            self.ch3_sel.next = self.k_two2.val();
            self.ch3_addr.next = self.rf_addr.val();
            self.ch3_count.next = self.walks[3].count.val();
        }
        self.acc1.next = self.ch1_valid.val() & self.ready1.val();
        self.acc2.next = self.ch2_valid.val() & self.ready2.val();
        self.acc3.next = self.ch3_valid.val() & self.ready3.val();
        self.fa_go.next = (self.first_a.val() & self.acc1.val())
            | (self.sec_a.val() & self.acc2.val())
            | (self.thr_a.val() & self.acc3.val());
        self.fb_go.next = (self.first_b.val() & self.acc1.val())
            | (self.sec_b.val() & self.acc2.val())
            | (self.thr_b.val() & self.acc3.val());
        self.fc_go.next = (self.first_c.val() & self.acc1.val())
            | (self.sec_c.val() & self.acc2.val())
            | (self.thr_c.val() & self.acc3.val());
        self.walks[3].step.next = self.fc_go.val();
        // A refetched row lands through C's DMA write port unless the array writes its bank.
        self.land.next = self.live_now.val()
            & self.spill.val()
            & self.resp_c.val()
            & !(self.c_we.val()
                & !self.hold.val()
                & (self.walks[0].bank.val() == self.walks[4].bank.val()));
        self.walks[4].step.next = self.land.val();
        self.l_addr.next = self.walks[4].addr.val();
        self.walks[2].step.next = self.spill.val() & self.dr.val();
        self.ring_a.issue.next = self.fa_go.val();
        self.ring_b.issue.next = self.fb_go.val();
        self.fa_step.next = self.fa_go.val();
        self.fb_step.next = self.fb_go.val();

        // The end: every final row drained, its bytes out, its SRAM read complete.
        self.finished.next =
            !self.d_pend.val() & self.writes_idle.val() & (self.lc.q.val() == self.k_zero8.val());
        self.writeback.next = self.live.q.val() & !self.run.val() & !self.finished.val();
        self.working.next = self.live_now.val() & (self.run.val() | !self.finished.val());
        self.busy.next = self.working.val() | self.tail.q.val();
        self.tail.d.next = self.working.val();

        // Event increments.
        self.ev_dram_a.next = self.k_zero16.val();
        if self.fa_go.val() {
            self.ev_dram_a.next = bit_cast::<16, 8>(self.fa_count.val());
        }
        self.ev_dram_b.next = self.k_zero16.val();
        if self.fb_go.val() {
            self.ev_dram_b.next = bit_cast::<16, 8>(self.fb_count.val());
        }
        self.ev_cl_elems.next = self.k_zero16.val();
        if self.land.val() {
            self.ev_cl_elems.next = bit_cast::<16, 8>(self.resp_c_count.val());
        }
        self.ev_dram_cr.next = self.k_zero16.val();
        if self.fc_go.val() {
            self.ev_dram_cr.next = bit_cast::<16, 8>(self.walks[3].count.val())
                + bit_cast::<16, 8>(self.walks[3].count.val())
                + bit_cast::<16, 8>(self.walks[3].count.val())
                + bit_cast::<16, 8>(self.walks[3].count.val());
        }
        self.ev_dram_c.next = self.k_zero16.val();
        self.ev_c_words.next = self.k_zero16.val();
        self.ev_c_elems.next = self.k_zero16.val();
        if self.dr.val() {
            self.ev_dram_c.next =
                self.d_cnt_e.val() + self.d_cnt_e.val() + self.d_cnt_e.val() + self.d_cnt_e.val();
            self.ev_c_elems.next = self.d_cnt_e.val();
            for l in 0..self.words_upto.len() {
                if self.ch0_count.val() > self.lane_idx[l].val() {
                    self.ev_c_words.next = self.words_upto[l].val();
                }
            }
        }

        // The drain cursor's next final fold: OS, the next fold (row tiles inner); WS/IS, the
        // next column tile (its last row tile's rows).
        self.d_ru0.next = self.row_dim.val();
        if self.row_dim.val() > self.k_r16.val() {
            self.d_ru0.next = self.k_r16.val();
        }
        self.d_rr_next.next = self.row_dim.val();
        if self.d_row_rem.q.val() > self.k_r16.val() {
            self.d_rr_next.next = self.d_row_rem.q.val() - self.k_r16.val();
        }
        self.d_ru_next.next = self.d_rr_next.val();
        if self.d_rr_next.val() > self.k_r16.val() {
            self.d_ru_next.next = self.k_r16.val();
        }

        // Rows of C's banks (each a ring of `half` rows): a new row takes the bank's next free
        // row; the rows of a WS/IS column tile are consecutive from the row its first write took
        // (`cb`), so a later row tile's write and read-back of row j find it at `cb + j`; drains
        // leave each bank in the order its rows were taken.
        self.wp_sel.next = self.wp0.q.val();
        self.w_base.next = self.cb0.q.val();
        if self.w_bank.val() {
            self.wp_sel.next = self.wp1.q.val();
            self.w_base.next = self.cb1.q.val();
        }
        self.w_sum.next = self.w_base.val() + self.w_row.val();
        if self.w_sum.val() >= self.k_half16.val() {
            self.w_sum.next = self.w_base.val() + self.w_row.val() - self.k_half16.val();
        }
        self.w_addr.next = self.w_sum.val();
        if self.w_claim.val() {
            self.w_addr.next = self.wp_sel.val();
        }
        if self.w_bank.val() {
            if self.w_claim.val() {
                self.w_addr.next = self.wp_sel.val() + self.k_half16.val();
            } else {
                self.w_addr.next = self.w_sum.val() + self.k_half16.val();
            }
        }
        self.r_base.next = self.cb0.q.val();
        if self.r_bank.val() {
            self.r_base.next = self.cb1.q.val();
        }
        self.r_sum.next = self.r_base.val() + self.r_row.val();
        if self.r_sum.val() >= self.k_half16.val() {
            self.r_sum.next = self.r_base.val() + self.r_row.val() - self.k_half16.val();
        }
        self.r_addr.next = self.r_sum.val();
        if self.r_bank.val() {
            self.r_addr.next = self.r_sum.val() + self.k_half16.val();
        }
        if self.spill.val() {
            self.w_addr.next = self.walks[0].addr.val();
            self.r_addr.next = self.walks[1].addr.val();
        }
        self.drain_go.next = self.dr.val();
        self.d_raddr.next = self.dp0.q.val();
        if self.d_bank.q.val() {
            self.d_raddr.next = self.dp1.q.val() + self.k_half16.val();
        }
        // The drained row's layout address: OS rows leave bottom first.
        self.d_row_in.next = self.d_idx.q.val();
        if self.os.val() {
            self.d_row_in.next = self.d_rows.q.val() - self.k_one16.val() - self.d_idx.q.val();
        }
        self.ch0_addr.next = self.c_base.val()
            + self.d_ct_base.q.val()
            + self.d_rt_base.q.val()
            + self.d_row_in.val();
        if self.spill.val() {
            self.d_raddr.next = self.walks[2].addr.val();
            self.ch0_addr.next = self.c_base.val() + self.walks[2].layout.val();
        }

        // State.
        if self.launch.val() {
            self.live.d.next = false;
            self.started.d.next = false;
            self.occ0.d.next = self.k_zero17.val();
            self.occ1.d.next = self.k_zero17.val();
            self.fin_w.d.next = self.k_zero17.val();
            self.drained.d.next = self.k_zero17.val();
            self.lc.d.next = self.k_zero8.val();
            self.d_bank.d.next = false;
            self.d_idx.d.next = self.k_zero16.val();
            self.d_row_rem.d.next = self.row_dim.val();
            self.d_col_rem.d.next = self.col_dim.val();
            self.d_ct_base.d.next = self.k_zero16.val();
            self.d_rt_base.d.next = self.k_zero16.val();
            self.wp0.d.next = self.k_zero16.val();
            self.wp1.d.next = self.k_zero16.val();
            self.cb0.d.next = self.k_zero16.val();
            self.cb1.d.next = self.k_zero16.val();
            self.dp0.d.next = self.k_zero16.val();
            self.dp1.d.next = self.k_zero16.val();
            self.rf_written.d.next = self.k_zero17.val();
            self.rf_needed.d.next = self.k_zero17.val();
            self.d_out.d.next = self.k_zero17.val();
            if self.os.val() {
                self.d_rows.d.next = self.d_ru0.val();
            } else {
                self.d_rows.d.next = self.tlen.val();
            }
        } else {
            if self.run.val() {
                self.live.d.next = self.k_dram.val();
            } else if self.finished.val() {
                self.live.d.next = false;
            }
            self.started.d.next = self.started_now.val() & self.live_now.val();
            if self.fin.val() {
                self.fin_w.d.next = self.fin_w.q.val() + self.k_one17.val();
            }
            // Spill: landings, read-backs of refetched rows, drains whose data has left C.
            if self.land.val() {
                self.rf_written.d.next = self.rf_written.q.val() + self.k_one17.val();
            }
            if self.spill.val() & self.c_re.val() & !self.hold.val() {
                self.rf_needed.d.next = self.rf_needed.q.val() + self.k_one17.val();
            }
            if self.wvalid.val() {
                self.d_out.d.next = self.d_out.q.val() + self.k_one17.val();
            }
            // A new row: the bank's next row (a ring); a column tile's first row is its base.
            if self.claim.val() {
                if self.w_bank.val() {
                    self.wp1.d.next = self.wp1.q.val() + self.k_one16.val();
                    if self.wp1.q.val() + self.k_one16.val() == self.k_half16.val() {
                        self.wp1.d.next = self.k_zero16.val();
                    }
                    if self.w_row.val() == self.k_zero16.val() {
                        self.cb1.d.next = self.wp1.q.val();
                    }
                } else {
                    self.wp0.d.next = self.wp0.q.val() + self.k_one16.val();
                    if self.wp0.q.val() + self.k_one16.val() == self.k_half16.val() {
                        self.wp0.d.next = self.k_zero16.val();
                    }
                    if self.w_row.val() == self.k_zero16.val() {
                        self.cb0.d.next = self.wp0.q.val();
                    }
                }
            }
            // Bank occupancy: a new row claims a slot, a drain frees one.
            if self.claim.val() & !self.w_bank.val() {
                if !(self.dr.val() & !self.d_bank.q.val()) {
                    self.occ0.d.next = self.occ0.q.val() + self.k_one17.val();
                }
            } else if self.dr.val() & !self.d_bank.q.val() {
                self.occ0.d.next = self.occ0.q.val() - self.k_one17.val();
            }
            if self.claim.val() & self.w_bank.val() {
                if !(self.dr.val() & self.d_bank.q.val()) {
                    self.occ1.d.next = self.occ1.q.val() + self.k_one17.val();
                }
            } else if self.dr.val() & self.d_bank.q.val() {
                self.occ1.d.next = self.occ1.q.val() - self.k_one17.val();
            }
            if self.dr.val() {
                self.drained.d.next = self.drained.q.val() + self.k_one17.val();
                self.lc.d.next = self.k_lc.val();
                if self.d_bank.q.val() {
                    self.dp1.d.next = self.dp1.q.val() + self.k_one16.val();
                    if self.dp1.q.val() + self.k_one16.val() == self.k_half16.val() {
                        self.dp1.d.next = self.k_zero16.val();
                    }
                } else {
                    self.dp0.d.next = self.dp0.q.val() + self.k_one16.val();
                    if self.dp0.q.val() + self.k_one16.val() == self.k_half16.val() {
                        self.dp0.d.next = self.k_zero16.val();
                    }
                }
                if self.d_idx.q.val() + self.k_one16.val() == self.d_rows.q.val() {
                    self.d_idx.d.next = self.k_zero16.val();
                    self.d_bank.d.next = !self.d_bank.q.val();
                    if self.os.val() {
                        self.d_row_rem.d.next = self.d_rr_next.val();
                        self.d_rows.d.next = self.d_ru_next.val();
                        if self.d_row_rem.q.val() <= self.k_r16.val() {
                            self.d_col_rem.d.next = self.d_col_rem.q.val() - self.k_c16.val();
                            self.d_rt_base.d.next = self.k_zero16.val();
                            self.d_ct_base.d.next = self.d_ct_base.q.val() + self.row_dim.val();
                        } else {
                            self.d_rt_base.d.next = self.d_rt_base.q.val() + self.k_r16.val();
                        }
                    } else {
                        self.d_col_rem.d.next = self.d_col_rem.q.val() - self.k_c16.val();
                        self.d_ct_base.d.next = self.d_ct_base.q.val() + self.tlen.val();
                    }
                } else {
                    self.d_idx.d.next = self.d_idx.q.val() + self.k_one16.val();
                }
            } else if self.lc.q.val() != self.k_zero8.val() {
                self.lc.d.next = self.lc.q.val() - self.k_one8.val();
            }
        }
    }
}
