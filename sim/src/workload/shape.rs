//! The shape of a GEMM, `C[M,N] = A[M,K] x B[K,N]`, and the host-memory bound of the in-memory
//! model.

/// GEMM dimensions `C[M,N] = A[M,K] x B[K,N]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GemmShape {
    /// Rows of A and C.
    pub m: usize,
    /// Columns of B and C.
    pub n: usize,
    /// Columns of A, rows of B (the reduction).
    pub k: usize,
}

/// The largest problem the in-memory model accepts: operands, result and their buffer copies
/// (bytes). The fast model keeps the whole problem in host memory even with DRAM: its buffers hold
/// full images, and the memory system decides when each vector may be read (occupancy and timing).
pub const MAX_FOOTPRINT_BYTES: u64 = 8 << 30;

impl GemmShape {
    /// `M x N x K` multiply-accumulates (saturating: a shape from a file may be absurd).
    pub fn macs(&self) -> u64 {
        (self.m as u64)
            .saturating_mul(self.n as u64)
            .saturating_mul(self.k as u64)
    }

    /// Host bytes of the operands and the result as matrices (int8 A and B, int32 C); the
    /// simulation's buffers come on top (see [`check_footprint`]).
    pub fn footprint_bytes(&self) -> u64 {
        let (m, n, k) = (self.m as u64, self.n as u64, self.k as u64);
        m.saturating_mul(k)
            .saturating_add(k.saturating_mul(n))
            .saturating_add(m.saturating_mul(n).saturating_mul(4))
    }

    /// The GEMM of an `a.0 x a.1` A and a `b.0 x b.1` B, or why they do not conform.
    pub fn of_operands(
        a: (usize, usize),
        b: (usize, usize),
    ) -> Result<GemmShape, crate::error::RunError> {
        if a.1 != b.0 {
            return Err(crate::error::RunError::Shape(format!(
                "A is {}x{} and B is {}x{}: the columns of A (K = {}) must equal the rows of B (K = {})",
                a.0, a.1, b.0, b.1, a.1, b.0
            )));
        }
        Ok(GemmShape {
            m: a.0,
            n: b.1,
            k: a.1,
        })
    }

    /// Checks that every dimension is at least 1 and that the problem fits the in-memory model.
    pub fn check(&self) -> Result<(), crate::error::RunError> {
        for (d, v) in [("M", self.m), ("N", self.n), ("K", self.k)] {
            if v == 0 {
                return Err(crate::error::RunError::Shape(format!(
                    "{d} = 0: every GEMM dimension must be at least 1"
                )));
            }
        }
        check_footprint(*self, self.footprint_bytes())
    }
}

/// Fails when `bytes` of host memory exceed what the in-memory model accepts.
pub fn check_footprint(shape: GemmShape, bytes: u64) -> Result<(), crate::error::RunError> {
    if bytes > MAX_FOOTPRINT_BYTES {
        return Err(crate::error::RunError::Shape(format!(
            "{}x{}x{} (M x N x K) needs {:.1} GiB of host memory on this array; the in-memory model accepts up to {} GiB",
            shape.m,
            shape.n,
            shape.k,
            bytes as f64 / f64::from(1u32 << 30),
            MAX_FOOTPRINT_BYTES >> 30
        )));
    }
    Ok(())
}
