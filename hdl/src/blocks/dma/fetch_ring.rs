//! One operand buffer (A or B) seen from the DMA: how many of its fetches are issued, landed,
//! needed and retired, where a landing vector is written and where the controller's read finds
//! it, whether a fetch has room, and whether a read must stall. The DMA instantiates it twice.
//!
//! It mirrors the fast model's `OperandStream` (`sim/src/memory/dma.rs`): `issued`, `written`,
//! `needed`, `retired` and `prologue` are its counters, `room` is the room test of
//! `OperandStream::deadline` (`issued < retired + depth`, this cycle's retiring read first),
//! `starved` is the negation of `MemorySystem::read_ready` for a fetching fold (`needed < written`),
//! and `primed` is this buffer's half of `MemorySystem::started`.
//!
//! With `whole` reuse (`ring` low) every vector lands at its own layout address and is read
//! there. With `per-run` or `per-fold` reuse the buffer is a ring of the fast model's depth:
//! fetch `q` lands in slot `q mod depth`, fetching reads take the slots in the same order, and a
//! read in the last fold that uses its vector retires it. Reads of folds that do not fetch
//! (the operand kept from an earlier fold of its epoch) find their vectors by replay: a perfect
//! loop nest re-reads, in every later iteration of a loop that does not index the operand (an
//! *edge* loop, at or inside its keep level), the vectors of that loop's first iteration in the
//! same order (`systole_sim::mapping::nest`). So every read that moves a vector takes the read
//! pointer's slot and moves it on, and at each fold's first read, with `l` the loop that moved on
//! to reach the fold, the pointer goes back to where `l`'s first iteration began if `l` is an
//! edge loop, and every edge loop inside `l` (starting over) records the pointer as its own
//! beginning. In a fetching fold the pointer equals the fetch count, so fetching reads find
//! their vectors in fetch order. The counts are 17 bits and compared by difference, so they may
//! wrap.

use rust_hdl::prelude::*;

/// The fetch ring of one operand buffer (see the module doc).
#[derive(LogicBlock)]
pub struct FetchRing {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// The controller's launch cycle: zero every count and slot for a new run.
    pub launch: Signal<In, Bit>,
    /// The cycle stalls: the controller's read below has no effect.
    pub hold: Signal<In, Bit>,
    /// The buffer is a ring (reuse per run or per fold; the start command's).
    pub ring: Signal<In, Bit>,
    /// The controller reads this buffer this cycle.
    pub read: Signal<In, Bit>,
    /// Lanes of the read (0: it reads nothing).
    pub read_lanes: Signal<In, Bits<8>>,
    /// The read's fold fetches its vectors from DRAM.
    pub read_fetches: Signal<In, Bit>,
    /// The read is the last of its vector (rings only): it frees the slot.
    pub read_retires: Signal<In, Bit>,
    /// The controller's address of the read (used as is when the buffer is not a ring).
    pub read_address: Signal<In, Bits<16>>,
    /// The read is its fold's first (replays start here, see the module doc).
    pub read_first: Signal<In, Bit>,
    /// The loop that moved on to reach the read's fold.
    pub advanced: Signal<In, Bits<3>>,
    /// The operand's edge loops (bit `i`: loop slot `i`).
    pub edges: Signal<In, Bits<8>>,
    /// The fetch cursor's current vector belongs to the prologue (folds 0 and 1).
    pub next_is_prologue: Signal<In, Bit>,
    /// The memory port accepts this buffer's fetch this cycle.
    pub issue: Signal<In, Bit>,
    /// A fetched vector lands in the buffer this cycle.
    pub land: Signal<In, Bit>,
    /// The landing vector's layout address.
    pub land_address: Signal<In, Bits<16>>,
    /// A fetch may be issued: fewer than `depth` fetches are unretired.
    pub room: Signal<Out, Bit>,
    /// The prologue's fetches have landed (or the ring is full).
    pub primed: Signal<Out, Bit>,
    /// The read needs a vector that has not landed: stall.
    pub starved: Signal<Out, Bit>,
    /// Where the landing vector is written: its layout address, or the ring's next slot.
    pub write_at: Signal<Out, Bits<16>>,
    /// Where the read reads: the controller's address, or the ring slot of its vector.
    pub read_at: Signal<Out, Bits<16>>,
    issued: DFF<Bits<17>>,
    written: DFF<Bits<17>>,
    needed: DFF<Bits<17>>,
    retired: DFF<Bits<17>>,
    prologue: DFF<Bits<17>>,
    next_write_slot: DFF<Bits<16>>,
    next_read_slot: DFF<Bits<16>>,
    /// Per loop slot, the read pointer where its current first iteration began.
    began: [DFF<Bits<16>>; 6],
    dram: Constant<Bit>,
    depth: Constant<Bits<17>>,
    last_slot: Constant<Bits<16>>,
    zero8: Constant<Bits<8>>,
    zero16: Constant<Bits<16>>,
    zero17: Constant<Bits<17>>,
    one16: Constant<Bits<16>>,
    one17: Constant<Bits<17>>,
    reads_vector: Signal<Local, Bit>,
    fetching_read: Signal<Local, Bit>,
    retiring_read: Signal<Local, Bit>,
    retired_now: Signal<Local, Bits<17>>,
    unretired: Signal<Local, Bits<17>>,
    held: Signal<Local, Bits<17>>,
    replay: Signal<Local, Bit>,
    replay_from: Signal<Local, Bits<16>>,
    read_slot: Signal<Local, Bits<16>>,
    first_now: Signal<Local, Bit>,
    /// Loop slot `i` is inside the loop that moved on (`advanced < i`).
    inside: [Signal<Local, Bit>; 7],
    k_loop: [Constant<Bits<3>>; 6],
}

impl FetchRing {
    /// A ring of `depth` slots (1 to 2^16). `dram`: the design has a DRAM memory port (without
    /// one, reads use the controller's addresses).
    pub fn new(depth: u64, dram: bool) -> Self {
        FetchRing {
            clock: Default::default(),
            launch: Default::default(),
            hold: Default::default(),
            ring: Default::default(),
            read: Default::default(),
            read_lanes: Default::default(),
            read_fetches: Default::default(),
            read_retires: Default::default(),
            read_address: Default::default(),
            read_first: Default::default(),
            advanced: Default::default(),
            edges: Default::default(),
            next_is_prologue: Default::default(),
            issue: Default::default(),
            land: Default::default(),
            land_address: Default::default(),
            room: Default::default(),
            primed: Default::default(),
            starved: Default::default(),
            write_at: Default::default(),
            read_at: Default::default(),
            issued: Default::default(),
            written: Default::default(),
            needed: Default::default(),
            retired: Default::default(),
            prologue: Default::default(),
            next_write_slot: Default::default(),
            next_read_slot: Default::default(),
            began: Default::default(),
            dram: Constant::new(dram),
            depth: Constant::new(Bits::<17>::from(depth)),
            last_slot: Constant::new(Bits::<16>::from(depth - 1)),
            zero8: Constant::new(Bits::<8>::from(0u64)),
            zero16: Constant::new(Bits::<16>::from(0u64)),
            zero17: Constant::new(Bits::<17>::from(0u64)),
            one16: Constant::new(Bits::<16>::from(1u64)),
            one17: Constant::new(Bits::<17>::from(1u64)),
            reads_vector: Default::default(),
            fetching_read: Default::default(),
            retiring_read: Default::default(),
            retired_now: Default::default(),
            unretired: Default::default(),
            held: Default::default(),
            replay: Default::default(),
            replay_from: Default::default(),
            read_slot: Default::default(),
            first_now: Default::default(),
            inside: Default::default(),
            k_loop: std::array::from_fn(|i| Constant::new(Bits::<3>::from(i as u64))),
        }
    }
}

impl Logic for FetchRing {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            issued,
            written,
            needed,
            retired,
            prologue,
            next_write_slot,
            next_read_slot
        );
        for i in 0..6 {
            self.began[i].clock.next = self.clock.val();
            self.began[i].d.next = self.began[i].q.val();
        }
        // What the controller's read does this cycle (nothing, in a stalled cycle).
        self.reads_vector.next = self.read.val() & (self.read_lanes.val() != self.zero8.val());
        self.fetching_read.next =
            self.reads_vector.val() & self.read_fetches.val() & !self.hold.val();
        self.retiring_read.next =
            self.reads_vector.val() & self.read_retires.val() & !self.hold.val();

        // Room for a fetch while fewer than `depth` fetches are unretired (this cycle's reads
        // retire first, as in the fast model). The 17-bit difference stays within the depth.
        self.retired_now.next = self.retired.q.val();
        if self.retiring_read.val() {
            self.retired_now.next = self.retired.q.val() + self.one17.val();
        }
        self.unretired.next = self.issued.q.val() - self.retired_now.val();
        self.room.next = self.unretired.val() < self.depth.val();
        // The prologue: every fetch of folds 0 and 1, or as many as the buffer holds (before
        // cycle 0 nothing has retired; the registered counts keep the stall free of a loop
        // through this cycle's reads).
        self.held.next = self.issued.q.val() - self.retired.q.val();
        self.primed.next = (!self.next_is_prologue.val() | (self.held.val() >= self.depth.val()))
            & (self.written.q.val() >= self.prologue.q.val());
        // A fetching read with no landed vector left.
        self.starved.next = self.reads_vector.val()
            & self.read_fetches.val()
            & (self.needed.q.val() == self.written.q.val());

        // Addresses: a ring's fetch `q` lands in slot `q mod depth`; a read takes the read
        // pointer's slot, which a fold's first read moves back when its loop replays.
        self.write_at.next = self.land_address.val();
        if self.ring.val() {
            self.write_at.next = self.next_write_slot.q.val();
        }
        self.replay.next = false;
        self.replay_from.next = self.zero16.val();
        self.inside[0].next = false;
        for i in 0..6 {
            self.inside[i + 1].next =
                self.inside[i].val() | (self.advanced.val() == self.k_loop[i].val());
            if self.advanced.val() == self.k_loop[i].val() {
                self.replay.next = self.edges.val().get_bit(i);
                self.replay_from.next = self.began[i].q.val();
            }
        }
        self.first_now.next = self.read.val() & self.read_first.val() & !self.hold.val();
        self.read_slot.next = self.next_read_slot.q.val();
        if self.read.val() & self.read_first.val() & self.replay.val() {
            self.read_slot.next = self.replay_from.val();
        }
        self.read_at.next = self.read_address.val();
        if self.dram.val() & self.ring.val() {
            self.read_at.next = self.read_slot.val();
        }

        // State.
        if self.launch.val() {
            self.issued.d.next = self.zero17.val();
            self.written.d.next = self.zero17.val();
            self.needed.d.next = self.zero17.val();
            self.retired.d.next = self.zero17.val();
            self.prologue.d.next = self.zero17.val();
            self.next_write_slot.d.next = self.zero16.val();
            self.next_read_slot.d.next = self.zero16.val();
            for i in 0..6 {
                self.began[i].d.next = self.zero16.val();
            }
        } else {
            self.retired.d.next = self.retired_now.val();
            if self.issue.val() {
                self.issued.d.next = self.issued.q.val() + self.one17.val();
                if self.next_is_prologue.val() {
                    self.prologue.d.next = self.prologue.q.val() + self.one17.val();
                }
            }
            if self.land.val() {
                self.written.d.next = self.written.q.val() + self.one17.val();
                self.next_write_slot.d.next = self.next_write_slot.q.val() + self.one16.val();
                if self.next_write_slot.q.val() == self.last_slot.val() {
                    self.next_write_slot.d.next = self.zero16.val();
                }
            }
            if self.fetching_read.val() {
                self.needed.d.next = self.needed.q.val() + self.one17.val();
            }
            // A fold's first read: the edge loops inside the moved loop begin here.
            if self.first_now.val() {
                self.next_read_slot.d.next = self.read_slot.val();
                for i in 0..6 {
                    if self.edges.val().get_bit(i) & self.inside[i].val() {
                        self.began[i].d.next = self.read_slot.val();
                    }
                }
            }
            if self.reads_vector.val() & !self.hold.val() {
                self.next_read_slot.d.next = self.read_slot.val() + self.one16.val();
                if self.read_slot.val() == self.last_slot.val() {
                    self.next_read_slot.d.next = self.zero16.val();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tick(ring: &mut FetchRing) {
        super::super::tick(ring, |r| &mut r.clock);
    }

    fn start(depth: u64) -> FetchRing {
        let mut ring = FetchRing::new(depth, true);
        ring.connect_all();
        ring.ring.next = true;
        ring.launch.next = true;
        tick(&mut ring);
        ring.launch.next = false;
        ring
    }

    /// A ring of depth 3 under a pseudo-random schedule of fetches, landings and fetching,
    /// retiring reads (reuse per fold), against the fast model's `OperandStream` rule: a fetch
    /// has room while `issued < retired + depth` (this cycle's retiring read first), a read waits
    /// while `needed == written`, and, like the fast model's debug `Shadow`, every read finds the
    /// vector it needs in its slot, landed and not overwritten.
    #[test]
    fn a_ring_follows_the_fast_models_counters_and_never_loses_a_vector() {
        let depth = 3u64;
        let mut ring = start(depth);
        let (mut issued, mut written, mut needed, mut retired) = (0u64, 0u64, 0u64, 0u64);
        // Per slot: the fetch it holds and whether it has landed.
        let mut slots: Vec<Option<(u64, bool)>> = vec![None; depth as usize];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut coin = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed.is_multiple_of(n)
        };
        let mut reads = 0;
        for _ in 0..400 {
            let read = coin(2);
            ring.read.next = read;
            ring.read_lanes.next = 4u64.into();
            ring.read_fetches.next = true;
            ring.read_retires.next = true;
            ring.next_is_prologue.next = false;
            ring.hold.next = false;
            ring.issue.next = false;
            ring.land.next = written < issued && coin(2);
            assert!(simulate(&mut ring, 100));
            // A stalled read has no effect (the DMA's stall becomes the controller's hold).
            let wait = read && needed == written;
            assert_eq!(ring.starved.val(), wait);
            ring.hold.next = wait;
            assert!(simulate(&mut ring, 100));
            let reads_now = read && !wait;
            assert_eq!(
                ring.room.val(),
                issued < retired + u64::from(reads_now) + depth
            );
            let issue = ring.room.val() && coin(3);
            ring.issue.next = issue;
            assert!(simulate(&mut ring, 100));
            if ring.land.val() {
                let slot = (written % depth) as usize;
                assert_eq!(ring.write_at.val().index() as u64, written % depth);
                assert_eq!(slots[slot], Some((written, false)));
                slots[slot] = Some((written, true));
                written += 1;
            }
            if reads_now {
                let slot = ring.read_at.val().index();
                assert_eq!(slots[slot], Some((needed, true)), "read {needed}");
                needed += 1;
                retired += 1;
                reads += 1;
            }
            if issue {
                let slot = (issued % depth) as usize;
                assert!(
                    slots[slot].is_none_or(|(q, _)| q < retired),
                    "fetch {issued} evicts a vector still to be read"
                );
                slots[slot] = Some((issued, false));
                issued += 1;
            }
            tick(&mut ring);
        }
        assert!(reads > 50, "the schedule read only {reads} vectors");
    }

    /// Reads of folds that do not fetch replay the first iteration of the loop that moved on:
    /// with loop 1 an edge loop (OS's B per run under SCALE-Sim's order: the row tiles of a
    /// column tile), a fold reached by loop 1 reads the slots its iteration 0 read, and a fold
    /// reached by loop 0 (the next column tile) takes new slots. Without edge loops (A, or B per
    /// fold) every read takes the next slot.
    #[test]
    fn reads_that_do_not_fetch_replay_their_loops_first_iteration() {
        // One fold of three reads: (fetches, loop that moved on) -> the slots read.
        let fold = |ring: &mut FetchRing, fetches: bool, advanced: u64, edges: u64| {
            (0..3)
                .map(|s| {
                    ring.issue.next = fetches;
                    ring.land.next = fetches;
                    tick(ring);
                    ring.issue.next = false;
                    ring.land.next = false;
                    ring.read.next = true;
                    ring.read_lanes.next = 1u64.into();
                    ring.read_fetches.next = fetches;
                    ring.read_retires.next = false;
                    ring.read_first.next = s == 0;
                    ring.advanced.next = advanced.into();
                    ring.edges.next = edges.into();
                    assert!(simulate(ring, 100));
                    let at = ring.read_at.val().index();
                    tick(ring);
                    ring.read.next = false;
                    at
                })
                .collect::<Vec<usize>>()
        };
        let mut b = start(8);
        assert_eq!(fold(&mut b, true, 0, 0b10), vec![0, 1, 2]);
        assert_eq!(fold(&mut b, false, 1, 0b10), vec![0, 1, 2]);
        assert_eq!(fold(&mut b, false, 1, 0b10), vec![0, 1, 2]);
        assert_eq!(fold(&mut b, true, 0, 0b10), vec![3, 4, 5]);
        assert_eq!(fold(&mut b, false, 1, 0b10), vec![3, 4, 5]);
        // Wrapping at the depth.
        assert_eq!(fold(&mut b, true, 0, 0b10), vec![6, 7, 0]);
        assert_eq!(fold(&mut b, false, 1, 0b10), vec![6, 7, 0]);
        let mut a = start(8);
        assert_eq!(fold(&mut a, true, 0, 0), vec![0, 1, 2]);
        assert_eq!(fold(&mut a, true, 1, 0), vec![3, 4, 5]);
    }
}
