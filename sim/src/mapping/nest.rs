//! Walking a mapping's loop nest: the folds in the order they run, each with its tile of every
//! dimension, and for buffers A and B whether the fold's reads fetch their vectors from DRAM and
//! whether they free their slots (`docs/microarchitecture.md`, "Mappings and fold order").
//!
//! An operand kept at level `L` is fetched by a fold in which every loop at or inside `L` that
//! does not index the operand is at its first iteration (the first time the epoch reads those
//! tiles), and freed by a fold in which every such loop is at its last iteration. A perfect loop
//! nest reads the same tiles in the same order in every iteration of a loop that does not index
//! them, so the vectors are freed in the order they were fetched and each buffer is a ring.

use super::{Dim, Loop, Mapping, Tiling};
use crate::config::BufferId;

/// The fold reads of buffer A fetch their vectors.
pub const FETCH_A: u8 = 1;
/// The fold's reads of buffer A free their slots (their last read in the epoch).
pub const RETIRE_A: u8 = 2;
/// Likewise for buffer B.
pub const FETCH_B: u8 = 4;
/// Likewise for buffer B.
pub const RETIRE_B: u8 = 8;

/// The fetch flag of buffer `buf`.
pub fn fetch_flag(buf: BufferId) -> u8 {
    if buf == BufferId::A {
        FETCH_A
    } else {
        FETCH_B
    }
}

/// The retire flag of buffer `buf`.
pub fn retire_flag(buf: BufferId) -> u8 {
    if buf == BufferId::A {
        RETIRE_A
    } else {
        RETIRE_B
    }
}

/// One fold in run order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoldEntry {
    /// Tile of the row dimension.
    pub row_tile: u32,
    /// Tile of the column dimension.
    pub col_tile: u32,
    /// Chunk of the stream dimension.
    pub chunk: u32,
    /// [`FETCH_A`], [`RETIRE_A`], [`FETCH_B`], [`RETIRE_B`].
    pub flags: u8,
    /// The loop (0: outermost) whose index moved on from the previous fold, every loop inside
    /// it starting over (0 for the first fold). The fold begins an iteration of the loops
    /// outside level `L` exactly when this is below `L` (or it is the first fold).
    pub advanced: u8,
}

/// The loop nest's state: the index and the trip count of every loop.
struct Odometer<'a> {
    loops: &'a [Loop],
    tiling: &'a Tiling,
    idx: Vec<usize>,
    trips: Vec<usize>,
}

impl<'a> Odometer<'a> {
    fn new(loops: &'a [Loop], tiling: &'a Tiling) -> Self {
        let mut o = Odometer {
            loops,
            tiling,
            idx: vec![0; loops.len()],
            trips: vec![1; loops.len()],
        };
        for i in 0..loops.len() {
            o.trips[i] = o.trip_count(i);
        }
        o
    }

    /// Iterations of loop `i` under the current indices of the loops outside it.
    fn trip_count(&self, i: usize) -> usize {
        let l = self.loops[i];
        let n = self.tiling.tiles(l.dim);
        if let Some(b) = l.block {
            return n.div_ceil(b);
        }
        // The inner loop of a blocked dimension: the tiles of the current block.
        match self.loops[..i]
            .iter()
            .position(|o| o.dim == l.dim && o.block.is_some())
        {
            Some(j) => {
                let b = self.loops[j].block.unwrap_or(n);
                b.min(n - (self.idx[j] * b).min(n))
            }
            None => n,
        }
    }

    /// The tile of dimension `d` the current fold works on.
    fn tile(&self, d: Dim) -> usize {
        let mut t = 0;
        for (i, l) in self.loops.iter().enumerate() {
            if l.dim != d {
                continue;
            }
            t = match l.block {
                Some(b) => self.idx[i] * b,
                None => t + self.idx[i],
            };
        }
        t
    }

    /// Whether every loop at or inside `level` that does not index `buf` is at its first
    /// (`last = false`) or last iteration.
    fn at_edge(&self, buf: BufferId, level: usize, last: bool) -> bool {
        (level..self.loops.len()).all(|i| {
            self.loops[i].dim.indexes(buf)
                || if last {
                    self.idx[i] + 1 == self.trips[i]
                } else {
                    self.idx[i] == 0
                }
        })
    }

    /// Moves to the next fold: the loop whose index moved on, or `None` after the last fold.
    fn advance(&mut self) -> Option<usize> {
        for i in (0..self.loops.len()).rev() {
            self.idx[i] += 1;
            if self.idx[i] < self.trips[i] {
                for j in i + 1..self.loops.len() {
                    self.idx[j] = 0;
                    self.trips[j] = self.trip_count(j);
                }
                return Some(i);
            }
        }
        None
    }
}

/// Every fold of the mapping, in run order. The caller bounds the count
/// ([`Tiling::folds`]).
pub fn folds(tiling: &Tiling, mapping: &Mapping) -> Vec<FoldEntry> {
    let d = tiling.desc;
    let mut out = Vec::with_capacity(tiling.folds() as usize);
    let mut o = Odometer::new(&mapping.loops, tiling);
    let mut advanced = 0;
    loop {
        let mut flags = 0;
        for buf in [BufferId::A, BufferId::B] {
            let level = mapping.keep.of(buf);
            if o.at_edge(buf, level, false) {
                flags |= fetch_flag(buf);
            }
            if o.at_edge(buf, level, true) {
                flags |= retire_flag(buf);
            }
        }

        out.push(FoldEntry {
            row_tile: o.tile(d.rows) as u32,
            col_tile: o.tile(d.cols) as u32,
            chunk: o.tile(d.stream) as u32,
            flags,
            advanced,
        });
        match o.advance() {
            Some(i) => advanced = i as u8,
            None => return out,
        }
    }
}

/// Visits every fold in run order with the index and the trip count of each loop (outer to
/// inner) and the loop that moved on to reach it (`None` for fold 0), for walkers that time
/// their folds ([`super::fetch_time`]). The caller bounds the count ([`Tiling::folds`]).
pub(crate) fn visit(
    tiling: &Tiling,
    mapping: &Mapping,
    mut f: impl FnMut(&[usize], &[usize], Option<usize>),
) {
    let mut o = Odometer::new(&mapping.loops, tiling);
    let mut moved = None;
    loop {
        f(&o.idx, &o.trips, moved);
        match o.advance() {
            Some(i) => moved = Some(i),
            None => return,
        }
    }
}

/// The array axis a loop runs over, as a hardware walker takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    /// The dimension on the array's rows.
    Row = 0,
    /// The dimension on the array's columns.
    Col = 1,
    /// The stream dimension (its chunks).
    Stream = 2,
}

/// One loop of a mapping's nest as a hardware walker runs it: the numbers it would otherwise
/// derive, worked out here so that the RTL and the fast model walk the same nest
/// (`docs/microarchitecture.md`, "Mappings and fold order").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalkLoop {
    /// The axis the loop's tiles are on.
    pub axis: Axis,
    /// Iterations: `ceil(tiles / b)` for the outer loop of a blocked dimension, `b` for its inner
    /// loop (fewer in the last block: see `inner`), the axis's tiles otherwise.
    pub trips: u32,
    /// Tiles of the axis.
    pub tiles: u32,
    /// Tiles one iteration moves the axis on: `b` for the outer loop of a blocked dimension, 1
    /// otherwise.
    pub stride: u32,
    /// The inner loop of a blocked dimension: its trips are `min(b, tiles - block start)`, the
    /// block start being the sum of the outer loops' tiles on the same axis.
    pub inner: bool,
    /// A's fetch and retire flags look at this loop: it is at or inside A's keep level and does
    /// not index A (each of its iterations reads A's same tiles again).
    pub edge_a: bool,
    /// Likewise for B.
    pub edge_b: bool,
}

/// The mapping's loops, outer to inner, as [`WalkLoop`]s. Walking them as an odometer gives
/// [`folds`] fold for fold.
pub fn walk_loops(tiling: &Tiling, mapping: &Mapping) -> Vec<WalkLoop> {
    let d = tiling.desc;
    let axis = |dim: Dim| {
        if dim == d.rows {
            Axis::Row
        } else if dim == d.cols {
            Axis::Col
        } else {
            Axis::Stream
        }
    };
    mapping
        .loops
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let tiles = tiling.tiles(l.dim);
            let outer_block = mapping.loops[..i]
                .iter()
                .find(|o| o.dim == l.dim && o.block.is_some())
                .and_then(|o| o.block);
            let (trips, stride, inner) = match (l.block, outer_block) {
                (Some(b), _) => (tiles.div_ceil(b), b, false),
                (None, Some(b)) => (b.min(tiles), 1, true),
                (None, None) => (tiles, 1, false),
            };
            let edge = |buf| i >= mapping.keep.of(buf) && !l.dim.indexes(buf);
            WalkLoop {
                axis: axis(l.dim),
                trips: trips as u32,
                tiles: tiles as u32,
                stride: stride as u32,
                inner,
                edge_a: edge(BufferId::A),
                edge_b: edge(BufferId::B),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ArchConfig, Dataflow};
    use crate::workload::GemmShape;

    fn tiling(df: Dataflow, shape: GemmShape, ts: usize) -> Tiling {
        let cfg = ArchConfig::preset("tiny-4x4").unwrap();
        Tiling::new(&cfg, df, shape, ts)
    }

    /// SCALE-Sim's order: column tiles outer, row tiles inner.
    #[test]
    fn scalesim_order_is_column_tiles_outer() {
        let t = tiling(Dataflow::Os, GemmShape { m: 10, n: 6, k: 5 }, 5);
        let m = Mapping {
            stream_tile: 5,
            loops: vec![Loop::over(Dim::N), Loop::over(Dim::M)],
            keep: super::super::Keep { a: 2, b: 1 },
        };
        let f = folds(&t, &m);
        let tiles: Vec<(u32, u32)> = f.iter().map(|e| (e.col_tile, e.row_tile)).collect();
        assert_eq!(tiles, vec![(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]);
        // A streams (every fold fetches and frees); B's column tile is fetched by its first
        // fold and freed by its last.
        assert!(f
            .iter()
            .all(|e| e.flags & FETCH_A != 0 && e.flags & RETIRE_A != 0));
        let b: Vec<(bool, bool)> = f
            .iter()
            .map(|e| (e.flags & FETCH_B != 0, e.flags & RETIRE_B != 0))
            .collect();
        assert_eq!(
            b,
            vec![
                (true, false),
                (false, false),
                (false, true),
                (true, false),
                (false, false),
                (false, true)
            ]
        );
    }

    /// A blocked dimension with a partial last block, and stream chunks, visit every tile once.
    #[test]
    fn blocked_nests_visit_every_fold_once() {
        // WS: rows K (3 tiles of 4), cols N (5 tiles), stream M in chunks of 3 (4 chunks).
        let t = tiling(Dataflow::Ws, GemmShape { m: 10, n: 18, k: 9 }, 3);
        let m = Mapping {
            stream_tile: 3,
            loops: vec![
                Loop::blocks(Dim::N, 2),
                Loop::over(Dim::M),
                Loop::over(Dim::N),
                Loop::over(Dim::K),
            ],
            keep: super::super::Keep { a: 1, b: 1 },
        };
        let f = folds(&t, &m);
        assert_eq!(f.len() as u64, t.folds());
        let mut seen: Vec<(u32, u32, u32)> = f
            .iter()
            .map(|e| (e.row_tile, e.col_tile, e.chunk))
            .collect();
        // Block 0 (n tiles 0, 1): chunk 0 of M over n 0 then n 1, each over every K tile.
        assert_eq!(
            &seen[..7],
            &[
                (0, 0, 0),
                (1, 0, 0),
                (2, 0, 0),
                (0, 1, 0),
                (1, 1, 0),
                (2, 1, 0),
                (0, 0, 1)
            ]
        );
        // The last block holds one n tile.
        assert_eq!(
            f.last().map(|e| (e.row_tile, e.col_tile, e.chunk)),
            Some((2, 4, 3))
        );
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), f.len());
        // A (indexed by M and K) kept inside `n:2`: fetched in the first n tile of each block,
        // freed in the last one (block 2 has a single n tile, which does both).
        for e in &f {
            let first = e.col_tile % 2 == 0;
            let last = e.col_tile % 2 == 1 || e.col_tile == 4;
            assert_eq!(e.flags & FETCH_A != 0, first, "{e:?}");
            assert_eq!(e.flags & RETIRE_A != 0, last, "{e:?}");
        }
        // An iteration of `n:2` (the loops outside level 1) begins with its first fold.
        for (i, e) in f.iter().enumerate() {
            let begins = e.col_tile % 2 == 0 && e.chunk == 0 && e.row_tile == 0;
            assert_eq!(i == 0 || e.advanced < 1, begins, "{e:?}");
        }
        // B (indexed by K and N) inside `n:2`: the block's weights are fetched for the first
        // chunk of M and freed by the last.
        for e in &f {
            assert_eq!(e.flags & FETCH_B != 0, e.chunk == 0, "{e:?}");
            assert_eq!(e.flags & RETIRE_B != 0, e.chunk == 3, "{e:?}");
        }
    }
}
