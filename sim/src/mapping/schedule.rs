//! The controller's schedule: fold order, when each edge vector enters the array, when each output
//! row is written, and the closed form of the total cycle count (`docs/microarchitecture.md`).
//!
//! Times are first computed as *edge times*: the cycle in which a vector is at the buffer output
//! (entering the skew). A read is issued `read_latency` cycles before its edge time, and the run's
//! cycle 0 is the first read issued, so `cycle = edge time + delta`.

use super::nest::{self, FoldEntry};
use super::{Descriptor, Mapping, Tiling};
use crate::config::{ArchConfig, BufferId, Dataflow};
use crate::mapping::layout::VectorLayout;
use crate::workload::GemmShape;

/// Marker bits that travel beside an edge vector ([`EdgeOp::flags`]).
/// Per-vector markers carried alongside the data through the skew.
pub(crate) const FIRST: u8 = 1;
/// The last vector of an OS fold's stream (its MAC is the last one of the fold).
pub(crate) const LAST: u8 = 2;
/// A WS/IS preload slot (the vector carries a destination-row tag).
pub(crate) const SLOT: u8 = 4;

/// One fold: the tile of each dimension it works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fold {
    /// Index of the row tile (OS: M; WS, IS: K) and how many array rows it uses.
    pub(crate) row_tile: usize,
    pub(crate) rows_used: usize,
    /// Index of the column tile (OS, WS: N; IS: M) and how many array columns it uses.
    pub(crate) col_tile: usize,
    pub(crate) cols_used: usize,
    /// The chunk of the stream it streams: elements `s0 .. s0 + len` (OS: all of K).
    pub(crate) s0: usize,
    pub(crate) len: usize,
    /// [`crate::mapping::nest`]'s fetch and retire flags of buffers A and B.
    pub(crate) flags: u8,
}

/// A vector the controller sends into one edge of the array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EdgeOp {
    pub(crate) fold: usize,
    pub(crate) edge: i64,
    pub(crate) buffer: BufferId,
    pub(crate) addr: usize,
    /// Valid lanes (0: nothing is read, only markers travel).
    pub(crate) count: usize,
    pub(crate) flags: u8,
    pub(crate) tag: u16,
}

/// An output row the controller expects from the deskew and writes to buffer C.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OutOp {
    pub(crate) fold: usize,
    /// Edge time of the write (the row is at the deskew output during this cycle).
    pub(crate) edge: i64,
    pub(crate) addr: usize,
    pub(crate) count: usize,
    /// Add to the partial sums already in C (read back `read_latency` cycles before the write).
    pub(crate) accumulate: bool,
    /// The row's last accumulation: the output stage requantizes it.
    pub(crate) last: bool,
    /// Column of C (output channel) of lane 0.
    pub(crate) channel: usize,
    /// Lane `j` is channel `channel + j` (OS, WS); otherwise every lane is `channel` (IS).
    pub(crate) channel_per_lane: bool,
}

/// Everything the controller derives from the config, the GEMM shape and the mapping.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) df: Dataflow,
    pub(crate) desc: &'static Descriptor,
    pub(crate) r: usize,
    pub(crate) c: usize,
    pub(crate) shape: GemmShape,
    /// The mapping the controller runs, and its tiles.
    pub(crate) mapping: Mapping,
    pub(crate) tiling: Tiling,
    /// Extent of the stream dimension (OS: K, WS: M, IS: N); each fold streams a chunk of it.
    pub(crate) stream_extent: usize,
    /// Extent of the dimension mapped on the array's rows (OS: M, WS/IS: K) and columns
    /// (OS/WS: N, IS: M).
    pub(crate) row_dim: usize,
    pub(crate) col_dim: usize,
    pub(crate) row_tiles: usize,
    /// Chunks of the stream dimension.
    pub(crate) stream_tiles: usize,
    /// The folds in run order, and the edge time of each fold's first stream vector.
    folds: Vec<FoldEntry>,
    starts: Vec<i64>,
    /// Buffers on the left and top edges and their read latencies.
    pub(crate) left_buf: BufferId,
    pub(crate) top_buf: BufferId,
    pub(crate) lat_left: i64,
    pub(crate) lat_top: i64,
    pub(crate) lat_c: i64,
    /// `cycle = edge time + delta`.
    pub(crate) delta: i64,
    /// Buffer layouts.
    pub(crate) layout_a: VectorLayout,
    pub(crate) layout_b: VectorLayout,
    pub(crate) layout_c: VectorLayout,
    /// A convolution whose A buffer holds the ifmap ([`crate::memory::im2col`]); `None`: A holds
    /// the matrix.
    pub(crate) ifmap: Option<crate::workload::im2col::Im2col>,
}

impl Plan {
    /// SCALE-Sim's fold order ([`Mapping::scalesim`]).
    pub(crate) fn new(cfg: &ArchConfig, df: Dataflow, shape: GemmShape) -> Plan {
        Plan::mapped(cfg, df, shape, &Mapping::scalesim(cfg, df, shape))
    }

    /// The plan of a mapping, which the caller has checked ([`Mapping::check`]).
    pub(crate) fn mapped(
        cfg: &ArchConfig,
        df: Dataflow,
        shape: GemmShape,
        mapping: &Mapping,
    ) -> Plan {
        Plan::with_interval(cfg, df, shape, mapping, None)
    }

    /// The plan of one channel group of a convolution: A holds its ifmap when the config says
    /// so (`conv_input = "ifmap"`).
    pub(crate) fn for_conv(
        cfg: &ArchConfig,
        df: Dataflow,
        shape: GemmShape,
        mapping: &Mapping,
        geom: &crate::workload::im2col::Im2col,
    ) -> Plan {
        let mut plan = Plan::mapped(cfg, df, shape, mapping);
        if cfg.conv_input == crate::config::ConvInput::Ifmap {
            plan.ifmap = Some(*geom);
        }
        plan
    }

    /// `interval` overrides every fold interval (tests use it to show the contract's interval
    /// is the smallest that keeps results exact).
    pub(crate) fn with_interval(
        cfg: &ArchConfig,
        df: Dataflow,
        shape: GemmShape,
        mapping: &Mapping,
        interval: Option<i64>,
    ) -> Plan {
        let desc = Descriptor::of(df);
        let r = cfg.array.rows as usize;
        let c = cfg.array.cols as usize;
        let lat = |id| i64::from(cfg.buffer(id).read_latency);
        let lat_c = lat(BufferId::C);
        let (row_dim, col_dim, stream_extent) = desc.extents(shape);
        let (left_buf, top_buf) = (desc.left, desc.top);
        let [layout_a, layout_b, layout_c] = layouts(cfg, df, shape);
        let tiling = Tiling::new(cfg, df, shape, mapping.stream_tile);
        // Consecutive folds accumulate into the same outputs only when K spans several row tiles.
        let accumulates = !desc.reduction_in_stream() && row_dim > r;
        let folds = nest::folds(&tiling, mapping);
        let (ri, li) = (r as i64, lat_c);
        let len_of = |e: &FoldEntry| {
            let s0 = e.chunk as usize * tiling.stream_tile;
            (stream_extent - s0).min(tiling.stream_tile) as i64
        };
        let mut starts = Vec::with_capacity(folds.len());
        let mut at = if desc.stationary.is_some() { ri } else { 0 };
        for e in &folds {
            starts.push(at);
            let t = len_of(e);
            at += interval.unwrap_or(match desc.stationary {
                // The drain chain needs R cycles between the captures of consecutive folds.
                None => t.max(ri),
                // The next preload takes R cycles; a read-back must be issued after the write
                // it reads.
                Some(_) if accumulates => t.max(ri).max(li + 1),
                Some(_) => t.max(ri),
            });
        }
        let (lat_left, lat_top) = (lat(left_buf), lat(top_buf));
        let mut plan = Plan {
            df,
            desc,
            r,
            c,
            shape,
            mapping: mapping.clone(),
            tiling,
            stream_extent,
            row_dim,
            col_dim,
            row_tiles: row_dim.div_ceil(r),
            stream_tiles: tiling.tiles(desc.stream),
            folds,
            starts,
            left_buf,
            top_buf,
            lat_left,
            lat_top,
            lat_c,
            delta: 0,
            layout_a,
            layout_b,
            layout_c,
            ifmap: None,
        };
        // Cycle 0 is the first read the controller issues.
        let first_left = plan.stream_edge(0) - lat_left;
        let first_top = match desc.stationary {
            None => plan.stream_edge(0),
            Some(_) => plan.preload_edge(0),
        } - lat_top;
        plan.delta = -first_left.min(first_top);
        plan
    }

    /// Number of folds.
    pub(crate) fn folds(&self) -> usize {
        self.folds.len()
    }

    /// Fold `f`, in the mapping's order.
    pub(crate) fn fold(&self, f: usize) -> Fold {
        let e = self.folds[f];
        let (row_tile, col_tile) = (e.row_tile as usize, e.col_tile as usize);
        let s0 = e.chunk as usize * self.tiling.stream_tile;
        Fold {
            row_tile,
            rows_used: (self.row_dim - row_tile * self.r).min(self.r),
            col_tile,
            cols_used: (self.col_dim - col_tile * self.c).min(self.c),
            s0,
            len: (self.stream_extent - s0).min(self.tiling.stream_tile),
            flags: e.flags,
        }
    }

    /// The fold's fetch and retire flags ([`crate::mapping::nest`]).
    pub(crate) fn fold_flags(&self, f: usize) -> u8 {
        self.folds[f].flags
    }

    /// The loop of the nest that moved on between fold `f - 1` and fold `f`
    /// ([`crate::mapping::nest::FoldEntry::advanced`]).
    pub(crate) fn fold_advanced(&self, f: usize) -> usize {
        usize::from(self.folds[f].advanced)
    }

    /// The number of loops in the mapping's nest.
    pub(crate) fn nest_depth(&self) -> usize {
        self.mapping.loops.len()
    }

    /// Edge time of stream vector 0 of fold `f`.
    pub(crate) fn stream_edge(&self, f: usize) -> i64 {
        self.starts[f]
    }

    /// Edge time of preload slot 0 of fold `f` (WS, IS): the next fold's preload starts with the
    /// current fold's stream.
    pub(crate) fn preload_edge(&self, f: usize) -> i64 {
        if f == 0 {
            0
        } else {
            self.stream_edge(f - 1)
        }
    }

    /// Ops a port sends in fold `f`: the left edge streams the fold's chunk; the top edge
    /// streams it too (OS) or preloads `R` slots (WS, IS).
    pub(crate) fn edge_steps(&self, port: Port, f: usize) -> usize {
        match (port, self.desc.stationary) {
            (Port::Top, Some(_)) => self.r,
            _ => self.fold(f).len,
        }
    }

    /// Output rows of fold `f`: its used rows (OS) or one per stream vector (WS, IS).
    pub(crate) fn out_steps(&self, f: usize) -> usize {
        match self.desc.stationary {
            None => self.fold(f).rows_used,
            Some(_) => self.fold(f).len,
        }
    }

    /// Op `t` of fold `f` on an edge.
    pub(crate) fn edge_op(&self, port: Port, f: usize, t: usize) -> EdgeOp {
        let fold = self.fold(f);
        let layout_of = |buf: BufferId| {
            if buf == BufferId::A {
                &self.layout_a
            } else {
                &self.layout_b
            }
        };
        match (port, self.desc.stationary) {
            (Port::Left, stationary) => {
                // OS marks the stream's last vector (the capture); WS and IS its first (the
                // switch to the new stationary tile).
                let flags = match stationary {
                    None if t + 1 == fold.len => LAST,
                    Some(_) if t == 0 => FIRST,
                    _ => 0,
                };
                EdgeOp {
                    fold: f,
                    edge: self.stream_edge(f) + t as i64,
                    buffer: self.left_buf,
                    addr: layout_of(self.left_buf).addr(fold.row_tile, fold.s0 + t),
                    count: fold.rows_used,
                    flags,
                    tag: 0,
                }
            }
            (Port::Top, None) => EdgeOp {
                fold: f,
                edge: self.stream_edge(f) + t as i64,
                buffer: self.top_buf,
                addr: layout_of(self.top_buf).addr(fold.col_tile, fold.s0 + t),
                count: fold.cols_used,
                flags: 0,
                tag: 0,
            },
            (Port::Top, Some(_)) => {
                // Preload slot t carries the stationary row R-1-t: the bottom row's values first,
                // so that every row's values reach it in the same cycle.
                let row = self.r - 1 - t;
                let inside = row < fold.rows_used;
                EdgeOp {
                    fold: f,
                    edge: self.preload_edge(f) + t as i64,
                    buffer: self.top_buf,
                    addr: if inside {
                        layout_of(self.top_buf).addr(fold.col_tile, fold.row_tile * self.r + row)
                    } else {
                        0
                    },
                    count: if inside { fold.cols_used } else { 0 },
                    flags: SLOT,
                    tag: row as u16,
                }
            }
        }
    }

    /// Output row `j` of fold `f` (in write order).
    pub(crate) fn out_op(&self, f: usize, j: usize) -> OutOp {
        let (r, c) = (self.r as i64, self.c as i64);
        let fold = self.fold(f);
        match self.desc.stationary {
            None => {
                // The drain chain delivers the bottom row first.
                let row = fold.rows_used - 1 - j;
                OutOp {
                    fold: f,
                    edge: self.stream_edge(f) + fold.len as i64 + 2 * r + c - 2 - row as i64,
                    addr: self
                        .layout_c
                        .addr(fold.col_tile, fold.row_tile * self.r + row),
                    count: fold.cols_used,
                    accumulate: false,
                    last: true,
                    channel: fold.col_tile * self.c,
                    channel_per_lane: true,
                }
            }
            Some(_) => OutOp {
                fold: f,
                edge: self.stream_edge(f) + j as i64 + r + c,
                addr: self.layout_c.addr(fold.col_tile, fold.s0 + j),
                count: fold.cols_used,
                accumulate: fold.row_tile > 0,
                last: fold.row_tile + 1 == self.row_tiles,
                channel: if self.desc.channel_per_lane {
                    fold.col_tile * self.c
                } else {
                    fold.s0 + j
                },
                channel_per_lane: self.desc.channel_per_lane,
            },
        }
    }
}

impl Plan {
    /// Host bytes the simulation allocates for this plan: the operands and the result as
    /// matrices, the three buffers in their vector layouts (padded to whole vectors), and the
    /// fold table.
    pub(crate) fn footprint_bytes(&self) -> u64 {
        let padded = |l: &VectorLayout| {
            (l.tiles() as u64)
                .saturating_mul(l.steps() as u64)
                .saturating_mul(l.lanes as u64)
        };
        self.shape
            .footprint_bytes()
            .saturating_add(padded(&self.layout_a))
            .saturating_add(padded(&self.layout_b))
            .saturating_add(padded(&self.layout_c).saturating_mul(4))
            .saturating_add(fold_table_bytes(&self.tiling))
    }
}

/// The vector layouts of buffers A, B and C for a GEMM in dataflow `df`: the left edge's buffer
/// has `R` lanes per vector, the others `C` (`docs/microarchitecture.md`, "Buffers").
pub(crate) fn layouts(cfg: &ArchConfig, df: Dataflow, shape: GemmShape) -> [VectorLayout; 3] {
    let desc = Descriptor::of(df);
    let (r, c) = (cfg.array.rows as usize, cfg.array.cols as usize);
    let GemmShape { m, n, k } = shape;
    let lanes = |buf: BufferId| if buf == desc.left { r } else { c };
    [
        VectorLayout::new(desc.axis(BufferId::A), lanes(BufferId::A), m, k),
        VectorLayout::new(desc.axis(BufferId::B), lanes(BufferId::B), k, n),
        VectorLayout::new(desc.axis(BufferId::C), c, m, n),
    ]
}

/// Host bytes of a mapping's fold table (one entry and one start time per fold).
pub(crate) fn fold_table_bytes(tiling: &Tiling) -> u64 {
    tiling
        .folds()
        .saturating_mul((std::mem::size_of::<FoldEntry>() + std::mem::size_of::<i64>()) as u64)
}

/// An edge of the array that the controller feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Port {
    /// The left edge (one lane per PE row).
    Left,
    /// The top edge (one lane per PE column).
    Top,
}

/// The closed form of the total cycle count, as `docs/microarchitecture.md` states it; the
/// simulation must equal it (a test checks both over many shapes).
///
/// With `F` folds, `I` the fold interval, `T` the stream length, `L` read latencies:
/// - OS: `(F-1)*I + K + 2R + C - 1 + max(L_A, L_B)`, with `I = max(K, R)`;
/// - WS: `(F-1)*I + M + 2R + C + max(L_B, L_A - R)`, with `I = max(M, R, L_C + 1)` when K > R
///   (folds accumulate) and `I = max(M, R)` otherwise;
/// - IS: `(F-1)*I + N + 2R + C + max(L_A, L_B - R)`, with `I` as for WS and N in place of M.
pub fn closed_form_cycles(cfg: &ArchConfig, df: Dataflow, shape: GemmShape) -> u64 {
    let r = u64::from(cfg.array.rows);
    let c = u64::from(cfg.array.cols);
    let (la, lb, lc) = (
        i64::from(cfg.buffers.a.read_latency),
        i64::from(cfg.buffers.b.read_latency),
        u64::from(cfg.buffers.c.read_latency),
    );
    let GemmShape { m, n, k } = shape;
    let (m, n, k) = (m as u64, n as u64, k as u64);
    match df {
        Dataflow::Os => {
            let folds = m.div_ceil(r) * n.div_ceil(c);
            let i = k.max(r);
            (folds - 1) * i + k + 2 * r + c - 1 + la.max(lb) as u64
        }
        Dataflow::Ws => {
            let folds = k.div_ceil(r) * n.div_ceil(c);
            let i = if k > r {
                m.max(r).max(lc + 1)
            } else {
                m.max(r)
            };
            (folds - 1) * i + m + 2 * r + c + lb.max(la - r as i64) as u64
        }
        Dataflow::Is => {
            let folds = k.div_ceil(r) * m.div_ceil(c);
            let i = if k > r {
                n.max(r).max(lc + 1)
            } else {
                n.max(r)
            };
            (folds - 1) * i + n + 2 * r + c + la.max(lb - r as i64) as u64
        }
    }
}

/// When the controller's schedule cursors issue their first ops, in cycles of the run (cycle 0
/// is its first read), for any GEMM in one dataflow on one machine: the numbers a hardware
/// controller takes as constants of its config (`hdl/src/blocks/controller.rs`). Every later op
/// follows from these, the fold intervals and the fold lengths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CursorStarts {
    /// The left edge's first stream read.
    pub left: u64,
    /// The top edge's first read: its first stream read (OS) or preload slot (WS, IS).
    pub top: u64,
    /// WS, IS: the first preload slot of fold 1, which starts with fold 0's stream (OS: equal to
    /// `top`, unused).
    pub top_second: u64,
    /// The first C write (OS: of array row `R-1`, whether the tile uses it or not), less K in OS
    /// (an OS fold's outputs are ready after its K MACs).
    pub write: u64,
}

/// [`CursorStarts`] for `df` on `cfg`, read off the schedule of a one-fold GEMM.
pub fn cursor_starts(cfg: &ArchConfig, df: Dataflow) -> CursorStarts {
    let one = GemmShape { m: 1, n: 1, k: 1 };
    let plan = Plan::new(cfg, df, one);
    let r = plan.r as i64;
    let cycle = |edge: i64| -> u64 {
        let c = edge + plan.delta;
        debug_assert!(c >= 0, "a cursor's first op before cycle 0");
        c.max(0) as u64
    };
    let left = cycle(plan.edge_op(Port::Left, 0, 0).edge - plan.lat_left);
    let top = cycle(plan.edge_op(Port::Top, 0, 0).edge - plan.lat_top);
    let top_second = cycle(plan.preload_edge(1) - plan.lat_top);
    // The one-fold GEMM's only output row is array row 0 and K = 1. In OS, row `i` is written
    // `R-1-i` cycles after the bottom row (the drain chain delivers the bottom row first).
    let write = match plan.desc.stationary {
        None => cycle(plan.out_op(0, 0).edge - (r - 1) - 1),
        Some(_) => cycle(plan.out_op(0, 0).edge),
    };
    CursorStarts {
        left,
        top,
        top_second: if plan.desc.stationary.is_some() {
            top_second
        } else {
            top
        },
        write,
    }
}

/// The fold queue depth the contract's timetable needs for `mapping`: how many folds ahead of
/// the slowest of the controller's four schedule cursors (left stream, top stream or preload, C
/// write, C read-back) the leading one may take its next fold, plus one entry of margin. A
/// hardware controller that hands the folds to its cursors through a ring of entries written
/// one per cycle (the RTL's fold queue, `docs/rtl.md`) runs the mapping when its ring holds at
/// least this many entries. A cursor takes fold `f + 1`'s entry in the cycle of its last op of
/// fold `f`; a stall freezes every cursor alike, so stalls do not change the answer.
pub fn fold_queue_depth(
    cfg: &ArchConfig,
    df: Dataflow,
    shape: GemmShape,
    mapping: &Mapping,
) -> usize {
    let plan = Plan::mapped(cfg, df, shape, mapping);
    let folds = plan.folds();
    let r = plan.r as i64;
    // Per cursor, the cycle (edge time less the op's read latency; offsets common to all
    // cursors do not matter) of its last op of each fold but the last.
    let last_op = |f: usize| -> [i64; 4] {
        let fold = plan.fold(f);
        let stream_end = plan.stream_edge(f) + fold.len as i64 - 1;
        let top = match plan.desc.stationary {
            None => stream_end - plan.lat_top,
            Some(_) => plan.preload_edge(f) + r - 1 - plan.lat_top,
        };
        let write = plan.out_op(f, plan.out_steps(f) - 1).edge;
        [stream_end - plan.lat_left, top, write, write - plan.lat_c]
    };
    let cursors = if plan.desc.stationary.is_some() { 4 } else { 3 };
    let moves: Vec<[i64; 4]> = (0..folds.saturating_sub(1)).map(last_op).collect();
    // takes(c, t): entries cursor c has taken by the end of cycle t (fold 0's at the start).
    let mut taken = [0usize; 4];
    let mut need = 2;
    for g in 1..folds {
        let first = (0..cursors).map(|c| moves[g - 1][c]).min().unwrap_or(0);
        for (c, n) in taken.iter_mut().enumerate().take(cursors) {
            while *n < moves.len() && moves[*n][c] <= first - 2 {
                *n += 1;
            }
            // Cursor c has taken 1 + n entries; the ring must reach fold g past them.
            need = need.max(g + 1 - (1 + *n).min(g + 1));
        }
    }
    need + 1
}

/// The fold queue depth a design for `cfg` builds: the most [`fold_queue_depth`] asks for over
/// every fold length that can make a cursor lag the most, rounded up to a power of two (at least
/// 4, at most 128).
///
/// A fold's interval is `max(T, R)`, or `max(T, R, L_C + 1)` when consecutive folds accumulate
/// (`Plan::mapped`), and every cursor's last op of a fold lies a fixed distance after the fold's
/// stream edge or its end. So the lag, counted in folds, is largest when every fold is as short as
/// its interval allows and as long as it can be without lengthening it: the design sweeps the
/// stream length `T` from 1 to `max(R, L_C + 1) + 1` with one row tile and, in WS and IS, with
/// two (so that folds accumulate), over enough column tiles for the lag to settle. A fold longer than its
/// neighbours ends its own interval later but starts the next one later by as much, so mixed
/// lengths (a short last chunk) need no more than the uniform ones; the backends still check
/// each run against the design's depth, and `sim/tests/fold_queue.rs` holds the depth against
/// every candidate mapping of small GEMMs.
pub fn fold_queue_design_depth(cfg: &ArchConfig) -> usize {
    let (r, c) = (cfg.array.rows as usize, cfg.array.cols as usize);
    let lat: u32 = [BufferId::A, BufferId::B, BufferId::C]
        .iter()
        .map(|&b| cfg.buffer(b).read_latency)
        .sum();
    let lat_c = cfg.buffer(BufferId::C).read_latency as usize;
    let n = c * (3 * (r + c) + lat as usize + 8);
    let longest = r.max(lat_c + 1) + 1;
    let mut need = 4;
    for &df in &cfg.array.dataflows {
        let desc = Descriptor::of(df);
        // A second row tile makes WS/IS folds accumulate; OS folds never do.
        let row_extents: &[usize] = if desc.reduction_in_stream() {
            &[r]
        } else {
            &[r, 2 * r]
        };
        for t in 1..=longest {
            for &rows in row_extents {
                let shape = desc.shape((rows, n, t));
                let mapping = Mapping::scalesim(cfg, df, shape);
                need = need.max(fold_queue_depth(cfg, df, shape, &mapping));
            }
        }
    }
    need.next_power_of_two().clamp(4, 128)
}

/// SCALE-Sim 3.0.0's cycle count for the same GEMM on the same array, as it reports it: folds run
/// back to back, `T + R + C - 2` cycles each for OS and `2R + C + T - 2` for WS and IS, minus one.
pub fn scalesim_cycles(rows: u32, cols: u32, df: Dataflow, shape: GemmShape) -> u64 {
    let (r, c) = (u64::from(rows), u64::from(cols));
    // (Sr, Sc, T) as SCALE-Sim maps them: the dataflow descriptor's.
    let (sr, sc, t) = Descriptor::of(df).extents(shape);
    let (sr, sc, t) = (sr as u64, sc as u64, t as u64);
    let folds = sr.div_ceil(r) * sc.div_ceil(c);
    let per_fold = match df {
        Dataflow::Os => t + r + c - 2,
        Dataflow::Ws | Dataflow::Is => 2 * r + c + t - 2,
    };
    folds * per_fold - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SCALE-Sim 3.0.0 (the `scalesim` wheel from PyPI, run with numpy 1.26 on 2026-11-23) on a
    /// 4x4 array and the GEMM M=10, N=6, K=5 reported these "Total Cycles".
    #[test]
    fn scalesim_cycles_match_a_real_scalesim_run() {
        let s = GemmShape { m: 10, n: 6, k: 5 };
        assert_eq!(scalesim_cycles(4, 4, Dataflow::Os, s), 65);
        assert_eq!(scalesim_cycles(4, 4, Dataflow::Ws, s), 79);
        assert_eq!(scalesim_cycles(4, 4, Dataflow::Is, s), 95);
    }

    /// SCALE-Sim 3.0.0 itself (PyPI, numpy 1.26.4, 2026-12-05), ResNet-18 from its own topology
    /// file (scale-sim-v3 commit fab89b77, no padding) on 16x16 with `InterfaceBandwidth: CALC`:
    /// the "Total Cycles" of Conv1 (M = 110 x 110 output pixels, N = 64, K = 7 x 7 x 3), Conv5_1b
    /// (M = 25, N = 512, K = 4608) and FC (M = 1, N = 1000, K = 512).
    #[test]
    fn scalesim_cycles_match_scalesim_on_resnet18_layers() {
        for (shape, want) in [
            (
                GemmShape {
                    m: 12100,
                    n: 64,
                    k: 147,
                },
                [535_955, 485_839, 832_699],
            ),
            (
                GemmShape {
                    m: 25,
                    n: 512,
                    k: 4608,
                },
                [296_831, 654_335, 321_407],
            ),
            (
                GemmShape {
                    m: 1,
                    n: 1000,
                    k: 512,
                },
                [34_145, 94_751, 33_471],
            ),
        ] {
            for (df, want) in Dataflow::ALL.into_iter().zip(want) {
                assert_eq!(scalesim_cycles(16, 16, df, shape), want, "{df} {shape:?}");
            }
        }
    }

    /// The cursors' first ops are the contract's closed forms (`docs/microarchitecture.md`):
    /// with `D` the dataflow's latency offset, OS reads A and B from `max(L_A, L_B) - L`, WS and
    /// IS stream from `R + D - L_Q` and preload from `D - L_P`, and C's first write is in
    /// `K + R + C - 1 + max(L_A, L_B)` (OS, less K here) or `2R + C + D` (WS, IS).
    #[test]
    fn cursor_starts_are_the_closed_forms() {
        for (r, c) in [(1, 1), (2, 3), (4, 4), (8, 5)] {
            for (la, lb) in [(1, 1), (3, 1), (1, 4), (12, 2), (2, 12)] {
                let mut cfg = ArchConfig::preset("tiny-4x4")
                    .and_then(|x| x.with_shape(Some(r), Some(c)))
                    .unwrap();
                cfg.buffers.a.read_latency = la;
                cfg.buffers.b.read_latency = lb;
                let (r, c, la, lb) = (i64::from(r), i64::from(c), i64::from(la), i64::from(lb));
                let d_os = la.max(lb);
                let d_ws = (la - r).max(lb);
                let d_is = (lb - r).max(la);
                let u = |x: i64| x as u64;
                let want = [
                    (
                        Dataflow::Os,
                        [d_os - la, d_os - lb, d_os - lb, r + c - 1 + d_os],
                    ),
                    (
                        Dataflow::Ws,
                        [r + d_ws - la, d_ws - lb, r + d_ws - lb, 2 * r + c + d_ws],
                    ),
                    (
                        Dataflow::Is,
                        [r + d_is - lb, d_is - la, r + d_is - la, 2 * r + c + d_is],
                    ),
                ];
                for (df, [left, top, top_second, write]) in want {
                    assert_eq!(
                        cursor_starts(&cfg, df),
                        CursorStarts {
                            left: u(left),
                            top: u(top),
                            top_second: u(top_second),
                            write: u(write)
                        },
                        "{r}x{c} L_A={la} L_B={lb} {df}"
                    );
                }
            }
        }
    }

    #[test]
    fn fold_order_is_column_tiles_outer() {
        let cfg = ArchConfig::preset("tiny-4x4").unwrap();
        let p = Plan::new(&cfg, Dataflow::Os, GemmShape { m: 10, n: 6, k: 5 });
        assert_eq!((p.row_tiles, p.folds()), (3, 6));
        let f = p.fold(4);
        assert_eq!((f.col_tile, f.row_tile), (1, 1));
        let last = p.fold(5);
        assert_eq!((last.rows_used, last.cols_used), (2, 2));
    }
}
