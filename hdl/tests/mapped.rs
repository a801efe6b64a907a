//! Mapped fold orders on the RTL (`docs/rtl.md`, "Mapped fold orders"): for mappings other than
//! SCALE-Sim's (other loop orders, blocked dimensions, stream tiles that do and do not divide the
//! stream), with the ideal memory model, the RTL (rust-hdl) issues every buffer read and C write
//! in the same cycle, at the same address, with the same values as the fast model, and ends with
//! the same C, cycles and event counts; Icarus and Verilator run the same Verilog to the same C
//! and statistics. With DRAM (fetch walkers, replayed ring reads, C's banks per output tile and
//! the drain's walk), the same at a starved and an ample bandwidth, with buffers small enough
//! that rings wrap and operands are fetched again per run and per fold.

use systole_hdl::backend::{Backend, RunRequest};
use systole_sim::config::BufferId;
use systole_sim::config::{ArchConfig, Dataflow};
use systole_sim::mapper::search::candidates;
use systole_sim::mapping::{Dim, Loop, Mapping};
use systole_sim::matrix::Matrix;
use systole_sim::probe::NoProbe;
use systole_sim::testing::{every_keep, tiny, tiny_dram, tiny_latencies};
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

/// `cfg` with buffers A and B of `depth` vectors each and C of 1 KiB, so that small GEMMs keep
/// operands per run or per fold in rings that wrap.
fn small_buffers(mut cfg: ArchConfig, depth: u32) -> ArchConfig {
    for buf in [&mut cfg.buffers.a, &mut cfg.buffers.b] {
        buf.capacity_kib = 1;
        buf.word_bits = 8192 / depth / 8 * 8;
    }
    cfg.buffers.c.capacity_kib = 1;
    cfg.validate().unwrap();
    assert_eq!(cfg.buffer_depth(BufferId::A), u64::from(depth));
    cfg
}

/// With DRAM: every candidate mapping, with A and B kept at every level the buffers allow, at a
/// starved bandwidth (1 byte per cycle: the array stalls on fetches) and an ample one, on small
/// buffers: the RTL issues every access as the fast model does and ends with the same C, cycles
/// and counts. The run-of-mappings covers folds that replay kept vectors, stream chunks that
/// accumulate in C's banks per output tile, blocked loops, and drains in mapped order.
#[test]
fn every_candidate_mapping_with_dram_runs_on_the_rtl_as_on_the_fast_model() {
    let (mut checked, mut stalled) = (0, 0);
    for (rows, cols, bpc, lat, shape) in [
        (2, 3, 1, 5, GemmShape { m: 5, n: 4, k: 7 }),
        (2, 2, 64, 0, GemmShape { m: 7, n: 5, k: 3 }),
        (3, 2, 2, 9, GemmShape { m: 5, n: 7, k: 7 }),
    ] {
        let cfg = small_buffers(tiny_dram(rows, cols, bpc, lat), 16);
        {
            for df in ALL {
                for (i, mapping) in every_keep(&cfg, df, shape).iter().enumerate() {
                    lockstep(&cfg, df, shape, mapping, 7 + i as u64);
                    let (a, b) = operands(shape, 7 + i as u64);
                    let run = Backend::Fast
                        .run(
                            RunRequest::new(&cfg, df, &a, &b).mapping(mapping),
                            &mut NoProbe,
                        )
                        .unwrap()
                        .run;
                    stalled += u64::from(run.stats.stall_cycles > 0);
                    checked += 1;
                }
            }
        }
    }
    eprintln!("{checked} mappings, {stalled} of them stalled");
    assert!(checked > 1000, "only {checked} mappings checked");
    assert!(stalled > 500, "only {stalled} runs stalled");
}

/// The named mappings with DRAM (starved, though the tiny machine's buffers take each run's
/// operands in its prologue; the stalls mid-run are the rtl lockstep's above) on Icarus and
/// Verilator: the same C and statistics as the fast model.
#[test]
fn icarus_and_verilator_run_named_mappings_with_dram() {
    let cfg = tiny_dram(2, 3, 1, 6);
    let work = std::env::temp_dir().join(format!("systole-mapped-dram-{}", std::process::id()));
    for (df, shape, mapping) in named() {
        let (a, b) = operands(shape, 9);
        let req = || RunRequest::new(&cfg, df, &a, &b).mapping(&mapping);
        let fast = Backend::Fast.run(req(), &mut NoProbe).unwrap().run;
        for backend in [Backend::Icarus, Backend::Verilator] {
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

/// A stream longer than a bank of C: SCALE-Sim's order spills WS's and IS's partial sums to DRAM,
/// the search chunks the stream so that they accumulate in C. Both run on the RTL as on the fast
/// model, each with the start command's spill chunking of its own mapping (a run once took the
/// chunking of SCALE-Sim's order whatever the mapping, and spilled where the fast model
/// accumulated).
#[test]
fn chunks_that_fit_c_accumulate_where_scalesim_spills() {
    use systole_sim::memory::dma::OutputMode;
    let cfg = small_buffers(tiny_dram(2, 2, 4, 3), 64);
    let half = cfg.buffer_depth(BufferId::C) / 2;
    for (df, shape) in [
        (Dataflow::Ws, GemmShape { m: 70, n: 3, k: 5 }),
        (Dataflow::Is, GemmShape { m: 3, n: 70, k: 5 }),
    ] {
        assert!(half < 70, "C's bank of {half} rows holds the stream");
        let prices = systole_sim::energy::Prices::of(&cfg, &Default::default());
        let searched = systole_sim::mapper::search::search(
            &cfg,
            df,
            shape,
            None,
            false,
            systole_sim::mapper::Objective::Edp,
            &prices,
        )
        .unwrap()
        .mapping;
        for (mapping, mode) in [
            (Mapping::scalesim(&cfg, df, shape), OutputMode::Spill),
            (searched, OutputMode::Accumulate),
        ] {
            let (plan, _) = systole_sim::array::memory_plan_mapped(&cfg, df, shape, &mapping)
                .unwrap()
                .unwrap();
            assert_eq!(plan.c, mode, "{df} {mapping}");
            lockstep(&cfg, df, shape, &mapping, 3);
        }
    }
}
