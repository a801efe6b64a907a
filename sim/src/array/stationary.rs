//! The PE array in weight-stationary (WS) and input-stationary (IS) mode: the same registers and
//! the same rules; only what the buffers feed differs (WS: weights stay, A streams; IS: inputs
//! stay, B streams), so IS computes `C^T = B^T x A^T` on WS hardware.
//!
//! Registers of PE (i, j): `a` (int8, horizontal, with valid and `first` bits), the active
//! stationary value `w` and its shadow `wn` (int8, with valid bits), the vertical preload register
//! `v` (int8, with valid, slot and destination-row tag), and the partial sum `p` (int32, with a
//! valid bit). On each clock edge (`docs/microarchitecture.md`, "WS and IS"):
//! - `p(i) <- p(i-1) + a*w` (row 0: `a*w`), a MAC when `a.valid && w.valid`;
//! - `a` shifts right; where the value entering `a` carries `first`, the PE switches folds:
//!   `w <- wn`;
//! - preload: the value entering `v` from above is latched into `wn` instead when its tag equals
//!   the PE's row (and stops there), otherwise it moves on down.

use super::edge::EdgeLanes;
use super::kernels::{pack_flags, product_row, psum_row};
use super::regs::{
    for_each_set, get_bit, popcount, popcount_and, put_bit, shift_in_bit, words, RowRing,
    ShiftWindow,
};
use super::ArrayCore;
use crate::events::EventCounts;
use crate::matrix::Operand;

pub(crate) struct StationaryArray<T> {
    r: usize,
    c: usize,
    w: usize,
    a: ShiftWindow<T>,
    a_valid: Vec<u64>,
    a_first: Vec<u64>,
    stat: Vec<T>,
    stat_valid: Vec<u64>,
    shadow: Vec<T>,
    shadow_valid: Vec<u64>,
    v: RowRing<T>,
    v_valid: RowRing<u64>,
    v_slot: RowRing<u64>,
    v_tag: RowRing<u16>,
    p: Vec<i32>,
    p_valid: Vec<u64>,
    /// Valid values in the registers after the last edge (counted incrementally).
    live_a: u64,
    live_v: u64,
    /// Preload values that reached the bottom without finding their row (must stay zero).
    pub(crate) lost_slots: u64,
    left_vals: Vec<T>,
    scratch: Vec<u64>,
}

impl<T: Operand> StationaryArray<T> {
    pub(crate) fn new(r: usize, c: usize) -> Self {
        let w = words(c);
        StationaryArray {
            r,
            c,
            w,
            a: ShiftWindow::new(r, c),
            a_valid: vec![0; r * w],
            a_first: vec![0; r * w],
            stat: vec![T::default(); r * c],
            stat_valid: vec![0; r * w],
            shadow: vec![T::default(); r * c],
            shadow_valid: vec![0; r * w],
            v: RowRing::new(r, c),
            v_valid: RowRing::new(r, w),
            v_slot: RowRing::new(r, w),
            v_tag: RowRing::new(r, c),
            p: vec![0; r * c],
            p_valid: vec![0; r * w],
            live_a: 0,
            live_v: 0,
            lost_slots: 0,
            left_vals: vec![T::default(); r],
            scratch: vec![0; w],
        }
    }

    #[inline(always)]
    fn step_impl(&mut self, left: &EdgeLanes<T>, top: &EdgeLanes<T>, ev: &mut EventCounts) {
        let (r, c, w) = (self.r, self.c, self.w);

        // 1. Partial sums move down one row, each PE adding its product (bottom row first, so
        //    that every row reads the row above before it is overwritten).
        let mut macs = 0u64;
        let mut psums = 0u64;
        for i in (0..r).rev() {
            let av = &self.a_valid[i * w..(i + 1) * w];
            let sv = &self.stat_valid[i * w..(i + 1) * w];
            macs += popcount_and(av, sv);
            let (above, here) = self.p.split_at_mut(i * c);
            let out = &mut here[..c];
            if i == 0 {
                product_row(out, self.a.row(0), &self.stat[..c]);
                for k in 0..w {
                    self.p_valid[k] = av[k] & sv[k];
                }
            } else {
                psum_row(
                    out,
                    &above[(i - 1) * c..],
                    self.a.row(i),
                    &self.stat[i * c..(i + 1) * c],
                );
                for k in 0..w {
                    self.p_valid[i * w + k] = self.p_valid[(i - 1) * w + k] | (av[k] & sv[k]);
                }
            }
            psums += popcount(&self.p_valid[i * w..(i + 1) * w]);
        }
        ev.macs += macs;
        ev.idle_pe_cycles += (r * c) as u64 - macs;
        ev.psum_hops += psums;

        // 2. Operands move right; column 0 takes the left edge.
        for i in 0..r {
            self.left_vals[i] = left.val[i];
            let in_valid = get_bit(&left.valid, i);
            let out = shift_in_bit(&mut self.a_valid[i * w..(i + 1) * w], c, in_valid);
            shift_in_bit(
                &mut self.a_first[i * w..(i + 1) * w],
                c,
                get_bit(&left.first, i),
            );
            self.live_a = self.live_a + u64::from(in_valid) - u64::from(out);
        }
        self.a.shift_in(&self.left_vals);
        ev.h_operand_hops += self.live_a;

        // 3. Fold switch where the value entering `a` carries `first`: w <- wn (the shadow as it
        //    was before this edge's preload latches).
        for i in 0..r {
            let row_first = &self.a_first[i * w..(i + 1) * w];
            if row_first.iter().all(|&x| x == 0) {
                continue;
            }
            for_each_set(row_first, |j| {
                let valid = get_bit(&self.shadow_valid[i * w..(i + 1) * w], j);
                self.stat[i * c + j] = self.shadow[i * c + j];
                put_bit(&mut self.stat_valid[i * w..(i + 1) * w], j, valid);
                ev.stationary_swaps += u64::from(valid);
            });
        }

        // 4. Preload: the vertical registers move down; row 0 takes the top edge. A value whose
        //    tag is the row it enters is latched into that row's shadow and stops.
        let bottom_slots = popcount(self.v_slot.row(r - 1));
        self.lost_slots += bottom_slots;
        self.live_v -= popcount(self.v_valid.row(r - 1));
        self.v.rotate_down();
        self.v_valid.rotate_down();
        self.v_slot.rotate_down();
        self.v_tag.rotate_down();
        self.v.row_mut(0).copy_from_slice(&top.val);
        self.v_valid.row_mut(0).copy_from_slice(&top.valid);
        self.v_slot.row_mut(0).copy_from_slice(&top.slot);
        self.v_tag.row_mut(0).copy_from_slice(&top.tag);
        self.live_v += popcount(&top.valid);
        for i in 0..r {
            if self.v_slot.row(i).iter().all(|&x| x == 0) {
                continue;
            }
            // Lanes whose slot is destined for row i (a compare the compiler vectorises).
            let tags = self.v_tag.row(i);
            let slots = self.v_slot.row(i);
            for (k, chunk) in tags.chunks(64).enumerate() {
                if slots[k] == 0 {
                    self.scratch[k] = 0;
                    continue;
                }
                let mut eq = [0u8; 64];
                for (e, &t) in eq.iter_mut().zip(chunk) {
                    *e = u8::from(usize::from(t) == i);
                }
                self.scratch[k] = pack_flags(&eq) & slots[k];
            }
            let scratch = std::mem::take(&mut self.scratch);
            for_each_set(&scratch, |j| {
                let valid = get_bit(self.v_valid.row(i), j);
                self.shadow[i * c + j] = self.v.row(i)[j];
                put_bit(&mut self.shadow_valid[i * w..(i + 1) * w], j, valid);
                ev.stationary_loads += u64::from(valid);
                self.live_v -= u64::from(valid);
                put_bit(self.v_valid.row_mut(i), j, false);
                put_bit(self.v_slot.row_mut(i), j, false);
                self.v.row_mut(i)[j] = T::default();
            });
            self.scratch = scratch;
        }
        ev.v_operand_hops += self.live_v;
    }
}

impl<T: Operand> ArrayCore<T> for StationaryArray<T> {
    fn bottom(&self) -> (&[i32], &[u64]) {
        let (r, c, w) = (self.r, self.c, self.w);
        (
            &self.p[(r - 1) * c..r * c],
            &self.p_valid[(r - 1) * w..r * w],
        )
    }

    #[inline(always)]
    fn step(&mut self, left: &EdgeLanes<T>, top: &EdgeLanes<T>, ev: &mut EventCounts) {
        self.step_impl(left, top, ev)
    }

    fn hazards(&self) -> u64 {
        self.lost_slots
    }
}
