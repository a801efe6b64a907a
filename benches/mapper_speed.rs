//! The mapper's speed (`docs/mapping.md`): how many mappings the closed forms evaluate per second
//! on one core, how long the search of every layer of ResNet-50 takes for all three dataflows,
//! and the README's main job (`systole run`: ResNet-18 on `edge-16x16`, every dataflow searched,
//! each chosen mapping and SCALE-Sim's order simulated cycle by cycle).
//!
//! Run: `cargo bench --bench mapper_speed`

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use systole_sim::config::{ArchConfig, Dataflow};
use systole_sim::energy::{EnergyModel, Prices};
use systole_sim::mapper::{cost, search, MappingPolicy, Objective};
use systole_sim::mapping::Mapping;
use systole_sim::run::{choose_mappings, run_workload};
use systole_sim::workload::{GemmShape, LayerOp, Workload};

/// Every candidate of every distinct GEMM of ResNet-50 on `edge-16x16`, in every dataflow.
fn resnet50_candidates(cfg: &ArchConfig) -> Vec<(Dataflow, GemmShape, Mapping)> {
    let w = Workload::load("resnet50").unwrap();
    let mut shapes: Vec<GemmShape> = w.layers.iter().map(|l| l.shape()).collect();
    shapes.sort_by_key(|s| (s.m, s.n, s.k));
    shapes.dedup();
    let mut all = Vec::new();
    for df in Dataflow::ALL {
        for &s in &shapes {
            for m in search::candidates(cfg, df, s) {
                all.push((df, s, m));
            }
        }
    }
    all
}

fn evaluate(c: &mut Criterion) {
    let cfg = ArchConfig::preset("edge-16x16").unwrap();
    let cands = resnet50_candidates(&cfg);
    let mut group = c.benchmark_group("mapper");
    group.throughput(Throughput::Elements(cands.len() as u64));
    group.bench_function("evaluate/resnet50-candidates/edge-16x16", |b| {
        b.iter(|| {
            let mut ok = 0u64;
            for (df, s, m) in &cands {
                ok += u64::from(cost::evaluate(&cfg, *df, *s, m, None, false).is_ok());
            }
            ok
        })
    });
    group.finish();
}

fn search_resnet50(c: &mut Criterion) {
    let cfg = ArchConfig::preset("edge-16x16").unwrap();
    let w = Workload::load("resnet50").unwrap();
    let energy = EnergyModel::default();
    let policy = MappingPolicy::Search(Objective::Edp);
    let mut group = c.benchmark_group("mapper");
    group.sample_size(10);
    group.bench_function("search/resnet50/edge-16x16/os+ws+is", |b| {
        b.iter(|| choose_mappings(&cfg, &w, &Dataflow::ALL, &policy, &energy).unwrap())
    });
    // The same search with the prices built once, as the CLI does, one layer at a time on one
    // core: what a single-threaded caller pays.
    let prices = Prices::of(&cfg, &energy);
    group.bench_function("search/resnet50/edge-16x16/os+ws+is/one-core", |b| {
        b.iter(|| {
            let mut evaluated = 0u64;
            for df in Dataflow::ALL {
                for l in &w.layers {
                    let conv = match l.op {
                        LayerOp::Conv(c) => Some(c.im2col()),
                        _ => None,
                    };
                    let choice = search::search(
                        &cfg,
                        df,
                        l.shape(),
                        conv.as_ref(),
                        false,
                        Objective::Edp,
                        &prices,
                    )
                    .unwrap();
                    evaluated += choice.evaluated;
                }
            }
            evaluated
        })
    });
    group.finish();
}

fn main_job(c: &mut Criterion) {
    let cfg = ArchConfig::preset("edge-16x16").unwrap();
    let w = Workload::load("resnet18").unwrap();
    let energy = EnergyModel::default();
    let mut group = c.benchmark_group("run");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(60));
    group.bench_function("main-job/resnet18/edge-16x16/os+ws+is/search", |b| {
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

criterion_group! {
    name = benches;
    // No HTML plots: the numbers go into the README, and criterion's plots need a system font.
    config = Criterion::default().without_plots();
    targets = evaluate, search_resnet50, main_job
}
criterion_main!(benches);
