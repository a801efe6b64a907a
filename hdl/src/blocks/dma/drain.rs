//! The drain of buffer C: which finished row of C goes to DRAM next, on channel 0 of the memory
//! port, where it is in C and where it goes in DRAM, and when the last drain has left the chip.
//!
//! It mirrors the drain half of the fast model's `OutputStream` and `MemorySystem::step`
//! (`sim/src/memory/dma.rs`): `finals` (rows written final, counted here, drained oldest first
//! from the cycle after their write), `drained`, and `drain_done` (the bus has sent every write
//! and the last drain's SRAM read of `L_C` cycles is complete). A drain waits while the array
//! reads back from the same bank of C in this cycle (C's DMA read port shares the bank).
//!
//! Without spills the cursor drains the final folds in the run's order, as the controller's
//! drain walk ([`crate::blocks::drain_walk`]) shows them (OS: every fold, rows bottom first;
//! WS/IS: each output tile's last row tile), and tells it when a fold's last row is out. Each
//! bank's rows leave in the order they were taken ([`super::BankRings`]), from
//! `drain_row0`/`drain_row1`.
//! With spills every row is final and its place comes from the drain's [`crate::blocks::chunk_walk`]
//! walk (the `spill_*` inputs); the cursor's bank and column registers then go unused (the
//! last wraps harmlessly).

use rust_hdl::prelude::*;

/// The drain cursor of buffer C (see the module doc).
#[derive(LogicBlock)]
pub struct DrainCursor {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// The controller's launch cycle: start at the run's first final fold.
    pub launch: Signal<In, Bit>,
    /// The DMA works this cycle.
    pub live: Signal<In, Bit>,
    /// The cycle stalls: the datapath's requests below have no effect.
    pub hold: Signal<In, Bit>,
    /// Dataflow is OS.
    pub os: Signal<In, Bit>,
    /// The final fold being drained: its column tile's first step in C's layout.
    pub fold_col_base: Signal<In, Bits<16>>,
    /// Its row base in C's layout.
    pub fold_row_base: Signal<In, Bits<16>>,
    /// Its rows.
    pub fold_rows: Signal<In, Bits<16>>,
    /// Its lanes.
    pub fold_cols: Signal<In, Bits<16>>,
    /// Base address of C in DRAM.
    pub c_base: Signal<In, Bits<16>>,
    /// Every write sent so far has left the chip.
    pub writes_idle: Signal<In, Bit>,
    /// The array writes a row of C this cycle.
    pub write: Signal<In, Bit>,
    /// The write is final (its output tile's last row tile).
    pub write_final: Signal<In, Bit>,
    /// The array reads a row of C back this cycle.
    pub readback: Signal<In, Bit>,
    /// The read-back's bank (without spills).
    pub readback_bank: Signal<In, Bit>,
    /// The memory port accepts channel 0.
    pub ready: Signal<In, Bit>,
    /// C spills: the drain's row comes from the spill walks.
    pub spill: Signal<In, Bit>,
    /// Spill: the read-back's bank.
    pub spill_readback_bank: Signal<In, Bit>,
    /// Spill: the drained row's bank.
    pub spill_bank: Signal<In, Bit>,
    /// Spill: the drained row's lanes.
    pub spill_lanes: Signal<In, Bits<8>>,
    /// Spill: the drained row's address in C.
    pub spill_address: Signal<In, Bits<16>>,
    /// Spill: the drained row's address in DRAM.
    pub spill_dram_address: Signal<In, Bits<16>>,
    /// Channel 0 (the drain of a row of C) is valid.
    pub request: Signal<Out, Bit>,
    /// Lanes of the drained row (4 bytes each).
    pub lanes: Signal<Out, Bits<8>>,
    /// The drained row's address in DRAM (C's layout address).
    pub dram_address: Signal<Out, Bits<16>>,
    /// A drain is issued this cycle: read its row of C through C's DMA port.
    pub go: Signal<Out, Bit>,
    /// The drained row's address in C.
    pub address: Signal<Out, Bits<16>>,
    /// The bank the cursor drains (without spills).
    pub bank: Signal<Out, Bit>,
    /// Every final row is drained, its bytes out, its SRAM read complete.
    pub finished: Signal<Out, Bit>,
    /// The final fold's last row goes out this cycle (the drain walk moves on).
    pub fold_done: Signal<Out, Bit>,
    /// Event increment this cycle: bytes of C written to DRAM.
    pub ev_dram_c: Signal<Out, Bits<16>>,
    /// Bank words of C read by the drain.
    pub ev_c_words: Signal<Out, Bits<16>>,
    /// Elements of C read by the drain.
    pub ev_c_elems: Signal<Out, Bits<16>>,
    finals: DFF<Bits<17>>,
    drained: DFF<Bits<17>>,
    read_left: DFF<Bits<8>>,
    bank_now: DFF<Bit>,
    row_index: DFF<Bits<16>>,
    drain_row0: DFF<Bits<16>>,
    drain_row1: DFF<Bits<16>>,
    half: Constant<Bits<16>>,
    latency: Constant<Bits<8>>,
    one8: Constant<Bits<8>>,
    one16: Constant<Bits<16>>,
    one17: Constant<Bits<17>>,
    zero8: Constant<Bits<8>>,
    zero16: Constant<Bits<16>>,
    zero17: Constant<Bits<17>>,
    lane_index: Vec<Constant<Bits<8>>>,
    words_upto: Vec<Constant<Bits<16>>>,
    final_write: Signal<Local, Bit>,
    pending: Signal<Local, Bit>,
    drain_bank: Signal<Local, Bit>,
    readback_bank_now: Signal<Local, Bit>,
    lanes16: Signal<Local, Bits<16>>,
    row_in_fold: Signal<Local, Bits<16>>,
}

impl DrainCursor {
    /// The drain of an array of `cols` columns whose C banks hold `half` rows each, read with
    /// `latency` cycles and `word_bits`-bit bank words.
    pub fn new(cols: u64, half: u64, latency: u64, word_bits: u64) -> Self {
        let b16 = |v: u64| Constant::new(Bits::<16>::from(v));
        let b8 = |v: u64| Constant::new(Bits::<8>::from(v));
        DrainCursor {
            clock: Default::default(),
            launch: Default::default(),
            live: Default::default(),
            hold: Default::default(),
            os: Default::default(),
            c_base: Default::default(),
            writes_idle: Default::default(),
            write: Default::default(),
            write_final: Default::default(),
            readback: Default::default(),
            readback_bank: Default::default(),
            ready: Default::default(),
            spill: Default::default(),
            spill_readback_bank: Default::default(),
            spill_bank: Default::default(),
            spill_lanes: Default::default(),
            spill_address: Default::default(),
            spill_dram_address: Default::default(),
            request: Default::default(),
            lanes: Default::default(),
            dram_address: Default::default(),
            go: Default::default(),
            address: Default::default(),
            bank: Default::default(),
            finished: Default::default(),
            fold_done: Default::default(),
            fold_col_base: Default::default(),
            fold_row_base: Default::default(),
            fold_rows: Default::default(),
            fold_cols: Default::default(),
            ev_dram_c: Default::default(),
            ev_c_words: Default::default(),
            ev_c_elems: Default::default(),
            finals: Default::default(),
            drained: Default::default(),
            read_left: Default::default(),
            bank_now: Default::default(),
            row_index: Default::default(),
            drain_row0: Default::default(),
            drain_row1: Default::default(),
            half: b16(half),
            latency: b8(latency),
            one8: b8(1),
            one16: b16(1),
            one17: Constant::new(Bits::<17>::from(1u64)),
            zero8: b8(0),
            zero16: b16(0),
            zero17: Constant::new(Bits::<17>::from(0u64)),
            lane_index: (0..cols).map(b8).collect(),
            // A read of lanes 0..n touches ceil(n x 32 / word bits) bank words of C.
            words_upto: (0..cols)
                .map(|l| b16(((l + 1) * 32).div_ceil(word_bits)))
                .collect(),
            final_write: Default::default(),
            pending: Default::default(),
            drain_bank: Default::default(),
            readback_bank_now: Default::default(),
            lanes16: Default::default(),
            row_in_fold: Default::default(),
        }
    }
}

impl Logic for DrainCursor {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, finals, drained, read_left, bank_now, row_index, drain_row0, drain_row1
        );
        // Rows written final (with spills, every row), and whether one waits to be drained.
        self.final_write.next =
            self.write.val() & (self.write_final.val() | self.spill.val()) & !self.hold.val();
        self.pending.next = self.drained.q.val() < self.finals.q.val();
        // The oldest final row written in an earlier cycle goes out, if the datapath does not
        // read its bank now.
        self.drain_bank.next = self.bank_now.q.val();
        self.readback_bank_now.next = self.readback_bank.val();
        if self.spill.val() {
            self.drain_bank.next = self.spill_bank.val();
            self.readback_bank_now.next = self.spill_readback_bank.val();
        }
        self.request.next = self.live.val()
            & self.pending.val()
            & !(self.readback.val()
                & !self.hold.val()
                & (self.readback_bank_now.val() == self.drain_bank.val()));
        self.lanes16.next = self.fold_cols.val();
        if self.spill.val() {
            self.lanes16.next = bit_cast::<16, 8>(self.spill_lanes.val());
        }
        self.lanes.next = bit_cast::<8, 16>(self.lanes16.val());
        self.go.next = self.request.val() & self.ready.val();
        self.bank.next = self.bank_now.q.val();
        self.finished.next = !self.pending.val()
            & self.writes_idle.val()
            & (self.read_left.q.val() == self.zero8.val());

        // Event increments.
        self.ev_dram_c.next = self.zero16.val();
        self.ev_c_words.next = self.zero16.val();
        self.ev_c_elems.next = self.zero16.val();
        if self.go.val() {
            self.ev_dram_c.next =
                self.lanes16.val() + self.lanes16.val() + self.lanes16.val() + self.lanes16.val();
            self.ev_c_elems.next = self.lanes16.val();
            for l in 0..self.words_upto.len() {
                if self.lanes.val() > self.lane_index[l].val() {
                    self.ev_c_words.next = self.words_upto[l].val();
                }
            }
        }

        // Where the row is: its bank's next row to drain, and its layout address (OS rows leave
        // bottom first).
        self.address.next = self.drain_row0.q.val();
        if self.bank_now.q.val() {
            self.address.next = self.drain_row1.q.val() + self.half.val();
        }
        self.row_in_fold.next = self.row_index.q.val();
        if self.os.val() {
            self.row_in_fold.next =
                self.fold_rows.val() - self.one16.val() - self.row_index.q.val();
        }
        self.dram_address.next = self.c_base.val()
            + self.fold_col_base.val()
            + self.fold_row_base.val()
            + self.row_in_fold.val();
        self.fold_done.next =
            self.go.val() & ((self.row_index.q.val() + self.one16.val()) == self.fold_rows.val());
        if self.spill.val() {
            self.address.next = self.spill_address.val();
            self.dram_address.next = self.spill_dram_address.val();
        }

        // State.
        if self.launch.val() {
            self.finals.d.next = self.zero17.val();
            self.drained.d.next = self.zero17.val();
            self.read_left.d.next = self.zero8.val();
            self.bank_now.d.next = false;
            self.row_index.d.next = self.zero16.val();
            self.drain_row0.d.next = self.zero16.val();
            self.drain_row1.d.next = self.zero16.val();
        } else {
            if self.final_write.val() {
                self.finals.d.next = self.finals.q.val() + self.one17.val();
            }
            if self.go.val() {
                self.drained.d.next = self.drained.q.val() + self.one17.val();
                self.read_left.d.next = self.latency.val();
                if self.bank_now.q.val() {
                    self.drain_row1.d.next = self.drain_row1.q.val() + self.one16.val();
                    if self.drain_row1.q.val() + self.one16.val() == self.half.val() {
                        self.drain_row1.d.next = self.zero16.val();
                    }
                } else {
                    self.drain_row0.d.next = self.drain_row0.q.val() + self.one16.val();
                    if self.drain_row0.q.val() + self.one16.val() == self.half.val() {
                        self.drain_row0.d.next = self.zero16.val();
                    }
                }
                if self.fold_done.val() {
                    self.row_index.d.next = self.zero16.val();
                    self.bank_now.d.next = !self.bank_now.q.val();
                } else {
                    self.row_index.d.next = self.row_index.q.val() + self.one16.val();
                }
            } else if self.read_left.q.val() != self.zero8.val() {
                self.read_left.d.next = self.read_left.q.val() - self.one8.val();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a drain of `rows` final rows, one written per cycle, with the port always ready;
    /// returns each drain's (DRAM address, lanes, address in C) and the cycles from the last
    /// drain to `finished`.
    ///
    /// `folds`: the final folds as the drain walk shows them, (column base, row base, rows,
    /// lanes), in SCALE-Sim's order here.
    fn drain(os: bool, folds: &[[u64; 4]]) -> (Vec<[u64; 3]>, u64) {
        let rows: u64 = folds.iter().map(|f| f[2]).sum();
        let latency = 2;
        let mut d = DrainCursor::new(3, 8, latency, 32);
        d.connect_all();
        d.os.next = os;
        let mut fold = 0;
        let show = |d: &mut DrainCursor, fold: usize| {
            let [col, row, rows, cols] = folds[fold.min(folds.len() - 1)];
            d.fold_col_base.next = col.into();
            d.fold_row_base.next = row.into();
            d.fold_rows.next = rows.into();
            d.fold_cols.next = cols.into();
        };
        show(&mut d, fold);
        d.c_base.next = 1000u64.into();
        d.live.next = true;
        d.writes_idle.next = true;
        d.ready.next = true;
        d.launch.next = true;
        super::super::tick(&mut d, |d| &mut d.clock);
        d.launch.next = false;
        let (mut out, mut last) = (Vec::new(), 0);
        for cycle in 0..rows + 10 {
            d.write.next = cycle < rows;
            d.write_final.next = true;
            // A read-back of the bank being drained holds the drain for a cycle.
            d.readback.next = cycle == 4;
            d.readback_bank.next = d.bank.val();
            assert!(simulate(&mut d, 100));
            if cycle == 4 {
                assert!(
                    !d.request.val() && !d.go.val(),
                    "the read-back has the bank"
                );
            }
            if d.go.val() {
                out.push([
                    d.dram_address.val().index() as u64,
                    d.lanes.val().index() as u64,
                    d.address.val().index() as u64,
                ]);
                last = cycle;
            }
            if d.finished.val() && out.len() as u64 == rows {
                return (out, cycle - last);
            }
            if d.fold_done.val() {
                fold += 1;
            }
            super::super::tick(&mut d, |d| &mut d.clock);
            show(&mut d, fold);
        }
        panic!("the drain did not finish: {out:?}");
    }

    /// OS on a 2 x 3 array, 5 x 4 outputs: folds of 2, 2 and 1 rows per column tile, each
    /// fold's rows bottom first at C's layout address (column tile base + row), banks
    /// alternating per fold, each bank's rows in ring order; the end `L_C + 1` cycles after the
    /// last drain, when its SRAM read is complete.
    #[test]
    fn os_drains_every_fold_bottom_first_alternating_banks() {
        // M = 5 rows over row tiles of 2, N = 4 columns over column tiles of 3: C's layout has
        // M steps per column tile.
        let folds = [
            [0, 0, 2, 3],
            [0, 2, 2, 3],
            [0, 4, 1, 3],
            [5, 0, 2, 1],
            [5, 2, 2, 1],
            [5, 4, 1, 1],
        ];
        let (out, tail) = drain(true, &folds);
        let dram: Vec<u64> = out.iter().map(|o| o[0] - 1000).collect();
        assert_eq!(dram, [1, 0, 3, 2, 4, 6, 5, 8, 7, 9]);
        let lanes: Vec<u64> = out.iter().map(|o| o[1]).collect();
        assert_eq!(lanes, [3, 3, 3, 3, 3, 1, 1, 1, 1, 1]);
        let c: Vec<u64> = out.iter().map(|o| o[2]).collect();
        assert_eq!(c, [0, 1, 8, 9, 2, 10, 11, 3, 4, 12]);
        assert_eq!(tail, 3);
    }

    /// WS: each column tile's `T` rows in stream order, at column tile base `ct x T`.
    #[test]
    fn ws_drains_each_column_tile_in_stream_order() {
        // T = 3 rows per output tile, N = 4 over column tiles of 3.
        let (out, _) = drain(false, &[[0, 0, 3, 3], [3, 0, 3, 1]]);
        let dram: Vec<u64> = out.iter().map(|o| o[0] - 1000).collect();
        assert_eq!(dram, [0, 1, 2, 3, 4, 5]);
        let lanes: Vec<u64> = out.iter().map(|o| o[1]).collect();
        assert_eq!(lanes, [3, 3, 3, 1, 1, 1]);
        let c: Vec<u64> = out.iter().map(|o| o[2]).collect();
        assert_eq!(c, [0, 1, 2, 8, 9, 10]);
    }
}
