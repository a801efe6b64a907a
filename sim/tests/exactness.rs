//! Property tests: for random shapes, data, array sizes (1x1 to 32x32, non-square), read
//! latencies and every dataflow, C equals the reference product bit for bit, the cycle count equals
//! the closed form of `docs/microarchitecture.md`, and the cycle-level counts are consistent.

use proptest::prelude::*;
use systole_sim::array::schedule::closed_form_cycles;
use systole_sim::array::simulate_gemm;
use systole_sim::config::{ArchConfig, Dataflow};
use systole_sim::matrix::{reference_matmul, Matrix};

fn arch(r: u32, c: u32, la: u32, lb: u32, lc: u32) -> ArchConfig {
    let mut cfg = ArchConfig::preset("tiny-4x4")
        .unwrap()
        .with_shape(Some(r), Some(c))
        .unwrap();
    cfg.buffers.a.read_latency = la;
    cfg.buffers.b.read_latency = lb;
    cfg.buffers.c.read_latency = lc;
    cfg.validate().unwrap();
    cfg
}

fn dataflow() -> impl Strategy<Value = Dataflow> {
    prop_oneof![Just(Dataflow::Os), Just(Dataflow::Ws), Just(Dataflow::Is)]
}

/// int8 data biased toward the extremes (-128, -1, 0, 127) as well as uniform values.
fn int8() -> impl Strategy<Value = i8> {
    prop_oneof![
        3 => any::<i8>(),
        1 => Just(-128i8),
        1 => Just(127i8),
        1 => Just(-1i8),
        1 => Just(0i8),
    ]
}

fn operands(m: usize, n: usize, k: usize) -> impl Strategy<Value = (Matrix<i8>, Matrix<i8>)> {
    (
        prop::collection::vec(int8(), m * k),
        prop::collection::vec(int8(), k * n),
    )
        .prop_map(move |(a, b)| {
            (
                Matrix::from_vec(m, k, a).unwrap(),
                Matrix::from_vec(k, n, b).unwrap(),
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn c_is_exact_and_cycles_follow_the_closed_form(
        (r, c) in (1u32..=32, 1u32..=32),
        (la, lb, lc) in (1u32..=3, 1u32..=3, 1u32..=3),
        df in dataflow(),
        ((a, b), (m, n, k)) in (1usize..=40, 1usize..=40, 1usize..=70)
            .prop_flat_map(|(m, n, k)| (operands(m, n, k), Just((m, n, k)))),
    ) {
        let cfg = arch(r, c, la, lb, lc);
        let run = simulate_gemm(&cfg, df, &a, &b).unwrap();
        prop_assert_eq!(&run.c, &reference_matmul(&a, &b));
        prop_assert_eq!(run.stats.total_cycles, closed_form_cycles(&cfg, df, run.stats.shape()));
        prop_assert_eq!(run.stats.macs, (m * n * k) as u64);
        prop_assert_eq!(
            run.stats.events.idle_pe_cycles + run.stats.macs,
            run.stats.total_cycles * cfg.pes()
        );
        let fold_sum: u64 = run.stats.fold_cycles.iter().map(|f| f.cycles * f.folds).sum();
        prop_assert_eq!(fold_sum, run.stats.total_cycles);
        prop_assert!(run.stats.utilization > 0.0 && run.stats.utilization <= 1.0);
    }

    #[test]
    fn all_dataflows_agree_on_c(
        (r, c) in (1u32..=9, 1u32..=9),
        ((a, b), _) in (1usize..=20, 1usize..=20, 1usize..=30)
            .prop_flat_map(|(m, n, k)| (operands(m, n, k), Just((m, n, k)))),
    ) {
        let cfg = arch(r, c, 1, 1, 1);
        let os = simulate_gemm(&cfg, Dataflow::Os, &a, &b).unwrap().c;
        let ws = simulate_gemm(&cfg, Dataflow::Ws, &a, &b).unwrap().c;
        let is = simulate_gemm(&cfg, Dataflow::Is, &a, &b).unwrap().c;
        prop_assert_eq!(&os, &ws);
        prop_assert_eq!(&os, &is);
    }
}
