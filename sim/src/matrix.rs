//! Dense row-major matrices (int8 operands, int32 results), seeded random data and the plain
//! reference matrix product that every backend is checked against.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// A dense row-major matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matrix<T> {
    rows: usize,
    cols: usize,
    data: Vec<T>,
}

impl<T: Copy + Default> Matrix<T> {
    /// A `rows x cols` matrix of zeros.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Matrix {
            rows,
            cols,
            data: vec![T::default(); rows * cols],
        }
    }

    /// Wraps row-major data; `None` if the length is not `rows * cols`.
    pub fn from_vec(rows: usize, cols: usize, data: Vec<T>) -> Option<Self> {
        (data.len() == rows * cols).then_some(Matrix { rows, cols, data })
    }

    /// A matrix whose element (r, c) is `f(r, c)`.
    pub fn from_fn(rows: usize, cols: usize, mut f: impl FnMut(usize, usize) -> T) -> Self {
        let mut data = Vec::with_capacity(rows * cols);
        for r in 0..rows {
            for c in 0..cols {
                data.push(f(r, c));
            }
        }
        Matrix { rows, cols, data }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Element (r, c).
    #[inline]
    pub fn get(&self, r: usize, c: usize) -> T {
        self.data[r * self.cols + c]
    }

    /// Sets element (r, c).
    #[inline]
    pub fn set(&mut self, r: usize, c: usize, v: T) {
        self.data[r * self.cols + c] = v;
    }

    /// Row-major data.
    pub fn as_slice(&self) -> &[T] {
        &self.data
    }

    /// The transpose.
    pub fn transposed(&self) -> Self {
        Matrix::from_fn(self.cols, self.rows, |r, c| self.get(c, r))
    }
}

impl Matrix<i8> {
    /// Uniformly random int8 data (every value in [-128, 127]) from a seed; the same seed gives
    /// the same matrix on every machine.
    pub fn random(rows: usize, cols: usize, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let data = (0..rows * cols).map(|_| rng.random::<i8>()).collect();
        Matrix { rows, cols, data }
    }
}

/// The reference product `C = A x B` with int32 accumulation that wraps on overflow (two's
/// complement), as the hardware does. Panics if the shapes do not conform.
pub fn reference_matmul(a: &Matrix<i8>, b: &Matrix<i8>) -> Matrix<i32> {
    assert_eq!(
        a.cols, b.rows,
        "A is {}x{}, B is {}x{}",
        a.rows, a.cols, b.rows, b.cols
    );
    let (m, k, n) = (a.rows, a.cols, b.cols);
    let mut c = vec![0i32; m * n];
    for i in 0..m {
        let crow = &mut c[i * n..(i + 1) * n];
        for kk in 0..k {
            let av = i32::from(a.data[i * k + kk]);
            let brow = &b.data[kk * n..(kk + 1) * n];
            for (cv, &bv) in crow.iter_mut().zip(brow) {
                *cv = cv.wrapping_add(av * i32::from(bv));
            }
        }
    }
    Matrix {
        rows: m,
        cols: n,
        data: c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_wraps_like_int32() {
        // 131073 products of (-128)(-128) = 2^31 + 16384, which wraps to -2^31 + 16384.
        let k = 131_073;
        let a = Matrix::from_vec(1, k, vec![-128i8; k]).unwrap();
        let b = Matrix::from_vec(k, 1, vec![-128i8; k]).unwrap();
        let c = reference_matmul(&a, &b);
        assert_eq!(c.get(0, 0), i32::MIN + 16384);
    }

    #[test]
    fn random_is_seeded_and_covers_extremes() {
        let x = Matrix::random(64, 64, 7);
        assert_eq!(x, Matrix::random(64, 64, 7));
        assert_ne!(x, Matrix::random(64, 64, 8));
        assert!(x.as_slice().contains(&-128));
        assert!(x.as_slice().contains(&127));
    }

    #[test]
    fn small_product() {
        let a = Matrix::from_vec(2, 3, vec![1i8, 2, 3, -4, 5, -6]).unwrap();
        let b = Matrix::from_vec(3, 2, vec![7i8, 8, 9, 10, 11, 12]).unwrap();
        let c = reference_matmul(&a, &b);
        assert_eq!(c.as_slice(), &[58, 64, -49, -54]);
    }
}
