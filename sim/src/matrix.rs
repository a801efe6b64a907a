//! Dense row-major matrices (int4/int8/int16 operands, int32 results), seeded random data and
//! the plain reference matrix product that every backend is checked against.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

mod sealed {
    pub trait Sealed {}
    impl Sealed for i8 {}
    impl Sealed for i16 {}
}

/// An element type that holds the machine's operands: `i8` holds int4 and int8 operands, `i16`
/// holds int16 ones (`array.operand_bits`). Every product of two of them fits an `i32`, so the
/// accumulation is the same int32 wrapping sum for each.
pub trait Operand:
    Copy + Default + PartialEq + std::fmt::Debug + Send + Sync + Into<i32> + sealed::Sealed + 'static
{
    /// Bits of the container: the widest operand it holds.
    const BITS: u32;
}

impl Operand for i8 {
    const BITS: u32 = 8;
}

impl Operand for i16 {
    const BITS: u32 = 16;
}

/// The range of a `bits`-wide two's-complement operand: `[-2^(bits-1), 2^(bits-1) - 1]`.
pub fn operand_range(bits: u32) -> std::ops::RangeInclusive<i32> {
    let half = 1i32 << (bits.clamp(1, 31) - 1);
    -half..=half - 1
}

/// Uniformly random `bits`-wide operands (every value in [`operand_range`]) from a seed, in
/// container `T` (`bits` at most `T::BITS`); the same seed gives the same matrix on every machine.
/// For `bits` = 8 in `i8` this is [`Matrix::random`].
pub fn random_operands<T: Operand + TryFrom<i32>>(
    rows: usize,
    cols: usize,
    bits: u32,
    seed: u64,
) -> Matrix<T> {
    assert!(
        bits >= 1 && bits <= T::BITS,
        "{bits}-bit operands do not fit a {}-bit container",
        T::BITS
    );
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let range = operand_range(bits);
    let data = (0..rows * cols)
        .map(|_| {
            // Whole-type draws for 8 and 16 bits, so that int8 data is `Matrix::random`'s.
            let v: i32 = match bits {
                8 => rng.random::<i8>().into(),
                16 => rng.random::<i16>().into(),
                _ => rng.random_range(range.clone()),
            };
            T::try_from(v).unwrap_or_else(|_| unreachable!("{v} is in range"))
        })
        .collect();
    Matrix { rows, cols, data }
}

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
        random_operands(rows, cols, 8, seed)
    }
}

/// The reference product `C = A x B` with int32 accumulation that wraps on overflow (two's
/// complement), as the hardware does. Panics if the shapes do not conform.
pub fn reference_matmul<T: Operand>(a: &Matrix<T>, b: &Matrix<T>) -> Matrix<i32> {
    Matrix {
        rows: a.rows,
        cols: b.cols,
        data: product(a, b, |c: i32, p| c.wrapping_add(p)),
    }
}

/// How many elements of `A x B` have an exact sum outside int32: where the hardware's (and
/// [`reference_matmul`]'s) wrapping sum differs from the true product. Panics if the shapes do
/// not conform.
pub fn overflowing_elements<T: Operand>(a: &Matrix<T>, b: &Matrix<T>) -> u64 {
    product(a, b, |c: i64, p| c + i64::from(p))
        .into_iter()
        .filter(|&c| i32::try_from(c).is_err())
        .count() as u64
}

/// The row-major elements of `A x B`, each accumulated from 0 with `add(sum, a x b)`.
fn product<T: Operand, S: Copy + Default>(
    a: &Matrix<T>,
    b: &Matrix<T>,
    add: impl Fn(S, i32) -> S,
) -> Vec<S> {
    assert_eq!(
        a.cols, b.rows,
        "A is {}x{}, B is {}x{}",
        a.rows, a.cols, b.rows, b.cols
    );
    let (m, k, n) = (a.rows, a.cols, b.cols);
    let mut c = vec![S::default(); m * n];
    for i in 0..m {
        let crow = &mut c[i * n..(i + 1) * n];
        for kk in 0..k {
            let av: i32 = a.data[i * k + kk].into();
            let brow = &b.data[kk * n..(kk + 1) * n];
            for (cv, &bv) in crow.iter_mut().zip(brow) {
                *cv = add(*cv, av * bv.into());
            }
        }
    }
    c
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
    fn reference_wraps_int16_products() {
        // (-32768)^2 = 2^30: two products reach 2^31, which wraps to i32::MIN.
        let a = Matrix::from_vec(1, 2, vec![i16::MIN; 2]).unwrap();
        let b = Matrix::from_vec(2, 1, vec![i16::MIN; 2]).unwrap();
        assert_eq!(reference_matmul(&a, &b).get(0, 0), i32::MIN);
        assert_eq!(overflowing_elements(&a, &b), 1);
        let one = Matrix::from_vec(1, 1, vec![i16::MIN]).unwrap();
        assert_eq!(overflowing_elements(&one, &one), 0);
        // Two columns: one sum overflows, the other (-2^30 + 2^30) does not.
        let b = Matrix::from_vec(2, 2, vec![i16::MIN, i16::MIN, i16::MIN, i16::MAX]).unwrap();
        assert_eq!(overflowing_elements(&a, &b), 1);
    }

    #[test]
    fn random_operands_cover_their_range_and_no_more() {
        for bits in [4u32, 8] {
            let x: Matrix<i8> = random_operands(64, 64, bits, 3);
            let r = operand_range(bits);
            assert!(x.as_slice().iter().all(|&v| r.contains(&i32::from(v))));
            assert!(x.as_slice().contains(&(*r.start() as i8)));
            assert!(x.as_slice().contains(&(*r.end() as i8)));
        }
        let y: Matrix<i16> = random_operands(64, 64, 16, 3);
        assert!(y.as_slice().iter().any(|&v| !(-128..=127).contains(&v)));
        assert_eq!(operand_range(4), -8..=7);
        assert_eq!(operand_range(16), -32768..=32767);
    }

    #[test]
    fn small_product() {
        let a = Matrix::from_vec(2, 3, vec![1i8, 2, 3, -4, 5, -6]).unwrap();
        let b = Matrix::from_vec(3, 2, vec![7i8, 8, 9, 10, 11, 12]).unwrap();
        let c = reference_matmul(&a, &b);
        assert_eq!(c.as_slice(), &[58, 64, -49, -54]);
    }
}
