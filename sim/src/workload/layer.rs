//! Layers and how each maps onto the GEMM the array runs.
//!
//! A convolution maps by im2col exactly as SCALE-Sim maps it: `M` = output pixels (times the
//! batch), `N` = filters, `K` = filter height x filter width x channels. Unlike SCALE-Sim, padding
//! is explicit (SCALE-Sim has none; its users pad the ifmap size by hand) and the stride may differ
//! between the two dimensions. A grouped convolution runs as one GEMM per group (`M` = output
//! pixels, `N` = filters / groups, `K` = filter height x width x channels / groups); a depthwise
//! one is the case groups = channels, one GEMM per channel with `N` = the channel multiplier and
//! `K` = filter height x width. A fully connected layer is a GEMM with `M` = batch.

use serde::{Deserialize, Serialize};

use crate::workload::im2col::Im2col;
use crate::workload::GemmShape;

/// A 2-D convolution (optionally grouped or depthwise) on a batch of ifmaps, NHWC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Conv {
    /// Images in the batch.
    pub batch: usize,
    /// Ifmap height, before padding.
    pub ifmap_h: usize,
    /// Ifmap width, before padding.
    pub ifmap_w: usize,
    /// Input channels.
    pub channels: usize,
    /// Filter height.
    pub filter_h: usize,
    /// Filter width.
    pub filter_w: usize,
    /// Output channels (all groups together). For a depthwise layer, `channels` x the channel
    /// multiplier.
    pub filters: usize,
    /// Vertical stride.
    pub stride_h: usize,
    /// Horizontal stride.
    pub stride_w: usize,
    /// Zero rows added above the ifmap.
    pub pad_top: usize,
    /// Zero rows added below the ifmap.
    pub pad_bottom: usize,
    /// Zero columns added left of the ifmap.
    pub pad_left: usize,
    /// Zero columns added right of the ifmap.
    pub pad_right: usize,
    /// Channel groups: each group of `filters / groups` output channels reads only its own
    /// `channels / groups` input channels (one GEMM per group). 1 for an ordinary convolution,
    /// `channels` for a depthwise one.
    pub groups: usize,
}

/// What a layer computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum LayerOp {
    /// A plain GEMM `C[M,N] = A[M,K] x B[K,N]`.
    Gemm {
        /// Rows of A and C.
        m: usize,
        /// Columns of B and C.
        n: usize,
        /// The reduction.
        k: usize,
    },
    /// A convolution, by im2col.
    Conv(Conv),
    /// A fully connected layer on a batch of vectors.
    Fc {
        /// Vectors in the batch.
        batch: usize,
        /// Input features.
        inputs: usize,
        /// Output features.
        outputs: usize,
    },
}

impl Conv {
    /// A square-filter, square-stride, unpadded convolution of one image (SCALE-Sim's form).
    pub fn unpadded(
        ifmap: (usize, usize),
        filter: (usize, usize),
        channels: usize,
        filters: usize,
        stride: usize,
    ) -> Conv {
        Conv {
            batch: 1,
            ifmap_h: ifmap.0,
            ifmap_w: ifmap.1,
            channels,
            filter_h: filter.0,
            filter_w: filter.1,
            filters,
            stride_h: stride,
            stride_w: stride,
            pad_top: 0,
            pad_bottom: 0,
            pad_left: 0,
            pad_right: 0,
            groups: 1,
        }
    }

    /// The same layer with `p` zero rows and columns on every side.
    pub fn padded(mut self, p: usize) -> Conv {
        self.pad_top = p;
        self.pad_bottom = p;
        self.pad_left = p;
        self.pad_right = p;
        self
    }

    /// The same layer made depthwise (one filter per channel times `multiplier`; the product
    /// saturates, and [`Conv::check`] refuses a layer whose sizes do not fit).
    pub fn depthwise(mut self, multiplier: usize) -> Conv {
        self.groups = self.channels;
        self.filters = self.channels.saturating_mul(multiplier);
        self
    }

    /// The same layer split into `groups` channel groups.
    pub fn grouped(mut self, groups: usize) -> Conv {
        self.groups = groups;
        self
    }

    /// A depthwise layer: one group per input channel.
    pub fn is_depthwise(&self) -> bool {
        self.groups == self.channels && self.groups > 1
    }

    // Sizes saturate rather than overflow: a layer read from a file may be absurd, and
    // [`Conv::check`] refuses one whose sizes do not fit.

    /// Padded ifmap height.
    pub fn padded_h(&self) -> usize {
        self.ifmap_h
            .saturating_add(self.pad_top)
            .saturating_add(self.pad_bottom)
    }

    /// Padded ifmap width.
    pub fn padded_w(&self) -> usize {
        self.ifmap_w
            .saturating_add(self.pad_left)
            .saturating_add(self.pad_right)
    }

    /// Ofmap height: `(H + pad_top + pad_bottom - R) / stride_h + 1`, rounded down.
    pub fn ofmap_h(&self) -> usize {
        self.padded_h().saturating_sub(self.filter_h) / self.stride_h.max(1) + 1
    }

    /// Ofmap width: `(W + pad_left + pad_right - S) / stride_w + 1`, rounded down.
    pub fn ofmap_w(&self) -> usize {
        self.padded_w().saturating_sub(self.filter_w) / self.stride_w.max(1) + 1
    }

    /// `(M, N, K)` of one group's GEMM, `None` when a size overflows.
    fn checked_gemm(&self) -> Option<(usize, usize, usize)> {
        self.ifmap_h
            .checked_add(self.pad_top)?
            .checked_add(self.pad_bottom)?;
        self.ifmap_w
            .checked_add(self.pad_left)?
            .checked_add(self.pad_right)?;
        let m = self
            .batch
            .checked_mul(self.ofmap_h())?
            .checked_mul(self.ofmap_w())?;
        let k = self
            .filter_h
            .checked_mul(self.filter_w)?
            .checked_mul(self.channels / self.groups.max(1))?;
        Some((m, self.filters / self.groups.max(1), k))
    }

    /// Checks the geometry; the message names the offending field.
    pub fn check(&self) -> Result<(), String> {
        for (name, v) in [
            ("batch", self.batch),
            ("ifmap_h", self.ifmap_h),
            ("ifmap_w", self.ifmap_w),
            ("channels", self.channels),
            ("filter_h", self.filter_h),
            ("filter_w", self.filter_w),
            ("filters", self.filters),
            ("stride_h", self.stride_h),
            ("stride_w", self.stride_w),
            ("groups", self.groups),
        ] {
            if v == 0 {
                return Err(format!("{name} = 0: must be at least 1"));
            }
        }
        if self.filter_h > self.padded_h() {
            return Err(format!(
                "filter_h = {} is taller than the padded ifmap ({} + {} + {} rows)",
                self.filter_h, self.ifmap_h, self.pad_top, self.pad_bottom
            ));
        }
        if self.filter_w > self.padded_w() {
            return Err(format!(
                "filter_w = {} is wider than the padded ifmap ({} + {} + {} columns)",
                self.filter_w, self.ifmap_w, self.pad_left, self.pad_right
            ));
        }
        if !self.channels.is_multiple_of(self.groups) || !self.filters.is_multiple_of(self.groups) {
            return Err(format!(
                "groups = {}: must divide channels = {} and filters = {}",
                self.groups, self.channels, self.filters
            ));
        }
        if self.checked_gemm().is_none() {
            return Err(format!(
                "too large: the padded ifmap, M = batch x ofmap pixels ({} x {} x {}) or K = filter area x channels does not fit in {} bits",
                self.batch,
                self.ofmap_h(),
                self.ofmap_w(),
                usize::BITS
            ));
        }
        Ok(())
    }

    /// The GEMM one run of the array computes and how many such GEMMs the layer needs (one per
    /// group).
    pub fn gemm(&self) -> (GemmShape, u64) {
        let g = self.groups.max(1);
        let shape = GemmShape {
            m: self
                .batch
                .saturating_mul(self.ofmap_h())
                .saturating_mul(self.ofmap_w()),
            n: self.filters / g,
            k: self
                .filter_h
                .saturating_mul(self.filter_w)
                .saturating_mul(self.channels / g),
        };
        (shape, g as u64)
    }

    /// One channel group as the im2col address unit sees it.
    pub fn im2col(&self) -> Im2col {
        Im2col {
            batch: self.batch,
            ifmap_h: self.ifmap_h,
            ifmap_w: self.ifmap_w,
            channels: self.channels / self.groups.max(1),
            filter_h: self.filter_h,
            filter_w: self.filter_w,
            stride_h: self.stride_h,
            stride_w: self.stride_w,
            pad_top: self.pad_top,
            pad_left: self.pad_left,
            ofmap_h: self.ofmap_h(),
            ofmap_w: self.ofmap_w(),
        }
    }

    /// Bytes of the (unpadded) int8 ifmap tensor, the whole batch (saturating).
    pub fn ifmap_bytes(&self) -> u64 {
        [self.ifmap_h, self.ifmap_w, self.channels]
            .iter()
            .fold(self.batch as u64, |acc, &x| acc.saturating_mul(x as u64))
    }
}

impl LayerOp {
    /// The GEMM the array runs for this layer and how many times it runs per layer instance.
    pub fn gemm(&self) -> (GemmShape, u64) {
        match *self {
            LayerOp::Gemm { m, n, k } => (GemmShape { m, n, k }, 1),
            LayerOp::Conv(c) => c.gemm(),
            LayerOp::Fc {
                batch,
                inputs,
                outputs,
            } => (
                GemmShape {
                    m: batch,
                    n: outputs,
                    k: inputs,
                },
                1,
            ),
        }
    }

    /// Checks the shape; the message names the offending field.
    pub fn check(&self) -> Result<(), String> {
        let dims: Vec<(&str, usize)> = match *self {
            LayerOp::Gemm { m, n, k } => vec![("m", m), ("n", n), ("k", k)],
            LayerOp::Conv(c) => {
                c.check()?;
                vec![]
            }
            LayerOp::Fc {
                batch,
                inputs,
                outputs,
            } => vec![("batch", batch), ("inputs", inputs), ("outputs", outputs)],
        };
        for (name, v) in dims {
            if v == 0 {
                return Err(format!("{name} = 0: must be at least 1"));
            }
        }
        let g = self.gemm().0;
        if (g.m as u64)
            .checked_mul(g.n as u64)
            .and_then(|x| x.checked_mul(g.k as u64))
            .is_none()
        {
            return Err(format!(
                "too large: the GEMM {}x{}x{} has more than 2^64 MACs",
                g.m, g.n, g.k
            ));
        }
        Ok(())
    }

    /// A short name of the kind: `gemm`, `conv`, `depthwise` or `fc`.
    pub fn kind(&self) -> &'static str {
        match self {
            LayerOp::Gemm { .. } => "gemm",
            LayerOp::Conv(c) if c.is_depthwise() => "depthwise",
            LayerOp::Conv(_) => "conv",
            LayerOp::Fc { .. } => "fc",
        }
    }

    /// A one-line description of the shape, e.g. `conv 56x56x64 3x3/1 p1 -> 56x56x64`.
    pub fn describe(&self) -> String {
        match *self {
            LayerOp::Gemm { m, n, k } => format!("gemm {m}x{n}x{k}"),
            LayerOp::Fc {
                batch,
                inputs,
                outputs,
            } => format!("fc {inputs} -> {outputs}, batch {batch}"),
            LayerOp::Conv(c) => {
                let stride = if c.stride_h == c.stride_w {
                    format!("{}", c.stride_h)
                } else {
                    format!("{}x{}", c.stride_h, c.stride_w)
                };
                let pads = [c.pad_top, c.pad_bottom, c.pad_left, c.pad_right];
                let pad = if pads.iter().all(|&p| p == 0) {
                    String::new()
                } else if pads.iter().all(|&p| p == pads[0]) {
                    format!(" p{}", pads[0])
                } else {
                    format!(" p{},{},{},{}", pads[0], pads[1], pads[2], pads[3])
                };
                let groups = if c.groups > 1 && !c.is_depthwise() {
                    format!(", {} groups", c.groups)
                } else {
                    String::new()
                };
                let batch = if c.batch > 1 {
                    format!(", batch {}", c.batch)
                } else {
                    String::new()
                };
                format!(
                    "{} {}x{}x{} {}x{}/{stride}{pad} -> {}x{}x{}{groups}{batch}",
                    self.kind(),
                    c.ifmap_h,
                    c.ifmap_w,
                    c.channels,
                    c.filter_h,
                    c.filter_w,
                    c.ofmap_h(),
                    c.ofmap_w(),
                    c.filters
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resnet_stem_maps_like_im2col() {
        // ResNet conv1: 224x224x3, 7x7/2, pad 3 -> 112x112x64.
        let c = Conv::unpadded((224, 224), (7, 7), 3, 64, 2).padded(3);
        assert_eq!((c.ofmap_h(), c.ofmap_w()), (112, 112));
        let (g, runs) = c.gemm();
        assert_eq!((g.m, g.n, g.k, runs), (112 * 112, 64, 7 * 7 * 3, 1));
    }

    #[test]
    fn scalesim_has_no_padding_and_rounds_down() {
        // AlexNet conv1 as SCALE-Sim's CSV gives it: 227x227, 11x11/4 -> 55x55.
        let c = Conv::unpadded((227, 227), (11, 11), 3, 96, 4);
        assert_eq!((c.ofmap_h(), c.ofmap_w()), (55, 55));
        // (10 - 3) / 2 + 1 = 4, the last column of the ifmap unused.
        let c = Conv::unpadded((10, 10), (3, 3), 1, 1, 2);
        assert_eq!(c.ofmap_w(), 4);
    }

    #[test]
    fn strides_and_pads_per_dimension() {
        let mut c = Conv::unpadded((8, 20), (3, 5), 4, 6, 1);
        c.stride_w = 3;
        c.pad_left = 2;
        c.batch = 2;
        // h: (8 - 3) / 1 + 1 = 6; w: (20 + 2 - 5) / 3 + 1 = 6.
        assert_eq!((c.ofmap_h(), c.ofmap_w()), (6, 6));
        let (g, _) = c.gemm();
        assert_eq!((g.m, g.n, g.k), (2 * 36, 6, 15 * 4));
        assert_eq!(c.ifmap_bytes(), 2 * 8 * 20 * 4);
    }

    #[test]
    fn depthwise_is_one_gemm_per_channel() {
        let c = Conv::unpadded((112, 112), (3, 3), 32, 32, 1)
            .padded(1)
            .depthwise(1);
        let (g, runs) = c.gemm();
        assert_eq!((g.m, g.n, g.k, runs), (112 * 112, 1, 9, 32));
        let op = LayerOp::Conv(c);
        assert_eq!(op.gemm().0.macs() * op.gemm().1, 112 * 112 * 9 * 32);
        let mut bad = c;
        bad.filters = 48;
        assert!(bad.check().unwrap_err().contains("must divide"));
        // AlexNet conv2 on two GPUs: two groups of 48 input and 128 output channels.
        let g = Conv::unpadded((27, 27), (5, 5), 96, 256, 1)
            .padded(2)
            .grouped(2);
        assert_eq!(
            g.gemm(),
            (
                GemmShape {
                    m: 729,
                    n: 128,
                    k: 25 * 48
                },
                2
            )
        );
        assert_eq!(
            LayerOp::Conv(g).describe(),
            "conv 27x27x96 5x5/1 p2 -> 27x27x256, 2 groups"
        );
    }

    #[test]
    fn checks_name_the_field() {
        let mut c = Conv::unpadded((5, 5), (7, 3), 1, 1, 1);
        assert!(c.check().unwrap_err().starts_with("filter_h = 7"));
        c = c.padded(1);
        assert!(c.check().is_ok());
        c.stride_w = 0;
        assert!(c.check().unwrap_err().starts_with("stride_w = 0"));
        let fc = LayerOp::Fc {
            batch: 0,
            inputs: 3,
            outputs: 4,
        };
        assert!(fc.check().unwrap_err().starts_with("batch = 0"));
    }

    #[test]
    fn absurd_sizes_are_refused_and_never_overflow() {
        // 10^10 x 10^10 output pixels: M overflows 64 bits.
        let c = Conv::unpadded((10_000_000_000, 10_000_000_000), (1, 1), 1, 1, 1);
        assert!(c.check().unwrap_err().starts_with("too large"));
        assert_eq!(c.gemm().0.m, usize::MAX);
        let mut p = Conv::unpadded((8, 8), (3, 3), 1, 1, 1);
        p.pad_top = usize::MAX;
        assert!(p.check().unwrap_err().starts_with("too large"));
        let huge = LayerOp::Gemm {
            m: 10_000_000,
            n: 10_000_000,
            k: 10_000_000,
        };
        assert_eq!(huge.gemm().0.macs(), u64::MAX);
        assert!(huge.check().unwrap_err().contains("more than 2^64 MACs"));
    }

    #[test]
    fn descriptions_read_like_the_papers() {
        let c = Conv::unpadded((56, 56), (3, 3), 64, 64, 1).padded(1);
        assert_eq!(
            LayerOp::Conv(c).describe(),
            "conv 56x56x64 3x3/1 p1 -> 56x56x64"
        );
        let fc = LayerOp::Fc {
            batch: 1,
            inputs: 512,
            outputs: 1000,
        };
        assert_eq!(fc.describe(), "fc 512 -> 1000, batch 1");
    }
}
