//! The output stage's arithmetic: int32 accumulator + int32 bias, requantized to int8 exactly as
//! TensorFlow Lite's int8 kernels do it (`docs/quantization.md` states every step and the
//! reference it follows).
//!
//! Per output element of column (channel) `n`:
//!
//! ```text
//! x = acc + bias[n]                                   int32, wrapping
//! y = MultiplyByQuantizedMultiplier(x, M[n], S[n])    Q31 multiplier, shift (> 0 left, < 0 right)
//! z = y + out_zero_point                              int32, wrapping
//! out = clamp(z, act_min, act_max)                    int8
//! ```
//!
//! The activation's zero point is folded into the bias ([`OutputStage::fold_input_zero_point`]):
//! `bias'[n] = bias[n] - zp_a * sum_k B[k][n]`, so the array multiplies raw int8 operands.

use serde::{Deserialize, Serialize};

use crate::matrix::{Matrix, Operand};

/// `SaturatingRoundingDoublingHighMul` (gemmlowp, used by TFLite): the high 32 bits of `2ab`,
/// rounded to nearest; `i32::MIN * i32::MIN` saturates to `i32::MAX`. Ties round up (toward
/// +infinity): the nudge is `2^30` for a non-negative product and `1 - 2^30` for a negative one,
/// and the division truncates, so +0.5 gives 1 and -0.5 gives 0.
pub fn saturating_rounding_doubling_high_mul(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    let ab = i64::from(a) * i64::from(b);
    let nudge: i64 = if ab >= 0 { 1 << 30 } else { 1 - (1 << 30) };
    // Integer division truncates toward zero, as C++'s does.
    ((ab + nudge) / (1i64 << 31)) as i32
}

/// `RoundingDivideByPOT` (gemmlowp): `x / 2^exponent` rounded to nearest, ties away from zero.
/// `exponent` is 0 to 31.
pub fn rounding_divide_by_pot(x: i32, exponent: u32) -> i32 {
    debug_assert!(exponent <= 31, "exponent {exponent} outside 0..=31");
    let mask = ((1i64 << exponent) - 1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + i32::from(x < 0);
    (x >> exponent) + i32::from(remainder > threshold)
}

/// Smallest and largest shift accepted (TFLite's `MultiplyByQuantizedMultiplier` range).
pub const SHIFT_RANGE: (i32, i32) = (-31, 30);

/// TFLite's `MultiplyByQuantizedMultiplier(x, multiplier, shift)` (the default, double-rounding
/// build): a positive shift multiplies `x` by `2^shift` first (wrapping, as the compiled kernel
/// does), a negative one divides by `2^-shift` after the Q31 multiply, with rounding.
pub fn multiply_by_quantized_multiplier(x: i32, multiplier: i32, shift: i32) -> i32 {
    debug_assert!((SHIFT_RANGE.0..=SHIFT_RANGE.1).contains(&shift));
    let left = shift.max(0) as u32;
    let right = (-shift).max(0) as u32;
    rounding_divide_by_pot(
        saturating_rounding_doubling_high_mul(x.wrapping_shl(left), multiplier),
        right,
    )
}

/// TFLite's `QuantizeMultiplier`: a real scale as a Q31 multiplier in `[2^30, 2^31)` and a shift,
/// so that `real ~= multiplier * 2^(shift - 31)`. 0 gives (0, 0); a scale too small for shift -31
/// gives (0, 0); one too large for shift 30 gives (`i32::MAX`, 30).
pub fn quantize_multiplier(real: f64) -> (i32, i32) {
    if real == 0.0 || !real.is_finite() {
        return (0, 0);
    }
    // frexp: real = q * 2^shift with 0.5 <= |q| < 1.
    let mut shift = real.abs().log2().floor() as i32 + 1;
    let mut q = real / 2f64.powi(shift);
    if q.abs() >= 1.0 {
        q /= 2.0;
        shift += 1;
    } else if q.abs() < 0.5 {
        q *= 2.0;
        shift -= 1;
    }
    let mut fixed = (q * (1u64 << 31) as f64).round() as i64;
    if fixed == 1 << 31 {
        fixed /= 2;
        shift += 1;
    }
    if shift < SHIFT_RANGE.0 {
        return (0, 0);
    }
    if shift > SHIFT_RANGE.1 {
        return (i32::MAX, SHIFT_RANGE.1);
    }
    (fixed as i32, shift)
}

/// One element: `clamp(MultiplyByQuantizedMultiplier(acc + bias, r) + out_zero_point)`, the
/// adds wrapping in int32 as in the compiled TFLite kernel.
#[inline]
pub fn requantize(acc: i32, bias: i32, r: Requant, out_zero_point: i32, clamp: (i8, i8)) -> i8 {
    multiply_by_quantized_multiplier(acc.wrapping_add(bias), r.multiplier, r.shift)
        .wrapping_add(out_zero_point)
        .clamp(i32::from(clamp.0), i32::from(clamp.1)) as i8
}

/// The fused activation of a layer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// No activation: clamp to the int8 range.
    #[default]
    None,
    /// ReLU: nothing below the output's zero point.
    Relu,
    /// ReLU6: between the zero point and the quantized value of 6.0.
    Relu6,
}

impl Activation {
    /// The int8 clamp range, as TFLite's `CalculateActivationRangeQuantized` computes it:
    /// the quantized value of 6.0 is `zero_point + round(6.0f / scale)`, in float32 as TFLite
    /// holds scales, rounded with ties away from zero. `out_scale` is needed for ReLU6 only;
    /// when given it must be finite and positive in float32. A clamp that lets one value through
    /// (ReLU6 at a scale so large that 6.0 quantizes to the zero point, ReLU at zero point 127)
    /// is refused: every output would be that value.
    pub fn range(
        self,
        out_zero_point: i32,
        out_scale: Option<f64>,
    ) -> Result<(i8, i8), QuantError> {
        if let Some(scale) = out_scale {
            let s32 = scale as f32;
            if !(s32.is_finite() && s32 > 0.0) {
                return Err(QuantError::Invalid(format!(
                    "output scale {scale:?}: must be a finite positive number (in float32, as TFLite holds scales)"
                )));
            }
        }
        let zp = i64::from(out_zero_point.clamp(-128, 127));
        let (lo, hi) = match self {
            Activation::None => (-128, 127),
            Activation::Relu => (zp as i8, 127),
            Activation::Relu6 => {
                let Some(scale) = out_scale else {
                    return Err(QuantError::Invalid(
                        "relu6 needs the output scale (the quantized value of 6.0 depends on it)"
                            .into(),
                    ));
                };
                let q = (6.0f32 / scale as f32).round();
                // TFLite refuses a quotient that does not fit int32 (its
                // `no_integer_overflow_from_quantization` check).
                if !(scale > 0.0 && q.is_finite() && q <= i32::MAX as f32) {
                    return Err(QuantError::Invalid(format!(
                        "output scale {scale:?}: must be a positive number with 6 / scale within int32"
                    )));
                }
                (zp as i8, (zp + q as i64).clamp(-128, 127) as i8)
            }
        };
        if lo >= hi {
            return Err(QuantError::Invalid(format!(
                "{} with output zero point {zp}{} clamps to [{lo}, {hi}]: every output would be {lo}",
                self.name(),
                out_scale.map_or(String::new(), |s| format!(" and scale {s:?}"))
            )));
        }
        Ok((lo, hi))
    }

    /// `none`, `relu` or `relu6`, as the flag and the files name it.
    pub fn name(self) -> &'static str {
        match self {
            Activation::None => "none",
            Activation::Relu => "relu",
            Activation::Relu6 => "relu6",
        }
    }
}

/// One output channel's requantization: Q31 multiplier and shift (positive: left).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requant {
    /// Q31 fixed-point multiplier.
    pub multiplier: i32,
    /// Shift as TFLite's `MultiplyByQuantizedMultiplier` takes it (-31 to 30).
    pub shift: i32,
}

/// Errors in output-stage parameters.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QuantError {
    /// A parameter is out of range or has the wrong length.
    #[error("{0}")]
    Invalid(String),
}

/// The output stage's parameters for one GEMM (one layer): per-column bias and requantization,
/// output zero point and clamp range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputStage {
    /// int32 bias per column of C (length N).
    pub bias: Vec<i32>,
    /// Requantization per column (length N; per-tensor parameters repeat one value).
    pub requant: Vec<Requant>,
    /// Output zero point, -128 to 127.
    pub out_zero_point: i32,
    /// Clamp range (fused activation), `act_min <= act_max`.
    pub act_min: i8,
    /// Upper end of the clamp range.
    pub act_max: i8,
}

impl OutputStage {
    /// Columns of C the stage serves.
    pub fn channels(&self) -> usize {
        self.bias.len()
    }

    /// Checks lengths (both `n`) and ranges.
    pub fn validate(&self, n: usize) -> Result<(), QuantError> {
        let bad = |s: String| Err(QuantError::Invalid(s));
        if self.bias.len() != n {
            return bad(format!(
                "bias has {} values, C has {n} columns",
                self.bias.len()
            ));
        }
        if self.requant.len() != n {
            return bad(format!(
                "requantization has {} channels, C has {n} columns",
                self.requant.len()
            ));
        }
        for (i, r) in self.requant.iter().enumerate() {
            if !(SHIFT_RANGE.0..=SHIFT_RANGE.1).contains(&r.shift) {
                return bad(format!(
                    "shift {} of column {i} outside {}..={}",
                    r.shift, SHIFT_RANGE.0, SHIFT_RANGE.1
                ));
            }
        }
        if !(-128..=127).contains(&self.out_zero_point) {
            return bad(format!(
                "output zero point {} outside -128..=127",
                self.out_zero_point
            ));
        }
        if self.act_min > self.act_max {
            return bad(format!(
                "clamp range [{}, {}] is empty",
                self.act_min, self.act_max
            ));
        }
        Ok(())
    }

    /// Folds an activation zero point into the bias: `bias[n] -= zp_a * sum_k B[k][n]`, so that
    /// the array can multiply the raw int8 activations. Exact, because the accumulator and the
    /// bias add wrap modulo 2^32 just as TFLite's `sum (x - zp_a) * w` does.
    pub fn fold_input_zero_point<T: Operand>(&mut self, a_zero_point: i32, b: &Matrix<T>) {
        if a_zero_point == 0 {
            return;
        }
        for (n, bias) in self.bias.iter_mut().enumerate() {
            let colsum: i64 = (0..b.rows()).map(|k| i64::from(b.get(k, n).into())).sum();
            *bias = bias.wrapping_sub((i64::from(a_zero_point) * colsum) as i32);
        }
    }

    /// One element of column `n`: bias, requantize, zero point, clamp.
    #[inline]
    pub fn apply(&self, n: usize, acc: i32) -> i8 {
        requantize(
            acc,
            self.bias[n],
            self.requant[n],
            self.out_zero_point,
            (self.act_min, self.act_max),
        )
    }

    /// The stage applied to every element of C (int32 accumulators, N = `self.channels()`).
    pub fn apply_matrix(&self, c: &Matrix<i32>) -> Matrix<i8> {
        Matrix::from_fn(c.rows(), c.cols(), |m, n| self.apply(n, c.get(m, n)))
    }
}

/// The int8 view of a C that the output stage produced: the machine keeps int8 results
/// sign-extended in its int32 lanes. `None` if an element is outside int8.
pub fn int8_results(c: &Matrix<i32>) -> Option<Matrix<i8>> {
    let data = c
        .as_slice()
        .iter()
        .map(|&v| i8::try_from(v).ok())
        .collect::<Option<Vec<i8>>>()?;
    Matrix::from_vec(c.rows(), c.cols(), data)
}

/// One input of [`requantize`]: accumulator, bias, requantization, output zero point, clamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequantCase {
    /// int32 accumulator.
    pub acc: i32,
    /// int32 bias.
    pub bias: i32,
    /// Multiplier and shift.
    pub requant: Requant,
    /// Output zero point.
    pub out_zero_point: i32,
    /// Clamp range.
    pub clamp: (i8, i8),
}

impl RequantCase {
    /// The case as one line of hexadecimal fields, two's complement:
    /// `acc bias multiplier shift out_zero_point act_min act_max` (32, 32, 32, 8, 8, 8, 8 bits),
    /// the format the cross-checks feed to Verilog's `$fscanf("%h ...")` and to Python.
    pub fn hex_line(&self) -> String {
        format!(
            "{:08x} {:08x} {:08x} {:02x} {:02x} {:02x} {:02x}",
            self.acc as u32,
            self.bias as u32,
            self.requant.multiplier as u32,
            self.requant.shift as i8 as u8,
            self.out_zero_point as i8 as u8,
            self.clamp.0 as u8,
            self.clamp.1 as u8
        )
    }

    /// The result of [`requantize`] on this case.
    pub fn expected(&self) -> i8 {
        requantize(
            self.acc,
            self.bias,
            self.requant,
            self.out_zero_point,
            self.clamp,
        )
    }
}

/// `count` deterministic cases that cover requantization's edges, for holding another
/// implementation (Verilog, NumPy, a C model) to this one: every shift from -31 to 30; exact
/// ties of the doubling multiply (+-0.5, odd accumulators times 0.5) and of the rounding shift
/// (positive and negative); `i32::MIN x i32::MIN` saturation; extreme multipliers, biases and
/// accumulators (wrapping adds and left shifts); zero points and clamp ranges at their ends;
/// then random cases from `seed`.
pub fn requant_cases(count: usize, seed: u64) -> Vec<RequantCase> {
    use rand::{RngExt, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut next = move || rng.random::<u64>();
    let case = |acc: i32, bias: i32, multiplier: i32, shift: i32| RequantCase {
        acc,
        bias,
        requant: Requant { multiplier, shift },
        out_zero_point: 0,
        clamp: (i8::MIN, i8::MAX),
    };
    let mut v = Vec::new();
    let half = 1 << 30;
    // Ties of the rounding shift: y = +-(k 2^e + 2^(e-1)) exactly; x = 2y with multiplier 0.5
    // gives y from the doubling multiply exactly, and y / 2^e = +-(k + 1/2) stays inside int8.
    for e in 1..=30u32 {
        for k in [0i64, 1, 2, 3] {
            for sign in [1i64, -1] {
                let y = sign * (k * (1i64 << e) + (1i64 << (e - 1)));
                if let Ok(x) = i32::try_from(2 * y) {
                    v.push(case(x, 0, half, -(e as i32)));
                    v.push(case(x + 2, 0, half, -(e as i32)));
                    v.push(case(x - 2, 0, half, -(e as i32)));
                }
            }
        }
    }
    // Ties of the doubling multiply: odd x times 0.5, both signs, small enough to stay in range.
    for x in -300..=300 {
        v.push(case(x, 0, half, 0));
    }
    // Shift 31 right and the saturating corner.
    for acc in [
        i32::MIN,
        i32::MIN + 1,
        -1,
        0,
        1,
        i32::MAX - 1,
        i32::MAX,
        1 << 30,
        -(1 << 30),
    ] {
        for m in [i32::MIN, i32::MIN + 1, -1, 0, 1, half, i32::MAX] {
            for shift in [SHIFT_RANGE.0, -30, -1, 0, 1, SHIFT_RANGE.1] {
                v.push(case(acc, 0, m, shift));
                v.push(case(acc, i32::MAX, m, shift));
                v.push(case(acc, i32::MIN, m, shift));
            }
        }
    }
    // Zero points and clamp ranges.
    for zp in [-128, -1, 0, 1, 127] {
        for clamp in [(-128i8, 127i8), (0, 127), (-128, -128), (127, 127), (-5, 6)] {
            for acc in [-70_000, -1000, -3, 0, 3, 1000, 70_000] {
                v.push(RequantCase {
                    out_zero_point: zp,
                    clamp,
                    ..case(acc, 17, half, -3)
                });
            }
        }
    }
    // Every shift with a realistic and a random multiplier.
    for shift in SHIFT_RANGE.0..=SHIFT_RANGE.1 {
        for _ in 0..4 {
            let acc = next() as i32 >> (next() % 31);
            v.push(case(acc, 0, half + (next() % (1 << 30)) as i32, shift));
            v.push(case(acc, next() as i32 >> 16, next() as i32, shift));
        }
    }
    while v.len() < count {
        let r = next();
        let lo = (next() % 256) as i32 - 128;
        let hi = lo + (next() % (128 - lo) as u64) as i32;
        v.push(RequantCase {
            acc: next() as i32 >> (r % 32),
            bias: next() as i32 >> ((r >> 8) % 32),
            requant: Requant {
                multiplier: next() as i32,
                shift: (next() % 62) as i32 - 31,
            },
            out_zero_point: (next() % 256) as i32 - 128,
            clamp: (lo as i8, hi as i8),
        });
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubling_high_mul_rounds_ties_away_from_zero_and_saturates() {
        // 2ab / 2^32 = ab / 2^31.
        assert_eq!(
            saturating_rounding_doubling_high_mul(1 << 30, 1 << 30),
            1 << 29
        );
        // ab = 2^30: exactly one half of 2^31, a tie. Ties round up: +0.5 -> 1, -0.5 -> 0,
        // -1.5 -> -1 (the negative nudge is 1 - 2^30, and the division truncates).
        assert_eq!(saturating_rounding_doubling_high_mul(1 << 15, 1 << 15), 1);
        assert_eq!(
            saturating_rounding_doubling_high_mul(-(1 << 15), 1 << 15),
            0
        );
        assert_eq!(saturating_rounding_doubling_high_mul(-3 << 15, 1 << 15), -1);
        assert_eq!(
            saturating_rounding_doubling_high_mul(-(1 << 15) - 1, 1 << 15),
            -1
        );
        // Just below the tie.
        assert_eq!(
            saturating_rounding_doubling_high_mul((1 << 15) - 1, 1 << 15),
            0
        );
        assert_eq!(
            saturating_rounding_doubling_high_mul(i32::MIN, i32::MIN),
            i32::MAX
        );
        assert_eq!(
            saturating_rounding_doubling_high_mul(i32::MIN, i32::MAX),
            -i32::MAX
        );
        assert_eq!(
            saturating_rounding_doubling_high_mul(i32::MAX, i32::MAX),
            i32::MAX - 1
        );
    }

    #[test]
    fn rounding_divide_rounds_ties_away_from_zero() {
        assert_eq!(rounding_divide_by_pot(5, 1), 3);
        assert_eq!(rounding_divide_by_pot(-5, 1), -3);
        assert_eq!(rounding_divide_by_pot(4, 1), 2);
        assert_eq!(rounding_divide_by_pot(-7, 2), -2);
        assert_eq!(rounding_divide_by_pot(-6, 2), -2);
        assert_eq!(rounding_divide_by_pot(-5, 2), -1);
        assert_eq!(rounding_divide_by_pot(123, 0), 123);
        assert_eq!(rounding_divide_by_pot(i32::MAX, 31), 1);
        assert_eq!(rounding_divide_by_pot(i32::MIN, 31), -1);
        assert_eq!(rounding_divide_by_pot(1 << 30, 31), 1);
        assert_eq!(rounding_divide_by_pot(-(1 << 30), 31), -1);
        assert_eq!(rounding_divide_by_pot((1 << 30) - 1, 31), 0);
    }

    #[test]
    fn multiplier_and_shift_follow_tflite() {
        // 0.5 as Q31 with shift 0 halves; the multiply's ties round up: 3.5 -> 4, -3.5 -> -3.
        let (m, s) = quantize_multiplier(0.5);
        assert_eq!((m, s), (1 << 30, 0));
        assert_eq!(multiply_by_quantized_multiplier(7, m, s), 4);
        assert_eq!(multiply_by_quantized_multiplier(-7, m, s), -3);
        // The rounding shift's ties round away from zero: -10 x 0.5 = -5 exactly, and
        // -5 / 2 = -2.5 -> -3.
        assert_eq!(multiply_by_quantized_multiplier(-10, 1 << 30, -1), -3);
        assert_eq!(multiply_by_quantized_multiplier(10, 1 << 30, -1), 3);
        // 0.25 = 0.5 * 2^-1.
        assert_eq!(quantize_multiplier(0.25), (1 << 30, -1));
        assert_eq!(multiply_by_quantized_multiplier(6, 1 << 30, -1), 2);
        // Left shift: 3.0 = 0.75 * 2^2.
        let (m, s) = quantize_multiplier(3.0);
        assert_eq!(s, 2);
        assert_eq!(multiply_by_quantized_multiplier(100, m, s), 300);
        // The left shift wraps, as the compiled kernel's int32 multiply does.
        assert_eq!(
            multiply_by_quantized_multiplier(1 << 30, 1 << 30, 1),
            saturating_rounding_doubling_high_mul(i32::MIN, 1 << 30)
        );
        assert_eq!(quantize_multiplier(0.0), (0, 0));
        assert_eq!(quantize_multiplier(1e-12), (0, 0));
        assert_eq!(quantize_multiplier(1e12), (i32::MAX, 30));
        // Rounding up to 2^31 renormalises.
        assert_eq!(quantize_multiplier(1.0 - 1e-12), (1 << 30, 1));
    }

    #[test]
    fn stage_adds_bias_zero_point_and_clamps() {
        let mut st = per_tensor(
            2,
            Requant {
                multiplier: 1 << 30,
                shift: 0,
            },
        );
        st.bias = vec![10, -10];
        st.out_zero_point = -5;
        assert_eq!(st.apply(0, 100), 55 - 5);
        assert_eq!(st.apply(1, 100), 45 - 5);
        assert_eq!(st.apply(0, 1000), 127);
        assert_eq!(st.apply(0, -1000), -128);
        let (lo, hi) = Activation::Relu.range(-5, None).unwrap();
        st.act_min = lo;
        st.act_max = hi;
        assert_eq!(st.apply(0, -100), -5);
        assert_eq!(Activation::Relu6.range(-5, Some(0.05)).unwrap(), (-5, 115));
        assert_eq!(
            Activation::Relu6.range(100, Some(0.05)).unwrap(),
            (100, 127)
        );
        assert!(Activation::Relu6.range(0, None).is_err());
        // float32, as TFLite: 6 / 0.8f is exactly 7.5 in float32 (rounds to 8), 7.4999999 in f64.
        assert_eq!(
            Activation::Relu6.range(0, Some(0.800000011920929)).unwrap(),
            (0, 8)
        );
        assert!(Activation::Relu6.range(1, Some(1e-19)).is_err());
        assert!(Activation::Relu6.range(1, Some(-1.0)).is_err());
        // A scale that is not a finite positive float32, and a clamp of one value, are refused
        // (`relu6 --out-scale 1e300` or `inf` clamped to [0, 0]: every output 0, issue 22).
        for scale in [1e300, f64::INFINITY, f64::NAN, 0.0, 1e-50] {
            let e = Activation::Relu6
                .range(0, Some(scale))
                .unwrap_err()
                .to_string();
            assert!(e.contains("finite positive"), "{scale}: {e}");
            assert!(Activation::None.range(0, Some(scale)).is_err());
        }
        let e = Activation::Relu6
            .range(0, Some(13.0))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("clamps to [0, 0]: every output would be 0"),
            "{e}"
        );
        assert_eq!(Activation::Relu6.range(0, Some(11.0)).unwrap(), (0, 1));
        let e = Activation::Relu.range(127, None).unwrap_err().to_string();
        assert!(
            e.contains("relu with output zero point 127 clamps to [127, 127]"),
            "{e}"
        );
        assert!(st.validate(2).is_ok());
        assert!(st.validate(3).is_err());
    }

    #[test]
    fn folded_zero_point_equals_subtracting_it_from_every_activation() {
        let a = Matrix::<i8>::random(5, 7, 3);
        let b = Matrix::<i8>::random(7, 4, 4);
        let zp = -37;
        let mut st = per_tensor(4, quant_half());
        st.bias = vec![1, 2, 3, -4];
        let direct = Matrix::from_fn(5, 4, |m, n| {
            let acc: i32 = (0..7)
                .map(|k| (i32::from(a.get(m, k)) - zp) * i32::from(b.get(k, n)))
                .sum();
            st.apply(n, acc)
        });
        let mut folded = st.clone();
        folded.fold_input_zero_point(zp, &b);
        let c = crate::matrix::reference_matmul(&a, &b);
        assert_eq!(folded.apply_matrix(&c), direct);
    }

    /// A stage for `n` columns with zero bias, one requantization for all, zero point 0 and the
    /// full int8 range.
    fn per_tensor(n: usize, requant: Requant) -> OutputStage {
        OutputStage {
            bias: vec![0; n],
            requant: vec![requant; n],
            out_zero_point: 0,
            act_min: -128,
            act_max: 127,
        }
    }

    fn quant_half() -> Requant {
        Requant {
            multiplier: 1 << 30,
            shift: -3,
        }
    }
}
