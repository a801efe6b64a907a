//! The arithmetic of one row of PEs, written as plain loops over contiguous lanes so that the
//! compiler vectorises them, and [`best_simd`], which picks the widest vector unit the CPU has
//! (AVX-512, AVX2, or the x86-64 baseline) for the copy of the simulation loop that runs.

use crate::matrix::Operand;

/// `acc[j] += a[j] * b[j]` (operands into int32, wrapping).
#[inline(always)]
pub(crate) fn mac_row<T: Operand>(acc: &mut [i32], a: &[T], b: &[T]) {
    for ((x, &p), &q) in acc.iter_mut().zip(a).zip(b) {
        *x = x.wrapping_add(p.into() * q.into());
    }
}

/// `out[j] = above[j] + a[j] * w[j]` (the partial sum a PE passes down, wrapping).
#[inline(always)]
pub(crate) fn psum_row<T: Operand>(out: &mut [i32], above: &[i32], a: &[T], w: &[T]) {
    for (((x, &s), &p), &q) in out.iter_mut().zip(above).zip(a).zip(w) {
        *x = s.wrapping_add(p.into() * q.into());
    }
}

/// `out[j] = a[j] * w[j]` (the top row's partial sum).
#[inline(always)]
pub(crate) fn product_row<T: Operand>(out: &mut [i32], a: &[T], w: &[T]) {
    for ((x, &p), &q) in out.iter_mut().zip(a).zip(w) {
        *x = p.into() * q.into();
    }
}

/// The vector extensions the simulation loop is compiled for, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Simd {
    /// AVX-512F/BW.
    Avx512,
    /// AVX2.
    Avx2,
    /// The target's baseline (SSE2 on x86-64).
    Baseline,
}

/// The best extension this CPU has (checked once; `is_x86_feature_detected` caches).
#[inline]
pub(crate) fn best_simd() -> Simd {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512bw") {
            return Simd::Avx512;
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            return Simd::Avx2;
        }
    }
    Simd::Baseline
}

/// Packs 64 lane flags (one byte each, 0 or 1) into a bit row word, lane 0 in bit 0.
#[inline(always)]
pub(crate) fn pack_flags(flags: &[u8; 64]) -> u64 {
    let mut out = 0u64;
    for (k, chunk) in flags.chunks_exact(8).enumerate() {
        let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        // Gathers the low bit of each byte into the top byte (bit b of the result is byte b).
        let packed = (x.wrapping_mul(0x0102_0408_1020_4080)) >> 56;
        out |= packed << (8 * k);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_flags_matches_bit_by_bit() {
        let mut flags = [0u8; 64];
        for seed in 0..50u64 {
            let mut want = 0u64;
            for (b, f) in flags.iter_mut().enumerate() {
                let bit = (seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (b % 61)) & 1;
                *f = bit as u8;
                want |= bit << b;
            }
            assert_eq!(pack_flags(&flags), want);
        }
    }
}
