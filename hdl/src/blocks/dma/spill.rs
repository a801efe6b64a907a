//! Buffer C when it spills (`cmd_c_chunks` > 0): where each row of C lives, when a write finds
//! its place free, which spilled row is refetched from DRAM next and when, where a refetched row
//! lands, and whether a read-back must wait for it.
//!
//! It mirrors the spill half of the fast model's `OutputStream` (`sim/src/memory/dma.rs`):
//! `chunk_pos` and `slot_free` (every row has a fixed place, quarter `g mod 4` of C for global
//! chunk `g`, free once the drains have passed that row of the quarter's previous chunk), the
//! refetch cursor with `rf_deadline`, `rf_written` and `rf_needed` (`readback_ready`), and
//! `drained_out` (a refetch goes out only once its row's previous value has left C for DRAM).
//! Five [`ChunkWalk`]s follow the rows (`docs/rtl.md`, "Spill"): 0 the array's C writes, 1 its
//! read-backs, 2 the drains, 3 the refetches, 4 their landings (3 and 4 walk only later K
//! folds). Without spills every output here is unused and [`super::BankRings`] places the rows.

use rust_hdl::prelude::*;

use crate::blocks::chunk_walk::ChunkWalk;

/// Buffer C's spill walks and read-back counts (see the module doc).
#[derive(LogicBlock)]
pub struct SpillWalks {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// The controller's launch cycle: start the walks at the run's first row.
    pub launch: Signal<In, Bit>,
    /// The DMA works this cycle.
    pub live: Signal<In, Bit>,
    /// The cycle stalls: the datapath's requests below have no effect.
    pub hold: Signal<In, Bit>,
    /// Chunks per fold (0: C does not spill).
    pub chunks: Signal<In, Bits<16>>,
    /// Rows per chunk.
    pub chunk: Signal<In, Bits<16>>,
    /// Chunks with one row more.
    pub chunk_rem: Signal<In, Bits<16>>,
    /// Stream length (rows per fold).
    pub tlen: Signal<In, Bits<16>>,
    /// Extent of the array-row dimension.
    pub row_dim: Signal<In, Bits<16>>,
    /// Extent of the array-column dimension.
    pub col_dim: Signal<In, Bits<16>>,
    /// The controller's first C write cycle.
    pub first_write: Signal<In, Bits<32>>,
    /// Fold interval.
    pub interval: Signal<In, Bits<32>>,
    /// Base address of C in DRAM.
    pub c_base: Signal<In, Bits<16>>,
    /// The array writes a row of C this cycle.
    pub write: Signal<In, Bit>,
    /// The write takes a new row.
    pub claim: Signal<In, Bit>,
    /// The controller's read-back cursor steps this cycle (in every fold, reading or not).
    pub readback_issue: Signal<In, Bit>,
    /// The array reads a row of C back this cycle.
    pub readback: Signal<In, Bit>,
    /// A drain leaves C this cycle.
    pub drain: Signal<In, Bit>,
    /// A drained row's data leaves C's DMA read port this cycle (it is in DRAM from the next).
    pub drain_out: Signal<In, Bit>,
    /// The memory port delivers a refetched row of C this cycle.
    pub delivered: Signal<In, Bit>,
    /// Its lanes.
    pub delivered_lanes: Signal<In, Bits<8>>,
    /// The memory port accepts the refetch this cycle.
    pub refetch_go: Signal<In, Bit>,
    /// C spills in this run (the design can spill and the start command asks it).
    pub active: Signal<Out, Bit>,
    /// The write's address in C.
    pub write_address: Signal<Out, Bits<16>>,
    /// The read-back's address in C.
    pub readback_address: Signal<Out, Bits<16>>,
    /// The read-back's bank.
    pub readback_bank: Signal<Out, Bit>,
    /// The write takes a new row whose place is not yet drained: stall.
    pub write_wait: Signal<Out, Bit>,
    /// The read-back's partial sums are not yet back from DRAM: stall.
    pub readback_wait: Signal<Out, Bit>,
    /// The next drain's bank.
    pub drain_bank: Signal<Out, Bit>,
    /// Its lanes.
    pub drain_lanes: Signal<Out, Bits<8>>,
    /// Its address in C.
    pub drain_address: Signal<Out, Bits<16>>,
    /// Its address in DRAM.
    pub drain_dram_address: Signal<Out, Bits<16>>,
    /// The next refetch may go out: its place is free and its previous value is in DRAM.
    pub refetch_valid: Signal<Out, Bit>,
    /// Its deadline (the cycle the controller reads it back).
    pub refetch_deadline: Signal<Out, Bits<32>>,
    /// Its address in DRAM.
    pub refetch_dram_address: Signal<Out, Bits<16>>,
    /// Its lanes.
    pub refetch_lanes: Signal<Out, Bits<8>>,
    /// The delivered row lands this cycle (through C's DMA write port) unless the array writes
    /// its bank.
    pub land: Signal<Out, Bit>,
    /// Where it lands in C.
    pub land_address: Signal<Out, Bits<16>>,
    /// Event increment: elements of C written by a landing.
    pub ev_cl_elems: Signal<Out, Bits<16>>,
    /// The row walks, by index (see the module doc).
    walks: Vec<ChunkWalk>,
    landed: DFF<Bits<17>>,
    read_back: DFF<Bits<17>>,
    drained_out: DFF<Bits<17>>,
    can_spill: Constant<Bit>,
    latency: Constant<Bits<32>>,
    four: Constant<Bits<17>>,
    one17: Constant<Bits<17>>,
    zero16: Constant<Bits<16>>,
    zero17: Constant<Bits<17>>,
    first_due: Signal<Local, Bits<32>>,
    write_lead: Signal<Local, Bits<17>>,
    refetch_lead: Signal<Local, Bits<17>>,
    write_free: Signal<Local, Bit>,
    refetch_free: Signal<Local, Bit>,
    in_dram: Signal<Local, Bit>,
}

impl SpillWalks {
    /// The walks of an array of `rows x cols` whose C banks hold `half` rows each, read with
    /// `latency` cycles. `can_spill`: the design supports a dataflow that spills (WS or IS) and
    /// has DRAM; otherwise synthesis removes the spill logic.
    pub fn new(rows: u64, cols: u64, half: u64, latency: u64, can_spill: bool) -> Self {
        SpillWalks {
            clock: Default::default(),
            launch: Default::default(),
            live: Default::default(),
            hold: Default::default(),
            chunks: Default::default(),
            chunk: Default::default(),
            chunk_rem: Default::default(),
            tlen: Default::default(),
            row_dim: Default::default(),
            col_dim: Default::default(),
            first_write: Default::default(),
            interval: Default::default(),
            c_base: Default::default(),
            write: Default::default(),
            claim: Default::default(),
            readback_issue: Default::default(),
            readback: Default::default(),
            drain: Default::default(),
            drain_out: Default::default(),
            delivered: Default::default(),
            delivered_lanes: Default::default(),
            refetch_go: Default::default(),
            active: Default::default(),
            write_address: Default::default(),
            readback_address: Default::default(),
            readback_bank: Default::default(),
            write_wait: Default::default(),
            readback_wait: Default::default(),
            drain_bank: Default::default(),
            drain_lanes: Default::default(),
            drain_address: Default::default(),
            drain_dram_address: Default::default(),
            refetch_valid: Default::default(),
            refetch_deadline: Default::default(),
            refetch_dram_address: Default::default(),
            refetch_lanes: Default::default(),
            land: Default::default(),
            land_address: Default::default(),
            ev_cl_elems: Default::default(),
            walks: (0..5).map(|_| ChunkWalk::new(rows, cols, half)).collect(),
            landed: Default::default(),
            read_back: Default::default(),
            drained_out: Default::default(),
            can_spill: Constant::new(can_spill),
            latency: Constant::new(Bits::<32>::from(latency)),
            four: Constant::new(Bits::<17>::from(4u64)),
            one17: Constant::new(Bits::<17>::from(1u64)),
            zero16: Constant::new(Bits::<16>::from(0u64)),
            zero17: Constant::new(Bits::<17>::from(0u64)),
            first_due: Default::default(),
            write_lead: Default::default(),
            refetch_lead: Default::default(),
            write_free: Default::default(),
            refetch_free: Default::default(),
            in_dram: Default::default(),
        }
    }
}

impl Logic for SpillWalks {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, landed, read_back, drained_out);
        self.active.next = self.can_spill.val() & (self.chunks.val() != self.zero16.val());
        // Fold 1's first read-back: its write's cycle less L_C.
        self.first_due.next = self.first_write.val() + self.interval.val() - self.latency.val();
        for w in 0..self.walks.len() {
            self.walks[w].clock.next = self.clock.val();
            self.walks[w].start.next = self.launch.val();
            self.walks[w].chunks.next = self.chunks.val();
            self.walks[w].chunk.next = self.chunk.val();
            self.walks[w].chunk_rem.next = self.chunk_rem.val();
            self.walks[w].tlen.next = self.tlen.val();
            self.walks[w].row_dim.next = self.row_dim.val();
            self.walks[w].col_dim.next = self.col_dim.val();
            self.walks[w].due_first.next = self.first_due.val();
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
        self.walks[0].step.next = self.active.val() & self.write.val() & !self.hold.val();
        self.walks[1].step.next = self.active.val() & self.readback_issue.val() & !self.hold.val();
        self.walks[2].step.next = self.active.val() & self.drain.val();
        self.walks[3].step.next = self.refetch_go.val();

        // A row's place in C is free once the drains have passed row i of the chunk four back
        // (the quarter's previous chunk); the walks' chunks are compared by difference.
        self.write_lead.next = self.walks[0].g.val() - self.walks[2].g.val();
        self.write_free.next = (self.write_lead.val() < self.four.val())
            | ((self.write_lead.val() == self.four.val())
                & (self.walks[2].i.val() > self.walks[0].i.val()));
        self.refetch_lead.next = self.walks[3].g.val() - self.walks[2].g.val();
        self.refetch_free.next = (self.refetch_lead.val() < self.four.val())
            | ((self.refetch_lead.val() == self.four.val())
                & (self.walks[2].i.val() > self.walks[3].i.val()));
        // The previous fold's value of the row is in DRAM (its drain has read it out of C).
        self.in_dram.next = (self.walks[3].v.val() - self.drained_out.q.val())
            < bit_cast::<17, 16>(self.tlen.val());

        // The array's side: where its writes and read-backs go, and when they wait.
        self.write_address.next = self.walks[0].addr.val();
        self.readback_address.next = self.walks[1].addr.val();
        self.readback_bank.next = self.walks[1].bank.val();
        self.write_wait.next = self.write.val() & self.claim.val() & !self.write_free.val();
        self.readback_wait.next = self.active.val()
            & self.readback.val()
            & (self.read_back.q.val() == self.landed.q.val());
        // The drains' side.
        self.drain_bank.next = self.walks[2].bank.val();
        self.drain_lanes.next = self.walks[2].count.val();
        self.drain_address.next = self.walks[2].addr.val();
        self.drain_dram_address.next = self.c_base.val() + self.walks[2].layout.val();
        // The refetches and their landings: a refetched row lands through C's DMA write port
        // unless the array writes its bank.
        self.refetch_valid.next = self.active.val()
            & self.walks[3].valid.val()
            & self.refetch_free.val()
            & self.in_dram.val();
        self.refetch_deadline.next = self.walks[3].due.val();
        self.refetch_dram_address.next = self.c_base.val() + self.walks[3].layout.val();
        self.refetch_lanes.next = self.walks[3].count.val();
        self.land.next = self.live.val()
            & self.active.val()
            & self.delivered.val()
            & !(self.write.val()
                & !self.hold.val()
                & (self.walks[0].bank.val() == self.walks[4].bank.val()));
        self.walks[4].step.next = self.land.val();
        self.land_address.next = self.walks[4].addr.val();
        self.ev_cl_elems.next = self.zero16.val();
        if self.land.val() {
            self.ev_cl_elems.next = bit_cast::<16, 8>(self.delivered_lanes.val());
        }

        // Landings, read-backs of refetched rows, drains whose data has left C.
        if self.launch.val() {
            self.landed.d.next = self.zero17.val();
            self.read_back.d.next = self.zero17.val();
            self.drained_out.d.next = self.zero17.val();
        } else {
            if self.land.val() {
                self.landed.d.next = self.landed.q.val() + self.one17.val();
            }
            if self.active.val() & self.readback.val() & !self.hold.val() {
                self.read_back.d.next = self.read_back.q.val() + self.one17.val();
            }
            if self.drain_out.val() {
                self.drained_out.d.next = self.drained_out.q.val() + self.one17.val();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fold of `T = 7` rows in 3 chunks (3, 2 and 2 rows) on banks of 8 rows: global chunk `g`
    /// lives in bank `g mod 2`, quarter `(g / 2) mod 2`, row `i` at row `i` of the quarter
    /// (`OutputStream::chunk_pos`); a write into chunk `g + 4` waits until the drains have passed
    /// its row of chunk `g` (`OutputStream::slot_free`). Without chunks C does not spill.
    #[test]
    fn rows_take_their_quarter_and_wait_for_its_previous_chunk_to_drain() {
        let mut s = SpillWalks::new(2, 3, 8, 1, true);
        s.connect_all();
        s.chunks.next = 3u64.into();
        s.chunk.next = 2u64.into();
        s.chunk_rem.next = 1u64.into();
        s.tlen.next = 7u64.into();
        s.row_dim.next = 4u64.into();
        s.col_dim.next = 3u64.into();
        s.interval.next = 20u64.into();
        s.first_write.next = 10u64.into();
        s.live.next = true;
        s.launch.next = true;
        super::super::tick(&mut s, |s| &mut s.clock);
        s.launch.next = false;
        s.write.next = true;
        s.claim.next = true;
        // Fold 0: chunks 0, 1, 2; fold 1 starts with chunk 3 (bank 1, quarter 1).
        let want = [0, 1, 2, 8, 9, 4, 5, 12, 13, 14];
        for (k, &addr) in want.iter().enumerate() {
            assert!(simulate(&mut s, 100));
            assert!(s.active.val());
            assert_eq!(s.write_address.val().index(), addr, "write {k}");
            assert!(!s.write_wait.val(), "write {k}");
            super::super::tick(&mut s, |s| &mut s.clock);
        }
        // Chunk 4 takes chunk 0's quarter: its row 0 waits for chunk 0's row 0 to drain.
        assert!(simulate(&mut s, 100));
        assert_eq!(s.write_address.val().index(), 0);
        assert!(s.write_wait.val());
        assert_eq!(s.drain_address.val().index(), 0);
        s.write.next = false;
        s.drain.next = true;
        super::super::tick(&mut s, |s| &mut s.clock);
        s.drain.next = false;
        s.write.next = true;
        assert!(simulate(&mut s, 100));
        assert!(!s.write_wait.val(), "chunk 0's row 0 is drained");
        assert_eq!(s.drain_address.val().index(), 1);
        // Its row 1 waits for row 1.
        super::super::tick(&mut s, |s| &mut s.clock);
        assert!(simulate(&mut s, 100));
        assert_eq!(s.write_address.val().index(), 1);
        assert!(s.write_wait.val());
        s.chunks.next = 0u64.into();
        assert!(simulate(&mut s, 100));
        assert!(!s.active.val(), "no chunks: C does not spill");
    }
}
