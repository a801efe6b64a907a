//! Simulation speed of the fast model: simulated PE-cycles per second (cycles x R x C of the run,
//! divided by wall time), single thread, on a 512x512x512 GEMM for a 16x16 and a 128x128 array,
//! every dataflow, with the ideal memory model (the array alone: cycles = total cycles) and with
//! DRAM (the memory system too: cycles = end-to-end cycles, stalls included; a stalled cycle
//! steps only the DMA). Criterion's "elem/s" is PE-cycles per second.
//!
//! Run: `cargo bench --bench array_speed`. Each run goes through `RunRequest` on the fast
//! backend, the one way in that the CLI and the tests use; before the run it does what
//! `simulate_gemm` does (the operand checks and SCALE-Sim's mapping) and refuses what the fast
//! backend cannot do.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use systole_hdl::backend::{Backend, RunRequest};
use systole_sim::array::GemmRun;
use systole_sim::config::{ArchConfig, Dataflow, MemoryModel};
use systole_sim::matrix::Matrix;
use systole_sim::probe::NoProbe;

/// One run on the fast backend, as the CLI and the tests make it.
fn fast(cfg: &ArchConfig, df: Dataflow, a: &Matrix<i8>, b: &Matrix<i8>) -> GemmRun {
    Backend::Fast
        .run(RunRequest::new(cfg, df, a, b), &mut NoProbe)
        .unwrap()
        .run
}

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
                let cycles = fast(&cfg, df, &a, &b).stats.latency_cycles;
                group.throughput(Throughput::Elements(cycles * cfg.pes()));
                group.bench_with_input(
                    BenchmarkId::new(format!("{r}x{cols}/{}", memory.name()), df.name()),
                    &df,
                    |bench, &df| bench.iter(|| fast(&cfg, df, &a, &b)),
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
