//! `systole gemm`: one GEMM on NumPy data or seeded random data.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use systole_sim::array::{check_gemm, simulate_gemm};
use systole_sim::config::Dataflow;
use systole_sim::matrix::{reference_matmul, Matrix};
use systole_sim::npy;
use systole_sim::report::gemm_text;
use systole_sim::GemmShape;

use super::{parse_dataflow, ArchArgs};

#[derive(Debug, Args)]
pub struct GemmArgs {
    #[command(flatten)]
    arch: ArchArgs,
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
}

pub fn run(args: GemmArgs) -> anyhow::Result<()> {
    let cfg = args.arch.load()?;
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
    let run = simulate_gemm(&cfg, args.dataflow, &a, &b)?;
    if let Some(out) = &args.out {
        npy::write_i32_matrix(out, &run.c)?;
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&run.stats).context("serialising stats")?
        );
    } else {
        print!("{}", gemm_text(&cfg, &run.stats));
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
