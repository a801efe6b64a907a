//! Tests of the fast model against the reference product, the closed form, hand-derived event
//! counts, and the contract's fold intervals (each is the smallest that keeps results exact).

use super::{run_plan, simulate_gemm, simulate_gemm_with_probe, NoProbe, Probe};
use crate::config::{ArchConfig, BufferId, Dataflow};
use crate::events::EventCounts;
use crate::mapping::schedule::{closed_form_cycles, Plan};
use crate::mapping::Mapping;
use crate::matrix::{reference_matmul, Matrix};
use crate::workload::GemmShape;

/// The array's contract machine: the whole problem on chip (the memory system has its own
/// tests), with buffer read latencies `la`, `lb` and `lc`.
fn arch(r: u32, c: u32, la: u32, lb: u32, lc: u32) -> ArchConfig {
    crate::testing::tiny_latencies(r, c, (la, lb, lc))
}

fn run_checked(cfg: &ArchConfig, df: Dataflow, m: usize, n: usize, k: usize, seed: u64) {
    let a = Matrix::random(m, k, seed);
    let b = Matrix::random(k, n, seed + 1);
    let plan = Plan::new(cfg, df, GemmShape { m, n, k });
    let (run, diag) = run_plan(cfg, &plan, &a, &b, None, &mut NoProbe);
    let what = format!(
        "{df} {}x{} L=({},{},{}) {m}x{n}x{k}",
        cfg.array.rows,
        cfg.array.cols,
        cfg.buffers.a.read_latency,
        cfg.buffers.b.read_latency,
        cfg.buffers.c.read_latency
    );
    assert_eq!(run.c, reference_matmul(&a, &b), "C differs: {what}");
    assert_eq!(diag.hazards, 0, "hazards: {what}");
    assert_eq!(
        run.stats.total_cycles,
        closed_form_cycles(cfg, df, run.stats.shape()),
        "cycles: {what}"
    );
    assert_eq!(run.stats.macs, (m * n * k) as u64, "{what}");
    assert_eq!(
        run.stats.events.idle_pe_cycles + run.stats.macs,
        run.stats.total_cycles * cfg.pes(),
        "{what}"
    );
    check_events(cfg, df, GemmShape { m, n, k }, &run.stats.events, &what);
}

#[test]
fn exact_on_a_grid_of_shapes_arrays_and_latencies() {
    for (r, c) in [(1, 1), (1, 5), (5, 1), (2, 3), (4, 4), (3, 7), (8, 8)] {
        for (la, lb, lc) in [(1, 1, 1), (3, 1, 2), (1, 4, 3), (64, 1, 9), (1, 17, 64)] {
            let cfg = arch(r, c, la, lb, lc);
            for (m, n, k) in [
                (1, 1, 1),
                (1, 9, 4),
                (9, 1, 4),
                (4, 4, 1),
                (7, 5, 3),
                (8, 8, 8),
                (17, 10, 13),
            ] {
                for df in Dataflow::ALL {
                    run_checked(&cfg, df, m, n, k, (m * 100 + n * 10 + k) as u64);
                }
            }
        }
    }
}

/// Sum over the tiles of a dimension `d` cut in pieces of `e` of `f(used)`.
fn over_tiles(d: usize, e: usize, f: impl Fn(u64) -> u64) -> u64 {
    (0..d.div_ceil(e))
        .map(|t| f((d - t * e).min(e) as u64))
        .sum()
}

/// Event counts derived by hand from the contract (not from the simulation).
fn check_events(cfg: &ArchConfig, df: Dataflow, s: GemmShape, e: &EventCounts, what: &str) {
    let (r, c) = (cfg.array.rows as usize, cfg.array.cols as usize);
    let (ru, cu) = (r as u64, c as u64);
    let (m, n, k) = (s.m as u64, s.n as u64, s.k as u64);
    let tri = |u: u64| u * u.saturating_sub(1) / 2; // 0 + 1 + ... + (u-1)
    let mut want = EventCounts {
        macs: m * n * k,
        ..Default::default()
    };
    match df {
        Dataflow::Os => {
            let (fm, fn_) = (s.m.div_ceil(r) as u64, s.n.div_ceil(c) as u64);
            want.a_buf_read_elems = fn_ * m * k;
            want.b_buf_read_elems = fm * n * k;
            want.c_buf_write_elems = m * n;
            want.h_operand_hops = fn_ * m * k * cu;
            want.v_operand_hops = fm * n * k * ru;
            want.acc_updates = m * n * k;
            want.skew_hops = fn_ * k * over_tiles(s.m, r, tri) + fm * k * over_tiles(s.n, c, tri);
            // The output of row i travels y(i), x(i+1), y(i+1), ..., y(R-1): 2R-1-2i registers.
            want.psum_hops = n * over_tiles(s.m, r, |u| (0..u).map(|i| 2 * ru - 1 - 2 * i).sum());
            want.deskew_hops = m * over_tiles(s.n, c, |u| (0..u).map(|j| cu - 1 - j).sum());
        }
        Dataflow::Ws | Dataflow::Is => {
            // (stream length, stationary columns dimension)
            let (t, p) = if df == Dataflow::Ws { (m, n) } else { (n, m) };
            let fk = s.k.div_ceil(r) as u64;
            let fp = (p as usize).div_ceil(c) as u64;
            let (stream_elems, stat_elems) = (fp * t * k, k * p);
            let (stream_rd, stat_rd) = if df == Dataflow::Ws {
                (&mut want.a_buf_read_elems, &mut want.b_buf_read_elems)
            } else {
                (&mut want.b_buf_read_elems, &mut want.a_buf_read_elems)
            };
            *stream_rd = stream_elems;
            *stat_rd = stat_elems;
            want.c_buf_write_elems = fk * t * p;
            want.c_buf_read_elems = (fk - 1) * t * p;
            want.stationary_loads = k * p;
            want.stationary_swaps = k * p;
            want.h_operand_hops = stream_elems * cu;
            // A value for row i passes the vertical registers of rows 0..i-1.
            want.v_operand_hops = p * over_tiles(s.k, r, tri);
            // Every valid column carries a valid partial sum through all R rows per stream step.
            want.psum_hops = fk * t * p * ru;
            want.skew_hops = fp * t * over_tiles(s.k, r, tri)
                + over_tiles(s.k, r, |u| u) * over_tiles(p as usize, c, tri);
            want.deskew_hops =
                fk * t * over_tiles(p as usize, c, |u| (0..u).map(|j| cu - 1 - j).sum());
        }
    }
    // Bank words: each access of n valid lanes touches ceil(n x bits / word_bits) words.
    let words = |id: BufferId, n: u64| cfg.words_for(id, n as u32);
    let sum_words = |id, d: usize, e: usize| over_tiles(d, e, |u| words(id, u));
    match df {
        Dataflow::Os => {
            let (fm, fn_) = (s.m.div_ceil(r) as u64, s.n.div_ceil(c) as u64);
            want.a_buf_reads = fn_ * k * sum_words(BufferId::A, s.m, r);
            want.b_buf_reads = fm * k * sum_words(BufferId::B, s.n, c);
            want.c_buf_writes = m * sum_words(BufferId::C, s.n, c);
        }
        Dataflow::Ws | Dataflow::Is => {
            let (t, p, pb, qb) = if df == Dataflow::Ws {
                (m, s.n, BufferId::B, BufferId::A)
            } else {
                (n, s.m, BufferId::A, BufferId::B)
            };
            let fk = s.k.div_ceil(r) as u64;
            let fp = p.div_ceil(c) as u64;
            let stream = fp * t * sum_words(qb, s.k, r);
            let preload = over_tiles(s.k, r, |u| u) * sum_words(pb, p, c);
            let (a, b) = if df == Dataflow::Ws {
                (stream, preload)
            } else {
                (preload, stream)
            };
            want.a_buf_reads = a;
            want.b_buf_reads = b;
            want.c_buf_writes = fk * t * sum_words(BufferId::C, p, c);
            want.c_buf_reads = (fk - 1) * t * sum_words(BufferId::C, p, c);
        }
    }
    let mut got = *e;
    got.idle_pe_cycles = 0;
    assert_eq!(got, want, "event counts: {what}");
}

/// With the fold interval one cycle shorter than the contract's, results break (or a hazard is
/// seen) whenever the hazard term of the interval, not the stream length, sets it.
#[test]
fn fold_intervals_are_tight() {
    // (dataflow, array, latencies, shape) where the interval is set by R (OS drain, WS/IS preload)
    // or by L_C + 1 (WS/IS read-back after write).
    let cases = [
        (Dataflow::Os, (4, 3), (1, 1, 1), (9, 5, 2)),
        (Dataflow::Os, (6, 2), (2, 1, 1), (13, 4, 3)),
        (Dataflow::Ws, (4, 3), (1, 1, 1), (2, 5, 9)),
        (Dataflow::Is, (5, 2), (1, 2, 1), (6, 3, 11)),
        (Dataflow::Ws, (1, 2), (1, 1, 3), (1, 3, 4)),
        (Dataflow::Is, (1, 3), (1, 1, 2), (5, 1, 3)),
    ];
    for (df, (r, c), (la, lb, lc), (m, n, k)) in cases {
        let cfg = arch(r, c, la, lb, lc);
        let shape = GemmShape { m, n, k };
        let a = Matrix::random(m, k, 5);
        let b = Matrix::random(k, n, 6);
        let want = reference_matmul(&a, &b);
        let plan = Plan::new(&cfg, df, shape);
        let (ok, d) = run_plan(&cfg, &plan, &a, &b, None, &mut NoProbe);
        assert!(ok.c == want && d.hazards == 0, "{df} baseline");
        let interval = plan.stream_edge(1) - plan.stream_edge(0);
        let mapping = Mapping::scalesim(&cfg, df, shape);
        let short = Plan::with_interval(&cfg, df, shape, &mapping, Some(interval - 1));
        let (bad, d) = run_plan(&cfg, &short, &a, &b, None, &mut NoProbe);
        assert!(
            bad.c != want || d.hazards > 0,
            "{df} {r}x{c} {m}x{n}x{k}: interval {} - 1 still exact",
            interval
        );
    }
}

#[test]
fn int32_overflow_wraps_in_the_pes_and_in_the_accumulator() {
    // 131073 x (-128)(-128) = 2^31 + 16384 wraps to -2^31 + 16384: OS wraps in the PE
    // accumulator; WS and IS wrap in the partial-sum adders and the C read-modify-write.
    let k = 131_073;
    for (r, c) in [(1, 1), (2, 2)] {
        let cfg = arch(r, c, 1, 1, 1);
        let a = Matrix::from_vec(1, k, vec![-128i8; k]).unwrap();
        let b = Matrix::from_vec(k, 2, vec![-128i8; 2 * k]).unwrap();
        for df in Dataflow::ALL {
            let run = simulate_gemm(&cfg, df, &a, &b).unwrap();
            assert_eq!(run.c.get(0, 0), i32::MIN + 16384, "{df} {r}x{c}");
            assert_eq!(run.c, reference_matmul(&a, &b));
        }
    }
}

#[test]
fn long_reduction_all_minus_128() {
    // K = 65536: 65536 x 16384 = 2^30, the largest sum that fits; every dataflow, 1xN and Nx1.
    let k = 65_536;
    for (r, c) in [(1, 4), (4, 1), (4, 4)] {
        let cfg = arch(r, c, 1, 1, 1);
        let a = Matrix::from_vec(3, k, vec![-128i8; 3 * k]).unwrap();
        let b = Matrix::from_vec(k, 2, vec![-128i8; 2 * k]).unwrap();
        for df in Dataflow::ALL {
            let run = simulate_gemm(&cfg, df, &a, &b).unwrap();
            assert!(
                run.c.as_slice().iter().all(|&v| v == 1 << 30),
                "{df} {r}x{c}"
            );
            assert_eq!(
                run.stats.total_cycles,
                closed_form_cycles(&cfg, df, run.stats.shape())
            );
        }
    }
}

#[derive(Default)]
struct Writes(Vec<(u64, usize)>);
impl Probe for Writes {
    fn buffer_write(&mut self, cycle: u64, buf: BufferId, addr: usize, _values: &[i32]) {
        assert_eq!(buf, BufferId::C);
        self.0.push((cycle, addr));
    }
}

#[test]
fn os_writes_land_on_the_contract_cycles() {
    // One fold on a 4x4 array, K = 6, L = 1: row i is written in cycle K + 2R + C - 2 - i + L,
    // bottom row (i = 3) first.
    let cfg = arch(4, 4, 1, 1, 1);
    let a = Matrix::random(4, 6, 1);
    let b = Matrix::random(6, 4, 2);
    let mut w = Writes::default();
    simulate_gemm_with_probe(&cfg, Dataflow::Os, &a, &b, &mut w).unwrap();
    let cycles: Vec<u64> = w.0.iter().map(|x| x.0).collect();
    assert_eq!(cycles, vec![14, 15, 16, 17]);
}

#[test]
fn ws_writes_one_row_per_cycle_after_the_pipeline() {
    // WS, 4x4, M = 5: preload R cycles, stream vector t is written in cycle R + t + R + C + L.
    let cfg = arch(4, 4, 1, 1, 1);
    let a = Matrix::random(5, 4, 1);
    let b = Matrix::random(4, 4, 2);
    let mut w = Writes::default();
    simulate_gemm_with_probe(&cfg, Dataflow::Ws, &a, &b, &mut w).unwrap();
    let cycles: Vec<u64> = w.0.iter().map(|x| x.0).collect();
    assert_eq!(cycles, (13..18).collect::<Vec<u64>>());
}

#[test]
fn fold_cycles_sum_to_total() {
    let cfg = arch(4, 4, 1, 1, 1);
    for df in Dataflow::ALL {
        let a = Matrix::random(10, 9, 1);
        let b = Matrix::random(9, 7, 2);
        let s = simulate_gemm(&cfg, df, &a, &b).unwrap().stats;
        let sum: u64 = s.fold_cycles.iter().map(|f| f.cycles * f.folds).sum();
        let n: u64 = s.fold_cycles.iter().map(|f| f.folds).sum();
        assert_eq!(sum, s.total_cycles, "{df}");
        assert_eq!(n, s.folds, "{df}");
    }
}

/// Every buffer access of a run: (cycle, buffer, address, lanes), in the order they happen.
#[derive(Default)]
struct Accesses(Vec<(u64, BufferId, usize, usize, bool)>);
impl Probe for Accesses {
    fn buffer_read(&mut self, cycle: u64, buf: BufferId, addr: usize, lanes: usize) {
        self.0.push((cycle, buf, addr, lanes, false));
    }
    fn buffer_write(&mut self, cycle: u64, buf: BufferId, addr: usize, values: &[i32]) {
        self.0.push((cycle, buf, addr, values.len(), true));
    }
}

/// The accesses `docs/microarchitecture.md` prescribes, built from its formulas (fold order,
/// timelines, layouts `address = tile x steps + step`), independently of the schedule code.
fn contract_accesses(
    cfg: &ArchConfig,
    df: Dataflow,
    s: GemmShape,
) -> Vec<(u64, BufferId, usize, usize, bool)> {
    let (r, c) = (cfg.array.rows as i64, cfg.array.cols as i64);
    let (la, lb, lc) = (
        i64::from(cfg.buffers.a.read_latency),
        i64::from(cfg.buffers.b.read_latency),
        i64::from(cfg.buffers.c.read_latency),
    );
    let (m, n, k) = (s.m as i64, s.n as i64, s.k as i64);
    let used = |dim: i64, tile: i64, e: i64| (dim - tile * e).min(e);
    let mut out = Vec::new();
    let mut push = |cycle: i64, b, addr: i64, lanes: i64, w| {
        out.push((cycle as u64, b, addr as usize, lanes as usize, w));
    };
    match df {
        Dataflow::Os => {
            let (rt, ct) = ((m + r - 1) / r, (n + c - 1) / c);
            let i = k.max(r);
            let l = la.max(lb);
            for f in 0..rt * ct {
                let (nt, mt) = (f / rt, f % rt);
                let (ma, na) = (used(m, mt, r), used(n, nt, c));
                for kk in 0..k {
                    let e = f * i + kk + l;
                    push(e - la, BufferId::A, mt * k + kk, ma, false);
                    push(e - lb, BufferId::B, nt * k + kk, na, false);
                }
                for row in (0..ma).rev() {
                    let w = f * i + k + 2 * r + c - 2 - row + l;
                    push(w, BufferId::C, nt * m + mt * r + row, na, true);
                }
            }
        }
        Dataflow::Ws | Dataflow::Is => {
            // (stream T, stationary columns P, preload buffer, its latency, stream buffer, latency)
            let (t_len, p, pb, lp, qb, lq) = if df == Dataflow::Ws {
                (m, n, BufferId::B, lb, BufferId::A, la)
            } else {
                (n, m, BufferId::A, la, BufferId::B, lb)
            };
            let (rt, ct) = ((k + r - 1) / r, (p + c - 1) / c);
            let i = if k > r {
                t_len.max(r).max(lc + 1)
            } else {
                t_len.max(r)
            };
            let d = lp.max(lq - r);
            let s_of = |f: i64| r + f * i;
            for f in 0..rt * ct {
                let (pt, kt) = (f / rt, f % rt);
                let (ka, pa) = (used(k, kt, r), used(p, pt, c));
                let pi = if f == 0 { 0 } else { s_of(f - 1) };
                for x in 0..r {
                    let row = r - 1 - x;
                    if row < ka {
                        // Stationary row k0 + row of the column tile: S is K x P.
                        push(pi + x + d - lp, pb, pt * k + kt * r + row, pa, false);
                    }
                }
                for t in 0..t_len {
                    push(s_of(f) + t + d - lq, qb, kt * t_len + t, ka, false);
                    let w = s_of(f) + t + r + c + d;
                    if kt > 0 {
                        push(w - lc, BufferId::C, pt * t_len + t, pa, false);
                    }
                    push(w, BufferId::C, pt * t_len + t, pa, true);
                }
            }
        }
    }
    out.sort_by_key(|&(cy, b, _, _, w)| (cy, w, b as u8));
    out
}

#[test]
fn every_buffer_access_lands_on_the_contract_cycle_and_address() {
    for (r, c) in [(1, 1), (3, 2), (4, 4), (2, 5)] {
        for (la, lb, lc) in [(1, 1, 1), (2, 1, 3), (1, 5, 2)] {
            let cfg = arch(r, c, la, lb, lc);
            for (m, n, k) in [(5, 3, 7), (1, 6, 2), (8, 8, 8), (3, 1, 11)] {
                let shape = GemmShape { m, n, k };
                let a = Matrix::random(m, k, 1);
                let b = Matrix::random(k, n, 2);
                for df in Dataflow::ALL {
                    let mut got = Accesses::default();
                    simulate_gemm_with_probe(&cfg, df, &a, &b, &mut got).unwrap();
                    got.0.sort_by_key(|&(cy, b, _, _, w)| (cy, w, b as u8));
                    assert_eq!(
                        got.0,
                        contract_accesses(&cfg, df, shape),
                        "{df} {r}x{c} L=({la},{lb},{lc}) {m}x{n}x{k}"
                    );
                }
            }
        }
    }
}
