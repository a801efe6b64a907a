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

use crate::array::{simulate_conv_with_probe, simulate_mapped};
use crate::config::{ArchConfig, Dataflow};
use crate::energy::Prices;
use crate::energy::{
    estimate, ActionEnergy, Efficiency, EnergyBreakdown, EnergyModel, RegisterConvention,
};
use crate::error::RunError;
use crate::mapper::MappingPolicy;
use crate::mapping::Mapping;
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
    /// The same layer in SCALE-Sim's fold order, for comparison (run cycle by cycle too).
    pub scalesim_order: ScalesimOrder,
}

/// A layer in SCALE-Sim's fold order, beside the mapping it ran in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum ScalesimOrder {
    /// The layer's mapping is SCALE-Sim's order: its own figures.
    Same,
    /// Run in SCALE-Sim's order too.
    Ran(Box<OrderRun>),
    /// SCALE-Sim's order cannot run this layer on this machine (why).
    Refused {
        /// The reason.
        reason: String,
    },
    /// Not run: the caller did not ask for the comparison (a sweep point).
    NotRun,
}

/// A layer run in another fold order, kept for comparison: its cycles, DRAM bytes and events,
/// and its energy under the run's energy model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderRun {
    /// End-to-end cycles.
    pub latency_cycles: u64,
    /// Cycles the array stalled.
    pub stall_cycles: u64,
    /// DRAM bytes read and written.
    pub dram_bytes: u64,
    /// Its event counts.
    pub events: crate::events::EventCounts,
    /// Its energy, pJ.
    pub energy_pj: f64,
}

/// A workload's figures in SCALE-Sim's fold order (each layer's own where its mapping is
/// SCALE-Sim's), repeats included.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderTotals {
    /// End-to-end cycles, layers back to back.
    pub latency_cycles: u64,
    /// DRAM bytes.
    pub dram_bytes: u64,
    /// Energy, pJ.
    pub energy_pj: f64,
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
    /// The same workload in SCALE-Sim's fold order, for comparison (`None` when SCALE-Sim's
    /// order cannot run one of its layers on this machine).
    pub scalesim_order: Option<OrderTotals>,
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
    /// How each layer's mapping was chosen: `search (<objective>)`, `scalesim` or `file <path>`.
    pub mapping: String,
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
    (check, policy): (bool, &MappingPolicy),
    energy: &EnergyModel,
    on_done: &(dyn Fn() + Sync),
) -> Result<WorkloadRun, WorkloadRunError> {
    run_workload_traced(
        cfg,
        workload,
        dataflows,
        (check, policy),
        energy,
        on_done,
        None,
    )
}

/// [`run_workload`], also writing every run's per-cycle traces in SCALE-Sim's layout
/// ([`crate::trace`]) to `trace/<dataflow>/layer<N>/` (layers numbered from 0, as SCALE-Sim
/// numbers them; one run of each layer's GEMM).
pub fn run_workload_traced(
    cfg: &ArchConfig,
    workload: &Workload,
    dataflows: &[Dataflow],
    (check, policy): (bool, &MappingPolicy),
    energy: &EnergyModel,
    on_done: &(dyn Fn() + Sync),
    trace: Option<&std::path::Path>,
) -> Result<WorkloadRun, WorkloadRunError> {
    let chosen = choose_mappings(cfg, workload, dataflows, policy, energy)?;
    let opts = RunOptions {
        check,
        trace,
        scalesim_order: true,
    };
    run_chosen(cfg, workload, &chosen, energy, on_done, &opts)
}

/// How [`run_chosen`] runs the layers.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions<'a> {
    /// Compare every C with the reference product.
    pub check: bool,
    /// Write every run's per-cycle traces here ([`run_workload_traced`]).
    pub trace: Option<&'a std::path::Path>,
    /// Also simulate every layer whose mapping is not SCALE-Sim's order in that order, for the
    /// report's comparison ([`LayerRun::scalesim_order`]); a sweep, which does not show it,
    /// leaves it out.
    pub scalesim_order: bool,
}

/// Every layer's mapping in every dataflow, as a policy chooses them: what a run needs before
/// any layer runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Chosen {
    /// The dataflows, in the order asked for.
    pub dataflows: Vec<Dataflow>,
    /// Per dataflow, per layer.
    pub mappings: Vec<Vec<Mapping>>,
    /// How they were chosen ([`MappingPolicy::describe`]).
    pub policy: String,
}

/// Chooses (and checks) every layer's mapping in every dataflow by `policy`; the search charges
/// its candidates with `energy`.
pub fn choose_mappings(
    cfg: &ArchConfig,
    workload: &Workload,
    dataflows: &[Dataflow],
    policy: &MappingPolicy,
    energy: &EnergyModel,
) -> Result<Chosen, WorkloadRunError> {
    let prices = Prices::of(cfg, energy);
    let staged = workload.quantized.is_some();
    let mut mappings: Vec<Vec<Mapping>> = Vec::new();
    for &df in dataflows {
        let per_layer = workload
            .layers
            .par_iter()
            .map(|layer| choose_mapping(cfg, df, layer, policy, staged, &prices))
            .collect::<Vec<_>>()
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?;
        mappings.push(per_layer);
    }
    Ok(Chosen {
        dataflows: dataflows.to_vec(),
        mappings,
        policy: policy.describe(),
    })
}

/// Runs every layer of `workload` in the mappings `chosen` ([`choose_mappings`]) as `opts` say,
/// and charges it with `energy`.
pub fn run_chosen(
    cfg: &ArchConfig,
    workload: &Workload,
    chosen: &Chosen,
    energy: &EnergyModel,
    on_done: &(dyn Fn() + Sync),
    opts: &RunOptions<'_>,
) -> Result<WorkloadRun, WorkloadRunError> {
    let RunOptions {
        check,
        trace,
        scalesim_order: compare,
    } = *opts;
    let (dataflows, mappings) = (&chosen.dataflows[..], &chosen.mappings);
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
            .zip(mappings)
            .map(|(&df, maps)| {
                let mut runs = Vec::new();
                let want = if check { net.reference() } else { vec![] };
                net.forward(|i, l, a, st| {
                    let layer = &workload.layers[i];
                    let job = Job {
                        cfg,
                        df,
                        i,
                        layer,
                        mapping: &maps[i],
                        trace,
                        compare,
                    };
                    let (lr, c) = simulate_layer(&job, (a, &l.weights), Some(st))?;
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
                    let d = dataflows
                        .iter()
                        .position(|&x| x == df)
                        .expect("a dataflow asked for");
                    let job = Job {
                        cfg,
                        df,
                        i,
                        layer: &workload.layers[i],
                        mapping: &mappings[d][i],
                        trace,
                        compare,
                    };
                    let run = match cfg.array.operand_bits {
                        16 => random_layer::<i16>(&job, check),
                        _ => random_layer::<i8>(&job, check),
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
    let about = About {
        workload: workload.name.clone(),
        source: workload.source.clone(),
        input_notes: workload.notes.clone(),
        mapping: chosen.policy.clone(),
    };
    let run = assemble(cfg, about, dataflows, per_dataflow, energy);
    if let Some(d) = run.dataflows.iter().find(|d| d.total.saturated().is_some()) {
        return Err(WorkloadRunError::TooLarge {
            dataflow: d.dataflow,
            what: d.total.saturated().unwrap_or_default(),
        });
    }
    Ok(run)
}

/// Chooses `layer`'s mapping in `df` by `policy`, checked to run on `cfg` (before any data
/// exists).
fn choose_mapping(
    cfg: &ArchConfig,
    df: Dataflow,
    layer: &Layer,
    policy: &MappingPolicy,
    staged: bool,
    prices: &Prices,
) -> Result<Mapping, WorkloadRunError> {
    let conv = match layer.op {
        LayerOp::Conv(conv) => Some(conv.im2col()),
        _ => None,
    };
    policy
        .choose(
            cfg,
            df,
            Some(&layer.name),
            layer.shape(),
            conv.as_ref(),
            staged,
            prices,
        )
        .map_err(|e| WorkloadRunError::Layer {
            layer: layer.name.clone(),
            reason: e,
        })
}

/// One layer's run: the machine, the dataflow, the layer (its index numbers its traces), its
/// mapping, and where traces go.
struct Job<'a> {
    cfg: &'a ArchConfig,
    df: Dataflow,
    i: usize,
    layer: &'a Layer,
    mapping: &'a Mapping,
    trace: Option<&'a std::path::Path>,
    /// Also run the layer in SCALE-Sim's order when its mapping differs.
    compare: bool,
}

/// Runs layer `i` once on seeded random operands of the machine's width
/// (`array.operand_bits`, in container `T`): a convolution's A is the im2col matrix of a random
/// ifmap (padding zeros included), read from the ifmap or the expanded matrix as the config says.
/// With `check`, C is compared with [`reference_matmul`].
fn random_layer<T: Operand + TryFrom<i32>>(
    job: &Job<'_>,
    check: bool,
) -> Result<LayerRun, WorkloadRunError> {
    let (cfg, i, layer) = (job.cfg, job.i, job.layer);
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
    let (run, c) = simulate_layer(job, (&a, &b), None)?;
    if check && c != reference_matmul(&a, &b) {
        return Err(WorkloadRunError::Mismatch {
            layer: layer.name.clone(),
            dataflow: job.df,
        });
    }
    Ok(run)
}

/// Runs one layer on the fast model in `mapping` with operands `a` (for a convolution, its
/// im2col matrix) and `b`, writing traces under `trace` (when given); with a probe of access
/// windows.
fn run_once<T: Operand>(
    job: &Job<'_>,
    mapping: &Mapping,
    (a, b): (&Matrix<T>, &Matrix<T>),
    stage: Option<&OutputStage>,
    trace: Option<&std::path::Path>,
) -> Result<(crate::array::GemmRun, AccessWindows), WorkloadRunError> {
    let (cfg, df, layer) = (job.cfg, job.df, job.layer);
    let trace_err = |path: &std::path::Path, e: std::io::Error| WorkloadRunError::Trace {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let writer = match trace {
        Some(dir) => {
            let dir = dir.join(df.name()).join(format!("layer{}", job.i));
            let lanes = crate::array::buffer_lanes(cfg, df);
            let w = TraceWriter::create(
                &dir,
                lanes,
                cfg.dram.bytes_per_cycle,
                cfg.array.operand_bits,
            )
            .map_err(|e| trace_err(&dir, e))?;
            Some(
                match crate::array::ifmap_addresses(cfg, df, &layer.op, b.cols(), mapping) {
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
            simulate_conv_with_probe(cfg, df, &conv.im2col(), mapping, (a, b), stage, &mut probe)
        }
        _ => simulate_mapped(cfg, df, mapping, (a, b), stage, &mut probe),
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
    Ok((run, windows))
}

/// Runs a layer in its mapping (writing its traces), and in SCALE-Sim's order for comparison
/// when the two differ. Returns the run (not yet charged) and C.
fn simulate_layer<T: Operand>(
    job: &Job<'_>,
    (a, b): (&Matrix<T>, &Matrix<T>),
    stage: Option<&OutputStage>,
) -> Result<(LayerRun, Matrix<i32>), WorkloadRunError> {
    let (cfg, df, layer) = (job.cfg, job.df, job.layer);
    let (run, windows) = run_once(job, job.mapping, (a, b), stage, job.trace)?;
    let scalesim = Mapping::scalesim(cfg, df, layer.shape());
    let scalesim_order = if *job.mapping == scalesim {
        ScalesimOrder::Same
    } else if !job.compare {
        ScalesimOrder::NotRun
    } else {
        match run_once(job, &scalesim, (a, b), stage, None) {
            Ok((other, _)) => {
                let s = &other.stats;
                ScalesimOrder::Ran(Box::new(OrderRun {
                    latency_cycles: s.latency_cycles,
                    stall_cycles: s.stall_cycles,
                    dram_bytes: s.dram_read_bytes + s.dram_write_bytes,
                    events: s.events,
                    energy_pj: 0.0,
                }))
            }
            Err(e) => ScalesimOrder::Refused {
                reason: match e {
                    WorkloadRunError::Layer { reason, .. } => reason.to_string(),
                    other => other.to_string(),
                },
            },
        }
    };
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
            scalesim_order,
        },
        run.c,
    ))
}

/// About how many bytes the traces of `run` take (`run` made without traces: the traced run
/// repeats it, one run of each layer's GEMM per dataflow), from each layer's cycles, access
/// windows and counts; an upper estimate (every address written with eight digits). `systole
/// run --trace` prints it, and asks for `--trace-limit` above its default, before writing.
pub fn trace_bytes(run: &WorkloadRun) -> u64 {
    let digits = |n: u64| u64::from(n.max(1).ilog10()) + 1;
    let cfg = &run.arch;
    let bpc = u64::from(cfg.dram.bytes_per_cycle.max(1));
    let mut total = 0u64;
    for d in &run.dataflows {
        let lanes = crate::array::buffer_lanes(cfg, d.dataflow).map(|l| l.max(1) as u64);
        for l in &d.layers {
            let (w, e) = (&l.windows, &l.stats.events);
            // An SRAM file has a row per cycle up to its last access: rows with an access list
            // addresses, the others `-1`s.
            let sram = |window: Option<(i64, i64)>, elems: u64, lanes: u64| {
                let rows = window.map_or(0, |(_, last)| last.max(0) as u64 + 1);
                let busy = elems.div_ceil(lanes).min(rows);
                rows * (digits(rows) + 1)
                    + busy * lanes * crate::trace::ADDRESS_LANE_BYTES
                    + (rows - busy) * lanes * crate::trace::IDLE_LANE_BYTES
            };
            // The C read-back file ends, at the latest, with C's last write.
            let psum_reads = (e.c_buf_read_elems > 0).then_some(w.sram_c_write).flatten();
            // A DRAM file has a row per bus cycle that moves the operand's bytes, as wide as a
            // cycle's elements: at most one row per full bus cycle plus one per transfer (each
            // transfer writes, or reads, at least one word of its buffer).
            let dram = |bytes: u64, bits: u32, words: u64| {
                let bits = u64::from(bits.max(1));
                let rows = bytes.div_ceil(bpc) + words.min(bytes);
                let per_row = (bpc * 8).div_ceil(bits);
                let elems = bytes * 8 / bits;
                rows * (digits(rows) + 2 + per_row * crate::trace::IDLE_LANE_BYTES)
                    + elems * (crate::trace::ADDRESS_LANE_BYTES - crate::trace::IDLE_LANE_BYTES)
            };
            let op = cfg.array.operand_bits;
            total = total
                .saturating_add(sram(w.sram_a_read, e.a_buf_read_elems, lanes[0]))
                .saturating_add(sram(w.sram_b_read, e.b_buf_read_elems, lanes[1]))
                .saturating_add(sram(w.sram_c_write, e.c_buf_write_elems, lanes[2]))
                .saturating_add(sram(psum_reads, e.c_buf_read_elems, lanes[2]))
                .saturating_add(dram(e.dram_a_read_bytes, op, e.a_buf_writes))
                .saturating_add(dram(e.dram_b_read_bytes, op, e.b_buf_writes))
                .saturating_add(dram(e.dram_c_write_bytes, 32, e.c_buf_reads))
                .saturating_add(dram(e.dram_c_read_bytes, 32, e.c_buf_writes));
        }
    }
    total
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
    let about = About {
        workload: run.workload.clone(),
        source: run.source.clone(),
        input_notes: run.input_notes.clone(),
        mapping: run.mapping.clone(),
    };
    assemble(&run.arch, about, &dataflows, layers, energy)
}

/// A layer run with its energy and figures of merit charged from its statistics.
fn charged(cfg: &ArchConfig, mut lr: LayerRun, energy: &EnergyModel) -> LayerRun {
    let s = &lr.stats;
    lr.energy_pj = estimate(cfg, &s.events, s.latency_cycles, energy).energy_pj;
    lr.efficiency = Efficiency::of(s.macs, lr.energy_pj.total, s.latency_cycles, cfg.clock_mhz);
    if let ScalesimOrder::Ran(o) = &mut lr.scalesim_order {
        o.energy_pj = estimate(cfg, &o.events, o.latency_cycles, energy)
            .energy_pj
            .total;
    }
    lr
}

/// The workload's figures in SCALE-Sim's order: each layer's own where it ran in that order;
/// `None` when one layer cannot run in it.
fn order_totals(layers: &[LayerRun]) -> Option<OrderTotals> {
    let mut t = OrderTotals::default();
    for l in layers {
        let (cycles, bytes, pj) = match &l.scalesim_order {
            ScalesimOrder::Same => (
                l.stats.latency_cycles,
                l.stats.dram_read_bytes + l.stats.dram_write_bytes,
                l.energy_pj.total,
            ),
            ScalesimOrder::Ran(o) => (o.latency_cycles, o.dram_bytes, o.energy_pj),
            ScalesimOrder::Refused { .. } | ScalesimOrder::NotRun => return None,
        };
        t.latency_cycles = t
            .latency_cycles
            .saturating_add(cycles.saturating_mul(l.repeat));
        t.dram_bytes = t.dram_bytes.saturating_add(bytes.saturating_mul(l.repeat));
        t.energy_pj += pj * l.repeat as f64;
    }
    Some(t)
}

/// What a workload run says of itself besides its figures.
struct About {
    workload: String,
    source: String,
    input_notes: Vec<String>,
    mapping: String,
}

/// Sums charged layer runs (one list per dataflow, in `dataflows` order) into a workload run.
fn assemble(
    cfg: &ArchConfig,
    about: About,
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
        let scalesim_order = order_totals(&layers);
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
            scalesim_order,
        });
    }
    WorkloadRun {
        workload: about.workload,
        source: about.source,
        input_notes: about.input_notes,
        arch: cfg.clone(),
        tech: energy.tech.name.clone(),
        register_convention: energy.convention,
        mapping: about.mapping,
        energy_notes: estimate(cfg, &Default::default(), 0, energy).notes,
        dataflows: out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MemoryModel;

    /// A layer whose chosen mapping is not SCALE-Sim's order is simulated in that order too for
    /// `systole run`'s comparison, and not for a sweep, which does not show it (sweeps ran every
    /// such layer twice).
    #[test]
    fn the_scalesim_order_is_simulated_only_when_asked_for() {
        let cfg = ArchConfig::preset("tiny-4x4").unwrap();
        // WS with 1000 output rows: SCALE-Sim's order spills them, a searched mapping tiles M.
        let w = Workload {
            name: "t".into(),
            source: String::new(),
            notes: vec![],
            quantized: None,
            layers: vec![Layer::gemm("g", 1000, 4, 8)],
        };
        let chosen = choose_mappings(
            &cfg,
            &w,
            &[Dataflow::Ws],
            &MappingPolicy::default(),
            &EnergyModel::default(),
        )
        .unwrap();
        let order = |scalesim_order: bool| {
            let opts = RunOptions {
                scalesim_order,
                ..RunOptions::default()
            };
            run_chosen(&cfg, &w, &chosen, &EnergyModel::default(), &|| {}, &opts)
                .unwrap()
                .dataflows[0]
                .layers[0]
                .scalesim_order
                .clone()
        };
        assert!(matches!(order(true), ScalesimOrder::Ran(_)));
        assert_eq!(order(false), ScalesimOrder::NotRun);
    }

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
            (true, &crate::mapper::MappingPolicy::default()),
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
                (true, &crate::mapper::MappingPolicy::default()),
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
        let at45 = run_workload(
            &cfg,
            &w,
            &Dataflow::ALL,
            (false, &crate::mapper::MappingPolicy::default()),
            &m45,
            &|| {},
        )
        .unwrap();
        let at7 = run_workload(
            &cfg,
            &w,
            &Dataflow::ALL,
            (false, &crate::mapper::MappingPolicy::default()),
            &m7,
            &|| {},
        )
        .unwrap();
        assert_ne!(at45, at7);
        assert_eq!(recharge(&at45, &m7), at7);
        assert_eq!(recharge(&at45, &m45), at45);
    }
}
