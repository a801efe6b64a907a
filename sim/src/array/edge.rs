//! Edge skew (left and top) and bottom deskew registers.
//!
//! Skew: lane `l` of an edge passes through `l` registers, so a vector at the buffer output during
//! cycle `u` reaches the array's lane `l` during `u + l`. Deskew: lane `j` of the bottom row passes
//! through `C - 1 - j` registers, so values that left the array's columns `j` cycles apart arrive
//! at the C buffer in the same cycle.
//!
//! Both are modelled as a ring of the last `lanes` vectors: the contents of the `l` registers of
//! lane `l` are exactly lane `l` of the last `l` vectors, so keeping the vectors keeps the registers.

use super::regs::{get_bit, put_bit, words};
use crate::mapping::schedule::{FIRST, LAST, SLOT};
use crate::matrix::Operand;

/// The values entering one edge of the array during one cycle (one per lane), with bit rows of
/// their valid bits and markers.
pub(crate) struct EdgeLanes<T> {
    pub(crate) val: Vec<T>,
    pub(crate) valid: Vec<u64>,
    pub(crate) first: Vec<u64>,
    pub(crate) last: Vec<u64>,
    pub(crate) slot: Vec<u64>,
    pub(crate) tag: Vec<u16>,
}

impl<T: Operand> EdgeLanes<T> {
    pub(crate) fn new(lanes: usize) -> Self {
        let w = words(lanes);
        EdgeLanes {
            val: vec![T::default(); lanes],
            valid: vec![0; w],
            first: vec![0; w],
            last: vec![0; w],
            slot: vec![0; w],
            tag: vec![0; lanes],
        }
    }
}

/// The skew registers of one edge.
pub(crate) struct Skew<T> {
    lanes: usize,
    data: Vec<T>,
    count: Vec<usize>,
    flags: Vec<u8>,
    tag: Vec<u16>,
    /// Valid values held in the skew registers after the last clock edge.
    live: u64,
    pub(crate) out: EdgeLanes<T>,
}

impl<T: Operand> Skew<T> {
    pub(crate) fn new(lanes: usize) -> Self {
        Skew {
            lanes,
            data: vec![T::default(); lanes * lanes],
            count: vec![0; lanes],
            flags: vec![0; lanes],
            tag: vec![0; lanes],
            live: 0,
            out: EdgeLanes::new(lanes),
        }
    }

    /// Cycle `t`: takes the vector at the buffer output (lanes `0..count` valid; `count = 0` and
    /// no markers when nothing was read), computes the skew outputs into `self.out` and returns the
    /// number of valid values the skew registers latch at the end of the cycle.
    #[inline(always)]
    pub(crate) fn cycle(
        &mut self,
        t: u64,
        vector: Option<(&[T], usize)>,
        flags: u8,
        tag: u16,
    ) -> u64 {
        let n = self.lanes;
        let s = (t % n as u64) as usize;
        let row = &mut self.data[s * n..(s + 1) * n];
        match vector {
            Some((v, count)) => {
                row.copy_from_slice(v);
                self.count[s] = count;
            }
            None => {
                row.fill(T::default());
                self.count[s] = 0;
            }
        }
        self.flags[s] = flags;
        self.tag[s] = tag;
        // Valid values entering the registers (lanes >= 1) and leaving them (lane l's l-th register).
        let entering = self.count[s].saturating_sub(1) as u64;
        let mut leaving = 0u64;
        let out = &mut self.out;
        for l in 0..n {
            let u = if s >= l { s - l } else { s + n - l };
            let valid = l < self.count[u];
            let f = self.flags[u];
            out.val[l] = self.data[u * n + l];
            put_bit(&mut out.valid, l, valid);
            put_bit(&mut out.first, l, f & FIRST != 0);
            put_bit(&mut out.last, l, f & LAST != 0);
            put_bit(&mut out.slot, l, f & SLOT != 0);
            out.tag[l] = self.tag[u];
            if l >= 1 && valid {
                leaving += 1;
            }
        }
        self.live = self.live + entering - leaving;
        self.live
    }
}

/// The deskew registers below the bottom row.
pub(crate) struct Deskew {
    lanes: usize,
    w: usize,
    data: Vec<i32>,
    valid: Vec<u64>,
    live: u64,
    pub(crate) out_val: Vec<i32>,
    pub(crate) out_valid: Vec<u64>,
}

impl Deskew {
    pub(crate) fn new(lanes: usize) -> Self {
        let w = words(lanes);
        Deskew {
            lanes,
            w,
            data: vec![0; lanes * lanes],
            valid: vec![0; lanes * w],
            live: 0,
            out_val: vec![0; lanes],
            out_valid: vec![0; w],
        }
    }

    /// Cycle `t`: takes the bottom row's int32 registers, computes the deskewed row into
    /// `out_val`/`out_valid` and returns the number of valid values the deskew registers latch at
    /// the end of the cycle.
    #[inline(always)]
    pub(crate) fn cycle(&mut self, t: u64, bottom: &[i32], bottom_valid: &[u64]) -> u64 {
        let (n, w) = (self.lanes, self.w);
        let s = (t % n as u64) as usize;
        self.data[s * n..(s + 1) * n].copy_from_slice(bottom);
        self.valid[s * w..(s + 1) * w].copy_from_slice(bottom_valid);
        let mut entering = 0u64;
        let mut leaving = 0u64;
        for j in 0..n {
            let d = n - 1 - j; // registers on lane j
            let u = if s >= d { s - d } else { s + n - d };
            let valid = get_bit(&self.valid[u * w..(u + 1) * w], j);
            self.out_val[j] = self.data[u * n + j];
            put_bit(&mut self.out_valid, j, valid);
            if d >= 1 {
                if valid {
                    leaving += 1;
                }
                if get_bit(bottom_valid, j) {
                    entering += 1;
                }
            }
        }
        self.live = self.live + entering - leaving;
        self.live
    }
}
