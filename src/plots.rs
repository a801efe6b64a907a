//! The report's plots (plotters, PNG and SVG): energy by component per dataflow, cycles and stalls
//! per layer per dataflow, and DRAM traffic per dataflow and operand.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Once;

use anyhow::{anyhow, Context};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use systole_sim::energy::EnergyBreakdown;
use systole_sim::run::WorkloadRun;
use systole_sim::sweep::pareto::{front, ok_points, LATENCY};
use systole_sim::sweep::report::FRONTS;
use systole_sim::sweep::{SweepRow, SweepSpec};

/// The plots of a report: (title, file name without extension).
pub const PLOTS: [(&str, &str); 3] = [
    ("Energy by component", "energy_breakdown"),
    ("Cycles and stalls per layer", "cycles_per_layer"),
    ("DRAM traffic", "dram_traffic"),
];

/// Text is drawn with DejaVu Sans, bundled so that no system font library is needed.
static FONT: Once = Once::new();

fn register_font() {
    FONT.call_once(|| {
        let bytes: &'static [u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
        // The bundled font is valid; a failure would only leave text undrawn.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, bytes);
    });
}

/// Colours of stacked segments, one per series (colour-blind-friendly Okabe-Ito palette).
const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
    RGBColor(90, 90, 90),
];

/// A chart of bars: groups along x (layers or one group), `slots` bars per group (dataflows), each
/// bar a stack of segments (one per series).
struct Bars {
    title: String,
    y_label: String,
    groups: Vec<String>,
    slots: Vec<String>,
    series: Vec<String>,
    /// `values[group][slot][series]`.
    values: Vec<Vec<Vec<f64>>>,
    /// Series drawn hatched-light (e.g. stalls) rather than solid.
    light: Vec<bool>,
}

/// A plot drawn the same way on any plotters backend, written as PNG and SVG.
trait Plot {
    /// Width and height in pixels.
    const SIZE: (u32, u32);

    /// Draws the plot on `root`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static;

    /// Writes `<dir>/<name>.png` and `<dir>/<name>.svg`.
    fn write(&self, dir: &Path, name: &str) -> anyhow::Result<()> {
        register_font();
        let png = dir.join(format!("{name}.png"));
        self.draw(&BitMapBackend::new(&png, Self::SIZE).into_drawing_area())
            .with_context(|| format!("{}", png.display()))?;
        let svg = dir.join(format!("{name}.svg"));
        self.draw(&SVGBackend::new(&svg, Self::SIZE).into_drawing_area())
            .with_context(|| format!("{}", svg.display()))?;
        Ok(())
    }
}

impl Plot for Bars {
    const SIZE: (u32, u32) = (1100, 620);

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing: {e:?}");
        root.fill(&WHITE).map_err(err)?;
        let top = self
            .values
            .iter()
            .flatten()
            .map(|s| s.iter().sum::<f64>())
            .fold(0.0f64, f64::max);
        let single = self.groups.len() == 1;
        // Headroom for the bar labels and, with several groups, for the legend; a single group
        // keeps its legend in a gutter on the right instead.
        let y_max = if top <= 0.0 {
            1.0
        } else if single {
            top * 1.1
        } else {
            top * 1.35
        };
        let n = self.groups.len() as f64;
        let x_max = n - 0.5 + if single { 0.7 } else { 0.0 };
        let rotate = self.groups.len() > 8;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 26))
            .margin(16)
            .x_label_area_size(if rotate {
                120
            } else if single {
                10
            } else {
                50
            })
            .y_label_area_size(100)
            .build_cartesian_2d(-0.5f64..x_max, 0f64..y_max)
            .map_err(err)?;
        let groups = self.groups.clone();
        let label = move |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < groups.len() {
                groups[i as usize].clone()
            } else {
                String::new()
            }
        };
        let x_style = if rotate {
            ("sans-serif", 14)
                .into_font()
                .transform(FontTransform::Rotate90)
        } else {
            ("sans-serif", 16).into_font()
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            // Rotated names are drawn below (plotters centres a rotated label on its tick, so
            // half of it would sit behind the bars).
            .x_labels(if single || rotate {
                0
            } else {
                self.groups.len() * 2 + 1
            })
            .x_label_formatter(&label)
            .y_label_formatter(&|v| axis_number(*v))
            .x_label_style(x_style)
            .y_desc(&self.y_label)
            .y_label_style(("sans-serif", 16))
            .axis_desc_style(("sans-serif", 18))
            .draw()
            .map_err(err)?;

        if rotate {
            use plotters::style::text_anchor::{HPos, Pos, VPos};
            let style = TextStyle::from(
                ("sans-serif", 14)
                    .into_font()
                    .transform(FontTransform::Rotate90),
            )
            .pos(Pos::new(HPos::Left, VPos::Center));
            for (g, name) in self.groups.iter().enumerate() {
                let (px, py) = chart.backend_coord(&(g as f64, 0.0));
                root.draw(&Text::new(name.clone(), (px, py + 8), style.clone()))
                    .map_err(err)?;
            }
        }
        let slots = self.slots.len().max(1) as f64;
        let width = 0.8 / slots;
        for (g, group) in self.values.iter().enumerate() {
            for (s, stack) in group.iter().enumerate() {
                let x0 = g as f64 - 0.4 + s as f64 * width;
                let x1 = x0 + width * 0.92;
                let mut y = 0.0;
                for (k, v) in stack.iter().enumerate() {
                    let color = PALETTE[k % PALETTE.len()];
                    let style = if self.light.get(k).copied().unwrap_or(false) {
                        color.mix(0.35).filled()
                    } else {
                        color.filled()
                    };
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(x0, y), (x1, y + v)],
                            style,
                        )))
                        .map_err(err)?;
                    y += v;
                }
                // The slot (dataflow) name above its bar, with the bar's total for one group.
                if self.slots.len() > 1 || single {
                    let text = if single {
                        format!("{}: {}", self.slots[s], axis_number(y))
                    } else {
                        self.slots[s].clone()
                    };
                    chart
                        .draw_series(std::iter::once(Text::new(
                            text,
                            ((x0 + x1) / 2.0, y),
                            TextStyle::from(("sans-serif", 14).into_font()).pos(
                                plotters::style::text_anchor::Pos::new(
                                    plotters::style::text_anchor::HPos::Center,
                                    plotters::style::text_anchor::VPos::Bottom,
                                ),
                            ),
                        )))
                        .map_err(err)?;
                }
            }
        }
        // Legend: one entry per series.
        for (k, name) in self.series.iter().enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            let light = self.light.get(k).copied().unwrap_or(false);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(0.0, 0.0), (0.0, 0.0)],
                    color.filled(),
                )))
                .map_err(err)?
                .label(name.clone())
                .legend(move |(x, y)| {
                    let c = if light {
                        color.mix(0.35)
                    } else {
                        color.to_rgba()
                    };
                    Rectangle::new([(x, y - 6), (x + 14, y + 6)], c.filled())
                });
        }
        draw_legend(&mut chart).map_err(err)?;
        root.present().map_err(err)?;
        Ok(())
    }
}

/// Writes every plot of [`PLOTS`] for `run` into `dir`.
pub fn write_plots(run: &WorkloadRun, dir: &Path) -> anyhow::Result<()> {
    let dataflows: Vec<String> = run
        .dataflows
        .iter()
        .map(|d| d.dataflow.to_string())
        .collect();
    let context = format!("{} on {}", run.workload, run.arch.name);

    // Energy: one group, one stacked bar per dataflow.
    Bars {
        title: format!("Energy by component: {context} ({} table)", run.tech),
        y_label: "energy per inference (µJ)".into(),
        groups: vec![String::new()],
        slots: dataflows.clone(),
        series: vec![
            "MAC".into(),
            "registers".into(),
            "buffer A (ifmap)".into(),
            "buffer B (filter)".into(),
            "buffer C (ofmap)".into(),
            "DRAM".into(),
            "output stage".into(),
            "leakage".into(),
        ],
        values: vec![run
            .dataflows
            .iter()
            .map(|d| energy_uj(&d.energy_pj))
            .collect()],
        light: vec![],
    }
    .write(dir, PLOTS[0].1)?;

    // Cycles: a group per layer, a bar per dataflow: computing, then waiting for memory.
    let first = run.dataflows.first();
    let layers: Vec<String> = first
        .map(|d| d.layers.iter().map(|l| l.name.clone()).collect())
        .unwrap_or_default();
    let values = (0..layers.len())
        .map(|i| {
            run.dataflows
                .iter()
                .map(|d| {
                    let s = &d.layers[i].stats;
                    let r = d.layers[i].repeat as f64;
                    let wait = s.memory_wait_cycles() as f64;
                    vec![(s.latency_cycles as f64 - wait) * r / 1e3, wait * r / 1e3]
                })
                .collect()
        })
        .collect();
    Bars {
        title: format!("Cycles per layer (all repeats): {context}"),
        y_label: "thousands of cycles".into(),
        groups: layers,
        slots: dataflows.clone(),
        series: vec![
            "computing".into(),
            "memory wait (prologue, stalls, writeback)".into(),
        ],
        values,
        light: vec![false, true],
    }
    .write(dir, PLOTS[1].1)?;

    // DRAM traffic: one group, a bar per dataflow stacked by operand.
    Bars {
        title: format!("DRAM traffic: {context}"),
        y_label: "megabytes per inference (10^6 B)".into(),
        groups: vec![String::new()],
        slots: dataflows,
        series: vec![
            "A read (ifmap)".into(),
            "B read (filter)".into(),
            "C read (spilled partial sums)".into(),
            "C write (ofmap, spills)".into(),
        ],
        values: vec![run
            .dataflows
            .iter()
            .map(|d| {
                let e = &d.total.events;
                [
                    e.dram_a_read_bytes,
                    e.dram_b_read_bytes,
                    e.dram_c_read_bytes,
                    e.dram_c_write_bytes,
                ]
                .iter()
                .map(|&b| b as f64 / 1e6)
                .collect()
            })
            .collect()],
        light: vec![],
    }
    .write(dir, PLOTS[2].1)?;
    Ok(())
}

/// A 1-2-5 tick value without trailing zeros (`0.02`, `5`, `20,000`).
fn tick_number(v: f64) -> String {
    if v >= 1.0 {
        systole_sim::report::count(v.round() as u64)
    } else {
        let s = format!("{v:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A linear tick `v` with `decimals` digits after the point, thousands separated.
fn linear_tick(v: f64, decimals: usize) -> String {
    if decimals == 0 {
        let s = systole_sim::report::count(v.abs().round() as u64);
        if v < 0.0 {
            format!("-{s}")
        } else {
            s
        }
    } else {
        format!("{v:.decimals$}")
    }
}

/// An axis or bar value: thousands separated above 100, else three significant digits.
fn axis_number(v: f64) -> String {
    if v.abs() >= 100.0 {
        systole_sim::report::count(v.round() as u64)
    } else if v == 0.0 {
        "0".into()
    } else {
        systole_sim::report::sig(v)
    }
}

fn energy_uj(e: &EnergyBreakdown) -> Vec<f64> {
    e.values().iter().map(|v| v / 1e6).collect()
}

/// A scatter of design points with their Pareto front: every point coloured by its dataflow, the
/// front's points ringed, joined and labelled with what sets them apart (array, buffers,
/// bandwidth, width: the axes of the sweep with several values). An axis whose values span more
/// than 10x is logarithmic; its ticks, like a linear axis's, stay within the data.
struct Scatter {
    title: String,
    x_label: String,
    y_label: String,
    /// (x, y, series index, the label of a point on the front).
    points: Vec<(f64, f64, usize, Option<String>)>,
    series: Vec<String>,
}

/// One axis: its range in plot units, whether plot units are log10 of the values, and the
/// values' own range (ticks are drawn within it).
struct Axis {
    log: bool,
    lo: f64,
    hi: f64,
    data: (f64, f64),
}

impl Axis {
    fn of(values: impl Iterator<Item = f64>) -> Axis {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if !lo.is_finite() {
            return Axis {
                log: false,
                lo: 0.0,
                hi: 1.0,
                data: (0.0, 1.0),
            };
        }
        let data = (lo, hi);
        let log = lo > 0.0 && hi / lo > 10.0;
        let (lo, hi) = if log {
            (lo.log10(), hi.log10())
        } else {
            (lo, hi)
        };
        let pad = if hi > lo {
            (hi - lo) * 0.06
        } else {
            hi.abs().max(1.0) * 0.1
        };
        let lo = if log { lo - pad } else { (lo - pad).max(0.0) };
        Axis {
            log,
            lo,
            hi: hi + pad,
            data,
        }
    }

    /// Room above the data (for the legend): the range grows by `share` of itself.
    fn with_headroom(mut self, share: f64) -> Axis {
        self.hi += (self.hi - self.lo) * share;
        self
    }

    /// Tick values and their labels, all within the data's range (not the padding around it,
    /// nor the room above it for the legend). A log axis ticks at 1, 2 and 5 times the powers
    /// of ten (only the powers when that makes too many); a linear one at a 1-2-5 step giving
    /// four to ten ticks. A range too narrow for any tick is labelled at its ends.
    fn ticks(&self) -> Vec<(f64, String)> {
        let (d0, d1) = self.data;
        let inside = |v: &f64| *v >= d0 * (1.0 - 1e-9) && *v <= d1 * (1.0 + 1e-9);
        let ticks: Vec<(f64, String)> = if self.log {
            let (lo, hi) = (d0.log10().floor() as i32, d1.log10().ceil() as i32);
            let pick = |mults: &[f64]| -> Vec<f64> {
                (lo..=hi)
                    .flat_map(|k| mults.iter().map(move |m| m * 10f64.powi(k)))
                    .filter(inside)
                    .collect()
            };
            let all = pick(&[1.0, 2.0, 5.0]);
            let all = if all.len() > 12 { pick(&[1.0]) } else { all };
            all.into_iter().map(|v| (v, tick_number(v))).collect()
        } else {
            let span = d1 - d0;
            let step = [1.0, 2.0, 5.0]
                .iter()
                .flat_map(|m| (-12..=18).map(move |k| m * 10f64.powi(k)))
                .filter(|s| span / s <= 9.0)
                .fold(f64::INFINITY, f64::min);
            let decimals = (-step.log10().floor()).max(0.0) as usize;
            let first = (d0 / step).ceil() as i64;
            let last = (d1 / step).floor() as i64;
            if span > 0.0 && step.is_finite() && last - first < 20 {
                (first..=last)
                    .map(|i| i as f64 * step)
                    .map(|v| (v, linear_tick(v, decimals)))
                    .collect()
            } else {
                vec![]
            }
        };
        if ticks.is_empty() {
            let mut ends = vec![(d0, axis_number(d0))];
            if d1 > d0 {
                ends.push((d1, axis_number(d1)));
            }
            return ends;
        }
        ticks
    }

    fn to_plot(&self, v: f64) -> f64 {
        if self.log {
            v.log10()
        } else {
            v
        }
    }

    fn describe(&self, label: &str) -> String {
        if self.log {
            format!("{label} (log scale)")
        } else {
            label.to_string()
        }
    }
}

impl Plot for Scatter {
    const SIZE: (u32, u32) = (1000, 700);

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing: {e:?}");
        root.fill(&WHITE).map_err(err)?;
        let xa = Axis::of(self.points.iter().map(|p| p.0));
        let ya = Axis::of(self.points.iter().map(|p| p.1)).with_headroom(0.2);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 24))
            .margin(16)
            .x_label_area_size(60)
            .y_label_area_size(100)
            .build_cartesian_2d(xa.lo..xa.hi, ya.lo..ya.hi)
            .map_err(err)?;
        // Ticks are drawn below, within the data's range (`Axis::ticks`).
        chart
            .configure_mesh()
            .x_labels(0)
            .y_labels(0)
            .x_desc(xa.describe(&self.x_label))
            .y_desc(ya.describe(&self.y_label))
            .label_style(("sans-serif", 16))
            .axis_desc_style(("sans-serif", 18))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(err)?;
        let grid = RGBColor(200, 200, 200);
        let font = ("sans-serif", 16).into_font();
        use plotters::style::text_anchor::{HPos, Pos, VPos};
        for (v, text) in xa.ticks() {
            let p = xa.to_plot(v);
            chart
                .draw_series(LineSeries::new([(p, ya.lo), (p, ya.hi)], grid))
                .map_err(err)?;
            let (px, py) = chart.backend_coord(&(p, ya.lo));
            let style = TextStyle::from(font.clone()).pos(Pos::new(HPos::Center, VPos::Top));
            root.draw(&Text::new(text, (px, py + 8), style))
                .map_err(err)?;
        }
        for (v, text) in ya.ticks() {
            let p = ya.to_plot(v);
            chart
                .draw_series(LineSeries::new([(xa.lo, p), (xa.hi, p)], grid))
                .map_err(err)?;
            let (px, py) = chart.backend_coord(&(xa.lo, p));
            let style = TextStyle::from(font.clone()).pos(Pos::new(HPos::Right, VPos::Center));
            root.draw(&Text::new(text, (px - 8, py), style))
                .map_err(err)?;
        }
        for (k, name) in self.series.iter().enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            chart
                .draw_series(self.points.iter().filter(|p| p.2 == k).map(|p| {
                    Circle::new(
                        (xa.to_plot(p.0), ya.to_plot(p.1)),
                        4,
                        color.mix(0.6).filled(),
                    )
                }))
                .map_err(err)?
                .label(name.clone())
                .legend(move |(x, y)| Circle::new((x + 7, y), 5, color.filled()));
        }
        let mut front: Vec<(f64, f64, &str)> = self
            .points
            .iter()
            .filter_map(|p| Some((xa.to_plot(p.0), ya.to_plot(p.1), p.3.as_deref()?)))
            .collect();
        front.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
        let front_labels: Vec<(f64, f64, &str)> = front.clone();
        let front: Vec<(f64, f64)> = front.iter().map(|&(x, y, _)| (x, y)).collect();
        chart
            .draw_series(LineSeries::new(
                front.iter().copied(),
                BLACK.stroke_width(2),
            ))
            .map_err(err)?
            .label("Pareto front")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], BLACK.stroke_width(2)));
        chart
            .draw_series(
                front
                    .iter()
                    .map(|&p| Circle::new(p, 7, BLACK.stroke_width(2))),
            )
            .map_err(err)?;
        // Each front point's label, above and below by turns so that neighbours do not collide,
        // and to the left of points in the right third so that it stays inside the plot.
        let small = ("sans-serif", 13).into_font();
        let (left, right) = (
            chart.backend_coord(&(xa.lo, ya.lo)).0,
            chart.backend_coord(&(xa.hi, ya.lo)).0,
        );
        for (i, &(x, y, text)) in front_labels.iter().enumerate() {
            if text.is_empty() {
                continue;
            }
            let (px, py) = chart.backend_coord(&(x, y));
            let (v, dy) = if i % 2 == 0 {
                (VPos::Bottom, -10)
            } else {
                (VPos::Top, 10)
            };
            let (h, dx) = if px > left + (right - left) * 2 / 3 {
                (HPos::Right, -9)
            } else {
                (HPos::Left, 9)
            };
            let style = TextStyle::from(small.clone()).pos(Pos::new(h, v));
            root.draw(&Text::new(text.to_string(), (px + dx, py + dy), style))
                .map_err(err)?;
        }
        draw_legend(&mut chart).map_err(err)?;
        root.present().map_err(err)?;
        Ok(())
    }
}

/// Writes a sweep's front plots into `dir` and returns the (title, file stem) of each written;
/// the area plot is left out when no point has an area.
pub fn write_sweep_plots(
    spec: &SweepSpec,
    rows: &[SweepRow],
    dir: &Path,
) -> anyhow::Result<Vec<(&'static str, &'static str)>> {
    let pts = ok_points(rows);
    let mut written = Vec::new();
    for (title, stem, x, y) in FRONTS {
        let on: HashSet<u64> = front(&pts, x, y).iter().map(|r| r.point).collect();
        let (xs, x_label) = if x.column == LATENCY.column {
            // Latency as time at the base clock.
            let mhz = spec.base_arch.clock_mhz;
            (
                pts.iter()
                    .map(|r| r.latency_cycles.map(|c| c as f64 / mhz / 1e3))
                    .collect::<Vec<_>>(),
                "latency per inference (ms)",
            )
        } else {
            (
                pts.iter().map(|r| (x.get)(r)).collect(),
                "area estimate (mm²)",
            )
        };
        let points: Vec<(f64, f64, usize, Option<String>)> = pts
            .iter()
            .zip(xs)
            .filter_map(|(r, xv)| {
                let df = spec.dataflows.iter().position(|&d| d == r.dataflow)?;
                let tech = spec.techs.iter().position(|t| t.name == r.tech)?;
                let series = df * spec.techs.len() + tech;
                let label = on.contains(&r.point).then(|| point_label(spec, r));
                Some((xv?, (y.get)(r)? / 1e6, series, label))
            })
            .collect();
        if points.is_empty() {
            continue;
        }
        Scatter {
            title: format!("{title}: {} ({} points)", spec.workload.name, points.len()),
            x_label: x_label.into(),
            y_label: "energy per inference (µJ)".into(),
            points,
            // One series per dataflow, and per table when there are several.
            series: spec
                .dataflows
                .iter()
                .flat_map(|d| {
                    spec.techs.iter().map(move |t| {
                        if spec.techs.len() > 1 {
                            format!("{d} {}", t.name)
                        } else {
                            d.to_string()
                        }
                    })
                })
                .collect(),
        }
        .write(dir, stem)?;
        written.push((title, stem));
    }
    Ok(written)
}

/// What tells a point apart from the others of its series (colour: dataflow and table): the
/// values of the sweep's axes that have more than one, e.g. `16x32, 256 KiB, 8 B/c, int4`.
fn point_label(spec: &SweepSpec, r: &SweepRow) -> String {
    let mut parts = Vec::new();
    if spec.rows.len() > 1 || spec.cols.len() > 1 {
        parts.push(format!("{}x{}", r.rows, r.cols));
    }
    if spec.buffer_kib.len() > 1 {
        let (a, b, c) = (r.buffer_a_kib, r.buffer_b_kib, r.buffer_c_kib);
        parts.push(if a == b && b == c {
            format!("{a} KiB")
        } else {
            format!("{a}:{b}:{c} KiB")
        });
    }
    if spec.dram_bytes_per_cycle.len() > 1 {
        parts.push(format!("{} B/c", r.dram_bytes_per_cycle));
    }
    if spec.operand_bits.len() > 1 {
        parts.push(format!("int{}", r.operand_bits));
    }
    parts.join(", ")
}

/// The legend every chart with series draws: upper right, on a light box.
fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 16))
        .draw()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every tick lies within the data's range, whatever the range (the sweep's plots labelled
    /// ticks in the room left above the data for the legend).
    #[test]
    fn ticks_stay_within_the_data() {
        for values in [
            vec![1.02, 3.91],
            vec![3300.0, 30100.0],
            vec![14.2, 221.0],
            vec![0.5, 0.52],
            vec![7.0, 7.0],
            vec![1e-3, 5e4],
            vec![0.0, 3.0],
        ] {
            let axis = Axis::of(values.iter().copied()).with_headroom(0.2);
            let ticks = axis.ticks();
            assert!(!ticks.is_empty(), "{values:?}");
            for (v, text) in &ticks {
                assert!(
                    *v >= values[0] * (1.0 - 1e-9) && *v <= values[1] * (1.0 + 1e-9),
                    "{values:?}: tick {v} ({text})"
                );
            }
        }
        let a = Axis::of([1.02, 3.91].into_iter());
        let t: Vec<String> = a.ticks().into_iter().map(|(_, s)| s).collect();
        assert_eq!(t, ["1.5", "2.0", "2.5", "3.0", "3.5"]);
        let a = Axis::of([3300.0, 30100.0].into_iter());
        assert_eq!(a.ticks()[0].1, "5,000");
    }

    /// A front point is labelled with the values of the axes that vary, and only those.
    #[test]
    fn front_labels_name_the_axes_that_vary() {
        let w = systole_sim::workload::Workload {
            name: "t".into(),
            source: String::new(),
            notes: vec![],
            quantized: None,
            layers: vec![systole_sim::workload::Layer::gemm("l", 8, 8, 8)],
        };
        let base = systole_sim::config::ArchConfig::preset("tiny-4x4").unwrap();
        let mut spec = SweepSpec {
            format: systole_sim::sweep::SWEEP_FORMAT,
            workload: w,
            rows: vec![4, 8],
            cols: vec![4],
            buffer_kib: vec![[4, 4, 8]],
            dram_bytes_per_cycle: vec![4, 8],
            operand_bits: vec![8],
            dataflows: vec![systole_sim::config::Dataflow::Os],
            techs: vec![systole_sim::energy::TechTable::load("45nm").unwrap()],
            register_convention: Default::default(),
            mapping: Default::default(),
            base_arch: base,
        };
        let job = spec.jobs()[3];
        let row = systole_sim::sweep::run_job(&spec, &job).pop().unwrap();
        assert_eq!(point_label(&spec, &row), "8x4, 8 B/c");
        spec.operand_bits = vec![4, 8];
        spec.buffer_kib = vec![[4, 4, 8], [8, 8, 8]];
        assert_eq!(point_label(&spec, &row), "8x4, 4:4:8 KiB, 8 B/c, int8");
    }
}
