//! Rows of bits packed in 64-bit words, one bit per lane: the valid bits and markers of the PE
//! array's registers, and the lane masks of buffer accesses (a leaf module).

/// 64-bit words needed for `lanes` bits.
#[inline]
pub(crate) fn words(lanes: usize) -> usize {
    lanes.div_ceil(64).max(1)
}

/// Mask of the valid bits in the last word of a `lanes`-bit row.
#[inline]
fn top_mask(lanes: usize) -> u64 {
    match lanes % 64 {
        0 => u64::MAX,
        r => (1u64 << r) - 1,
    }
}

/// Shifts a bit row toward higher lanes by one, inserting `bit` at lane 0. Returns the bit that
/// fell off the end (lane `lanes - 1` before the shift).
#[inline(always)]
pub(crate) fn shift_in_bit(row: &mut [u64], lanes: usize, bit: bool) -> bool {
    let last = lanes - 1;
    let out = row[last / 64] >> (last % 64) & 1 == 1;
    let mut carry = u64::from(bit);
    for w in row.iter_mut() {
        let next = *w >> 63;
        *w = (*w << 1) | carry;
        carry = next;
    }
    let n = row.len();
    row[n - 1] &= top_mask(lanes);
    out
}

/// Number of set bits in a bit row.
#[inline(always)]
pub(crate) fn popcount(row: &[u64]) -> u64 {
    row.iter().map(|w| u64::from(w.count_ones())).sum()
}

/// Number of set bits in `a & b`.
#[inline(always)]
pub(crate) fn popcount_and(a: &[u64], b: &[u64]) -> u64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| u64::from((x & y).count_ones()))
        .sum()
}

/// Whether lane `i` is set.
#[inline(always)]
pub(crate) fn get_bit(row: &[u64], i: usize) -> bool {
    row[i / 64] >> (i % 64) & 1 == 1
}

/// Sets lane `i` to `v`.
#[inline(always)]
pub(crate) fn put_bit(row: &mut [u64], i: usize, v: bool) {
    let m = 1u64 << (i % 64);
    if v {
        row[i / 64] |= m;
    } else {
        row[i / 64] &= !m;
    }
}

/// Calls `f(lane)` for every set bit of a bit row, in increasing lane order.
#[inline(always)]
pub(crate) fn for_each_set(row: &[u64], mut f: impl FnMut(usize)) {
    for (wi, &w) in row.iter().enumerate() {
        let mut w = w;
        while w != 0 {
            let b = w.trailing_zeros() as usize;
            f(wi * 64 + b);
            w &= w - 1;
        }
    }
}

/// Bit row with lanes `0..n` set.
pub(crate) fn prefix_bits(row: &mut [u64], n: usize) {
    for (wi, w) in row.iter_mut().enumerate() {
        let lo = wi * 64;
        *w = if n >= lo + 64 {
            u64::MAX
        } else if n > lo {
            (1u64 << (n - lo)) - 1
        } else {
            0
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_rows() {
        let lanes = 130;
        let mut row = vec![0u64; words(lanes)];
        for i in 0..lanes {
            assert!(!shift_in_bit(&mut row, lanes, i % 3 == 0));
        }
        // lane j holds the bit inserted lanes-1-j shifts ago
        for j in 0..lanes {
            assert_eq!(get_bit(&row, j), (lanes - 1 - j) % 3 == 0, "lane {j}");
        }
        assert_eq!(
            popcount(&row),
            (0..lanes).filter(|i| i % 3 == 0).count() as u64
        );
        let mut seen = vec![];
        for_each_set(&row, |l| seen.push(l));
        assert_eq!(seen.len() as u64, popcount(&row));
        // the bit in the last lane falls off next
        assert!(shift_in_bit(&mut row, lanes, false));
        let mut p = vec![0u64; 3];
        prefix_bits(&mut p, 70);
        assert_eq!(popcount(&p), 70);
        prefix_bits(&mut p, 0);
        assert_eq!(popcount(&p), 0);
    }
}
