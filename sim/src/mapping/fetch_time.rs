//! How a DMA fetch walker finds and times the folds whose reads fetch an operand
//! (`docs/rtl.md`, "Fetch walkers").
//!
//! The DMA fetches buffer A's (or B's) vectors in the order of the reads that need them: the
//! reads of the operand's *fetching folds*, those in which every loop at or inside its keep level
//! that does not index it is at its first iteration ([`super::nest`]). Walking the nest with
//! those loops held at their first iteration (*masked*) visits exactly the fetching folds, one per
//! move, however many folds lie between two of them, so a hardware fetch cursor never waits for
//! its walker.
//!
//! A fetch's deadline is its read's cycle, so the walker needs each visited fold's start (the
//! edge time of its first stream vector, [`super::schedule`]), which the controller's walk adds
//! up fold by fold. A masked walk keeps instead the start of each loop's current iteration: when
//! loop `l` moves on, the next fold starts one *span* of `l` after the iteration that ends began,
//! and every loop inside `l` starts its iteration there. A span depends on the loops outside `l`
//! only through two conditions: the iteration runs the stream's last chunk, whose folds may be
//! shorter (every stream loop outside `l` is at its last iteration), and it runs a blocked
//! dimension's partial last block (the outer loop of a dimension whose inner loop is inside `l`
//! is at its last iteration). So each loop has four spans, keyed by the two conditions. They are
//! read off the fast model's own timetable here, and every iteration of the full walk is checked
//! against its key: a nest whose spans depended on anything else would be refused, not run
//! wrong. The predecessor of the fold a move reaches (whose start is when a WS/IS preload of the
//! reached fold begins) is the last fold of the ending iteration; it runs the last chunk exactly
//! when `l` is not a stream loop and the first condition holds.

use super::nest;
use super::schedule::{Plan, Port};
use super::{Dim, Mapping};
use crate::config::{ArchConfig, BufferId, Dataflow};
use crate::workload::GemmShape;

/// The spans of a mapping's loops (module doc), as a fetch walker takes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchSpans {
    /// Per loop (outer to inner), the loops outside it (bit `j` for loop `j`) that run over the
    /// stream: all at their last iteration is bit 0 of the key.
    pub last_chunk_mask: Vec<u8>,
    /// Per loop, the outer loops of blocked dimensions whose inner loop is inside it: all at
    /// their last iteration is bit 1 of the key.
    pub last_block_mask: Vec<u8>,
    /// Per loop, the time (cycles) one iteration takes, by key; 0 for a key the walk never
    /// meets.
    pub span: Vec<[u64; 4]>,
}

/// One fetching fold of an operand, as a fetch walker visits it: the reference the RTL's
/// walkers are held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchFold {
    /// Tile of the row dimension.
    pub row_tile: u32,
    /// Tile of the column dimension.
    pub col_tile: u32,
    /// Chunk of the stream.
    pub chunk: u32,
    /// Start (edge time of the first stream vector) less fold 0's.
    pub start: u64,
    /// The previous fold's start less fold 0's (when a WS/IS preload of this fold begins); 0
    /// for fold 0.
    pub prev_start: u64,
    /// It is one of folds 0 and 1 (the prologue's).
    pub early: bool,
}

/// The loops outside loop `l` whose last iteration makes the key: `(stream loops, outer loops
/// of dimensions blocked across l)`, as bit masks.
fn key_masks(mapping: &Mapping, stream: Dim, l: usize) -> (u8, u8) {
    let loops = &mapping.loops;
    let mut chunk = 0u8;
    let mut block = 0u8;
    for (j, o) in loops.iter().enumerate().take(l) {
        if o.dim == stream {
            chunk |= 1 << j;
        }
        let inner_inside = loops[l + 1..]
            .iter()
            .any(|i| i.dim == o.dim && i.block.is_none());
        if o.block.is_some() && inner_inside {
            block |= 1 << j;
        }
    }
    (chunk, block)
}

/// The key of loop `l` under the indices `idx` and trips `trips` of the nest.
fn key(spans: &FetchSpans, l: usize, idx: &[usize], trips: &[usize]) -> usize {
    let all_last = |mask: u8| {
        (0..l)
            .filter(|j| mask >> j & 1 == 1)
            .all(|j| idx[j] + 1 >= trips[j])
    };
    usize::from(all_last(spans.last_chunk_mask[l]))
        | usize::from(all_last(spans.last_block_mask[l])) << 1
}

/// The spans of `mapping` of `shape` in `df` on `cfg` (module doc), read off the fast model's
/// timetable; an error names the loop whose iterations take different times under one key. The
/// caller has checked the mapping ([`Mapping::check`]) and bounds the folds.
pub fn fetch_spans(
    cfg: &ArchConfig,
    df: Dataflow,
    shape: GemmShape,
    mapping: &Mapping,
) -> Result<FetchSpans, String> {
    let plan = Plan::mapped(cfg, df, shape, mapping);
    let n = mapping.loops.len();
    let stream = plan.desc.stream;
    let (last_chunk_mask, last_block_mask) = (0..n).map(|l| key_masks(mapping, stream, l)).unzip();
    let mut spans = FetchSpans {
        last_chunk_mask,
        last_block_mask,
        span: vec![[0; 4]; n],
    };
    let mut seen = vec![[false; 4]; n];
    let mut begun = vec![plan.stream_edge(0); n];
    let mut f = 0;
    let mut bad = None;
    nest::visit(&plan.tiling, mapping, |idx, trips, moved| {
        if let (Some(l), None) = (moved, &bad) {
            let at = plan.stream_edge(f);
            let k = key(&spans, l, idx, trips);
            let span = (at - begun[l]) as u64;
            if seen[l][k] && spans.span[l][k] != span {
                bad = Some(format!(
                    "iterations of loop {l} (`{}`) take {} and {span} cycles under one key",
                    mapping.loops[l], spans.span[l][k]
                ));
            }
            seen[l][k] = true;
            spans.span[l][k] = span;
            for b in &mut begun[l..] {
                *b = at;
            }
        }
        f += 1;
    });
    match bad {
        Some(why) => Err(why),
        None => Ok(spans),
    }
}

/// The fetching folds of buffer `buf` under `mapping`, in run order, with their starts (the
/// reference for the RTL's fetch walkers).
pub fn fetching_folds(
    cfg: &ArchConfig,
    df: Dataflow,
    shape: GemmShape,
    mapping: &Mapping,
    buf: BufferId,
) -> Vec<FetchFold> {
    let plan = Plan::mapped(cfg, df, shape, mapping);
    let zero = plan.stream_edge(0);
    (0..plan.folds())
        .filter(|&f| plan.fold_flags(f) & nest::fetch_flag(buf) != 0)
        .map(|f| {
            let fold = plan.fold(f);
            FetchFold {
                row_tile: fold.row_tile as u32,
                col_tile: fold.col_tile as u32,
                chunk: (fold.s0 / plan.tiling.stream_tile) as u32,
                start: (plan.stream_edge(f) - zero) as u64,
                prev_start: if f == 0 {
                    0
                } else {
                    (plan.stream_edge(f - 1) - zero) as u64
                },
                early: f <= 1,
            }
        })
        .collect()
}

/// One fetch of an operand, as the DMA's fetch cursor shows it: the reference the RTL's fetch
/// cursors are held to (the fast model's `OperandStream` walks the same ops).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchOp {
    /// Vector address in the operand's layout (base not included).
    pub addr: u64,
    /// Lanes.
    pub lanes: u32,
    /// The cycle in which the controller reads it (the fetch's deadline).
    pub due: u64,
    /// It belongs to fold 0 or 1 (the prologue).
    pub early: bool,
}

/// Every fetch of buffer `buf` under `mapping`, in the order the DMA issues them: the reads of
/// the operand's fetching folds that move a vector, each with its deadline.
pub fn fetch_ops(
    cfg: &ArchConfig,
    df: Dataflow,
    shape: GemmShape,
    mapping: &Mapping,
    buf: BufferId,
) -> Vec<FetchOp> {
    let plan = Plan::mapped(cfg, df, shape, mapping);
    let port = if plan.left_buf == buf {
        Port::Left
    } else {
        Port::Top
    };
    let latency = i64::from(cfg.buffer(buf).read_latency);
    let mut out = Vec::new();
    for f in 0..plan.folds() {
        if plan.fold_flags(f) & nest::fetch_flag(buf) == 0 {
            continue;
        }
        for t in 0..plan.edge_steps(port, f) {
            let op = plan.edge_op(port, f, t);
            if op.count > 0 {
                out.push(FetchOp {
                    addr: op.addr as u64,
                    lanes: op.count as u32,
                    due: (op.edge + plan.delta - latency) as u64,
                    early: f <= 1,
                });
            }
        }
    }
    out
}

/// The fold interval (cycles from one fold's start to the next) of a fold with a full chunk
/// and of a fold with the stream's last chunk, read off the fast model's timetable (equal when
/// every chunk is full, or when no fold has the other kind).
pub fn fold_intervals(
    cfg: &ArchConfig,
    df: Dataflow,
    shape: GemmShape,
    mapping: &Mapping,
) -> (u64, u64) {
    let plan = Plan::mapped(cfg, df, shape, mapping);
    let (mut full, mut last) = (None, None);
    for f in 0..plan.folds().saturating_sub(1) {
        let i = (plan.stream_edge(f + 1) - plan.stream_edge(f)) as u64;
        let fold = plan.fold(f);
        if fold.s0 + fold.len == plan.stream_extent {
            last = Some(i);
        } else {
            full = Some(i);
        }
    }
    let full = full.or(last).unwrap_or(0);
    (full, last.unwrap_or(full))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::nest::{walk_loops, Axis};
    use crate::mapping::Tiling;
    use crate::testing::every_keep;

    /// The masked walk as the RTL's fetch walker runs it (module doc), from [`walk_loops`] and
    /// the spans alone: loops the operand's flags look at hold their first iteration, a move
    /// starts the next fold one span after the ending iteration began, and the predecessor's
    /// interval is the last chunk's when the moving loop is not a stream loop and the key's
    /// chunk bit holds.
    fn masked_walk(
        tiling: &Tiling,
        mapping: &Mapping,
        spans: &FetchSpans,
        buf: BufferId,
        intervals: (u64, u64),
    ) -> Vec<FetchFold> {
        let loops = walk_loops(tiling, mapping);
        let n = loops.len();
        let masked: Vec<bool> = loops
            .iter()
            .map(|l| {
                if buf == BufferId::A {
                    l.edge_a
                } else {
                    l.edge_b
                }
            })
            .collect();
        let mut idx = vec![0usize; n];
        let trips_now = |idx: &[usize], i: usize| -> usize {
            let l = loops[i];
            if !l.inner {
                return l.trips as usize;
            }
            let start: usize = (0..i)
                .filter(|&j| loops[j].axis == l.axis)
                .map(|j| idx[j] * loops[j].stride as usize)
                .sum();
            (l.trips as usize).min(l.tiles as usize - start)
        };
        let tile = |idx: &[usize], axis: Axis| -> u32 {
            (0..n)
                .filter(|&j| loops[j].axis == axis)
                .map(|j| (idx[j] * loops[j].stride as usize) as u32)
                .sum()
        };
        let (full, last) = intervals;
        let mut begun = vec![0u64; n];
        let (mut start, mut prev) = (0u64, 0u64);
        let mut out = Vec::new();
        loop {
            out.push(FetchFold {
                row_tile: tile(&idx, Axis::Row),
                col_tile: tile(&idx, Axis::Col),
                chunk: tile(&idx, Axis::Stream),
                start,
                prev_start: prev,
                early: start <= full,
            });
            let trips: Vec<usize> = (0..n).map(|i| trips_now(&idx, i)).collect();
            let Some(l) = (0..n).rev().find(|&i| !masked[i] && idx[i] + 1 < trips[i]) else {
                return out;
            };
            let k = key(spans, l, &idx, &trips);
            start = begun[l] + spans.span[l][k];
            let pred_last = loops[l].axis != Axis::Stream && k & 1 == 1;
            prev = start - if pred_last { last } else { full };
            idx[l] += 1;
            for i in &mut idx[l + 1..] {
                *i = 0;
            }
            for b in &mut begun[l..] {
                *b = start;
            }
        }
    }

    /// On every candidate mapping of the mapper (which block one loop, chunk the stream, and
    /// keep A and B at every level the buffers allow), for both operands, the masked walk with
    /// the spans visits exactly the fetching folds of the fast model's walk, with their starts,
    /// their predecessors' starts and the prologue flag.
    #[test]
    fn a_masked_walk_with_spans_visits_and_times_every_fetching_fold() {
        let mut cases = 0;
        for (rows, cols, shapes) in [
            (4, 4, vec![(10, 18, 9), (9, 6, 13), (5, 5, 5), (17, 3, 8)]),
            (2, 3, vec![(7, 5, 6), (3, 9, 4), (8, 8, 3)]),
        ] {
            let mut cfg = ArchConfig::preset("tiny-4x4").unwrap();
            cfg.array.rows = rows;
            cfg.array.cols = cols;
            for (m, n, k) in shapes {
                let shape = GemmShape { m, n, k };
                for df in [Dataflow::Os, Dataflow::Ws, Dataflow::Is] {
                    cfg.array.dataflows = vec![df];
                    let maps = every_keep(&cfg, df, shape);
                    for map in maps {
                        let spans = fetch_spans(&cfg, df, shape, &map)
                            .unwrap_or_else(|e| panic!("{df} {shape:?} {map}: {e}"));
                        let tiling = Tiling::new(&cfg, df, shape, map.stream_tile);
                        let iv = fold_intervals(&cfg, df, shape, &map);
                        for buf in [BufferId::A, BufferId::B] {
                            let want = fetching_folds(&cfg, df, shape, &map, buf);
                            let got = masked_walk(&tiling, &map, &spans, buf, iv);
                            assert_eq!(got, want, "{rows}x{cols} {df} {shape:?} {map} {buf:?}");
                            cases += 1;
                        }
                    }
                }
            }
        }
        assert!(cases > 200, "only {cases} cases");
    }
}
