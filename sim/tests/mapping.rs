//! Mappings (`docs/microarchitecture.md`, "Mappings and fold order"; `docs/mapping.md`): for
//! random machines, shapes, dataflows and legal mappings (any loop order, blocked loops, stream
//! chunks that do and do not divide the stream, every level of keeping A and B), the fast model
//! runs the mapping exactly (C equals the reference), and every figure of the closed forms
//! ([`systole_sim::mapper::cost`]) equals the cycle-accurate run: every event count, the DRAM
//! bytes per operand, and the cycles whenever the run does not stall (the active cycles always).

use proptest::prelude::*;
use systole_sim::array::{check_mapped, simulate_conv_with_probe, simulate_mapped};
use systole_sim::config::{ArchConfig, BufferId, ConvInput, Dataflow, MemoryModel};
use systole_sim::energy::{EnergyModel, Prices};
use systole_sim::mapper::cost::{evaluate, Estimate};
use systole_sim::mapper::search::{candidates, search};
use systole_sim::mapper::Objective;
use systole_sim::mapping::{Descriptor, Dim, Keep, Loop, Mapping, Tiling};
use systole_sim::matrix::{reference_matmul, Matrix};
use systole_sim::memory::dma::DramTraffic;
use systole_sim::probe::NoProbe;
use systole_sim::stats::RunStats;
use systole_sim::workload::im2col::Im2col;
use systole_sim::workload::GemmShape;

/// A machine of `r x c` PEs whose buffers A and B hold `depth_a`/`depth_b` vectors (small, so
/// that every level of keeping is reachable) and whose C holds `c_rows` rows.
fn machine(
    (r, c): (u32, u32),
    (la, lb, lc): (u32, u32, u32),
    (depth_a, depth_b, c_rows): (u32, u32, u32),
    (bw, dram_lat): (u32, u32),
    memory: MemoryModel,
) -> ArchConfig {
    let mut cfg = ArchConfig::preset("tiny-4x4")
        .unwrap()
        .with_shape(Some(r), Some(c))
        .unwrap();
    // 1 KiB in `depth` words of one bank each.
    for (b, depth) in [(&mut cfg.buffers.a, depth_a), (&mut cfg.buffers.b, depth_b)] {
        b.capacity_kib = 1;
        b.banks = 1;
        // (At least one vector per word, so that a vector is one access.)
        b.word_bits = (8 * 1024 / depth).max(8 * r.max(c));
        b.read_latency = 1;
    }
    cfg.buffers.a.read_latency = la;
    cfg.buffers.b.read_latency = lb;
    cfg.buffers.c.capacity_kib = 1;
    cfg.buffers.c.banks = 1;
    cfg.buffers.c.word_bits = (8 * 1024 / c_rows).max(32 * c);
    cfg.buffers.c.read_latency = lc;
    cfg.dram.bytes_per_cycle = bw;
    cfg.dram.latency_cycles = dram_lat;
    cfg.memory = memory;
    cfg.validate().unwrap();
    cfg
}

/// A legal mapping of `shape` in `df` built from random choices: the stream tile, the order of
/// the loops outside K, an optional blocking of one of them, and the levels of A and B (each at
/// or inside the outermost level that fits).
fn mapping(
    cfg: &ArchConfig,
    df: Dataflow,
    shape: GemmShape,
    (ts_pick, swap, block, keep_pick): (usize, bool, (bool, usize), (usize, usize)),
) -> Mapping {
    let d = Descriptor::of(df);
    let t = d.stream.of(shape);
    let mut ts = if d.reduction_in_stream() {
        t
    } else {
        1 + ts_pick % t
    };
    let half = (cfg.buffer_depth(BufferId::C) / 2) as usize;
    let tiling = Tiling::new(cfg, df, shape, ts);
    if !d.reduction_in_stream() && tiling.tiles(d.rows) > 1 && ts > half && ts != t {
        ts = half;
    }
    let tiling = Tiling::new(cfg, df, shape, ts);
    // The two dimensions outside K (OS: M and N; WS/IS: the columns and the stream).
    let (mut x, mut y) = if d.reduction_in_stream() {
        (d.cols, d.rows)
    } else {
        (d.cols, d.stream)
    };
    if swap {
        std::mem::swap(&mut x, &mut y);
    }
    let mut loops = vec![Loop::over(x), Loop::over(y)];
    if block.0 {
        // Block the inner of the two: `y:b x y`.
        let b = 1 + block.1 % tiling.tiles(y).max(1);
        loops = vec![Loop::blocks(y, b), Loop::over(x), Loop::over(y)];
    }
    if !d.reduction_in_stream() {
        loops.push(Loop::over(Dim::K));
    }
    let mut m = Mapping::with_loops(cfg, df, shape, ts, loops);
    let n = m.loops.len();
    m.keep = Keep {
        a: m.keep.a + keep_pick.0 % (n + 1 - m.keep.a),
        b: m.keep.b + keep_pick.1 % (n + 1 - m.keep.b),
    };
    m.check(cfg, df, shape)
        .unwrap_or_else(|e| panic!("generated an illegal mapping ({m}): {e}"));
    m
}

/// Every figure of the closed forms against the run.
fn agree(cfg: &ArchConfig, s: &RunStats, est: &Estimate, what: &str) {
    assert_eq!(
        s.total_cycles - s.stall_cycles,
        est.compute_cycles,
        "active cycles: {what}"
    );
    if s.stall_cycles == 0 {
        assert_eq!(s.total_cycles, est.compute_cycles, "{what}");
    }
    let mut want = est.events;
    want.idle_pe_cycles += s.stall_cycles * cfg.pes();
    assert_eq!(s.events, want, "events: {what}");
    assert_eq!(DramTraffic::counted(&s.events), est.traffic, "DRAM: {what}");
    assert_eq!(
        s.memory.map(|p| p.c),
        (cfg.memory == MemoryModel::Dram).then_some(est.output)
    );
}

fn dataflow() -> impl Strategy<Value = Dataflow> {
    prop_oneof![Just(Dataflow::Os), Just(Dataflow::Ws), Just(Dataflow::Is)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// Any legal mapping, any machine: exact C, and the closed forms equal the run.
    #[test]
    fn mapped_runs_are_exact_and_follow_the_closed_forms(
        arr in (1u32..=5, 1u32..=5),
        lat in (1u32..=3, 1u32..=3, 1u32..=4),
        depths in (prop_oneof![Just(8u32), Just(16), Just(32), Just(64), Just(256)],
                   prop_oneof![Just(8u32), Just(16), Just(32), Just(64), Just(256)],
                   prop_oneof![Just(16u32), Just(32), Just(64), Just(128)]),
        bus in (prop_oneof![Just(1u32), Just(4), Just(64)], 1u32..=30),
        dram in prop_oneof![3 => Just(MemoryModel::Dram), 1 => Just(MemoryModel::Ideal)],
        df in dataflow(),
        (m, n, k) in (1usize..=24, 1usize..=24, 1usize..=24),
        choice in (0usize..64, any::<bool>(), (any::<bool>(), 0usize..8), (0usize..8, 0usize..8)),
        seed in 0u64..1000,
    ) {
        let cfg = machine(arr, lat, depths, bus, dram);
        let shape = GemmShape { m, n, k };
        let map = mapping(&cfg, df, shape, choice);
        // A too-small C for a spill is the machine's error, not the mapping's.
        prop_assume!(check_mapped(&cfg, df, shape, &map).is_ok());
        let a = Matrix::random(m, k, seed);
        let b = Matrix::random(k, n, seed + 1);
        let run = simulate_mapped(&cfg, df, &map, (&a, &b), None, &mut NoProbe).unwrap();
        let what = format!("{df} {m}x{n}x{k} on {}x{} ({map})", arr.0, arr.1);
        prop_assert_eq!(&run.c, &reference_matmul(&a, &b), "{}", what);
        let est = evaluate(&cfg, df, shape, &map, None, false).unwrap();
        agree(&cfg, &run.stats, &est, &what);
    }

    /// Convolutions with the ifmap in buffer A, in any legal mapping: exact C, and the closed
    /// forms (the ifmap's traffic from the window's dry run) equal the run.
    #[test]
    fn mapped_convolutions_with_the_ifmap_in_a_follow_the_closed_forms(
        (h, w, ch) in (2usize..=9, 2usize..=9, 1usize..=5),
        (f, stride, pad) in (1usize..=3, 1usize..=2, 0usize..=1),
        filters in 1usize..=10,
        arr in (1u32..=4, 1u32..=4),
        depths in (prop_oneof![Just(32u32), Just(64), Just(256)],
                   prop_oneof![Just(16u32), Just(64), Just(256)],
                   prop_oneof![Just(32u32), Just(128)]),
        df in dataflow(),
        choice in (0usize..64, any::<bool>(), (any::<bool>(), 0usize..8), (0usize..8, 0usize..8)),
        seed in 0u64..1000,
    ) {
        prop_assume!(h + 2 * pad >= f && w + 2 * pad >= f);
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
        let mut cfg = machine(arr, (1, 1, 2), depths, (4, 10), MemoryModel::Dram);
        cfg.conv_input = ConvInput::Ifmap;
        let (m, k) = geom.mk();
        let shape = GemmShape { m, n: filters, k };
        let map = mapping(&cfg, df, shape, choice);
        prop_assume!(check_mapped(&cfg, df, shape, &map).is_ok());
        let ifmap = Matrix::random(geom.rows() as usize, geom.row_elems() as usize, seed);
        let a = geom.expand(ifmap.as_slice());
        let b = Matrix::random(k, filters, seed + 1);
        let run = simulate_conv_with_probe(&cfg, df, &geom, &map, (&a, &b), None, &mut NoProbe)
            .unwrap();
        let what = format!("{df} conv {geom:?} x {filters} ({map})");
        prop_assert_eq!(&run.c, &reference_matmul(&a, &b), "{}", what);
        let est = evaluate(&cfg, df, shape, &map, Some(&geom), false).unwrap();
        agree(&cfg, &run.stats, &est, &what);
    }
}

/// SCALE-Sim's order is one mapping: its closed forms are the foundation's.
#[test]
fn scalesim_mapping_has_the_foundation_closed_form() {
    let cfg = ArchConfig::preset("edge-16x16").unwrap();
    for df in Dataflow::ALL {
        for (m, n, k) in [(100, 37, 50), (3136, 64, 576), (1, 1000, 512)] {
            let shape = GemmShape { m, n, k };
            let map = Mapping::scalesim(&cfg, df, shape);
            let est = evaluate(&cfg, df, shape, &map, None, false).unwrap();
            assert_eq!(
                est.compute_cycles,
                systole_sim::mapping::schedule::closed_form_cycles(&cfg, df, shape),
                "{df} {m}x{n}x{k}"
            );
        }
    }
}

fn objective() -> impl Strategy<Value = Objective> {
    prop_oneof![
        Just(Objective::Energy),
        Just(Objective::Latency),
        Just(Objective::Edp)
    ]
}

/// The score the search minimises, from an exact estimate.
fn exact_score(o: Objective, e: &Estimate, prices: &Prices) -> (f64, f64) {
    let energy = prices.charge(&e.events, e.latency_estimate);
    let latency = e.latency_estimate as f64;
    match o {
        Objective::Energy => (energy, latency),
        Objective::Latency => (latency, energy),
        Objective::Edp => (energy * latency, energy),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// The search (closed forms, and for a convolution with the ifmap in A, bounds and exact
    /// dry runs) finds the best candidate: the same score as evaluating every candidate exactly.
    /// It never does worse than SCALE-Sim's order, which is a candidate.
    #[test]
    fn the_search_finds_the_best_candidate(
        (h, w, ch) in (2usize..=24, 2usize..=8, 1usize..=4),
        (f, stride, pad) in (1usize..=3, 1usize..=2, 0usize..=1),
        filters in 1usize..=12,
        arr in (1u32..=4, 1u32..=4),
        // Small A buffers, so that the ifmap often needs a sliding window.
        depths in (prop_oneof![Just(8u32), Just(16), Just(64)],
                   prop_oneof![Just(16u32), Just(64), Just(256)],
                   prop_oneof![Just(32u32), Just(128)]),
        conv_input in prop_oneof![Just(ConvInput::Ifmap), Just(ConvInput::Expanded)],
        df in dataflow(),
        obj in objective(),
    ) {
        prop_assume!(h + 2 * pad >= f && w + 2 * pad >= f);
        let geom = Im2col {
            batch: 1, ifmap_h: h, ifmap_w: w, channels: ch, filter_h: f, filter_w: f,
            stride_h: stride, stride_w: stride, pad_top: pad, pad_left: pad,
            ofmap_h: (h + 2 * pad - f) / stride + 1, ofmap_w: (w + 2 * pad - f) / stride + 1,
        };
        let mut cfg = machine(arr, (1, 2, 1), depths, (4, 10), MemoryModel::Dram);
        cfg.conv_input = conv_input;
        let (m, k) = geom.mk();
        let shape = GemmShape { m, n: filters, k };
        let prices = Prices::of(&cfg, &EnergyModel::default());
        let cands = candidates(&cfg, df, shape);
        prop_assert_eq!(&cands[0], &Mapping::scalesim(&cfg, df, shape));
        let exact: Vec<(f64, f64)> = cands
            .iter()
            .filter_map(|c| evaluate(&cfg, df, shape, c, Some(&geom), false).ok())
            .map(|e| exact_score(obj, &e, &prices))
            .collect();
        let brute = exact.iter().copied().fold(None, |b: Option<(f64, f64)>, s| match b {
            Some(b) if b <= s => Some(b),
            _ => Some(s),
        });
        match search(&cfg, df, shape, Some(&geom), false, obj, &prices) {
            Ok(choice) => {
                prop_assert!(choice.mapping.check(&cfg, df, shape).is_ok());
                let got = exact_score(obj, &choice.estimate, &prices);
                let want = brute.expect("a candidate evaluated");
                prop_assert_eq!(got, want, "{} {:?}", df, obj);
                // Never worse than SCALE-Sim's order, when it runs here.
                if let Ok(ss) = evaluate(&cfg, df, shape, &cands[0], Some(&geom), false) {
                    prop_assert!(got <= exact_score(obj, &ss, &prices));
                }
            }
            Err(e) => prop_assert!(brute.is_none(), "search failed ({e}) but a candidate runs"),
        }
    }
}
