//! The DMA engine and the buffers' occupancy: which vectors are on chip, when the array may read
//! them, when buffer C has room for a result, and what crosses the DRAM port
//! (`docs/microarchitecture.md`, "Memory system").
//!
//! Each buffer is a ring of vector slots (its depth, [`ArchConfig::buffer_depth`]). Buffers A and
//! B are filled in the order the controller reads them, as far ahead as free slots allow; a slot
//! is freed by the last read of the vector it holds. Buffer C takes results; the DMA drains each
//! finished row to DRAM and thereby frees its slot. The array stalls (every register holds) in a
//! cycle in which a read would find its vector not yet written, or a write would find no free
//! slot, or a read-back would find its spilled partial sums not yet back from DRAM.
//!
//! The fast model's datapath asks `MemorySystem` before each cycle whether it may go on, tells
//! it what it did, and steps it once per cycle, stalled or not. The model tracks occupancy and
//! timing; the datapath's SRAMs keep full images of the operands, so C is right whatever this
//! model does, and its correctness rests on the counters: a fetch waits until the slot's previous
//! vector has retired, and a read waits until its fetch is written. Debug builds (every test)
//! also keep a physical model of A's and B's slots and assert that each read finds its vector
//! there, written and not overwritten; a ring one slot too generous fails the property tests.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::dram::DramBus;
use super::im2col::{IfmapStream, Keep};
use crate::config::{ArchConfig, BufferId, Dataflow};
use crate::error::RunError;
use crate::events::EventCounts;
use crate::mapping::nest::{fetch_flag, retire_flag};
use crate::mapping::schedule::{EdgeOp, OutOp, Plan, Port};
use crate::mapping::Tiling;
use crate::probe::{DramRequest, Probe};

/// How buffer A or B keeps its operand: the level of the mapping's loop nest it is kept at
/// ([`crate::mapping::Keep`]), as the reports name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reuse {
    /// Kept for the whole run (level 0): every vector is fetched once and stays.
    Whole,
    /// Kept across the folds of one iteration of an outer loop (an intermediate level), fetched
    /// again for the next iteration when that loop does not index the operand.
    PerRun,
    /// Kept for one fold (the innermost level): every fold streams its tile through the buffer.
    PerFold,
    /// A convolution's A: the whole ifmap fits in buffer A, every row fetched once
    /// ([`super::im2col`]).
    IfmapWhole,
    /// A convolution's A: a sliding window of ifmap rows ([`super::im2col`]).
    IfmapWindow,
    /// A convolution's A: the ifmap rows of an epoch of the mapping (one iteration of the loops
    /// outside A's keep level) stay for the epoch ([`super::im2col`]).
    IfmapPerRun,
}

impl Reuse {
    /// Buffer A holds a convolution's ifmap rows (not a matrix).
    pub fn is_ifmap(self) -> bool {
        matches!(
            self,
            Reuse::IfmapWhole | Reuse::IfmapWindow | Reuse::IfmapPerRun
        )
    }

    /// `whole`, `per-run` or `per-fold`, as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Reuse::Whole => "whole",
            Reuse::PerRun => "per-run",
            Reuse::PerFold => "per-fold",
            Reuse::IfmapWhole => "ifmap-whole",
            Reuse::IfmapWindow => "ifmap-window",
            Reuse::IfmapPerRun => "ifmap-per-run",
        }
    }
}

/// What happens to the partial sums and results in buffer C.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutputMode {
    /// OS, or WS/IS with one K tile: every result row is drained as soon as it is written.
    Drain,
    /// WS/IS: the partial sums of a column tile stay in C across its K folds; the last fold's
    /// rows are drained.
    Accumulate,
    /// WS/IS: a column tile's partial sums do not fit in C; every fold's rows go to DRAM and come
    /// back for the next K fold.
    Spill,
}

impl OutputMode {
    /// `drain`, `accumulate` or `spill`, as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            OutputMode::Drain => "drain",
            OutputMode::Accumulate => "accumulate",
            OutputMode::Spill => "spill",
        }
    }
}

/// The memory system's static decisions for one run (reported with the run's statistics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryPlan {
    /// Reuse of buffer A's operand.
    pub a: Reuse,
    /// Reuse of buffer B's operand.
    pub b: Reuse,
    /// What buffer C does with partial sums.
    pub c: OutputMode,
}

impl MemoryPlan {
    /// `A <reuse> / B <reuse> / C <mode>`, as the reports print it.
    pub fn describe(&self) -> String {
        format!("{} / {} / {}", self.a.name(), self.b.name(), self.c.name())
    }
}

/// One of buffers A and B, seen from the DMA.
#[derive(Debug, Clone)]
struct OperandStream {
    port: Port,
    buf: BufferId,
    latency: i64,
    reuse: Reuse,
    /// Slots (vectors) in the buffer.
    depth: u64,
    /// The DMA's cursor over the port's reads: the next read that needs a fetch.
    cur_fold: usize,
    cur_step: usize,
    next: Option<EdgeOp>,
    /// Fetches issued, and their (arrival cycle, lanes) until written into the buffer.
    issued: u64,
    inflight: VecDeque<(u64, u32)>,
    /// Fetches written into the buffer (readable from the next cycle).
    written: u64,
    /// Reads issued that needed a fetch, and reads that freed their slot.
    needed: u64,
    retired: u64,
    /// Fetches that must be written before cycle 0 (folds 0 and 1, at most the depth).
    prologue: u64,
    /// Debug builds (the tests): the physical ring, to check that every read finds its vector.
    #[cfg(debug_assertions)]
    shadow: Shadow,
}

/// A physical model of a ring buffer's slots, kept in debug builds only: slot `q mod depth` holds
/// fetch `q`. A read that needs a fetch takes the next fetch index (its slot); a read of a vector
/// kept from earlier in its epoch goes to the slot its epoch's fetch went to. Every read must
/// find its vector there, written and not yet overwritten; a bug in the counters that let a
/// fetch evict a vector still to be read, or a read overtake its fetch, fails an assertion in the
/// tests.
#[cfg(debug_assertions)]
#[derive(Debug, Clone, Default)]
struct Shadow {
    /// Per slot: (vector address, written).
    slots: Vec<Option<(usize, bool)>>,
    /// The slot each vector's current epoch fetched it to.
    at: std::collections::HashMap<usize, usize>,
}

#[cfg(debug_assertions)]
impl Shadow {
    fn fetch(&mut self, q: u64, addr: usize) {
        let n = self.slots.len() as u64;
        if n == 0 {
            return;
        }
        self.slots[(q % n) as usize] = Some((addr, false));
    }

    fn land(&mut self, q: u64) {
        let n = self.slots.len() as u64;
        if n == 0 {
            return;
        }
        let slot = (q % n) as usize;
        if let Some(entry) = &mut self.slots[slot] {
            entry.1 = true;
        }
    }

    /// A read of vector `addr`: `Some(q)` when it takes fetch `q`, `None` when the vector was
    /// fetched earlier in its epoch.
    fn read(&mut self, addr: usize, fetch: Option<u64>) {
        let n = self.slots.len() as u64;
        if n == 0 {
            return;
        }
        let slot = match fetch {
            Some(q) => {
                let slot = (q % n) as usize;
                self.at.insert(addr, slot);
                Some(slot)
            }
            None => self.at.get(&addr).copied(),
        };
        assert!(
            slot.is_some_and(|s| self.slots[s] == Some((addr, true))),
            "internal error: the memory system let a read of vector {addr} proceed, but its slot holds {:?}",
            slot.map(|s| self.slots[s])
        );
    }
}

impl OperandStream {
    fn new(cfg: &ArchConfig, plan: &Plan, buf: BufferId) -> Self {
        let port = if plan.left_buf == buf {
            Port::Left
        } else {
            Port::Top
        };
        let depth = cfg.buffer_depth(buf);
        // The level the operand is really kept at: a level just outside loops over its own
        // dimensions behaves as the one inside them (`Mapping::normalized`), so `A:all` over an
        // outer `m:2` is per run, fetched again for every block of M, and a ring.
        let level = plan.mapping.clone().normalized().keep.of(buf);
        let reuse = if level == 0 {
            Reuse::Whole
        } else if level >= plan.mapping.loops.len() {
            Reuse::PerFold
        } else {
            Reuse::PerRun
        };
        let mut s = OperandStream {
            port,
            buf,
            latency: i64::from(cfg.buffer(buf).read_latency),
            reuse,
            depth,
            cur_fold: 0,
            cur_step: 0,
            next: None,
            issued: 0,
            inflight: VecDeque::new(),
            written: 0,
            needed: 0,
            retired: 0,
            prologue: 0,
            #[cfg(debug_assertions)]
            shadow: Shadow {
                // (Deeper buffers than 2^24 vectors go unchecked.)
                slots: if depth <= 1 << 24 {
                    vec![None; depth as usize]
                } else {
                    vec![]
                },
                at: Default::default(),
            },
        };
        let early = (0..plan.folds().min(2))
            .filter(|&f| s.fetches(plan, f))
            .map(|f| {
                (0..plan.edge_steps(port, f))
                    .filter(|&t| plan.edge_op(port, f, t).count > 0)
                    .count() as u64
            })
            .sum::<u64>();
        s.prologue = early.min(depth);
        s.advance(plan);
        s
    }

    /// Whether fold `f`'s reads bring their vectors from DRAM (the first reads of the
    /// operand's epoch, [`crate::mapping::nest`]).
    fn fetches(&self, plan: &Plan, f: usize) -> bool {
        plan.fold_flags(f) & fetch_flag(self.buf) != 0
    }

    /// Whether fold `f`'s reads free their slots (the last reads of the epoch).
    fn retires(&self, plan: &Plan, f: usize) -> bool {
        plan.fold_flags(f) & retire_flag(self.buf) != 0
    }

    /// Moves the DMA cursor to the next read that needs a fetch.
    fn advance(&mut self, plan: &Plan) {
        self.next = None;
        while self.cur_fold < plan.folds() {
            if !self.fetches(plan, self.cur_fold) {
                self.cur_fold += 1;
                self.cur_step = 0;
                continue;
            }
            let op = plan.edge_op(self.port, self.cur_fold, self.cur_step);
            self.cur_step += 1;
            if self.cur_step == plan.edge_steps(self.port, self.cur_fold) {
                self.cur_step = 0;
                self.cur_fold += 1;
            }
            if op.count > 0 {
                self.next = Some(op);
                return;
            }
        }
    }

    /// The cycle (active, as the controller counts) in which the next fetch is read.
    fn deadline(&self, plan: &Plan) -> Option<i64> {
        let op = self.next?;
        (self.issued < self.retired + self.depth).then_some(op.edge + plan.delta - self.latency)
    }
}

/// Buffer C, seen from the DMA. C is two banks, each half the depth with its own read and write
/// port: the array fills one bank while the DMA drains (or refills) the other.
#[derive(Debug, Clone)]
struct OutputStream {
    mode: OutputMode,
    /// Rows one bank holds.
    half: u64,
    /// Spill: chunks per fold.
    chunks: u64,
    last_row_tile: usize,
    latency: i64,
    /// Rows held in each bank (written or being refetched, not yet drained).
    occupied: [u64; 2],
    /// Rows waiting to be drained, in write order: (first cycle the DMA may read it, bank, lanes,
    /// vector address).
    finals: VecDeque<(u64, usize, u32, usize)>,
    drained: u64,
    /// Cycle from which the last drain has left the chip.
    drain_done: u64,
    /// Spill: drains whose row has been read out of C (from `L_C + 1` cycles after the drain:
    /// DRAM holds the value from then), and the cycles from which the later ones are.
    drained_out: u64,
    out_at: VecDeque<u64>,
    /// Spill: the DMA's cursor over the read-backs (visit index, row), the refetches under way
    /// (arrival cycle, bank, lanes), those written into C, and those the array has read back.
    rf_fold: usize,
    rf_step: usize,
    rf_next: Option<(u64, OutOp)>,
    rf_inflight: VecDeque<(u64, usize, u32)>,
    rf_written: u64,
    rf_needed: u64,
}

/// What buffer C does with a run's partial sums under a tiling, and (spill) how many chunks
/// each fold's rows are cut into (`docs/microarchitecture.md`, "Memory system"): OS, and WS/IS
/// with one row tile, drain every row; an output tile of WS/IS whose rows (a fold's stream
/// chunk) fit a bank of C accumulates there across its K folds; otherwise (a fold streams the
/// whole stream dimension, [`crate::mapping::Mapping::check`]) its rows spill to DRAM and come
/// back. Fails when C is too small for its mode.
pub fn output_plan(cfg: &ArchConfig, tiling: &Tiling) -> Result<(OutputMode, u64), RunError> {
    let half = cfg.buffer_depth(BufferId::C) / 2;
    let t = tiling.stream_tile as u64;
    let desc = tiling.desc;
    let mode = if desc.reduction_in_stream() || tiling.tiles(desc.rows) == 1 {
        OutputMode::Drain
    } else if t <= half {
        OutputMode::Accumulate
    } else {
        OutputMode::Spill
    };
    if half == 0 {
        return Err(RunError::Memory(format!(
            "buffer C holds {} rows of {} lanes: its two banks need at least one row each",
            cfg.buffer_depth(BufferId::C),
            tiling.c
        )));
    }
    // Spill: a fold's rows go out in chunks of at most half a bank, alternating banks, each
    // chunk in a quarter of C. A refetch waits for its place (the row four chunks back) to be
    // drained and for the previous fold's row to be in DRAM; both rows precede the read-back
    // that waits for it by more than L_C rows when every chunk has at least L_C + 1 rows, so
    // they are written, hence drainable, while the array waits. Balanced chunks are at least
    // half / 3 rows.
    let (chunks, lc) = (
        t.div_ceil((half / 2).max(1)),
        u64::from(cfg.buffers.c.read_latency),
    );
    if mode == OutputMode::Spill && t / chunks < lc + 1 {
        return Err(RunError::Memory(format!(
            "each bank of buffer C holds {half} rows of {} lanes; spilling the partial sums of this {} GEMM (a column tile of {t} rows) needs at least {} per bank (3 x (read latency + 1))",
            tiling.c,
            desc.dataflow,
            3 * (lc + 1)
        )));
    }
    Ok((mode, chunks))
}

impl OutputStream {
    fn new(cfg: &ArchConfig, plan: &Plan) -> Result<Self, RunError> {
        let half = cfg.buffer_depth(BufferId::C) / 2;
        let (mode, chunks) = output_plan(cfg, &plan.tiling)?;
        debug_assert!(mode != OutputMode::Spill || plan.stream_tiles == 1);
        let mut s = OutputStream {
            mode,
            half,
            chunks,
            last_row_tile: plan.row_tiles - 1,
            latency: plan.lat_c,
            occupied: [0; 2],
            finals: VecDeque::new(),
            drained: 0,
            drain_done: 0,
            drained_out: 0,
            out_at: VecDeque::new(),
            rf_fold: 0,
            rf_step: 0,
            rf_next: None,
            rf_inflight: VecDeque::new(),
            rf_written: 0,
            rf_needed: 0,
        };
        s.advance(plan);
        Ok(s)
    }

    /// The bank of output row `op`: folds alternate (Drain), output tiles do (Accumulate: an
    /// output tile's partial sums stay in one bank across its K folds, which run back to back),
    /// or a fold's chunks do
    /// (Spill: the array works on one chunk while the DMA drains the ones before it and fetches
    /// later ones back as their places in C free up).
    fn bank(&self, plan: &Plan, op: &OutOp) -> usize {
        match self.mode {
            OutputMode::Drain => op.fold % 2,
            OutputMode::Accumulate => (op.fold / plan.row_tiles) % 2,
            OutputMode::Spill => (self.global_chunk(plan, self.visit(plan, op)) % 2) as usize,
        }
    }

    /// Spill: the index of output row `op` among all rows of the run (fold-major).
    fn visit(&self, plan: &Plan, op: &OutOp) -> u64 {
        let t = plan.stream_extent as u64;
        op.fold as u64 * t + op.addr as u64 % t
    }

    /// Spill: the chunk (counted over the whole run) of the `visit`-th row. Chunks are balanced:
    /// of a fold's `chunks`, the first `T mod chunks` have one row more.
    fn global_chunk(&self, plan: &Plan, visit: u64) -> u64 {
        let t = plan.stream_extent as u64;
        let (fold, row) = (visit / t, visit % t);
        let (q, r) = (t / self.chunks, t % self.chunks);
        let chunk = if row < r * (q + 1) {
            row / (q + 1)
        } else {
            r + (row - r * (q + 1)) / q
        };
        fold * self.chunks + chunk
    }

    /// Spill: the first row (visit index) of global chunk `g`.
    fn chunk_start(&self, plan: &Plan, g: u64) -> u64 {
        let t = plan.stream_extent as u64;
        let (fold, j) = (g / self.chunks, g % self.chunks);
        let (q, r) = (t / self.chunks, t % self.chunks);
        fold * t + j * q + j.min(r)
    }

    /// Spill: the rows of the `j`-th chunk of a fold.
    fn chunk_rows(&self, plan: &Plan, j: u64) -> u64 {
        let t = plan.stream_extent as u64;
        t / self.chunks + u64::from(j < t % self.chunks)
    }

    /// Spill: whether the place of row `i` of global chunk `g` in C is free. Chunk `g` lives in
    /// quarter `g mod 4` of C (bank `g mod 2`, half `(g / 2) mod 2` of it), its row `i` at row `i`
    /// of the quarter; the quarter's previous chunk is `g - 4`, so the place is free once the
    /// drains have passed row `i` of chunk `g - 4` (or the whole chunk, when it is shorter).
    fn slot_free(&self, plan: &Plan, g: u64, i: u64) -> bool {
        let Some(prev) = g.checked_sub(4) else {
            return true;
        };
        let rows = self.chunk_rows(plan, prev % self.chunks);
        self.drained >= self.chunk_start(plan, prev) + (i + 1).min(rows)
    }

    /// Spill: global chunk and row within it of the `visit`-th row.
    fn chunk_pos(&self, plan: &Plan, visit: u64) -> (u64, u64) {
        let g = self.global_chunk(plan, visit);
        (g, visit - self.chunk_start(plan, g))
    }

    /// Whether fold `f`'s writes take a new row in C (rather than updating one already there).
    fn claims(&self, plan: &Plan, f: usize) -> bool {
        match self.mode {
            OutputMode::Drain => true,
            OutputMode::Accumulate | OutputMode::Spill => plan.fold(f).row_tile == 0,
        }
    }

    /// Moves the refetch cursor to the next row that is read back (Spill mode only).
    fn advance(&mut self, plan: &Plan) {
        self.rf_next = None;
        if self.mode != OutputMode::Spill {
            return;
        }
        while self.rf_fold < plan.folds() {
            if plan.fold(self.rf_fold).row_tile == 0 {
                self.rf_fold += 1;
                continue;
            }
            let visit = (self.rf_fold * plan.stream_extent + self.rf_step) as u64;
            let op = plan.out_op(self.rf_fold, self.rf_step);
            self.rf_step += 1;
            if self.rf_step == plan.stream_extent {
                self.rf_step = 0;
                self.rf_fold += 1;
            }
            self.rf_next = Some((visit, op));
            return;
        }
    }

    /// The deadline of the next refetch, if it may be issued: its place in C is free (the row
    /// four chunks back has been drained) and the previous fold's partial sum of the same row is
    /// in DRAM (its drain has read it out of C).
    fn rf_deadline(&self, plan: &Plan) -> Option<i64> {
        let (visit, op) = self.rf_next?;
        let (g, i) = self.chunk_pos(plan, visit);
        let in_dram = visit - (plan.stream_extent as u64) < self.drained_out;
        (self.slot_free(plan, g, i) && in_dram).then_some(op.edge + plan.delta - self.latency)
    }
}

/// Buffer A: an operand matrix like B, or a convolution's ifmap read through the im2col unit.
// One per run: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
enum AStream {
    Matrix(OperandStream),
    Ifmap(IfmapStream),
}

/// The memory system of one run: buffers A, B and C, the DMA engine and the DRAM bus.
#[derive(Debug, Clone)]
pub(crate) struct MemorySystem {
    a: AStream,
    b: OperandStream,
    c: OutputStream,
    bus: DramBus,
    started: bool,
}

/// A fetch candidate in one cycle: (deadline, which).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stream {
    C,
    A,
    B,
}

impl MemorySystem {
    pub(crate) fn new(cfg: &ArchConfig, plan: &Plan) -> Result<Self, RunError> {
        let mut mem = MemorySystem {
            a: AStream::Matrix(OperandStream::new(cfg, plan, BufferId::A)),
            b: OperandStream::new(cfg, plan, BufferId::B),
            c: OutputStream::new(cfg, plan)?,
            bus: DramBus::new(cfg.dram.bytes_per_cycle, cfg.dram.latency_cycles),
            started: false,
        };
        // A convolution's ifmap goes in buffer A when its rows fit and move fewer bytes than the
        // expanded matrix would. Whole rows carry every channel and column, so a strided 1x1
        // layer, or a WS fold that reads a slice of the channels, can cost more than the matrix;
        // a tie (a 1x1 stride-1 layer) keeps the matrix.
        if let Some(s) = plan
            .ifmap
            .and_then(|geom| IfmapStream::new(cfg, plan, geom))
        {
            if s.traffic() < mem.traffic(cfg, plan).a_read {
                mem.a = AStream::Ifmap(s);
            }
        }
        Ok(mem)
    }

    /// The static decisions of this run.
    pub(crate) fn plan(&self) -> MemoryPlan {
        MemoryPlan {
            a: match &self.a {
                AStream::Matrix(s) => s.reuse,
                AStream::Ifmap(s) => match s.keep {
                    Keep::Whole => Reuse::IfmapWhole,
                    Keep::Epoch => Reuse::IfmapPerRun,
                    Keep::Window => Reuse::IfmapWindow,
                },
            },
            b: self.b.reuse,
            c: self.c.mode,
        }
    }

    /// Spill: chunks per fold, rows per chunk, and how many chunks have one row more.
    pub(crate) fn spill_chunks(&self, plan: &Plan) -> Option<(u64, u64, u64)> {
        let (n, t) = (self.c.chunks, plan.stream_extent as u64);
        (self.c.mode == OutputMode::Spill).then_some((n, t / n, t % n))
    }

    /// The closed form of this run's DRAM traffic.
    pub(crate) fn traffic(&self, cfg: &ArchConfig, plan: &Plan) -> DramTraffic {
        let mut t = DramTraffic::of(cfg, plan, &self.plan());
        if let AStream::Ifmap(s) = &self.a {
            t.a_read = s.traffic();
        }
        t
    }

    /// Buffer A's fills when it holds a convolution's ifmap: (bank words, elements).
    pub(crate) fn ifmap_fills(&self, cfg: &ArchConfig) -> Option<(u64, u64)> {
        match &self.a {
            AStream::Ifmap(s) => Some(s.fills(cfg)),
            AStream::Matrix(_) => None,
        }
    }

    /// The matrix stream of buffer `buf`, `None` for an ifmap in A.
    fn operand(&self, buf: BufferId) -> Option<&OperandStream> {
        match (buf, &self.a) {
            (BufferId::A, AStream::Matrix(s)) => Some(s),
            (BufferId::A, AStream::Ifmap(_)) => None,
            _ => Some(&self.b),
        }
    }

    fn operand_mut(&mut self, buf: BufferId) -> Option<&mut OperandStream> {
        match (buf, &mut self.a) {
            (BufferId::A, AStream::Matrix(s)) => Some(s),
            (BufferId::A, AStream::Ifmap(_)) => None,
            _ => Some(&mut self.b),
        }
    }

    /// Whether cycle 0 may begin: the fetches of folds 0 and 1 are in their buffers (or the
    /// buffers are full). Latches once true.
    pub(crate) fn started(&mut self) -> bool {
        if !self.started {
            let a = match &self.a {
                AStream::Matrix(s) => s.written >= s.prologue,
                AStream::Ifmap(s) => s.written >= s.prologue,
            };
            self.started = a && self.b.written >= self.b.prologue;
        }
        self.started
    }

    /// Whether a read of buffer `buf` by fold `f` finds its vector.
    pub(crate) fn read_ready(&self, plan: &Plan, buf: BufferId, f: usize) -> bool {
        match self.operand(buf) {
            Some(s) => !s.fetches(plan, f) || s.needed < s.written,
            None => matches!(&self.a, AStream::Ifmap(s) if s.ready()),
        }
    }

    /// A read of vector `addr` of buffer `buf` by fold `f` was issued.
    pub(crate) fn on_read(&mut self, plan: &Plan, buf: BufferId, f: usize, addr: usize) {
        let Some(s) = self.operand_mut(buf) else {
            if let AStream::Ifmap(s) = &mut self.a {
                s.on_read(plan, f, addr);
            }
            return;
        };
        let fetches = s.fetches(plan, f);
        #[cfg(debug_assertions)]
        s.shadow.read(addr, fetches.then_some(s.needed));
        #[cfg(not(debug_assertions))]
        let _ = addr;
        if fetches {
            s.needed += 1;
        }
        if s.retires(plan, f) {
            s.retired += 1;
        }
    }

    /// Whether the read-back of an output row finds its partial sums in C.
    pub(crate) fn readback_ready(&self) -> bool {
        self.c.mode != OutputMode::Spill || self.c.rf_needed < self.c.rf_written
    }

    /// The read-back of output row `op` was issued; returns the bank of C it read.
    pub(crate) fn on_readback(&mut self, plan: &Plan, op: &OutOp) -> usize {
        if self.c.mode == OutputMode::Spill {
            self.c.rf_needed += 1;
        }
        self.c.bank(plan, op)
    }

    /// Whether output row `op` finds a row free in its bank of C.
    pub(crate) fn write_ready(&self, plan: &Plan, op: &OutOp) -> bool {
        let c = &self.c;
        if !c.claims(plan, op.fold) {
            return true;
        }
        if c.mode == OutputMode::Spill {
            let (g, i) = c.chunk_pos(plan, c.visit(plan, op));
            c.slot_free(plan, g, i)
        } else {
            c.occupied[c.bank(plan, op)] < c.half
        }
    }

    /// Output row `op` was written in cycle `t`; returns the bank of C it wrote.
    pub(crate) fn on_write(&mut self, plan: &Plan, op: &OutOp, t: u64) -> usize {
        let c = &mut self.c;
        let bank = c.bank(plan, op);
        if c.claims(plan, op.fold) {
            c.occupied[bank] += 1;
        }
        let last = match c.mode {
            OutputMode::Drain | OutputMode::Spill => true,
            OutputMode::Accumulate => plan.fold(op.fold).row_tile == c.last_row_tile,
        };
        if last {
            c.finals.push_back((t + 1, bank, op.count as u32, op.addr));
        }
        bank
    }

    /// Whether every result has left for DRAM.
    pub(crate) fn drained(&self) -> bool {
        self.c.finals.is_empty()
    }

    /// The first cycle in which the last result has left the chip.
    pub(crate) fn drain_done(&self) -> u64 {
        self.c.drain_done
    }

    /// One cycle of the DMA, after the datapath's: data that has arrived is written into the
    /// buffers, a finished row of C is drained, and new fetches are issued, most urgent first.
    /// Returns whether anything moved.
    /// `(c_read, c_write)`: the banks of C the datapath read or wrote this cycle; the DMA uses a
    /// bank of C only when the datapath does not use that port of that bank.
    pub(crate) fn step(
        &mut self,
        cfg: &ArchConfig,
        plan: &Plan,
        t: u64,
        (c_read, c_write): (Option<usize>, Option<usize>),
        ev: &mut EventCounts,
        probe: &mut dyn Probe,
    ) -> bool {
        let free = |busy: Option<usize>, bank: usize| busy != Some(bank);
        let mut moved = false;
        while self.c.out_at.front().is_some_and(|&at| at <= t) {
            self.c.out_at.pop_front();
            self.c.drained_out += 1;
        }
        // A refetch may go out if its place was free before this cycle's drain (the hardware
        // compares registered counts).
        let rf_due = self.c.rf_deadline(plan);
        // Arrivals: one vector per buffer per cycle through its write port.
        if let AStream::Ifmap(s) = &mut self.a {
            moved |= s.land(cfg, t, ev);
        }
        for buf in [BufferId::A, BufferId::B] {
            let Some(s) = self.operand_mut(buf) else {
                continue;
            };
            if s.inflight.front().is_some_and(|&(at, _)| at <= t) {
                let (_, lanes) = s.inflight.pop_front().expect("checked");
                #[cfg(debug_assertions)]
                s.shadow.land(s.written);
                s.written += 1;
                let words = cfg.words_for(buf, lanes);
                if buf == BufferId::A {
                    ev.a_buf_writes += words;
                    ev.a_buf_write_elems += u64::from(lanes);
                } else {
                    ev.b_buf_writes += words;
                    ev.b_buf_write_elems += u64::from(lanes);
                }
                moved = true;
            }
        }
        if self
            .c
            .rf_inflight
            .front()
            .is_some_and(|&(at, bank, _)| at <= t && free(c_write, bank))
        {
            let (_, _, lanes) = self.c.rf_inflight.pop_front().expect("checked");
            self.c.rf_written += 1;
            ev.c_buf_writes += cfg.words_for(BufferId::C, lanes);
            ev.c_buf_write_elems += u64::from(lanes);
            moved = true;
        }
        // Drain: the DMA reads one finished row through C's read port when the array does not.
        if self
            .c
            .finals
            .front()
            .is_some_and(|&(from, bank, _, _)| from <= t && free(c_read, bank))
            && self.bus.can_issue(t)
        {
            let (_, bank, lanes, addr) = self.c.finals.pop_front().expect("checked");
            self.c.occupied[bank] -= 1;
            let bytes = cfg.packed_bytes(BufferId::C, u64::from(lanes));
            probe.dram_request(&DramRequest {
                wall: t,
                buf: BufferId::C,
                write: true,
                bytes,
                first_elem: (addr * plan.layout_c.lanes) as u64,
                elems: u64::from(lanes),
                elem_bits: cfg.element_bits(BufferId::C),
                bus_slot: self.bus.next_slot(t),
            });
            // The write is booked as the DMA reads the row; the row cannot leave before its
            // SRAM read completes, L_C cycles later.
            let done = self.bus.issue(t, bytes).max(t + self.c.latency as u64 + 1);
            self.c.drain_done = self.c.drain_done.max(done);
            self.c.drained += 1;
            if self.c.mode == OutputMode::Spill {
                self.c.out_at.push_back(t + self.c.latency as u64 + 1);
            }
            ev.c_buf_reads += cfg.words_for(BufferId::C, lanes);
            ev.c_buf_read_elems += u64::from(lanes);
            ev.dram_c_write_bytes += bytes;
            moved = true;
        }
        // Fetches, earliest deadline first (ties: C, A, B).
        let mut cands: Vec<(i64, Stream)> = Vec::with_capacity(3);
        if let Some(d) = rf_due {
            cands.push((d, Stream::C));
        }
        if let Some(d) = self.a_deadline(plan) {
            cands.push((d, Stream::A));
        }
        if let Some(d) = self.b.deadline(plan) {
            cands.push((d, Stream::B));
        }
        cands.sort_unstable();
        for (_, which) in cands {
            if !self.bus.can_issue(t) {
                break;
            }
            match which {
                Stream::C => {
                    let (_, op) = self.c.rf_next.expect("candidate");
                    let bytes = cfg.packed_bytes(BufferId::C, op.count as u64);
                    probe.dram_request(&DramRequest {
                        wall: t,
                        buf: BufferId::C,
                        write: false,
                        bytes,
                        first_elem: (op.addr * plan.layout_c.lanes) as u64,
                        elems: op.count as u64,
                        elem_bits: cfg.element_bits(BufferId::C),
                        bus_slot: self.bus.next_slot(t),
                    });
                    let at = self.bus.issue(t, bytes);
                    let bank = self.c.bank(plan, &op);
                    self.c.occupied[bank] += 1;
                    self.c.rf_inflight.push_back((at, bank, op.count as u32));
                    ev.dram_c_read_bytes += bytes;
                    self.c.advance(plan);
                }
                Stream::A if matches!(self.a, AStream::Ifmap(_)) => {
                    let AStream::Ifmap(s) = &mut self.a else {
                        unreachable!("checked")
                    };
                    let (elems, first_elem) = s.next_burst();
                    let bytes = cfg.packed_bytes(BufferId::A, elems);
                    let bus_slot = self.bus.next_slot(t);
                    let at = self.bus.issue(t, bytes);
                    s.issue(plan, at);
                    probe.dram_request(&DramRequest {
                        wall: t,
                        buf: BufferId::A,
                        write: false,
                        bytes,
                        first_elem,
                        elems,
                        elem_bits: cfg.element_bits(BufferId::A),
                        bus_slot,
                    });
                    ev.dram_a_read_bytes += bytes;
                }
                Stream::A | Stream::B => {
                    let buf = if which == Stream::A {
                        BufferId::A
                    } else {
                        BufferId::B
                    };
                    let s = match (buf, &mut self.a) {
                        (BufferId::A, AStream::Matrix(s)) => s,
                        _ => &mut self.b,
                    };
                    let op = s.next.expect("candidate");
                    let bytes = cfg.packed_bytes(buf, op.count as u64);
                    let lanes = if buf == BufferId::A {
                        plan.layout_a.lanes
                    } else {
                        plan.layout_b.lanes
                    };
                    probe.dram_request(&DramRequest {
                        wall: t,
                        buf,
                        write: false,
                        bytes,
                        first_elem: (op.addr * lanes) as u64,
                        elems: op.count as u64,
                        elem_bits: cfg.element_bits(buf),
                        bus_slot: self.bus.next_slot(t),
                    });
                    let at = self.bus.issue(t, bytes);
                    s.inflight.push_back((at, op.count as u32));
                    #[cfg(debug_assertions)]
                    s.shadow.fetch(s.issued, op.addr);
                    s.issued += 1;
                    s.advance(plan);
                    if buf == BufferId::A {
                        ev.dram_a_read_bytes += bytes;
                    } else {
                        ev.dram_b_read_bytes += bytes;
                    }
                }
            }
            moved = true;
        }
        moved
    }

    fn a_deadline(&self, plan: &Plan) -> Option<i64> {
        match &self.a {
            AStream::Matrix(s) => s.deadline(plan),
            AStream::Ifmap(s) => s.deadline(plan),
        }
    }

    /// A one-line description of the DMA's state (for internal-error messages).
    pub(crate) fn describe(&self) -> String {
        let c = &self.c;
        let a = match &self.a {
            AStream::Matrix(a) => format!(
                "A issued/written/needed/retired {}/{}/{}/{} depth {}",
                a.issued, a.written, a.needed, a.retired, a.depth
            ),
            AStream::Ifmap(a) => format!(
                "A (ifmap rows) issued/written/retired {}/{}/{} capacity {}",
                a.issued, a.written, a.retired, a.capacity
            ),
        };
        format!(
            "{a}; B {}/{}/{}/{} depth {}; C {:?} occupied {:?} of {} per bank, {} to drain (front {:?}), drained {}, refetch next {:?} in flight {} written {} needed {}",
            self.b.issued, self.b.written, self.b.needed, self.b.retired, self.b.depth,
            c.mode, c.occupied, c.half, c.finals.len(), c.finals.front(), c.drained,
            c.rf_next.map(|(v, op)| (v, op.fold, op.addr)), c.rf_inflight.len(), c.rf_written, c.rf_needed
        )
    }

    /// After a cycle `t` in which nothing moved while the array stalled: the next cycle in which
    /// something can (an arrival, a row that becomes drainable, the bus accepting a request), so
    /// that the simulation can skip the cycles in between. `None`: nothing ever will (a deadlock).
    pub(crate) fn next_event(&self, plan: &Plan, t: u64) -> Option<u64> {
        let arrivals = [
            match &self.a {
                AStream::Matrix(s) => s.inflight.front().map(|x| x.0),
                AStream::Ifmap(s) => s.next_arrival(),
            },
            self.b.inflight.front().map(|x| x.0),
            self.c.rf_inflight.front().map(|x| x.0),
            self.c.finals.front().map(|x| x.0),
            self.c.out_at.front().copied(),
        ];
        let wants_bus = !self.c.finals.is_empty()
            || self.a_deadline(plan).is_some()
            || self.b.deadline(plan).is_some()
            || self.c.rf_deadline(plan).is_some();
        let bus = wants_bus.then(|| self.bus.accepts_from());
        arrivals
            .into_iter()
            .chain([bus])
            .flatten()
            .filter(|&n| n > t)
            .min()
    }
}

/// Bytes a run moves between DRAM and the buffers, per operand, in closed form from the memory
/// plan (`docs/microarchitecture.md`, "Memory system"); the simulation counts the same bytes one
/// by one, and tests hold the two equal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DramTraffic {
    /// Bytes of A read.
    pub a_read: u64,
    /// Bytes of B read.
    pub b_read: u64,
    /// Bytes of spilled partial sums read back.
    pub c_read: u64,
    /// Bytes of results and spilled partial sums written.
    pub c_write: u64,
}

impl DramTraffic {
    /// The compulsory traffic of a GEMM in dataflow `df`: each operand read once, C written once,
    /// each vector packed at its element width ([`ArchConfig::packed_bytes`]; with int8 operands
    /// `M x K`, `K x N` and `4 x M x N` bytes).
    pub fn compulsory(
        cfg: &ArchConfig,
        df: Dataflow,
        shape: crate::workload::GemmShape,
    ) -> DramTraffic {
        DramTraffic::compulsory_of(cfg, &Plan::new(cfg, df, shape))
    }

    fn compulsory_of(cfg: &ArchConfig, plan: &Plan) -> DramTraffic {
        let bytes = |id: BufferId| {
            let layout = match id {
                BufferId::A => &plan.layout_a,
                BufferId::B => &plan.layout_b,
                BufferId::C => &plan.layout_c,
            };
            layout.packed_bytes(cfg.element_bits(id))
        };
        DramTraffic {
            a_read: bytes(BufferId::A),
            b_read: bytes(BufferId::B),
            c_read: 0,
            c_write: bytes(BufferId::C),
        }
    }

    /// The closed form of a run's traffic for this plan: each matrix operand's compulsory bytes
    /// times how often its epochs start over ([`crate::mapping::Mapping::refetches`]); C's
    /// results once, or with spilled partial sums once per K fold out and all but the first
    /// back.
    pub(crate) fn of(cfg: &ArchConfig, plan: &Plan, mem: &MemoryPlan) -> DramTraffic {
        let base = DramTraffic::compulsory_of(cfg, plan);
        let row_tiles = plan.row_tiles as u64;
        let fetches = |buf| plan.mapping.refetches(&plan.tiling, buf);
        let (c_read, c_write) = match mem.c {
            OutputMode::Drain | OutputMode::Accumulate => (0, base.c_write),
            OutputMode::Spill => ((row_tiles - 1) * base.c_write, row_tiles * base.c_write),
        };
        DramTraffic {
            a_read: fetches(BufferId::A) * base.a_read,
            b_read: fetches(BufferId::B) * base.b_read,
            c_read,
            c_write,
        }
    }

    /// The bytes a run counted, one by one, in its events.
    pub fn counted(ev: &EventCounts) -> DramTraffic {
        DramTraffic {
            a_read: ev.dram_a_read_bytes,
            b_read: ev.dram_b_read_bytes,
            c_read: ev.dram_c_read_bytes,
            c_write: ev.dram_c_write_bytes,
        }
    }

    /// Total bytes moved.
    pub fn total(&self) -> u64 {
        self.a_read + self.b_read + self.c_read + self.c_write
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The report names are the JSON names.
    #[test]
    fn names_are_the_serde_names() {
        let json = |v: serde_json::Value| v.as_str().unwrap().to_string();
        for r in [
            Reuse::Whole,
            Reuse::PerRun,
            Reuse::PerFold,
            Reuse::IfmapWhole,
            Reuse::IfmapWindow,
            Reuse::IfmapPerRun,
        ] {
            assert_eq!(json(serde_json::to_value(r).unwrap()), r.name());
        }
        for m in [OutputMode::Drain, OutputMode::Accumulate, OutputMode::Spill] {
            assert_eq!(json(serde_json::to_value(m).unwrap()), m.name());
        }
    }

    /// A keep level just outside a loop over the operand's own dimension is the level inside it
    /// (`Mapping::normalized`): `A:all` over an outer `m:2` in OS refetches A for every block of
    /// M, so it is reported (and run, in the RTL's ring) as `per-run`, not `whole`. The label
    /// once came from the level as written, and the RTL, which takes the buffer for a ring or not
    /// from it, landed 21 vectors of A in a 16-vector buffer at their layout addresses and hung.
    #[test]
    fn an_unnormalized_keep_level_is_reported_as_what_it_runs() {
        use crate::mapping::{Dim, Loop, Mapping};
        use crate::workload::GemmShape;
        let mut cfg = crate::testing::tiny_dram(2, 3, 1, 5);
        cfg.buffers.a.capacity_kib = 1;
        cfg.buffers.a.word_bits = 512;
        cfg.validate().unwrap();
        let (df, shape) = (Dataflow::Os, GemmShape { m: 5, n: 4, k: 7 });
        let loops = vec![
            Loop::blocks(Dim::M, 2),
            Loop::over(Dim::N),
            Loop::over(Dim::M),
        ];
        let mut m = Mapping::with_loops(&cfg, df, shape, 7, loops);
        m.keep.a = 0;
        m.check(&cfg, df, shape).unwrap();
        let (plan, _) = crate::array::memory_plan_mapped(&cfg, df, shape, &m)
            .unwrap()
            .unwrap();
        assert_eq!(plan.a, Reuse::PerRun);
        let normal = m.clone().normalized();
        assert_eq!(normal.keep.a, 1);
        let (same, _) = crate::array::memory_plan_mapped(&cfg, df, shape, &normal)
            .unwrap()
            .unwrap();
        assert_eq!(same, plan);
    }
}
