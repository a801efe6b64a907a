//! Whole workloads and sweeps, as `systole run` and `systole sweep` run them: ResNet-50 on the
//! 128x128 preset for all three dataflows (the layers in parallel on every core, DRAM memory
//! model), and the throughput of a small sweep (design points per second). The peak memory of the
//! process is printed after the runs (Linux: VmHWM).
//!
//! Run: `cargo bench --bench workload_speed`

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use systole_sim::config::{ArchConfig, Dataflow};
use systole_sim::energy::{EnergyModel, RegisterConvention, TechTable};
use systole_sim::mapper::MappingPolicy;
use systole_sim::run::run_workload;
use systole_sim::sweep::{run_job, SweepSpec, SWEEP_FORMAT};
use systole_sim::workload::Workload;

fn resnet50_tpu(c: &mut Criterion) {
    let cfg = ArchConfig::preset("tpu-128x128").unwrap();
    let w = Workload::load("resnet50").unwrap();
    let energy = EnergyModel::default();
    let mut group = c.benchmark_group("run");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(35));
    group.bench_function("resnet50/tpu-128x128/os+ws+is", |b| {
        b.iter(|| {
            run_workload(
                &cfg,
                &w,
                &Dataflow::ALL,
                (false, &MappingPolicy::default()),
                &energy,
                &|| {},
            )
            .unwrap()
        })
    });
    group.finish();
}

fn sweep_points(c: &mut Criterion) {
    // 2 shapes x 3 dataflows x 2 tables = 12 points of ResNet-18, 6 simulations.
    let spec = SweepSpec {
        format: SWEEP_FORMAT,
        workload: Workload::load("resnet18").unwrap(),
        base_arch: ArchConfig::preset("edge-16x16").unwrap(),
        rows: vec![16, 32],
        cols: vec![32],
        buffer_kib: vec![[256, 256, 256]],
        dram_bytes_per_cycle: vec![32],
        operand_bits: vec![8],
        dataflows: Dataflow::ALL.to_vec(),
        techs: vec![
            TechTable::load("45nm").unwrap(),
            TechTable::load("7nm").unwrap(),
        ],
        register_convention: RegisterConvention::WriteOnce,
        mapping: MappingPolicy::default(),
    };
    let jobs = spec.jobs();
    let mut group = c.benchmark_group("sweep");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(60));
    group.throughput(Throughput::Elements(spec.point_count()));
    group.bench_function("resnet18/12-points", |b| {
        b.iter(|| {
            use rayon::prelude::*;
            jobs.par_iter()
                .map(|j| run_job(&spec, j).len())
                .sum::<usize>()
        })
    });
    group.finish();
}

/// Prints the peak resident memory of this process (Linux only).
fn peak_memory(_: &mut Criterion) {
    if let Ok(s) = std::fs::read_to_string("/proc/self/status") {
        if let Some(l) = s.lines().find(|l| l.starts_with("VmHWM")) {
            println!(
                "peak memory of the benchmark process: {}",
                l.trim_start_matches("VmHWM:").trim()
            );
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = resnet50_tpu, sweep_points, peak_memory
}
criterion_main!(benches);
