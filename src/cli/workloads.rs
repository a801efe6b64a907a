//! `systole workloads`: the built-in networks, with their layer counts and MACs.

use clap::Args;
use serde::Serialize;
use systole_sim::report::count;
use systole_sim::workload::{builtin_names, Workload};

#[derive(Debug, Args)]
pub struct WorkloadsArgs {
    /// Also list every layer of this workload (a built-in name, a TOML file or a SCALE-Sim
    /// topology CSV): its kind, its shape and the GEMM it maps to.
    #[arg(long, value_name = "NAME|FILE")]
    layers: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Entry {
    name: String,
    layers: usize,
    gemm_runs: u64,
    macs: u64,
    source: String,
}

#[derive(Serialize)]
struct LayerEntry {
    name: String,
    shape: String,
    m: usize,
    n: usize,
    k: usize,
    runs: u64,
    macs: u64,
}

pub fn run(args: WorkloadsArgs) -> anyhow::Result<()> {
    if let Some(w) = &args.layers {
        let w = Workload::load(w)?;
        let rows: Vec<LayerEntry> = w
            .layers
            .iter()
            .map(|l| {
                let s = l.shape();
                LayerEntry {
                    name: l.name.clone(),
                    shape: l.op.describe(),
                    m: s.m,
                    n: s.n,
                    k: s.k,
                    runs: l.runs(),
                    macs: l.macs(),
                }
            })
            .collect();
        if args.json {
            println!("{}", serde_json::to_string_pretty(&rows)?);
            return Ok(());
        }
        println!("{}: {}\n", w.name, w.source);
        let name_w = rows.iter().map(|r| r.name.len()).max().unwrap_or(5).max(5);
        let shape_w = rows.iter().map(|r| r.shape.len()).max().unwrap_or(5).max(5);
        println!(
            "{:<name_w$}  {:<shape_w$}  {:>7} {:>6} {:>6} {:>5} {:>15}",
            "layer", "shape", "M", "N", "K", "runs", "MACs"
        );
        for r in &rows {
            println!(
                "{:<name_w$}  {:<shape_w$}  {:>7} {:>6} {:>6} {:>5} {:>15}",
                r.name,
                r.shape,
                r.m,
                r.n,
                r.k,
                r.runs,
                count(r.macs)
            );
        }
        println!("\n{} layers, {} MACs", rows.len(), count(w.macs()));
        return Ok(());
    }
    let entries: Vec<Entry> = builtin_names()
        .into_iter()
        .map(|n| {
            let w = Workload::builtin(n).expect("a listed name is built in");
            Entry {
                name: n.to_string(),
                layers: w.layers.len(),
                gemm_runs: w.layers.iter().map(|l| l.runs()).sum(),
                macs: w.macs(),
                source: w.source,
            }
        })
        .collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&entries)?);
        return Ok(());
    }
    println!(
        "{:<12} {:>6} {:>9} {:>15}  source",
        "workload", "layers", "GEMMs", "MACs"
    );
    for e in &entries {
        println!(
            "{:<12} {:>6} {:>9} {:>15}  {}",
            e.name,
            e.layers,
            e.gemm_runs,
            count(e.macs),
            e.source
        );
    }
    println!(
        "\n`layers` counts distinct layer entries (identical layers are one entry with a repeat); \
         `GEMMs` counts the GEMMs the array runs. `systole workloads --layers NAME` lists them."
    );
    Ok(())
}
