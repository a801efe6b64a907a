//! Design-space exploration: a grid of architectures (array shape, buffer capacities, DRAM
//! bandwidth, operand width), dataflows and technology tables, run on one workload.
//!
//! - [`SweepSpec`] is the grid and everything a result depends on (the resolved workload, the base
//!   architecture, the technology tables). Its points are numbered in a fixed order: rows, cols,
//!   buffers, bandwidth, operand width, dataflow, then technology, the last varying fastest.
//! - A [`Job`] is one simulation: every point of a job differs only in its technology table, and
//!   energy depends only on the event counts, so the job is simulated once and charged once per
//!   table ([`crate::run::recharge`]).
//! - [`run_job`] turns a job into [`SweepRow`]s: one per point and layer, then one summary per
//!   point, or one `invalid` row saying why the point cannot run.
//! - [`store`] appends rows to `sweep.csv` as jobs finish, resumes, and merges shards;
//!   [`pareto`] finds the Pareto fronts and the best point per metric.

pub mod pareto;
pub mod report;
pub mod store;

use serde::{Deserialize, Serialize};

use crate::config::{ArchConfig, Dataflow, MAX_ARRAY_EDGE, OPERAND_BITS};
use crate::energy::area::estimate_area;
use crate::energy::{EnergyBreakdown, EnergyModel, RegisterConvention, TechTable};
use crate::mapper::MappingPolicy;
use crate::run::{choose_mappings, recharge, run_chosen, DataflowRun};
use crate::workload::Workload;

/// Version of the files a sweep writes; a directory written by another version is not resumed.
/// Format 3 adds how mappings are chosen (the spec's `mapping`) and each layer's mapping.
pub const SWEEP_FORMAT: u32 = 3;

/// A sweep: the grid and what every point shares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepSpec {
    /// [`SWEEP_FORMAT`] of the files.
    pub format: u32,
    /// The workload as resolved (its layers), so that a resumed or merged sweep is the same one.
    pub workload: Workload,
    /// The architecture every point starts from.
    pub base_arch: ArchConfig,
    /// PE rows.
    pub rows: Vec<u32>,
    /// PE columns.
    pub cols: Vec<u32>,
    /// Capacities of buffers A, B and C, KiB.
    pub buffer_kib: Vec<[u32; 3]>,
    /// DRAM bandwidths, bytes per cycle.
    pub dram_bytes_per_cycle: Vec<u32>,
    /// Operand widths, bits (4, 8, 16).
    pub operand_bits: Vec<u32>,
    /// Dataflows.
    pub dataflows: Vec<Dataflow>,
    /// Technology tables, as loaded.
    pub techs: Vec<TechTable>,
    /// How registers are charged.
    pub register_convention: RegisterConvention,
    /// How each point's layers are mapped (the search runs per point and per technology
    /// table: the best mapping depends on both).
    pub mapping: MappingPolicy,
}

/// One simulation of a sweep: a point of the grid up to the technology table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Job {
    /// Position among the spec's jobs.
    pub index: u64,
    /// PE rows.
    pub rows: u32,
    /// PE columns.
    pub cols: u32,
    /// Capacities of buffers A, B and C, KiB.
    pub buffer_kib: [u32; 3],
    /// DRAM bandwidth, bytes per cycle.
    pub dram_bytes_per_cycle: u32,
    /// Operand width, bits.
    pub operand_bits: u32,
    /// Dataflow.
    pub dataflow: Dataflow,
}

/// `i/n`: the i-th of n shards (1-based), which runs the jobs whose index is `i-1` modulo `n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This shard, 1 to `count`.
    pub index: u32,
    /// Number of shards.
    pub count: u32,
}

impl Shard {
    /// Parses `i/n` with 1 <= i <= n.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}`: a shard is i/n, e.g. 3/8"))?;
        let parse = |v: &str, what: &str| {
            v.trim()
                .parse::<u32>()
                .map_err(|_| format!("`{s}`: {what} `{v}` is not a whole number"))
        };
        let (index, count) = (parse(i, "shard")?, parse(n, "shard count")?);
        if count == 0 {
            return Err(format!(
                "`{s}`: the shard count is 0; split a sweep into at least 1 shard (e.g. 1/8 .. 8/8)"
            ));
        }
        if index == 0 || index > count {
            return Err(format!(
                "`{s}`: shards are numbered 1 to {count} (1/{count} .. {count}/{count})"
            ));
        }
        Ok(Shard { index, count })
    }

    /// Whether this shard runs job `job`.
    pub fn owns(&self, job: u64) -> bool {
        job % u64::from(self.count) == u64::from(self.index - 1)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl SweepSpec {
    /// The jobs in grid order.
    pub fn jobs(&self) -> Vec<Job> {
        let mut out = Vec::new();
        for &rows in &self.rows {
            for &cols in &self.cols {
                for &buffer_kib in &self.buffer_kib {
                    for &bw in &self.dram_bytes_per_cycle {
                        for &operand_bits in &self.operand_bits {
                            for &dataflow in &self.dataflows {
                                out.push(Job {
                                    index: out.len() as u64,
                                    rows,
                                    cols,
                                    buffer_kib,
                                    dram_bytes_per_cycle: bw,
                                    operand_bits,
                                    dataflow,
                                });
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// Number of points: jobs times technology tables.
    pub fn point_count(&self) -> u64 {
        [
            self.rows.len(),
            self.cols.len(),
            self.buffer_kib.len(),
            self.dram_bytes_per_cycle.len(),
            self.operand_bits.len(),
            self.dataflows.len(),
            self.techs.len(),
        ]
        .iter()
        .map(|&n| n as u64)
        .product()
    }

    /// The point number of `job` with technology table `tech`.
    pub fn point_index(&self, job: &Job, tech: usize) -> u64 {
        job.index * self.techs.len() as u64 + tech as u64
    }

    /// The architecture of `job`, or why it is not a valid one.
    pub fn arch(&self, job: &Job) -> Result<ArchConfig, String> {
        for (what, v) in [("rows", job.rows), ("cols", job.cols)] {
            if v == 0 || v > MAX_ARRAY_EDGE {
                return Err(format!(
                    "{what} {v}: must be between 1 and {MAX_ARRAY_EDGE}"
                ));
            }
        }
        if !OPERAND_BITS.contains(&job.operand_bits) {
            return Err(format!(
                "operand-bits {}: must be 4, 8 or 16",
                job.operand_bits
            ));
        }
        let mut a = self.base_arch.clone();
        a.array.operand_bits = job.operand_bits;
        a.set_shape(job.rows, job.cols);
        let [ka, kb, kc] = job.buffer_kib;
        a.buffers.a.capacity_kib = ka;
        a.buffers.b.capacity_kib = kb;
        a.buffers.c.capacity_kib = kc;
        a.dram.bytes_per_cycle = job.dram_bytes_per_cycle;
        a.name = format!(
            "{}@{}x{}/{ka}:{kb}:{kc}KiB/{}B/int{}",
            self.base_arch.name, job.rows, job.cols, job.dram_bytes_per_cycle, job.operand_bits
        );
        if !a.supports(job.dataflow) {
            return Err(format!(
                "the base architecture does not support {} (array.dataflows)",
                job.dataflow
            ));
        }
        // The point is a machine for its one dataflow: the buffers need only fit its folds.
        a.array.dataflows = vec![job.dataflow];
        a.validate()
            .map_err(|v| format!("{}: {}", v.field, v.message))?;
        Ok(a)
    }

    /// Checks that the grid is not empty and every table can be used.
    pub fn check(&self) -> Result<(), String> {
        for (axis, n) in [
            ("rows", self.rows.len()),
            ("cols", self.cols.len()),
            ("buffer-kib", self.buffer_kib.len()),
            ("dram-bytes-per-cycle", self.dram_bytes_per_cycle.len()),
            ("operand-bits", self.operand_bits.len()),
            ("dataflow", self.dataflows.len()),
            ("tech", self.techs.len()),
        ] {
            if n == 0 {
                return Err(format!("--{axis}: no values"));
            }
        }
        fn twice<T: PartialEq + std::fmt::Debug>(axis: &str, v: &[T]) -> Result<(), String> {
            match v.iter().enumerate().find(|(i, x)| v[..*i].contains(x)) {
                Some((_, x)) => Err(format!("--{axis}: {x:?} is given twice")),
                None => Ok(()),
            }
        }
        twice("rows", &self.rows)?;
        twice("cols", &self.cols)?;
        twice("buffer-kib", &self.buffer_kib)?;
        twice("dram-bytes-per-cycle", &self.dram_bytes_per_cycle)?;
        twice("operand-bits", &self.operand_bits)?;
        let dataflows: Vec<&str> = self.dataflows.iter().map(|d| d.name()).collect();
        twice("dataflow", &dataflows)?;
        let names: Vec<&str> = self.techs.iter().map(|t| t.name.as_str()).collect();
        twice("tech", &names)?;
        if self.workload.layers.is_empty() {
            return Err(format!("workload `{}` has no layers", self.workload.name));
        }
        Ok(())
    }
}

/// Whether a row is one layer of a point or the point's summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// One layer, for one run of it (`repeat` says how many runs the workload has).
    Layer,
    /// The whole workload at this point (repeats included), or why the point is invalid.
    Point,
}

/// Whether a point ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// It ran.
    Ok,
    /// It cannot run; `reason` says why.
    Invalid,
}

/// One row of `sweep.csv`. Measures are empty on an invalid point's row; `area_mm2` is empty for
/// a technology table without an `[area]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepRow {
    /// Point number ([`SweepSpec::point_index`]).
    pub point: u64,
    /// Layer or point summary.
    pub scope: Scope,
    /// Ran or invalid.
    pub status: Status,
    /// PE rows.
    pub rows: u32,
    /// PE columns.
    pub cols: u32,
    /// Buffer A capacity, KiB.
    pub buffer_a_kib: u32,
    /// Buffer B capacity, KiB.
    pub buffer_b_kib: u32,
    /// Buffer C capacity, KiB.
    pub buffer_c_kib: u32,
    /// DRAM bandwidth, bytes per cycle.
    pub dram_bytes_per_cycle: u32,
    /// Operand width, bits.
    pub operand_bits: u32,
    /// Dataflow.
    pub dataflow: Dataflow,
    /// Technology table name.
    pub tech: String,
    /// Layer name (empty on a summary).
    pub layer: String,
    /// Layer shape (empty on a summary).
    pub shape: String,
    /// Runs of the layer (empty on a summary).
    pub repeat: Option<u64>,
    /// MACs.
    pub macs: Option<u64>,
    /// End-to-end cycles (a summary sums the layers' latencies times their repeats).
    pub latency_cycles: Option<u64>,
    /// Cycles from the first buffer read to the last write of C.
    pub total_cycles: Option<u64>,
    /// Cycles the array waited for memory.
    pub stall_cycles: Option<u64>,
    /// MACs over (total cycles x PEs).
    pub utilization: Option<f64>,
    /// Bytes read from DRAM.
    pub dram_read_bytes: Option<u64>,
    /// Bytes written to DRAM.
    pub dram_write_bytes: Option<u64>,
    /// Energy, pJ.
    pub energy_pj: Option<f64>,
    /// MAC energy, pJ.
    pub mac_pj: Option<f64>,
    /// Register energy, pJ.
    pub registers_pj: Option<f64>,
    /// Buffer A energy, pJ.
    pub buffer_a_pj: Option<f64>,
    /// Buffer B energy, pJ.
    pub buffer_b_pj: Option<f64>,
    /// Buffer C energy, pJ.
    pub buffer_c_pj: Option<f64>,
    /// DRAM energy, pJ.
    pub dram_pj: Option<f64>,
    /// Leakage energy, pJ.
    pub leakage_pj: Option<f64>,
    /// Energy per MAC, pJ.
    pub pj_per_mac: Option<f64>,
    /// 2 x MACs per pJ.
    pub tops_per_watt: Option<f64>,
    /// Energy-delay product, J x s.
    pub edp_js: Option<f64>,
    /// Area estimate (array and buffers), mm^2.
    pub area_mm2: Option<f64>,
    /// Why an invalid point cannot run.
    pub reason: String,
}

impl SweepRow {
    /// A row of `job` at technology `tech` with every measure empty.
    fn blank(spec: &SweepSpec, job: &Job, tech: usize, scope: Scope, status: Status) -> SweepRow {
        let [a, b, c] = job.buffer_kib;
        SweepRow {
            point: spec.point_index(job, tech),
            scope,
            status,
            rows: job.rows,
            cols: job.cols,
            buffer_a_kib: a,
            buffer_b_kib: b,
            buffer_c_kib: c,
            dram_bytes_per_cycle: job.dram_bytes_per_cycle,
            operand_bits: job.operand_bits,
            dataflow: job.dataflow,
            tech: spec.techs[tech].name.clone(),
            layer: String::new(),
            shape: String::new(),
            repeat: None,
            macs: None,
            latency_cycles: None,
            total_cycles: None,
            stall_cycles: None,
            utilization: None,
            dram_read_bytes: None,
            dram_write_bytes: None,
            energy_pj: None,
            mac_pj: None,
            registers_pj: None,
            buffer_a_pj: None,
            buffer_b_pj: None,
            buffer_c_pj: None,
            dram_pj: None,
            leakage_pj: None,
            pj_per_mac: None,
            tops_per_watt: None,
            edp_js: None,
            area_mm2: None,
            reason: String::new(),
        }
    }

    fn set_energy(&mut self, e: &EnergyBreakdown) {
        self.energy_pj = Some(e.total);
        self.mac_pj = Some(e.mac);
        self.registers_pj = Some(e.registers);
        self.buffer_a_pj = Some(e.buffer_a);
        self.buffer_b_pj = Some(e.buffer_b);
        self.buffer_c_pj = Some(e.buffer_c);
        self.dram_pj = Some(e.dram);
        self.leakage_pj = Some(e.leakage);
    }

    /// Whether the row says it is the summary of a point that ran.
    pub fn is_ok_point(&self) -> bool {
        self.scope == Scope::Point && self.status == Status::Ok
    }
}

/// Runs `job` and returns its rows: for each technology table, the layer rows then the point's
/// summary; or, for a job that cannot run, one invalid summary per table.
pub fn run_job(spec: &SweepSpec, job: &Job) -> Vec<SweepRow> {
    let invalid = |reason: String| invalid_rows(spec, job, &reason);
    let cfg = match spec.arch(job) {
        Ok(c) => c,
        Err(reason) => return invalid(reason),
    };
    let model = |t: usize| EnergyModel {
        tech: spec.techs[t].clone(),
        convention: spec.register_convention,
    };
    // Each table may make another mapping the best: the job is simulated once per distinct set
    // of mappings and charged once per table.
    let mut runs: Vec<(crate::run::Chosen, crate::run::WorkloadRun)> = Vec::new();
    let mut rows = Vec::new();
    for t in 0..spec.techs.len() {
        let chosen = match choose_mappings(
            &cfg,
            &spec.workload,
            &[job.dataflow],
            &spec.mapping,
            &model(t),
        ) {
            Ok(c) => c,
            Err(e) => return invalid(e.to_string()),
        };
        let run = match runs.iter().find(|(c, _)| *c == chosen) {
            Some((_, r)) => recharge(r, &model(t)),
            // The sweep's tables do not show SCALE-Sim's order: it is not simulated.
            None => match run_chosen(
                &cfg,
                &spec.workload,
                &chosen,
                &model(t),
                &|| {},
                &crate::run::RunOptions::default(),
            ) {
                Ok(r) => {
                    runs.push((chosen, r.clone()));
                    r
                }
                Err(e) => return invalid(e.to_string()),
            },
        };
        let area = spec.techs[t]
            .area
            .as_ref()
            .map(|a| estimate_area(&cfg, a).total_mm2);
        rows.extend(rows_of(spec, job, t, &run.dataflows[0], area));
    }
    rows
}

/// The rows of a job that cannot run: one invalid summary per technology table.
pub fn invalid_rows(spec: &SweepSpec, job: &Job, reason: &str) -> Vec<SweepRow> {
    (0..spec.techs.len())
        .map(|t| SweepRow {
            reason: reason.to_string(),
            ..SweepRow::blank(spec, job, t, Scope::Point, Status::Invalid)
        })
        .collect()
}

/// The layer rows and the summary row of one dataflow run.
fn rows_of(
    spec: &SweepSpec,
    job: &Job,
    tech: usize,
    d: &DataflowRun,
    area: Option<f64>,
) -> Vec<SweepRow> {
    let mut out = Vec::new();
    for l in &d.layers {
        let s = &l.stats;
        let mut r = SweepRow::blank(spec, job, tech, Scope::Layer, Status::Ok);
        r.layer = l.name.clone();
        r.shape = l.layer.clone();
        r.repeat = Some(l.repeat);
        r.macs = Some(l.macs);
        r.latency_cycles = Some(s.latency_cycles);
        r.total_cycles = Some(s.total_cycles);
        r.stall_cycles = Some(s.stall_cycles);
        r.utilization = Some(s.utilization);
        r.dram_read_bytes = Some(s.dram_read_bytes);
        r.dram_write_bytes = Some(s.dram_write_bytes);
        r.set_energy(&l.energy_pj);
        r.pj_per_mac = Some(l.efficiency.pj_per_mac);
        r.tops_per_watt = Some(l.efficiency.tops_per_watt);
        r.edp_js = Some(l.efficiency.edp_js);
        r.area_mm2 = area;
        out.push(r);
    }
    let t = &d.total;
    let mut r = SweepRow::blank(spec, job, tech, Scope::Point, Status::Ok);
    r.macs = Some(t.macs);
    r.latency_cycles = Some(t.latency_cycles);
    r.total_cycles = Some(t.total_cycles);
    r.stall_cycles = Some(t.stall_cycles);
    r.utilization = Some(t.utilization);
    r.dram_read_bytes = Some(t.events.dram_read_bytes());
    r.dram_write_bytes = Some(t.events.dram_write_bytes());
    r.set_energy(&d.energy_pj);
    r.pj_per_mac = Some(d.efficiency.pj_per_mac);
    r.tops_per_watt = Some(d.efficiency.tops_per_watt);
    r.edp_js = Some(d.efficiency.edp_js);
    r.area_mm2 = area;
    out.push(r);
    out
}

#[cfg(test)]
mod tests;
