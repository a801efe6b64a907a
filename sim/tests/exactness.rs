//! Property tests: for random shapes, data, array sizes (1x1 to 32x32, non-square), read
//! latencies and every dataflow, C equals the reference product bit for bit, the cycle count equals
//! the closed form of `docs/microarchitecture.md`, and the cycle-level counts are consistent.

use proptest::prelude::*;
use systole_sim::array::simulate_gemm;
use systole_sim::config::{Dataflow, MemoryModel};
use systole_sim::mapping::schedule::closed_form_cycles;
use systole_sim::matrix::{reference_matmul, Matrix};
use systole_sim::testing::tiny_latencies;

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
        let cfg = tiny_latencies(r, c, (la, lb, lc));
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
        let cfg = tiny_latencies(r, c, (1, 1, 1));
        let os = simulate_gemm(&cfg, Dataflow::Os, &a, &b).unwrap().c;
        let ws = simulate_gemm(&cfg, Dataflow::Ws, &a, &b).unwrap().c;
        let is = simulate_gemm(&cfg, Dataflow::Is, &a, &b).unwrap().c;
        prop_assert_eq!(&os, &ws);
        prop_assert_eq!(&os, &is);
    }

    /// With DRAM in play, stalls freeze the machine: C is still exact, the active cycles still
    /// follow the closed form (total = closed form + stalls), every datapath event is unchanged,
    /// and each DRAM byte written into a buffer is counted once.
    #[test]
    fn dram_stalls_freeze_the_machine_and_change_nothing_else(
        (r, c) in (1u32..=12, 1u32..=12),
        (la, lb, lc) in (1u32..=3, 1u32..=3, prop_oneof![1u32..=3, 20u32..=64]),
        (bw, lat) in (1u32..=64, prop_oneof![0u32..=40, 500u32..=3000]),
        (ka, kb, kc) in (1u32..=4, 1u32..=4, 1u32..=4),
        extra_banks in 1u32..=3,
        df in dataflow(),
        ((a, b), _) in (1usize..=40, 1usize..=40, 1usize..=70)
            .prop_flat_map(|(m, n, k)| (operands(m, n, k), Just((m, n, k)))),
    ) {
        let ideal = tiny_latencies(r, c, (la, lb, lc));
        let mut cfg = ideal.clone();
        cfg.memory = MemoryModel::Dram;
        cfg.dram.bytes_per_cycle = bw;
        cfg.dram.latency_cycles = lat;
        cfg.buffers.a.capacity_kib = ka;
        cfg.buffers.b.capacity_kib = kb;
        cfg.buffers.c.capacity_kib = kc;
        for buf in [&mut cfg.buffers.a, &mut cfg.buffers.b, &mut cfg.buffers.c] {
            // Wider addresses than the edge needs: fewer, fatter slots.
            buf.banks *= extra_banks;
        }
        prop_assume!(cfg.validate().is_ok());
        let run = match simulate_gemm(&cfg, df, &a, &b) {
            Ok(run) => run,
            // Only a C buffer too small to spill partial sums is refused, and it says so.
            Err(e) => {
                prop_assert!(e.to_string().contains("spilling"), "{e}");
                prop_assume!(false);
                unreachable!()
            }
        };
        let base = simulate_gemm(&ideal, df, &a, &b).unwrap();
        prop_assert_eq!(&run.c, &base.c);
        let s = &run.stats;
        prop_assert_eq!(s.total_cycles, base.stats.total_cycles + s.stall_cycles);
        prop_assert_eq!(s.latency_cycles, s.load_cycles + s.total_cycles + s.writeback_cycles);
        prop_assert_eq!(s.events.idle_pe_cycles + s.macs, s.total_cycles * cfg.pes());
        let fold_sum: u64 = s.fold_cycles.iter().map(|f| f.cycles * f.folds).sum();
        prop_assert_eq!(fold_sum, s.total_cycles);
        // The datapath's events are those of the ideal run.
        let (mut e, mut i) = (s.events, base.stats.events);
        for ev in [&mut e, &mut i] {
            ev.idle_pe_cycles = 0;
            ev.a_buf_writes = 0;
            ev.a_buf_write_elems = 0;
            ev.b_buf_writes = 0;
            ev.b_buf_write_elems = 0;
            ev.dram_a_read_bytes = 0;
            ev.dram_b_read_bytes = 0;
            ev.dram_c_read_bytes = 0;
            ev.dram_c_write_bytes = 0;
        }
        // C: the DMA's drains add reads and its refetches add writes, one per row moved.
        let drained = s.events.dram_c_write_bytes / 4;
        let refetched = s.events.dram_c_read_bytes / 4;
        prop_assert_eq!(e.c_buf_read_elems, i.c_buf_read_elems + drained);
        prop_assert_eq!(e.c_buf_write_elems, i.c_buf_write_elems + refetched);
        e.c_buf_reads = 0; e.c_buf_read_elems = 0; e.c_buf_writes = 0; e.c_buf_write_elems = 0;
        i.c_buf_reads = 0; i.c_buf_read_elems = 0; i.c_buf_writes = 0; i.c_buf_write_elems = 0;
        prop_assert_eq!(e, i);
        // Every fetched byte lands in its buffer, and every result leaves at least once.
        prop_assert_eq!(s.events.a_buf_write_elems, s.events.dram_a_read_bytes);
        prop_assert_eq!(s.events.b_buf_write_elems, s.events.dram_b_read_bytes);
        prop_assert!(s.events.dram_a_read_bytes >= (a.rows() * a.cols()) as u64);
        prop_assert!(s.events.dram_b_read_bytes >= (b.rows() * b.cols()) as u64);
        prop_assert!(s.dram_write_bytes >= 4 * (a.rows() * b.cols()) as u64);
    }
}
