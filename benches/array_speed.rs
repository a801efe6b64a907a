//! Simulation speed of the fast model: simulated PE-cycles per second (cycles x R x C of the run,
//! divided by wall time), single thread, on a 512x512x512 GEMM for a 16x16 and a 128x128 array,
//! every dataflow, with the ideal memory model (the array alone: cycles = total cycles) and with
//! DRAM (the memory system too: cycles = end-to-end cycles, stalls included; a stalled cycle
//! steps only the DMA). Criterion's "elem/s" is PE-cycles per second.
//!
//! Run: `cargo bench --bench array_speed`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use systole_sim::array::simulate_gemm;
use systole_sim::config::{ArchConfig, Dataflow, MemoryModel};
use systole_sim::matrix::Matrix;

fn pe_cycles(c: &mut Criterion) {
    let (m, n, k) = (512, 512, 512);
    let a = Matrix::random(m, k, 1);
    let b = Matrix::random(k, n, 2);
    let mut group = c.benchmark_group("gemm_512x512x512");
    group.sample_size(10);
    for (r, cols) in [(16u32, 16u32), (128, 128)] {
        for memory in [MemoryModel::Ideal, MemoryModel::Dram] {
            let cfg = ArchConfig::preset("edge-16x16")
                .unwrap()
                .with_shape(Some(r), Some(cols))
                .unwrap()
                .with_memory(None, Some(memory))
                .unwrap();
            for df in Dataflow::ALL {
                let cycles = simulate_gemm(&cfg, df, &a, &b)
                    .unwrap()
                    .stats
                    .latency_cycles;
                group.throughput(Throughput::Elements(cycles * cfg.pes()));
                group.bench_with_input(
                    BenchmarkId::new(format!("{r}x{cols}/{}", memory.name()), df.name()),
                    &df,
                    |bench, &df| bench.iter(|| simulate_gemm(&cfg, df, &a, &b).unwrap()),
                );
            }
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // No HTML plots: the numbers go into the README, and criterion's plots would need a font
    // registered with plotters (the CLI registers its own for the report plots).
    config = Criterion::default().without_plots();
    targets = pe_cycles
}
criterion_main!(benches);
