//! The on-chip buffers A, B and C as synchronous SRAMs holding edge vectors.
//!
//! A buffer stores a matrix as *edge vectors*: each vector is as many lanes as the array edge it
//! feeds (or the bottom row it takes), and each vector is one address. [`VectorLayout`] says which
//! matrix elements a vector holds; the layout of each buffer depends on the dataflow (see
//! `docs/microarchitecture.md`, "Buffers"). A read issued in cycle `t` presents its vector at the
//! buffer output during cycle `t + read_latency`, with the contents the SRAM held when the read
//! was issued (a write in the same cycle is not seen: read-first).

use crate::matrix::Matrix;

/// Which matrix dimension a vector's lanes run along.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LaneAxis {
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
        let dim = match self.axis {
            LaneAxis::Rows => self.rows,
            LaneAxis::Cols => self.cols,
        };
        (0..self.tiles())
            .map(|tile| {
                let count = (dim - tile * self.lanes).min(self.lanes) as u64;
                self.steps() as u64 * (count * u64::from(bits)).div_ceil(8)
            })
            .sum()
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

/// A synchronous SRAM of vectors with one read port (fixed latency) and one write port.
pub(crate) struct Sram<T> {
    lanes: usize,
    latency: usize,
    data: Vec<T>,
    /// In-flight reads, one slot per cycle of latency: (lanes read, data).
    pipe_count: Vec<usize>,
    pipe_data: Vec<T>,
    pipe_addr: Vec<usize>,
    pipe_busy: Vec<bool>,
}

/// A vector at the output of a buffer during one cycle.
pub(crate) struct ReadOut<'a, T> {
    pub(crate) addr: usize,
    /// Lanes `0..count` are valid; the others read as zero.
    pub(crate) count: usize,
    pub(crate) data: &'a [T],
}

impl<T: Copy + Default> Sram<T> {
    pub(crate) fn new(lanes: usize, latency: usize, data: Vec<T>) -> Self {
        assert!(latency >= 1);
        Sram {
            lanes,
            latency,
            data,
            pipe_count: vec![0; latency],
            pipe_data: vec![T::default(); latency * lanes],
            pipe_addr: vec![0; latency],
            pipe_busy: vec![false; latency],
        }
    }

    /// The read that arrives at the output during cycle `t` (issued at `t - latency`), if any.
    /// Call before [`Sram::issue_read`] in the same cycle.
    #[inline]
    pub(crate) fn output(&self, t: u64) -> Option<ReadOut<'_, T>> {
        let s = (t % self.latency as u64) as usize;
        self.pipe_busy[s].then(|| ReadOut {
            addr: self.pipe_addr[s],
            count: self.pipe_count[s],
            data: &self.pipe_data[s * self.lanes..(s + 1) * self.lanes],
        })
    }

    /// Ends cycle `t` for the read port: retires the read that arrived and, if `read` is given,
    /// issues a read of `count` lanes at `addr` (it arrives during `t + latency`).
    #[inline]
    pub(crate) fn issue_read(&mut self, t: u64, read: Option<(usize, usize)>) {
        let s = (t % self.latency as u64) as usize;
        self.pipe_busy[s] = false;
        if let Some((addr, count)) = read {
            let dst = &mut self.pipe_data[s * self.lanes..(s + 1) * self.lanes];
            let src = &self.data[addr * self.lanes..(addr + 1) * self.lanes];
            dst[..count].copy_from_slice(&src[..count]);
            dst[count..].fill(T::default());
            self.pipe_busy[s] = true;
            self.pipe_addr[s] = addr;
            self.pipe_count[s] = count;
        }
    }

    /// Writes lanes `0..values.len()` of the vector at `addr` (other lanes keep their contents).
    #[inline]
    pub(crate) fn write(&mut self, addr: usize, lane_mask: &[u64], values: &[T]) {
        let row = &mut self.data[addr * self.lanes..(addr + 1) * self.lanes];
        crate::array::regs::for_each_set(lane_mask, |l| row[l] = values[l]);
    }

    /// The whole contents, vectors in address order.
    pub(crate) fn contents(&self) -> &[T] {
        &self.data
    }
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

    #[test]
    fn reads_arrive_after_latency_with_issue_time_contents() {
        let mut s = Sram::new(2, 2, vec![1i32, 2, 3, 4]);
        s.issue_read(0, Some((1, 2)));
        assert!(s.output(1).is_none());
        s.issue_read(1, None);
        // a write after the read was issued is not seen by it
        s.write(1, &[0b11], &[30, 40]);
        let out = s.output(2).unwrap();
        assert_eq!((out.addr, out.count, out.data), (1, 2, &[3, 4][..]));
        s.issue_read(2, Some((1, 1)));
        s.issue_read(3, None);
        let out = s.output(4).unwrap();
        assert_eq!(out.data, &[30, 0]);
    }
}
