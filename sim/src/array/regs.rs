//! Register files of the PE array, laid out so that a clock edge costs little more than the
//! arithmetic it does.
//!
//! Every structure here holds exactly the values of a set of hardware registers; the layouts only
//! change where those values live in memory:
//! - [`ShiftWindow`]: a row of registers that shifts right by one lane every cycle (the horizontal
//!   operand registers). Each row is a window into a longer buffer; a shift writes one new value
//!   in front of the window and moves the window's start, and the window is copied back to the
//!   end of the buffer once every `slack` shifts. The lanes stay contiguous, so the arithmetic on
//!   them vectorises.
//! - [`RowRing`]: rows of registers that all move down by one row every cycle (vertical operand
//!   registers, the OS drain chain). Moving down renames the rows (a ring index), and the row that
//!   falls off the bottom becomes the new top row.
//! - bit rows (`&[u64]` per row): valid bits and markers, one bit per lane ([`crate::bits`]).

pub(crate) use crate::bits::{
    for_each_set, get_bit, popcount, popcount_and, prefix_bits, put_bit, shift_in_bit, words,
};

/// `rows` rows of `lanes` registers that shift right (toward higher lanes) by one every cycle.
pub(crate) struct ShiftWindow<T> {
    rows: usize,
    lanes: usize,
    slack: usize,
    stride: usize,
    /// Start of every row's window within its stride.
    pos: usize,
    buf: Vec<T>,
}

impl<T: Copy + Default> ShiftWindow<T> {
    pub(crate) fn new(rows: usize, lanes: usize) -> Self {
        let slack = (4 * lanes).max(64);
        let stride = lanes + slack;
        ShiftWindow {
            rows,
            lanes,
            slack,
            stride,
            pos: slack,
            buf: vec![T::default(); rows * stride],
        }
    }

    /// The registers of row `r`, lane 0 first.
    #[inline(always)]
    pub(crate) fn row(&self, r: usize) -> &[T] {
        let s = r * self.stride + self.pos;
        &self.buf[s..s + self.lanes]
    }

    /// Clock edge: every row shifts right by one lane and lane 0 of row `r` takes `inputs[r]`.
    #[inline(always)]
    pub(crate) fn shift_in(&mut self, inputs: &[T]) {
        debug_assert_eq!(inputs.len(), self.rows);
        if self.pos == 0 {
            // Move every window back to the end of its stride (all lanes but the last survive).
            let keep = self.lanes - 1;
            for r in 0..self.rows {
                let base = r * self.stride;
                self.buf
                    .copy_within(base..base + keep, base + self.slack + 1);
            }
            self.pos = self.slack + 1;
        }
        self.pos -= 1;
        for (r, &v) in inputs.iter().enumerate() {
            self.buf[r * self.stride + self.pos] = v;
        }
    }
}

/// `slots` rows of `lanes` values addressed through a rotating base: row 0 is the top.
pub(crate) struct RowRing<T> {
    slots: usize,
    lanes: usize,
    base: usize,
    buf: Vec<T>,
}

impl<T: Copy + Default> RowRing<T> {
    pub(crate) fn new(slots: usize, lanes: usize) -> Self {
        RowRing {
            slots,
            lanes,
            base: 0,
            buf: vec![T::default(); slots * lanes],
        }
    }

    #[inline]
    fn start(&self, r: usize) -> usize {
        let mut s = self.base + r;
        if s >= self.slots {
            s -= self.slots;
        }
        s * self.lanes
    }

    /// Row `r` (0 = top).
    #[inline(always)]
    pub(crate) fn row(&self, r: usize) -> &[T] {
        let s = self.start(r);
        &self.buf[s..s + self.lanes]
    }

    /// Row `r` (0 = top), mutable.
    #[inline(always)]
    pub(crate) fn row_mut(&mut self, r: usize) -> &mut [T] {
        let s = self.start(r);
        &mut self.buf[s..s + self.lanes]
    }

    /// Moves every row down by one; the bottom row becomes row 0 with its old contents, for the
    /// caller to overwrite with the new top row.
    #[inline]
    pub(crate) fn rotate_down(&mut self) {
        self.base = if self.base == 0 {
            self.slots - 1
        } else {
            self.base - 1
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_window_is_a_shift_register() {
        let (rows, lanes) = (3, 5);
        let mut w = ShiftWindow::<i32>::new(rows, lanes);
        let mut model = vec![vec![0i32; lanes]; rows];
        for t in 0..1000 {
            let inputs: Vec<i32> = (0..rows).map(|r| (t * 10 + r) as i32).collect();
            w.shift_in(&inputs);
            for (r, row) in model.iter_mut().enumerate() {
                row.rotate_right(1);
                row[0] = inputs[r];
                assert_eq!(w.row(r), &row[..], "cycle {t} row {r}");
            }
        }
    }

    #[test]
    fn row_ring_moves_rows_down() {
        let mut ring = RowRing::<u8>::new(3, 2);
        for t in 0..10u8 {
            ring.rotate_down();
            ring.row_mut(0).copy_from_slice(&[t, t]);
            assert_eq!(ring.row(0), &[t, t]);
            if t >= 2 {
                assert_eq!(ring.row(2), &[t - 2, t - 2]);
            }
        }
    }
}
