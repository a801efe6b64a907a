//! Built-in quantized networks: int8 layers with their weights, biases and requantization
//! parameters, run one layer after another with each layer's int8 output as the next layer's
//! input (`docs/quantization.md`, "A quantized network").
//!
//! The arithmetic is TFLite's int8 scheme: activations asymmetric (a zero point per tensor),
//! weights symmetric per output channel, an int32 bias per output channel, and the output stage's
//! requantization ([`crate::quant`]). A layer's GEMM is the im2col matrix of its input (padding
//! holds the input zero point, the int8 code of real 0) times its `K x N` weights, with the input
//! zero point folded into the bias ([`OutputStage::fold_input_zero_point`]).
//!
//! [`QuantLayer::reference`] computes a layer directly, without im2col or folding: a convolution
//! loop over `(x - zp) x w` that skips padding taps, then TFLite's unfolded bias and
//! [`requantize`]. It is the model the GEMM runs are checked against; `tests/cli_infer.rs` checks
//! the whole network once more against an independent Python implementation.
//!
//! Weights and biases are generated from a fixed seed; each layer's output scale and zero point
//! are calibrated on the built-in input, as TFLite's post-training quantization calibrates on
//! representative data (min/max of the real-valued output, ReLU/ReLU6 applied). The calibration
//! is in `f64` and runs once, when the network is built; everything after it is integer.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::matrix::Matrix;
use crate::quant::{quantize_multiplier, requantize, Activation, OutputStage, Requant};
use crate::workload::{Conv, Layer, LayerOp, Workload};

/// Names of the built-in quantized networks.
pub const NAMES: &[&str] = &["int8-cnn"];

/// One int8 layer: a convolution (ungrouped, one image) or a fully connected layer (one vector).
#[derive(Debug, Clone, PartialEq)]
pub struct QuantLayer {
    /// Layer name.
    pub name: String,
    /// Shape: `LayerOp::Conv` with `groups = 1` and `batch = 1`, or `LayerOp::Fc` with
    /// `batch = 1`.
    pub op: LayerOp,
    /// Weights, `K x N` in im2col order (`k = (fh x filter_w + fw) x channels + c`), symmetric
    /// int8 in -127..=127.
    pub weights: Matrix<i8>,
    /// TFLite's int32 bias per output channel (the input zero point not folded in).
    pub bias: Vec<i32>,
    /// Requantization per output channel.
    pub requant: Vec<Requant>,
    /// Zero point of the input.
    pub in_zero_point: i32,
    /// Zero point of the output.
    pub out_zero_point: i32,
    /// Fused activation.
    pub activation: Activation,
    /// Clamp range of the output (from the activation, the output zero point and scale).
    pub clamp: (i8, i8),
    /// Scale of the input (real value of one step), float32 as TFLite holds it.
    pub in_scale: f32,
    /// Scale of each output channel's weights.
    pub weight_scales: Vec<f32>,
    /// Scale of the output.
    pub out_scale: f32,
}

impl QuantLayer {
    /// The GEMM's `(M, N, K)`.
    pub fn mnk(&self) -> (usize, usize, usize) {
        let s = self.op.gemm().0;
        (s.m, s.n, s.k)
    }

    /// Elements of the input (NHWC for a convolution).
    pub fn input_len(&self) -> usize {
        match self.op {
            LayerOp::Conv(c) => c.ifmap_h * c.ifmap_w * c.channels,
            _ => self.mnk().2,
        }
    }

    /// Elements of the output (`M x N`: NHWC for a convolution).
    pub fn output_len(&self) -> usize {
        let (m, n, _) = self.mnk();
        m * n
    }

    /// The output stage the accelerator runs: the bias with the input zero point folded in.
    pub fn stage(&self) -> OutputStage {
        let mut st = OutputStage {
            bias: self.bias.clone(),
            requant: self.requant.clone(),
            out_zero_point: self.out_zero_point,
            act_min: self.clamp.0,
            act_max: self.clamp.1,
        };
        st.fold_input_zero_point(self.in_zero_point, &self.weights);
        st
    }

    /// The GEMM's A for `input`: a convolution's im2col matrix, padded with the input zero
    /// point, or a fully connected layer's input as one row.
    pub fn operand_a(&self, input: &[i8]) -> Matrix<i8> {
        assert_eq!(input.len(), self.input_len(), "input of {}", self.name);
        match self.op {
            LayerOp::Conv(c) => c.im2col().expand_padded(input, self.in_zero_point as i8),
            _ => Matrix::from_vec(1, input.len(), input.to_vec()).expect("one row"),
        }
    }

    /// The int32 accumulators `sum (x - zp) x w` computed directly (no im2col, no folding): a
    /// padding tap contributes nothing. `M x N`, row-major.
    pub fn accumulators(&self, input: &[i8]) -> Vec<i32> {
        assert_eq!(input.len(), self.input_len(), "input of {}", self.name);
        let (m, n, _) = self.mnk();
        let zp = self.in_zero_point;
        let w = &self.weights;
        let mut acc = vec![0i32; m * n];
        match self.op {
            LayerOp::Conv(c) => {
                let (oh_n, ow_n) = (c.ofmap_h(), c.ofmap_w());
                for oh in 0..oh_n {
                    for ow in 0..ow_n {
                        let out = &mut acc[(oh * ow_n + ow) * n..][..n];
                        for fh in 0..c.filter_h {
                            let ih = (oh * c.stride_h + fh) as isize - c.pad_top as isize;
                            if ih < 0 || ih >= c.ifmap_h as isize {
                                continue;
                            }
                            for fw in 0..c.filter_w {
                                let iw = (ow * c.stride_w + fw) as isize - c.pad_left as isize;
                                if iw < 0 || iw >= c.ifmap_w as isize {
                                    continue;
                                }
                                let px = (ih as usize * c.ifmap_w + iw as usize) * c.channels;
                                for ch in 0..c.channels {
                                    let x = i32::from(input[px + ch]) - zp;
                                    let k = (fh * c.filter_w + fw) * c.channels + ch;
                                    for (f, o) in out.iter_mut().enumerate() {
                                        *o = o.wrapping_add(x * i32::from(w.get(k, f)));
                                    }
                                }
                            }
                        }
                    }
                }
            }
            _ => {
                for (k, &v) in input.iter().enumerate() {
                    let x = i32::from(v) - zp;
                    for (f, o) in acc.iter_mut().enumerate() {
                        *o = o.wrapping_add(x * i32::from(w.get(k, f)));
                    }
                }
            }
        }
        acc
    }

    /// The layer's int8 output for `input`, computed directly: [`QuantLayer::accumulators`],
    /// then TFLite's bias add and [`requantize`] per output channel.
    pub fn reference(&self, input: &[i8]) -> Vec<i8> {
        let n = self.mnk().1;
        self.accumulators(input)
            .iter()
            .enumerate()
            .map(|(i, &acc)| {
                let f = i % n;
                requantize(
                    acc,
                    self.bias[f],
                    self.requant[f],
                    self.out_zero_point,
                    self.clamp,
                )
            })
            .collect()
    }
}

/// A quantized network with its input.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantNet {
    /// Name.
    pub name: String,
    /// How it was made.
    pub source: String,
    /// The input, NHWC int8 (`height x width x channels` of one image).
    pub input: Vec<i8>,
    /// Input height, width and channels.
    pub input_hwc: (usize, usize, usize),
    /// The layers in order; layer `i + 1` reads layer `i`'s output.
    pub layers: Vec<QuantLayer>,
}

impl QuantNet {
    /// A built-in network by name ([`NAMES`]).
    pub fn builtin(name: &str) -> Option<QuantNet> {
        match name {
            "int8-cnn" => Some(int8_cnn()),
            _ => None,
        }
    }

    /// The network as a workload (its layers' shapes), carrying the network so that
    /// [`crate::run::run_workload`] runs it on its real data with the output stage.
    pub fn workload(&self) -> Workload {
        Workload {
            name: self.name.clone(),
            source: self.source.clone(),
            layers: self
                .layers
                .iter()
                .map(|l| Layer::new(l.name.clone(), l.op))
                .collect(),
            notes: vec![],
            quantized: Some(std::sync::Arc::new(self.clone())),
        }
    }

    /// Every layer's output computed by [`QuantLayer::reference`], layer by layer.
    pub fn reference(&self) -> Vec<Vec<i8>> {
        let mut outs: Vec<Vec<i8>> = Vec::with_capacity(self.layers.len());
        for l in &self.layers {
            let input = outs.last().unwrap_or(&self.input);
            outs.push(l.reference(input));
        }
        outs
    }

    /// Runs the network layer by layer with `gemm`, which gets the layer's index, the layer, its
    /// A ([`QuantLayer::operand_a`] of the previous output) and its output stage, and returns
    /// the int8 `M x N` result; that result is the next layer's input. Returns every layer's
    /// output.
    pub fn forward<E>(
        &self,
        mut gemm: impl FnMut(usize, &QuantLayer, &Matrix<i8>, &OutputStage) -> Result<Matrix<i8>, E>,
    ) -> Result<Vec<Matrix<i8>>, E> {
        let mut outs: Vec<Matrix<i8>> = Vec::with_capacity(self.layers.len());
        for (i, l) in self.layers.iter().enumerate() {
            let input = outs.last().map_or(&self.input[..], |m| m.as_slice());
            let a = l.operand_a(input);
            let c = gemm(i, l, &a, &l.stage())?;
            let (m, n, _) = l.mnk();
            assert_eq!(
                (c.rows(), c.cols()),
                (m, n),
                "the GEMM of {} returned the wrong shape",
                l.name
            );
            outs.push(c);
        }
        Ok(outs)
    }
}

/// `int8-cnn`: a small image classifier, 12x12x3 input, three 3x3 convolutions (ReLU, ReLU6,
/// ReLU; two with stride 2) and two fully connected layers, 10 outputs.
fn int8_cnn() -> QuantNet {
    let conv = |hw: usize, c: usize, f: usize, s: usize| {
        LayerOp::Conv(Conv::unpadded((hw, hw), (3, 3), c, f, s).padded(1))
    };
    let fc = |inputs: usize, outputs: usize| LayerOp::Fc {
        batch: 1,
        inputs,
        outputs,
    };
    build(
        "int8-cnn",
        (12, 12, 3),
        &[
            (
                "conv1",
                conv(12, 3, 8, 1),
                Activation::Relu,
                Range::BeforeActivation,
            ),
            (
                "conv2",
                conv(12, 8, 16, 2),
                Activation::Relu6,
                Range::BeforeActivation,
            ),
            (
                "conv3",
                conv(6, 16, 16, 2),
                Activation::Relu,
                Range::AfterActivation,
            ),
            (
                "fc1",
                fc(3 * 3 * 16, 32),
                Activation::Relu,
                Range::AfterActivation,
            ),
            ("fc2", fc(32, 10), Activation::None, Range::AfterActivation),
        ],
        0x1A7E_5EED,
    )
}

/// Which real-valued range a layer's output scale and zero point are calibrated on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Range {
    /// The output after the fused activation (TFLite's post-training quantization): a ReLU
    /// layer's zero point is -128 and the clamp never cuts.
    AfterActivation,
    /// The output before it, as when a tensor's recorded range is wider than its fused
    /// activation: the zero point is above -128 and the clamp cuts values off.
    BeforeActivation,
}

/// Largest real value of a layer's output before calibration: the weight scales are set so
/// that the largest |accumulator + bias| maps to it (a typical activation range, and beyond
/// ReLU6's 6 so that its clamp matters).
const REAL_RANGE: f64 = 8.0;

/// Generates a network from its layer shapes and a seed, calibrating each layer's output on the
/// output of the layers before it.
fn build(
    name: &str,
    input_hwc: (usize, usize, usize),
    specs: &[(&str, LayerOp, Activation, Range)],
    seed: u64,
) -> QuantNet {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // The input: an 8-bit image (0..=255) quantized with scale 1/255 and zero point -128.
    let (h, w, c) = input_hwc;
    let input: Vec<i8> = (0..h * w * c).map(|_| rng.random::<i8>()).collect();
    let mut x = input.clone();
    let (mut in_scale, mut in_zp) = (1.0f32 / 255.0, -128);
    let mut layers = Vec::new();
    for &(lname, op, activation, range) in specs {
        let s = op.gemm().0;
        let weights = Matrix::from_fn(s.k, s.n, |_, _| rng.random_range(-127..=127i8));
        let spread: Vec<f64> = (0..s.n).map(|_| rng.random_range(0.5..2.0)).collect();
        let mut layer = QuantLayer {
            name: lname.to_string(),
            op,
            weights,
            bias: vec![0; s.n],
            requant: vec![Requant::default(); s.n],
            in_zero_point: in_zp,
            out_zero_point: 0,
            activation,
            clamp: (-128, 127),
            in_scale,
            weight_scales: vec![],
            out_scale: 1.0,
        };
        assert_eq!(layer.input_len(), x.len(), "{name}: {lname}'s input");
        let acc = layer.accumulators(&x);
        // A bias of up to a quarter of the largest accumulator, either sign.
        let big = acc.iter().map(|v| i64::from(*v).abs()).max().unwrap_or(0) / 4;
        layer.bias = (0..s.n)
            .map(|_| rng.random_range(-big..=big).clamp(-(1 << 30), 1 << 30) as i32)
            .collect();
        let sums: Vec<f64> = (0..acc.len())
            .map(|i| f64::from(acc[i]) + f64::from(layer.bias[i % s.n]))
            .collect();
        // Per-channel weight scales: a random spread between channels, normalised so that the
        // largest real output is about REAL_RANGE.
        let largest = (0..acc.len())
            .map(|i| (sums[i] * spread[i % s.n]).abs())
            .fold(0.0f64, f64::max)
            .max(1.0);
        let unit = REAL_RANGE / (largest * f64::from(in_scale));
        layer.weight_scales = spread.iter().map(|&p| (p * unit) as f32).collect();
        // Calibration: the real-valued output's range, always holding 0, with the activation
        // applied or not.
        let (mut lo, mut hi) = (0.0f64, 0.0f64);
        for (i, sum) in sums.iter().enumerate() {
            let real = sum * f64::from(in_scale) * f64::from(layer.weight_scales[i % s.n]);
            lo = lo.min(real);
            hi = hi.max(real);
        }
        if range == Range::AfterActivation {
            if activation != Activation::None {
                lo = 0.0;
            }
            if activation == Activation::Relu6 {
                hi = hi.min(6.0);
            }
        }
        let out_scale = ((hi - lo).max(1e-3) / 255.0) as f32;
        let out_zp = (-128.0 - lo / f64::from(out_scale))
            .round()
            .clamp(-128.0, 127.0) as i32;
        // TFLite's real multiplier: float32 scales, multiplied in double.
        layer.requant = layer
            .weight_scales
            .iter()
            .map(|&ws| {
                let real = f64::from(in_scale) * f64::from(ws) / f64::from(out_scale);
                let (multiplier, shift) = quantize_multiplier(real);
                Requant { multiplier, shift }
            })
            .collect();
        layer.out_zero_point = out_zp;
        layer.out_scale = out_scale;
        layer.clamp = activation
            .range(out_zp, Some(f64::from(out_scale)))
            .expect("an output scale of at least 1e-3 / 255");
        x = layer.reference(&x);
        in_scale = out_scale;
        in_zp = out_zp;
        layers.push(layer);
    }
    QuantNet {
        name: name.to_string(),
        source: format!(
            "built in: int8 weights and biases from seed {seed:#x}, per-channel requantization \
             calibrated on the built-in input (docs/quantization.md)"
        ),
        input,
        input_hwc,
        layers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every layer's output uses the int8 range: a degenerate network (all outputs clamped or
    /// equal) would let a wrong requantization pass.
    #[test]
    fn built_in_network_is_not_degenerate() {
        let net = QuantNet::builtin("int8-cnn").unwrap();
        let outs = net.reference();
        assert_eq!(outs.len(), 5);
        assert_eq!(outs.last().unwrap().len(), 10);
        for (l, out) in net.layers.iter().zip(&outs) {
            let mut distinct: Vec<i8> = out.clone();
            distinct.sort_unstable();
            distinct.dedup();
            assert!(
                distinct.len() >= 8.min(out.len()),
                "{}: {} distinct values",
                l.name,
                distinct.len()
            );
            let clamped = out
                .iter()
                .filter(|&&v| v == l.clamp.0 || v == l.clamp.1)
                .count();
            assert!(clamped < out.len(), "{}: everything clamped", l.name);
            assert!(l.requant.iter().all(|r| r.multiplier > 0), "{}", l.name);
        }
        // The clamps cut values off: conv1's ReLU floor (its zero point, above -128) and conv2's
        // ReLU6 ceiling (below 127) are reached by outputs whose unclamped values lie beyond
        // them, so an activation range of (-128, 127) would change these layers.
        let (c1, c2) = (&net.layers[0], &net.layers[1]);
        assert!(c1.clamp.0 > -128 && c1.clamp.0 == c1.out_zero_point as i8);
        assert!(c2.clamp.0 > -128 && c2.clamp.1 < 127, "{:?}", c2.clamp);
        let unclamped = |l: &QuantLayer, input: &[i8]| {
            let mut free = l.clone();
            free.clamp = (-128, 127);
            free.reference(input)
        };
        assert_ne!(unclamped(c1, &net.input), outs[0]);
        let free2 = unclamped(c2, &outs[0]);
        assert!(free2.iter().any(|&v| v > c2.clamp.1));
        assert!(free2.iter().any(|&v| v < c2.clamp.0));
        // Padding reads distinct zero points: conv2 and conv3 read inputs whose zero points are
        // neither -128 nor their own output's.
        for l in &net.layers[1..3] {
            assert!(
                l.in_zero_point != -128 && l.in_zero_point != l.out_zero_point,
                "{}",
                l.name
            );
        }
        // The same seed gives the same network.
        assert_eq!(net, QuantNet::builtin("int8-cnn").unwrap());
    }

    /// The GEMM form (im2col padded with the zero point, bias folded) equals the direct form on
    /// every layer, and padding with 0 instead does not.
    #[test]
    fn gemm_form_equals_direct_form() {
        let net = QuantNet::builtin("int8-cnn").unwrap();
        let want = net.reference();
        let outs = net
            .forward(|_, l, a, st| {
                let c = crate::matrix::reference_matmul(a, &l.weights);
                Ok::<_, ()>(st.apply_matrix(&c))
            })
            .unwrap();
        for (o, w) in outs.iter().zip(&want) {
            assert_eq!(o.as_slice(), &w[..]);
        }
        // Zero padding on a layer with a non-zero input zero point changes the border pixels.
        let l = &net.layers[1];
        assert_ne!(l.in_zero_point, 0);
        let LayerOp::Conv(c) = l.op else {
            panic!("conv2 is a convolution")
        };
        let zero_padded = c.im2col().expand(&want[0]);
        let c0 = l
            .stage()
            .apply_matrix(&crate::matrix::reference_matmul(&zero_padded, &l.weights));
        assert_ne!(c0.as_slice(), &want[1][..]);
    }
}
