//! `systole infer`: a built-in quantized network run layer by layer on one backend, each layer's
//! int8 output the next layer's input, every layer checked against the direct reference.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use serde::Serialize;
use systole_sim::array::check_output_stage;
use systole_sim::config::Dataflow;
use systole_sim::energy::{estimate, EnergyBreakdown};
use systole_sim::matrix::Matrix;
use systole_sim::npy;
use systole_sim::stats::RunStats;
use systole_sim::workload::quantized::{QuantNet, NAMES};
use systole_sim::workload::LayerOp;

use super::gemm::{choose_mapping, int8_c, simulate};
use super::{parse_dataflow, ArchArgs, EnergyArgs, MappingArgs};
use systole_hdl::backend::Backend;

#[derive(Debug, Args)]
pub struct InferArgs {
    #[command(flatten)]
    arch: ArchArgs,
    #[command(flatten)]
    energy: EnergyArgs,
    #[command(flatten)]
    mapping: MappingArgs,
    /// The built-in quantized network (int8-cnn).
    #[arg(long, default_value = "int8-cnn", value_name = "NAME")]
    network: String,
    /// Dataflow: os, ws or is.
    #[arg(long, default_value = "os", value_parser = parse_dataflow)]
    dataflow: Dataflow,
    /// Simulator: fast, rtl, verilator or icarus (as for `systole gemm`). Every layer runs as a
    /// GEMM on the host's im2col matrix, so all four give the same outputs, cycles and counts.
    #[arg(long, default_value = "fast", value_parser = super::backend_parser())]
    backend: Backend,
    /// Write the network (input, weights, biases, requantization, zero points, clamps) and every
    /// layer's output as .npy files, with `network.json` describing them, to DIR.
    #[arg(long, value_name = "DIR")]
    export: Option<PathBuf>,
    /// Print the results as JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// One layer's result.
#[derive(Serialize)]
struct LayerResult {
    name: String,
    layer: String,
    /// Run statistics of the layer's GEMM (cycles, counts, ...).
    stats: RunStats,
    /// Energy per component, pJ.
    energy_pj: EnergyBreakdown,
    /// Wall time of the simulation (as `systole gemm --json` reports it), seconds.
    sim_seconds: f64,
}

/// `--json` output.
#[derive(Serialize)]
struct InferJson<'a> {
    network: &'a str,
    arch: &'a str,
    dataflow: Dataflow,
    backend: &'static str,
    tech: &'a str,
    layers: &'a [LayerResult],
    /// Sums over the layers: end-to-end cycles (as `run` counts them), and cycles from cycle 0 to
    /// the last write of C (`total_cycles` of each layer's stats).
    latency_cycles: u64,
    total_cycles: u64,
    total_energy_pj: f64,
    /// The last layer's int8 output (every layer's output equals the direct reference: the
    /// command fails otherwise).
    output: &'a [i8],
}

pub fn run(args: InferArgs) -> anyhow::Result<()> {
    let Some(net) = QuantNet::builtin(&args.network) else {
        bail!(
            "--network {}: no such built-in quantized network (built in: {})",
            args.network,
            NAMES.join(", ")
        );
    };
    let cfg = args.arch.load()?;
    let model = args.energy.load()?;
    // Every layer's shape, mapping and output stage, before the first (possibly slow) backend
    // run.
    let mut mappings = Vec::new();
    for l in &net.layers {
        let shape = l.op.gemm().0;
        check_output_stage(&cfg, shape.n, &l.stage())
            .with_context(|| format!("layer {}", l.name))?;
        mappings.push(
            choose_mapping(&args.mapping, &cfg, args.dataflow, (shape, true), &model)
                .with_context(|| format!("layer {}", l.name))?,
        );
    }
    let want = net.reference();
    let mut results = Vec::new();
    let outs = net.forward(|i, l, a, st| -> anyhow::Result<Matrix<i8>> {
        let (run, sim_seconds) = simulate(
            args.backend,
            None,
            &cfg,
            (args.dataflow, &mappings[i]),
            (a, &l.weights),
            Some(st),
        )
        .with_context(|| format!("layer {}", l.name))?;
        let c = int8_c(&run.c, args.backend)?;
        if c.as_slice() != &want[i][..] {
            let bad = c.as_slice().iter().zip(&want[i]).filter(|(x, y)| x != y);
            bail!(
                "layer {}: {} of {} outputs on the {} backend differ from the direct reference",
                l.name,
                bad.count(),
                want[i].len(),
                args.backend.name()
            );
        }
        let e = estimate(&cfg, &run.stats.events, run.stats.latency_cycles, &model);
        results.push(LayerResult {
            name: l.name.clone(),
            layer: l.op.describe(),
            stats: run.stats,
            energy_pj: e.energy_pj,
            sim_seconds,
        });
        Ok(c)
    })?;
    if let Some(dir) = &args.export {
        export(&net, &outs, dir)?;
    }
    let output = outs.last().map_or(&[][..], |m| m.as_slice());
    let total_cycles: u64 = results.iter().map(|r| r.stats.total_cycles).sum();
    let latency_cycles: u64 = results.iter().map(|r| r.stats.latency_cycles).sum();
    let total_energy_pj: f64 = results.iter().map(|r| r.energy_pj.total).sum();
    if args.json {
        let j = InferJson {
            network: &net.name,
            arch: &cfg.name,
            dataflow: args.dataflow,
            backend: args.backend.name(),
            tech: &model.tech.name,
            layers: &results,
            latency_cycles,
            total_cycles,
            total_energy_pj,
            output,
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&j).context("serialising")?
        );
        return Ok(());
    }
    println!(
        "{} on {} ({}x{} PEs, {} memory), {}, backend {}; energy: {} table",
        net.name,
        cfg.name,
        cfg.array.rows,
        cfg.array.cols,
        cfg.memory.name(),
        args.dataflow.name().to_uppercase(),
        args.backend.name(),
        model.tech.name
    );
    println!("{}\n", net.source);
    println!(
        "{:<6} {:<38} {:>11} {:>10} {:>9} {:>10} {:>8}",
        "layer", "op", "GEMM MxNxK", "e2e cycles", "stage ops", "energy nJ", "sim s"
    );
    for r in &results {
        let s = &r.stats;
        println!(
            "{:<6} {:<38} {:>11} {:>10} {:>9} {:>10.1} {:>8.3}",
            r.name,
            r.layer,
            format!("{}x{}x{}", s.m, s.n, s.k),
            s.latency_cycles,
            s.events.output_stage_ops,
            r.energy_pj.total / 1e3,
            r.sim_seconds
        );
    }
    println!(
        "{:<6} {:<38} {:>11} {:>10} {:>9} {:>10.1}",
        "total",
        "",
        "",
        latency_cycles,
        results
            .iter()
            .map(|r| r.stats.events.output_stage_ops)
            .sum::<u64>(),
        total_energy_pj / 1e3
    );
    let argmax = output
        .iter()
        .enumerate()
        .max_by_key(|&(i, &v)| (v, std::cmp::Reverse(i)))
        .map_or(0, |(i, _)| i);
    println!(
        "\noutput ({}, int8): {:?}, argmax {argmax}",
        net.layers.last().map_or("", |l| &l.name),
        output
    );
    println!(
        "check: every layer's int8 output equals the direct reference (convolution loops over (x - zp) x w, TFLite's requantization)"
    );
    if let Some(dir) = &args.export {
        println!("network and outputs written to {}", dir.display());
    }
    Ok(())
}

/// Writes the network and every layer's output to `dir` (see `--export`).
fn export(net: &QuantNet, outs: &[Matrix<i8>], dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let (h, w, c) = net.input_hwc;
    let input = Matrix::from_vec(h * w, c, net.input.clone()).expect("H*W x C");
    npy::write_i8_matrix(&dir.join("input.npy"), &input)?;
    let mut layers = Vec::new();
    for (l, out) in net.layers.iter().zip(outs) {
        let file = |what: &str| format!("{}-{what}.npy", l.name);
        npy::write_i8_matrix(&dir.join(file("weights")), &l.weights)?;
        let n = l.bias.len();
        npy::write_i32_matrix(
            &dir.join(file("bias")),
            &Matrix::from_vec(1, n, l.bias.clone()).expect("1 x N"),
        )?;
        let requant: Vec<i32> = l
            .requant
            .iter()
            .flat_map(|r| [r.multiplier, r.shift])
            .collect();
        npy::write_i32_matrix(
            &dir.join(file("requant")),
            &Matrix::from_vec(n, 2, requant).expect("N x 2"),
        )?;
        npy::write_i8_matrix(&dir.join(file("output")), out)?;
        let shape = match l.op {
            LayerOp::Conv(c) => serde_json::json!({
                "kind": "conv",
                "ifmap": [c.ifmap_h, c.ifmap_w, c.channels],
                "filter": [c.filter_h, c.filter_w],
                "filters": c.filters,
                "stride": [c.stride_h, c.stride_w],
                "padding": [c.pad_top, c.pad_bottom, c.pad_left, c.pad_right],
                "ofmap": [c.ofmap_h(), c.ofmap_w(), c.filters],
            }),
            LayerOp::Fc {
                inputs, outputs, ..
            } => serde_json::json!({"kind": "fc", "inputs": inputs, "outputs": outputs}),
            LayerOp::Gemm { m, n, k } => {
                serde_json::json!({"kind": "gemm", "m": m, "n": n, "k": k})
            }
        };
        layers.push(serde_json::json!({
            "name": l.name,
            "shape": shape,
            "in_zero_point": l.in_zero_point,
            "out_zero_point": l.out_zero_point,
            "activation": l.activation,
            "clamp": [l.clamp.0, l.clamp.1],
            "in_scale": l.in_scale,
            "weight_scales": l.weight_scales,
            "out_scale": l.out_scale,
            "weights": file("weights"),
            "bias": file("bias"),
            "requant": file("requant"),
            "output": file("output"),
        }));
    }
    let manifest = serde_json::json!({
        "name": net.name,
        "source": net.source,
        "input": "input.npy",
        "input_hwc": [h, w, c],
        "layout": "NHWC activations (conv outputs as (H*W, C)); weights K x N with k = (fh*filter_w + fw)*channels + c; bias (1, N); requant (N, 2): multiplier, shift; scales float32",
        "layers": layers,
    });
    let path = dir.join("network.json");
    std::fs::write(&path, serde_json::to_string_pretty(&manifest)?)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
