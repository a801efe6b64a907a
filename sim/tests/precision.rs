//! Precision as a design parameter (`array.operand_bits` = 4, 8, 16): on the fast model, C is the
//! exact int32 product at every width (int16 products wrap the int32 accumulator as the hardware
//! does); with the whole problem on chip the array's cycles and event counts do not depend on the
//! width, except the bank words, which follow the bits moved; with DRAM, int4 operands move
//! packed two to a byte and the counted bytes equal the closed form; values outside the width
//! are refused.

use proptest::prelude::*;
use systole_sim::array::{memory_plan, simulate_conv_with_probe, simulate_gemm};
use systole_sim::config::{ArchConfig, BufferId, Dataflow, MemoryModel};
use systole_sim::error::RunError;
use systole_sim::mapping::schedule::closed_form_cycles;
use systole_sim::matrix::{operand_range, random_operands, reference_matmul, Matrix, Operand};
use systole_sim::memory::dma::DramTraffic;
use systole_sim::probe::NoProbe;
use systole_sim::stats::RunStats;
use systole_sim::workload::im2col::Im2col;
use systole_sim::workload::GemmShape;

fn dataflow() -> impl Strategy<Value = Dataflow> {
    prop_oneof![Just(Dataflow::Os), Just(Dataflow::Ws), Just(Dataflow::Is)]
}

fn bits() -> impl Strategy<Value = u32> {
    prop_oneof![Just(4u32), Just(8u32), Just(16u32)]
}

/// `bits`-wide values biased toward the ends of the range, in container `T`.
fn values<T: Operand + TryFrom<i32>>(bits: u32, len: usize) -> impl Strategy<Value = Vec<T>> {
    let r = operand_range(bits);
    let (lo, hi) = (*r.start(), *r.end());
    let one = prop_oneof![
        3 => lo..=hi,
        1 => Just(lo),
        1 => Just(hi),
        1 => Just(-1),
        1 => Just(0),
    ];
    prop::collection::vec(one, len).prop_map(|v| {
        v.into_iter()
            .map(|x| T::try_from(x).unwrap_or_else(|_| unreachable!("{x} fits")))
            .collect()
    })
}

/// A machine of `r x c` PEs with `bits`-wide operands (bank counts derived), memory `mem`.
fn machine(r: u32, c: u32, bits: u32, mem: MemoryModel) -> ArchConfig {
    let mut cfg = ArchConfig::preset("tiny-4x4").unwrap();
    cfg.set_operand_bits(bits);
    let mut cfg = cfg.with_shape(Some(r), Some(c)).unwrap();
    cfg.memory = mem;
    cfg.validate().unwrap();
    cfg
}

/// Runs `a x b`, checks C against the reference and returns the statistics.
fn run<T: Operand>(cfg: &ArchConfig, df: Dataflow, a: &Matrix<T>, b: &Matrix<T>) -> RunStats {
    let run = simulate_gemm(cfg, df, a, b).unwrap();
    assert_eq!(run.c, reference_matmul(a, b), "{df} on {}", cfg.name);
    run.stats
}

/// Runs a GEMM of shape `s` on seeded operands of the machine's width: i16 for int16, i8
/// otherwise.
fn run_random(cfg: &ArchConfig, df: Dataflow, s: GemmShape) -> RunStats {
    fn go<T: Operand + TryFrom<i32>>(cfg: &ArchConfig, df: Dataflow, s: GemmShape) -> RunStats {
        let bits = cfg.array.operand_bits;
        let a: Matrix<T> = random_operands(s.m, s.k, bits, 11);
        run(cfg, df, &a, &random_operands(s.k, s.n, bits, 12))
    }
    match cfg.array.operand_bits {
        16 => go::<i16>(cfg, df, s),
        _ => go::<i8>(cfg, df, s),
    }
}

/// Runs one group of `conv` (16 filters) on a seeded ifmap and filters of the machine's width,
/// checks C and returns the statistics.
fn run_conv(cfg: &ArchConfig, df: Dataflow, geom: &Im2col) -> RunStats {
    fn go<T: Operand + TryFrom<i32>>(cfg: &ArchConfig, df: Dataflow, geom: &Im2col) -> RunStats {
        let bits = cfg.array.operand_bits;
        let ifmap: Matrix<T> =
            random_operands(geom.rows() as usize, geom.row_elems() as usize, bits, 3);
        let a = geom.expand(ifmap.as_slice());
        let b = random_operands(a.cols(), 16, bits, 4);
        let r = simulate_conv_with_probe(
            cfg,
            df,
            geom,
            &ss(cfg, df, geom, b.cols()),
            (&a, &b),
            None,
            &mut NoProbe,
        )
        .unwrap();
        assert_eq!(r.c, reference_matmul(&a, &b), "{df} on {}", cfg.name);
        r.stats
    }
    match cfg.array.operand_bits {
        16 => go::<i16>(cfg, df, geom),
        _ => go::<i8>(cfg, df, geom),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    /// int16 operands (extremes included) give the exact wrapping int32 product in every
    /// dataflow, at the closed-form cycle count.
    #[test]
    fn int16_is_exact(
        (r, c) in (1u32..=12, 1u32..=12),
        df in dataflow(),
        ((a, b), (m, n, k)) in (1usize..=30, 1usize..=30, 1usize..=40).prop_flat_map(|(m, n, k)| (
            (values::<i16>(16, m * k), values::<i16>(16, k * n)),
            Just((m, n, k)),
        )),
    ) {
        let cfg = machine(r, c, 16, MemoryModel::Ideal);
        let (a, b) = (Matrix::from_vec(m, k, a).unwrap(), Matrix::from_vec(k, n, b).unwrap());
        let s = run(&cfg, df, &a, &b);
        prop_assert_eq!(s.total_cycles, closed_form_cycles(&cfg, df, s.shape()));
    }

    /// int4 operands (-8..=7, in i8) give the exact product in every dataflow.
    #[test]
    fn int4_is_exact(
        (r, c) in (1u32..=12, 1u32..=12),
        df in dataflow(),
        ((a, b), (m, n, k)) in (1usize..=30, 1usize..=30, 1usize..=40).prop_flat_map(|(m, n, k)| (
            (values::<i8>(4, m * k), values::<i8>(4, k * n)),
            Just((m, n, k)),
        )),
    ) {
        let cfg = machine(r, c, 4, MemoryModel::Ideal);
        let (a, b) = (Matrix::from_vec(m, k, a).unwrap(), Matrix::from_vec(k, n, b).unwrap());
        run(&cfg, df, &a, &b);
    }

    /// With the problem on chip, the width changes nothing but the bank words: the same cycles
    /// and the same element-level events at 4, 8 and 16 bits.
    #[test]
    fn on_chip_cycles_and_events_do_not_depend_on_the_width(
        (r, c) in (1u32..=10, 1u32..=10),
        df in dataflow(),
        (m, n, k) in (1usize..=40, 1usize..=40, 1usize..=60),
    ) {
        let s = GemmShape { m, n, k };
        let runs: Vec<RunStats> = [4, 8, 16]
            .iter()
            .map(|&bits| run_random(&machine(r, c, bits, MemoryModel::Ideal), df, s))
            .collect();
        for (bits, x) in [4u32, 16].iter().zip([&runs[0], &runs[2]]) {
            let y = &runs[1];
            prop_assert_eq!(x.total_cycles, y.total_cycles, "int{}", bits);
            let (mut ex, mut ey) = (x.events, y.events);
            // Bank words depend on the bits per access; everything else is per element.
            for e in [&mut ex, &mut ey] {
                e.a_buf_reads = 0;
                e.b_buf_reads = 0;
            }
            prop_assert_eq!(ex, ey, "int{}", bits);
        }
    }

    /// With DRAM, the counted bytes equal the closed form at every width (int4 packed two to a
    /// byte, every vector rounded up to a whole byte), for every reuse case.
    #[test]
    fn dram_bytes_follow_the_closed_form_at_every_width(
        (r, c) in (1u32..=9, 1u32..=9),
        bits in bits(),
        (ka, kb, kc) in (1u32..=3, 1u32..=3, 1u32..=6),
        (bw, lat) in (1u32..=32, 0u32..=30),
        df in dataflow(),
        (m, n, k) in (1usize..=200, 1usize..=40, 1usize..=200),
    ) {
        let mut cfg = machine(r, c, bits, MemoryModel::Dram);
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
        let s = run_random(&cfg, df, shape);
        prop_assert_eq!(DramTraffic::counted(&s.events), want);
        prop_assert!(want.total() >= DramTraffic::compulsory(&cfg, df, shape).total());
    }
}

/// The compulsory bytes by hand: an OS GEMM on 4x4 PEs with M = 6 (A's vectors of 4 then 2
/// lanes) and N = 5 (B's vectors of 4 then 1).
#[test]
fn compulsory_bytes_by_hand() {
    let shape = GemmShape { m: 6, n: 5, k: 3 };
    for (bits, a, b) in [
        // int4: A = 3 x (2 + 1) bytes, B = 3 x (2 + 1): the 1-lane vector of B still takes a byte.
        (4, 9, 9),
        (8, 18, 15),
        (16, 36, 30),
    ] {
        let cfg = machine(4, 4, bits, MemoryModel::Dram);
        let t = DramTraffic::compulsory(&cfg, Dataflow::Os, shape);
        assert_eq!((t.a_read, t.b_read, t.c_write), (a, b, 120), "int{bits}");
        let s = run_random(&cfg, Dataflow::Os, shape);
        assert_eq!(DramTraffic::counted(&s.events), t, "int{bits}");
        assert_eq!(
            cfg.packed_bytes(BufferId::A, 5),
            (5 * u64::from(bits)).div_ceil(8)
        );
    }
}

/// int16 products wrap the int32 accumulator: two products of (-32768)^2 = 2^30 each, and a
/// third, reach 3 x 2^30, which wraps to -2^30, in every dataflow.
#[test]
fn int16_accumulation_wraps() {
    let cfg = machine(2, 2, 16, MemoryModel::Ideal);
    let a = Matrix::from_vec(1, 3, vec![i16::MIN; 3]).unwrap();
    let b = Matrix::from_vec(3, 1, vec![i16::MIN; 3]).unwrap();
    for df in Dataflow::ALL {
        let r = simulate_gemm(&cfg, df, &a, &b).unwrap();
        assert_eq!(r.c.get(0, 0), -(1 << 30), "{df}");
    }
}

/// Values outside the width are refused with where they are; an int16 machine takes int8
/// data, an int8 machine refuses int16 values beyond int8.
#[test]
fn values_outside_the_width_are_refused() {
    let cfg = machine(4, 4, 4, MemoryModel::Ideal);
    let ok = Matrix::from_vec(2, 2, vec![-8i8, 7, 0, 1]).unwrap();
    let bad = Matrix::from_vec(2, 2, vec![-8i8, 7, 8, 1]).unwrap();
    assert!(simulate_gemm(&cfg, Dataflow::Os, &ok, &ok).is_ok());
    let e = simulate_gemm(&cfg, Dataflow::Os, &ok, &bad).unwrap_err();
    assert!(
        matches!(
            e,
            RunError::OperandRange {
                matrix: "B",
                row: 1,
                col: 0,
                value: 8,
                bits: 4,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("-8..=7"), "{e}");
    let wide = machine(4, 4, 16, MemoryModel::Ideal);
    assert!(simulate_gemm(&wide, Dataflow::Ws, &bad, &bad).is_ok());
    let int8 = machine(4, 4, 8, MemoryModel::Ideal);
    let big = Matrix::from_vec(1, 1, vec![128i16]).unwrap();
    let e = simulate_gemm(&int8, Dataflow::Is, &big, &big).unwrap_err();
    assert!(
        matches!(
            e,
            RunError::OperandRange {
                matrix: "A",
                value: 128,
                ..
            }
        ),
        "{e:?}"
    );
}

/// A convolution whose ifmap buffer A holds, at every width: the ifmap rows move packed (each
/// burst of a row rounded to whole bytes), the counted bytes equal the closed form, and int4
/// reads about half of int8's ifmap bytes, int16 twice.
#[test]
fn ifmap_rows_move_packed_at_every_width() {
    use systole_sim::array::conv_memory_plan;
    use systole_sim::config::ConvInput;
    use systole_sim::memory::dma::Reuse;
    use systole_sim::workload::layer::Conv;
    // 7 channels: a row of 20 x 7 = 140 elements goes out in bursts of 16 lanes, the last of
    // 12 (6 bytes at int4).
    let conv = Conv::unpadded((20, 20), (3, 3), 7, 16, 1).padded(1);
    let geom = conv.im2col();
    let mut read = Vec::new();
    for bits in [4u32, 8, 16] {
        for (df, window) in [
            (Dataflow::Os, false),
            (Dataflow::Os, true),
            (Dataflow::Ws, false),
        ] {
            let mut cfg = ArchConfig::preset("edge-16x16").unwrap();
            cfg.set_operand_bits(bits);
            cfg.conv_input = ConvInput::Ifmap;
            if window {
                cfg.buffers.a.capacity_kib = 1;
            }
            cfg.validate().unwrap();
            let (plan, want) = conv_memory_plan(&cfg, df, &geom, 16, &ss(&cfg, df, &geom, 16))
                .unwrap()
                .unwrap();
            let expect = if window {
                Reuse::IfmapWindow
            } else {
                Reuse::IfmapWhole
            };
            if window && bits == 16 && plan.a != expect {
                // (int16 rows no longer fit the 1 KiB buffer: A stays a matrix.)
                continue;
            }
            assert_eq!(plan.a, expect, "int{bits} {df}");
            let s = run_conv(&cfg, df, &geom);
            assert_eq!(DramTraffic::counted(&s.events), want, "int{bits} {df}");
            if df == Dataflow::Os && !window {
                read.push(s.events.dram_a_read_bytes);
            }
        }
    }
    // The whole ifmap in one pass: its 20 rows, each 8 bursts of 16 lanes and one of 12.
    let row_bytes = |bits: u64| 8 * (16 * bits).div_ceil(8) + (12 * bits).div_ceil(8);
    assert_eq!(
        read,
        [20 * row_bytes(4), 20 * row_bytes(8), 20 * row_bytes(16)]
    );
}

/// SCALE-Sim's fold order for a convolution group with `n` filters.
fn ss(cfg: &ArchConfig, df: Dataflow, geom: &Im2col, n: usize) -> systole_sim::mapping::Mapping {
    let (m, k) = geom.mk();
    systole_sim::mapping::Mapping::scalesim(cfg, df, systole_sim::workload::GemmShape { m, n, k })
}
