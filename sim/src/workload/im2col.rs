//! A convolution lowered to a GEMM by im2col: the geometry of one channel group, where each
//! element of the im2col matrix comes from in the ifmap, and the expanded matrix itself
//! (`docs/microarchitecture.md`, "Convolutions: the ifmap in buffer A").

use crate::matrix::Matrix;

/// One channel group of a convolution as the im2col address unit sees it: the GEMM is
/// `M = batch x ofmap_h x ofmap_w` output pixels by `K = filter_h x filter_w x channels`, with
/// `k = (fh x filter_w + fw) x channels + c`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Im2col {
    /// Images in the batch.
    pub batch: usize,
    /// Ifmap height and width, unpadded.
    pub ifmap_h: usize,
    /// Ifmap width, unpadded.
    pub ifmap_w: usize,
    /// Channels of this group.
    pub channels: usize,
    /// Filter height.
    pub filter_h: usize,
    /// Filter width.
    pub filter_w: usize,
    /// Vertical stride.
    pub stride_h: usize,
    /// Horizontal stride.
    pub stride_w: usize,
    /// Zero rows above the ifmap.
    pub pad_top: usize,
    /// Zero columns left of the ifmap.
    pub pad_left: usize,
    /// Ofmap height.
    pub ofmap_h: usize,
    /// Ofmap width.
    pub ofmap_w: usize,
}

impl Im2col {
    /// The GEMM's `(M, K)`.
    pub fn mk(&self) -> (usize, usize) {
        (
            self.batch * self.ofmap_h * self.ofmap_w,
            self.filter_h * self.filter_w * self.channels,
        )
    }

    /// Ifmap rows (`batch x ifmap_h`): the DMA's unit of transfer.
    pub fn rows(&self) -> u64 {
        (self.batch as u64).saturating_mul(self.ifmap_h as u64)
    }

    /// Elements of one ifmap row (`ifmap_w x channels`).
    pub fn row_elems(&self) -> u64 {
        (self.ifmap_w as u64).saturating_mul(self.channels as u64)
    }

    /// Where element `(m, k)` of the im2col matrix comes from: `(ifmap row, offset in the row)`,
    /// or `None` for a padding zero.
    pub fn source(&self, m: usize, k: usize) -> Option<(usize, usize)> {
        let (n, p) = (
            m / (self.ofmap_h * self.ofmap_w),
            m % (self.ofmap_h * self.ofmap_w),
        );
        let (oh, ow) = (p / self.ofmap_w, p % self.ofmap_w);
        let (fh, r) = (
            k / (self.filter_w * self.channels),
            k % (self.filter_w * self.channels),
        );
        let (fw, c) = (r / self.channels, r % self.channels);
        let ih = (oh * self.stride_h + fh).checked_sub(self.pad_top)?;
        let iw = (ow * self.stride_w + fw).checked_sub(self.pad_left)?;
        (ih < self.ifmap_h && iw < self.ifmap_w)
            .then_some((n * self.ifmap_h + ih, iw * self.channels + c))
    }

    /// The im2col matrix of an ifmap given as `rows() x row_elems()` values (NHWC): each
    /// output pixel's filter window, one run of `channels` values per filter tap, zeros for
    /// padding (element by element this is [`Im2col::source`]).
    pub fn expand<T: Copy + Default>(&self, ifmap: &[T]) -> Matrix<T> {
        self.expand_padded(ifmap, T::default())
    }

    /// [`Im2col::expand`] with `pad` for padding. A quantized layer pads with its input zero
    /// point, the int8 code of real 0 (`docs/quantization.md`, "Padding").
    pub fn expand_padded<T: Copy + Default>(&self, ifmap: &[T], pad: T) -> Matrix<T> {
        let (m, k) = self.mk();
        let c = self.channels;
        let mut out = vec![pad; m * k];
        for (i, row) in out.chunks_exact_mut(k.max(1)).enumerate() {
            let (n, p) = (
                i / (self.ofmap_h * self.ofmap_w),
                i % (self.ofmap_h * self.ofmap_w),
            );
            let (oh, ow) = (p / self.ofmap_w, p % self.ofmap_w);
            for fh in 0..self.filter_h {
                let Some(ih) = (oh * self.stride_h + fh)
                    .checked_sub(self.pad_top)
                    .filter(|&ih| ih < self.ifmap_h)
                else {
                    continue;
                };
                for fw in 0..self.filter_w {
                    let Some(iw) = (ow * self.stride_w + fw)
                        .checked_sub(self.pad_left)
                        .filter(|&iw| iw < self.ifmap_w)
                    else {
                        continue;
                    };
                    let from = ((n * self.ifmap_h + ih) * self.ifmap_w + iw) * c;
                    let to = (fh * self.filter_w + fw) * c;
                    row[to..to + c].copy_from_slice(&ifmap[from..from + c]);
                }
            }
        }
        Matrix::from_vec(m, k, out).expect("m x k values")
    }

    /// An interval of ifmap rows holding every row the elements `m0..=m1` x `k0..=k1` read, `None`
    /// when they all fall in padding rows. Output pixels map monotonically onto rows, so the
    /// interval runs from the first pixel row with a row inside the image to the last one. Column
    /// padding is not looked at: an element in a padding column still counts its row, so the
    /// interval may be wider than the rows actually read (exact without left/right padding).
    pub(crate) fn need(
        &self,
        (m0, m1): (usize, usize),
        (k0, k1): (usize, usize),
    ) -> Option<(u64, u64)> {
        let fw_c = self.filter_w * self.channels;
        let (fh0, fh1) = ((k0 / fw_c) as i64, (k1 / fw_c) as i64);
        let (h, oh_n) = (self.ifmap_h as i64, self.ofmap_h);
        // Pixel row p = n x ofmap_h + oh: its rows inside the image.
        let rows_of = |p: usize| {
            let (n, oh) = ((p / oh_n) as i64, (p % oh_n) as i64);
            let base = oh * self.stride_h as i64 - self.pad_top as i64;
            let (lo, hi) = ((base + fh0).max(0), (base + fh1).min(h - 1));
            (lo <= hi).then_some(((n * h + lo) as u64, (n * h + hi) as u64))
        };
        let (p0, p1) = (m0 / self.ofmap_w, m1 / self.ofmap_w);
        let lo = (p0..=p1).find_map(rows_of)?.0;
        let hi = (p0..=p1).rev().find_map(rows_of)?.1;
        Some((lo, hi))
    }
}
