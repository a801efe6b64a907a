//! `systole run`: a workload on an architecture, every dataflow, a comparison.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use systole_sim::array::check_dataflow;
use systole_sim::config::Dataflow;
use systole_sim::report::{workload_csv, workload_markdown, workload_text};
use systole_sim::run::run_workload;
use systole_sim::workload::{Workload, DEFAULT_WORKLOAD};

use super::{ArchArgs, EnergyArgs};
use crate::plots::{write_plots, PLOTS};

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    arch: ArchArgs,
    #[command(flatten)]
    energy: EnergyArgs,
    /// A built-in workload (bert-base) or a TOML file of GEMM layers.
    #[arg(long, default_value = DEFAULT_WORKLOAD, value_name = "NAME|FILE")]
    workload: String,
    /// Dataflow to run: os, ws, is or all.
    #[arg(long, default_value = "all", value_parser = parse_dataflows)]
    dataflow: DataflowChoice,
    /// Compare every layer's C with a plain reference matrix product (slower).
    #[arg(long)]
    check: bool,
    /// Print the results as JSON instead of tables.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print the results as CSV (one row per layer and dataflow) instead of tables.
    #[arg(long)]
    csv: bool,
    /// Also write a report to this directory: summary.md (tables and plots), results.json,
    /// results.csv, and the plots as PNG and SVG.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct DataflowChoice(Vec<Dataflow>);

fn parse_dataflows(s: &str) -> Result<DataflowChoice, String> {
    if s.eq_ignore_ascii_case("all") {
        return Ok(DataflowChoice(Dataflow::ALL.to_vec()));
    }
    let mut v = Vec::new();
    for part in s.split(',') {
        let df = Dataflow::parse(part.trim())
            .ok_or_else(|| format!("`{part}` is not a dataflow: use os, ws, is or all"))?;
        if !v.contains(&df) {
            v.push(df);
        }
    }
    Ok(DataflowChoice(v))
}

pub fn run(args: RunArgs) -> anyhow::Result<()> {
    let cfg = args.arch.load()?;
    let energy = args.energy.load()?;
    let workload = Workload::load(&args.workload)?;
    let dataflows = args.dataflow.0;
    for &df in &dataflows {
        check_dataflow(&cfg, df)?;
    }
    let jobs = (dataflows.len() * workload.layers.len()) as u64;
    let bar = ProgressBar::new(jobs).with_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} layer runs  {elapsed} (eta {eta})")
            .expect("valid template"),
    );
    let result = run_workload(&cfg, &workload, &dataflows, args.check, &energy, &|| {
        bar.inc(1)
    });
    bar.finish_and_clear();
    let result = result.with_context(|| format!("workload {}", args.workload))?;

    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&result).context("serialising results")?
        );
    } else if args.csv {
        print!("{}", workload_csv(&result));
    } else {
        print!("{}", workload_text(&result));
        if args.check {
            println!("\ncheck: every layer's C equals the reference matrix product");
        }
    }
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create the report directory", dir.display()))?;
        let command = std::iter::once("systole".to_string())
            .chain(std::env::args().skip(1))
            .collect::<Vec<_>>()
            .join(" ");
        write_plots(&result, dir)?;
        let md = dir.join("summary.md");
        std::fs::write(&md, workload_markdown(&result, &command, &PLOTS))
            .with_context(|| format!("{}: cannot write", md.display()))?;
        let js = dir.join("results.json");
        std::fs::write(&js, serde_json::to_string_pretty(&result)?)
            .with_context(|| format!("{}: cannot write", js.display()))?;
        let csv = dir.join("results.csv");
        std::fs::write(&csv, workload_csv(&result))
            .with_context(|| format!("{}: cannot write", csv.display()))?;
        if !args.json && !args.csv {
            println!(
                "\nreport written to {} (summary.md, results.json, results.csv, plots as PNG and SVG)",
                dir.display()
            );
        }
    }
    Ok(())
}
