//! The RTL's DMA and memory port against the fast model's memory system, cycle by cycle: with
//! DRAM in play (load cycles, stalls on fetches and on a full bank of C, the final drain), every
//! buffer access, C, the cycle counts and every event counter must agree.

use systole_hdl::backend::{Backend, RunRequest, Stall};
use systole_sim::config::{ArchConfig, BufferId, Dataflow, MemoryModel};
use systole_sim::matrix::Matrix;
use systole_sim::probe::NoProbe;
use systole_sim::testing::tiny_dram;

mod common;

const ALL: [Dataflow; 3] = [Dataflow::Os, Dataflow::Ws, Dataflow::Is];

/// Runs both and compares; returns the fast model's (stall, load, writeback) cycles.
fn lockstep(
    cfg: &ArchConfig,
    df: Dataflow,
    m: usize,
    n: usize,
    k: usize,
    seed: u64,
) -> (u64, u64, u64) {
    let a = Matrix::<i8>::random(m, k, seed);
    let b = Matrix::<i8>::random(k, n, seed + 1);
    let s = common::lockstep(cfg, df, &a, &b).stats;
    (s.stall_cycles, s.load_cycles, s.writeback_cycles)
}

/// Runs Icarus and Verilator on the generated Verilog and holds both to the fast model's run.
fn cosim_agrees(
    cfg: &ArchConfig,
    df: Dataflow,
    (a, b): (&Matrix<i8>, &Matrix<i8>),
    dir: &std::path::Path,
    what: &str,
) {
    let fast = Backend::Fast
        .run(RunRequest::new(cfg, df, a, b), &mut NoProbe)
        .unwrap()
        .run;
    let ica = Backend::Icarus
        .run(RunRequest::new(cfg, df, a, b).work_dir(dir), &mut NoProbe)
        .unwrap_or_else(|e| panic!("Icarus {what}: {e}"));
    assert_eq!(fast.c, ica.run.c, "Icarus {what}: C");
    assert_eq!(fast.stats, ica.run.stats, "Icarus {what}: stats");
    let ver = Backend::Verilator
        .run(RunRequest::new(cfg, df, a, b).work_dir(dir), &mut NoProbe)
        .unwrap_or_else(|e| panic!("Verilator {what}: {e}"));
    assert_eq!(fast.c, ver.run.c, "Verilator {what}: C");
    assert_eq!(fast.stats, ver.run.stats, "Verilator {what}: stats");
}

#[test]
fn dram_bound_and_compute_bound_runs_agree() {
    let mut stalled = 0;
    for (bpc, lat) in [(1, 5), (4, 20), (64, 0)] {
        for (rows, cols) in [(4, 4), (2, 3)] {
            let cfg = tiny_dram(rows, cols, bpc, lat);
            for df in ALL {
                // One fold and several; K above R (WS/IS accumulate in C).
                for (m, n, k) in [(4, 4, 4), (5, 7, 3), (9, 6, 10)] {
                    let (stall, load, _) =
                        lockstep(&cfg, df, m, n, k, (m * 100 + n * 10 + k) as u64);
                    assert!(load > 0, "every DRAM run waits for its prologue");
                    stalled += u64::from(stall > 0);
                }
            }
        }
    }
    // The starved configs stall mid-run: the comparison covers the stall logic.
    assert!(stalled >= 6, "only {stalled} runs stalled");
}

#[test]
fn long_latencies_and_uneven_tiles_agree() {
    let mut cfg = tiny_dram(3, 5, 2, 37);
    cfg.buffers.a.read_latency = 2;
    cfg.buffers.b.read_latency = 3;
    cfg.buffers.c.read_latency = 4;
    cfg.validate().unwrap();
    for df in ALL {
        for (m, n, k) in [(7, 11, 8), (2, 13, 4)] {
            lockstep(&cfg, df, m, n, k, 5);
        }
    }
}

#[test]
fn a_full_bank_of_c_stalls_the_array() {
    // WS on 4x8 with a 1 KiB C (32 rows, 16 per bank): three column tiles of 10 rows
    // accumulate over two row tiles, and column tiles 0 and 2 share bank 0 (20 rows), so the
    // third waits for the first's drain at 1 byte per cycle.
    let mut cfg = tiny_dram(4, 8, 1, 5);
    cfg.buffers.c.capacity_kib = 1;
    cfg.validate().unwrap();
    let (stall, _, writeback) = lockstep(&cfg, Dataflow::Ws, 10, 24, 6, 9);
    assert!(stall > 0 && writeback > 0);
}

#[test]
fn icarus_and_verilator_serve_dram_with_the_same_model() {
    let cfg = tiny_dram(2, 3, 2, 7);
    let work = std::env::temp_dir().join(format!("systole-dram-cosim-{}", std::process::id()));
    for df in ALL {
        for (m, n, k, seed) in [(5, 4, 7, 31), (3, 7, 2, 32)] {
            let a = Matrix::<i8>::random(m, k, seed);
            let b = Matrix::<i8>::random(k, n, seed + 1);
            let fast = Backend::Fast
                .run(RunRequest::new(&cfg, df, &a, &b), &mut NoProbe)
                .unwrap()
                .run;
            assert!(fast.stats.load_cycles > 0);
            let dir = work.join(format!("icarus-{df}-{m}x{n}x{k}"));
            cosim_agrees(&cfg, df, (&a, &b), &dir, &format!("{df} {m}x{n}x{k}"));
        }
    }
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn results_larger_than_buffer_c_stream_out_through_its_banks() {
    // 4x8 with a 1 KiB C (32 rows): OS 20x24 has 60 result rows, WS 12x24 has 36, all of which
    // pass through C's two 16-row banks on their way to DRAM.
    let mut cfg = tiny_dram(4, 8, 2, 9);
    cfg.buffers.c.capacity_kib = 1;
    cfg.validate().unwrap();
    for (df, m, n, k) in [
        (Dataflow::Os, 20, 24, 5),
        (Dataflow::Ws, 12, 24, 6),
        (Dataflow::Is, 24, 12, 6),
    ] {
        let rows = systole_sim::array::buffer_images(
            &cfg,
            df,
            &Matrix::<i8>::random(m, k, 1),
            &Matrix::<i8>::random(k, n, 2),
        )
        .unwrap()
        .c_vectors;
        assert!(rows > 32, "{df}: {rows} rows of C");
        lockstep(&cfg, df, m, n, k, 13);
    }
}

#[test]
fn check_rtl_takes_spills_and_refuses_a_c_beyond_its_addresses() {
    // WS with a column tile of 300 rows: C's banks (256 rows) cannot hold it, so the partial sums
    // spill; the RTL's DMA does that now (it used to be refused here).
    let cfg = tiny_dram(2, 3, 4, 20);
    let (m, n, k) = (300, 3, 4);
    let a = Matrix::<i8>::random(m, k, 1);
    let b = Matrix::<i8>::random(k, n, 2);
    assert_spills(&cfg, Dataflow::Ws, (m, n, k));
    let img = systole_sim::array::buffer_images(&cfg, Dataflow::Ws, &a, &b).unwrap();
    systole_hdl::check_rtl(&cfg, Dataflow::Ws, m, n, k, &img).unwrap();
    // An 8 MiB C: its banks hold more rows than the RTL's C addresses (2^16).
    let mut narrow = tiny_dram(4, 4, 4, 20);
    narrow.buffers.c.capacity_kib = 8192;
    narrow.validate().unwrap();
    let (a, b) = (Matrix::<i8>::random(4, 4, 1), Matrix::<i8>::random(4, 4, 2));
    let img = systole_sim::array::buffer_images(&narrow, Dataflow::Os, &a, &b).unwrap();
    let err = systole_hdl::check_rtl(&narrow, Dataflow::Os, 4, 4, 4, &img)
        .unwrap_err()
        .to_string();
    assert!(err.contains("two banks"), "{err}");
}

#[test]
fn icarus_streams_results_through_the_banks_of_c() {
    let mut cfg = tiny_dram(4, 8, 2, 9);
    cfg.buffers.c.capacity_kib = 1;
    cfg.validate().unwrap();
    let work = std::env::temp_dir().join(format!("systole-dram-ring-{}", std::process::id()));
    let (m, n, k) = (12, 24, 6);
    let a = Matrix::<i8>::random(m, k, 3);
    let b = Matrix::<i8>::random(k, n, 4);
    let fast = Backend::Fast
        .run(RunRequest::new(&cfg, Dataflow::Ws, &a, &b), &mut NoProbe)
        .unwrap()
        .run;
    let ica = Backend::Icarus
        .run(
            RunRequest::new(&cfg, Dataflow::Ws, &a, &b).work_dir(&work),
            &mut NoProbe,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fast.c, ica.run.c);
    assert_eq!(fast.stats, ica.run.stats);
    let _ = std::fs::remove_dir_all(&work);
}

/// `cfg` with buffers A and B of `depth_a` and `depth_b` vectors (1 KiB each, wide words), so
/// that small GEMMs must re-fetch.
fn small_ab(mut cfg: ArchConfig, depth_a: u32, depth_b: u32) -> ArchConfig {
    for (buf, depth) in [(&mut cfg.buffers.a, depth_a), (&mut cfg.buffers.b, depth_b)] {
        buf.capacity_kib = 1;
        buf.word_bits = 8192 / depth / 8 * 8;
    }
    cfg.validate().unwrap();
    assert_eq!(
        (cfg.buffer_depth(BufferId::A), cfg.buffer_depth(BufferId::B)),
        (u64::from(depth_a), u64::from(depth_b))
    );
    cfg
}

/// The memory plan of a GEMM, as the reports print it.
fn plan_of(cfg: &ArchConfig, df: Dataflow, m: usize, n: usize, k: usize) -> String {
    let shape = systole_sim::workload::GemmShape { m, n, k };
    systole_sim::array::memory_plan(cfg, df, shape)
        .unwrap()
        .unwrap()
        .0
        .describe()
}

/// Re-fetching plans on 4x4 with small buffers: dataflow, vectors of buffers A and B, (M, N, K)
/// and the memory plan the case must hit (asserted, so that a change of the plan's rules cannot
/// quietly turn a case into a whole-operand one).
type RingCase = (Dataflow, u32, u32, (usize, usize, usize), &'static str);

#[rustfmt::skip]
const RINGS: [RingCase; 9] = [
    // OS: B's column tile fetched once per run of row tiles; A's row tile per fold.
    (Dataflow::Os, 8, 8, (9, 9, 6), "per-fold / per-run / drain"),
    (Dataflow::Os, 4, 4, (9, 9, 6), "per-fold / per-fold / drain"),
    (Dataflow::Os, 16, 4, (5, 9, 6), "whole / per-fold / drain"),
    // WS: A streams each K tile per column tile; B's stationary tiles go through a ring (each
    // is read by one fold, so per fold, whether or not a column tile of B fits).
    (Dataflow::Ws, 8, 8, (6, 9, 9), "per-fold / per-fold / accumulate"),
    (Dataflow::Ws, 4, 2, (6, 9, 9), "per-fold / per-fold / accumulate"),
    // IS: the roles of A and B swap.
    (Dataflow::Is, 8, 8, (9, 6, 9), "per-fold / per-fold / accumulate"),
    (Dataflow::Is, 2, 4, (9, 6, 9), "per-fold / per-fold / accumulate"),
    // Rings whose depth is not a power of two (the slot pointers wrap by comparison).
    (Dataflow::Os, 6, 6, (9, 9, 5), "per-fold / per-run / drain"),
    (Dataflow::Ws, 3, 3, (6, 9, 9), "per-fold / per-fold / accumulate"),
];

/// `base` with the buffers of ring case `case`, which must hit its plan.
fn ring_cfg(base: ArchConfig, case: usize) -> (ArchConfig, Dataflow, (usize, usize, usize)) {
    let (df, da, db, (m, n, k), want) = RINGS[case];
    let cfg = small_ab(base, da, db);
    assert_eq!(
        plan_of(&cfg, df, m, n, k),
        want,
        "{df} {m}x{n}x{k} A {da} B {db}"
    );
    (cfg, df, (m, n, k))
}

#[test]
fn operands_larger_than_their_buffers_are_refetched_per_run_and_per_fold() {
    for (bpc, lat) in [(1, 3), (8, 11)] {
        for case in 0..RINGS.len() {
            let (cfg, df, (m, n, k)) = ring_cfg(tiny_dram(4, 4, bpc, lat), case);
            lockstep(&cfg, df, m, n, k, (m * 7 + n * 5 + k) as u64);
        }
    }
}

#[test]
fn icarus_and_verilator_refetch_through_the_rings() {
    let work = std::env::temp_dir().join(format!("systole-dram-refetch-{}", std::process::id()));
    // OS per run, WS per fold, IS per run.
    for case in [0, 4, 5] {
        let (cfg, df, (m, n, k)) = ring_cfg(tiny_dram(4, 4, 2, 7), case);
        let a = Matrix::<i8>::random(m, k, 41);
        let b = Matrix::<i8>::random(k, n, 42);
        cosim_agrees(
            &cfg,
            df,
            (&a, &b),
            &work.join(format!("{df}")),
            &format!("{df}"),
        );
    }
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn host_stalls_on_top_of_dram_stalls_change_only_the_timing() {
    // The host's `stall` holds the datapath while the DMA goes on, so the run is not the fast
    // model's stretched (the fast model has no host stall); but C and every count of work done
    // (MACs, hops, buffer accesses, landings, drains, DRAM bytes) must be unchanged, with rings
    // that retire and refill around the held cycles.
    // OS per run, WS per fold, and IS with a whole operand (16-vector buffers: B stays for the
    // run; A's stationary tiles are each read by one fold, so they pass through a ring).
    let whole = |base: ArchConfig| {
        let cfg = small_ab(base, 16, 16);
        assert_eq!(
            plan_of(&cfg, Dataflow::Is, 5, 7, 3),
            "per-fold / whole / drain"
        );
        (cfg, Dataflow::Is, (5, 7, 3))
    };
    for (cfg, df, (m, n, k)) in [
        ring_cfg(tiny_dram(4, 4, 2, 9), 0),
        ring_cfg(tiny_dram(4, 4, 2, 9), 4),
        whole(tiny_dram(4, 4, 2, 9)),
    ] {
        let a = Matrix::<i8>::random(m, k, 51);
        let b = Matrix::<i8>::random(k, n, 52);
        let fast = Backend::Fast
            .run(RunRequest::new(&cfg, df, &a, &b), &mut NoProbe)
            .unwrap()
            .run;
        // Seeded bursts: about one cycle in three stalls, in runs of 1 to 4.
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        let mut burst = 0;
        let stalled = Backend::Rtl
            .run(
                RunRequest::new(&cfg, df, &a, &b).stalled(Stall::Each(&mut |_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    if burst == 0 && x.is_multiple_of(6) {
                        burst = 1 + (x >> 8) % 4;
                    }
                    let s = burst > 0;
                    burst = burst.saturating_sub(1);
                    s
                })),
                &mut common::Trace::default(),
            )
            .unwrap_or_else(|e| panic!("{df}: {e}"));
        let held = stalled.stalled.len() as u64;
        assert!(
            held * 8 > fast.stats.total_cycles,
            "{df}: the pattern stalled {held} of the run's cycles"
        );
        let rtl = stalled.run;
        assert_eq!(rtl.c, fast.c, "{df}: C");
        for ((name, want), (_, got)) in fast
            .stats
            .events
            .pairs()
            .into_iter()
            .zip(rtl.stats.events.pairs())
        {
            if name != "idle_pe_cycles" {
                assert_eq!(got, want, "{df}: {name}");
            }
        }
        assert!(
            rtl.stats.total_cycles > fast.stats.total_cycles,
            "{df}: cycles"
        );
    }
}

#[test]
fn a_small_ring_behind_a_long_latency_finishes_within_the_watchdog() {
    // Two-vector rings keep two fetches in flight, so each pair of vectors waits the full
    // latency: the run is far longer than the bus time, and the backends' watchdog must allow it.
    let cfg = small_ab(tiny_dram(4, 4, 16, 150), 2, 2);
    let (m, n, k) = (8, 8, 12);
    assert_eq!(
        plan_of(&cfg, Dataflow::Os, m, n, k),
        "per-fold / per-fold / drain"
    );
    let (stall, _, _) = lockstep(&cfg, Dataflow::Os, m, n, k, 61);
    assert!(stall > 3_000, "{stall} stall cycles");
}

#[test]
fn operands_and_c_at_nonzero_bases_run_as_at_zero() {
    // The start command's base addresses move A, B and C in the buffers (ideal) or in DRAM
    // (whole operands and rings): every buffer access, by layout address, C and every statistic
    // must be those of the fast model, which has no bases.
    let bases = systole_hdl::backend::Bases {
        a: 37,
        b: 5,
        c: 101,
    };
    let ideal = ArchConfig::preset("tiny-4x4")
        .unwrap()
        .with_memory(None, Some(MemoryModel::Ideal))
        .unwrap();
    let cases = [
        (ideal, Dataflow::Ws, (6, 9, 9)),
        (tiny_dram(4, 4, 2, 9), Dataflow::Is, (5, 7, 3)),
        (
            small_ab(tiny_dram(4, 4, 2, 9), 8, 8),
            Dataflow::Os,
            (9, 9, 6),
        ),
        (
            small_ab(tiny_dram(4, 4, 2, 9), 4, 2),
            Dataflow::Ws,
            (6, 9, 9),
        ),
    ];
    for (cfg, df, (m, n, k)) in cases {
        let a = Matrix::<i8>::random(m, k, 71);
        let b = Matrix::<i8>::random(k, n, 72);
        let mut want = common::Trace::default();
        let fast = Backend::Fast
            .run(RunRequest::new(&cfg, df, &a, &b), &mut want)
            .unwrap()
            .run;
        let mut got = common::Trace::default();
        let rtl = Backend::Rtl
            .run(RunRequest::new(&cfg, df, &a, &b).at(bases), &mut got)
            .unwrap_or_else(|e| panic!("{df}: {e}"))
            .run;
        common::same_run(&format!("{} {df}", cfg.name), (want, &fast), (got, &rtl));
    }
    // A base that pushes an operand past the end is refused, not wrapped.
    let cfg = ArchConfig::preset("tiny-4x4")
        .unwrap()
        .with_memory(None, Some(MemoryModel::Ideal))
        .unwrap();
    let (a, b) = (Matrix::<i8>::random(4, 4, 1), Matrix::<i8>::random(4, 4, 2));
    let far = systole_hdl::backend::Bases {
        a: 1023,
        b: 0,
        c: 0,
    };
    let err = Backend::Rtl
        .run(
            RunRequest::new(&cfg, Dataflow::Os, &a, &b).at(far),
            &mut common::Trace::default(),
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("A at base 1023"), "{err}");
    // With DRAM a whole operand lands at base + layout address in its buffer, which must hold it.
    let near_end = systole_hdl::backend::Bases {
        a: 1022,
        b: 0,
        c: 0,
    };
    let err = Backend::Rtl
        .run(
            RunRequest::new(&tiny_dram(4, 4, 4, 20), Dataflow::Os, &a, &b).at(near_end),
            &mut common::Trace::default(),
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("A at base 1022") && err.contains("has 1024 vectors"),
        "{err}"
    );
}

#[test]
fn runs_back_to_back_on_one_instance_match_fresh_runs() {
    // A host starts the next GEMM when the last is done; only the start command resets the
    // controller, the DMA's counters and rings, C's banks and the event counters. Every run of
    // the sequence must be the fast model's, access by access.
    for cfg in [
        small_ab(tiny_dram(4, 4, 2, 9), 8, 8),
        ArchConfig::preset("tiny-4x4")
            .unwrap()
            .with_memory(None, Some(MemoryModel::Ideal))
            .unwrap(),
    ] {
        let mut session = systole_hdl::backend::rtl::RtlSession::new(&cfg).unwrap();
        let runs = [
            (
                Dataflow::Os,
                (9, 9, 6),
                systole_hdl::backend::Bases::default(),
            ),
            (
                Dataflow::Ws,
                (6, 9, 9),
                systole_hdl::backend::Bases { a: 3, b: 11, c: 7 },
            ),
            (
                Dataflow::Is,
                (5, 7, 3),
                systole_hdl::backend::Bases::default(),
            ),
            (
                Dataflow::Os,
                (4, 4, 4),
                systole_hdl::backend::Bases { a: 1, b: 2, c: 3 },
            ),
        ];
        for (i, (df, (m, n, k), bases)) in runs.into_iter().enumerate() {
            let what = format!("{} run {i} ({df} {m}x{n}x{k})", cfg.name);
            let a = Matrix::<i8>::random(m, k, 80 + i as u64);
            let b = Matrix::<i8>::random(k, n, 90 + i as u64);
            let mut want = common::Trace::default();
            let fast = Backend::Fast
                .run(RunRequest::new(&cfg, df, &a, &b), &mut want)
                .unwrap()
                .run;
            let mut got = common::Trace::default();
            let rtl = session
                .run(RunRequest::new(&cfg, df, &a, &b).at(bases), &mut got)
                .unwrap_or_else(|e| panic!("{what}: {e}"))
                .run;
            common::same_run(&what, (want, &fast), (got, &rtl));
        }
    }
}

/// 4x8 with a 1 KiB C (two banks of 16 rows, quarters of 8) and DRAM of `bpc` bytes per cycle.
/// The spilling runs below have column tiles of 20, 40, 44 and 32 rows over two or three K
/// folds, which do not fit a bank, so every fold's partial sums go to DRAM in chunks (7, 7, 6;
/// five of 8; 8, 8 and four of 7; four of 8) and come back for the next. From five chunks a fold on, a refetch can find
/// the previous fold's row in DRAM before its own place in C is free.
fn spill_cfg(bpc: u32, latency: u32) -> ArchConfig {
    let mut cfg = tiny_dram(4, 8, bpc, latency);
    cfg.buffers.c.capacity_kib = 1;
    cfg.validate().unwrap();
    cfg
}

const SPILLS: [(Dataflow, usize, usize, usize); 5] = [
    (Dataflow::Ws, 20, 12, 10),
    (Dataflow::Is, 12, 20, 10),
    (Dataflow::Ws, 40, 8, 9),
    (Dataflow::Is, 9, 44, 10),
    // Four chunks of 8 and two row tiles: a place's previous row is the previous fold's.
    (Dataflow::Ws, 32, 8, 8),
];

fn assert_spills(cfg: &ArchConfig, df: Dataflow, (m, n, k): (usize, usize, usize)) {
    let shape = systole_sim::workload::GemmShape { m, n, k };
    let (plan, traffic) = systole_sim::array::memory_plan(cfg, df, shape)
        .unwrap()
        .unwrap();
    assert_eq!(plan.c.name(), "spill", "{df} {m}x{n}x{k}");
    assert!(traffic.c_read > 0);
}

#[test]
fn spilled_partial_sums_go_to_dram_and_come_back() {
    let mut stalled = 0;
    for (bpc, lat) in [(64, 0), (8, 5), (1, 9)] {
        let cfg = spill_cfg(bpc, lat);
        for (df, m, n, k) in SPILLS {
            assert_spills(&cfg, df, (m, n, k));
            let (stall, _, _) = lockstep(&cfg, df, m, n, k, (m + n + k) as u64);
            stalled += u64::from(stall > 0);
        }
    }
    assert!(stalled >= 2, "only {stalled} spilling runs stalled");
    // A C read latency of 3: deadlines, "in DRAM" and the chunk-size guard move with it.
    let mut slow_c = spill_cfg(8, 5);
    slow_c.buffers.c.read_latency = 3;
    slow_c.validate().unwrap();
    for (df, m, n, k) in SPILLS {
        assert_spills(&slow_c, df, (m, n, k));
        lockstep(&slow_c, df, m, n, k, 3);
    }
}

#[test]
fn icarus_and_verilator_spill_partial_sums_like_the_fast_model() {
    let cfg = spill_cfg(4, 6);
    let work = std::env::temp_dir().join(format!("systole-spill-cosim-{}", std::process::id()));
    for (df, m, n, k) in [SPILLS[0], SPILLS[3]] {
        assert_spills(&cfg, df, (m, n, k));
        let a = Matrix::<i8>::random(m, k, 77);
        let b = Matrix::<i8>::random(k, n, 78);
        let dir = work.join(format!("{df}-{m}x{n}x{k}"));
        cosim_agrees(
            &cfg,
            df,
            (&a, &b),
            &dir,
            &format!("spilling {df} {m}x{n}x{k}"),
        );
    }
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn the_dram_model_holds_refetched_rows_while_the_array_writes_their_bank() {
    // tiny-4x4 (C: banks of 256 rows, quarters of 128), WS 500x4x8: four chunks of 125 rows.
    // A refetch four chunks ahead lands in the bank the array is writing, so its response waits
    // up to a chunk's worth of cycles; the Verilog model's C queue was once sized for responses
    // taken as soon as they arrive, and this run overflowed it.
    let cfg = tiny_dram(4, 4, 64, 3);
    let (m, n, k) = (500, 4, 8);
    assert_spills(&cfg, Dataflow::Ws, (m, n, k));
    let a = Matrix::<i8>::random(m, k, 5);
    let b = Matrix::<i8>::random(k, n, 6);
    let fast = Backend::Fast
        .run(RunRequest::new(&cfg, Dataflow::Ws, &a, &b), &mut NoProbe)
        .unwrap()
        .run;
    let dir = std::env::temp_dir().join(format!("systole-spill-queue-{}", std::process::id()));
    let ica = Backend::Icarus
        .run(
            RunRequest::new(&cfg, Dataflow::Ws, &a, &b).work_dir(&dir),
            &mut NoProbe,
        )
        .unwrap_or_else(|e| panic!("Icarus: {e}"));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(fast.c, ica.run.c, "C");
    assert_eq!(fast.stats, ica.run.stats, "stats");
}
