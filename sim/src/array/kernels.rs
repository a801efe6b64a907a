//! The arithmetic of one row of PEs, written as plain loops over contiguous lanes so that the
//! compiler vectorises them, and [`with_best_simd`], which runs a whole simulation compiled for the
//! widest vector unit the CPU has (AVX-512, AVX2, or the x86-64 baseline), chosen at run time.

/// `acc[j] += a[j] * b[j]` (int8 x int8 into int32, wrapping).
#[inline(always)]
pub(crate) fn mac_row(acc: &mut [i32], a: &[i8], b: &[i8]) {
    for ((x, &p), &q) in acc.iter_mut().zip(a).zip(b) {
        *x = x.wrapping_add(i32::from(p) * i32::from(q));
    }
}

/// `out[j] = above[j] + a[j] * w[j]` (the partial sum a PE passes down, wrapping).
#[inline(always)]
pub(crate) fn psum_row(out: &mut [i32], above: &[i32], a: &[i8], w: &[i8]) {
    for (((x, &s), &p), &q) in out.iter_mut().zip(above).zip(a).zip(w) {
        *x = s.wrapping_add(i32::from(p) * i32::from(q));
    }
}

/// `out[j] = a[j] * w[j]` (the top row's partial sum).
#[inline(always)]
pub(crate) fn product_row(out: &mut [i32], a: &[i8], w: &[i8]) {
    for ((x, &p), &q) in out.iter_mut().zip(a).zip(w) {
        *x = i32::from(p) * i32::from(q);
    }
}

/// Runs `f` compiled with the best vector extension this CPU supports. `f` and everything it
/// inlines (the whole simulation loop is `#[inline(always)]`) are generated once per extension.
#[inline(always)]
pub(crate) fn with_best_simd<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512bw") {
            // SAFETY: the CPU supports AVX-512F/BW, checked just above.
            return unsafe { x86::avx512(f) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { x86::avx2(f) };
        }
    }
    f()
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    #[target_feature(enable = "avx512f,avx512bw,avx2,bmi1,bmi2,popcnt")]
    pub(super) unsafe fn avx512<R>(f: impl FnOnce() -> R) -> R {
        f()
    }

    #[target_feature(enable = "avx2,bmi1,bmi2,popcnt")]
    pub(super) unsafe fn avx2<R>(f: impl FnOnce() -> R) -> R {
        f()
    }
}
