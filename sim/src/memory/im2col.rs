//! Buffer A holding a convolution's real input feature map, read through an im2col address unit
//! (`docs/microarchitecture.md`, "Convolutions: the ifmap in buffer A"). Fast model only: the RTL
//! runs GEMMs, whose A is a matrix.
//!
//! The array reads the same vectors as with the expanded matrix (lane `i` of a read is element
//! `(m, k)` of the im2col matrix); what changes is what buffer A holds and what crosses the DRAM
//! port. Buffer A holds whole *ifmap rows*: row `(n, ih)` of the unpadded NHWC ifmap, `W x C`
//! elements of one channel group. The address unit turns `(m, k)` into the row, column and
//! channel, and supplies zero for padding (a quantized layer's values, padded with its zero point,
//! come from the expanded matrix: this module models timing and traffic). A row starts on a
//! vector boundary and takes whole vectors; the DMA fetches rows in increasing order, one DRAM request (burst) per vector, into a
//! ring of row slots.
//!
//! The reads are grouped into *units*, each of which needs an interval of ifmap rows resident:
//! - OS (A streams into the rows, lanes over output pixels): a fold (its row tile's pixels, every
//!   filter row);
//! - IS (A preloads the stationary tile, lanes over output pixels): a fold (its column tile's
//!   pixels, the filter rows of its K tile);
//! - WS (A streams, lanes over K, one output pixel per read): a read.
//!
//! A unit may start only when the last row of its interval is written. Between consecutive units
//! the window slides: rows below the next unit's interval are freed at the end of the unit, rows
//! above the window are fetched. A unit whose interval starts below the window (a new column tile
//! in OS, a new fold in WS) restarts the window: every row is freed and fetched again. When the
//! whole ifmap fits, every row is fetched once and stays.
//!
//! The rows may instead stay for an *epoch*: one iteration of the loops outside some level `L`
//! of the mapping's nest ([`crate::mapping::nest::FoldEntry::advanced`]). Within an epoch the
//! window only grows (rows above it are fetched, none is freed); it slides or restarts only as
//! the next epoch begins. That is what lets the K folds of a WS output tile, and the column tiles
//! around them, read the same ifmap rows again without fetching them: each fold restarts its
//! rows from the tile's first output pixel. Like a matrix operand's keep level, the level is the
//! one whose rows fit and that fetches the fewest rows (the innermost of equals); an ifmap's rows
//! are far fewer than its im2col matrix's, so it is chosen from the ifmap's rows, not from the
//! mapping's keep level for A, which sizes the matrix. The run keeps rows for an epoch when that
//! fetches fewer rows than the sliding window.
//!
//! When one unit's interval alone does not fit, or when whole rows would move as many bytes as
//! the expanded matrix or more (a strided 1x1 layer; a WS fold reading a slice of the channels),
//! the run keeps the expanded matrix in A (the memory plan says which).

use std::collections::VecDeque;

use crate::config::{ArchConfig, BufferId, Dataflow};
use crate::events::EventCounts;
use crate::mapping::schedule::{Plan, Port};
use crate::workload::im2col::Im2col;

/// How buffer A's ifmap rows are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keep {
    /// The whole ifmap fits: every row is fetched once and stays.
    Whole,
    /// A sliding window of rows.
    Window,
    /// A window that only grows within an epoch of the mapping and slides between epochs.
    Epoch,
}

/// The window of resident rows, advanced unit by unit. The DMA and the read side each run one
/// over the same units, so they agree on every row's fetch index.
#[derive(Debug, Clone)]
struct Window {
    keep: Keep,
    /// Fetches assigned so far.
    seq: u64,
    /// The current pass: the fetch index of its first row, and that row.
    pass_base: u64,
    base_row: u64,
    /// Resident rows `lo..=hi` (`hi`: the last row fetched; `None` before the first unit).
    lo: u64,
    hi: Option<u64>,
    /// The epoch of the last unit entered.
    epoch: u32,
}

/// What entering a unit does: rows freed at the end of the previous unit, rows to fetch, and the
/// fetches that must be written before the unit's first read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Enter {
    retire: u64,
    fetch: Option<(u64, u64)>,
    need: u64,
}

impl Window {
    fn new(keep: Keep) -> Self {
        Window {
            keep,
            seq: 0,
            pass_base: 0,
            base_row: 0,
            lo: 0,
            hi: None,
            epoch: 0,
        }
    }

    /// Enters a unit that needs rows `lo..=hi`, in epoch `epoch` of the mapping.
    fn enter(&mut self, (lo, hi): (u64, u64), epoch: u32) -> Enter {
        let same_epoch = self.hi.is_some() && epoch == self.epoch;
        self.epoch = epoch;
        let (retire, fetch) = match (self.keep, self.hi) {
            (Keep::Whole, prev) => {
                let from = prev.map_or(0, |p| p + 1);
                self.hi = Some(prev.map_or(hi, |p| p.max(hi)));
                (0, (hi >= from).then_some((from, hi)))
            }
            // Within an epoch nothing is freed: the window grows.
            (Keep::Epoch, Some(whi)) if same_epoch && lo >= self.lo && lo <= whi + 1 => {
                self.hi = Some(whi.max(hi));
                (0, (hi > whi).then_some((whi + 1, hi)))
            }
            (Keep::Window | Keep::Epoch, Some(whi)) if lo >= self.lo && lo <= whi + 1 => {
                let retire = lo - self.lo;
                self.lo = lo;
                self.hi = Some(whi.max(hi));
                (retire, (hi > whi).then_some((whi + 1, hi)))
            }
            (Keep::Window | Keep::Epoch, prev) => {
                let retire = prev.map_or(0, |p| p + 1 - self.lo);
                self.pass_base = self.seq;
                self.base_row = lo;
                self.lo = lo;
                self.hi = Some(hi);
                (retire, Some((lo, hi)))
            }
        };
        if let Some((a, b)) = fetch {
            self.seq += b - a + 1;
        }
        Enter {
            retire,
            fetch,
            need: self.pass_base + (hi - self.base_row) + 1,
        }
    }

    /// Rows resident after the last `enter`.
    fn resident(&self) -> u64 {
        self.hi.map_or(0, |h| h + 1 - self.lo)
    }
}

/// The units of a run's A reads (see the module documentation).
#[derive(Debug, Clone)]
struct Units {
    df: Dataflow,
    geom: Im2col,
    /// WS: the first unit (read) of each fold, and the total after the last fold.
    starts: Vec<usize>,
    /// The epoch each fold belongs to (every fold its own until [`Units::with_level`]).
    epochs: Vec<u32>,
}

impl Units {
    fn new(plan: &Plan, geom: Im2col) -> Units {
        let starts = match plan.df {
            Dataflow::Ws => {
                let mut at = 0;
                let mut v: Vec<usize> = (0..plan.folds())
                    .map(|f| {
                        let s = at;
                        at += plan.fold(f).len;
                        s
                    })
                    .collect();
                v.push(at);
                v
            }
            Dataflow::Os | Dataflow::Is => Vec::new(),
        };
        let epochs = (0..plan.folds() as u32).collect();
        Units {
            df: plan.df,
            geom,
            starts,
            epochs,
        }
    }

    /// The same units, with epochs that are the iterations of the loops outside `level`.
    fn with_level(mut self, plan: &Plan, level: usize) -> Units {
        let mut epoch = 0u32;
        for f in 0..plan.folds() {
            if f > 0 && plan.fold_advanced(f) < level {
                epoch += 1;
            }
            self.epochs[f] = epoch;
        }
        self
    }

    /// The fold whose reads include unit `u`.
    fn fold_of(&self, u: usize) -> usize {
        match self.df {
            Dataflow::Ws => self.starts.partition_point(|&s| s <= u) - 1,
            Dataflow::Os | Dataflow::Is => u,
        }
    }

    /// The epoch of A unit `u` belongs to.
    fn epoch(&self, u: usize) -> u32 {
        self.epochs[self.fold_of(u)]
    }

    fn count(&self, plan: &Plan) -> usize {
        match self.df {
            Dataflow::Ws => self.starts.last().copied().unwrap_or(0),
            Dataflow::Os | Dataflow::Is => plan.folds(),
        }
    }

    /// A reads in unit `u`.
    fn reads(&self, plan: &Plan, u: usize) -> usize {
        match self.df {
            Dataflow::Os => plan.fold(u).len,
            Dataflow::Is => plan.fold(u).rows_used,
            Dataflow::Ws => 1,
        }
    }

    /// The `j`-th read of unit `u`: its (fold, step) on A's port and the elements it reads.
    fn read(
        &self,
        plan: &Plan,
        u: usize,
        j: usize,
    ) -> (usize, usize, (usize, usize), (usize, usize)) {
        match self.df {
            Dataflow::Os => {
                let f = plan.fold(u);
                let m0 = f.row_tile * plan.r;
                (u, j, (m0, m0 + f.rows_used - 1), (j, j))
            }
            Dataflow::Is => {
                // Preload slot t carries stationary row R-1-t; the used rows come last.
                let f = plan.fold(u);
                let t = plan.r - f.rows_used + j;
                let k = f.row_tile * plan.r + (plan.r - 1 - t);
                let m0 = f.col_tile * plan.c;
                (u, t, (m0, m0 + f.cols_used - 1), (k, k))
            }
            Dataflow::Ws => {
                // The fold whose reads include unit u, and the read's step in it.
                let fi = self.fold_of(u);
                let t = u - self.starts[fi];
                let f = plan.fold(fi);
                let k0 = f.row_tile * plan.r;
                let m = f.s0 + t;
                (fi, t, (m, m), (k0, k0 + f.rows_used - 1))
            }
        }
    }

    /// The rows unit `u` needs.
    fn need(&self, plan: &Plan, u: usize) -> Option<(u64, u64)> {
        match self.df {
            Dataflow::Os => {
                let f = plan.fold(u);
                let m0 = f.row_tile * plan.r;
                self.geom
                    .need((m0, m0 + f.rows_used - 1), (0, plan.shape.k - 1))
            }
            Dataflow::Is => {
                let f = plan.fold(u);
                let (m0, k0) = (f.col_tile * plan.c, f.row_tile * plan.r);
                self.geom
                    .need((m0, m0 + f.cols_used - 1), (k0, k0 + f.rows_used - 1))
            }
            Dataflow::Ws => {
                let (_, _, m, k) = self.read(plan, u, 0);
                self.geom.need(m, k)
            }
        }
    }

    /// Edge time of unit `u`'s first read.
    fn first_edge(&self, plan: &Plan, u: usize) -> i64 {
        let (f, t, _, _) = self.read(plan, u, 0);
        let port = if self.df == Dataflow::Is {
            Port::Top
        } else {
            Port::Left
        };
        plan.edge_op(port, f, t).edge
    }
}

/// What a dry run of the window over every unit finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Survey {
    /// Rows fetched in all.
    pub(crate) fetched: u64,
    /// The most rows resident at once.
    pub(crate) peak: u64,
    /// Fetches of the first unit.
    pub(crate) first: u64,
}

fn survey(units: &Units, plan: &Plan, keep: Keep) -> Survey {
    let mut w = Window::new(keep);
    let (mut peak, mut first) = (0, None);
    let mut enter = |iv: Option<(u64, u64)>, epoch: u32| {
        if let Some(iv) = iv {
            w.enter(iv, epoch);
            first.get_or_insert(w.seq);
            peak = peak.max(w.resident());
        }
    };
    match units.df {
        Dataflow::Os | Dataflow::Is => {
            (0..units.count(plan)).for_each(|u| enter(units.need(plan, u), units.epochs[u]))
        }
        // WS: a unit is one read (one output pixel), and the reads of one fold that stay in one
        // row of output pixels need the same rows; entering the same interval again changes
        // nothing, so each fold enters once per row of pixels it streams.
        Dataflow::Ws => {
            let ow = units.geom.ofmap_w;
            for fi in 0..plan.folds() {
                let f = plan.fold(fi);
                let k = (f.row_tile * plan.r, f.row_tile * plan.r + f.rows_used - 1);
                let mut m = f.s0;
                while m < f.s0 + f.len {
                    let row_end = ((m / ow + 1) * ow).min(f.s0 + f.len);
                    enter(units.geom.need((m, row_end - 1), k), units.epochs[fi]);
                    m = row_end;
                }
            }
        }
    }
    Survey {
        fetched: w.seq,
        peak,
        first: first.unwrap_or(0),
    }
}

/// Buffer A holding the ifmap, seen from the DMA and from the controller's reads.
#[derive(Debug, Clone)]
pub(crate) struct IfmapStream {
    units: Units,
    pub(crate) keep: Keep,
    latency: i64,
    /// Row slots in the buffer (a row takes `row_vectors` whole vectors).
    pub(crate) capacity: u64,
    /// Rows the whole run fetches (from the dry run).
    fetched: u64,
    /// Elements of one row, vectors (bursts) it takes, lanes per vector and bits per element.
    row_elems: u64,
    row_vectors: u64,
    lanes: u64,
    elem_bits: u32,
    /// The DMA's cursor: its window, the unit it is in and the rows still to fetch for it.
    dma: Window,
    dma_unit: usize,
    dma_rows: Option<(u64, u64)>,
    /// Rows whose first burst was issued, bursts of the current row still to issue, bursts in
    /// flight (arrival cycle, elements, last of its row), and rows written.
    pub(crate) issued: u64,
    bursts_left: u64,
    inflight: VecDeque<(u64, u64, bool)>,
    pub(crate) written: u64,
    /// The read side: its window, its unit, reads left in it, and what the unit needs written.
    reads: Window,
    read_unit: usize,
    reads_left: usize,
    need: u64,
    pub(crate) retired: u64,
    /// Fetches that must be written before cycle 0 (the first unit's, at most the capacity).
    pub(crate) prologue: u64,
    /// Debug builds: the physical ring of row slots (which row each holds, and whether written).
    #[cfg(debug_assertions)]
    shadow: Vec<Option<(u64, bool)>>,
}

impl IfmapStream {
    /// Buffer A as an ifmap buffer for this run, or `None` when one unit's rows alone do not fit
    /// (the run then keeps the expanded matrix in A).
    pub(crate) fn new(cfg: &ArchConfig, plan: &Plan, geom: Im2col) -> Option<Self> {
        let units = Units::new(plan, geom);
        let lanes = plan.layout_a.lanes as u64;
        // Rows start on a vector boundary: a row takes whole vectors.
        let row_vectors = geom.row_elems().div_ceil(lanes).max(1);
        let capacity = cfg.buffer_depth(BufferId::A) / row_vectors;
        let fits = |s: &Survey| s.peak <= capacity && capacity > 0;
        let (keep, units, s) = if geom.rows() <= capacity {
            let s = survey(&units, plan, Keep::Whole);
            (Keep::Whole, units, s)
        } else {
            // Rows kept for the epochs of the level that fetches the fewest (the innermost of
            // equals), when that fits and fetches fewer than the sliding window.
            let window = survey(&units, plan, Keep::Window);
            let mut best = (Keep::Window, units.clone(), window);
            for level in (1..=plan.nest_depth()).rev() {
                let u = units.clone().with_level(plan, level);
                let s = survey(&u, plan, Keep::Epoch);
                if fits(&s) && (!fits(&best.2) || s.fetched < best.2.fetched) {
                    best = (Keep::Epoch, u, s);
                }
            }
            best
        };
        if !fits(&s) {
            return None;
        }
        let (reads_left, first_need) = (units.reads(plan, 0), units.need(plan, 0));
        let mut a = IfmapStream {
            units,
            keep,
            latency: i64::from(cfg.buffer(BufferId::A).read_latency),
            capacity,
            fetched: s.fetched,
            row_elems: geom.row_elems(),
            row_vectors,
            lanes,
            elem_bits: cfg.element_bits(BufferId::A),
            dma: Window::new(keep),
            dma_unit: 0,
            dma_rows: None,
            issued: 0,
            bursts_left: 0,
            inflight: VecDeque::new(),
            written: 0,
            reads: Window::new(keep),
            read_unit: 0,
            reads_left,
            need: 0,
            retired: 0,
            prologue: s.first.min(capacity),
            #[cfg(debug_assertions)]
            shadow: if capacity <= 1 << 24 {
                vec![None; capacity as usize]
            } else {
                vec![]
            },
        };
        if let Some(iv) = first_need {
            a.need = a.reads.enter(iv, a.units.epoch(0)).need;
        }
        a.dma_unit = usize::MAX;
        a.advance(plan);
        Some(a)
    }

    /// Ifmap rows this run fetches (the dry run's count).
    #[cfg(test)]
    pub(crate) fn fetched_rows(&self) -> u64 {
        self.fetched
    }

    /// Bytes of A this run reads from DRAM, in closed form (a dry run of the window).
    pub(crate) fn traffic(&self) -> u64 {
        // A row goes out as one burst per vector, each packed to whole bytes.
        let bytes = |elems: u64| (elems * u64::from(self.elem_bits)).div_ceil(8);
        let (full, rest) = (self.row_elems / self.lanes, self.row_elems % self.lanes);
        self.fetched * (full * bytes(self.lanes) + bytes(rest))
    }

    /// Bank words and elements the fills of buffer A write over the run, in closed form: every
    /// fetched row, one burst (vector) per `lanes` elements.
    pub(crate) fn fills(&self, cfg: &ArchConfig) -> (u64, u64) {
        let words = |elems: u64| cfg.words_for(BufferId::A, elems as u32);
        let (full, rest) = (self.row_elems / self.lanes, self.row_elems % self.lanes);
        let per_row = full * words(self.lanes) + if rest > 0 { words(rest) } else { 0 };
        (self.fetched * per_row, self.fetched * self.row_elems)
    }

    /// Moves the DMA to the next row to fetch.
    fn advance(&mut self, plan: &Plan) {
        if let Some((a, b)) = self.dma_rows {
            self.dma_rows = (a < b).then_some((a + 1, b));
            if self.dma_rows.is_some() {
                return;
            }
        }
        let count = self.units.count(plan);
        loop {
            self.dma_unit = self.dma_unit.wrapping_add(1);
            if self.dma_unit >= count {
                self.dma_unit = count;
                return;
            }
            if let Some(iv) = self.units.need(plan, self.dma_unit) {
                if let Some(rows) = self.dma.enter(iv, self.units.epoch(self.dma_unit)).fetch {
                    self.dma_rows = Some(rows);
                    return;
                }
            }
        }
    }

    /// The deadline of the next burst (the edge time of its unit's first read, as the controller
    /// counts cycles): a row's first burst needs a free row slot, the rest follow it.
    pub(crate) fn deadline(&self, plan: &Plan) -> Option<i64> {
        self.dma_rows?;
        (self.bursts_left > 0 || self.issued < self.retired + self.capacity)
            .then(|| self.units.first_edge(plan, self.dma_unit) + plan.delta - self.latency)
    }

    /// The next burst: its elements and the ifmap address of its first element (`row x W x C +
    /// offset`). A row goes out as one burst per vector, so that it never holds the DRAM bus for
    /// long (other streams' requests interleave).
    pub(crate) fn next_burst(&self) -> (u64, u64) {
        let row = self.dma_rows.expect("a burst to issue").0;
        let b = if self.bursts_left == 0 {
            0
        } else {
            self.row_vectors - self.bursts_left
        };
        let elems = (self.row_elems - b * self.lanes).min(self.lanes);
        (elems, row * self.row_elems + b * self.lanes)
    }

    /// Issues the next burst, whose data arrives in cycle `at`.
    pub(crate) fn issue(&mut self, plan: &Plan, at: u64) {
        let (elems, _) = self.next_burst();
        if self.bursts_left == 0 {
            #[cfg(debug_assertions)]
            if !self.shadow.is_empty() {
                let row = self.dma_rows.expect("a burst to issue").0;
                let slot = (self.issued % self.capacity) as usize;
                self.shadow[slot] = Some((row, false));
            }
            self.issued += 1;
            self.bursts_left = self.row_vectors;
        }
        self.bursts_left -= 1;
        let last = self.bursts_left == 0;
        self.inflight.push_back((at, elems, last));
        if last {
            self.advance(plan);
        }
    }

    /// One cycle of the write port: an arrived burst is written (one vector per cycle); a row
    /// whose last burst is written is readable from the next cycle. Returns whether anything
    /// moved.
    pub(crate) fn land(&mut self, cfg: &ArchConfig, t: u64, ev: &mut EventCounts) -> bool {
        if self.inflight.front().is_none_or(|&(at, _, _)| at > t) {
            return false;
        }
        let (_, elems, last) = self.inflight.pop_front().expect("checked");
        ev.a_buf_writes += cfg.words_for(BufferId::A, elems as u32);
        ev.a_buf_write_elems += elems;
        if last {
            #[cfg(debug_assertions)]
            if !self.shadow.is_empty() {
                let slot = (self.written % self.capacity) as usize;
                if let Some(entry) = &mut self.shadow[slot] {
                    entry.1 = true;
                }
            }
            self.written += 1;
        }
        true
    }

    /// The arrival cycle of the next burst.
    pub(crate) fn next_arrival(&self) -> Option<u64> {
        self.inflight.front().map(|x| x.0)
    }

    /// Whether the next read finds its unit's rows written.
    pub(crate) fn ready(&self) -> bool {
        self.written >= self.need
    }

    /// The controller issued the next read of A.
    pub(crate) fn on_read(&mut self, plan: &Plan, fold: usize, addr: usize) {
        #[cfg(debug_assertions)]
        self.check_read(plan, fold, addr);
        #[cfg(not(debug_assertions))]
        let _ = (fold, addr);
        self.reads_left -= 1;
        if self.reads_left > 0 {
            return;
        }
        // The unit's last read: on to the next one, freeing the rows it does not need.
        self.read_unit += 1;
        if self.read_unit >= self.units.count(plan) {
            return;
        }
        self.reads_left = self.units.reads(plan, self.read_unit);
        match self.units.need(plan, self.read_unit) {
            Some(iv) => {
                let e = self.reads.enter(iv, self.units.epoch(self.read_unit));
                self.retired += e.retire;
                self.need = e.need;
            }
            None => self.need = 0,
        }
    }

    /// Debug builds: every row the read takes an element from is in its slot, written, and not
    /// overwritten. Which rows those are comes from [`Im2col::source`], element by element.
    #[cfg(debug_assertions)]
    fn check_read(&self, plan: &Plan, fold: usize, addr: usize) {
        let j = self.units.reads(plan, self.read_unit) - self.reads_left;
        let (f, t, (m0, m1), (k0, k1)) = self.units.read(plan, self.read_unit, j);
        // The read the units expect is the one the controller issued.
        let port = if plan.df == Dataflow::Is {
            Port::Top
        } else {
            Port::Left
        };
        assert_eq!(
            (f, plan.edge_op(port, f, t).addr),
            (fold, addr),
            "internal error: the ifmap buffer expected another read"
        );
        if self.shadow.is_empty() {
            return;
        }
        for m in m0..=m1 {
            for k in k0..=k1 {
                let Some((row, _)) = self.units.geom.source(m, k) else {
                    continue;
                };
                // Its fetch in the read side's pass, and the slot that fetch went to.
                let row = row as u64;
                let q = (row >= self.reads.base_row)
                    .then(|| self.reads.pass_base + row - self.reads.base_row);
                let found = q.map(|q| self.shadow[(q % self.capacity) as usize]);
                assert!(
                    found == Some(Some((row, true))) && q < Some(self.issued),
                    "internal error: a read of A needs ifmap row {row} (element ({m}, {k})), which is not in buffer A; issued {} written {} retired {} need {}",
                    self.issued, self.written, self.retired, self.need
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geom(h: usize, w: usize, c: usize, f: usize, s: usize, p: usize) -> Im2col {
        Im2col {
            batch: 2,
            ifmap_h: h,
            ifmap_w: w,
            channels: c,
            filter_h: f,
            filter_w: f,
            stride_h: s,
            stride_w: s,
            pad_top: p,
            pad_left: p,
            ofmap_h: (h + 2 * p - f) / s + 1,
            ofmap_w: (w + 2 * p - f) / s + 1,
        }
    }

    /// `need` is the smallest interval holding every row the elements read, found element by
    /// element.
    #[test]
    fn need_covers_exactly_the_rows_read() {
        for g in [
            geom(5, 4, 2, 3, 1, 1),
            geom(7, 7, 1, 3, 2, 0),
            geom(6, 5, 3, 1, 1, 0),
            geom(4, 4, 2, 3, 2, 2),
        ] {
            let (m, k) = g.mk();
            for (m0, m1, k0, k1) in [
                (0, m - 1, 0, k - 1),
                (0, 0, 0, k - 1),
                (m / 2, m - 1, k / 3, k / 3),
                (1, m / 3, 0, 0),
                (m - 1, m - 1, k - 1, k - 1),
            ] {
                let rows: Vec<u64> = (m0..=m1)
                    .flat_map(|i| (k0..=k1).map(move |j| (i, j)))
                    .filter_map(|(i, j)| g.source(i, j).map(|(r, _)| r as u64))
                    .collect();
                let want = rows
                    .iter()
                    .min()
                    .map(|&lo| (lo, *rows.iter().max().unwrap()));
                let got = g.need((m0, m1), (k0, k1));
                let what = format!("{g:?} {m0}..{m1} x {k0}..{k1}");
                if g.pad_left == 0 {
                    assert_eq!(got, want, "{what}");
                } else if let Some((lo, hi)) = want {
                    // Column padding is not looked at: the interval may be wider, never narrower.
                    let (a, b) = got.expect(&what);
                    assert!(
                        a <= lo && hi <= b,
                        "{what}: {got:?} does not cover {want:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn expand_places_padding_zeros_and_ifmap_values() {
        let g = geom(3, 3, 1, 3, 1, 1);
        let ifmap: Vec<i8> = (1..=18).collect();
        let a = g.expand(&ifmap);
        assert_eq!(g.mk(), (18, 9));
        // Output pixel (0, 0) of image 0: the 3x3 window centred on ifmap (0, 0).
        let row0: Vec<i8> = (0..9).map(|j| a.get(0, j)).collect();
        assert_eq!(row0, [0, 0, 0, 0, 1, 2, 0, 4, 5]);
        // Image 1's centre pixel sees its whole 3x3 ifmap.
        let centre: Vec<i8> = (0..9).map(|j| a.get(9 + 4, j)).collect();
        assert_eq!(centre, (10..=18).collect::<Vec<_>>());
        // Every element, for several geometries, is what `source` says it is.
        for g in [
            geom(5, 4, 2, 3, 1, 1),
            geom(7, 7, 3, 3, 2, 0),
            geom(4, 6, 2, 3, 2, 2),
        ] {
            let ifmap: Vec<i8> = (0..g.rows() * g.row_elems())
                .map(|v| (v % 251) as i8)
                .collect();
            let a = g.expand(&ifmap);
            let (m, k) = g.mk();
            for i in 0..m {
                for j in 0..k {
                    let want = g
                        .source(i, j)
                        .map_or(0, |(r, o)| ifmap[r * g.row_elems() as usize + o]);
                    assert_eq!(a.get(i, j), want, "{g:?} ({i}, {j})");
                }
            }
        }
    }

    #[test]
    fn a_window_slides_restarts_and_keeps_everything_when_whole() {
        let mut w = Window::new(Keep::Window);
        assert_eq!(
            w.enter((0, 2), 0),
            Enter {
                retire: 0,
                fetch: Some((0, 2)),
                need: 3
            }
        );
        // Slides by one row: frees row 0, fetches row 3.
        assert_eq!(
            w.enter((1, 3), 0),
            Enter {
                retire: 1,
                fetch: Some((3, 3)),
                need: 4
            }
        );
        // Starts below the window: everything is freed and fetched again.
        assert_eq!(
            w.enter((0, 1), 0),
            Enter {
                retire: 3,
                fetch: Some((0, 1)),
                need: 6
            }
        );
        // Kept for an epoch: nothing is freed within it, so going back costs nothing; the next
        // epoch slides.
        let mut e = Window::new(Keep::Epoch);
        e.enter((0, 2), 0);
        assert_eq!(e.enter((1, 3), 0).retire, 0);
        assert_eq!(
            e.enter((0, 1), 0),
            Enter {
                retire: 0,
                fetch: None,
                need: 2
            }
        );
        assert_eq!(
            e.enter((2, 4), 1),
            Enter {
                retire: 2,
                fetch: Some((4, 4)),
                need: 5
            }
        );
        let mut w = Window::new(Keep::Whole);
        w.enter((2, 4), 0);
        assert_eq!(
            w.enter((0, 5), 0),
            Enter {
                retire: 0,
                fetch: Some((5, 5)),
                need: 6
            }
        );
        assert_eq!(w.seq, 6);
    }
}
