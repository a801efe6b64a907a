//! The memory system (`docs/microarchitecture.md`, "Memory system"): stall-free when compute-bound,
//! DRAM-bound runs that take bytes / bandwidth, compulsory traffic when everything fits, and the
//! documented re-fetches and spills when it does not.

use proptest::prelude::*;
use systole_sim::array::{memory_plan, simulate_gemm};
use systole_sim::config::{ArchConfig, Dataflow, MemoryModel};
use systole_sim::mapping::schedule::closed_form_cycles;
use systole_sim::matrix::{reference_matmul, Matrix};
use systole_sim::memory::dma::{DramTraffic, OutputMode, Reuse};
use systole_sim::stats::RunStats;
use systole_sim::testing::preset_on;
use systole_sim::workload::GemmShape;

fn run(cfg: &ArchConfig, df: Dataflow, m: usize, n: usize, k: usize) -> RunStats {
    let a = Matrix::random(m, k, 7);
    let b = Matrix::random(k, n, 8);
    let r = simulate_gemm(cfg, df, &a, &b).unwrap();
    assert_eq!(r.c, reference_matmul(&a, &b), "{df} {m}x{n}x{k}");
    r.stats
}

fn traffic(s: &RunStats) -> DramTraffic {
    DramTraffic::counted(&s.events)
}

fn edge(bytes_per_cycle: u32) -> ArchConfig {
    preset_on("edge-16x16", MemoryModel::Dram, Some(bytes_per_cycle))
}

/// Shapes that fit the edge-16x16 buffers whole, including partial tiles and K above R.
const FITTING: [(usize, usize, usize); 5] = [
    (64, 64, 64),
    (100, 37, 50),
    (16, 200, 33),
    (200, 16, 120),
    (128, 128, 128),
];

/// Shapes whose WS/IS partial sums do not fit a bank of edge-16x16's C (512 rows): they spill.
const SPILLING: [(usize, usize, usize); 2] = [(1100, 40, 64), (64, 1500, 50)];

#[test]
fn compute_bound_spills_never_stall_either() {
    // A spilled row goes out and comes back once per K fold: 128 B/cycle of C traffic at most.
    let cfg = edge(1024);
    for df in [Dataflow::Ws, Dataflow::Is] {
        for (m, n, k) in SPILLING {
            let s = run(&cfg, df, m, n, k);
            let what = format!("{df} {m}x{n}x{k}");
            let shape = GemmShape { m, n, k };
            if memory_plan(&cfg, df, shape).unwrap().unwrap().0.c != OutputMode::Spill {
                continue;
            }
            assert_eq!(s.stall_cycles, 0, "{what}");
            assert_eq!(
                s.total_cycles,
                closed_form_cycles(&cfg, df, shape),
                "{what}"
            );
        }
    }
    // Both shapes spill in the dataflow that streams their long dimension.
    let spills = |df, (m, n, k)| {
        memory_plan(&cfg, df, GemmShape { m, n, k })
            .unwrap()
            .unwrap()
            .0
            .c
            == OutputMode::Spill
    };
    assert!(spills(Dataflow::Ws, SPILLING[0]) && spills(Dataflow::Is, SPILLING[1]));
}

#[test]
fn a_huge_dram_latency_is_simulated_without_stepping_every_cycle() {
    // 10^6 cycles of latency: the stall loop jumps to the next arrival instead of stepping.
    let mut cfg = edge(16);
    cfg.dram.latency_cycles = 100_000;
    let s = run(&cfg, Dataflow::Ws, 40, 40, 40);
    assert!(s.load_cycles > 100_000 && s.writeback_cycles > 100_000);
    assert_eq!(
        s.latency_cycles,
        s.load_cycles + s.total_cycles + s.writeback_cycles
    );
}

#[test]
fn compute_bound_runs_never_stall_and_keep_the_foundation_cycles() {
    // 256 B/cycle is far above what a 16x16 array consumes (at most 16 + 16 B and 64 B of C).
    let cfg = edge(256);
    for df in Dataflow::ALL {
        for (m, n, k) in FITTING {
            let s = run(&cfg, df, m, n, k);
            let what = format!("{df} {m}x{n}x{k}");
            assert_eq!(s.stall_cycles, 0, "{what}");
            let shape = GemmShape { m, n, k };
            assert_eq!(
                s.total_cycles,
                closed_form_cycles(&cfg, df, shape),
                "{what}"
            );
            // The prologue is at least the DRAM latency; the writeback ends the run.
            assert!(s.load_cycles > u64::from(cfg.dram.latency_cycles), "{what}");
            assert!(
                s.writeback_cycles > u64::from(cfg.dram.latency_cycles),
                "{what}"
            );
            // Everything fits: each operand is read once and C written once.
            assert_eq!(
                traffic(&s),
                DramTraffic::compulsory(&cfg, df, shape),
                "{what}"
            );
            // Kept for the run or across the loop that does not index the operand (never
            // streamed per fold, unless each of its tiles is read by one fold only: WS's B and
            // IS's A, whose stationary tiles are).
            let (mem, _) = memory_plan(&cfg, df, shape).unwrap().unwrap();
            let streaming: &[Reuse] = match df {
                Dataflow::Ws => &[mem.a],
                Dataflow::Is => &[mem.b],
                Dataflow::Os => &[mem.a, mem.b],
            };
            assert!(
                streaming.iter().all(|r| *r != Reuse::PerFold),
                "{what}: {mem:?}"
            );
        }
    }
}

/// The documented bound: the bus moves `bytes` at `B` per cycle, so a run takes at least
/// `bytes / B` cycles (and at least its compute cycles); the bus idles only while the array computes
/// or a request waits out its latency, so a run takes at most `bytes / B` + its compute cycles (the
/// closed form) + one DRAM latency at each end + 2. A DRAM-bound run (bandwidth far below need) is
/// therefore within a small fraction of `bytes / B`.
#[test]
fn dram_bound_runs_take_bytes_over_bandwidth() {
    for bw in [1u32, 2, 4] {
        let cfg = edge(bw);
        for df in Dataflow::ALL {
            for (m, n, k) in FITTING {
                let s = run(&cfg, df, m, n, k);
                let bytes = s.dram_read_bytes + s.dram_write_bytes;
                let floor = bytes.div_ceil(u64::from(bw));
                let compute = closed_form_cycles(&cfg, df, GemmShape { m, n, k });
                let slack = compute + 2 * u64::from(cfg.dram.latency_cycles) + 2;
                let what = format!("{df} {m}x{n}x{k} at {bw} B/cycle");
                assert!(s.latency_cycles >= floor.max(compute), "{what}");
                assert!(
                    s.latency_cycles <= floor + slack,
                    "{what}: {} > {floor} + {slack}",
                    s.latency_cycles
                );
                // Far from compute-bound: the bus, not the array, sets the time.
                assert!(s.latency_cycles > 2 * compute, "{what}");
            }
        }
    }
}

#[test]
fn operands_that_do_not_fit_are_fetched_again_as_documented() {
    // edge-16x16's A holds 8192 vectors (128 KiB). OS, M = 512, K = 512: A is 512 x 512 = 256
    // KiB, so it cannot stay; each of the N / 16 column tiles reads it again.
    let cfg = edge(16);
    let (m, n, k) = (512, 64, 512);
    let s = run(&cfg, Dataflow::Os, m, n, k);
    let mem = s.memory.unwrap();
    // The row tile changes every fold, so A streams through per fold; B's column tile stays
    // across the row tiles (the `m` loop), and moves on with `n`, which indexes it.
    assert_eq!((mem.a, mem.b), (Reuse::PerFold, Reuse::PerRun));
    let col_tiles = (n / 16) as u64;
    assert_eq!(s.events.dram_a_read_bytes, col_tiles * (m * k) as u64);
    assert_eq!(s.events.dram_b_read_bytes, (k * n) as u64);
    // WS: the same A streams through once per column tile too; the weights are read once.
    let s = run(&cfg, Dataflow::Ws, m, n, k);
    assert_eq!(s.events.dram_a_read_bytes, col_tiles * (m * k) as u64);
    assert_eq!(s.events.dram_b_read_bytes, (k * n) as u64);
}

#[test]
fn partial_sums_that_do_not_fit_spill_to_dram_and_come_back() {
    // tiny-4x4's C holds 8 KiB = 512 rows of 4 int32, 256 per bank. WS with M = 300 rows per
    // column tile cannot keep its partial sums: each of the K / 4 = 3 folds writes them out and
    // the next two read them back.
    let cfg = ArchConfig::preset("tiny-4x4").unwrap();
    let (m, n, k) = (300, 8, 12);
    let s = run(&cfg, Dataflow::Ws, m, n, k);
    assert_eq!(s.memory.unwrap().c, OutputMode::Spill);
    let out = 4 * (m * n) as u64;
    assert_eq!(s.events.dram_c_write_bytes, 3 * out);
    assert_eq!(s.events.dram_c_read_bytes, 2 * out);
    // With M = 200 they stay in one bank across the K folds: C is written once.
    let s = run(&cfg, Dataflow::Ws, 200, n, k);
    assert_eq!(s.memory.unwrap().c, OutputMode::Accumulate);
    assert_eq!(s.events.dram_c_write_bytes, 4 * (200 * n) as u64);
    assert_eq!(s.events.dram_c_read_bytes, 0);
}

#[test]
fn a_c_buffer_too_small_to_spill_is_an_error_not_a_hang() {
    let mut cfg = ArchConfig::preset("tiny-4x4").unwrap();
    cfg.buffers.c.capacity_kib = 1; // 64 rows, 32 per bank: chunks of 16 or fewer
    cfg.buffers.c.read_latency = 40;
    let a = Matrix::random(100, 12, 1);
    let b = Matrix::random(12, 4, 2);
    let e = simulate_gemm(&cfg, Dataflow::Ws, &a, &b)
        .unwrap_err()
        .to_string();
    assert!(e.contains("buffer C") && e.contains("spilling"), "{e}");
}

#[test]
fn the_ideal_memory_model_moves_no_bytes() {
    let mut cfg = edge(1);
    cfg.memory = MemoryModel::Ideal;
    let s = run(&cfg, Dataflow::Os, 64, 64, 64);
    assert_eq!(
        (s.stall_cycles, s.load_cycles, s.writeback_cycles),
        (0, 0, 0)
    );
    assert_eq!(s.dram_read_bytes + s.dram_write_bytes, 0);
    assert_eq!(s.events.a_buf_writes + s.events.b_buf_writes, 0);
    assert_eq!(s.latency_cycles, s.total_cycles);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// The simulation's per-operand DRAM bytes equal the closed form of the memory plan, for
    /// every reuse case (buffers from 1 KiB, arrays up to 12 x 12, K above and below R).
    #[test]
    fn dram_bytes_follow_the_closed_form(
        (r, c) in (1u32..=12, 1u32..=12),
        (ka, kb, kc) in (1u32..=3, 1u32..=3, 1u32..=6),
        (bw, lat) in (1u32..=32, 0u32..=30),
        df in prop_oneof![Just(Dataflow::Os), Just(Dataflow::Ws), Just(Dataflow::Is)],
        (m, n, k) in (1usize..=300, 1usize..=60, 1usize..=300),
    ) {
        let mut cfg = ArchConfig::preset("tiny-4x4").unwrap().with_shape(Some(r), Some(c)).unwrap();
        cfg.buffers.a.capacity_kib = ka;
        cfg.buffers.b.capacity_kib = kb;
        cfg.buffers.c.capacity_kib = kc;
        cfg.dram.bytes_per_cycle = bw;
        cfg.dram.latency_cycles = lat;
        prop_assume!(cfg.validate().is_ok());
        let shape = GemmShape { m, n, k };
        let Ok(Some((_, want))) = memory_plan(&cfg, df, shape) else {
            prop_assume!(false);
            unreachable!()
        };
        let s = run(&cfg, df, m, n, k);
        prop_assert_eq!(traffic(&s), want);
        prop_assert!(want.total() >= DramTraffic::compulsory(&cfg, df, shape).total());
    }
}
