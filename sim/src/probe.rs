//! What a run reports as it goes: [`Probe`] observes every buffer access and DRAM request of a
//! run cycle by cycle (lockstep comparison with the RTL, traces, access windows).

use crate::config::BufferId;

/// Observes buffer traffic cycle by cycle (for lockstep comparison with the RTL and for traces).
/// Every method has an empty default.
pub trait Probe {
    /// A read of `lanes` elements of buffer `buf` at vector address `addr` was issued in `cycle`.
    fn buffer_read(&mut self, cycle: u64, buf: BufferId, addr: usize, lanes: usize) {
        let _ = (cycle, buf, addr, lanes);
    }
    /// `values` (lanes `0..values.len()`) were written to buffer `buf` at `addr` in `cycle`.
    fn buffer_write(&mut self, cycle: u64, buf: BufferId, addr: usize, values: &[i32]) {
        let _ = (cycle, buf, addr, values);
    }
    /// The DMA issued a DRAM request (a read into a buffer, or a drain or spill out of C).
    fn dram_request(&mut self, req: &DramRequest) {
        let _ = req;
    }
    /// The datapath starts (its cycle 0) after a prologue of `load_cycles` cycles in which the
    /// DMA filled the buffers; called once, before the first access (0 with ideal memory).
    fn start(&mut self, load_cycles: u64) {
        let _ = load_cycles;
    }
}

/// One DRAM request, as [`Probe::dram_request`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DramRequest {
    /// The cycle it was issued, counted from the start command, the DMA's prologue included
    /// (contract cycle = `wall - load_cycles`).
    pub wall: u64,
    /// The buffer it fills (a read) or empties (`write`: a drain or spill out of C).
    pub buf: BufferId,
    /// A write to DRAM.
    pub write: bool,
    /// Its bytes.
    pub bytes: u64,
    /// The address of its first element in the operand's DRAM image, in elements: for A, B and
    /// C the buffer's vector layout (`vector x lanes + lane`, as the SRAM traces number them),
    /// for an ifmap in A the NHWC ifmap (`row x W x C + offset`); the elements are consecutive.
    pub first_elem: u64,
    /// Its elements.
    pub elems: u64,
    /// Bits per element; the elements are packed (two int4 to a byte), so element `e` starts at
    /// bit `e x elem_bits` of the request.
    pub elem_bits: u32,
    /// The first byte slot it occupies on the bus (byte `i` moves in cycle
    /// `(bus_slot + i) / bytes_per_cycle`, counted like `wall`).
    pub bus_slot: u64,
}

/// A probe that may be absent.
impl<P: Probe> Probe for Option<P> {
    fn buffer_read(&mut self, cycle: u64, buf: BufferId, addr: usize, lanes: usize) {
        if let Some(p) = self {
            p.buffer_read(cycle, buf, addr, lanes);
        }
    }
    fn buffer_write(&mut self, cycle: u64, buf: BufferId, addr: usize, values: &[i32]) {
        if let Some(p) = self {
            p.buffer_write(cycle, buf, addr, values);
        }
    }
    fn dram_request(&mut self, req: &DramRequest) {
        if let Some(p) = self {
            p.dram_request(req);
        }
    }
    fn start(&mut self, load_cycles: u64) {
        if let Some(p) = self {
            p.start(load_cycles);
        }
    }
}

/// Two probes observing one run.
impl<P: Probe, Q: Probe> Probe for (P, Q) {
    fn buffer_read(&mut self, cycle: u64, buf: BufferId, addr: usize, lanes: usize) {
        self.0.buffer_read(cycle, buf, addr, lanes);
        self.1.buffer_read(cycle, buf, addr, lanes);
    }
    fn buffer_write(&mut self, cycle: u64, buf: BufferId, addr: usize, values: &[i32]) {
        self.0.buffer_write(cycle, buf, addr, values);
        self.1.buffer_write(cycle, buf, addr, values);
    }
    fn dram_request(&mut self, req: &DramRequest) {
        self.0.dram_request(req);
        self.1.dram_request(req);
    }
    fn start(&mut self, load_cycles: u64) {
        self.0.start(load_cycles);
        self.1.start(load_cycles);
    }
}

/// A probe that observes nothing.
pub struct NoProbe;
impl Probe for NoProbe {}
