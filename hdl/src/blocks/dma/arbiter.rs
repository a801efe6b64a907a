//! The deadline arbiter: which fetch uses which request channel of the memory port, which of
//! them the port accepted, and whether the machine stalls this cycle.
//!
//! It mirrors the fetch half of the fast model's `MemorySystem::step` (`sim/src/memory/dma.rs`):
//! the candidates are buffer A's and buffer B's next fetches (each while its ring has room) and
//! the next refetch of a spilled row of C, sorted earliest deadline first with ties going to C,
//! then A, then B. The most urgent goes out on channel 1, the next on channel 2, the last on
//! channel 3; the memory port accepts a prefix of the valid channels (its `ready`s), as the DRAM
//! bus's booking allows, like the fast model's loop that stops at the first fetch the bus
//! refuses. Channel 0, the drain of C, is the drain cursor's own.
//!
//! The stall mirrors what the fast model's datapath asks before each cycle of the run
//! (`MemorySystem::started`, `read_ready`, `write_ready`, `readback_ready`): a cycle of the run
//! stalls before the prologue's vectors have landed (a load cycle), or when a read of A or B, a
//! write of C or a read-back of C must wait.

use rust_hdl::prelude::*;

/// The deadline arbiter (see the module doc).
#[derive(LogicBlock)]
pub struct Arbiter {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// The controller's launch cycle: the prologue has not landed.
    pub launch: Signal<In, Bit>,
    /// The DMA works this cycle (a DRAM design, from the run's first cycle to the last drain).
    pub live: Signal<In, Bit>,
    /// The controller's run state.
    pub run: Signal<In, Bit>,
    /// Buffer A's fetch cursor has a vector to fetch.
    pub a_valid: Signal<In, Bit>,
    /// Buffer A's ring has room for it.
    pub a_room: Signal<In, Bit>,
    /// Its deadline (the cycle the controller reads it).
    pub a_deadline: Signal<In, Bits<32>>,
    /// Its address in DRAM.
    pub a_address: Signal<In, Bits<16>>,
    /// Its lanes (1 byte each).
    pub a_lanes: Signal<In, Bits<8>>,
    /// Buffer B's fetch cursor has a vector to fetch.
    pub b_valid: Signal<In, Bit>,
    /// Buffer B's ring has room for it.
    pub b_room: Signal<In, Bit>,
    /// Its deadline.
    pub b_deadline: Signal<In, Bits<32>>,
    /// Its address in DRAM.
    pub b_address: Signal<In, Bits<16>>,
    /// Its lanes.
    pub b_lanes: Signal<In, Bits<8>>,
    /// A spilled row of C may be refetched (its place is free and its value is in DRAM).
    pub c_valid: Signal<In, Bit>,
    /// Its deadline (the cycle the controller reads it back).
    pub c_deadline: Signal<In, Bits<32>>,
    /// Its address in DRAM.
    pub c_address: Signal<In, Bits<16>>,
    /// Its lanes (4 bytes each).
    pub c_lanes: Signal<In, Bits<8>>,
    /// The memory port accepts channel 1.
    pub ready1: Signal<In, Bit>,
    /// The memory port accepts channel 2.
    pub ready2: Signal<In, Bit>,
    /// The memory port accepts channel 3.
    pub ready3: Signal<In, Bit>,
    /// Buffer A's prologue has landed.
    pub a_primed: Signal<In, Bit>,
    /// Buffer B's prologue has landed.
    pub b_primed: Signal<In, Bit>,
    /// A read of A finds no landed vector.
    pub a_wait: Signal<In, Bit>,
    /// A read of B finds no landed vector.
    pub b_wait: Signal<In, Bit>,
    /// A write of C finds no free row.
    pub write_wait: Signal<In, Bit>,
    /// A read-back of C finds its partial sums not yet back from DRAM.
    pub readback_wait: Signal<In, Bit>,
    /// Channel 1 (the most urgent fetch): valid, stream (0 = A, 1 = B, 2 = C), address, lanes.
    pub ch1_valid: Signal<Out, Bit>,
    /// Stream.
    pub ch1_sel: Signal<Out, Bits<2>>,
    /// Address.
    pub ch1_addr: Signal<Out, Bits<16>>,
    /// Lanes.
    pub ch1_count: Signal<Out, Bits<8>>,
    /// Channel 2 (the second fetch).
    pub ch2_valid: Signal<Out, Bit>,
    /// Stream.
    pub ch2_sel: Signal<Out, Bits<2>>,
    /// Address.
    pub ch2_addr: Signal<Out, Bits<16>>,
    /// Lanes.
    pub ch2_count: Signal<Out, Bits<8>>,
    /// Channel 3 (the least urgent of three).
    pub ch3_valid: Signal<Out, Bit>,
    /// Stream.
    pub ch3_sel: Signal<Out, Bits<2>>,
    /// Address.
    pub ch3_addr: Signal<Out, Bits<16>>,
    /// Lanes.
    pub ch3_count: Signal<Out, Bits<8>>,
    /// A's fetch was accepted: advance its cursor.
    pub a_go: Signal<Out, Bit>,
    /// B's fetch was accepted.
    pub b_go: Signal<Out, Bit>,
    /// C's refetch was accepted.
    pub c_go: Signal<Out, Bit>,
    /// Stall request to the controller.
    pub stall: Signal<Out, Bit>,
    /// A cycle of the run before the prologue has landed (a load cycle).
    pub loading: Signal<Out, Bit>,
    /// Event increments this cycle: DRAM bytes of A read.
    pub ev_dram_a: Signal<Out, Bits<16>>,
    /// DRAM bytes of B read.
    pub ev_dram_b: Signal<Out, Bits<16>>,
    /// DRAM bytes of C read back.
    pub ev_dram_cr: Signal<Out, Bits<16>>,
    started: DFF<Bit>,
    stream_a: Constant<Bits<2>>,
    stream_b: Constant<Bits<2>>,
    stream_c: Constant<Bits<2>>,
    zero16: Constant<Bits<16>>,
    started_now: Signal<Local, Bit>,
    a_candidate: Signal<Local, Bit>,
    b_candidate: Signal<Local, Bit>,
    c_candidate: Signal<Local, Bit>,
    c_before_a: Signal<Local, Bit>,
    c_before_b: Signal<Local, Bit>,
    a_before_b: Signal<Local, Bit>,
    a_first: Signal<Local, Bit>,
    b_first: Signal<Local, Bit>,
    c_first: Signal<Local, Bit>,
    a_last: Signal<Local, Bit>,
    b_last: Signal<Local, Bit>,
    c_last: Signal<Local, Bit>,
    a_second: Signal<Local, Bit>,
    b_second: Signal<Local, Bit>,
    c_second: Signal<Local, Bit>,
    a_third: Signal<Local, Bit>,
    b_third: Signal<Local, Bit>,
    c_third: Signal<Local, Bit>,
    two_candidates: Signal<Local, Bit>,
    three_candidates: Signal<Local, Bit>,
    accepted1: Signal<Local, Bit>,
    accepted2: Signal<Local, Bit>,
    accepted3: Signal<Local, Bit>,
}

impl Default for Arbiter {
    fn default() -> Self {
        let stream = |v: u64| Constant::new(Bits::<2>::from(v));
        Arbiter {
            clock: Default::default(),
            launch: Default::default(),
            live: Default::default(),
            run: Default::default(),
            a_valid: Default::default(),
            a_room: Default::default(),
            a_deadline: Default::default(),
            a_address: Default::default(),
            a_lanes: Default::default(),
            b_valid: Default::default(),
            b_room: Default::default(),
            b_deadline: Default::default(),
            b_address: Default::default(),
            b_lanes: Default::default(),
            c_valid: Default::default(),
            c_deadline: Default::default(),
            c_address: Default::default(),
            c_lanes: Default::default(),
            ready1: Default::default(),
            ready2: Default::default(),
            ready3: Default::default(),
            a_primed: Default::default(),
            b_primed: Default::default(),
            a_wait: Default::default(),
            b_wait: Default::default(),
            write_wait: Default::default(),
            readback_wait: Default::default(),
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
            a_go: Default::default(),
            b_go: Default::default(),
            c_go: Default::default(),
            stall: Default::default(),
            loading: Default::default(),
            ev_dram_a: Default::default(),
            ev_dram_b: Default::default(),
            ev_dram_cr: Default::default(),
            started: Default::default(),
            stream_a: stream(0),
            stream_b: stream(1),
            stream_c: stream(2),
            zero16: Constant::new(Bits::<16>::from(0u64)),
            started_now: Default::default(),
            a_candidate: Default::default(),
            b_candidate: Default::default(),
            c_candidate: Default::default(),
            c_before_a: Default::default(),
            c_before_b: Default::default(),
            a_before_b: Default::default(),
            a_first: Default::default(),
            b_first: Default::default(),
            c_first: Default::default(),
            a_last: Default::default(),
            b_last: Default::default(),
            c_last: Default::default(),
            a_second: Default::default(),
            b_second: Default::default(),
            c_second: Default::default(),
            a_third: Default::default(),
            b_third: Default::default(),
            c_third: Default::default(),
            two_candidates: Default::default(),
            three_candidates: Default::default(),
            accepted1: Default::default(),
            accepted2: Default::default(),
            accepted3: Default::default(),
        }
    }
}

impl Logic for Arbiter {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, started);
        // The stall: before the prologue has landed (latched from then on), or a request of the
        // datapath that must wait.
        self.started_now.next = self.started.q.val() | (self.a_primed.val() & self.b_primed.val());
        self.stall.next = self.live.val()
            & self.run.val()
            & (!self.started_now.val()
                | self.a_wait.val()
                | self.b_wait.val()
                | self.write_wait.val()
                | self.readback_wait.val());
        self.loading.next = self.live.val() & self.run.val() & !self.started_now.val();
        if self.launch.val() {
            self.started.d.next = false;
        } else {
            self.started.d.next = self.started_now.val() & self.live.val();
        }

        // The candidates and their order, earliest deadline first (ties: C, A, B).
        self.a_candidate.next = self.live.val() & self.a_valid.val() & self.a_room.val();
        self.b_candidate.next = self.live.val() & self.b_valid.val() & self.b_room.val();
        self.c_candidate.next = self.live.val() & self.c_valid.val();
        self.c_before_a.next = self.c_deadline.val() <= self.a_deadline.val();
        self.c_before_b.next = self.c_deadline.val() <= self.b_deadline.val();
        self.a_before_b.next = self.a_deadline.val() <= self.b_deadline.val();
        self.c_first.next = self.c_candidate.val()
            & (!self.a_candidate.val() | self.c_before_a.val())
            & (!self.b_candidate.val() | self.c_before_b.val());
        self.a_first.next = self.a_candidate.val()
            & (!self.c_candidate.val() | !self.c_before_a.val())
            & (!self.b_candidate.val() | self.a_before_b.val());
        self.b_first.next = self.b_candidate.val()
            & (!self.c_candidate.val() | !self.c_before_b.val())
            & (!self.a_candidate.val() | !self.a_before_b.val());
        self.c_last.next = self.c_candidate.val()
            & (!self.a_candidate.val() | !self.c_before_a.val())
            & (!self.b_candidate.val() | !self.c_before_b.val());
        self.a_last.next = self.a_candidate.val()
            & (!self.c_candidate.val() | self.c_before_a.val())
            & (!self.b_candidate.val() | !self.a_before_b.val());
        self.b_last.next = self.b_candidate.val()
            & (!self.c_candidate.val() | self.c_before_b.val())
            & (!self.a_candidate.val() | self.a_before_b.val());
        self.three_candidates.next =
            self.a_candidate.val() & self.b_candidate.val() & self.c_candidate.val();
        self.two_candidates.next = !self.three_candidates.val()
            & ((self.a_candidate.val() & self.b_candidate.val())
                | (self.a_candidate.val() & self.c_candidate.val())
                | (self.b_candidate.val() & self.c_candidate.val()));
        // Second: after the first; with three candidates, not the last either. Third: the last
        // of three.
        self.a_second.next = self.a_candidate.val()
            & !self.a_first.val()
            & (self.two_candidates.val() | !self.a_last.val());
        self.b_second.next = self.b_candidate.val()
            & !self.b_first.val()
            & (self.two_candidates.val() | !self.b_last.val());
        self.c_second.next = self.c_candidate.val()
            & !self.c_first.val()
            & (self.two_candidates.val() | !self.c_last.val());
        self.a_third.next = self.three_candidates.val() & self.a_last.val();
        self.b_third.next = self.three_candidates.val() & self.b_last.val();
        self.c_third.next = self.three_candidates.val() & self.c_last.val();

        // The channels, most urgent first.
        self.ch1_valid.next = self.a_first.val() | self.b_first.val() | self.c_first.val();
        self.ch2_valid.next = self.a_second.val() | self.b_second.val() | self.c_second.val();
        self.ch3_valid.next = self.three_candidates.val();
        self.ch1_sel.next = self.stream_a.val();
        self.ch1_addr.next = self.a_address.val();
        self.ch1_count.next = self.a_lanes.val();
        if self.b_first.val() {
            self.ch1_sel.next = self.stream_b.val();
            self.ch1_addr.next = self.b_address.val();
            self.ch1_count.next = self.b_lanes.val();
        }
        if self.c_first.val() {
            self.ch1_sel.next = self.stream_c.val();
            self.ch1_addr.next = self.c_address.val();
            self.ch1_count.next = self.c_lanes.val();
        }
        self.ch2_sel.next = self.stream_a.val();
        self.ch2_addr.next = self.a_address.val();
        self.ch2_count.next = self.a_lanes.val();
        if self.b_second.val() {
            self.ch2_sel.next = self.stream_b.val();
            self.ch2_addr.next = self.b_address.val();
            self.ch2_count.next = self.b_lanes.val();
        }
        if self.c_second.val() {
            self.ch2_sel.next = self.stream_c.val();
            self.ch2_addr.next = self.c_address.val();
            self.ch2_count.next = self.c_lanes.val();
        }
        self.ch3_sel.next = self.stream_a.val();
        self.ch3_addr.next = self.a_address.val();
        self.ch3_count.next = self.a_lanes.val();
        if self.b_third.val() {
            self.ch3_sel.next = self.stream_b.val();
            self.ch3_addr.next = self.b_address.val();
            self.ch3_count.next = self.b_lanes.val();
        }
        if self.c_third.val() {
            self.ch3_sel.next = self.stream_c.val();
            self.ch3_addr.next = self.c_address.val();
            self.ch3_count.next = self.c_lanes.val();
        }

        // What the memory port accepted.
        self.accepted1.next = self.ch1_valid.val() & self.ready1.val();
        self.accepted2.next = self.ch2_valid.val() & self.ready2.val();
        self.accepted3.next = self.ch3_valid.val() & self.ready3.val();
        self.a_go.next = (self.a_first.val() & self.accepted1.val())
            | (self.a_second.val() & self.accepted2.val())
            | (self.a_third.val() & self.accepted3.val());
        self.b_go.next = (self.b_first.val() & self.accepted1.val())
            | (self.b_second.val() & self.accepted2.val())
            | (self.b_third.val() & self.accepted3.val());
        self.c_go.next = (self.c_first.val() & self.accepted1.val())
            | (self.c_second.val() & self.accepted2.val())
            | (self.c_third.val() & self.accepted3.val());

        // Event increments: the bytes each accepted fetch reads from DRAM.
        self.ev_dram_a.next = self.zero16.val();
        if self.a_go.val() {
            self.ev_dram_a.next = bit_cast::<16, 8>(self.a_lanes.val());
        }
        self.ev_dram_b.next = self.zero16.val();
        if self.b_go.val() {
            self.ev_dram_b.next = bit_cast::<16, 8>(self.b_lanes.val());
        }
        self.ev_dram_cr.next = self.zero16.val();
        if self.c_go.val() {
            self.ev_dram_cr.next = bit_cast::<16, 8>(self.c_lanes.val())
                + bit_cast::<16, 8>(self.c_lanes.val())
                + bit_cast::<16, 8>(self.c_lanes.val())
                + bit_cast::<16, 8>(self.c_lanes.val());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random requests (deadlines from a narrow range, so that ties are common) against the fast
    /// model's rule in `MemorySystem::step`: the candidates sorted by (deadline, C before A
    /// before B), the k-th on channel k, each taken when its channel is ready; and the stall of
    /// `MemorySystem::started` and the waits, with the prologue latched.
    #[test]
    fn channels_follow_the_fast_models_earliest_deadline_order() {
        let mut arb = Arbiter::default();
        arb.connect_all();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut started = false;
        let mut accepted = [0u32; 3];
        for cycle in 0..2000 {
            let bit = |x: u64| x == 1;
            let launch = cycle % 500 == 0;
            let live = next(8) != 0;
            let run = next(4) != 0;
            let (a_valid, a_room, b_valid, b_room, c_valid) = (
                bit(next(2)),
                next(4) != 0,
                bit(next(2)),
                next(4) != 0,
                bit(next(2)),
            );
            let due = [next(4), next(4), next(4)];
            let lanes = [next(200) + 1, next(200) + 1, next(60) + 1];
            let ready = [bit(next(2)), bit(next(2)), bit(next(2))];
            let (a_primed, b_primed) = (next(3) != 0, next(3) != 0);
            let waits = [next(6) == 0, next(6) == 0, next(6) == 0, next(6) == 0];
            arb.launch.next = launch;
            arb.live.next = live;
            arb.run.next = run;
            arb.a_valid.next = a_valid;
            arb.a_room.next = a_room;
            arb.b_valid.next = b_valid;
            arb.b_room.next = b_room;
            arb.c_valid.next = c_valid;
            arb.a_deadline.next = due[1].into();
            arb.b_deadline.next = due[2].into();
            arb.c_deadline.next = due[0].into();
            arb.a_address.next = 100u64.into();
            arb.b_address.next = 200u64.into();
            arb.c_address.next = 300u64.into();
            arb.a_lanes.next = lanes[1].into();
            arb.b_lanes.next = lanes[2].into();
            arb.c_lanes.next = lanes[0].into();
            arb.ready1.next = ready[0];
            arb.ready2.next = ready[1];
            arb.ready3.next = ready[2];
            arb.a_primed.next = a_primed;
            arb.b_primed.next = b_primed;
            arb.a_wait.next = waits[0];
            arb.b_wait.next = waits[1];
            arb.write_wait.next = waits[2];
            arb.readback_wait.next = waits[3];
            assert!(simulate(&mut arb, 100));

            // The fast model's order: (deadline, stream) with C = 0, A = 1, B = 2.
            let mut cands: Vec<(u64, usize)> = Vec::new();
            if live && c_valid {
                cands.push((due[0], 0));
            }
            if live && a_valid && a_room {
                cands.push((due[1], 1));
            }
            if live && b_valid && b_room {
                cands.push((due[2], 2));
            }
            cands.sort_unstable();
            let channels = [
                (&arb.ch1_valid, &arb.ch1_sel, &arb.ch1_addr, &arb.ch1_count),
                (&arb.ch2_valid, &arb.ch2_sel, &arb.ch2_addr, &arb.ch2_count),
                (&arb.ch3_valid, &arb.ch3_sel, &arb.ch3_addr, &arb.ch3_count),
            ];
            let sel_of = [2u64, 0, 1];
            let mut go = [false; 3];
            for (k, (valid, sel, addr, count)) in channels.into_iter().enumerate() {
                assert_eq!(
                    valid.val(),
                    k < cands.len(),
                    "cycle {cycle} channel {}",
                    k + 1
                );
                if let Some(&(_, s)) = cands.get(k) {
                    assert_eq!(sel.val().index() as u64, sel_of[s], "cycle {cycle}");
                    assert_eq!(addr.val().index() as u64, [300, 100, 200][s]);
                    assert_eq!(count.val().index() as u64, lanes[s]);
                    go[s] = ready[k];
                    accepted[k] += u32::from(ready[k]);
                }
            }
            assert_eq!(
                [arb.c_go.val(), arb.a_go.val(), arb.b_go.val()],
                go,
                "cycle {cycle}"
            );
            assert_eq!(
                arb.ev_dram_a.val().index() as u64,
                if go[1] { lanes[1] } else { 0 }
            );
            assert_eq!(
                arb.ev_dram_b.val().index() as u64,
                if go[2] { lanes[2] } else { 0 }
            );
            assert_eq!(
                arb.ev_dram_cr.val().index() as u64,
                if go[0] { 4 * lanes[0] } else { 0 }
            );

            let started_now = started || (a_primed && b_primed);
            assert_eq!(
                arb.stall.val(),
                live && run && (!started_now || waits.iter().any(|&w| w)),
                "cycle {cycle}"
            );
            assert_eq!(arb.loading.val(), live && run && !started_now);
            started = !launch && started_now && live;
            super::super::tick(&mut arb, |a| &mut a.clock);
        }
        assert!(accepted.iter().all(|&n| n > 50), "{accepted:?}");
    }
}
