//! Per-cycle traces of one run in SCALE-Sim's layout (`systole run --trace DIR`): a [`Probe`]
//! that streams each access to CSV as it happens, so memory does not grow with the run.
//!
//! Files, as SCALE-Sim names them (`docs/scalesim.md`, "Traces"):
//! - `IFMAP_SRAM_TRACE.csv`, `FILTER_SRAM_TRACE.csv`: the array's reads of buffers A and B;
//! - `OFMAP_SRAM_TRACE.csv`: its writes of buffer C;
//! - `IFMAP_DRAM_TRACE.csv`, `FILTER_DRAM_TRACE.csv`: bytes crossing the DRAM port into A and B;
//! - `OFMAP_DRAM_TRACE.csv`: results (and spilled partial sums) leaving C;
//! - systole's own two: `OFMAP_SRAM_READ_TRACE.csv` (partial-sum read-backs of C) and
//!   `OFMAP_DRAM_READ_TRACE.csv` (spilled partial sums coming back).
//!
//! Each row is `cycle, addr_0, ..., addr_{w-1}` with no header; `-1` marks an idle lane. SRAM
//! traces have one row per cycle from cycle 0 to the buffer's last access (idle cycles, stalls
//! included, are rows of `-1`), `w` = the buffer's vector lanes, `addr_i` = element address
//! `vector x lanes + i` in the buffer's layout; when buffer A holds a convolution's ifmap, its
//! lanes list the NHWC ifmap addresses the im2col unit reads (`-1` for a padding zero). DRAM
//! traces have a row for each cycle in which the port moves bytes of that operand, `w` =
//! elements per bus cycle; an element is listed in the cycle that moves its first byte. Cycles are the contract's (cycle 0 = the first buffer
//! read; the DMA's prologue is negative, as in `DETAILED_ACCESS_REPORT.csv`). Addresses carry
//! SCALE-Sim's default offsets: ifmap 0, filter 10,000,000, ofmap 20,000,000.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::config::BufferId;
use crate::probe::{DramRequest, Probe};

/// SCALE-Sim's default address offsets of the ifmap, filter and ofmap.
pub const OFFSETS: [u64; 3] = [0, 10_000_000, 20_000_000];

/// The SRAM trace files: (name, buffer, write).
const SRAM_FILES: [(&str, BufferId, bool); 4] = [
    ("IFMAP_SRAM_TRACE.csv", BufferId::A, false),
    ("FILTER_SRAM_TRACE.csv", BufferId::B, false),
    ("OFMAP_SRAM_TRACE.csv", BufferId::C, true),
    ("OFMAP_SRAM_READ_TRACE.csv", BufferId::C, false),
];

/// The DRAM trace files: (name, buffer, write).
const DRAM_FILES: [(&str, BufferId, bool); 4] = [
    ("IFMAP_DRAM_TRACE.csv", BufferId::A, false),
    ("FILTER_DRAM_TRACE.csv", BufferId::B, false),
    ("OFMAP_DRAM_TRACE.csv", BufferId::C, true),
    ("OFMAP_DRAM_READ_TRACE.csv", BufferId::C, false),
];

/// Every file a trace directory holds.
pub fn file_names() -> impl Iterator<Item = &'static str> {
    SRAM_FILES.iter().chain(DRAM_FILES.iter()).map(|f| f.0)
}

fn offset(buf: BufferId) -> u64 {
    match buf {
        BufferId::A => OFFSETS[0],
        BufferId::B => OFFSETS[1],
        BufferId::C => OFFSETS[2],
    }
}

/// One CSV of rows `cycle, addr...`, `width` addresses wide.
struct TraceFile {
    path: PathBuf,
    out: BufWriter<File>,
    width: usize,
}

impl TraceFile {
    fn create(path: PathBuf, width: usize) -> std::io::Result<Self> {
        Ok(TraceFile {
            out: BufWriter::new(File::create(&path)?),
            path,
            width: width.max(1),
        })
    }

    fn row(&mut self, cycle: i64, addrs: &[i64]) -> std::io::Result<()> {
        write!(self.out, "{cycle}")?;
        for i in 0..self.width {
            match addrs.get(i) {
                Some(a) => write!(self.out, ",{a}")?,
                None => self.out.write_all(b",-1")?,
            }
        }
        self.out.write_all(b"\n")
    }
}

/// An SRAM trace: a row for every cycle up to the last access.
struct SramTrace {
    file: TraceFile,
    next: i64,
    addrs: Vec<i64>,
}

impl SramTrace {
    /// An access in `cycle` to the elements `addrs` yields (`-1`: a lane that reads nothing).
    fn access(&mut self, cycle: i64, addrs: impl Iterator<Item = i64>) -> std::io::Result<()> {
        while self.next < cycle {
            self.file.row(self.next, &[])?;
            self.next += 1;
        }
        self.addrs.clear();
        self.addrs.extend(addrs);
        self.file.row(cycle, &self.addrs)?;
        self.next = cycle + 1;
        Ok(())
    }
}

/// A DRAM trace: a row for each bus cycle that moves this operand's bytes.
struct DramTrace {
    file: TraceFile,
    cur: Option<i64>,
    addrs: Vec<i64>,
}

impl DramTrace {
    fn element(&mut self, cycle: i64, addr: i64) -> std::io::Result<()> {
        if self.cur != Some(cycle) {
            self.flush()?;
            self.cur = Some(cycle);
        }
        self.addrs.push(addr);
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if let Some(c) = self.cur.take() {
            self.file.row(c, &self.addrs)?;
            self.addrs.clear();
        }
        Ok(())
    }
}

/// Where lane `l` of buffer A's vector `v` reads in a convolution's ifmap (`row x W x C + offset`),
/// `None` for a padding zero: buffer A holds the ifmap and the SRAM trace lists ifmap addresses.
pub type IfmapAddress = Box<dyn Fn(usize, usize) -> Option<u64> + Send>;

/// Writes a run's traces into one directory (a [`Probe`]). I/O errors are kept and returned by
/// [`TraceWriter::finish`].
pub struct TraceWriter {
    ifmap: Option<IfmapAddress>,
    bytes_per_cycle: u64,
    sram: Vec<SramTrace>,
    dram: Vec<DramTrace>,
    /// The prologue's length once the datapath starts; DRAM requests before then wait here.
    load: Option<u64>,
    early: Vec<DramRequest>,
    error: Option<(PathBuf, std::io::Error)>,
}

impl TraceWriter {
    /// Creates `dir` and its trace files for a run whose buffers have `lanes` (A, B, C) lanes per
    /// vector (the array module's `buffer_lanes`) on a DRAM port of `bytes_per_cycle`, with
    /// `operand_bits`-wide A and B elements (C's are int32).
    pub fn create(
        dir: &Path,
        lanes: [usize; 3],
        bytes_per_cycle: u32,
        operand_bits: u32,
    ) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let lane_of = |b: BufferId| match b {
            BufferId::A => lanes[0],
            BufferId::B => lanes[1],
            BufferId::C => lanes[2],
        };
        let bpc = u64::from(bytes_per_cycle.max(1));
        let sram = SRAM_FILES
            .iter()
            .map(|&(name, buf, _)| {
                Ok(SramTrace {
                    file: TraceFile::create(dir.join(name), lane_of(buf))?,
                    next: 0,
                    addrs: Vec::new(),
                })
            })
            .collect::<std::io::Result<_>>()?;
        let dram = DRAM_FILES
            .iter()
            .map(|&(name, buf, _)| {
                // Elements per bus cycle: those whose first byte moves in it (two int4 operands
                // share a byte).
                let bits = if buf == BufferId::C { 32 } else { operand_bits };
                let per_cycle = (bpc * 8).div_ceil(u64::from(bits.max(1)));
                Ok(DramTrace {
                    file: TraceFile::create(dir.join(name), per_cycle as usize)?,
                    cur: None,
                    addrs: Vec::new(),
                })
            })
            .collect::<std::io::Result<_>>()?;
        Ok(TraceWriter {
            ifmap: None,
            bytes_per_cycle: bpc,
            sram,
            dram,
            load: None,
            early: Vec::new(),
            error: None,
        })
    }

    /// Lists buffer A's reads as addresses in the ifmap it holds.
    pub fn with_ifmap(mut self, address: IfmapAddress) -> Self {
        self.ifmap = Some(address);
        self
    }

    /// Flushes every file; the first I/O error of the run, naming its file.
    pub fn finish(mut self) -> Result<(), (PathBuf, std::io::Error)> {
        if self.load.is_none() {
            // A run that never started its datapath cannot happen; keep the requests anyway.
            self.start(0);
        }
        for i in 0..self.dram.len() {
            let r = self.dram[i].flush();
            self.keep(i + SRAM_FILES.len(), r);
        }
        let files = self
            .sram
            .iter_mut()
            .map(|s| &mut s.file)
            .chain(self.dram.iter_mut().map(|d| &mut d.file));
        for f in files {
            if let Err(e) = f.out.flush() {
                self.error.get_or_insert((f.path.clone(), e));
            }
        }
        match self.error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Records the first error, naming file `i` (SRAM files first, then DRAM files).
    fn keep(&mut self, i: usize, r: std::io::Result<()>) {
        if let Err(e) = r {
            let path = if i < SRAM_FILES.len() {
                self.sram[i].file.path.clone()
            } else {
                self.dram[i - SRAM_FILES.len()].file.path.clone()
            };
            self.error.get_or_insert((path, e));
        }
    }

    fn sram(&mut self, i: usize, cycle: u64, buf: BufferId, addr: usize, lanes: usize) {
        // The file is as wide as the buffer's vectors.
        let width = self.sram[i].file.width;
        let first = (offset(buf) + (addr * width) as u64) as i64;
        let r = match (&self.ifmap, buf) {
            (Some(f), BufferId::A) => self.sram[i].access(
                cycle as i64,
                (0..lanes).map(|l| f(addr, l).map_or(-1, |a| (offset(buf) + a) as i64)),
            ),
            _ => self.sram[i].access(cycle as i64, (0..lanes as i64).map(|l| first + l)),
        };
        self.keep(i, r);
    }

    fn dram_now(&mut self, req: &DramRequest, load: u64) {
        let Some(i) = DRAM_FILES
            .iter()
            .position(|&(_, b, w)| b == req.buf && w == req.write)
        else {
            return;
        };
        let base = offset(req.buf) + req.first_elem;
        for e in 0..req.elems {
            // The cycle the element's first byte moves in.
            let byte = e * u64::from(req.elem_bits) / 8;
            let cycle = (req.bus_slot + byte) / self.bytes_per_cycle;
            let r = self.dram[i].element(cycle as i64 - load as i64, (base + e) as i64);
            self.keep(i + SRAM_FILES.len(), r);
        }
    }
}

impl Probe for TraceWriter {
    fn buffer_read(&mut self, cycle: u64, buf: BufferId, addr: usize, lanes: usize) {
        let i = match buf {
            BufferId::A => 0,
            BufferId::B => 1,
            BufferId::C => 3,
        };
        self.sram(i, cycle, buf, addr, lanes);
    }

    fn buffer_write(&mut self, cycle: u64, buf: BufferId, addr: usize, values: &[i32]) {
        if buf == BufferId::C {
            self.sram(2, cycle, buf, addr, values.len());
        }
    }

    fn dram_request(&mut self, req: &DramRequest) {
        match self.load {
            Some(load) => self.dram_now(req, load),
            None => self.early.push(*req),
        }
    }

    fn start(&mut self, load_cycles: u64) {
        self.load = Some(load_cycles);
        for req in std::mem::take(&mut self.early) {
            self.dram_now(&req, load_cycles);
        }
    }
}

/// Bytes of one lane of a row that lists an address: its comma and up to eight digits (addresses
/// carry offsets of 10,000,000 and 20,000,000).
pub(crate) const ADDRESS_LANE_BYTES: u64 = 9;
/// Bytes of an idle lane: `,-1`.
pub(crate) const IDLE_LANE_BYTES: u64 = 3;

#[cfg(test)]
mod tests {
    use super::*;

    /// One DRAM request of 8 int4 elements (4 bytes) on a 2-byte port: two bus cycles of four
    /// elements each, the trace rows as wide as a cycle's elements (one int16 element per two
    /// bytes instead).
    #[test]
    fn packed_elements_move_in_the_cycle_of_their_byte() {
        let dir = std::env::temp_dir().join(format!("systole-trace-{}", std::process::id()));
        for (bits, want) in [
            (4u32, vec!["0,0,1,2,3", "1,4,5,6,7"]),
            (16, vec!["0,0", "1,1", "2,2", "3,3"]),
        ] {
            let mut w = TraceWriter::create(&dir, [4, 4, 4], 2, bits).unwrap();
            w.start(0);
            let elems = if bits == 4 { 8 } else { 4 };
            w.dram_request(&DramRequest {
                wall: 0,
                buf: BufferId::A,
                write: false,
                bytes: elems * u64::from(bits) / 8,
                first_elem: 0,
                elems,
                elem_bits: bits,
                bus_slot: 0,
            });
            w.finish().unwrap();
            let text = std::fs::read_to_string(dir.join("IFMAP_DRAM_TRACE.csv")).unwrap();
            let base = OFFSETS[0] as i64;
            let got: Vec<String> = text
                .lines()
                .map(|l| {
                    l.split(',')
                        .enumerate()
                        .map(|(i, x)| {
                            let v: i64 = x.parse().unwrap();
                            if i == 0 { v } else { v - base }.to_string()
                        })
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .collect();
            assert_eq!(got, want, "int{bits}");
        }
    }
}
