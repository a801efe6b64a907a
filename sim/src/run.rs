//! Running a workload on an architecture for one or more dataflows (the main job of `systole run`).
//!
//! Each (dataflow, layer) pair is an independent simulation; they run in parallel (rayon) and the
//! results do not depend on the thread count. Operands are seeded random data of the machine's
//! width (int4, int8 or int16): cycles and event counts do not depend on the values, and `check`
//! compares every C with the reference.
//!
//! A quantized network ([`crate::workload::quantized`]) runs on its real data instead: in each
//! dataflow its layers run in order, each on the previous layer's int8 output, with the output
//! stage on, and `check` compares every layer's output with the network's direct reference.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::array::{simulate_conv_with_probe, simulate_gemm_staged};
use crate::config::{ArchConfig, Dataflow};
use crate::energy::{
    estimate, ActionEnergy, Efficiency, EnergyBreakdown, EnergyModel, RegisterConvention,
};
use crate::error::RunError;
use crate::matrix::{random_operands, reference_matmul, Matrix, Operand};
use crate::quant::OutputStage;
use crate::stats::{AccessWindows, RunStats, Totals};
use crate::trace::TraceWriter;
use crate::workload::{Layer, LayerOp, Workload};

/// One layer of a workload run in one dataflow. Everything is for one run of the layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerRun {
    /// Layer name.
    pub name: String,
    /// The layer as described (kind and shape), e.g. `conv 56x56x64 3x3/1 p1 -> 56x56x64`.
    pub layer: String,
    /// The dataflow.
    pub dataflow: Dataflow,
    /// How many times the layer's GEMM runs (the layer's `repeat`, times its groups for a
    /// grouped or depthwise convolution); everything else is for one run.
    pub repeat: u64,
    /// Multiply-accumulates of one run.
    pub macs: u64,
    /// Energy per component, pJ.
    pub energy_pj: EnergyBreakdown,
    /// pJ per MAC, TOPS/W, energy-delay product.
    pub efficiency: Efficiency,
    /// Statistics of one run of the layer.
    pub stats: RunStats,
    /// First and last cycle of each kind of access (for SCALE-Sim's detailed access report).
    pub windows: AccessWindows,
}

/// A whole workload in one dataflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataflowRun {
    /// The dataflow.
    pub dataflow: Dataflow,
    /// Per layer.
    pub layers: Vec<LayerRun>,
    /// Sums over the layers, repeats included.
    pub total: Totals,
    /// Energy of the whole workload per component, pJ.
    pub energy_pj: EnergyBreakdown,
    /// Figures of merit of the whole workload (delay: the sum of the layers' latencies).
    pub efficiency: Efficiency,
    /// Energy per action over the whole workload.
    pub energy_actions: Vec<ActionEnergy>,
}

/// A workload on an architecture, for each dataflow asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadRun {
    /// Workload name.
    pub workload: String,
    /// Where the workload's shapes come from.
    pub source: String,
    /// What the inputs (workload, architecture files) said that systole does not model.
    #[serde(default)]
    pub input_notes: Vec<String>,
    /// The architecture.
    pub arch: ArchConfig,
    /// The technology table the energies come from.
    pub tech: String,
    /// The register-counting convention in force.
    pub register_convention: RegisterConvention,
    /// Caveats of the energy model for this architecture.
    pub energy_notes: Vec<String>,
    /// One entry per dataflow, in the order asked for.
    pub dataflows: Vec<DataflowRun>,
}

/// What went wrong in a workload run.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadRunError {
    /// A layer cannot run.
    #[error("layer `{layer}`: {reason}")]
    Layer {
        /// The layer.
        layer: String,
        /// Why.
        reason: RunError,
    },
    /// A trace file could not be written.
    #[error("{}: cannot write the trace: {message}", path.display())]
    Trace {
        /// The file or directory.
        path: std::path::PathBuf,
        /// Why.
        message: String,
    },
    /// A total of the workload does not fit 64 bits (it saturated).
    #[error("{dataflow}: the workload's {what} do not fit 64 bits (more than 18,446,744,073,709,551,615); run fewer or smaller layers")]
    TooLarge {
        /// The dataflow.
        dataflow: Dataflow,
        /// The total, e.g. `idle_pe_cycles`.
        what: &'static str,
    },
    /// `check` found a C that differs from the reference product (a model bug).
    #[error("layer `{layer}` ({dataflow}): C differs from the reference product")]
    Mismatch {
        /// The layer.
        layer: String,
        /// The dataflow.
        dataflow: Dataflow,
    },
}

/// Runs every layer of `workload` in every dataflow of `dataflows` and charges its energy with
/// `energy`. `on_done` is called once per finished (dataflow, layer) pair, from any thread. With
/// `check`, every C is compared with [`reference_matmul`].
pub fn run_workload(
    cfg: &ArchConfig,
    workload: &Workload,
    dataflows: &[Dataflow],
    check: bool,
    energy: &EnergyModel,
    on_done: &(dyn Fn() + Sync),
) -> Result<WorkloadRun, WorkloadRunError> {
    run_workload_traced(cfg, workload, dataflows, check, energy, on_done, None)
}

/// [`run_workload`], also writing every run's per-cycle traces in SCALE-Sim's layout
/// ([`crate::trace`]) to `trace/<dataflow>/layer<N>/` (layers numbered from 0, as SCALE-Sim
/// numbers them; one run of each layer's GEMM).
pub fn run_workload_traced(
    cfg: &ArchConfig,
    workload: &Workload,
    dataflows: &[Dataflow],
    check: bool,
    energy: &EnergyModel,
    on_done: &(dyn Fn() + Sync),
    trace: Option<&std::path::Path>,
) -> Result<WorkloadRun, WorkloadRunError> {
    for &df in dataflows {
        for layer in &workload.layers {
            check_layer(cfg, df, layer)?;
        }
    }
    // A quantized network's layers need the output stage; say so before any layer runs (an int4
    // machine would otherwise first refuse the int8 data).
    if let Some(net) = &workload.quantized {
        for (layer, q) in workload.layers.iter().zip(&net.layers) {
            crate::array::check_output_stage(cfg, q.weights.cols(), &q.stage()).map_err(|e| {
                WorkloadRunError::Layer {
                    layer: layer.name.clone(),
                    reason: e,
                }
            })?;
        }
    }
    let per_dataflow: Vec<Vec<LayerRun>> = match &workload.quantized {
        // A quantized network: each layer reads the previous layer's int8 output, so the layers
        // run in order; the dataflows run in parallel.
        Some(net) => dataflows
            .par_iter()
            .map(|&df| {
                let mut runs = Vec::new();
                let want = if check { net.reference() } else { vec![] };
                net.forward(|i, l, a, st| {
                    let layer = &workload.layers[i];
                    let (lr, c) =
                        simulate_layer(cfg, df, (i, layer), (a, &l.weights), Some(st), trace)?;
                    let mismatch = || WorkloadRunError::Mismatch {
                        layer: layer.name.clone(),
                        dataflow: df,
                    };
                    let c = crate::quant::int8_results(&c).ok_or_else(mismatch)?;
                    if check && c.as_slice() != &want[i][..] {
                        return Err(mismatch());
                    }
                    runs.push(charged(cfg, lr, energy));
                    on_done();
                    Ok(c)
                })?;
                Ok(runs)
            })
            // Collected in order first, so that the error reported is the first dataflow's,
            // not whichever failed first in time.
            .collect::<Vec<Result<Vec<LayerRun>, WorkloadRunError>>>()
            .into_iter()
            .collect::<Result<_, _>>()?,
        // Shapes only: every (dataflow, layer) pair is independent, on seeded random operands.
        None => {
            let jobs: Vec<(Dataflow, usize)> = dataflows
                .iter()
                .flat_map(|&df| (0..workload.layers.len()).map(move |i| (df, i)))
                .collect();
            let mut results = jobs
                .par_iter()
                .map(|&(df, i)| {
                    let run = match cfg.array.operand_bits {
                        16 => random_layer::<i16>(cfg, df, (i, &workload.layers[i]), check, trace),
                        _ => random_layer::<i8>(cfg, df, (i, &workload.layers[i]), check, trace),
                    }?;
                    on_done();
                    Ok(charged(cfg, run, energy))
                })
                .collect::<Vec<_>>()
                .into_iter();
            let mut per_dataflow = Vec::new();
            for _ in dataflows {
                let mut layers = Vec::new();
                for _ in &workload.layers {
                    layers.push(results.next().expect("one result per job")?);
                }
                per_dataflow.push(layers);
            }
            per_dataflow
        }
    };
    let run = assemble(
        cfg,
        workload.name.clone(),
        workload.source.clone(),
        workload.notes.clone(),
        dataflows,
        per_dataflow,
        energy,
    );
    if let Some(d) = run.dataflows.iter().find(|d| d.total.saturated().is_some()) {
        return Err(WorkloadRunError::TooLarge {
            dataflow: d.dataflow,
            what: d.total.saturated().unwrap_or_default(),
        });
    }
    Ok(run)
}

/// Checks, before any data exists, that `layer` can run in `df` on `cfg`.
fn check_layer(cfg: &ArchConfig, df: Dataflow, layer: &Layer) -> Result<(), WorkloadRunError> {
    let s = layer.shape();
    match layer.op {
        LayerOp::Conv(conv) => crate::array::check_conv(cfg, df, &conv.im2col(), s.n),
        _ => crate::array::check_gemm(cfg, df, s),
    }
    .map_err(|e| WorkloadRunError::Layer {
        layer: layer.name.clone(),
        reason: e,
    })
}

/// Runs layer `i` once on seeded random operands of the machine's width
/// (`array.operand_bits`, in container `T`): a convolution's A is the im2col matrix of a random
/// ifmap (padding zeros included), read from the ifmap or the expanded matrix as the config says.
/// With `check`, C is compared with [`reference_matmul`].
fn random_layer<T: Operand + TryFrom<i32>>(
    cfg: &ArchConfig,
    df: Dataflow,
    (i, layer): (usize, &Layer),
    check: bool,
    trace: Option<&std::path::Path>,
) -> Result<LayerRun, WorkloadRunError> {
    let bits = cfg.array.operand_bits;
    let s = layer.shape();
    let b: Matrix<T> = random_operands(s.k, s.n, bits, 2 * i as u64 + 2);
    let a: Matrix<T> = match layer.op {
        LayerOp::Conv(conv) => {
            let geom = conv.im2col();
            let rows = geom.rows() as usize;
            let ifmap = random_operands(rows, geom.row_elems() as usize, bits, 2 * i as u64 + 1);
            geom.expand(ifmap.as_slice())
        }
        _ => random_operands(s.m, s.k, bits, 2 * i as u64 + 1),
    };
    let (run, c) = simulate_layer(cfg, df, (i, layer), (&a, &b), None, trace)?;
    if check && c != reference_matmul(&a, &b) {
        return Err(WorkloadRunError::Mismatch {
            layer: layer.name.clone(),
            dataflow: df,
        });
    }
    Ok(run)
}

/// Runs layer `i` once on the fast model with operands `a` (for a convolution, its im2col
/// matrix) and `b`, writing its traces under `trace`. Returns the run (not yet charged) and C.
fn simulate_layer<T: Operand>(
    cfg: &ArchConfig,
    df: Dataflow,
    (i, layer): (usize, &Layer),
    (a, b): (&Matrix<T>, &Matrix<T>),
    stage: Option<&OutputStage>,
    trace: Option<&std::path::Path>,
) -> Result<(LayerRun, Matrix<i32>), WorkloadRunError> {
    let trace_err = |path: &std::path::Path, e: std::io::Error| WorkloadRunError::Trace {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let writer = match trace {
        Some(dir) => {
            let dir = dir.join(df.name()).join(format!("layer{i}"));
            let lanes = crate::array::buffer_lanes(cfg, df);
            let w = TraceWriter::create(
                &dir,
                lanes,
                cfg.dram.bytes_per_cycle,
                cfg.array.operand_bits,
            )
            .map_err(|e| trace_err(&dir, e))?;
            Some(
                match crate::array::ifmap_addresses(cfg, df, &layer.op, b.cols()) {
                    Some(f) => w.with_ifmap(f),
                    None => w,
                },
            )
        }
        None => None,
    };
    let mut probe = (AccessWindows::default(), writer);
    let run = match layer.op {
        LayerOp::Conv(conv) => {
            simulate_conv_with_probe(cfg, df, &conv.im2col(), (a, b), stage, &mut probe)
        }
        _ => simulate_gemm_staged(cfg, df, a, b, stage, &mut probe),
    }
    .map_err(|e| WorkloadRunError::Layer {
        layer: layer.name.clone(),
        reason: e,
    })?;
    let (mut windows, writer) = probe;
    windows.finish(run.stats.load_cycles);
    if let Some(w) = writer {
        w.finish().map_err(|(path, e)| trace_err(&path, e))?;
    }
    Ok((
        LayerRun {
            name: layer.name.clone(),
            layer: layer.op.describe(),
            dataflow: df,
            repeat: layer.runs(),
            macs: run.stats.macs,
            energy_pj: EnergyBreakdown::default(),
            efficiency: Efficiency::default(),
            stats: run.stats,
            windows,
        },
        run.c,
    ))
}

/// The same run charged with another energy model (a technology table or register convention):
/// energy depends only on the event counts and cycles, so nothing is simulated again.
pub fn recharge(run: &WorkloadRun, energy: &EnergyModel) -> WorkloadRun {
    let dataflows: Vec<Dataflow> = run.dataflows.iter().map(|d| d.dataflow).collect();
    let layers = run
        .dataflows
        .iter()
        .map(|d| {
            d.layers
                .iter()
                .map(|l| charged(&run.arch, l.clone(), energy))
                .collect()
        })
        .collect();
    assemble(
        &run.arch,
        run.workload.clone(),
        run.source.clone(),
        run.input_notes.clone(),
        &dataflows,
        layers,
        energy,
    )
}

/// A layer run with its energy and figures of merit charged from its statistics.
fn charged(cfg: &ArchConfig, mut lr: LayerRun, energy: &EnergyModel) -> LayerRun {
    let s = &lr.stats;
    lr.energy_pj = estimate(cfg, &s.events, s.latency_cycles, energy).energy_pj;
    lr.efficiency = Efficiency::of(s.macs, lr.energy_pj.total, s.latency_cycles, cfg.clock_mhz);
    lr
}

/// Sums charged layer runs (one list per dataflow, in `dataflows` order) into a workload run.
fn assemble(
    cfg: &ArchConfig,
    workload: String,
    source: String,
    input_notes: Vec<String>,
    dataflows: &[Dataflow],
    layers: Vec<Vec<LayerRun>>,
    energy: &EnergyModel,
) -> WorkloadRun {
    let mut out = Vec::new();
    for (&df, layers) in dataflows.iter().zip(layers) {
        let mut total = Totals::default();
        let mut energy_pj = EnergyBreakdown::default();
        for lr in &layers {
            total.add(&lr.stats, lr.repeat);
            energy_pj.add_scaled(&lr.energy_pj, lr.repeat);
        }
        // The model is linear in the counts and the cycles, so the actions of the sums are the
        // sums of the actions.
        let energy_actions = estimate(cfg, &total.events, total.latency_cycles, energy).actions;
        out.push(DataflowRun {
            dataflow: df,
            efficiency: Efficiency::of(
                total.macs,
                energy_pj.total,
                total.latency_cycles,
                cfg.clock_mhz,
            ),
            layers,
            total,
            energy_pj,
            energy_actions,
        });
    }
    WorkloadRun {
        workload,
        source,
        input_notes,
        arch: cfg.clone(),
        tech: energy.tech.name.clone(),
        register_convention: energy.convention,
        energy_notes: estimate(cfg, &Default::default(), 0, energy).notes,
        dataflows: out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MemoryModel;

    #[test]
    fn totals_count_repeats_and_results_are_checked() {
        let cfg = ArchConfig::preset("tiny-4x4").unwrap();
        let w = Workload {
            name: "t".into(),
            source: String::new(),
            notes: vec![],
            quantized: None,
            layers: vec![
                Layer::gemm("a", 5, 6, 7).times(3),
                Layer::gemm("b", 9, 2, 4).times(1),
            ],
        };
        let run = run_workload(
            &cfg,
            &w,
            &Dataflow::ALL,
            true,
            &EnergyModel::default(),
            &|| {},
        )
        .unwrap();
        assert_eq!(run.dataflows.len(), 3);
        for d in &run.dataflows {
            assert_eq!(d.total.macs, w.macs());
            let cyc: u64 = d
                .layers
                .iter()
                .map(|l| l.stats.total_cycles * l.repeat)
                .sum();
            assert_eq!(d.total.total_cycles, cyc);
            // Every event total counts each layer `repeat` times.
            let mut ev = crate::events::EventCounts::default();
            for l in &d.layers {
                for _ in 0..l.repeat {
                    ev.add(&l.stats.events);
                }
            }
            assert_eq!(d.total.events, ev, "{}", d.dataflow);
            // The workload's energy is the layers' energies times their repeats, and the actions
            // of the summed counts add up to it.
            let layer_sum: f64 = d
                .layers
                .iter()
                .map(|l| l.energy_pj.total * l.repeat as f64)
                .sum();
            assert!((layer_sum - d.energy_pj.total).abs() < 1e-6 * layer_sum);
            let actions: f64 = d.energy_actions.iter().map(|a| a.pj).sum();
            assert!((actions - d.energy_pj.total).abs() < 1e-6 * layer_sum);
        }
    }

    /// A quantized network runs layer by layer on its own data with the output stage, in every
    /// dataflow and memory model, equal to its reference; the stage's work is counted and
    /// charged.
    #[test]
    fn quantized_network_runs_on_its_data() {
        let w = Workload::builtin("int8-cnn").unwrap();
        let net = w.quantized.clone().unwrap();
        for memory in [MemoryModel::Ideal, MemoryModel::Dram] {
            let mut cfg = ArchConfig::preset("tiny-4x4").unwrap();
            cfg.memory = memory;
            let run = run_workload(
                &cfg,
                &w,
                &Dataflow::ALL,
                true,
                &EnergyModel::default(),
                &|| {},
            )
            .unwrap();
            for d in &run.dataflows {
                for (lr, l) in d.layers.iter().zip(&net.layers) {
                    assert_eq!(lr.stats.events.output_stage_ops, l.output_len() as u64);
                    assert!(lr.energy_pj.output_stage > 0.0, "{}", lr.name);
                }
            }
        }
    }

    /// Charging a run again with another table gives what running with that table gives, and
    /// charging with the same table changes nothing.
    #[test]
    fn recharge_equals_a_run_with_that_table() {
        let cfg = ArchConfig::preset("tiny-4x4").unwrap();
        let w = Workload {
            name: "t".into(),
            source: String::new(),
            notes: vec![],
            quantized: None,
            layers: vec![
                Layer::gemm("a", 9, 6, 7).times(2),
                Layer::gemm("b", 4, 5, 3),
            ],
        };
        let m45 = EnergyModel::default();
        let m7 = EnergyModel {
            tech: crate::energy::TechTable::load("7nm").unwrap(),
            convention: RegisterConvention::ReadWrite,
        };
        let at45 = run_workload(&cfg, &w, &Dataflow::ALL, false, &m45, &|| {}).unwrap();
        let at7 = run_workload(&cfg, &w, &Dataflow::ALL, false, &m7, &|| {}).unwrap();
        assert_ne!(at45, at7);
        assert_eq!(recharge(&at45, &m7), at7);
        assert_eq!(recharge(&at45, &m45), at45);
    }
}
