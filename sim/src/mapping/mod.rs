//! The mapping layer: how a GEMM is cut into folds and in which order they run ([`Mapping`]),
//! what each dataflow does with the dimensions ([`dataflow::Descriptor`]), how the buffers lay
//! their vectors out ([`layout`]) and the controller's timetable that follows from all of it
//! ([`schedule`]); the fold order itself is walked by [`nest`]. `docs/microarchitecture.md`
//! ("Mappings and fold order") is the contract; `docs/mapping.md` says how mappings are chosen.
//!
//! It depends on the configuration and the workloads' shapes only; the memory system and the
//! fast model read it.

pub mod dataflow;
pub mod fetch_time;
pub mod file;
pub mod layout;
pub mod nest;
pub mod schedule;

use std::fmt;

use crate::config::{ArchConfig, BufferId, Dataflow};
pub use crate::error::MappingError;
use crate::workload::GemmShape;
pub use dataflow::{Descriptor, Dim};

/// One loop of a mapping's nest: it runs over the fold tiles of one GEMM dimension.
///
/// A dimension appears once (its loop runs over all its tiles) or twice: the outer occurrence
/// has a `block` of `b` tiles and runs over `ceil(tiles / b)` blocks, the inner one runs over the
/// tiles of the current block (`b`, or fewer in the last block).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Loop {
    /// The dimension.
    pub dim: Dim,
    /// `Some(b)`: the outer loop over blocks of `b` tiles.
    pub block: Option<usize>,
}

impl Loop {
    /// A loop over every tile of `dim` (or over the tiles of a block, when an outer block loop
    /// of the same dimension exists).
    pub fn over(dim: Dim) -> Loop {
        Loop { dim, block: None }
    }

    /// The outer loop over blocks of `b` tiles of `dim`.
    pub fn blocks(dim: Dim, b: usize) -> Loop {
        Loop {
            dim,
            block: Some(b),
        }
    }
}

impl fmt::Display for Loop {
    /// `m`, `n`, `k`, or `n:4` for a loop over blocks of 4 tiles of N.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.block {
            Some(b) => write!(f, "{}:{b}", self.dim.name()),
            None => f.write_str(self.dim.name()),
        }
    }
}

impl Loop {
    /// Parses `m`, `n`, `k` or `d:b` (the outer loop over blocks of `b` tiles).
    pub fn parse(s: &str) -> Option<Loop> {
        match s.split_once(':') {
            None => Dim::parse(s.trim()).map(Loop::over),
            Some((d, b)) => {
                let b: usize = b.trim().parse().ok().filter(|&b| b >= 1)?;
                Some(Loop::blocks(Dim::parse(d.trim())?, b))
            }
        }
    }
}

/// Where buffers A and B keep their operand: a *level* of the loop nest. Level `0` keeps it for
/// the whole run; level `i` keeps what the loops `i..` read for one iteration of the loops
/// outside them, and fetches it again for the next; level `loops.len()` keeps a fold's vectors
/// for that fold only (they stream through the buffer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Keep {
    /// Buffer A's level.
    pub a: usize,
    /// Buffer B's level.
    pub b: usize,
}

impl Keep {
    /// The level of buffer `buf` (A or B).
    pub fn of(&self, buf: BufferId) -> usize {
        match buf {
            BufferId::A => self.a,
            _ => self.b,
        }
    }
}

/// A mapping of one GEMM onto the array in one dataflow: the fold tiles (`R` rows and `C`
/// columns of the array, `stream_tile` elements of the stream), the order in which the loops
/// over those tiles run, and where buffers A and B keep their operands. SCALE-Sim's fixed order
/// is [`Mapping::scalesim`]; the mapper searches the others.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mapping {
    /// Elements of the stream dimension (OS: K; WS: M; IS: N) each fold streams; the last
    /// chunk may be shorter. OS always streams the whole of K: its PEs hold each output for
    /// its whole reduction.
    pub stream_tile: usize,
    /// The loops, outer to inner.
    pub loops: Vec<Loop>,
    /// Where A and B are kept.
    pub keep: Keep,
}

fn bad<T>(field: &str, message: String) -> Result<T, MappingError> {
    Err(MappingError {
        field: field.to_string(),
        message,
    })
}

/// The fold tiles of a GEMM under one stream tile: how many tiles each dimension has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tiling {
    /// The dataflow's descriptor.
    pub desc: &'static Descriptor,
    /// Array rows and columns.
    pub r: usize,
    /// Array columns.
    pub c: usize,
    /// Extents of the row, column and stream dimensions.
    pub extents: (usize, usize, usize),
    /// Elements of the stream per fold (the last chunk may be shorter).
    pub stream_tile: usize,
}

impl Tiling {
    /// The tiling of `shape` in `df` on `cfg`'s array with the given stream tile.
    pub fn new(cfg: &ArchConfig, df: Dataflow, shape: GemmShape, stream_tile: usize) -> Tiling {
        let desc = Descriptor::of(df);
        Tiling {
            desc,
            r: cfg.array.rows as usize,
            c: cfg.array.cols as usize,
            extents: desc.extents(shape),
            stream_tile: stream_tile.max(1),
        }
    }

    /// Tiles of dimension `d`: row tiles of `R`, column tiles of `C`, stream chunks.
    pub fn tiles(&self, d: Dim) -> usize {
        let (sr, sc, t) = self.extents;
        if d == self.desc.rows {
            sr.div_ceil(self.r)
        } else if d == self.desc.cols {
            sc.div_ceil(self.c)
        } else {
            t.div_ceil(self.stream_tile)
        }
    }

    /// The extent of dimension `d`.
    pub fn extent(&self, d: Dim) -> usize {
        let (sr, sc, t) = self.extents;
        if d == self.desc.rows {
            sr
        } else if d == self.desc.cols {
            sc
        } else {
            t
        }
    }

    /// Elements of `d` in one tile.
    pub fn tile_elems(&self, d: Dim) -> usize {
        if d == self.desc.rows {
            self.r
        } else if d == self.desc.cols {
            self.c
        } else {
            self.stream_tile
        }
    }

    /// Elements of `d` that `tiles` consecutive tiles cover (at most the extent).
    pub fn covered(&self, d: Dim, tiles: usize) -> usize {
        tiles.saturating_mul(self.tile_elems(d)).min(self.extent(d))
    }

    /// Total folds: the product of every dimension's tiles.
    pub fn folds(&self) -> u64 {
        Dim::ALL
            .iter()
            .map(|&d| self.tiles(d) as u64)
            .fold(1u64, u64::saturating_mul)
    }
}

impl Mapping {
    /// SCALE-Sim's order: column tiles outer, row tiles inner, the whole stream in each fold,
    /// and each operand kept as long as its buffer allows ([`Mapping::keep_outermost`]).
    pub fn scalesim(cfg: &ArchConfig, df: Dataflow, shape: GemmShape) -> Mapping {
        let d = Descriptor::of(df);
        let loops = vec![Loop::over(d.cols), Loop::over(d.rows)];
        let stream_tile = d.stream.of(shape).max(1);
        Mapping::with_loops(cfg, df, shape, stream_tile, loops)
    }

    /// A mapping with these loops and stream tile, each operand kept at the outermost level
    /// whose working set fits its buffer.
    pub fn with_loops(
        cfg: &ArchConfig,
        df: Dataflow,
        shape: GemmShape,
        stream_tile: usize,
        loops: Vec<Loop>,
    ) -> Mapping {
        let mut m = Mapping {
            stream_tile,
            loops,
            keep: Keep { a: 0, b: 0 },
        };
        m.keep = m.keep_outermost(cfg, df, shape);
        m.normalized()
    }

    /// The same mapping with each keep level moved inward past the loops that index its
    /// operand: an operand is fetched again only when a loop it does not depend on starts over,
    /// so a level just outside a loop over its own dimension behaves as the level inside it.
    /// Normalized, two mappings that run alike are equal, and `A:n` names the loop across which
    /// A is really reused.
    pub fn normalized(mut self) -> Mapping {
        for buf in [BufferId::A, BufferId::B] {
            let mut level = self.keep.of(buf);
            while level < self.loops.len() && self.loops[level].dim.indexes(buf) {
                level += 1;
            }
            match buf {
                BufferId::A => self.keep.a = level,
                _ => self.keep.b = level,
            }
        }
        self
    }

    /// For A and B, the outermost level whose working set fits the buffer (the fewest DRAM
    /// fetches this loop order allows; the innermost level, a fold, always fits).
    pub fn keep_outermost(&self, cfg: &ArchConfig, df: Dataflow, shape: GemmShape) -> Keep {
        let tiling = Tiling::new(cfg, df, shape, self.stream_tile);
        let level = |buf| {
            (0..=self.loops.len())
                .find(|&l| {
                    l == self.loops.len()
                        || self.working_set(&tiling, buf, l) <= cfg.buffer_depth(buf)
                })
                .unwrap_or(self.loops.len())
        };
        Keep {
            a: level(BufferId::A),
            b: level(BufferId::B),
        }
    }

    /// Tiles of `d` that the loops from level `level` inward cover in one iteration of the loops
    /// outside it (the most, over the iterations).
    fn tiles_inside(&self, tiling: &Tiling, d: Dim, level: usize) -> usize {
        let n = tiling.tiles(d);
        let mut inside = self.loops[level.min(self.loops.len())..]
            .iter()
            .filter(|l| l.dim == d);
        let outer_in = self.loops[..level.min(self.loops.len())]
            .iter()
            .filter(|l| l.dim == d)
            .count();
        match (inside.next(), outer_in) {
            // Not inside: one tile per iteration.
            (None, _) => 1,
            // The dimension's only loop, or both its loops, are inside.
            (Some(_), 0) => n,
            // Only the inner loop of a blocked dimension: one block.
            (Some(_), _) => {
                let b = self
                    .loops
                    .iter()
                    .find_map(|l| (l.dim == d).then_some(l.block).flatten())
                    .unwrap_or(n);
                b.min(n)
            }
        }
    }

    /// Vectors of buffer `buf` (A or B) that the folds of one iteration of the loops outside
    /// `level` read: the buffer must hold them to keep the operand at that level.
    pub fn working_set(&self, tiling: &Tiling, buf: BufferId, level: usize) -> u64 {
        let d = tiling.desc;
        let cov = |dim: Dim| tiling.covered(dim, self.tiles_inside(tiling, dim, level)) as u64;
        let tiles = |dim: Dim| self.tiles_inside(tiling, dim, level) as u64;
        if d.left == buf || (d.stationary.is_none() && d.top == buf) {
            // A streaming operand: one vector per stream element, one per lane tile of the
            // dimension its lanes run over (OS B: the columns; otherwise the rows).
            let lanes_dim = if d.left == buf { d.rows } else { d.cols };
            tiles(lanes_dim).saturating_mul(cov(d.stream))
        } else {
            // The stationary operand: one vector per element of the row dimension, one per
            // column tile.
            cov(d.rows).saturating_mul(tiles(d.cols))
        }
    }

    /// Checks that this mapping can run `shape` in `df` on `cfg`: every dimension with more
    /// than one tile has a loop, a blocked dimension is written `d:b` then `d`, OS streams the
    /// whole of K, WS and IS run K innermost (the folds of an output tile accumulate back to
    /// back), an output tile fits a bank of C unless it is the whole stream (then C spills, as
    /// in SCALE-Sim's order), and A and B are kept at levels whose working sets fit.
    pub fn check(
        &self,
        cfg: &ArchConfig,
        df: Dataflow,
        shape: GemmShape,
    ) -> Result<(), MappingError> {
        let desc = Descriptor::of(df);
        let t = desc.stream.of(shape);
        if self.stream_tile == 0 || self.stream_tile > t {
            return bad(
                "stream_tile",
                format!(
                    "{} must be between 1 and {t} ({}, the {} dimension the {df} folds stream)",
                    self.stream_tile,
                    desc.stream.name().to_ascii_uppercase(),
                    desc.stream.name()
                ),
            );
        }
        if desc.reduction_in_stream() && self.stream_tile != t {
            return bad(
                "stream_tile",
                format!(
                    "{} < K = {t}: an OS fold streams the whole reduction (each PE holds its output until the last MAC), so the stream tile must be K",
                    self.stream_tile
                ),
            );
        }
        let tiling = Tiling::new(cfg, df, shape, self.stream_tile);
        let mut seen: Vec<(Dim, bool)> = Vec::new();
        for (i, l) in self.loops.iter().enumerate() {
            let n = tiling.tiles(l.dim);
            match (seen.iter().filter(|s| s.0 == l.dim).count(), l.block) {
                (0, None) => {}
                (0, Some(b)) => {
                    if b == 0 {
                        return bad("loops", format!("loop {i} (`{l}`): a block has at least one tile"));
                    }
                    if !self.loops[i + 1..].iter().any(|x| x.dim == l.dim) {
                        return bad(
                            "loops",
                            format!(
                                "loop {i} (`{l}`) runs over blocks of {b} {} tiles, but no inner `{}` loop runs over the tiles of a block",
                                l.dim.name(),
                                l.dim.name()
                            ),
                        );
                    }
                    let _ = n;
                }
                (1, None) if seen.iter().any(|s| s.0 == l.dim && s.1) => {}
                (1, _) => {
                    return bad(
                        "loops",
                        format!(
                            "`{}` appears twice: write the outer loop as `{}:B` (blocks of B tiles) and the inner one as `{}`",
                            l.dim.name(),
                            l.dim.name(),
                            l.dim.name()
                        ),
                    )
                }
                _ => {
                    return bad(
                        "loops",
                        format!("`{}` appears more than twice", l.dim.name()),
                    )
                }
            }
            seen.push((l.dim, l.block.is_some()));
        }
        for d in Dim::ALL {
            let n = tiling.tiles(d);
            if n > 1 && !self.loops.iter().any(|l| l.dim == d) {
                return bad(
                    "loops",
                    format!(
                        "no loop over {} ({} tiles of {} in {df} on {}x{}): every dimension with more than one tile needs one",
                        d.name(),
                        n,
                        tiling.tile_elems(d),
                        tiling.r,
                        tiling.c
                    ),
                );
            }
        }
        let row_tiles = tiling.tiles(desc.rows);
        if !desc.reduction_in_stream() && row_tiles > 1 {
            let k = self.loops.iter().filter(|l| l.dim == Dim::K).count();
            if k != 1 || self.loops.last().map(|l| l.dim) != Some(Dim::K) {
                return bad(
                    "loops",
                    format!(
                        "in {df} the folds of an output tile accumulate over K in buffer C, so K ({row_tiles} tiles) must be the innermost loop, unblocked"
                    ),
                );
            }
            let half = cfg.buffer_depth(BufferId::C) / 2;
            if self.stream_tile as u64 > half && self.stream_tile != t {
                return bad(
                    "stream_tile",
                    format!(
                        "{}: an output tile of {} rows does not fit a bank of buffer C ({half} rows), and C spills partial sums only when a fold streams the whole of {} ({t}); choose a stream tile of at most {half}",
                        self.stream_tile,
                        self.stream_tile,
                        desc.stream.name().to_ascii_uppercase()
                    ),
                );
            }
        }
        let canonical = self.clone().normalized();
        for buf in [BufferId::A, BufferId::B] {
            let level = self.keep.of(buf);
            let field = format!("keep.{}", buf.name());
            if level > self.loops.len() {
                return bad(
                    &field,
                    format!("level {level}, but the nest has {} loops", self.loops.len()),
                );
            }
            // The buffer must hold what the level really keeps (the normalized level's set).
            let level = canonical.keep.of(buf).max(level);
            if level < self.loops.len() {
                let need = self.working_set(&tiling, buf, level);
                let depth = cfg.buffer_depth(buf);
                if need > depth {
                    return bad(
                        &field,
                        format!(
                            "keeping {} {} needs {need} vectors in buffer {}, which holds {depth}",
                            buf.name().to_ascii_uppercase(),
                            self.level_name(level),
                            buf.name().to_ascii_uppercase()
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    /// A level in words: `for the whole run`, `per iteration of n` (the loop just outside it),
    /// or `per fold`.
    pub fn level_name(&self, level: usize) -> String {
        if level == 0 {
            "for the whole run".to_string()
        } else if level >= self.loops.len() {
            "per fold".to_string()
        } else {
            format!("per iteration of `{}`", self.loops[level - 1])
        }
    }

    /// How many times buffer `buf`'s operand crosses the DRAM port when kept at its level: the
    /// product of the iterations of the loops outside that level that do not index it (each
    /// starts its tiles over). Exact for matrix operands (`DramTraffic` multiplies the
    /// compulsory bytes by it).
    pub fn refetches(&self, tiling: &Tiling, buf: BufferId) -> u64 {
        let level = self.keep.of(buf).min(self.loops.len());
        let mut f = 1u64;
        for d in Dim::ALL {
            if d.indexes(buf) {
                continue;
            }
            // A dimension the operand does not depend on, outside the level: each of its
            // iterations fetches again.
            let outside: Vec<&Loop> = self.loops[..level].iter().filter(|l| l.dim == d).collect();
            let inside = self.loops[level..].iter().any(|l| l.dim == d);
            let n = tiling.tiles(d) as u64;
            f = f.saturating_mul(match (outside.len(), inside) {
                (0, _) => 1,
                // Only the outer block loop is outside: once per block.
                (_, true) => outside[0].block.map_or(n, |b| n.div_ceil(b as u64)),
                // Every loop of the dimension is outside: once per tile.
                (_, false) => n,
            });
        }
        f
    }
}

impl fmt::Display for Mapping {
    /// `[n:2 m n k] tile 224 A:m B:all`: the loops outer to inner, the stream tile, and the
    /// loop each operand is kept across (`all`: the whole run; `fold`: one fold).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let loops: Vec<String> = self.loops.iter().map(|l| l.to_string()).collect();
        write!(
            f,
            "[{}] tile {} A:{} B:{}",
            loops.join(" "),
            self.stream_tile,
            self.level_label(self.keep.a),
            self.level_label(self.keep.b)
        )
    }
}
