//! Mapped fold orders on the RTL (`docs/rtl.md`, "Mapped fold orders"): for mappings other than
//! SCALE-Sim's (other loop orders, blocked dimensions, stream tiles that do and do not divide the
//! stream), with the ideal memory model, the RTL (rust-hdl) issues every buffer read and C write
//! in the same cycle, at the same address, with the same values as the fast model, and ends with
//! the same C, cycles and event counts; Icarus and Verilator run the same Verilog to the same C
//! and statistics. With DRAM the RTL's DMA still fetches in SCALE-Sim's order, and a mapped run is
//! refused in one line.

use systole_hdl::backend::{Backend, RunRequest};
use systole_sim::config::{ArchConfig, Dataflow};
use systole_sim::mapper::search::candidates;
use systole_sim::mapping::{Dim, Loop, Mapping};
use systole_sim::matrix::Matrix;
use systole_sim::probe::NoProbe;
use systole_sim::testing::{tiny, tiny_dram, tiny_latencies};
use systole_sim::workload::GemmShape;

mod common;
use common::{same_run, Trace};

const ALL: [Dataflow; 3] = [Dataflow::Os, Dataflow::Ws, Dataflow::Is];

fn operands(shape: GemmShape, seed: u64) -> (Matrix<i8>, Matrix<i8>) {
    let mut a = Matrix::<i8>::random(shape.m, shape.k, seed);
    a.set(0, 0, -128);
    (a, Matrix::<i8>::random(shape.k, shape.n, seed + 1))
}

/// The fast model and the RTL on `mapping`, held to each other access by access.
fn lockstep(cfg: &ArchConfig, df: Dataflow, shape: GemmShape, mapping: &Mapping, seed: u64) {
    let (a, b) = operands(shape, seed);
    let what = format!(
        "{} {df} {}x{}x{} mapping {mapping}",
        cfg.name, shape.m, shape.n, shape.k
    );
    let req = || RunRequest::new(cfg, df, &a, &b).mapping(mapping);
    let mut fast_trace = Trace::default();
    let fast = Backend::Fast
        .run(req(), &mut fast_trace)
        .unwrap_or_else(|e| panic!("{what}: {e}"))
        .run;
    let mut rtl_trace = Trace::default();
    let rtl = Backend::Rtl
        .run(req(), &mut rtl_trace)
        .unwrap_or_else(|e| panic!("{what}: {e}"))
        .run;
    same_run(&what, (fast_trace, &fast), (rtl_trace, &rtl));
}

/// Every candidate the mapper enumerates (SCALE-Sim's first), on arrays with one, two and
/// three rows (one row and several columns: short folds, the C write cursor lags the leading
/// cursor by the most folds), shapes whose tiles do and do not divide, K above and below R.
#[test]
fn every_candidate_mapping_runs_on_the_rtl_as_on_the_fast_model() {
    let mut checked = 0;
    for (rows, cols) in [(2, 2), (2, 3), (3, 2), (1, 4)] {
        let cfg = tiny(rows, cols);
        for shape in [
            GemmShape { m: 5, n: 4, k: 7 },
            GemmShape { m: 4, n: 6, k: 4 },
            GemmShape { m: 6, n: 3, k: 2 },
        ] {
            for df in ALL {
                for (i, mapping) in candidates(&cfg, df, shape).iter().enumerate() {
                    lockstep(&cfg, df, shape, mapping, 31 + i as u64);
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} mappings checked");
}

/// The fold queue's depth, derived from the config, covers every candidate mapping of shapes
/// with the shortest folds (a stream of one element) on wide, tall and square arrays with long
/// latencies.
#[test]
fn the_queue_depth_covers_every_candidate() {
    use systole_sim::mapping::schedule::{fold_queue_depth, fold_queue_design_depth};
    for (rows, cols, lat) in [
        (1, 8, (1, 1, 1)),
        (1, 5, (3, 2, 6)),
        (4, 1, (1, 1, 1)),
        (3, 3, (2, 4, 3)),
    ] {
        let cfg = tiny_latencies(rows, cols, lat);
        let have = fold_queue_design_depth(&cfg);
        for df in ALL {
            for shape in [
                GemmShape { m: 13, n: 13, k: 1 },
                GemmShape { m: 1, n: 17, k: 5 },
                GemmShape { m: 9, n: 1, k: 4 },
                GemmShape { m: 6, n: 7, k: 8 },
            ] {
                for m in candidates(&cfg, df, shape) {
                    let need = fold_queue_depth(&cfg, df, shape, &m);
                    assert!(
                        need <= have,
                        "{rows}x{cols} {df} {shape:?} {m}: {need} > {have}"
                    );
                }
            }
        }
    }
}

/// A 1x5 array whose C write cursor lags by many folds (OS with K = 1): SCALE-Sim's order and
/// other mappings run equal to the fast model through the deeper queue this config builds.
#[test]
fn a_wide_array_with_short_folds() {
    let cfg = tiny_latencies(1, 5, (1, 2, 3));
    for df in ALL {
        for shape in [
            GemmShape { m: 13, n: 13, k: 1 },
            GemmShape { m: 4, n: 11, k: 3 },
        ] {
            for (i, mapping) in candidates(&cfg, df, shape).iter().enumerate().step_by(3) {
                lockstep(&cfg, df, shape, mapping, 90 + i as u64);
            }
        }
    }
}

/// A long C latency makes the last, shorter chunk's interval differ from a full chunk's (the
/// read-back term `L_C + 1`), and long A and B latencies move every cursor's first op.
#[test]
fn short_last_chunks_and_long_latencies() {
    let cfg = tiny_latencies(2, 2, (3, 1, 6));
    let shape = GemmShape { m: 7, n: 3, k: 5 };
    for df in [Dataflow::Ws, Dataflow::Is] {
        let mut checked = 0;
        for (i, mapping) in candidates(&cfg, df, shape).iter().enumerate() {
            if mapping.stream_tile < 7 {
                lockstep(&cfg, df, shape, mapping, 70 + i as u64);
                checked += 1;
            }
        }
        assert!(checked > 2, "{df}: only {checked} chunked mappings");
    }
}

/// Named mappings that are not SCALE-Sim's, one per dataflow, on every RTL backend.
fn named() -> Vec<(Dataflow, GemmShape, Mapping)> {
    let cfg = tiny(2, 3);
    let mut out = Vec::new();
    for (df, shape, ts, loops) in [
        (
            Dataflow::Os,
            GemmShape { m: 5, n: 7, k: 3 },
            3,
            vec![Loop::over(Dim::M), Loop::over(Dim::N)],
        ),
        (
            Dataflow::Ws,
            GemmShape { m: 7, n: 4, k: 5 },
            3,
            vec![Loop::over(Dim::M), Loop::over(Dim::N), Loop::over(Dim::K)],
        ),
        (
            Dataflow::Is,
            GemmShape { m: 4, n: 7, k: 5 },
            4,
            vec![Loop::over(Dim::N), Loop::over(Dim::M), Loop::over(Dim::K)],
        ),
    ] {
        let m = Mapping::with_loops(&cfg, df, shape, ts, loops);
        m.check(&cfg, df, shape).unwrap();
        assert_ne!(m, Mapping::scalesim(&cfg, df, shape));
        out.push((df, shape, m));
    }
    out
}

#[test]
fn icarus_and_verilator_run_named_mappings() {
    let cfg = tiny(2, 3);
    let work = std::env::temp_dir().join(format!("systole-mapped-{}", std::process::id()));
    for (df, shape, mapping) in named() {
        let (a, b) = operands(shape, 5);
        let req = || RunRequest::new(&cfg, df, &a, &b).mapping(&mapping);
        let fast = Backend::Fast.run(req(), &mut NoProbe).unwrap().run;
        assert_eq!(fast.c, systole_sim::matrix::reference_matmul(&a, &b));
        for backend in [Backend::Rtl, Backend::Icarus, Backend::Verilator] {
            let got = backend
                .run(req().work_dir(&work), &mut NoProbe)
                .unwrap_or_else(|e| panic!("{} {df} {mapping}: {e}", backend.name()))
                .run;
            assert_eq!(fast.c, got.c, "{} {df} {mapping}: C", backend.name());
            assert_eq!(
                fast.stats,
                got.stats,
                "{} {df} {mapping}: stats",
                backend.name()
            );
        }
    }
    let _ = std::fs::remove_dir_all(&work);
}

/// With DRAM a mapping other than SCALE-Sim's is refused in one line that says why; SCALE-Sim's
/// own, named, is not.
#[test]
fn a_mapped_run_with_dram_is_refused() {
    let cfg = tiny_dram(2, 3, 8, 4);
    for (df, shape, mapping) in named() {
        let (a, b) = operands(shape, 9);
        let req = || RunRequest::new(&cfg, df, &a, &b);
        let e = Backend::Rtl
            .check(&req().mapping(&mapping))
            .unwrap_err()
            .to_string();
        assert!(e.contains("with DRAM") && !e.contains('\n'), "{e}");
        let scalesim = Mapping::scalesim(&cfg, df, shape);
        Backend::Rtl.check(&req().mapping(&scalesim)).unwrap();
    }
}
