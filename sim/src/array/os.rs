//! The PE array in output-stationary mode.
//!
//! Registers of PE (i, j): `a` (int8, horizontal, with valid and `last` bits), `b` (int8,
//! vertical, with a valid bit), `acc` (int32 accumulator) and two int32 drain-chain registers `x`
//! and `y` (with valid bits). On each clock edge (`docs/microarchitecture.md`, "OS"):
//! - `mac = a.valid && b.valid`; if `mac && a.last` the finished output `acc + a*b` is captured
//!   into `y` and `acc` clears, otherwise `acc += a*b` when `mac`;
//! - the drain chain moves down one register: `x(i) <- y(i-1)`, `y(i) <- x(i)` (unless capturing);
//!   `y(R-1)` is the array's bottom output;
//! - `a` shifts right, `b` shifts down, taking the skewed edge inputs at column 0 and row 0.
//!
//! Invalid operands are held as zero, so the arithmetic runs on whole rows without branches and
//! the valid bits only decide what is counted and what is captured.

use super::edge::EdgeLanes;
use super::kernels::mac_row;
use super::regs::{
    for_each_set, get_bit, popcount, popcount_and, shift_in_bit, words, RowRing, ShiftWindow,
};
use super::ArrayCore;
use crate::events::EventCounts;
use crate::matrix::Operand;

pub(crate) struct OsArray<T> {
    r: usize,
    c: usize,
    w: usize,
    a: ShiftWindow<T>,
    a_valid: Vec<u64>,
    a_last: Vec<u64>,
    b: RowRing<T>,
    b_valid: RowRing<u64>,
    acc: Vec<i32>,
    /// Drain chain positions 0..2R-1 top to bottom: y(0), x(1), y(1), ..., x(R-1), y(R-1), plus
    /// one spare slot that becomes the new top on every shift.
    chain: RowRing<i32>,
    chain_valid: RowRing<u64>,
    /// Valid values in the registers after the last edge (counted incrementally).
    live_a: u64,
    live_b: u64,
    live_chain: u64,
    /// Captures that landed on an occupied chain register (a schedule hazard: must stay zero).
    pub(crate) collisions: u64,
    left_vals: Vec<T>,
}

impl<T: Operand> OsArray<T> {
    pub(crate) fn new(r: usize, c: usize) -> Self {
        let w = words(c);
        OsArray {
            r,
            c,
            w,
            a: ShiftWindow::new(r, c),
            a_valid: vec![0; r * w],
            a_last: vec![0; r * w],
            b: RowRing::new(r, c),
            b_valid: RowRing::new(r, w),
            acc: vec![0; r * c],
            chain: RowRing::new(2 * r, c),
            chain_valid: RowRing::new(2 * r, w),
            live_a: 0,
            live_b: 0,
            live_chain: 0,
            collisions: 0,
            left_vals: vec![T::default(); r],
        }
    }

    #[inline(always)]
    fn step_impl(&mut self, left: &EdgeLanes<T>, top: &EdgeLanes<T>, ev: &mut EventCounts) {
        let (r, c, w) = (self.r, self.c, self.w);
        let bottom = 2 * r - 2;

        // 1. MACs on the current registers.
        let mut macs = 0u64;
        for i in 0..r {
            let av = &self.a_valid[i * w..(i + 1) * w];
            let bv = self.b_valid.row(i);
            macs += popcount_and(av, bv);
            mac_row(
                &mut self.acc[i * c..(i + 1) * c],
                self.a.row(i),
                self.b.row(i),
            );
        }
        ev.macs += macs;
        ev.acc_updates += macs;
        ev.idle_pe_cycles += (r * c) as u64 - macs;

        // 2. The drain chain moves down; the bottom register's value leaves for the deskew.
        self.live_chain -= popcount(self.chain_valid.row(bottom));
        self.chain.rotate_down();
        self.chain_valid.rotate_down();
        self.chain.row_mut(0).fill(0);
        self.chain_valid.row_mut(0).fill(0);

        // 3. Captures: PEs whose last MAC of the fold happened this cycle move acc into y(i).
        for i in 0..r {
            for k in 0..w {
                let bits =
                    self.a_last[i * w + k] & self.a_valid[i * w + k] & self.b_valid.row(i)[k];
                if bits == 0 {
                    continue;
                }
                for_each_set(&[bits], |b| {
                    let j = k * 64 + b;
                    let pos = 2 * i;
                    if get_bit(self.chain_valid.row(pos), j) {
                        self.collisions += 1;
                    } else {
                        self.live_chain += 1;
                    }
                    self.chain.row_mut(pos)[j] = self.acc[i * c + j];
                    self.chain_valid.row_mut(pos)[j / 64] |= 1 << (j % 64);
                    self.acc[i * c + j] = 0;
                });
            }
        }
        ev.psum_hops += self.live_chain;

        // 4. Operands move: a right (column 0 takes the left edge), b down (row 0 takes the top).
        for i in 0..r {
            self.left_vals[i] = left.val[i];
            let in_valid = get_bit(&left.valid, i);
            let out = shift_in_bit(&mut self.a_valid[i * w..(i + 1) * w], c, in_valid);
            shift_in_bit(
                &mut self.a_last[i * w..(i + 1) * w],
                c,
                get_bit(&left.last, i),
            );
            self.live_a = self.live_a + u64::from(in_valid) - u64::from(out);
        }
        self.a.shift_in(&self.left_vals);
        ev.h_operand_hops += self.live_a;

        self.live_b -= popcount(self.b_valid.row(r - 1));
        self.b.rotate_down();
        self.b_valid.rotate_down();
        self.b.row_mut(0).copy_from_slice(&top.val);
        self.b_valid.row_mut(0).copy_from_slice(&top.valid);
        self.live_b += popcount(&top.valid);
        ev.v_operand_hops += self.live_b;
    }
}

impl<T: Operand> ArrayCore<T> for OsArray<T> {
    fn bottom(&self) -> (&[i32], &[u64]) {
        let pos = 2 * self.r - 2;
        (self.chain.row(pos), self.chain_valid.row(pos))
    }

    #[inline(always)]
    fn step(&mut self, left: &EdgeLanes<T>, top: &EdgeLanes<T>, ev: &mut EventCounts) {
        self.step_impl(left, top, ev)
    }

    fn hazards(&self) -> u64 {
        self.collisions
    }
}
