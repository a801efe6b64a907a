//! The RTL (rust-hdl's simulator) against the fast model, cycle by cycle: every buffer read and
//! every C write (cycle, address, lanes, values) must be the same, then C, the cycle count, the
//! fold spans and every event counter. A failure names the first cycle that differs.

use systole_hdl::backend::{Backend, RunRequest};
use systole_sim::config::{ArchConfig, Dataflow};
use systole_sim::matrix::Matrix;
use systole_sim::probe::NoProbe;
use systole_sim::testing::{tiny, tiny_latencies};

mod common;

fn lockstep(cfg: &ArchConfig, df: Dataflow, m: usize, n: usize, k: usize, seed: u64) {
    let mut a = Matrix::<i8>::random(m, k, seed);
    let b = Matrix::<i8>::random(k, n, seed + 1);
    // Make sure the extreme value is exercised.
    a.set(0, 0, -128);
    common::lockstep(cfg, df, &a, &b);
}

#[test]
fn tiny_os_one_fold() {
    lockstep(&tiny(4, 4), Dataflow::Os, 4, 4, 6, 1);
}

/// Found by `random::rtl_equals_fast_model`: in WS a stream as long as the array is tall keeps
/// the folds at their shortest interval while C's write cursor trails by the whole stream, so
/// the cursors run 5 folds apart; the design's fold queue once held 4 and the run was refused.
#[test]
fn a_stream_as_long_as_the_array_is_tall() {
    lockstep(&tiny_latencies(5, 1, (1, 3, 1)), Dataflow::Ws, 5, 3, 6, 0);
}

const ALL: [Dataflow; 3] = [Dataflow::Os, Dataflow::Ws, Dataflow::Is];

#[test]
fn every_dataflow_on_small_arrays() {
    for (rows, cols) in [(1, 1), (2, 3), (4, 4)] {
        let cfg = tiny(rows, cols);
        for df in ALL {
            // Multiples of the array and not; K above and below R (WS/IS accumulation).
            for (m, n, k) in [(4, 4, 4), (5, 7, 3), (9, 2, 10), (1, 1, 1)] {
                lockstep(&cfg, df, m, n, k, (m * 100 + n * 10 + k) as u64);
            }
        }
    }
}

#[test]
fn eight_by_eight_with_long_latencies() {
    let cfg = tiny_latencies(8, 8, (3, 2, 12));
    for df in ALL {
        for (m, n, k) in [(8, 8, 8), (11, 13, 19), (3, 17, 9)] {
            lockstep(&cfg, df, m, n, k, 7);
        }
    }
}

#[test]
fn latency_larger_than_the_array() {
    // L_C beyond 2R + C + D: the first fold's write-back slots would read before cycle 0.
    let cfg = tiny_latencies(2, 3, (5, 1, 20));
    for df in ALL {
        for (m, n, k) in [(3, 4, 7), (5, 2, 2)] {
            lockstep(&cfg, df, m, n, k, 3);
        }
    }
}

#[test]
fn icarus_runs_the_generated_verilog() {
    let cfg = tiny(2, 3);
    for df in ALL {
        let (m, n, k) = (5, 4, 7);
        let mut a = Matrix::<i8>::random(m, k, 11);
        a.set(1, 2, -128);
        let b = Matrix::<i8>::random(k, n, 12);
        let fast = Backend::Fast
            .run(RunRequest::new(&cfg, df, &a, &b), &mut NoProbe)
            .unwrap()
            .run;
        let dir = std::env::temp_dir().join(format!("systole-icarus-{df}-{}", std::process::id()));
        let ica = Backend::Icarus
            .run(
                RunRequest::new(&cfg, df, &a, &b).work_dir(&dir),
                &mut NoProbe,
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fast.c, ica.run.c, "{df}: C from Icarus");
        assert_eq!(fast.stats, ica.run.stats, "{df}: stats from Icarus");
    }
}

#[test]
fn verilator_runs_the_generated_verilog() {
    let cfg = tiny_latencies(3, 2, (1, 1, 3));
    let work = std::env::temp_dir().join(format!("systole-verilator-{}", std::process::id()));
    for df in ALL {
        for (m, n, k, seed) in [(5, 4, 7, 21), (3, 2, 3, 22)] {
            let mut a = Matrix::<i8>::random(m, k, seed);
            a.set(m - 1, k - 1, -128);
            let b = Matrix::<i8>::random(k, n, seed + 1);
            let fast = Backend::Fast
                .run(RunRequest::new(&cfg, df, &a, &b), &mut NoProbe)
                .unwrap()
                .run;
            let v = Backend::Verilator
                .run(
                    RunRequest::new(&cfg, df, &a, &b).work_dir(&work),
                    &mut NoProbe,
                )
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(fast.c, v.run.c, "{df} {m}x{n}x{k}: C from Verilator");
            assert_eq!(
                fast.stats, v.run.stats,
                "{df} {m}x{n}x{k}: stats from Verilator"
            );
        }
    }
}

#[test]
fn single_dataflow_designs_tie_the_mode() {
    // A design with one dataflow ignores cmd_mode (synthesis folds the mode into a constant);
    // it must still run that dataflow exactly, in rust-hdl and in the generated Verilog.
    for df in ALL {
        let mut cfg = tiny(2, 2);
        cfg.array.dataflows = vec![df];
        lockstep(&cfg, df, 3, 5, 4, 9);
        let a = Matrix::<i8>::random(3, 4, 1);
        let b = Matrix::<i8>::random(4, 5, 2);
        let fast = Backend::Fast
            .run(RunRequest::new(&cfg, df, &a, &b), &mut NoProbe)
            .unwrap()
            .run;
        let dir =
            std::env::temp_dir().join(format!("systole-icarus-only-{df}-{}", std::process::id()));
        let ica = Backend::Icarus
            .run(
                RunRequest::new(&cfg, df, &a, &b).work_dir(&dir),
                &mut NoProbe,
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fast.c, ica.run.c, "{df}-only: C from Icarus");
        assert_eq!(fast.stats, ica.run.stats, "{df}-only: stats from Icarus");
    }
}

mod random {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Random arrays, shapes, latencies and data: the RTL equals the fast model access by
        /// access.
        #[test]
        fn rtl_equals_fast_model(
            rows in 1u32..=5, cols in 1u32..=5,
            m in 1usize..=13, n in 1usize..=13, k in 1usize..=13,
            la in 1u32..=4, lb in 1u32..=4, lc in 1u32..=6,
            df in prop::sample::select(ALL.to_vec()),
            seed in 0u64..1000,
        ) {
            let cfg = tiny_latencies(rows, cols, (la, lb, lc));
            lockstep(&cfg, df, m, n, k, seed);
        }
    }
}

#[test]
fn verilator_build_is_cached_per_design() {
    use systole_hdl::backend::verilator::build;
    let one = tiny(1, 1);
    let exe = build(&one).unwrap_or_else(|e| panic!("{e}"));
    let built = std::fs::metadata(&exe).unwrap().modified().unwrap();
    // The same design again: the cached executable, not rebuilt.
    assert_eq!(build(&one).unwrap(), exe);
    assert_eq!(std::fs::metadata(&exe).unwrap().modified().unwrap(), built);
    // A different design (one more column) gets its own build.
    let other = build(&tiny(1, 2)).unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(other, exe);
}
