//! `systole run`: a workload on an architecture, every dataflow, a comparison.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use systole_sim::array::check_dataflow;
use systole_sim::config::{ConvInput, Dataflow};
use systole_sim::report::{workload_csv, workload_markdown, workload_text};
use systole_sim::run::trace_bytes;
use systole_sim::run::{run_workload, run_workload_traced};
use systole_sim::scalesim::reports::{check_rows, folder_name, reports as scalesim_reports};
use systole_sim::scalesim::{read_cfg, read_topology};
use systole_sim::workload::{Workload, DEFAULT_WORKLOAD};

use super::{ArchArgs, EnergyArgs, MappingArgs};
use crate::plots::{write_plots, PLOTS};
use systole_sim::mapper::MappingPolicy;
use systole_sim::mapping::file::MappingFile;

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    arch: ArchArgs,
    #[command(flatten)]
    energy: EnergyArgs,
    #[command(flatten)]
    mapping: MappingArgs,
    /// A built-in workload (`systole workloads` lists them), a TOML file of layers or a
    /// SCALE-Sim topology CSV (`.csv`).
    #[arg(long, default_value = DEFAULT_WORKLOAD, value_name = "NAME|FILE", conflicts_with = "topology")]
    workload: String,
    /// A SCALE-Sim topology CSV, conv or GEMM form, read as SCALE-Sim reads it.
    #[arg(long, value_name = "FILE.csv")]
    topology: Option<PathBuf>,
    /// A SCALE-Sim .cfg: its array, SRAM sizes, bandwidth and dataflow replace those of --arch
    /// (which supplies what SCALE-Sim has no key for); SCALE-Sim-shaped CSVs are written.
    #[arg(long, value_name = "FILE.cfg")]
    scalesim_cfg: Option<PathBuf>,
    /// Also write SCALE-Sim-shaped CSVs (COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv,
    /// DETAILED_ACCESS_REPORT.csv) for this run (implied by --scalesim-cfg).
    #[arg(long)]
    scalesim_csv: bool,
    /// Dataflow to run: os, ws, is or all [default: all, or the --scalesim-cfg's Dataflow].
    #[arg(long, value_parser = parse_dataflows)]
    dataflow: Option<DataflowChoice>,
    /// What buffer A holds for a convolution: ifmap (the input feature map, read through the
    /// im2col address unit; DRAM bytes are the ifmap's) or expanded (the im2col matrix, as
    /// SCALE-Sim models it) [default: the config's `conv_input`: ifmap, or expanded with
    /// --scalesim-cfg].
    #[arg(long, value_enum, value_name = "WHAT")]
    conv_input: Option<ConvInputArg>,
    /// Write per-cycle traces in SCALE-Sim's layout (IFMAP_SRAM_TRACE.csv and the others, one
    /// row per cycle) to DIR/DATAFLOW/layerN/. Large: one row per cycle per buffer, so use a
    /// small workload or one --dataflow. The expected size is printed first; above 100 MB the
    /// run needs --trace-limit.
    #[arg(long, value_name = "DIR")]
    trace: Option<PathBuf>,
    /// The most bytes --trace may write, e.g. 2GB or 500MB [default: 100MB]; a run whose traces
    /// are expected to be larger is refused before anything is written.
    #[arg(long, value_name = "SIZE", requires = "trace", value_parser = parse_size)]
    trace_limit: Option<u64>,
    /// Compare every layer's C with a plain reference matrix product (slower); for a quantized
    /// network, every layer's int8 output with the network's direct reference.
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

/// `--conv-input` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ConvInputArg {
    Ifmap,
    Expanded,
}

#[derive(Debug, Clone)]
pub struct DataflowChoice(Vec<Dataflow>);

/// The default of `--trace-limit`, bytes.
const DEFAULT_TRACE_LIMIT: u64 = 100_000_000;

/// A size: bytes, or a number with kB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB.
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        "t" | "tb" => 1_000_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        _ => {
            return Err(format!(
                "`{}` is not a unit: use B, kB, MB, GB, TB, KiB, MiB, GiB or TiB",
                unit.trim()
            ))
        }
    };
    let v: f64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a size (e.g. 500MB, 2GB)"))?;
    let bytes = v * scale as f64;
    if !(bytes.is_finite() && bytes >= 1.0 && bytes <= u64::MAX as f64) {
        return Err(format!("`{s}`: must be at least 1 byte"));
    }
    Ok(bytes as u64)
}

/// `1234567` bytes -> `1.23 MB`.
fn human_bytes(b: u64) -> String {
    match b {
        0..=999_999 => format!("{:.1} kB", b as f64 / 1e3),
        1_000_000..=999_999_999 => format!("{:.1} MB", b as f64 / 1e6),
        _ => format!("{:.2} GB", b as f64 / 1e9),
    }
}

/// A `--trace-limit` value of at least `b` bytes, rounded up: `1.7GB`, `340MB`.
fn size_arg(b: u64) -> String {
    if b < 1_000_000_000 {
        format!("{}MB", b.div_ceil(1_000_000))
    } else {
        format!("{:.1}GB", b.div_ceil(100_000_000) as f64 / 10.0)
    }
}

fn parse_dataflows(s: &str) -> Result<DataflowChoice, String> {
    Dataflow::parse_list(s).map(DataflowChoice)
}

pub fn run(args: RunArgs) -> anyhow::Result<()> {
    let mut cfg_notes = Vec::new();
    let mut cfg_dataflow = None;
    let mut run_name = None;
    let mut cfg = match &args.scalesim_cfg {
        None => args.arch.load()?,
        Some(path) => args.arch.load_onto(|base| {
            let s = read_cfg(path, &base)?;
            cfg_notes = s
                .notes
                .iter()
                .map(|n| format!("{}: {n}", path.display()))
                .collect();
            cfg_dataflow = Some(s.dataflow);
            run_name = Some(s.run_name);
            Ok(s.arch)
        })?,
    };
    if let Some(c) = args.conv_input {
        cfg.conv_input = match c {
            ConvInputArg::Ifmap => ConvInput::Ifmap,
            ConvInputArg::Expanded => ConvInput::Expanded,
        };
    }
    let energy = args.energy.load()?;
    // A SCALE-Sim .cfg keeps SCALE-Sim's fold order unless a mapping is asked for, so that its
    // users see SCALE-Sim's machine.
    let policy = args.mapping.policy(match args.scalesim_cfg {
        Some(_) => MappingPolicy::Scalesim,
        None => MappingPolicy::default(),
    })?;
    let mut workload = match &args.topology {
        Some(path) => read_topology(path)?,
        None => Workload::load(&args.workload)?,
    };
    workload.notes.extend(cfg_notes);
    // A note of the report, and a warning once the run is accepted. A quantized network is int8
    // (a machine of another width refuses it before any layer runs).
    let widest_k = workload.layers.iter().map(|l| l.shape().k as u64).max();
    let wraps = widest_k
        .and_then(|k| cfg.accumulator_warning(k))
        .filter(|_| workload.quantized.is_none());
    workload.notes.extend(wraps.clone());
    let dataflows = match (args.dataflow, cfg_dataflow) {
        (Some(d), _) => d.0,
        (None, Some(df)) => vec![df],
        (None, None) => Dataflow::ALL.to_vec(),
    };
    for &df in &dataflows {
        check_dataflow(&cfg, df)?;
    }
    if args.scalesim_cfg.is_some() || args.scalesim_csv {
        check_rows(&workload).map_err(|e| anyhow::anyhow!("SCALE-Sim reports: {e}"))?;
    }
    let jobs = (dataflows.len() * workload.layers.len()) as u64;
    let bar = |what: &str| {
        ProgressBar::new(jobs).with_style(
            ProgressStyle::with_template(&format!(
                "{{bar:30}} {{pos}}/{{len}} layer runs{what}  {{elapsed}} (eta {{eta}})"
            ))
            .expect("valid template"),
        )
    };
    if let Some(dir) = &args.trace {
        // The traces' size, from a run without them (the traced run repeats it), before a byte
        // is written: the README's own example would write 1.6 GB.
        let sizing = bar(" (sizing the traces)");
        let plain = run_workload(
            &cfg,
            &workload,
            &dataflows,
            (false, &policy),
            &energy,
            &|| sizing.inc(1),
        );
        sizing.finish_and_clear();
        let bytes = trace_bytes(&plain.with_context(|| format!("workload {}", args.workload))?);
        let limit = args.trace_limit.unwrap_or(DEFAULT_TRACE_LIMIT);
        if bytes > limit {
            let n = |k: usize, what: &str| format!("{k} {what}{}", if k == 1 { "" } else { "s" });
            bail!(
                "--trace: the traces of {} x {} (a row per cycle per buffer) would take about {} in {}, above --trace-limit {}: give --trace-limit {} or more to write them, or trace fewer layers or one --dataflow",
                n(workload.layers.len(), "layer"),
                n(dataflows.len(), "dataflow"),
                human_bytes(bytes),
                dir.display(),
                human_bytes(limit),
                size_arg(bytes)
            );
        }
        eprintln!(
            "traces: about {} to write into {}",
            human_bytes(bytes),
            dir.display()
        );
    }
    let bar = bar("");
    let result = run_workload_traced(
        &cfg,
        &workload,
        &dataflows,
        (args.check, &policy),
        &energy,
        &|| bar.inc(1),
        args.trace.as_deref(),
    );
    bar.finish_and_clear();
    // Name the workload as it was given (a file's path says where to look).
    let given = match &args.topology {
        Some(p) => p.display().to_string(),
        None => args.workload.clone(),
    };
    let result = result.with_context(|| format!("workload {given}"))?;
    if let Some(w) = &wraps {
        eprintln!("warning: {w}");
    }

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
            if workload.quantized.is_some() {
                println!(
                    "\ncheck: every layer's int8 output equals the network's direct reference (each layer reading the previous layer's output)"
                );
            } else {
                println!("\ncheck: every layer's C equals the reference matrix product");
            }
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
        let maps = dir.join("mappings.toml");
        std::fs::write(&maps, mapping_file(&result, &command))
            .with_context(|| format!("{}: cannot write", maps.display()))?;
        if !args.json && !args.csv {
            println!(
                "\nreport written to {} (summary.md, results.json, results.csv, mappings.toml, plots as PNG and SVG)",
                dir.display()
            );
        }
    }
    if let Some(dir) = &args.trace {
        if !args.json && !args.csv {
            println!(
                "traces written to {}/<dataflow>/layer<N>/ (IFMAP_SRAM_TRACE.csv and the others, SCALE-Sim's layout)",
                dir.display()
            );
        }
    }
    if args.scalesim_cfg.is_some() || args.scalesim_csv {
        // As SCALE-Sim does: `<dir>/<run_name>/`, the directory `-p` (here --out, else `.`).
        let top = args.out.clone().unwrap_or_else(|| PathBuf::from("."));
        // One path component, whatever the names hold (a workload named `../../x` stays inside).
        let name =
            run_name.unwrap_or_else(|| folder_name(&format!("{}_{}", workload.name, cfg.name)));
        for d in &result.dataflows {
            let dir = if result.dataflows.len() == 1 {
                top.join(&name)
            } else {
                top.join(format!("{name}-{}", d.dataflow.name()))
            };
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("{}: cannot create", dir.display()))?;
            for (file, text) in scalesim_reports(&cfg, d).map_err(anyhow::Error::msg)? {
                let p = dir.join(file);
                std::fs::write(&p, text)
                    .with_context(|| format!("{}: cannot write", p.display()))?;
            }
            if !args.json && !args.csv {
                println!(
                    "SCALE-Sim reports ({}) written to {} (COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv, DETAILED_ACCESS_REPORT.csv)",
                    d.dataflow,
                    dir.display()
                );
            }
        }
    }
    Ok(())
}

/// Every layer's mapping in every dataflow of `run`, as a mapping file that `--mapping FILE`
/// reads back.
fn mapping_file(run: &systole_sim::run::WorkloadRun, command: &str) -> String {
    let entries: Vec<_> = run
        .dataflows
        .iter()
        .flat_map(|d| {
            d.layers.iter().map(move |l| {
                (
                    Some(l.name.clone()),
                    d.dataflow,
                    l.stats.shape(),
                    l.stats.mapping.clone(),
                )
            })
        })
        .collect();
    let header = format!(
        "systole mapping file: the mapping of every layer of {} on {} in each dataflow ({}).\nWritten by `{command}`; run them again with `systole run ... --mapping FILE`.\nFormat: docs/mapping.md, \"Mapping files\".",
        run.workload, run.arch.name, run.mapping
    );
    MappingFile::render(&header, &entries)
}
