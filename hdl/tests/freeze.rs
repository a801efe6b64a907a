//! The machine-wide freeze: the RTL run with its `stall` input driven by a seeded pseudo-random
//! pattern (bursts of consecutive stalls, stalls from the setup cycle through cycle 0 and the
//! first cycles, around every fold boundary and the last write, and through the flush) must be
//! the unstalled run stretched by the stalls and nothing else:
//!
//! 1. C equals the reference;
//! 2. every counter but `cycles` equals the unstalled run's, and `cycles` = unstalled cycles +
//!    stalled cycles of the run (so `idle_pe_cycles` grows by stalls x PEs);
//! 3. the buffer accesses (buffer, address, lanes, values written to C), indexed by *active*
//!    cycle (cycle minus the stalls before it), are the fast model's trace exactly, and no
//!    access happens in a stalled cycle.
//!
//! The Verilog of the same designs is driven with the same kind of pattern in Icarus and
//! Verilator: the hand-written Verilog of the skew, deskew, mesh and buffers has its own enable
//! logic, which only a co-simulation with stalls checks.

use std::collections::BTreeSet;

use systole_hdl::backend::{Backend, RunRequest, Stall};
use systole_sim::array::{fold_spans, GemmRun};
use systole_sim::config::{ArchConfig, Dataflow};
use systole_sim::mapping::Mapping;
use systole_sim::matrix::{reference_matmul, Matrix};
use systole_sim::probe::NoProbe;
use systole_sim::stats::{utilization, RunStats};
use systole_sim::testing::tiny_latencies;

mod common;
use common::{Rng, Trace};

/// A stall pattern, as a function of the cycle `k` after the start command's edge (the RTL
/// runner's clock), driven one cycle at a time. Before cycle 0 (setup, launch and the `L_C`
/// preroll cycles) it stalls every cycle, which the design must ignore. In the run it tracks the
/// active cycle (cycles of the run that did not stall) and stalls in bursts: a burst of 1..=3
/// cycles before each *hot* active cycle (cycle 0, 1 and 2, each fold boundary and its
/// neighbours, the first and the last C write), and random bursts of 1..=4 cycles elsewhere
/// (a burst starts in about one cycle in five). After the last write (the flush) it stalls
/// again, which the design must ignore.
struct Pattern {
    rng: Rng,
    /// `k` of cycle 0.
    k0: u64,
    /// Active cycles of the unstalled run.
    active_total: u64,
    hot: BTreeSet<u64>,
    stalls: u64,
    burst: u64,
    /// The active cycle whose hot burst has been served.
    served: Option<u64>,
}

impl Pattern {
    fn stall(&mut self, k: u64) -> bool {
        if k < self.k0 {
            return true;
        }
        let active = k - self.k0 - self.stalls;
        if active >= self.active_total {
            // The flush: ignored by the design. A few cycles only, so that a design that does
            // not end (a broken freeze) meets the runner's watchdog instead of stalling forever.
            return active < self.active_total + 3;
        }
        if self.burst == 0 {
            if self.hot.contains(&active) && self.served != Some(active) {
                self.served = Some(active);
                self.burst = self.rng.range(1, 3);
            } else if self.served != Some(active) && self.rng.range(0, 4) == 0 {
                self.served = Some(active);
                self.burst = self.rng.range(1, 4);
            }
        }
        if self.burst > 0 {
            self.burst -= 1;
            self.stalls += 1;
            true
        } else {
            false
        }
    }
}

/// The fold starts (active cycles) of an unstalled run, from its fold spans.
fn fold_starts(stats: &RunStats) -> Vec<u64> {
    let mut starts = vec![0];
    for span in &stats.fold_cycles {
        for _ in 0..span.folds {
            starts.push(starts.last().unwrap() + span.cycles);
        }
    }
    starts.pop();
    starts
}

fn operands(m: usize, n: usize, k: usize, seed: u64) -> (Matrix<i8>, Matrix<i8>) {
    let mut a = Matrix::<i8>::random(m, k, seed);
    a.set(0, 0, -128);
    (a, Matrix::<i8>::random(k, n, seed + 1))
}

/// The unstalled fast model's run and trace, and a stall pattern for it.
fn plan(
    cfg: &ArchConfig,
    df: Dataflow,
    a: &Matrix<i8>,
    b: &Matrix<i8>,
    mapping: Option<&Mapping>,
    seed: u64,
) -> (GemmRun, Vec<(u64, String)>, Pattern) {
    let mut trace = Trace::default();
    let fast = match mapping {
        None => {
            Backend::Fast
                .run(RunRequest::new(cfg, df, a, b), &mut trace)
                .unwrap()
                .run
        }
        Some(m) => {
            Backend::Fast
                .run(RunRequest::new(cfg, df, a, b).mapping(m), &mut trace)
                .unwrap()
                .run
        }
    };
    let mut t = trace.0;
    t.sort();
    let total = fast.stats.total_cycles;
    let mut hot: BTreeSet<u64> = [0, 1, 2, total - 1].into();
    for s in fold_starts(&fast.stats) {
        hot.extend([s.saturating_sub(1), s, s + 1]);
    }
    if let Some((first_write, _)) = t.iter().find(|(_, what)| what.starts_with("write")) {
        hot.insert(*first_write);
    }
    let pattern = Pattern {
        rng: Rng(seed),
        // The controller's setup and launch cycles, in OS one cycle per row tile (the DMA's
        // fetch cursor of B), then L_C preroll cycles precede cycle 0.
        k0: 2
            + u64::from(cfg.buffers.c.read_latency)
            + if df == Dataflow::Os {
                a.rows().div_ceil(cfg.array.rows as usize) as u64
            } else {
                0
            },
        active_total: total,
        hot,
        stalls: 0,
        burst: 0,
        served: None,
    };
    (fast, t, pattern)
}

/// What a run stretched by `stalled` (run cycles, in order) must report, from the unstalled run.
fn stretched(cfg: &ArchConfig, unstalled: &RunStats, stalled: &[u64]) -> RunStats {
    let n = stalled.len() as u64;
    let mut s = unstalled.clone();
    s.total_cycles += n;
    s.latency_cycles += n;
    s.stall_cycles = n;
    s.events.idle_pe_cycles += n * cfg.pes();
    s.utilization = utilization(s.macs, s.total_cycles, cfg.pes());
    // A fold starts in the run cycle of its active start cycle.
    let run_cycle = |active: u64| {
        let mut c = active;
        for &x in stalled {
            if x <= c {
                c += 1;
            }
        }
        c
    };
    let starts: Vec<u64> = fold_starts(unstalled)
        .into_iter()
        .map(|a| if a == 0 { 0 } else { run_cycle(a) })
        .collect();
    s.fold_cycles = fold_spans(&starts, s.total_cycles);
    s
}

fn frozen_run(cfg: &ArchConfig, df: Dataflow, m: usize, n: usize, k: usize, seed: u64) {
    frozen_mapped_run(cfg, df, (m, n, k), None, seed);
}

/// [`frozen_run`] of `mapping` (`None`: SCALE-Sim's order).
fn frozen_mapped_run(
    cfg: &ArchConfig,
    df: Dataflow,
    (m, n, k): (usize, usize, usize),
    mapping: Option<&Mapping>,
    seed: u64,
) {
    let what = format!(
        "{}x{} (L {}/{}/{}) {df} {m}x{n}x{k} {} seed {seed}",
        cfg.array.rows,
        cfg.array.cols,
        cfg.buffers.a.read_latency,
        cfg.buffers.b.read_latency,
        cfg.buffers.c.read_latency,
        mapping.map_or("SCALE-Sim's order".to_string(), |m| format!("mapping {m}"))
    );
    let (a, b) = operands(m, n, k, seed);
    let (fast, fast_trace, mut pattern) = plan(cfg, df, &a, &b, mapping, seed);
    let mut rtl_trace = Trace::default();
    let mut stall = |k| pattern.stall(k);
    let req = RunRequest::new(cfg, df, &a, &b).stalled(Stall::Each(&mut stall));
    let req = match mapping {
        Some(m) => req.mapping(m),
        None => req,
    };
    let r = Backend::Rtl
        .run(req, &mut rtl_trace)
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let stalled = &r.stalled;
    // The pattern did what it is meant to: stall cycle 0, and often.
    assert_eq!(stalled.first(), Some(&0), "{what}: cycle 0 did not stall");
    assert!(
        stalled.len() as u64 * 5 >= fast.stats.total_cycles,
        "{what}: only {} stalls in {} cycles",
        stalled.len(),
        fast.stats.total_cycles
    );
    assert!(
        stalled.windows(2).any(|w| w[1] == w[0] + 1),
        "{what}: no run of consecutive stalls"
    );

    // (3) The accesses by active cycle, and none in a stalled cycle.
    let stalled_set: BTreeSet<u64> = stalled.iter().copied().collect();
    let mut rtl: Vec<(u64, String)> = rtl_trace
        .0
        .into_iter()
        .map(|(t, x)| {
            assert!(
                !stalled_set.contains(&t),
                "{what}: {x} in stalled cycle {t}"
            );
            (t - stalled_set.range(..t).count() as u64, x)
        })
        .collect();
    rtl.sort();
    for (x, y) in fast_trace.iter().zip(&rtl) {
        assert_eq!(
            x,
            y,
            "{what}: first difference at active cycle {} (fast model: {x:?}, RTL: {y:?})",
            x.0.min(y.0)
        );
    }
    assert_eq!(fast_trace.len(), rtl.len(), "{what}: number of accesses");

    // (1) C.
    assert_eq!(r.run.c, reference_matmul(&a, &b), "{what}: C");
    // (2) Counters and cycles (and the fold spans, stretched by the stalls inside them).
    assert_eq!(
        r.run.stats,
        stretched(cfg, &fast.stats, stalled),
        "{what}: stats"
    );
}

const ALL: [Dataflow; 3] = [Dataflow::Os, Dataflow::Ws, Dataflow::Is];

#[test]
fn stalls_only_stretch_the_run_on_small_arrays() {
    // Shapes with several folds in both directions, K below, equal to and above R (WS/IS
    // accumulate in C across K folds), and partial tiles.
    for (rows, cols) in [(2, 2), (3, 2), (4, 4)] {
        let cfg = tiny_latencies(rows, cols, (1, 1, 1));
        for df in ALL {
            for (i, (m, n, k)) in [(5, 3, 7), (3, 5, 2), (9, 6, 4)].into_iter().enumerate() {
                frozen_run(&cfg, df, m, n, k, 100 * u64::from(rows) + i as u64);
            }
        }
    }
}

#[test]
fn stalls_only_stretch_mapped_runs() {
    // Mappings other than SCALE-Sim's (other loop orders, chunks of the stream with a shorter
    // last one): the fold queue and every cursor freeze alike.
    use systole_sim::mapper::search::candidates;
    let cfg = tiny_latencies(2, 3, (1, 2, 2));
    let (m, n, k) = (7, 5, 5);
    let shape = systole_sim::workload::GemmShape { m, n, k };
    for df in ALL {
        let scalesim = Mapping::scalesim(&cfg, df, shape);
        let mapped: Vec<Mapping> = candidates(&cfg, df, shape)
            .into_iter()
            .filter(|c| *c != scalesim)
            .step_by(if df == Dataflow::Os { 1 } else { 5 })
            .take(4)
            .collect();
        assert!(mapped.len() >= 2, "{df}: only {} mappings", mapped.len());
        for (i, mapping) in mapped.iter().enumerate() {
            frozen_mapped_run(&cfg, df, (m, n, k), Some(mapping), 40 + i as u64);
        }
    }
}

#[test]
fn stalls_freeze_the_read_pipelines() {
    // Read latencies above 1: the RAM output registers, the read pipelines, the sideband
    // pipelines and the C read-back (two cycles ahead of the write) all hold in a stall.
    for (rows, cols, la, lb, lc) in [(2, 2, 2, 3, 2), (3, 2, 3, 1, 4), (4, 4, 2, 2, 3)] {
        let cfg = tiny_latencies(rows, cols, (la, lb, lc));
        for df in ALL {
            for (i, (m, n, k)) in [(5, 4, 9), (6, 3, 2)].into_iter().enumerate() {
                frozen_run(&cfg, df, m, n, k, 7 + i as u64);
            }
        }
    }
}

#[test]
fn many_patterns_on_one_gemm() {
    // The same GEMM under twenty patterns per dataflow: stalls land on every kind of cycle.
    let cfg = tiny_latencies(3, 2, (2, 1, 2));
    for df in ALL {
        for seed in 0..20 {
            frozen_run(&cfg, df, 4, 5, 5, 1000 + seed);
        }
    }
}

/// A stall pattern for the co-simulations (a fixed list, one entry per cycle after the start
/// edge), made by the same generator against the fast model.
fn cosim_pattern(cfg: &ArchConfig, df: Dataflow, a: &Matrix<i8>, b: &Matrix<i8>) -> Vec<bool> {
    let (fast, _, mut p) = plan(cfg, df, a, b, None, 5);
    let cycles = p.k0 + fast.stats.total_cycles * 3;
    (0..cycles).map(|k| p.stall(k)).collect()
}

fn check_cosim(cfg: &ArchConfig, df: Dataflow, a: &Matrix<i8>, b: &Matrix<i8>, pattern: &[bool]) {
    let fast = Backend::Fast
        .run(RunRequest::new(cfg, df, a, b), &mut NoProbe)
        .unwrap()
        .run;
    // The same pattern through the rust-hdl model gives the stalled cycles and the statistics.
    let r = Backend::Rtl
        .run(
            RunRequest::new(cfg, df, a, b).stalled(Stall::Pattern(pattern)),
            &mut Trace::default(),
        )
        .unwrap();
    assert!(!r.stalled.is_empty());
    let want = stretched(cfg, &fast.stats, &r.stalled);
    assert_eq!(r.run.stats, want, "{df}: rust-hdl stats");
    let tag = format!("{df}-{}", std::process::id());
    let ica = Backend::Icarus
        .run(
            RunRequest::new(cfg, df, a, b)
                .work_dir(&std::env::temp_dir().join(format!("systole-icarus-stall-{tag}")))
                .stalled(Stall::Pattern(pattern)),
            &mut NoProbe,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ica.run.c, fast.c, "{df}: C from Icarus");
    assert_eq!(ica.run.stats, want, "{df}: stats from Icarus");
    let ver = Backend::Verilator
        .run(
            RunRequest::new(cfg, df, a, b)
                .work_dir(&std::env::temp_dir().join(format!("systole-verilator-stall-{tag}")))
                .stalled(Stall::Pattern(pattern)),
            &mut NoProbe,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ver.run.c, fast.c, "{df}: C from Verilator");
    assert_eq!(ver.run.stats, want, "{df}: stats from Verilator");
}

#[test]
fn icarus_and_verilator_freeze_the_generated_verilog() {
    let cfg = tiny_latencies(3, 2, (2, 1, 2));
    for df in ALL {
        let (a, b) = operands(5, 4, 7, 31);
        let pattern = cosim_pattern(&cfg, df, &a, &b);
        check_cosim(&cfg, df, &a, &b, &pattern);
    }
}
