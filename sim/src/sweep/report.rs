//! A sweep's report: the best point per metric, the Pareto fronts and the invalid points, as text
//! for the terminal and as Markdown beside the plots.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::pareto::{best_per_metric, front, ok_points, Metric, AREA, ENERGY, LATENCY};
use super::store::to_csv;
use super::{Status, SweepRow, SweepSpec};
use crate::report::{count, duration, markdown_table, mb, percent, sig, text_table, uj, Row};

/// The two fronts a report shows: (title, file stem, x cost, y cost).
pub const FRONTS: [(&str, &str, Metric, Metric); 2] = [
    (
        "Pareto front: energy vs latency",
        "pareto_energy_latency",
        LATENCY,
        ENERGY,
    ),
    (
        "Pareto front: energy vs area",
        "pareto_energy_area",
        AREA,
        ENERGY,
    ),
];

/// The columns that say which point a row is (`point_id_cells`).
const POINT_ID: [&str; 7] = [
    "point",
    "array",
    "buffers KiB A:B:C",
    "DRAM B/cycle",
    "bits",
    "dataflow",
    "tech",
];

/// Which point a row is: number, array, buffers, bandwidth, width, dataflow, table.
fn point_id_cells(r: &SweepRow) -> Vec<String> {
    vec![
        r.point.to_string(),
        format!("{}x{}", r.rows, r.cols),
        format!("{}:{}:{}", r.buffer_a_kib, r.buffer_b_kib, r.buffer_c_kib),
        r.dram_bytes_per_cycle.to_string(),
        r.operand_bits.to_string(),
        r.dataflow.to_string(),
        r.tech.clone(),
    ]
}

const POINT_HEADER: &[&str] = &[
    POINT_ID[0],
    POINT_ID[1],
    POINT_ID[2],
    POINT_ID[3],
    POINT_ID[4],
    POINT_ID[5],
    POINT_ID[6],
    "cycles",
    "time",
    "energy uJ",
    "area mm2",
    "util",
    "DRAM MB",
];

fn point_cells(spec: &SweepSpec, r: &SweepRow) -> Vec<String> {
    let cycles = r.latency_cycles.unwrap_or(0);
    let mut cells = point_id_cells(r);
    cells.extend([
        count(cycles),
        duration(cycles, spec.base_arch.clock_mhz),
        r.energy_pj.map_or("-".into(), uj),
        r.area_mm2.map_or("-".into(), sig),
        r.utilization.map_or("-".into(), percent),
        mb(r.dram_read_bytes.unwrap_or(0) + r.dram_write_bytes.unwrap_or(0)),
    ]);
    cells
}

fn point_rows(spec: &SweepSpec, points: &[&SweepRow]) -> Vec<Row> {
    points
        .iter()
        .map(|r| Row {
            cells: point_cells(spec, r),
        })
        .collect()
}

/// Grids of at most this many points that ran list every point's energy by component.
const EVERY_POINT_MAX: usize = 60;

const ENERGY_HEADER: &[&str] = &[
    POINT_ID[0],
    POINT_ID[1],
    POINT_ID[2],
    POINT_ID[3],
    POINT_ID[4],
    POINT_ID[5],
    POINT_ID[6],
    "cycles",
    "energy uJ",
    "MAC uJ",
    "registers uJ",
    "buffers uJ",
    "DRAM uJ",
    "other uJ",
    "pJ/MAC",
    "DRAM MB",
];

/// Every point's energy by component: MACs, registers, the three buffers, DRAM, and the rest
/// (output stage and leakage).
fn energy_rows(points: &[&SweepRow]) -> Vec<Row> {
    points
        .iter()
        .map(|r| {
            let v = |x: Option<f64>| x.unwrap_or(0.0);
            let buffers = v(r.buffer_a_pj) + v(r.buffer_b_pj) + v(r.buffer_c_pj);
            let named = v(r.mac_pj) + v(r.registers_pj) + buffers + v(r.dram_pj);
            let mut cells = point_id_cells(r);
            cells.extend([
                count(r.latency_cycles.unwrap_or(0)),
                uj(v(r.energy_pj)),
                uj(v(r.mac_pj)),
                uj(v(r.registers_pj)),
                uj(buffers),
                uj(v(r.dram_pj)),
                uj(v(r.energy_pj) - named),
                r.pj_per_mac.map_or("-".into(), sig),
                mb(r.dram_read_bytes.unwrap_or(0) + r.dram_write_bytes.unwrap_or(0)),
            ]);
            Row { cells }
        })
        .collect()
}

fn best_rows(spec: &SweepSpec, rows: &[SweepRow]) -> (Vec<&'static str>, Vec<Row>) {
    let mut header = vec!["best for"];
    header.extend_from_slice(POINT_HEADER);
    let pts = ok_points(rows);
    let body = best_per_metric(&pts)
        .into_iter()
        .map(|(m, r)| {
            let mut cells = vec![m.label.to_string()];
            cells.extend(point_cells(spec, r));
            Row { cells }
        })
        .collect();
    (header, body)
}

/// Invalid points grouped by reason: (reason, point numbers).
fn invalid_groups(rows: &[SweepRow]) -> BTreeMap<&str, Vec<u64>> {
    let mut g: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.status == Status::Invalid) {
        g.entry(r.reason.as_str()).or_default().push(r.point);
    }
    g
}

/// `1 point`, `9 points`.
fn points(n: usize) -> String {
    if n == 1 {
        "1 point".into()
    } else {
        format!("{n} points")
    }
}

fn point_list(points: &[u64]) -> String {
    let shown: Vec<String> = points.iter().take(12).map(u64::to_string).collect();
    let more = if points.len() > 12 { ", ..." } else { "" };
    format!("{}{more}", shown.join(", "))
}

/// One line: what was swept and how many points ran.
pub fn headline(spec: &SweepSpec, rows: &[SweepRow]) -> String {
    let ok = ok_points(rows).len();
    let invalid = rows.iter().filter(|r| r.status == Status::Invalid).count();
    let list = |v: &[u32]| v.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
    format!(
        "sweep of {} from {}: rows {}, cols {}, buffers {} KiB, DRAM {} B/cycle, operand bits {}, dataflows {}, tech {}, {} registers: {} points, {ok} ran, {invalid} invalid",
        spec.workload.name,
        spec.base_arch.name,
        list(&spec.rows),
        list(&spec.cols),
        spec.buffer_kib
            .iter()
            .map(|[a, b, c]| if a == b && b == c { a.to_string() } else { format!("{a}:{b}:{c}") })
            .collect::<Vec<_>>()
            .join(","),
        list(&spec.dram_bytes_per_cycle),
        list(&spec.operand_bits),
        spec.dataflows
            .iter()
            .map(|d| d.name())
            .collect::<Vec<_>>()
            .join(","),
        spec.techs
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(","),
        spec.register_convention.name(),
        spec.point_count(),
    )
}

/// The report as text.
pub fn sweep_text(spec: &SweepSpec, rows: &[SweepRow]) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{}\n", headline(spec, rows));
    let (h, b) = best_rows(spec, rows);
    if !b.is_empty() {
        o.push_str(&text_table(&h, &b));
    }
    let pts = ok_points(rows);
    for (title, _, x, y) in FRONTS {
        let f = front(&pts, x, y);
        if f.is_empty() {
            continue;
        }
        let _ = writeln!(o, "\n{title} ({}, by {}):", points(f.len()), x.label);
        o.push_str(&text_table(POINT_HEADER, &point_rows(spec, &f)));
    }
    let groups = invalid_groups(rows);
    if !groups.is_empty() {
        let _ = writeln!(o, "\ninvalid points:");
        for (reason, pts) in &groups {
            let _ = writeln!(o, "  {} x {reason} (points {})", pts.len(), point_list(pts));
        }
    }
    o
}

/// The report as Markdown; `command` made it and `plots` are (title, file stem) to embed.
pub fn sweep_markdown(
    spec: &SweepSpec,
    rows: &[SweepRow],
    command: &str,
    plots: &[(&str, &str)],
) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Sweep: {}\n", spec.workload.name);
    let _ = writeln!(o, "Generated by `{command}`.\n");
    let _ = writeln!(o, "{}.\n", headline(spec, rows));
    let _ = writeln!(
        o,
        "Every point's layers and summary are in `sweep.csv` (`scope` = `layer` or `point`); the \
         fronts' points are in `pareto_energy_latency.csv` and `pareto_energy_area.csv`. Cycles \
         are end to end, layers back to back, at the base architecture's {} MHz. Energy is for \
         one inference. The area is a first-order estimate of the PE array and the three SRAM \
         buffers only (`docs/energy.md`).\n",
        spec.base_arch.clock_mhz
    );
    let (h, b) = best_rows(spec, rows);
    if !b.is_empty() {
        let _ = writeln!(o, "## Best point per metric\n");
        o.push_str(&markdown_table(&h, &b));
    }
    let pts = ok_points(rows);
    for (title, stem, x, y) in FRONTS {
        let f = front(&pts, x, y);
        if f.is_empty() {
            continue;
        }
        let _ = writeln!(o, "\n## {title}\n");
        if let Some((t, s)) = plots.iter().find(|(_, s)| *s == stem) {
            let _ = writeln!(o, "![{t}]({s}.png)\n");
        }
        let _ = writeln!(o, "{}, by {}:\n", points(f.len()), x.label);
        o.push_str(&markdown_table(POINT_HEADER, &point_rows(spec, &f)));
    }
    if !pts.is_empty() && pts.len() <= EVERY_POINT_MAX {
        let _ = writeln!(o, "\n## Every point, energy by component\n");
        let _ = writeln!(
            o,
            "\"other\" is the output stage and leakage; \"buffers\" is A, B and C together.\n"
        );
        o.push_str(&markdown_table(ENERGY_HEADER, &energy_rows(&pts)));
    }
    let groups = invalid_groups(rows);
    if !groups.is_empty() {
        let _ = writeln!(o, "\n## Invalid points\n");
        for (reason, pts) in &groups {
            let _ = writeln!(
                o,
                "- {} x `{reason}` (points {})",
                pts.len(),
                point_list(pts)
            );
        }
    }
    o
}

/// The points of a front as CSV, in `sweep.csv`'s columns, ordered along the front.
pub fn front_csv(rows: &[SweepRow], x: Metric, y: Metric) -> String {
    let pts = ok_points(rows);
    String::from_utf8(to_csv(front(&pts, x, y), true)).expect("CSV of UTF-8 text")
}
