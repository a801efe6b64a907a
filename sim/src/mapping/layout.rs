//! How a buffer stores a matrix as *edge vectors*: each vector has as many lanes as the array
//! edge it feeds (or the bottom row it takes), and each vector is one address. `VectorLayout`
//! says which matrix elements a vector holds; which layout each buffer has depends on the
//! dataflow (`docs/microarchitecture.md`, "Buffers").

use crate::matrix::Matrix;

/// Which matrix dimension a vector's lanes run along.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaneAxis {
    /// Lane `l` of vector (tile, step) is element `[tile * lanes + l][step]`.
    Rows,
    /// Lane `l` of vector (tile, step) is element `[step][tile * lanes + l]`.
    Cols,
}

/// How a `rows x cols` matrix is cut into vectors: address = `tile * steps + step`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct VectorLayout {
    pub(crate) axis: LaneAxis,
    pub(crate) lanes: usize,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
}

impl VectorLayout {
    pub(crate) fn new(axis: LaneAxis, lanes: usize, rows: usize, cols: usize) -> Self {
        VectorLayout {
            axis,
            lanes,
            rows,
            cols,
        }
    }

    /// Number of steps (vectors per tile).
    pub(crate) fn steps(&self) -> usize {
        match self.axis {
            LaneAxis::Rows => self.cols,
            LaneAxis::Cols => self.rows,
        }
    }

    /// Number of tiles.
    pub(crate) fn tiles(&self) -> usize {
        match self.axis {
            LaneAxis::Rows => self.rows.div_ceil(self.lanes),
            LaneAxis::Cols => self.cols.div_ceil(self.lanes),
        }
    }

    /// Address of vector (tile, step).
    #[inline]
    pub(crate) fn addr(&self, tile: usize, step: usize) -> usize {
        tile * self.steps() + step
    }

    /// Matrix coordinates of lane `l` of vector (tile, step), if inside the matrix.
    #[inline]
    fn coords(&self, tile: usize, step: usize, l: usize) -> Option<(usize, usize)> {
        let (r, c) = match self.axis {
            LaneAxis::Rows => (tile * self.lanes + l, step),
            LaneAxis::Cols => (step, tile * self.lanes + l),
        };
        (r < self.rows && c < self.cols).then_some((r, c))
    }

    /// Matrix coordinates of lane `l` of the vector at `addr`, if inside the matrix.
    pub(crate) fn element(&self, addr: usize, l: usize) -> Option<(usize, usize)> {
        self.coords(addr / self.steps(), addr % self.steps(), l)
    }

    /// Bytes the whole matrix takes as vectors of `bits`-wide elements, each vector's lanes
    /// inside the matrix packed and rounded up to a whole byte (the DMA moves one vector per
    /// request; [`crate::config::ArchConfig::packed_bytes`]).
    pub(crate) fn packed_bytes(&self, bits: u32) -> u64 {
        self.over_vectors(|count| (count * u64::from(bits)).div_ceil(8))
    }

    /// `f(valid lanes)` summed over every vector of the matrix (the last tile's vectors may be
    /// partial).
    pub(crate) fn over_vectors(&self, f: impl Fn(u64) -> u64) -> u64 {
        let dim = match self.axis {
            LaneAxis::Rows => self.rows,
            LaneAxis::Cols => self.cols,
        };
        over_tiles(dim, self.lanes, f).saturating_mul(self.steps() as u64)
    }

    /// Vectors of a matrix in address order, lanes outside the matrix zero.
    pub(crate) fn pack<T: Copy + Default>(&self, m: &Matrix<T>) -> Vec<T> {
        debug_assert_eq!((m.rows(), m.cols()), (self.rows, self.cols));
        let mut out = vec![T::default(); self.tiles() * self.steps() * self.lanes];
        for tile in 0..self.tiles() {
            for step in 0..self.steps() {
                let base = self.addr(tile, step) * self.lanes;
                for l in 0..self.lanes {
                    if let Some((r, c)) = self.coords(tile, step, l) {
                        out[base + l] = m.get(r, c);
                    }
                }
            }
        }
        out
    }

    /// The matrix held by vectors in address order (the inverse of [`VectorLayout::pack`]).
    pub(crate) fn unpack<T: Copy + Default>(&self, data: &[T]) -> Matrix<T> {
        let mut m = Matrix::zeros(self.rows, self.cols);
        for tile in 0..self.tiles() {
            for step in 0..self.steps() {
                let base = self.addr(tile, step) * self.lanes;
                for l in 0..self.lanes {
                    if let Some((r, c)) = self.coords(tile, step, l) {
                        m.set(r, c, data[base + l]);
                    }
                }
            }
        }
        m
    }
}

/// `f(used)` summed over the tiles of a dimension of extent `d` cut in tiles of `e` (all full
/// but possibly the last), in constant time.
pub(crate) fn over_tiles(d: usize, e: usize, f: impl Fn(u64) -> u64) -> u64 {
    let e = e.max(1);
    let (full, rest) = ((d / e) as u64, (d % e) as u64);
    let last = if rest > 0 { f(rest) } else { 0 };
    full.saturating_mul(f(e as u64)).saturating_add(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_unpack_round_trip() {
        let m = Matrix::from_fn(7, 5, |r, c| (r * 10 + c) as i32);
        for axis in [LaneAxis::Rows, LaneAxis::Cols] {
            for lanes in 1..9 {
                let l = VectorLayout::new(axis, lanes, 7, 5);
                assert_eq!(l.unpack(&l.pack(&m)), m, "{axis:?} {lanes}");
            }
        }
        let l = VectorLayout::new(LaneAxis::Rows, 4, 7, 5);
        let v = l.pack(&m);
        // vector (tile 1, step 2): rows 4..8 of column 2, row 7 is outside
        let a = l.addr(1, 2) * 4;
        assert_eq!(&v[a..a + 4], &[42, 52, 62, 0]);
    }
}
