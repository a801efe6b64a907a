//! The on-chip buffers A, B and C as synchronous SRAMs holding edge vectors (their layouts are
//! `mapping::layout::VectorLayout`'s). A read issued in cycle `t` presents its vector at the
//! buffer output during cycle `t + read_latency`, with the contents the SRAM held when the read
//! was issued (a write in the same cycle is not seen: read-first).

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
        crate::bits::for_each_set(lane_mask, |l| row[l] = values[l]);
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
