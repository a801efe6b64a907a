//! The search: every mapping of a GEMM in the space `docs/mapping.md` describes, each evaluated
//! with the closed forms ([`super::cost`]), the best for an [`Objective`] chosen.
//!
//! The space, per dataflow: every stream tile `ceil(T / j)` (`j = 1..T`; OS streams the whole
//! of K), both orders of the two loops outside K (K innermost in WS and IS, where an output
//! tile's folds accumulate back to back), and each order with its inner loop blocked by a power
//! of two; A and B are kept at the outermost level their buffers hold. Mappings that do not fit
//! (an output tile larger than a bank of C that is not the whole stream) are left out. A
//! convolution whose ifmap buffer A holds is searched exactly too: the candidates are taken in
//! order of a lower bound (A's ifmap rows fetched once), each evaluated with the window's dry
//! run, until the bound passes the best found.

use super::cost::{evaluate, Estimate};
use super::Objective;
use crate::config::{ArchConfig, BufferId, ConvInput, Dataflow, MemoryModel};
use crate::energy::Prices;
use crate::error::RunError;
use crate::mapping::{Descriptor, Dim, Loop, Mapping, Tiling};
use crate::workload::im2col::Im2col;
use crate::workload::GemmShape;

/// The mapping the search chose, what the closed forms say of it, and the same for SCALE-Sim's
/// order (for the reports' comparison).
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// The best mapping.
    pub mapping: Mapping,
    /// Its closed forms.
    pub estimate: Estimate,
    /// Its energy by the closed forms (pJ, leakage over the latency estimate).
    pub energy_pj: f64,
    /// Mappings evaluated.
    pub evaluated: u64,
}

/// The candidates of the search space for `shape` in `df` on `cfg`, SCALE-Sim's order first
/// (so that it wins ties). Every candidate passes [`Mapping::check`].
pub fn candidates(cfg: &ArchConfig, df: Dataflow, shape: GemmShape) -> Vec<Mapping> {
    let d = Descriptor::of(df);
    let t = d.stream.of(shape);
    let half = (cfg.buffer_depth(BufferId::C) / 2) as usize;
    let mut out = vec![Mapping::scalesim(cfg, df, shape)];
    let row_tiles = Tiling::new(cfg, df, shape, t).tiles(d.rows);
    for ts in stream_tiles(d, t) {
        if !d.reduction_in_stream() && row_tiles > 1 && ts > half && ts != t {
            continue;
        }
        let tiling = Tiling::new(cfg, df, shape, ts);
        // The two dimensions outside K (OS: the columns and the rows; WS/IS: the columns and
        // the stream); a dimension of one tile needs no loop.
        let (p, q) = if d.reduction_in_stream() {
            (d.cols, d.rows)
        } else {
            (d.cols, d.stream)
        };
        let inner_k: Vec<Loop> = (!d.reduction_in_stream() && row_tiles > 1)
            .then_some(Loop::over(Dim::K))
            .into_iter()
            .collect();
        for (x, y) in [(p, q), (q, p)] {
            let (nx, ny) = (tiling.tiles(x), tiling.tiles(y));
            if nx == 1 && (x, y) == (q, p) {
                // With one tile of x the two orders are the same nest.
                continue;
            }
            let mut orders: Vec<Vec<Loop>> = Vec::new();
            let base: Vec<Loop> = [(x, nx), (y, ny)]
                .iter()
                .filter(|(_, n)| *n > 1)
                .map(|&(dim, _)| Loop::over(dim))
                .collect();
            orders.push(base);
            if nx > 1 {
                // Block the inner loop: `y:b x y`, b a power of two below y's tiles.
                let mut b = 2;
                while b < ny {
                    orders.push(vec![Loop::blocks(y, b), Loop::over(x), Loop::over(y)]);
                    b *= 2;
                }
            }
            for mut loops in orders {
                loops.extend(inner_k.iter().copied());
                let m = Mapping::with_loops(cfg, df, shape, ts, loops);
                if m.check(cfg, df, shape).is_ok() && !out.contains(&m) {
                    out.push(m);
                }
            }
        }
    }
    out
}

/// Every distinct stream tile `ceil(t / j)`, `j = 1..t` (about `2 sqrt(t)` of them), largest
/// first; OS streams the whole of K.
fn stream_tiles(d: &Descriptor, t: usize) -> Vec<usize> {
    if d.reduction_in_stream() {
        return vec![t];
    }
    let mut v = Vec::new();
    let mut j = 1;
    while j <= t {
        let ts = t.div_ceil(j);
        v.push(ts);
        // The next chunk count that gives a smaller tile.
        j = if ts == 1 {
            t + 1
        } else {
            t.div_ceil(ts - 1).max(j + 1)
        };
    }
    v
}

/// The score of an estimate for an objective: `(primary, secondary)`, smaller is better.
fn score(objective: Objective, est: &Estimate, prices: &Prices) -> (f64, f64) {
    let energy = prices.charge(&est.events, est.latency_estimate);
    let latency = est.latency_estimate as f64;
    match objective {
        Objective::Energy => (energy, latency),
        Objective::Latency => (latency, energy),
        Objective::Edp => (energy * latency, energy),
    }
}

/// The best mapping of `shape` in `df` on `cfg` for `objective` (module documentation). `conv`:
/// the convolution whose im2col matrix the GEMM is, when the machine may keep its ifmap in A;
/// `staged`: the output stage requantizes (it charges the same in every mapping).
pub fn search(
    cfg: &ArchConfig,
    df: Dataflow,
    shape: GemmShape,
    conv: Option<&Im2col>,
    staged: bool,
    objective: Objective,
    prices: &Prices,
) -> Result<Choice, RunError> {
    let cands = candidates(cfg, df, shape);
    let mut scored: Vec<(Mapping, Estimate, (f64, f64))> = Vec::with_capacity(cands.len());
    let mut first_err = None;
    for m in cands {
        match evaluate(cfg, df, shape, &m, None, staged) {
            Ok(est) => {
                let s = score(objective, &est, prices);
                scored.push((m, est, s));
            }
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    let evaluated = scored.len() as u64;
    let ifmap =
        conv.filter(|_| cfg.conv_input == ConvInput::Ifmap && cfg.memory == MemoryModel::Dram);
    let best = match ifmap {
        None => scored
            .into_iter()
            .min_by(|a, b| a.2.partial_cmp(&b.2).expect("finite scores"))
            .map(|(m, e, _)| (m, e)),
        Some(geom) => branch_and_bound(cfg, df, shape, geom, staged, objective, prices, scored)?,
    };
    let Some((mapping, estimate)) = best else {
        let why = first_err.map_or_else(String::new, |e| format!(" (SCALE-Sim's order: {e})"));
        return Err(RunError::Memory(format!(
            "no mapping of {}x{}x{} (M x N x K) in {df} fits the buffers of `{}`{why}",
            shape.m, shape.n, shape.k, cfg.name
        )));
    };
    let energy_pj = prices.charge(&estimate.events, estimate.latency_estimate);
    Ok(Choice {
        mapping,
        estimate,
        energy_pj,
        evaluated,
    })
}

/// The exact search when A may hold the ifmap: the matrix's closed forms bound each candidate
/// from above (the machine keeps the ifmap only when it moves fewer bytes), and the ifmap rows
/// the layer touches, each fetched once, bound it from below; candidates are evaluated exactly
/// (the window's dry run) in order of their lower bounds until the bound reaches the best exact
/// score.
#[allow(clippy::too_many_arguments)]
fn branch_and_bound(
    cfg: &ArchConfig,
    df: Dataflow,
    shape: GemmShape,
    geom: &Im2col,
    staged: bool,
    objective: Objective,
    prices: &Prices,
    scored: Vec<(Mapping, Estimate, (f64, f64))>,
) -> Result<Option<(Mapping, Estimate)>, RunError> {
    let row = ifmap_row(cfg, df, geom);
    let touched = touched_rows(geom);
    // When the whole ifmap fits buffer A, every row is fetched once and stays (no window).
    let row_vectors = geom.row_elems().div_ceil(row.2).max(1);
    let whole = geom.rows() <= cfg.buffer_depth(BufferId::A) / row_vectors;
    // The scores of a candidate whose A moves at most `rows` ifmap rows (or its matrix).
    let bound = |est: &Estimate, rows: u64| {
        let mut low = *est;
        low.traffic.a_read = low.traffic.a_read.min(rows * row.0);
        low.events.dram_a_read_bytes = low.traffic.a_read;
        low.events.a_buf_writes = low.events.a_buf_writes.min(rows * row.1);
        let bus = low
            .traffic
            .total()
            .div_ceil(u64::from(cfg.dram.bytes_per_cycle.max(1)));
        low.latency_estimate = low.compute_cycles.max(bus) + 2 * u64::from(cfg.dram.latency_cycles);
        score(objective, &low, prices)
    };
    let mut bounded: Vec<((f64, f64), Mapping, Estimate)> = scored
        .into_iter()
        .map(|(m, est, _)| (bound(&est, touched), m, est))
        .collect();
    bounded.sort_by(|a, b| a.0.partial_cmp(&b.0).expect("finite scores"));
    let mut best: Option<((f64, f64), Mapping, Estimate)> = None;
    let mut ws_floors: std::collections::HashMap<usize, Option<u64>> = Default::default();
    for (low, m, matrix) in bounded {
        if best.as_ref().is_some_and(|b| low >= b.0) {
            break;
        }
        if df == Dataflow::Ws && !whole {
            // A tighter bound for WS, whose folds restart the window (module documentation of
            // `ws_restart_rows`); the same for every order of a stream tile.
            let rows = *ws_floors
                .entry(m.stream_tile)
                .or_insert_with(|| ws_restart_rows(cfg, shape, m.stream_tile, geom));
            if let Some(rows) = rows {
                if best
                    .as_ref()
                    .is_some_and(|b| bound(&matrix, rows.max(touched)) >= b.0)
                {
                    continue;
                }
            }
        }
        let est = evaluate(cfg, df, shape, &m, Some(geom), staged)?;
        let s = score(objective, &est, prices);
        if best.as_ref().is_none_or(|b| s < b.0) {
            best = Some((s, m, est));
        }
    }
    Ok(best.map(|(_, m, e)| (m, e)))
}

/// A lower bound on the ifmap rows a WS run with stream tile `ts` fetches, whatever the order
/// of its loops, when the machine must slide its window (`None` when it may keep rows for an
/// epoch instead: no bound beyond every row once). In WS the window's unit is one read (an
/// output pixel over the fold's K tile); K is the innermost loop, so the folds of one (column
/// tile, stream chunk) run K tile after K tile. A sliding window that reaches a fold whose first
/// read needs rows starting below the rows of the previous fold's last read restarts, and then
/// fetches at least the union of the rows the fold's reads need. Counting only those restarts
/// gives the bound. A window kept for an epoch holds at least one fold's rows at once, so when
/// some fold needs more rows than buffer A holds, the run slides.
fn ws_restart_rows(cfg: &ArchConfig, shape: GemmShape, ts: usize, geom: &Im2col) -> Option<u64> {
    let r = cfg.array.rows as usize;
    let capacity = cfg.buffer_depth(BufferId::A)
        / geom
            .row_elems()
            .div_ceil(ifmap_row(cfg, Dataflow::Ws, geom).2)
            .max(1);
    let (m, k) = (shape.m, shape.k);
    let (nr, nc) = (
        k.div_ceil(r) as u64,
        shape.n.div_ceil(cfg.array.cols as usize) as u64,
    );
    let ow = geom.ofmap_w;
    let ktile = |t: usize| (t * r, ((t + 1) * r).min(k) - 1);
    let one_fold_overflows = (0..m).step_by(ts.max(1)).any(|m0| {
        let m1 = (m0 + ts).min(m) - 1;
        (0..nr as usize).any(|t| {
            geom.need((m0, m1), ktile(t))
                .is_some_and(|(lo, hi)| hi - lo + 1 > capacity)
        })
    });
    if !one_fold_overflows {
        return None;
    }
    let mut rows = 0u64;
    for m0 in (0..m).step_by(ts.max(1)) {
        let m1 = (m0 + ts).min(m) - 1;
        for t in 1..nr as usize {
            let first = geom.need((m0, m0), ktile(t)).map(|iv| iv.0);
            let last = geom.need((m1, m1), ktile(t - 1)).map(|iv| iv.0);
            let (Some(first), Some(last)) = (first, last) else {
                continue;
            };
            if first >= last {
                continue;
            }
            // The union of the rows the fold's reads need, one row of pixels at a time (their
            // intervals rise with the pixel row).
            let (mut covered, mut p) = (None::<u64>, m0);
            while p <= m1 {
                let end = ((p / ow + 1) * ow).min(m1 + 1);
                if let Some((lo, hi)) = geom.need((p, end - 1), ktile(t)) {
                    let from = covered.map_or(lo, |c| lo.max(c + 1));
                    if hi >= from {
                        rows += hi - from + 1;
                    }
                    covered = Some(covered.map_or(hi, |c| c.max(hi)));
                }
                p = end;
            }
        }
    }
    Some(rows * nc)
}

/// The ifmap rows some output pixel reads (each must be fetched at least once).
fn touched_rows(geom: &Im2col) -> u64 {
    let h = geom.ifmap_h as i64;
    let mut touched = vec![false; geom.ifmap_h];
    for oh in 0..geom.ofmap_h {
        let base = (oh * geom.stride_h) as i64 - geom.pad_top as i64;
        for fh in 0..geom.filter_h as i64 {
            let ih = base + fh;
            if (0..h).contains(&ih) {
                touched[ih as usize] = true;
            }
        }
    }
    touched.iter().filter(|&&t| t).count() as u64 * geom.batch as u64
}

/// The DRAM bytes and fill words of one ifmap row (one burst per vector of A's lanes), and A's
/// lanes.
fn ifmap_row(cfg: &ArchConfig, df: Dataflow, geom: &Im2col) -> (u64, u64, u64) {
    // A's vectors have a lane per PE row when A feeds the left edge, per column otherwise.
    let lanes = if Descriptor::of(df).left == BufferId::A {
        u64::from(cfg.array.rows)
    } else {
        u64::from(cfg.array.cols)
    }
    .max(1);
    let elems = geom.row_elems();
    let (full, rest) = (elems / lanes, elems % lanes);
    let bytes = |n: u64| cfg.packed_bytes(BufferId::A, n);
    let words = |n: u64| cfg.words_for(BufferId::A, n as u32);
    (
        full * bytes(lanes) + if rest > 0 { bytes(rest) } else { 0 },
        full * words(lanes) + if rest > 0 { words(rest) } else { 0 },
        lanes,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_tiles_are_every_distinct_ceiling() {
        let d = Descriptor::of(Dataflow::Ws);
        for t in [1usize, 2, 7, 100, 12544] {
            let want: std::collections::BTreeSet<usize> = (1..=t).map(|j| t.div_ceil(j)).collect();
            let got: std::collections::BTreeSet<usize> = stream_tiles(d, t).into_iter().collect();
            assert_eq!(got, want, "t = {t}");
        }
        assert_eq!(stream_tiles(Descriptor::of(Dataflow::Os), 9), vec![9]);
    }

    /// The WS bound never exceeds the rows the window really fetches, in any mapping of a
    /// layer whose ifmap needs a window.
    #[test]
    fn the_ws_restart_bound_is_a_lower_bound() {
        use crate::mapping::schedule::Plan;
        use crate::memory::im2col::IfmapStream;
        let mut checked = 0;
        for (h, w, ch, f, stride, pad, filters) in [
            (20, 5, 2, 3, 1, 1, 6),
            (24, 4, 3, 3, 2, 1, 9),
            (17, 6, 1, 2, 1, 0, 4),
            (22, 3, 4, 3, 1, 0, 7),
            (30, 8, 2, 1, 1, 0, 5),
        ] {
            let geom = Im2col {
                batch: 1,
                ifmap_h: h,
                ifmap_w: w,
                channels: ch,
                filter_h: f,
                filter_w: f,
                stride_h: stride,
                stride_w: stride,
                pad_top: pad,
                pad_left: pad,
                ofmap_h: (h + 2 * pad - f) / stride + 1,
                ofmap_w: (w + 2 * pad - f) / stride + 1,
            };
            // 32 or 16 vectors: a window of a few rows, which some folds' rows overflow.
            for word_bits in [1024, 2048] {
                let mut cfg = ArchConfig::preset("tiny-4x4").unwrap();
                cfg.buffers.a.word_bits = word_bits;
                cfg.conv_input = ConvInput::Ifmap;
                let (m, k) = geom.mk();
                let shape = GemmShape { m, n: filters, k };
                for c in candidates(&cfg, Dataflow::Ws, shape) {
                    let plan = Plan::for_conv(&cfg, Dataflow::Ws, shape, &c, &geom);
                    let Some(s) = IfmapStream::new(&cfg, &plan, geom) else {
                        continue;
                    };
                    let Some(bound) = ws_restart_rows(&cfg, shape, c.stream_tile, &geom) else {
                        continue;
                    };
                    assert!(
                        bound <= s.fetched_rows(),
                        "{c}: bound {bound} > {}",
                        s.fetched_rows()
                    );
                    checked += (bound > 0) as u32;
                }
            }
        }
        assert!(
            checked > 20,
            "only {checked} mappings with a non-trivial bound"
        );
    }
}
