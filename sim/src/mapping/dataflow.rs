//! The dataflow descriptor: for each dataflow, which GEMM dimension goes to the array's rows, to
//! its columns and to the stream, which buffer feeds which edge, which operand (if any) stays in
//! the PEs, how each buffer lays its vectors out, and how an output row's lanes map to output
//! channels (`docs/microarchitecture.md`, "Mappings and fold order" and "Buffers"). The schedule, the memory
//! system and the mapper read this table instead of each deriving it.

use crate::config::{BufferId, Dataflow};
use crate::mapping::layout::LaneAxis;
use crate::workload::GemmShape;

/// A dimension of the GEMM `C[M,N] = A[M,K] x B[K,N]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    /// Rows of A and C (output pixels of a convolution).
    M,
    /// Columns of B and C (output channels).
    N,
    /// The reduction: columns of A, rows of B.
    K,
}

impl Dim {
    /// The three dimensions.
    pub const ALL: [Dim; 3] = [Dim::M, Dim::N, Dim::K];

    /// `m`, `n` or `k`, as mapping files write it.
    pub fn name(self) -> &'static str {
        match self {
            Dim::M => "m",
            Dim::N => "n",
            Dim::K => "k",
        }
    }

    /// Parses `m`, `n` or `k` (any case).
    pub fn parse(s: &str) -> Option<Dim> {
        match s.to_ascii_lowercase().as_str() {
            "m" => Some(Dim::M),
            "n" => Some(Dim::N),
            "k" => Some(Dim::K),
            _ => None,
        }
    }

    /// The extent of this dimension in `shape`.
    pub fn of(self, shape: GemmShape) -> usize {
        match self {
            Dim::M => shape.m,
            Dim::N => shape.n,
            Dim::K => shape.k,
        }
    }

    /// Whether operand (or result) `buf` is indexed by this dimension: A by M and K, B by K and
    /// N, C by M and N. A loop over a dimension its operand does not depend on reads the same
    /// tiles again, which is what lets a buffer keep them.
    pub fn indexes(self, buf: BufferId) -> bool {
        !matches!(
            (self, buf),
            (Dim::N, BufferId::A) | (Dim::M, BufferId::B) | (Dim::K, BufferId::C)
        )
    }
}

/// What a dataflow does with the three dimensions, the buffers and the PEs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Descriptor {
    /// The dataflow described.
    pub dataflow: Dataflow,
    /// The dimension spread over the array's rows (`Sr`), in tiles of `R`.
    pub rows: Dim,
    /// The dimension spread over the array's columns (`Sc`), in tiles of `C`.
    pub cols: Dim,
    /// The dimension that streams through the array during a fold (`T`).
    pub stream: Dim,
    /// The buffer feeding the left edge (one lane per PE row): the streaming operand.
    pub left: BufferId,
    /// The buffer feeding the top edge (one lane per PE column): OS's second streaming operand,
    /// or the stationary operand's preload in WS and IS.
    pub top: BufferId,
    /// The operand the PEs keep (`None`: OS keeps the outputs, in the accumulators).
    pub stationary: Option<BufferId>,
    /// How buffers A, B and C lay out their vectors: which matrix dimension a vector's lanes run
    /// along (`docs/microarchitecture.md`, "Buffers").
    pub lane_axis: [LaneAxis; 3],
    /// An output row's lane `j` is output channel `channel + j` (OS, WS: rows of C leave the
    /// array); otherwise every lane of a row is the same channel (IS: columns of C leave).
    pub channel_per_lane: bool,
}

impl Descriptor {
    /// The descriptor of dataflow `df`.
    pub fn of(df: Dataflow) -> &'static Descriptor {
        match df {
            Dataflow::Os => &OS,
            Dataflow::Ws => &WS,
            Dataflow::Is => &IS,
        }
    }

    /// The dimension the folds accumulate over: OS keeps a whole reduction in each PE (the
    /// stream is K); WS and IS spread K over the array's rows, so an output needs one fold per
    /// row tile and C adds them up.
    pub fn reduction_in_stream(&self) -> bool {
        self.stream == Dim::K
    }

    /// The lane axis of buffer `buf`.
    pub fn axis(&self, buf: BufferId) -> LaneAxis {
        match buf {
            BufferId::A => self.lane_axis[0],
            BufferId::B => self.lane_axis[1],
            BufferId::C => self.lane_axis[2],
        }
    }

    /// `(Sr, Sc, T)`: the extents of the row, column and stream dimensions of `shape`.
    pub fn extents(&self, shape: GemmShape) -> (usize, usize, usize) {
        (
            self.rows.of(shape),
            self.cols.of(shape),
            self.stream.of(shape),
        )
    }

    /// The GEMM whose row, column and stream dimensions have extents `(Sr, Sc, T)`: the inverse
    /// of [`Descriptor::extents`].
    pub fn shape(&self, (sr, sc, t): (usize, usize, usize)) -> GemmShape {
        let extent = |dim: Dim| match dim {
            d if d == self.rows => sr,
            d if d == self.cols => sc,
            _ => t,
        };
        GemmShape {
            m: extent(Dim::M),
            n: extent(Dim::N),
            k: extent(Dim::K),
        }
    }
}

/// OS: A^T columns feed the rows, B rows feed the columns, C rows leave.
const OS: Descriptor = Descriptor {
    dataflow: Dataflow::Os,
    rows: Dim::M,
    cols: Dim::N,
    stream: Dim::K,
    left: BufferId::A,
    top: BufferId::B,
    stationary: None,
    lane_axis: [LaneAxis::Rows, LaneAxis::Cols, LaneAxis::Cols],
    channel_per_lane: true,
};

/// WS: A rows (over K) stream into the rows, B rows preload the columns, C rows leave.
const WS: Descriptor = Descriptor {
    dataflow: Dataflow::Ws,
    rows: Dim::K,
    cols: Dim::N,
    stream: Dim::M,
    left: BufferId::A,
    top: BufferId::B,
    stationary: Some(BufferId::B),
    lane_axis: [LaneAxis::Cols, LaneAxis::Cols, LaneAxis::Cols],
    channel_per_lane: true,
};

/// IS: A columns (over M) preload the columns, B columns (over K) stream into the rows, C
/// columns leave.
const IS: Descriptor = Descriptor {
    dataflow: Dataflow::Is,
    rows: Dim::K,
    cols: Dim::M,
    stream: Dim::N,
    left: BufferId::B,
    top: BufferId::A,
    stationary: Some(BufferId::A),
    lane_axis: [LaneAxis::Rows, LaneAxis::Rows, LaneAxis::Rows],
    channel_per_lane: false,
};

#[cfg(test)]
mod tests {
    use super::*;

    /// Each dataflow uses every dimension once, the stream operand enters on the left, and the
    /// operand a PE keeps is never the one streaming on the left.
    #[test]
    fn descriptors_are_consistent() {
        for df in Dataflow::ALL {
            let d = Descriptor::of(df);
            assert_eq!(d.dataflow, df);
            let mut dims = [d.rows, d.cols, d.stream];
            dims.sort();
            assert_eq!(dims, Dim::ALL, "{df}");
            assert_ne!(d.left, d.top);
            assert_ne!(d.stationary, Some(d.left));
            // The left operand is indexed by the row and stream dimensions.
            assert!(d.rows.indexes(d.left) && d.stream.indexes(d.left), "{df}");
            // C is indexed by whatever is not the reduction.
            assert_eq!(d.reduction_in_stream(), df == Dataflow::Os);
        }
    }

    /// `shape` places each extent on the dimension `extents` reads it from.
    #[test]
    fn shape_inverts_extents() {
        let gemm = GemmShape { m: 3, n: 5, k: 7 };
        for df in Dataflow::ALL {
            let d = Descriptor::of(df);
            assert_eq!(d.shape(d.extents(gemm)), gemm, "{df}");
            assert_eq!(d.extents(d.shape((2, 4, 6))), (2, 4, 6), "{df}");
        }
    }
}
