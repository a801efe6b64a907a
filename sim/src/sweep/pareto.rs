//! The trade-offs of a sweep: Pareto fronts (points no other point beats on both of two costs)
//! and the best point per metric. Only summaries of points that ran take part.

use super::SweepRow;

/// A figure of merit read from a point's summary row.
#[derive(Debug, Clone, Copy)]
pub struct Metric {
    /// Column name in `sweep.csv`.
    pub column: &'static str,
    /// How reports name it.
    pub label: &'static str,
    /// Whether more is better (otherwise less is).
    pub higher_is_better: bool,
    /// The value on a summary row (absent when the row has none, e.g. an area without a table).
    pub get: fn(&SweepRow) -> Option<f64>,
}

/// Energy of the workload, pJ.
pub const ENERGY: Metric = Metric {
    column: "energy_pj",
    label: "energy",
    higher_is_better: false,
    get: |r| r.energy_pj,
};

/// Latency of the workload, cycles.
pub const LATENCY: Metric = Metric {
    column: "latency_cycles",
    label: "latency",
    higher_is_better: false,
    get: |r| r.latency_cycles.map(|c| c as f64),
};

/// Area estimate, mm^2.
pub const AREA: Metric = Metric {
    column: "area_mm2",
    label: "area",
    higher_is_better: false,
    get: |r| r.area_mm2,
};

/// The metrics [`best_per_metric`] reports.
pub const METRICS: [Metric; 6] = [
    ENERGY,
    LATENCY,
    Metric {
        column: "edp_js",
        label: "energy-delay product",
        higher_is_better: false,
        get: |r| r.edp_js,
    },
    AREA,
    Metric {
        column: "dram_read_bytes+dram_write_bytes",
        label: "DRAM traffic",
        higher_is_better: false,
        get: |r| Some((r.dram_read_bytes? + r.dram_write_bytes?) as f64),
    },
    Metric {
        column: "utilization",
        label: "PE utilization",
        higher_is_better: true,
        get: |r| r.utilization,
    },
];

/// The summaries of the points that ran, in point order.
pub fn ok_points(rows: &[SweepRow]) -> Vec<&SweepRow> {
    rows.iter().filter(|r| r.is_ok_point()).collect()
}

/// The points on the Pareto front of two costs to minimise, `x` then `y`, ordered by `x`. A
/// point is on it when no other point is at most as costly in both and cheaper in one. Points
/// without both values are left out; equal points are all kept.
pub fn front<'a>(points: &[&'a SweepRow], x: Metric, y: Metric) -> Vec<&'a SweepRow> {
    let mut v: Vec<(f64, f64, &SweepRow)> = points
        .iter()
        .filter_map(|r| Some(((x.get)(r)?, (y.get)(r)?, *r)))
        .collect();
    v.sort_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then(a.1.total_cmp(&b.1))
            .then(a.2.point.cmp(&b.2.point))
    });
    let mut out: Vec<&SweepRow> = Vec::new();
    let mut last: Option<(f64, f64)> = None;
    for (px, py, r) in v {
        let keep = match last {
            None => true,
            // Sorted by x then y: a point survives if it is cheaper in y than every point at a
            // lower or equal x, or equal to the last point kept.
            Some((lx, ly)) => py < ly || (px == lx && py == ly),
        };
        if keep {
            out.push(r);
            last = Some((px, py));
        }
    }
    out
}

/// The best point for `metric` (the lowest point number among equals), if any point has it.
pub fn best<'a>(points: &[&'a SweepRow], metric: Metric) -> Option<&'a SweepRow> {
    let mut best: Option<(f64, &SweepRow)> = None;
    for r in points {
        let Some(v) = (metric.get)(r) else { continue };
        let better = match best {
            None => true,
            Some((b, _)) if metric.higher_is_better => v > b,
            Some((b, _)) => v < b,
        };
        if better {
            best = Some((v, r));
        }
    }
    best.map(|(_, r)| r)
}

/// The best point for each of [`METRICS`] that some point has.
pub fn best_per_metric<'a>(points: &[&'a SweepRow]) -> Vec<(Metric, &'a SweepRow)> {
    METRICS
        .iter()
        .filter_map(|&m| best(points, m).map(|r| (m, r)))
        .collect()
}
