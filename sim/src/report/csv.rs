//! `results.csv`: one row per dataflow and layer of a workload run.

use std::fmt::Write;

use crate::run::WorkloadRun;

/// Column names of [`workload_csv`].
pub const CSV_COLUMNS: &[&str] = &[
    "dataflow",
    "layer",
    "shape",
    "repeat",
    "m",
    "n",
    "k",
    "macs",
    "latency_cycles",
    "total_cycles",
    "stall_cycles",
    "load_cycles",
    "writeback_cycles",
    "utilization",
    "dram_read_bytes",
    "dram_write_bytes",
    "energy_pj_mac",
    "energy_pj_registers",
    "energy_pj_buffer_a",
    "energy_pj_buffer_b",
    "energy_pj_buffer_c",
    "energy_pj_dram",
    "energy_pj_output_stage",
    "energy_pj_leakage",
    "energy_pj_total",
    "pj_per_mac",
    "tops_per_watt",
    "edp_js",
    "mapping",
    "scalesim_order_latency_cycles",
    "scalesim_order_energy_pj",
];

/// One CSV row per (dataflow, layer), for one run of the layer (`repeat` says how many).
pub fn workload_csv(run: &WorkloadRun) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{}", CSV_COLUMNS.join(","));
    for d in &run.dataflows {
        for l in &d.layers {
            let s = &l.stats;
            let mut cells = vec![
                d.dataflow.name().to_string(),
                csv_field(&l.name),
                csv_field(&l.layer),
                l.repeat.to_string(),
                s.m.to_string(),
                s.n.to_string(),
                s.k.to_string(),
                l.macs.to_string(),
                s.latency_cycles.to_string(),
                s.total_cycles.to_string(),
                s.stall_cycles.to_string(),
                s.load_cycles.to_string(),
                s.writeback_cycles.to_string(),
                format!("{:.6}", s.utilization),
                s.dram_read_bytes.to_string(),
                s.dram_write_bytes.to_string(),
            ];
            cells.extend(l.energy_pj.values().iter().map(|v| format!("{v:.3}")));
            cells.push(format!("{:.3}", l.energy_pj.total));
            cells.push(format!("{:.6}", l.efficiency.pj_per_mac));
            cells.push(format!("{:.6}", l.efficiency.tops_per_watt));
            cells.push(format!("{:.6e}", l.efficiency.edp_js));
            cells.push(csv_field(&s.mapping.to_string()));
            let (cycles, pj) = match &l.scalesim_order {
                crate::run::ScalesimOrder::Same => (
                    s.latency_cycles.to_string(),
                    format!("{:.3}", l.energy_pj.total),
                ),
                crate::run::ScalesimOrder::Ran(r) => {
                    (r.latency_cycles.to_string(), format!("{:.3}", r.energy_pj))
                }
                crate::run::ScalesimOrder::Refused { .. } | crate::run::ScalesimOrder::NotRun => {
                    (String::new(), String::new())
                }
            };
            cells.push(cycles);
            cells.push(pj);
            let _ = writeln!(o, "{}", cells.join(","));
        }
    }
    o
}

/// Quotes a CSV field when it holds a comma, a quote or a line break (RFC 4180).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
