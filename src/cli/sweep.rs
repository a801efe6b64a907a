//! `systole sweep`: a grid of design points on a workload, in parallel, resumable and shardable;
//! `systole sweep merge` joins shards.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use systole_sim::config::{ArchConfig, Dataflow, DEFAULT_PRESET, OPERAND_BITS};
use systole_sim::energy::{RegisterConvention, TechTable, DEFAULT_TECH};
use systole_sim::sweep::report::{front_csv, sweep_markdown, sweep_text, FRONTS};
use systole_sim::sweep::store::{merge, Store, SweepFile, CSV_FILE};
use systole_sim::sweep::{invalid_rows, run_job, Job, Shard, SweepRow, SweepSpec, SWEEP_FORMAT};
use systole_sim::workload::{Workload, DEFAULT_WORKLOAD};

use super::{ConventionArg, MappingArgs};
use crate::plots::write_sweep_plots;
use systole_sim::mapper::MappingPolicy;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SweepArgs {
    #[command(subcommand)]
    command: Option<SweepCommand>,
    #[command(flatten)]
    grid: GridArgs,
}

#[derive(Debug, Subcommand)]
enum SweepCommand {
    /// Join the directories of a sharded sweep into the result one run gives.
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
struct MergeArgs {
    /// Where to write the merged sweep.csv, the fronts and the report.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The shards' output directories.
    #[arg(required = true, value_name = "SHARD_DIR")]
    shards: Vec<PathBuf>,
}

/// Most threads `--jobs` takes: each is a thread with its own stack and simulation state, and
/// no machine this runs on has more cores (100,000 threads did not start within a minute).
const MAX_THREADS: usize = 1024;

#[derive(Debug, Args)]
struct GridArgs {
    /// A built-in workload (`systole workloads`), a TOML file of layers or a SCALE-Sim topology.
    #[arg(long, default_value = DEFAULT_WORKLOAD, value_name = "NAME|FILE")]
    workload: String,
    /// The architecture every point starts from: a preset or a TOML file.
    #[arg(long, default_value = DEFAULT_PRESET, value_name = "PRESET|FILE")]
    arch: String,
    /// PE rows to try [default: the base architecture's].
    #[arg(long, value_delimiter = ',', value_name = "R,..")]
    rows: Vec<u32>,
    /// PE columns to try [default: the base architecture's].
    #[arg(long, value_delimiter = ',', value_name = "C,..")]
    cols: Vec<u32>,
    /// Buffer capacities to try, KiB: `N` gives each of A, B and C N KiB, `A:B:C` sets them
    /// apart [default: the base architecture's].
    #[arg(long, value_delimiter = ',', value_parser = parse_buffers, value_name = "KIB,..")]
    buffer_kib: Vec<[u32; 3]>,
    /// DRAM bandwidths to try, bytes per cycle [default: the base architecture's].
    #[arg(long, value_delimiter = ',', value_name = "B,..")]
    dram_bytes_per_cycle: Vec<u32>,
    /// Operand widths to try, bits: 4, 8, 16 (int4, int8, int16 at the same array and buffer
    /// capacities; A and B's bank counts follow) [default: the base architecture's].
    #[arg(long, value_delimiter = ',', value_name = "BITS,..")]
    operand_bits: Vec<u32>,
    /// Dataflows: os, ws, is (comma-separated) or all.
    #[arg(long, default_value = "all", value_name = "DF,..|all")]
    dataflow: String,
    /// Technology tables: built-in nodes (45nm, 28nm, 16nm, 7nm) or TOML files.
    #[arg(long, value_delimiter = ',', default_value = DEFAULT_TECH, value_name = "NODE,..")]
    tech: Vec<String>,
    /// How pipeline registers are charged: write-once or read-write.
    #[arg(long, value_enum, default_value_t = ConventionArg::WriteOnce, value_name = "CONVENTION")]
    register_convention: ConventionArg,
    #[command(flatten)]
    mapping: MappingArgs,
    /// The output directory: sweep.json, sweep.csv, the fronts, summary.md and the plots.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Continue the sweep already in --out: finished points are kept and skipped.
    #[arg(long)]
    resume: bool,
    /// Run only shard i of n (1-based; jobs are dealt round-robin), for a cluster job array.
    #[arg(long, value_parser = Shard::parse, value_name = "i/n")]
    shard: Option<Shard>,
    /// Threads, 1 to 1024 [default: one per core]; never more than the points left to run.
    #[arg(long, short = 'j', value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=MAX_THREADS as u64))]
    jobs: Option<usize>,
}

fn parse_buffers(s: &str) -> Result<[u32; 3], String> {
    let parts: Vec<&str> = s.split(':').collect();
    let num = |p: &str| {
        p.trim()
            .parse::<u32>()
            .map_err(|_| format!("`{p}` is not a whole number of KiB"))
    };
    match parts.as_slice() {
        [n] => Ok([num(n)?; 3]),
        [a, b, c] => Ok([num(a)?, num(b)?, num(c)?]),
        _ => Err(format!("`{s}`: give N (each buffer) or A:B:C")),
    }
}

/// The values of an axis, or the base architecture's one value when none is given.
fn axis<T: Clone>(given: &[T], base: T) -> Vec<T> {
    if given.is_empty() {
        vec![base]
    } else {
        given.to_vec()
    }
}

impl GridArgs {
    fn spec(&self) -> anyhow::Result<SweepSpec> {
        let base = ArchConfig::load(&self.arch)?;
        let b = &base.buffers;
        let spec = SweepSpec {
            format: SWEEP_FORMAT,
            workload: Workload::load(&self.workload)
                .with_context(|| format!("workload {}", self.workload))?,
            rows: axis(&self.rows, base.array.rows),
            cols: axis(&self.cols, base.array.cols),
            buffer_kib: axis(
                &self.buffer_kib,
                [b.a.capacity_kib, b.b.capacity_kib, b.c.capacity_kib],
            ),
            dram_bytes_per_cycle: axis(&self.dram_bytes_per_cycle, base.dram.bytes_per_cycle),
            operand_bits: axis(&self.operand_bits, base.array.operand_bits),
            dataflows: Dataflow::parse_list(&self.dataflow)
                .map_err(|e| anyhow::anyhow!("--dataflow {e}"))?,
            techs: self
                .tech
                .iter()
                .map(|t| TechTable::load(t))
                .collect::<Result<_, _>>()?,
            register_convention: match self.register_convention {
                ConventionArg::WriteOnce => RegisterConvention::WriteOnce,
                ConventionArg::ReadWrite => RegisterConvention::ReadWrite,
            },
            base_arch: base,
            mapping: self.mapping.policy(MappingPolicy::default())?,
        };
        spec.check().map_err(anyhow::Error::msg)?;
        Ok(spec)
    }
}

pub fn run(args: SweepArgs) -> anyhow::Result<()> {
    match args.command {
        Some(SweepCommand::Merge(m)) => run_merge(m),
        None => run_grid(args.grid),
    }
}

fn run_grid(g: GridArgs) -> anyhow::Result<()> {
    let Some(out) = g.out.clone() else {
        bail!("--out DIR is required: the sweep writes its results there as points finish");
    };
    let spec = g.spec()?;
    let widest_k = spec
        .workload
        .layers
        .iter()
        .map(|l| l.shape().k as u64)
        .max();
    for &bits in spec
        .operand_bits
        .iter()
        .filter(|b| OPERAND_BITS.contains(b))
    {
        let mut at = spec.base_arch.clone();
        at.array.operand_bits = bits;
        if let Some(w) = widest_k.and_then(|k| at.accumulator_warning(k)) {
            eprintln!("warning: {w}");
        }
    }
    let file = SweepFile {
        shard: g.shard,
        spec: spec.clone(),
    };
    let store = Store::open(&out, &file, g.resume)?;
    let jobs: Vec<_> = spec
        .jobs()
        .into_iter()
        .filter(|j| g.shard.is_none_or(|s| s.owns(j.index)))
        .collect();
    let techs = spec.techs.len() as u64;
    let mine = jobs.len() as u64 * techs;
    let pending: Vec<_> = jobs
        .into_iter()
        .filter(|j| !store.job_done(&spec, j))
        .collect();
    let already = mine - pending.len() as u64 * techs;
    if already > 0 {
        eprintln!(
            "resuming: {already} of {mine} points already in {}",
            out.join(CSV_FILE).display()
        );
    }
    let bar = ProgressBar::new(mine).with_position(already).with_style(
        ProgressStyle::with_template(
            "{bar:30} {pos}/{len} points  {per_sec}  {elapsed} (eta {eta})",
        )
        .expect("valid template"),
    );
    // One thread per job left at most: more would only start and wait.
    let threads = g
        .jobs
        .unwrap_or_else(rayon::current_num_threads)
        .min(pending.len())
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("starting the thread pool")?;
    // Testing aid (tests/cli_sweep.rs): abort the process in the middle of writing the job
    // after this many, as a kill would.
    let abort_after: Option<u64> = std::env::var("SYSTOLE_TEST_ABORT_AFTER_JOBS")
        .ok()
        .and_then(|v| v.parse().ok());
    let finished = AtomicU64::new(0);
    let appended = pool.install(|| {
        pending.par_iter().try_for_each(|j| {
            let rows = run_job_caught(&spec, j);
            if abort_after.is_some_and(|n| finished.fetch_add(1, Ordering::SeqCst) == n) {
                let _ = store.append_torn(&rows);
                std::process::abort();
            }
            store.append(&rows)?;
            bar.inc(techs);
            Ok::<_, systole_sim::sweep::store::SweepError>(())
        })
    });
    bar.finish_and_clear();
    appended?;
    let rows = store.finish(&spec)?;
    if let Some(s) = g.shard {
        println!(
            "shard {s}: {mine} points in {}; when every shard has run: systole sweep merge --out DIR SHARD_DIR...",
            out.join(CSV_FILE).display()
        );
        return Ok(());
    }
    write_report(&spec, &rows, &out)
}

/// [`run_job`], with a panic (a systole bug) recorded as the point's reason instead of ending
/// the sweep; the panic message is also printed by the default hook.
fn run_job_caught(spec: &SweepSpec, job: &Job) -> Vec<SweepRow> {
    std::panic::catch_unwind(AssertUnwindSafe(|| run_job(spec, job))).unwrap_or_else(|p| {
        let msg = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        invalid_rows(
            spec,
            job,
            &format!("internal error (a systole bug, please report it): {msg}"),
        )
    })
}

fn run_merge(m: MergeArgs) -> anyhow::Result<()> {
    let (spec, rows) = merge(&m.out, &m.shards)?;
    write_report(&spec, &rows, &m.out)
}

/// Writes the fronts, the plots and summary.md into `dir`, and prints the report.
fn write_report(spec: &SweepSpec, rows: &[SweepRow], dir: &Path) -> anyhow::Result<()> {
    let command = std::iter::once("systole".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).with_context(|| format!("{}: cannot write", p.display()))
    };
    for (_, stem, x, y) in FRONTS {
        write(&format!("{stem}.csv"), &front_csv(rows, x, y))?;
    }
    let plots = write_sweep_plots(spec, rows, dir)?;
    write("summary.md", &sweep_markdown(spec, rows, &command, &plots))?;
    print!("{}", sweep_text(spec, rows));
    println!(
        "\nresults in {} (sweep.csv, pareto_*.csv, summary.md, plots as PNG and SVG)",
        dir.display()
    );
    if !rows.iter().any(SweepRow::is_ok_point) {
        bail!("no point of the grid could run (the reasons are listed above)");
    }
    Ok(())
}
