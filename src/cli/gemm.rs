//! `systole gemm`: one GEMM on NumPy data or seeded random data.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use systole_hdl::backend::{Backend, RunRequest};
use systole_sim::array::check_dataflow;
use systole_sim::config::Dataflow;
use systole_sim::energy::{estimate, Efficiency, EnergyBreakdown, RegisterConvention};
use systole_sim::matrix::{
    overflowing_elements, random_operands, reference_matmul, Matrix, Operand,
};
use systole_sim::npy;
use systole_sim::probe::NoProbe;
use systole_sim::quant::{Activation, OutputStage, Requant};
use systole_sim::report::{count, gemm_text};
use systole_sim::workload::GemmShape;

use super::{parse_dataflow, ArchArgs, EnergyArgs, MappingArgs};
use systole_sim::energy::{EnergyModel, Prices};
use systole_sim::mapper::MappingPolicy;
use systole_sim::mapping::Mapping;

#[derive(Debug, Args)]
pub struct GemmArgs {
    #[command(flatten)]
    arch: ArchArgs,
    #[command(flatten)]
    energy: EnergyArgs,
    #[command(flatten)]
    mapping: MappingArgs,
    /// Dataflow: os (output stationary), ws (weight stationary) or is (input stationary).
    #[arg(long, default_value = "os", value_parser = parse_dataflow)]
    dataflow: Dataflow,
    /// A, an M x K int8 .npy matrix (with --b).
    #[arg(long, value_name = "A.npy", requires = "b", conflicts_with_all = ["m", "n", "k", "seed"])]
    a: Option<PathBuf>,
    /// B, a K x N int8 .npy matrix (with --a).
    #[arg(long, value_name = "B.npy", requires = "a")]
    b: Option<PathBuf>,
    /// Rows of A for random data.
    #[arg(long, default_value_t = 64)]
    m: usize,
    /// Columns of B for random data.
    #[arg(long, default_value_t = 64)]
    n: usize,
    /// Columns of A / rows of B for random data.
    #[arg(long, default_value_t = 64)]
    k: usize,
    /// Seed of the random data (the same seed gives the same A and B everywhere).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write C (M x N) to this .npy file: int32, or int8 with the output stage.
    #[arg(long, value_name = "C.npy")]
    out: Option<PathBuf>,
    /// Compare C with a plain reference matrix product; fail (exit 2) if they differ.
    #[arg(long)]
    check: bool,
    /// Print the run statistics as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Simulator: fast (the native model), rtl (rust-hdl's simulator on the RTL; slow, for small
    /// GEMMs), verilator (the generated Verilog, built once per design and cached) or icarus (the
    /// generated Verilog in Icarus Verilog; slowest). All give the same C, cycles and counts.
    #[arg(long, default_value = "fast", value_parser = super::backend_parser())]
    backend: Backend,
    /// With --backend rtl: write a VCD waveform of every signal of the design (GTKWave, Surfer).
    #[arg(long, value_name = "FILE.vcd")]
    vcd: Option<PathBuf>,
    #[command(flatten)]
    quant: QuantArgs,
}

/// The output stage: bias and TFLite int8 requantization (docs/quantization.md). Giving
/// --multiplier/--shift or --requant turns it on, and C becomes int8.
#[derive(Args, Debug, Default)]
#[command(next_help_heading = "Output stage (int8 requantization)")]
pub struct QuantArgs {
    /// Per-tensor Q31 multiplier (with --shift), as TFLite's QuantizeMultiplier gives it.
    #[arg(
        long,
        requires = "shift",
        conflicts_with = "requant",
        allow_hyphen_values = true
    )]
    multiplier: Option<i32>,
    /// Per-tensor shift, -31 to 30 (positive: left), as TFLite's MultiplyByQuantizedMultiplier
    /// takes it.
    #[arg(long, requires = "multiplier", allow_hyphen_values = true)]
    shift: Option<i32>,
    /// Per-channel requantization: an int32 .npy of shape (N, 2), multiplier and shift of each
    /// column of C.
    #[arg(long, value_name = "REQUANT.npy")]
    requant: Option<PathBuf>,
    /// int32 bias per column of C: an .npy of N values.
    #[arg(long, value_name = "BIAS.npy")]
    bias: Option<PathBuf>,
    /// Zero point of A (the activations), -128 to 127; folded into the bias as
    /// bias - zp x (column sums of B).
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    a_zero_point: i32,
    /// Zero point of the int8 output, -128 to 127.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    out_zero_point: i32,
    /// Fused activation: the clamp range of the output.
    #[arg(long, value_enum, default_value_t = ActivationArg::None)]
    activation: ActivationArg,
    /// Scale of the output (real value of one step); needed by --activation relu6.
    #[arg(long)]
    out_scale: Option<f64>,
}

/// `--activation`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ActivationArg {
    #[default]
    None,
    Relu,
    Relu6,
}

impl QuantArgs {
    /// The output stage for a C of `n` columns with B = `b` (for the zero point), or `None` when
    /// no requantization was asked for.
    fn stage<T: Operand>(&self, n: usize, b: &Matrix<T>) -> anyhow::Result<Option<OutputStage>> {
        let requant: Vec<Requant> = match (&self.requant, self.multiplier, self.shift) {
            (Some(path), _, _) => {
                let (shape, data) = npy::read_i32_array(path, "the requantization table")?;
                if shape != [n, 2] {
                    bail!(
                        "{}: shape {shape:?}; expected ({n}, 2): multiplier and shift of each of the {n} columns of C",
                        path.display()
                    );
                }
                data.chunks(2)
                    .map(|p| Requant {
                        multiplier: p[0],
                        shift: p[1],
                    })
                    .collect()
            }
            (None, Some(multiplier), Some(shift)) => vec![Requant { multiplier, shift }; n],
            _ => {
                for (given, flag) in [
                    (self.bias.is_some(), "--bias"),
                    (self.a_zero_point != 0, "--a-zero-point"),
                    (self.out_zero_point != 0, "--out-zero-point"),
                    (self.activation != ActivationArg::None, "--activation"),
                    (self.out_scale.is_some(), "--out-scale"),
                ] {
                    if given {
                        bail!("{flag} needs the output stage: give --multiplier and --shift, or --requant");
                    }
                }
                return Ok(None);
            }
        };
        let bias = match &self.bias {
            Some(path) => {
                let (shape, data) = npy::read_i32_array(path, "the bias")?;
                if shape.iter().product::<usize>() != n
                    || shape.iter().filter(|&&d| d > 1).count() > 1
                {
                    bail!(
                        "{}: shape {shape:?}; expected {n} values, one per column of C",
                        path.display()
                    );
                }
                data
            }
            None => vec![0; n],
        };
        if !(-128..=127).contains(&self.a_zero_point) {
            bail!(
                "--a-zero-point {}: must be between -128 and 127",
                self.a_zero_point
            );
        }
        let activation = match self.activation {
            ActivationArg::None => Activation::None,
            ActivationArg::Relu => Activation::Relu,
            ActivationArg::Relu6 => Activation::Relu6,
        };
        let (act_min, act_max) = activation
            .range(self.out_zero_point, self.out_scale)
            .with_context(|| format!("--activation {}", activation.name()))?;
        // Ranges and the machine's table are checked by every backend
        // (`systole_sim::array::check_output_stage`).
        let mut st = OutputStage {
            bias,
            requant,
            out_zero_point: self.out_zero_point,
            act_min,
            act_max,
        };
        st.fold_input_zero_point(self.a_zero_point, b);
        Ok(Some(st))
    }
}

/// `--json` output: the run statistics plus the backend, its simulation time and the energy.
#[derive(serde::Serialize)]
struct GemmJson<'a> {
    backend: &'static str,
    /// Wall time of the simulation alone (builds, loading and file I/O excluded), in seconds.
    sim_seconds: f64,
    #[serde(flatten)]
    stats: &'a systole_sim::stats::RunStats,
    /// `latency_cycles` minus the cycles the array computed: the DMA's prologue, the stalls and
    /// the writeback (`stall_cycles` counts the stalls alone), as `run` reports it.
    memory_wait_cycles: u64,
    /// Technology table and register convention of the energy figures.
    tech: &'a str,
    register_convention: RegisterConvention,
    /// Energy per component, pJ (`total` is their sum).
    energy_pj: EnergyBreakdown,
    /// pJ per MAC, TOPS/W, energy-delay product.
    efficiency: Efficiency,
    /// Energy per action.
    energy_actions: &'a [systole_sim::energy::ActionEnergy],
    /// Caveats of the energy figures (an SRAM bank outside the fit's range, ...).
    energy_notes: &'a [String],
}

/// The mapping of a GEMM, as `--mapping`/`--objective` ask: by default the mapper's best, on
/// every backend (the RTL backends run any mapping the fast model runs; what the RTL's fold
/// queue or fetch walkers could not take is refused when the run is checked).
pub(super) fn choose_mapping(
    flags: &MappingArgs,
    cfg: &systole_sim::config::ArchConfig,
    df: Dataflow,
    (shape, staged): (GemmShape, bool),
    model: &EnergyModel,
) -> anyhow::Result<Mapping> {
    let policy = flags.policy(MappingPolicy::default())?;
    let prices = Prices::of(cfg, model);
    // What an RTL backend cannot run is refused by `Backend::check` in `simulate`, before
    // anything runs.
    Ok(policy.choose(cfg, df, None, shape, None, staged, &prices)?)
}

pub(super) fn simulate<T: Operand>(
    backend: Backend,
    vcd: Option<&std::path::Path>,
    cfg: &systole_sim::config::ArchConfig,
    (df, mapping): (Dataflow, &Mapping),
    (a, b): (&Matrix<T>, &Matrix<T>),
    stage: Option<&OutputStage>,
) -> anyhow::Result<(systole_sim::array::GemmRun, f64)> {
    let req = RunRequest::new(cfg, df, a, b)
        .mapping(mapping)
        .stage(stage)
        .vcd(vcd);
    // What the backend refuses is refused before the estimate, so that a refusal stays one line.
    backend.check(&req)?;
    if let Some(w) = slow_backend_warning(backend, cfg, (df, mapping), (a, b), stage) {
        eprintln!("warning: {w}");
    }
    let r = backend.run(req, &mut NoProbe)?;
    Ok((r.run, r.sim_seconds))
}

/// Wall time above which an RTL backend's run is announced, seconds.
const SLOW_SECONDS: f64 = 30.0;
/// rust-hdl's simulator of the whole design, PE-cycles per second: about 2.4e5 up to 1024 PEs,
/// falling as `PEs^-0.65` beyond (this project's 2-core machine, 8x8x8 GEMMs: 2.5e5 on a 16x16
/// array, 2.4e5 on 32x32, 9.7e4 on 64x64, 3.3e4 on 128x128 with the machine busy).
fn rtl_pe_cycles_per_second(pes: f64) -> f64 {
    2.4e5 * (1024.0 / pes).min(1.0).powf(0.65)
}
/// Icarus Verilog, compile and run of an 8x8 GEMM: 20 s on 8x8 PEs, 49 s on 16x16, 151 s on
/// 32x32 (about 10 s + 0.14 s per PE).
const ICARUS_SECONDS: (f64, f64) = (10.0, 0.14);
/// Verilator's build of a design (once; later runs use the cached build): 31 s on 8x8 PEs, 97 s
/// on 16x16, 497 s on 32x32 (about 0.45 s per PE).
const VERILATOR_BUILD_SECONDS_PER_PE: f64 = 0.45;

/// Says how long an RTL backend will take when that is more than [`SLOW_SECONDS`] (the rtl
/// backend on a 128x128 array ran for minutes without a word), from the fast model's cycle count
/// of the same GEMM and the rates measured on this project's machine.
fn slow_backend_warning<T: Operand>(
    backend: Backend,
    cfg: &systole_sim::config::ArchConfig,
    (df, mapping): (Dataflow, &Mapping),
    (a, b): (&Matrix<T>, &Matrix<T>),
    stage: Option<&OutputStage>,
) -> Option<String> {
    let pes = cfg.pes() as f64;
    let shape = format!("{}x{} array", cfg.array.rows, cfg.array.cols);
    let faster = "--backend fast gives the same C, cycles and counts in a moment";
    let (seconds, what) = match backend {
        Backend::Fast => return None,
        Backend::Rtl => {
            // The fast model's cycles of the same run: the same mapping, the same stage.
            let same_run = RunRequest::new(cfg, df, a, b).mapping(mapping).stage(stage);
            let cycles = Backend::Fast
                .run(same_run, &mut NoProbe)
                .ok()?
                .run
                .stats
                .latency_cycles as f64;
            let rate = rtl_pe_cycles_per_second(pes);
            let s = cycles * pes / rate;
            (
                s,
                format!(
                    "the rtl backend will take about {} on this {shape} ({} PEs x {} cycles at about {rate:.1e} PE-cycles per second); --backend verilator runs the same design some 50 times faster once built, and {faster}",
                    human_seconds(s),
                    count(cfg.pes()),
                    count(cycles as u64)
                ),
            )
        }
        Backend::Icarus => {
            let s = ICARUS_SECONDS.0 + ICARUS_SECONDS.1 * pes;
            (
                s,
                format!(
                    "the icarus backend will take at least {} on this {shape} (compiling {} PEs at about {} s each); {faster}",
                    human_seconds(s),
                    count(cfg.pes()),
                    ICARUS_SECONDS.1
                ),
            )
        }
        Backend::Verilator => {
            let s = VERILATOR_BUILD_SECONDS_PER_PE * pes;
            (
                s,
                format!(
                    "unless this design was built before (builds are cached), verilator first builds it: about {} for this {shape} ({} PEs at about {VERILATOR_BUILD_SECONDS_PER_PE} s each); {faster}",
                    human_seconds(s),
                    count(cfg.pes())
                ),
            )
        }
    };
    (seconds > SLOW_SECONDS).then_some(what)
}

/// `95` -> `1.6 min`.
fn human_seconds(s: f64) -> String {
    if s < 90.0 {
        format!("{s:.0} s")
    } else if s < 5400.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

/// C of a run with the output stage ([`systole_sim::quant::int8_results`]); an element outside
/// int8 is a backend bug.
pub(super) fn int8_c(c: &Matrix<i32>, backend: Backend) -> anyhow::Result<Matrix<i8>> {
    systole_sim::quant::int8_results(c).ok_or_else(|| {
        anyhow::anyhow!(
            "internal error: the {} backend left an element of C outside int8 with the output stage on; please report this",
            backend.name()
        )
    })
}

pub fn run(args: GemmArgs) -> anyhow::Result<()> {
    let cfg = args.arch.load()?;
    // int4 and int8 operands live in i8, int16 in i16 (`array.operand_bits`).
    match cfg.array.operand_bits {
        16 => {
            let ab = operands(&args, &cfg, npy::read_i16_matrix)?;
            run_on(&args, &cfg, ab)
        }
        _ => {
            let ab = operands(&args, &cfg, npy::read_i8_matrix)?;
            run_on(&args, &cfg, ab)
        }
    }
}

/// A and B from the .npy files (read with `read`) or seeded random data of the machine's width.
fn operands<T: Operand + TryFrom<i32>>(
    args: &GemmArgs,
    cfg: &systole_sim::config::ArchConfig,
    read: fn(&std::path::Path) -> Result<Matrix<T>, systole_sim::error::NpyError>,
) -> anyhow::Result<(Matrix<T>, Matrix<T>)> {
    let bits = cfg.array.operand_bits;
    Ok(match (&args.a, &args.b) {
        (Some(pa), Some(pb)) => {
            // The shapes from the headers first: a GEMM the model cannot hold is refused before
            // gigabytes of operands are read.
            let shape = GemmShape::of_operands(npy::matrix_shape(pa)?, npy::matrix_shape(pb)?)?;
            check_dataflow(cfg, args.dataflow)?;
            shape
                .check()
                .with_context(|| format!("{} x {}", pa.display(), pb.display()))?;
            (read(pa)?, read(pb)?)
        }
        _ => {
            for (flag, v) in [("--m", args.m), ("--n", args.n), ("--k", args.k)] {
                if v == 0 {
                    bail!("{flag} 0: must be at least 1");
                }
            }
            let shape = GemmShape {
                m: args.m,
                n: args.n,
                k: args.k,
            };
            // The shape, before any data exists; the mapping is checked once chosen.
            check_dataflow(cfg, args.dataflow)?;
            shape.check().context("--m/--n/--k")?;
            (
                random_operands(args.m, args.k, bits, args.seed),
                random_operands(args.k, args.n, bits, args.seed.wrapping_add(1)),
            )
        }
    })
}

fn run_on<T: Operand>(
    args: &GemmArgs,
    cfg: &systole_sim::config::ArchConfig,
    (a, b): (Matrix<T>, Matrix<T>),
) -> anyhow::Result<()> {
    let model = args.energy.load()?;
    if args.vcd.is_some() && args.backend != Backend::Rtl {
        bail!(
            "--vcd needs --backend rtl (the waveform comes from rust-hdl's simulation of the RTL)"
        );
    }
    let stage = args.quant.stage(b.cols(), &b)?;
    let shape = GemmShape {
        m: a.rows(),
        n: b.cols(),
        k: a.cols(),
    };
    let mapping = choose_mapping(
        &args.mapping,
        cfg,
        args.dataflow,
        (shape, stage.is_some()),
        &model,
    )?;
    let (run, sim_seconds) = simulate(
        args.backend,
        args.vcd.as_deref(),
        cfg,
        (args.dataflow, &mapping),
        (&a, &b),
        stage.as_ref(),
    )?;
    // Once the machine has accepted the GEMM (a refusal stays the one line of stderr).
    let wraps = cfg.accumulator_warning(a.cols() as u64);
    if let Some(w) = &wraps {
        eprintln!("warning: {w}");
    }
    let c8 = match &stage {
        Some(_) => Some(int8_c(&run.c, args.backend)?),
        None => None,
    };
    if let Some(out) = &args.out {
        match &c8 {
            Some(c8) => npy::write_i8_matrix(out, c8)?,
            None => npy::write_i32_matrix(out, &run.c)?,
        }
    }
    // The energy model charges the counts, whichever backend produced them.
    let energy = estimate(cfg, &run.stats.events, run.stats.latency_cycles, &model);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&GemmJson {
                backend: args.backend.name(),
                sim_seconds,
                stats: &run.stats,
                memory_wait_cycles: run.stats.memory_wait_cycles(),
                tech: &energy.tech,
                register_convention: energy.convention,
                energy_pj: energy.energy_pj,
                efficiency: Efficiency::of(
                    run.stats.macs,
                    energy.energy_pj.total,
                    run.stats.latency_cycles,
                    cfg.clock_mhz
                ),
                energy_actions: &energy.actions,
                energy_notes: &energy.notes,
            })
            .context("serialising stats")?
        );
    } else {
        print!("{}", gemm_text(cfg, &run.stats, Some(&energy)));
        println!(
            "\nbackend: {} (simulation {:.3} s)",
            args.backend.name(),
            sim_seconds
        );
        if let Some(st) = &stage {
            println!(
                "output stage: bias + requantization to int8 on {} channels, output zero point {}, clamp [{}, {}]",
                st.channels(),
                st.out_zero_point,
                st.act_min,
                st.act_max
            );
        }
        if let Some(out) = &args.out {
            let kind = if stage.is_some() { "int8" } else { "int32" };
            println!("\nC ({kind}) written to {}", out.display());
        }
    }
    if args.check {
        let product = reference_matmul(&a, &b);
        // Equal to the wrapping reference says nothing about the wrap itself: count it.
        let wrapped = match wraps {
            Some(_) => format!(
                " (int32 sums, wrapping: {} of {} elements of C wrapped)",
                count(overflowing_elements(&a, &b)),
                count((a.rows() * b.cols()) as u64)
            ),
            None => String::new(),
        };
        match (&stage, &c8) {
            (Some(st), Some(c8)) => {
                if *c8 != st.apply_matrix(&product) {
                    bail!("C differs from the requantized reference matrix product");
                }
                if !args.json {
                    println!("check: C equals the reference matrix product, requantized{wrapped}");
                }
            }
            _ => {
                if run.c != product {
                    bail!("C differs from the reference matrix product");
                }
                if !args.json {
                    println!("check: C equals the reference matrix product{wrapped}");
                }
            }
        }
    }
    Ok(())
}
