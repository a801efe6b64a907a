//! Buffer C's two banks as rings, when C does not spill (`drain` and `accumulate`): which row of
//! its bank a result row takes, where the array's writes and read-backs find it, and whether a
//! bank is full.
//!
//! It mirrors the fast model's `OutputStream` (`sim/src/memory/dma.rs`) outside spills:
//! `occupied` (a new row claims a row of its bank, a drain frees one), `write_ready` (a write
//! that takes a new row waits while its bank holds `half` rows) and the banks `bank` picks.
//! Each bank is a ring of `half` rows: a new row takes the bank's next row; the rows of a WS/IS
//! column tile are consecutive from the row its first write took (`tile_base`), so a later row
//! tile's write and read-back of row `j` find it at `tile_base + j`. The drains leave each bank
//! in the order its rows were taken (the drain cursor keeps that order). With spills the rows
//! have fixed places ([`super::SpillWalks`]) and these registers go unused.

use rust_hdl::prelude::*;

/// Buffer C's banks without spills (see the module doc).
#[derive(LogicBlock)]
pub struct BankRings {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// The controller's launch cycle: empty both banks.
    pub launch: Signal<In, Bit>,
    /// The cycle stalls: the write below has no effect.
    pub hold: Signal<In, Bit>,
    /// The array writes a row of C this cycle.
    pub write: Signal<In, Bit>,
    /// The write takes a new row (the first write of the row in its output tile).
    pub claim: Signal<In, Bit>,
    /// The write's bank.
    pub write_bank: Signal<In, Bit>,
    /// The write's row within its fold.
    pub write_row: Signal<In, Bits<16>>,
    /// The read-back's bank.
    pub readback_bank: Signal<In, Bit>,
    /// The read-back's row within its fold.
    pub readback_row: Signal<In, Bits<16>>,
    /// A drain leaves C this cycle (it frees a row).
    pub drain: Signal<In, Bit>,
    /// The drain's bank.
    pub drain_bank: Signal<In, Bit>,
    /// The write's address in C (bank `b`'s rows are `b x half ..`).
    pub write_address: Signal<Out, Bits<16>>,
    /// The read-back's address in C.
    pub readback_address: Signal<Out, Bits<16>>,
    /// The write takes a new row of a full bank: stall.
    pub full: Signal<Out, Bit>,
    next_row0: DFF<Bits<16>>,
    next_row1: DFF<Bits<16>>,
    tile_base0: DFF<Bits<16>>,
    tile_base1: DFF<Bits<16>>,
    occupied0: DFF<Bits<17>>,
    occupied1: DFF<Bits<17>>,
    half16: Constant<Bits<16>>,
    half17: Constant<Bits<17>>,
    zero16: Constant<Bits<16>>,
    zero17: Constant<Bits<17>>,
    one16: Constant<Bits<16>>,
    one17: Constant<Bits<17>>,
    claims: Signal<Local, Bit>,
    next_row: Signal<Local, Bits<16>>,
    write_base: Signal<Local, Bits<16>>,
    write_sum: Signal<Local, Bits<16>>,
    readback_base: Signal<Local, Bits<16>>,
    readback_sum: Signal<Local, Bits<16>>,
}

impl BankRings {
    /// Two banks of `half` rows each (at most 2^15).
    pub fn new(half: u64) -> Self {
        BankRings {
            clock: Default::default(),
            launch: Default::default(),
            hold: Default::default(),
            write: Default::default(),
            claim: Default::default(),
            write_bank: Default::default(),
            write_row: Default::default(),
            readback_bank: Default::default(),
            readback_row: Default::default(),
            drain: Default::default(),
            drain_bank: Default::default(),
            write_address: Default::default(),
            readback_address: Default::default(),
            full: Default::default(),
            next_row0: Default::default(),
            next_row1: Default::default(),
            tile_base0: Default::default(),
            tile_base1: Default::default(),
            occupied0: Default::default(),
            occupied1: Default::default(),
            half16: Constant::new(Bits::<16>::from(half)),
            half17: Constant::new(Bits::<17>::from(half)),
            zero16: Constant::new(Bits::<16>::from(0u64)),
            zero17: Constant::new(Bits::<17>::from(0u64)),
            one16: Constant::new(Bits::<16>::from(1u64)),
            one17: Constant::new(Bits::<17>::from(1u64)),
            claims: Default::default(),
            next_row: Default::default(),
            write_base: Default::default(),
            write_sum: Default::default(),
            readback_base: Default::default(),
            readback_sum: Default::default(),
        }
    }
}

impl Logic for BankRings {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, next_row0, next_row1, tile_base0, tile_base1, occupied0, occupied1);
        // A write that takes a new row waits while its bank is full.
        self.full.next = false;
        if self.write.val() & self.claim.val() {
            if self.write_bank.val() {
                self.full.next = self.occupied1.q.val() >= self.half17.val();
            } else {
                self.full.next = self.occupied0.q.val() >= self.half17.val();
            }
        }
        self.claims.next = self.write.val() & self.claim.val() & !self.hold.val();

        // Addresses: a new row takes its bank's next row; a later write or read-back of row j
        // finds it at the column tile's base + j (modulo the bank).
        self.next_row.next = self.next_row0.q.val();
        self.write_base.next = self.tile_base0.q.val();
        if self.write_bank.val() {
            self.next_row.next = self.next_row1.q.val();
            self.write_base.next = self.tile_base1.q.val();
        }
        self.write_sum.next = self.write_base.val() + self.write_row.val();
        if self.write_sum.val() >= self.half16.val() {
            self.write_sum.next = self.write_base.val() + self.write_row.val() - self.half16.val();
        }
        self.write_address.next = self.write_sum.val();
        if self.claim.val() {
            self.write_address.next = self.next_row.val();
        }
        if self.write_bank.val() {
            if self.claim.val() {
                self.write_address.next = self.next_row.val() + self.half16.val();
            } else {
                self.write_address.next = self.write_sum.val() + self.half16.val();
            }
        }
        self.readback_base.next = self.tile_base0.q.val();
        if self.readback_bank.val() {
            self.readback_base.next = self.tile_base1.q.val();
        }
        self.readback_sum.next = self.readback_base.val() + self.readback_row.val();
        if self.readback_sum.val() >= self.half16.val() {
            self.readback_sum.next =
                self.readback_base.val() + self.readback_row.val() - self.half16.val();
        }
        self.readback_address.next = self.readback_sum.val();
        if self.readback_bank.val() {
            self.readback_address.next = self.readback_sum.val() + self.half16.val();
        }

        // State.
        if self.launch.val() {
            self.next_row0.d.next = self.zero16.val();
            self.next_row1.d.next = self.zero16.val();
            self.tile_base0.d.next = self.zero16.val();
            self.tile_base1.d.next = self.zero16.val();
            self.occupied0.d.next = self.zero17.val();
            self.occupied1.d.next = self.zero17.val();
        } else {
            // A new row: the bank's next row (a ring); a column tile's first row is its base.
            if self.claims.val() {
                if self.write_bank.val() {
                    self.next_row1.d.next = self.next_row1.q.val() + self.one16.val();
                    if self.next_row1.q.val() + self.one16.val() == self.half16.val() {
                        self.next_row1.d.next = self.zero16.val();
                    }
                    if self.write_row.val() == self.zero16.val() {
                        self.tile_base1.d.next = self.next_row1.q.val();
                    }
                } else {
                    self.next_row0.d.next = self.next_row0.q.val() + self.one16.val();
                    if self.next_row0.q.val() + self.one16.val() == self.half16.val() {
                        self.next_row0.d.next = self.zero16.val();
                    }
                    if self.write_row.val() == self.zero16.val() {
                        self.tile_base0.d.next = self.next_row0.q.val();
                    }
                }
            }
            // Occupancy: a new row claims a row, a drain frees one.
            if self.claims.val() & !self.write_bank.val() {
                if !(self.drain.val() & !self.drain_bank.val()) {
                    self.occupied0.d.next = self.occupied0.q.val() + self.one17.val();
                }
            } else if self.drain.val() & !self.drain_bank.val() {
                self.occupied0.d.next = self.occupied0.q.val() - self.one17.val();
            }
            if self.claims.val() & self.write_bank.val() {
                if !(self.drain.val() & self.drain_bank.val()) {
                    self.occupied1.d.next = self.occupied1.q.val() + self.one17.val();
                }
            } else if self.drain.val() & self.drain_bank.val() {
                self.occupied1.d.next = self.occupied1.q.val() - self.one17.val();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// Random claims, rewrites, read-backs and drains on banks of 5 rows, against the fast
    /// model's rule (`occupied[bank] < half` for a write that takes a new row) and a physical
    /// model of the rows: a new row never lands on a row not yet drained, rows are taken in ring
    /// order (the order the drain cursor drains them), and a column tile's row `j` is found where
    /// its write took it.
    #[test]
    fn claims_rewrites_and_drains_follow_the_fast_models_occupancy() {
        let half = 5u64;
        let mut banks = BankRings::new(half);
        banks.connect_all();
        banks.launch.next = true;
        super::super::tick(&mut banks, |b| &mut b.clock);
        banks.launch.next = false;
        let mut seed = 0x1234_5678_9abc_def1u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        // Per bank: rows taken and not drained (oldest first), the current tile's rows.
        let mut held: [VecDeque<u64>; 2] = Default::default();
        let mut tile: [Vec<u64>; 2] = Default::default();
        let mut fulls = 0;
        for cycle in 0..3000 {
            let b = next(2) as usize;
            let rewrite = !tile[b].is_empty() && next(3) == 0;
            let row = if rewrite {
                next(tile[b].len() as u64)
            } else if next(4) == 0 || tile[b].len() as u64 >= half {
                tile[b].clear();
                0
            } else {
                tile[b].len() as u64
            };
            let rb = next(2) as usize;
            let rb_row = (!tile[rb].is_empty()).then(|| next(tile[rb].len() as u64));
            let d = next(2) as usize;
            let drain = !held[d].is_empty() && next(3) == 0;
            banks.write.next = true;
            banks.claim.next = !rewrite;
            banks.write_bank.next = b == 1;
            banks.write_row.next = row.into();
            banks.readback_bank.next = rb == 1;
            banks.readback_row.next = rb_row.unwrap_or(0).into();
            banks.drain.next = drain;
            banks.drain_bank.next = d == 1;
            banks.hold.next = false;
            assert!(simulate(&mut banks, 100));
            let full = !rewrite && held[b].len() as u64 == half;
            assert_eq!(banks.full.val(), full, "cycle {cycle}");
            let addr = banks.write_address.val().index() as u64;
            if rewrite {
                assert_eq!(
                    addr,
                    tile[b][row as usize] + b as u64 * half,
                    "cycle {cycle}"
                );
            }
            if let Some(j) = rb_row {
                assert_eq!(
                    banks.readback_address.val().index() as u64,
                    tile[rb][j as usize] + rb as u64 * half,
                    "cycle {cycle}"
                );
            }
            if full {
                // The stall holds the write.
                fulls += 1;
                banks.hold.next = true;
                if row == 0 {
                    tile[b].clear();
                }
            } else if !rewrite {
                let at = addr - b as u64 * half;
                assert!(
                    at < half && !held[b].contains(&at),
                    "cycle {cycle}: row {at}"
                );
                if let Some(&last) = held[b].back() {
                    assert_eq!(at, (last + 1) % half, "cycle {cycle}: rows taken in order");
                }
                held[b].push_back(at);
                tile[b].push(at);
            }
            if drain {
                held[d].pop_front();
            }
            super::super::tick(&mut banks, |b| &mut b.clock);
        }
        assert!(fulls > 20, "only {fulls} full banks");
    }
}
