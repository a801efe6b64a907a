//! `systole gemm`: one GEMM on NumPy data or seeded random data.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use systole_sim::array::{check_gemm, simulate_gemm};
use systole_sim::config::Dataflow;
use systole_sim::energy::{estimate, Efficiency, EnergyBreakdown, RegisterConvention};
use systole_sim::matrix::{reference_matmul, Matrix};
use systole_sim::npy;
use systole_sim::report::gemm_text;
use systole_sim::GemmShape;

use super::{parse_dataflow, ArchArgs, EnergyArgs};

#[derive(Debug, Args)]
pub struct GemmArgs {
    #[command(flatten)]
    arch: ArchArgs,
    #[command(flatten)]
    energy: EnergyArgs,
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
    /// Write C (int32, M x N) to this .npy file.
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
    #[arg(long, value_enum, default_value_t = Backend::Fast)]
    backend: Backend,
    /// With --backend rtl: write a VCD waveform of every signal of the design (GTKWave, Surfer).
    #[arg(long, value_name = "FILE.vcd")]
    vcd: Option<PathBuf>,
}

/// The simulators `systole gemm` can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    Fast,
    Rtl,
    Verilator,
    Icarus,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Fast => "fast",
            Backend::Rtl => "rtl",
            Backend::Verilator => "verilator",
            Backend::Icarus => "icarus",
        }
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

fn simulate(
    backend: Backend,
    vcd: Option<&std::path::Path>,
    cfg: &systole_sim::config::ArchConfig,
    df: Dataflow,
    a: &Matrix<i8>,
    b: &Matrix<i8>,
) -> anyhow::Result<(systole_sim::array::GemmRun, f64)> {
    let work =
        || std::env::temp_dir().join(format!("systole-{}-{}", backend.name(), std::process::id()));
    Ok(match backend {
        Backend::Fast => {
            let began = std::time::Instant::now();
            let run = simulate_gemm(cfg, df, a, b)?;
            (run, began.elapsed().as_secs_f64())
        }
        Backend::Rtl => {
            let writer = match vcd {
                Some(p) => Some(std::io::BufWriter::new(
                    std::fs::File::create(p)
                        .with_context(|| format!("creating {}", p.display()))?,
                )),
                None => None,
            };
            let r = systole_hdl::rtl::simulate_gemm_rtl_traced(
                cfg,
                df,
                a,
                b,
                &mut systole_sim::array::NoProbe,
                writer,
            )?;
            (r.run, r.sim_seconds)
        }
        Backend::Verilator => {
            let dir = work();
            let r = systole_hdl::verilator::run_verilator(cfg, df, a, b, &dir);
            let _ = std::fs::remove_dir_all(&dir);
            let r = r?;
            (r.run, r.sim_seconds)
        }
        Backend::Icarus => {
            let dir = work();
            let began = std::time::Instant::now();
            let r = systole_hdl::cosim::run_icarus(cfg, df, a, b, &dir);
            let _ = std::fs::remove_dir_all(&dir);
            let r = r?;
            // Icarus compiles and simulates in one go; the time includes its compile.
            (r.run, began.elapsed().as_secs_f64())
        }
    })
}

pub fn run(args: GemmArgs) -> anyhow::Result<()> {
    let cfg = args.arch.load()?;
    let model = args.energy.load()?;
    let (a, b) = match (&args.a, &args.b) {
        (Some(pa), Some(pb)) => (npy::read_i8_matrix(pa)?, npy::read_i8_matrix(pb)?),
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
            check_gemm(&cfg, args.dataflow, shape).context("--m/--n/--k")?;
            (
                Matrix::random(args.m, args.k, args.seed),
                Matrix::random(args.k, args.n, args.seed.wrapping_add(1)),
            )
        }
    };
    if args.vcd.is_some() && args.backend != Backend::Rtl {
        bail!(
            "--vcd needs --backend rtl (the waveform comes from rust-hdl's simulation of the RTL)"
        );
    }
    let (run, sim_seconds) = simulate(
        args.backend,
        args.vcd.as_deref(),
        &cfg,
        args.dataflow,
        &a,
        &b,
    )?;
    if let Some(out) = &args.out {
        npy::write_i32_matrix(out, &run.c)?;
    }
    // The energy model charges the counts, whichever backend produced them.
    let energy = estimate(&cfg, &run.stats.events, run.stats.latency_cycles, &model);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&GemmJson {
                backend: args.backend.name(),
                sim_seconds,
                stats: &run.stats,
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
        print!("{}", gemm_text(&cfg, &run.stats, Some(&energy)));
        println!(
            "\nbackend: {} (simulation {:.3} s)",
            args.backend.name(),
            sim_seconds
        );
        if let Some(out) = &args.out {
            println!("\nC written to {}", out.display());
        }
    }
    if args.check {
        if run.c != reference_matmul(&a, &b) {
            bail!("C differs from the reference matrix product");
        }
        if !args.json {
            println!("check: C equals the reference matrix product");
        }
    }
    Ok(())
}
