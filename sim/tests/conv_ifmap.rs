//! Buffer A holding a convolution's ifmap, read through the im2col address unit
//! (`sim/src/memory/im2col.rs`): the array computes exactly the expanded GEMM, while DRAM bytes
//! and buffer fills are the ifmap's rows, counted one by one and equal to the closed form.

use proptest::prelude::*;
use systole_sim::array::{conv_memory_plan, memory_plan, simulate_conv_with_probe};
use systole_sim::config::{ArchConfig, ConvInput, Dataflow, MemoryModel};
use systole_sim::matrix::{reference_matmul, Matrix};
use systole_sim::memory::dma::{DramTraffic, Reuse};
use systole_sim::probe::NoProbe;
use systole_sim::stats::RunStats;
use systole_sim::testing::preset_on;
use systole_sim::workload::im2col::Im2col;
use systole_sim::workload::layer::Conv;

fn traffic(s: &RunStats) -> DramTraffic {
    DramTraffic::counted(&s.events)
}

/// Runs one group of `conv` with A as `input`, in SCALE-Sim's order; checks C.
fn run(cfg: &ArchConfig, df: Dataflow, conv: &Conv, input: ConvInput) -> RunStats {
    let geom = conv.im2col();
    run_mapped(cfg, df, conv, input, &ss(cfg, df, &geom, conv.gemm().0.n))
}

/// Runs one group of `conv` with A as `input` and this mapping; checks C.
fn run_mapped(
    cfg: &ArchConfig,
    df: Dataflow,
    conv: &Conv,
    input: ConvInput,
    mapping: &systole_sim::mapping::Mapping,
) -> RunStats {
    let mut cfg = cfg.clone();
    cfg.conv_input = input;
    let geom = conv.im2col();
    let n = conv.gemm().0.n;
    let ifmap = Matrix::random(geom.rows() as usize, geom.row_elems() as usize, 3);
    let a = geom.expand(ifmap.as_slice());
    let b = Matrix::random(a.cols(), n, 4);
    let r =
        simulate_conv_with_probe(&cfg, df, &geom, mapping, (&a, &b), None, &mut NoProbe).unwrap();
    assert_eq!(r.c, reference_matmul(&a, &b), "{df} {conv:?}");
    r.stats
}

fn edge(bytes_per_cycle: u32) -> ArchConfig {
    preset_on("edge-16x16", MemoryModel::Dram, Some(bytes_per_cycle))
}

/// A ResNet-style 3x3 convolution on 28x28x32: its ifmap (25 KiB) fits edge-16x16's A whole,
/// so every ifmap byte crosses the DRAM port once, against nearly 9x that for the expanded matrix.
#[test]
fn a_3x3_convolution_reads_its_ifmap_once() {
    let conv = Conv::unpadded((28, 28), (3, 3), 32, 32, 1).padded(1);
    let cfg = edge(16);
    for df in [Dataflow::Os, Dataflow::Ws, Dataflow::Is] {
        let ifmap = run(&cfg, df, &conv, ConvInput::Ifmap);
        let expanded = run(&cfg, df, &conv, ConvInput::Expanded);
        let plan = conv_memory_plan(
            &cfg,
            df,
            &conv.im2col(),
            32,
            &ss(&cfg, df, &conv.im2col(), 32),
        )
        .unwrap()
        .unwrap();
        assert_eq!(plan.0.a, Reuse::IfmapWhole, "{df}");
        assert_eq!(ifmap.events.dram_a_read_bytes, conv.ifmap_bytes(), "{df}");
        assert_eq!(
            expanded.events.dram_a_read_bytes % (28 * 28 * 288),
            0,
            "{df}"
        );
        assert!(expanded.events.dram_a_read_bytes >= 28 * 28 * 288, "{df}");
        // Fills are the ifmap's, row by row in whole vectors; the array's reads of A are the same
        // gathered vectors.
        assert_eq!(ifmap.events.a_buf_write_elems, conv.ifmap_bytes(), "{df}");
        let lanes = 16u32; // R = C = 16: A vectors have 16 lanes in every dataflow
        let vectors_per_row = (28 * 32u64).div_ceil(u64::from(lanes));
        assert_eq!(
            ifmap.events.a_buf_writes,
            28 * vectors_per_row * cfg.words_for(systole_sim::config::BufferId::A, lanes),
            "{df}"
        );
        // Before cycle 0 the DMA brings the first unit's rows (at least one 896-byte row at
        // 16 B/cycle, after the 100-cycle latency).
        assert!(
            ifmap.load_cycles >= 100 + 896 / 16,
            "{df}: {}",
            ifmap.load_cycles
        );
        // The array's schedule is the same: only stalls differ.
        assert_eq!(
            ifmap.total_cycles - ifmap.stall_cycles,
            expanded.total_cycles - expanded.stall_cycles,
            "{df}"
        );
        assert_eq!(
            ifmap.events.a_buf_reads, expanded.events.a_buf_reads,
            "{df}"
        );
        assert_eq!(ifmap.events.macs, expanded.events.macs, "{df}");
    }
}

/// WS tiled over output pixels: each K fold of an output tile reads the same ifmap rows again
/// (restarting from the tile's first pixel). A sliding window would free them as the fold moves
/// down and fetch them again for every K fold; the rows stay for the mapping's epoch instead, so
/// every ifmap row crosses the DRAM port once, where SCALE-Sim's order (each fold streaming every
/// output pixel) moves the expanded matrix. A bug that let WS pay a sliding window's refetches
/// made it look 5x worse than OS in A's DRAM bytes on ResNet-18.
#[test]
fn ws_output_tiles_keep_their_ifmap_rows_across_k_folds() {
    use systole_sim::mapping::{Dim, Loop, Mapping};
    let conv = Conv::unpadded((28, 28), (3, 3), 32, 32, 1).padded(1);
    let mut cfg = edge(16);
    cfg.buffers.a.capacity_kib = 16; // the 25 KiB ifmap does not fit whole
    cfg.conv_input = ConvInput::Ifmap;
    let geom = conv.im2col();
    let (m, k) = geom.mk();
    let shape = systole_sim::workload::GemmShape { m, n: 32, k };
    // Four rows of output pixels per tile, every column tile and K fold inside it.
    let tiled = Mapping::with_loops(
        &cfg,
        Dataflow::Ws,
        shape,
        112,
        vec![Loop::over(Dim::M), Loop::over(Dim::N), Loop::over(Dim::K)],
    );
    let (plan, want) = conv_memory_plan(&cfg, Dataflow::Ws, &geom, 32, &tiled)
        .unwrap()
        .unwrap();
    assert_eq!(plan.a, Reuse::IfmapPerRun, "{tiled}");
    let s = run_mapped(&cfg, Dataflow::Ws, &conv, ConvInput::Ifmap, &tiled);
    assert_eq!(traffic(&s), want);
    assert_eq!(s.events.dram_a_read_bytes, conv.ifmap_bytes());
    // SCALE-Sim's order: a fold's rows are the whole ifmap, so no window is kept over folds.
    let scalesim = run(&cfg, Dataflow::Ws, &conv, ConvInput::Ifmap);
    assert!(
        scalesim.events.dram_a_read_bytes > 8 * conv.ifmap_bytes(),
        "{}",
        scalesim.events.dram_a_read_bytes
    );
}

/// An ifmap bigger than buffer A slides a window of rows through it: each row is fetched once per
/// pass, far less than the expanded matrix, and the counted bytes equal the closed form.
#[test]
fn a_large_ifmap_streams_through_a_window() {
    let conv = Conv::unpadded((112, 112), (3, 3), 16, 16, 1).padded(1);
    let mut cfg = edge(32);
    cfg.buffers.a.capacity_kib = 16;
    let s = run(&cfg, Dataflow::Os, &conv, ConvInput::Ifmap);
    let (plan, want) = conv_memory_plan(
        &cfg,
        Dataflow::Os,
        &conv.im2col(),
        16,
        &ss(&cfg, Dataflow::Os, &conv.im2col(), 16),
    )
    .unwrap()
    .unwrap();
    assert_eq!(plan.a, Reuse::IfmapWindow);
    assert_eq!(traffic(&s), want);
    // One column tile (N = 16): a single pass over the ifmap.
    assert_eq!(s.events.dram_a_read_bytes, conv.ifmap_bytes());
    let expanded = memory_plan(&cfg, Dataflow::Os, conv.gemm().0)
        .unwrap()
        .unwrap()
        .1;
    assert!(expanded.a_read >= 8 * conv.ifmap_bytes());
}

/// A 1x1 convolution's im2col matrix is its ifmap: both ways move the same bytes, and the tie
/// keeps the matrix.
#[test]
fn a_pointwise_convolution_is_its_own_matrix() {
    let conv = Conv::unpadded((14, 14), (1, 1), 64, 32, 1);
    let cfg = edge(16);
    for df in [Dataflow::Os, Dataflow::Ws, Dataflow::Is] {
        let plan = conv_memory_plan(
            &cfg,
            df,
            &conv.im2col(),
            32,
            &ss(&cfg, df, &conv.im2col(), 32),
        )
        .unwrap()
        .unwrap()
        .0;
        assert!(!plan.a.is_ifmap(), "{df}");
        let ifmap = run(&cfg, df, &conv, ConvInput::Ifmap);
        let expanded = run(&cfg, df, &conv, ConvInput::Expanded);
        assert_eq!(
            ifmap.events.dram_a_read_bytes, expanded.events.dram_a_read_bytes,
            "{df}"
        );
    }
}

/// A strided 1x1 convolution reads a quarter of its ifmap's pixels: whole rows would move 4x the
/// bytes of the matrix, so A keeps the matrix.
#[test]
fn a_strided_pointwise_convolution_keeps_the_matrix() {
    let conv = Conv::unpadded((56, 56), (1, 1), 64, 128, 2);
    let cfg = edge(16);
    let (plan, traffic) = conv_memory_plan(
        &cfg,
        Dataflow::Os,
        &conv.im2col(),
        128,
        &ss(&cfg, Dataflow::Os, &conv.im2col(), 128),
    )
    .unwrap()
    .unwrap();
    assert!(!plan.a.is_ifmap());
    let expanded = memory_plan(&cfg, Dataflow::Os, conv.gemm().0)
        .unwrap()
        .unwrap();
    assert_eq!((plan, traffic), expanded);
}

/// A layer whose stride skips most of a huge ifmap has a tiny GEMM but an ifmap too large for the
/// in-memory model: an error naming the layer, not an allocation that brings the machine down.
#[test]
fn a_huge_ifmap_is_refused_before_it_is_built() {
    use systole_sim::energy::EnergyModel;
    use systole_sim::run::run_workload;
    use systole_sim::workload::{Layer, LayerOp, Workload};
    let conv = Conv::unpadded((65536, 65536), (1, 1), 4, 8, 65536);
    assert_eq!(conv.gemm().0.m, 1);
    let w = Workload {
        name: "huge".into(),
        source: "test".into(),
        layers: vec![Layer::new("sparse", LayerOp::Conv(conv))],
        notes: vec![],
        quantized: None,
    };
    let e = run_workload(
        &edge(16),
        &w,
        &[Dataflow::Os],
        (false, &systole_sim::mapper::MappingPolicy::default()),
        &EnergyModel::default(),
        &|| {},
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("sparse") && e.contains("host memory"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Any small convolution on any small machine: C is exact, the run ends (no deadlock), every
    /// read finds its ifmap rows in buffer A (debug builds check each element's row in a physical
    /// model of the ring), DRAM bytes equal the closed form, and the array's reads and MACs are
    /// the expanded GEMM's.
    #[test]
    fn any_convolution_runs_exactly_from_its_ifmap(
        (r, c) in (1u32..=8, 1u32..=8),
        ka in 1u32..=3,
        (bw, lat) in (1u32..=32, 0u32..=20),
        df in prop_oneof![Just(Dataflow::Os), Just(Dataflow::Ws), Just(Dataflow::Is)],
        (batch, h, w, ch, groups) in (1usize..=3, 1usize..=24, 1usize..=24, 1usize..=8, 1usize..=2),
        (fh, fw, sh, sw) in (1usize..=4, 1usize..=4, 1usize..=3, 1usize..=3),
        (pt, pb, pl, pr) in (0usize..=2, 0usize..=2, 0usize..=2, 0usize..=2),
        filters in 1usize..=20,
        any_stride in proptest::bool::weighted(0.2),
    ) {
        let conv = Conv {
            batch, ifmap_h: h, ifmap_w: w, channels: ch * groups, filter_h: fh, filter_w: fw,
            filters: filters * groups, stride_h: sh, stride_w: sw, pad_top: pt, pad_bottom: pb,
            pad_left: pl, pad_right: pr, groups,
        };
        // Mostly strides up to the filter size, the layers where the ifmap moves fewer bytes
        // than the matrix (otherwise the run keeps the matrix in A).
        prop_assume!(conv.check().is_ok() && (any_stride || (sh <= fh && sw <= fw)));
        let mut cfg = ArchConfig::preset("tiny-4x4").unwrap().with_shape(Some(r), Some(c)).unwrap();
        cfg.buffers.a.capacity_kib = ka;
        cfg.buffers.c.capacity_kib = 4;
        cfg.dram.bytes_per_cycle = bw;
        cfg.dram.latency_cycles = lat;
        prop_assume!(cfg.validate().is_ok());
        let Ok(Some((_, want))) = conv_memory_plan(&cfg, df, &conv.im2col(), filters, &ss(&cfg, df, &conv.im2col(), filters)) else {
            prop_assume!(false);
            unreachable!()
        };
        let s = run(&cfg, df, &conv, ConvInput::Ifmap);
        let e = run(&cfg, df, &conv, ConvInput::Expanded);
        prop_assert_eq!(traffic(&s), want);
        prop_assert_eq!(s.events.a_buf_reads, e.events.a_buf_reads);
        prop_assert_eq!(s.events.macs, e.events.macs);
        prop_assert_eq!(traffic(&s).b_read, traffic(&e).b_read);
        // Fills are what came from DRAM; the array's schedule is the same, only stalls differ.
        prop_assert_eq!(s.events.a_buf_write_elems, s.events.dram_a_read_bytes);
        prop_assert_eq!(s.total_cycles - s.stall_cycles, e.total_cycles - e.stall_cycles);
    }
}

/// SCALE-Sim's fold order for a convolution group with `n` filters.
fn ss(cfg: &ArchConfig, df: Dataflow, geom: &Im2col, n: usize) -> systole_sim::mapping::Mapping {
    let (m, k) = geom.mk();
    systole_sim::mapping::Mapping::scalesim(cfg, df, systole_sim::workload::GemmShape { m, n, k })
}
