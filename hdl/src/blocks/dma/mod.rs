//! The DMA engine: fills buffers A and B from DRAM ahead of the controller's reads, drains
//! finished rows of C to DRAM, brings spilled partial sums back, and stalls the machine when a
//! read would not find its vector or a write would find no room in C. It follows
//! `docs/microarchitecture.md` ("Memory system") and the fast model's `MemorySystem`
//! (`sim/src/memory/dma.rs`) cycle by cycle, for every reuse of A and B (`whole`, `per-run`,
//! `per-fold`) and every mode of C (`drain`, `accumulate`, `spill`).
//!
//! `Dma` only instantiates and wires its sub-blocks, along the fast model's own lines:
//!
//! | block | file | owns | fast model |
//! |---|---|---|---|
//! | [`FetchRing`] x 2 (`ring_a`, `ring_b`) | `fetch_ring.rs` | A's and B's fetch counts, ring slots, read waits, prologue | `OperandStream` |
//! | [`BankRings`] | `banks.rs` | C's banks as rings without spills: rows taken, occupancy, write and read-back addresses | `OutputStream` (`occupied`, `bank`) |
//! | [`SpillWalks`] | `spill.rs` | C with spills: five [`ChunkWalk`](crate::blocks::chunk_walk::ChunkWalk)s, free places, refetches, landings, read-back waits | `OutputStream` (`chunk_pos`, `slot_free`, `rf_*`) |
//! | [`DrainCursor`] | `drain.rs` | the drain of C on channel 0, its addresses, the end of the DMA's work | `OutputStream` (`finals`, `drain_done`) |
//! | [`Arbiter`] | `arbiter.rs` | fetch channels 1 to 3 earliest deadline first, the stall | `MemorySystem::step`, `started` |
//!
//! Per cycle, in the fast model's order:
//! - **Arrivals**: the memory port's response for A (and for B) lands in its buffer (one vector
//!   per buffer per cycle). A refetched row of C lands through C's DMA write port unless the
//!   array writes that bank this cycle.
//! - **Drain**: the oldest final row of C not yet drained, written in an earlier cycle, whose
//!   bank the datapath does not read this cycle, is sent to DRAM on request channel 0; its data
//!   follows the request on the memory port `L_C` cycles later, read through C's own DMA read
//!   port (which a stall does not hold).
//! - **Fetches**: the fetch cursors' current vectors of A and B (in the controller) and the next
//!   refetch of C go out on channels 1, 2 and 3, earliest deadline first (ties: C, A, B), each
//!   only while its buffer has room. The memory port accepts a prefix of channels 0..3 (its
//!   `ready`s), as the DRAM bus's booking allows.
//! - **Stall** (run state): before the prologue's vectors (folds 0 and 1, or as many as the
//!   buffer holds) have landed; or a read of a fetching fold with no landed vector left; or a
//!   write that takes a new row of a full bank of C (spilling: whose place in C is not yet
//!   drained); or a read-back of a spilled row not yet back.
//!
//! The DMA's time starts with the run's first cycle and ends when the last drain has left the
//! chip (`live`); with the ideal memory model it never starts and the whole engine
//! constant-folds away. Every child input is written once in the kernel below: Icarus
//! propagates each write to a child's port at once, so a default overridden later in the same
//! block would glitch the child's outputs, which this block reads.

use rust_hdl::prelude::*;
use systole_sim::config::{ArchConfig, BufferId, Dataflow, MemoryModel};

mod arbiter;
mod banks;
mod drain;
mod fetch_ring;
mod spill;

pub use arbiter::Arbiter;
pub use banks::BankRings;
pub use drain::DrainCursor;
pub use fetch_ring::FetchRing;
pub use spill::SpillWalks;

/// Rows per bank of C, the fast model's (`buffer_depth(C) / 2`). `check_rtl` refuses a DRAM
/// run whose banks exceed the physical C (at most 2^16 rows); the clamp only keeps the constants
/// in range for other designs.
pub fn c_bank_rows(cfg: &ArchConfig) -> u64 {
    (cfg.buffer_depth(BufferId::C) / 2).min(1 << 15)
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
    /// The A read is its fold's first, the loop that moved on to reach its fold, and A's edge
    /// loops (a ring's kept reads replay from there: [`FetchRing`]).
    pub a_first: Signal<In, Bit>,
    /// The loop that moved on.
    pub a_advanced: Signal<In, Bits<3>>,
    /// A's edge loops.
    pub a_edges: Signal<In, Bits<8>>,
    /// The same three for the B read.
    pub b_first: Signal<In, Bit>,
    /// The loop that moved on.
    pub b_advanced: Signal<In, Bits<3>>,
    /// B's edge loops.
    pub b_edges: Signal<In, Bits<8>>,
    /// The C write this cycle, its bank, whether it takes a new row, whether it is final.
    pub c_we: Signal<In, Bit>,
    /// Bank.
    pub w_bank: Signal<In, Bit>,
    /// New row.
    pub w_claim: Signal<In, Bit>,
    /// Final.
    pub w_final: Signal<In, Bit>,
    /// The C write's row within its output tile.
    pub w_row: Signal<In, Bits<16>>,
    /// The C read-back's row within its output tile.
    pub r_row: Signal<In, Bits<16>>,
    /// The controller's drain walk: the final fold being drained, its column tile's first step
    /// in C's layout ([`crate::blocks::drain_walk::DrainWalk`]).
    pub drain_col_base: Signal<In, Bits<16>>,
    /// Its row base in C's layout.
    pub drain_row_base: Signal<In, Bits<16>>,
    /// Its rows.
    pub drain_rows: Signal<In, Bits<16>>,
    /// Its lanes.
    pub drain_cols: Signal<In, Bits<16>>,
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
    /// The drain's final fold is out: the controller's drain walk moves on.
    pub drain_next: Signal<Out, Bit>,
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
    /// Buffer A's fetch ring.
    ring_a: FetchRing,
    /// Buffer B's fetch ring.
    ring_b: FetchRing,
    /// Buffer C's banks without spills.
    banks: BankRings,
    /// Buffer C with spills.
    spill: SpillWalks,
    /// The drain of C.
    drain: DrainCursor,
    /// The fetch channels and the stall.
    arbiter: Arbiter,
    live: DFF<Bit>,
    tail: DFF<Bit>,
    dram: Constant<Bit>,
    live_now: Signal<Local, Bit>,
    write_wait: Signal<Local, Bit>,
    working: Signal<Local, Bit>,
}

impl Dma {
    /// The DMA for `cfg` (idle, never stalling, when `cfg.memory` is the ideal model).
    pub fn new(cfg: &ArchConfig) -> Self {
        let (rows, cols) = (cfg.array.rows as u64, cfg.array.cols as u64);
        let half = c_bank_rows(cfg);
        let latency_c = u64::from(cfg.buffers.c.read_latency);
        let dram = cfg.memory == MemoryModel::Dram;
        // Only WS and IS accumulate partial sums: an OS-only design never spills, and synthesis
        // removes the spill logic.
        let can_spill = dram && (cfg.supports(Dataflow::Ws) || cfg.supports(Dataflow::Is));
        // The rings of A and B are the fast model's buffer depths (`check_rtl` holds them within
        // the physical buffers; the clamp keeps the constants in range for other designs).
        let depth = |b| cfg.buffer_depth(b).clamp(1, 1 << 16);
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
            a_retire: Default::default(),
            a_ring: Default::default(),
            a_addr: Default::default(),
            b_re: Default::default(),
            b_count: Default::default(),
            b_fetch: Default::default(),
            b_retire: Default::default(),
            b_ring: Default::default(),
            b_addr: Default::default(),
            a_first: Default::default(),
            a_advanced: Default::default(),
            a_edges: Default::default(),
            b_first: Default::default(),
            b_advanced: Default::default(),
            b_edges: Default::default(),
            c_we: Default::default(),
            w_bank: Default::default(),
            w_claim: Default::default(),
            w_final: Default::default(),
            w_row: Default::default(),
            r_row: Default::default(),
            drain_col_base: Default::default(),
            drain_row_base: Default::default(),
            drain_rows: Default::default(),
            drain_cols: Default::default(),
            drain_next: Default::default(),
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
            ring_a: FetchRing::new(depth(BufferId::A), dram),
            ring_b: FetchRing::new(depth(BufferId::B), dram),
            banks: BankRings::new(half),
            spill: SpillWalks::new(rows, cols, half, latency_c, can_spill),
            drain: DrainCursor::new(cols, half, latency_c, u64::from(cfg.buffers.c.word_bits)),
            arbiter: Arbiter::default(),
            live: Default::default(),
            tail: Default::default(),
            dram: Constant::new(dram),
            live_now: Default::default(),
            write_wait: Default::default(),
            working: Default::default(),
        }
    }
}

impl Logic for Dma {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, live, tail);
        // The DMA's time starts with the run's first cycle and ends when the last drain is out.
        self.live_now.next = self.dram.val() & (self.live.q.val() | self.run.val());

        // Buffers A and B.
        self.ring_a.clock.next = self.clock.val();
        self.ring_a.launch.next = self.launch.val();
        self.ring_a.hold.next = self.hold.val();
        self.ring_a.ring.next = self.a_ring.val();
        self.ring_a.read.next = self.a_re.val();
        self.ring_a.read_lanes.next = self.a_count.val();
        self.ring_a.read_fetches.next = self.a_fetch.val();
        self.ring_a.read_retires.next = self.a_retire.val();
        self.ring_a.read_address.next = self.a_addr.val();
        self.ring_a.read_first.next = self.a_first.val();
        self.ring_a.advanced.next = self.a_advanced.val();
        self.ring_a.edges.next = self.a_edges.val();
        self.ring_a.next_is_prologue.next = self.fa_early.val();
        self.ring_a.issue.next = self.arbiter.a_go.val();
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
        self.ring_b.read_first.next = self.b_first.val();
        self.ring_b.advanced.next = self.b_advanced.val();
        self.ring_b.edges.next = self.b_edges.val();
        self.ring_b.next_is_prologue.next = self.fb_early.val();
        self.ring_b.issue.next = self.arbiter.b_go.val();
        self.ring_b.land.next = self.resp_b.val();
        self.ring_b.land_address.next = self.resp_b_addr.val();

        // Buffer C: its banks as rings, its spill walks, its drain.
        self.banks.clock.next = self.clock.val();
        self.banks.launch.next = self.launch.val();
        self.banks.hold.next = self.hold.val();
        self.banks.write.next = self.c_we.val();
        self.banks.claim.next = self.w_claim.val();
        self.banks.write_bank.next = self.w_bank.val();
        self.banks.write_row.next = self.w_row.val();
        self.banks.readback_bank.next = self.r_bank.val();
        self.banks.readback_row.next = self.r_row.val();
        self.banks.drain.next = self.drain.go.val();
        self.banks.drain_bank.next = self.drain.bank.val();
        self.spill.clock.next = self.clock.val();
        self.spill.launch.next = self.launch.val();
        self.spill.live.next = self.live_now.val();
        self.spill.hold.next = self.hold.val();
        self.spill.chunks.next = self.c_chunks.val();
        self.spill.chunk.next = self.c_chunk.val();
        self.spill.chunk_rem.next = self.c_chunk_rem.val();
        self.spill.tlen.next = self.tlen.val();
        self.spill.row_dim.next = self.row_dim.val();
        self.spill.col_dim.next = self.col_dim.val();
        self.spill.first_write.next = self.wfirst.val();
        self.spill.interval.next = self.interval.val();
        self.spill.c_base.next = self.c_base.val();
        self.spill.write.next = self.c_we.val();
        self.spill.claim.next = self.w_claim.val();
        self.spill.readback_issue.next = self.r_issue.val();
        self.spill.readback.next = self.c_re.val();
        self.spill.drain.next = self.drain.go.val();
        self.spill.drain_out.next = self.wvalid.val();
        self.spill.delivered.next = self.resp_c.val();
        self.spill.delivered_lanes.next = self.resp_c_count.val();
        self.spill.refetch_go.next = self.arbiter.c_go.val();
        self.drain.clock.next = self.clock.val();
        self.drain.launch.next = self.launch.val();
        self.drain.live.next = self.live_now.val();
        self.drain.hold.next = self.hold.val();
        self.drain.os.next = self.os.val();
        self.drain.fold_col_base.next = self.drain_col_base.val();
        self.drain.fold_row_base.next = self.drain_row_base.val();
        self.drain.fold_rows.next = self.drain_rows.val();
        self.drain.fold_cols.next = self.drain_cols.val();
        self.drain_next.next = self.drain.fold_done.val();
        self.drain.c_base.next = self.c_base.val();
        self.drain.writes_idle.next = self.writes_idle.val();
        self.drain.write.next = self.c_we.val();
        self.drain.write_final.next = self.w_final.val();
        self.drain.readback.next = self.c_re.val();
        self.drain.readback_bank.next = self.r_bank.val();
        self.drain.ready.next = self.ready0.val();
        self.drain.spill.next = self.spill.active.val();
        self.drain.spill_readback_bank.next = self.spill.readback_bank.val();
        self.drain.spill_bank.next = self.spill.drain_bank.val();
        self.drain.spill_lanes.next = self.spill.drain_lanes.val();
        self.drain.spill_address.next = self.spill.drain_address.val();
        self.drain.spill_dram_address.next = self.spill.drain_dram_address.val();

        // The fetch channels and the stall.
        self.write_wait.next = self.banks.full.val();
        if self.spill.active.val() {
            self.write_wait.next = self.spill.write_wait.val();
        }
        self.arbiter.clock.next = self.clock.val();
        self.arbiter.launch.next = self.launch.val();
        self.arbiter.live.next = self.live_now.val();
        self.arbiter.run.next = self.run.val();
        self.arbiter.a_valid.next = self.fa_valid.val();
        self.arbiter.a_room.next = self.ring_a.room.val();
        self.arbiter.a_deadline.next = self.fa_due.val();
        self.arbiter.a_address.next = self.fa_addr.val();
        self.arbiter.a_lanes.next = self.fa_count.val();
        self.arbiter.b_valid.next = self.fb_valid.val();
        self.arbiter.b_room.next = self.ring_b.room.val();
        self.arbiter.b_deadline.next = self.fb_due.val();
        self.arbiter.b_address.next = self.fb_addr.val();
        self.arbiter.b_lanes.next = self.fb_count.val();
        self.arbiter.c_valid.next = self.spill.refetch_valid.val();
        self.arbiter.c_deadline.next = self.spill.refetch_deadline.val();
        self.arbiter.c_address.next = self.spill.refetch_dram_address.val();
        self.arbiter.c_lanes.next = self.spill.refetch_lanes.val();
        self.arbiter.ready1.next = self.ready1.val();
        self.arbiter.ready2.next = self.ready2.val();
        self.arbiter.ready3.next = self.ready3.val();
        self.arbiter.a_primed.next = self.ring_a.primed.val();
        self.arbiter.b_primed.next = self.ring_b.primed.val();
        self.arbiter.a_wait.next = self.ring_a.starved.val();
        self.arbiter.b_wait.next = self.ring_b.starved.val();
        self.arbiter.write_wait.next = self.write_wait.val();
        self.arbiter.readback_wait.next = self.spill.readback_wait.val();

        // Outputs: the stall, the fetch cursors' steps, the memory port, the buffers' addresses.
        self.stall.next = self.arbiter.stall.val();
        self.loading.next = self.arbiter.loading.val();
        self.fa_step.next = self.arbiter.a_go.val();
        self.fb_step.next = self.arbiter.b_go.val();
        self.ch0_valid.next = self.drain.request.val();
        self.ch0_count.next = self.drain.lanes.val();
        self.ch0_addr.next = self.drain.dram_address.val();
        self.ch1_valid.next = self.arbiter.ch1_valid.val();
        self.ch1_sel.next = self.arbiter.ch1_sel.val();
        self.ch1_addr.next = self.arbiter.ch1_addr.val();
        self.ch1_count.next = self.arbiter.ch1_count.val();
        self.ch2_valid.next = self.arbiter.ch2_valid.val();
        self.ch2_sel.next = self.arbiter.ch2_sel.val();
        self.ch2_addr.next = self.arbiter.ch2_addr.val();
        self.ch2_count.next = self.arbiter.ch2_count.val();
        self.ch3_valid.next = self.arbiter.ch3_valid.val();
        self.ch3_sel.next = self.arbiter.ch3_sel.val();
        self.ch3_addr.next = self.arbiter.ch3_addr.val();
        self.ch3_count.next = self.arbiter.ch3_count.val();
        self.a_waddr.next = self.ring_a.write_at.val();
        self.b_waddr.next = self.ring_b.write_at.val();
        self.a_raddr.next = self.ring_a.read_at.val();
        self.b_raddr.next = self.ring_b.read_at.val();
        self.drain_go.next = self.drain.go.val();
        self.d_raddr.next = self.drain.address.val();
        self.w_addr.next = self.banks.write_address.val();
        self.r_addr.next = self.banks.readback_address.val();
        if self.spill.active.val() {
            self.w_addr.next = self.spill.write_address.val();
            self.r_addr.next = self.spill.readback_address.val();
        }
        self.land.next = self.spill.land.val();
        self.l_addr.next = self.spill.land_address.val();
        self.ev_dram_a.next = self.arbiter.ev_dram_a.val();
        self.ev_dram_b.next = self.arbiter.ev_dram_b.val();
        self.ev_dram_cr.next = self.arbiter.ev_dram_cr.val();
        self.ev_dram_c.next = self.drain.ev_dram_c.val();
        self.ev_c_words.next = self.drain.ev_c_words.val();
        self.ev_c_elems.next = self.drain.ev_c_elems.val();
        self.ev_cl_elems.next = self.spill.ev_cl_elems.val();

        // The end: every final row drained, its bytes out, its SRAM read complete.
        self.writeback.next = self.live.q.val() & !self.run.val() & !self.drain.finished.val();
        self.working.next = self.live_now.val() & (self.run.val() | !self.drain.finished.val());
        self.busy.next = self.working.val() | self.tail.q.val();
        self.tail.d.next = self.working.val();
        if self.launch.val() {
            self.live.d.next = false;
        } else if self.run.val() {
            self.live.d.next = self.dram.val();
        } else if self.drain.finished.val() {
            self.live.d.next = false;
        }
    }
}

/// Clocking a sub-block by hand in its unit tests: settle the inputs, then a rising and a
/// falling edge.
#[cfg(test)]
fn tick<B: Block>(block: &mut B, clock: fn(&mut B) -> &mut Signal<In, Clock>) {
    assert!(simulate(block, 100), "the block did not settle");
    clock(block).next = Clock { clk: true };
    assert!(simulate(block, 100), "the block did not settle");
    clock(block).next = Clock { clk: false };
    assert!(simulate(block, 100), "the block did not settle");
}
