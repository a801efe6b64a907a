//! Command-line definitions and dispatch.

mod gemm;
mod infer;
mod run;
mod sweep;
mod synth;
mod verilog;
mod workloads;

use clap::{Args, Parser, Subcommand};
use systole_hdl::backend::Backend;
use systole_sim::config::{ArchConfig, Dataflow, MemoryModel, DEFAULT_PRESET};
use systole_sim::energy::{EnergyModel, RegisterConvention, TechTable, DEFAULT_TECH};
use systole_sim::mapper::{MappingPolicy, Objective};
use systole_sim::mapping::file::MappingFile;

/// systole: design and compare DNN accelerators built on a quantized (int8; int4 and int16 on the
/// fast model) systolic array.
#[derive(Debug, Parser)]
#[command(
    name = "systole",
    version,
    about,
    long_about = None,
    after_help = "With no command, systole runs `systole run` with its defaults: ResNet-18 on the edge-16x16 preset, every dataflow compared."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a workload on an architecture for every dataflow and compare them (the main job).
    Run(run::RunArgs),
    /// Run one GEMM C = A x B on explicit NumPy data or seeded random data.
    Gemm(gemm::GemmArgs),
    /// Run a built-in quantized network layer by layer on one backend, each layer's int8 output
    /// feeding the next, every layer checked against the direct reference.
    Infer(infer::InferArgs),
    /// Explore a grid of array shapes, buffer sizes, DRAM bandwidths, operand widths, dataflows
    /// and technology tables on a workload, in parallel, resumably; Pareto fronts of energy vs
    /// latency and area.
    Sweep(sweep::SweepArgs),
    /// List the built-in workloads (layers, MACs, sources), or the layers of one workload.
    Workloads(workloads::WorkloadsArgs),
    /// Write the accelerator's Verilog (top.v), its lint waivers and its port description.
    Verilog(verilog::VerilogArgs),
    /// Synthesize the accelerator for an FPGA with Yosys and nextpnr and report its resources.
    Synth(synth::SynthArgs),
}

/// The architecture flags every command takes.
#[derive(Debug, Clone, Args)]
pub struct ArchArgs {
    /// A preset (tiny-4x4, edge-16x16, eyeriss-12x14, tpu-128x128) or a TOML file.
    #[arg(long, default_value = DEFAULT_PRESET, value_name = "PRESET|FILE")]
    arch: String,
    /// Override the number of PE rows (bank counts follow so each buffer still feeds one edge
    /// vector per cycle).
    #[arg(long, value_name = "R")]
    rows: Option<u32>,
    /// Override the number of PE columns.
    #[arg(long, value_name = "C")]
    cols: Option<u32>,
    /// Override the operand width: 4, 8 or 16 bits (int4, int8, int16; A and B's bank counts
    /// follow, capacities stay). The fast model and the energy model take every width; the RTL
    /// backends, `verilog` and `synth` build int8 only.
    #[arg(long, value_name = "BITS")]
    operand_bits: Option<u32>,
    /// Override the DRAM bandwidth, in bytes per accelerator cycle.
    #[arg(long, value_name = "B")]
    dram_bytes_per_cycle: Option<u32>,
    /// Memory model: dram (operands stream from DRAM through the DMA; stalls when late) or ideal
    /// (the whole problem on chip before cycle 0, no DRAM traffic).
    #[arg(long, value_enum, value_name = "MODEL")]
    memory: Option<MemoryArg>,
}

/// The energy-model flags of `run` and `gemm`.
#[derive(Debug, Clone, Args)]
pub struct EnergyArgs {
    /// Technology table: a built-in node (45nm, 28nm, 16nm, 7nm) or a TOML file of your own
    /// (the format of sim/tech/45nm.toml).
    #[arg(long, default_value = DEFAULT_TECH, value_name = "NODE|FILE")]
    tech: String,
    /// How pipeline registers are charged: write-once (each latched value once) or read-write
    /// (each write and each read, as ZigZag counts registers).
    #[arg(long, value_enum, default_value_t = ConventionArg::WriteOnce, value_name = "CONVENTION")]
    register_convention: ConventionArg,
}

/// How each GEMM is mapped: the flags of `run`, `gemm`, `sweep` and `infer`.
#[derive(Debug, Clone, Args)]
pub struct MappingArgs {
    /// How each GEMM is cut into folds and in which order they run: search (the mapper's best
    /// for --objective, docs/mapping.md), scalesim (SCALE-Sim's fixed fold order) or a mapping
    /// file (TOML, as `systole run --out` writes it) [default: search; scalesim with
    /// --scalesim-cfg].
    #[arg(long, value_name = "search|scalesim|FILE")]
    mapping: Option<String>,
    /// What the mapper minimises: energy, latency or edp (energy x delay) [default: edp].
    #[arg(long, value_enum, value_name = "OBJECTIVE")]
    objective: Option<ObjectiveArg>,
}

/// `--objective` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ObjectiveArg {
    Energy,
    Latency,
    Edp,
}

impl MappingArgs {
    /// The policy the flags ask for, or `default` when `--mapping` is not given.
    pub fn policy(&self, default: MappingPolicy) -> anyhow::Result<MappingPolicy> {
        let objective = self.objective.map(|o| match o {
            ObjectiveArg::Energy => Objective::Energy,
            ObjectiveArg::Latency => Objective::Latency,
            ObjectiveArg::Edp => Objective::Edp,
        });
        let policy = match self.mapping.as_deref() {
            None => match (default, objective) {
                (MappingPolicy::Search(_), Some(o)) => MappingPolicy::Search(o),
                (d, _) => d,
            },
            Some("search") => MappingPolicy::Search(objective.unwrap_or_default()),
            Some("scalesim") => MappingPolicy::Scalesim,
            Some(path) => MappingPolicy::File(MappingFile::load(std::path::Path::new(path))?),
        };
        if objective.is_some() && !matches!(policy, MappingPolicy::Search(_)) {
            anyhow::bail!(
                "--objective applies to --mapping search, not to {}",
                policy.describe()
            );
        }
        Ok(policy)
    }
}

/// `--register-convention` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ConventionArg {
    WriteOnce,
    ReadWrite,
}

impl EnergyArgs {
    /// Loads the technology table and the convention.
    pub fn load(&self) -> anyhow::Result<EnergyModel> {
        Ok(EnergyModel {
            tech: TechTable::load(&self.tech)?,
            convention: match self.register_convention {
                ConventionArg::WriteOnce => RegisterConvention::WriteOnce,
                ConventionArg::ReadWrite => RegisterConvention::ReadWrite,
            },
        })
    }
}

/// `--memory` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MemoryArg {
    Dram,
    Ideal,
}

impl ArchArgs {
    /// Loads, overrides and validates the architecture.
    pub fn load(&self) -> anyhow::Result<ArchConfig> {
        self.load_onto(Ok)
    }

    /// Loads `--arch`, passes it through `f` (e.g. a SCALE-Sim .cfg applied onto it), then
    /// applies the override flags and validates.
    pub fn load_onto(
        &self,
        f: impl FnOnce(ArchConfig) -> anyhow::Result<ArchConfig>,
    ) -> anyhow::Result<ArchConfig> {
        let memory = self.memory.map(|m| match m {
            MemoryArg::Dram => MemoryModel::Dram,
            MemoryArg::Ideal => MemoryModel::Ideal,
        });
        Ok(f(ArchConfig::load(&self.arch)?)?
            .with_array(self.rows, self.cols, self.operand_bits)?
            .with_memory(self.dram_bytes_per_cycle, memory)?)
    }
}

impl Cli {
    /// Parses the process's arguments. A negative number is taken as a flag's value, so that
    /// `--m -1` names the flag and says why -1 is refused (clap otherwise reads `-1` as an
    /// unknown short flag: "unexpected argument '-1' found").
    pub fn try_parse_args() -> Result<Cli, clap::Error> {
        use clap::{CommandFactory, FromArgMatches};
        fn negatives(c: clap::Command) -> clap::Command {
            c.allow_negative_numbers(true).mut_subcommands(negatives)
        }
        let matches = negatives(Cli::command()).try_get_matches()?;
        Cli::from_arg_matches(&matches)
    }
}

/// Parses a dataflow name for clap.
/// `--backend`: clap lists the names ([`Backend::ALL`]) in the help and refuses any other.
fn backend_parser() -> impl clap::builder::TypedValueParser<Value = Backend> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Backend::ALL.map(Backend::name))
        .map(|s: String| Backend::parse(&s).expect("clap accepts the listed names only"))
}

fn parse_dataflow(s: &str) -> Result<Dataflow, String> {
    Dataflow::parse(s).ok_or_else(|| format!("`{s}` is not a dataflow: use os, ws or is"))
}

/// Runs the parsed command line; with no subcommand, the main job on its defaults.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Some(Command::Run(a)) => run::run(a),
        Some(Command::Gemm(a)) => gemm::run(a),
        Some(Command::Infer(a)) => infer::run(a),
        Some(Command::Verilog(a)) => verilog::run(a),
        Some(Command::Synth(a)) => synth::run(a),
        Some(Command::Workloads(a)) => workloads::run(a),
        Some(Command::Sweep(a)) => sweep::run(a),
        // No subcommand: `systole run` with clap's defaults (one place states them).
        None => match Cli::parse_from(["systole", "run"]).command {
            Some(Command::Run(a)) => run::run(a),
            _ => unreachable!("`systole run` parses as the run command"),
        },
    }
}
