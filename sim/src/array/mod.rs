//! The fast model: a cycle-by-cycle simulation of the systolic array, its edge skew and deskew
//! registers, the on-chip buffers' read pipelines, the output stage and the controller, following
//! the cycle contract in `docs/microarchitecture.md`.
//!
//! Every register of the machine is stepped on every cycle; nothing is computed from a formula.
//! The closed form of the cycle count ([`crate::mapping::schedule::closed_form_cycles`]) is checked against the
//! simulation by tests, not used by it.

mod checks;
pub(crate) mod edge;
mod kernels;
mod os;
mod plans;
pub(crate) mod regs;
mod stationary;
#[cfg(test)]
mod tests;

pub use checks::{
    check_conv, check_dataflow, check_gemm, check_mapped, check_mapped_operands,
    check_operand_range, check_operands, check_output_stage,
};
pub(crate) use plans::ifmap_addresses;
pub use plans::{
    buffer_images, buffer_lanes, conv_memory_plan, memory_plan, memory_plan_mapped, spill_chunks,
    unpack_c, BufferImages,
};

use std::collections::VecDeque;

use crate::config::{ArchConfig, BufferId, Dataflow, MemoryModel};
use crate::error::RunError;
use crate::events::EventCounts;
use crate::mapping::schedule::{EdgeOp, OutOp, Plan, Port};
use crate::mapping::Mapping;
use crate::matrix::{Matrix, Operand};
use crate::memory::buffer::Sram;
use crate::memory::dma::MemorySystem;
use crate::probe::{NoProbe, Probe};
use crate::quant::OutputStage;
use crate::stats::{encode_fold_cycles, utilization, RunStats};
use crate::workload::im2col::Im2col;
use edge::{Deskew, EdgeLanes, Skew};
use regs::{popcount, prefix_bits, words};

/// The registers of the PE array in one dataflow mode.
pub(crate) trait ArrayCore<T> {
    /// The bottom row's int32 vertical registers and their valid bits, during the current cycle.
    fn bottom(&self) -> (&[i32], &[u64]);
    /// The clock edge at the end of the current cycle, with the skewed edge inputs.
    fn step(&mut self, left: &EdgeLanes<T>, top: &EdgeLanes<T>, ev: &mut EventCounts);
    /// Schedule hazards seen (values lost to a collision); zero in every correct run.
    fn hazards(&self) -> u64;
}

/// The result of one GEMM: C and the run's statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct GemmRun {
    /// `C = A x B`, int32 (wrapping).
    pub c: Matrix<i32>,
    /// Cycles, utilisation and event counts.
    pub stats: RunStats,
}

/// Runs `C = A x B` on the configured machine in dataflow `df`.
pub fn simulate_gemm<T: Operand>(
    cfg: &ArchConfig,
    df: Dataflow,
    a: &Matrix<T>,
    b: &Matrix<T>,
) -> Result<GemmRun, RunError> {
    simulate_gemm_with_probe(cfg, df, a, b, &mut NoProbe)
}

/// [`simulate_gemm`], reporting every buffer access to `probe`.
pub fn simulate_gemm_with_probe<P: Probe, T: Operand>(
    cfg: &ArchConfig,
    df: Dataflow,
    a: &Matrix<T>,
    b: &Matrix<T>,
    probe: &mut P,
) -> Result<GemmRun, RunError> {
    simulate_gemm_staged(cfg, df, a, b, None, probe)
}

/// [`simulate_gemm_with_probe`] with the output stage: with `Some(stage)`, every element of C
/// is requantized to int8 as it is finished (in the cycle its last accumulation is written to
/// buffer C) and C holds the int8 results, sign-extended in its int32 lanes. The stage works
/// inside the write cycle, so cycles and the other events are those of the int32 run;
/// `output_stage_ops` counts the requantized elements (M x N).
pub fn simulate_gemm_staged<P: Probe, T: Operand>(
    cfg: &ArchConfig,
    df: Dataflow,
    a: &Matrix<T>,
    b: &Matrix<T>,
    stage: Option<&OutputStage>,
    probe: &mut P,
) -> Result<GemmRun, RunError> {
    let shape = checks::conform(a, b)?;
    let mapping = Mapping::scalesim(cfg, df, shape);
    simulate_mapped(cfg, df, &mapping, (a, b), stage, probe)
}

/// [`simulate_gemm_staged`] in the fold order of `mapping` (which [`check_mapped`] must accept:
/// otherwise the error names the mapping's field at fault).
pub fn simulate_mapped<P: Probe, T: Operand>(
    cfg: &ArchConfig,
    df: Dataflow,
    mapping: &Mapping,
    (a, b): (&Matrix<T>, &Matrix<T>),
    stage: Option<&OutputStage>,
    probe: &mut P,
) -> Result<GemmRun, RunError> {
    let shape = checks::check_run(cfg, df, mapping, (a, b), stage)?;
    let plan = Plan::mapped(cfg, df, shape, mapping);
    Ok(run_hazard_free(cfg, &plan, (a, b), stage, probe, || {
        format!(
            "{}x{}x{} on {} ({mapping})",
            shape.m, shape.n, shape.k, cfg.name
        )
    }))
}

/// Runs one channel group of a convolution: `a` is the im2col matrix of its ifmap
/// ([`Im2col::expand`]) and `b` its filters (`K x N`). With `cfg.conv_input` = `ifmap` and the
/// DRAM memory model, buffer A holds the ifmap and the DMA fetches ifmap rows
/// ([`crate::memory::im2col`]); the array reads exactly what it reads for the GEMM of `a` and `b`,
/// so C, the cycles with ideal memory and every array event are the GEMM's. `stage` is the output
/// stage, as in [`simulate_gemm_staged`]; a quantized layer's `a` holds its input zero point
/// in the padding ([`Im2col::expand_padded`]); the values always come from `a`. The folds run
/// in the order of `mapping`.
pub fn simulate_conv_with_probe<P: Probe, T: Operand>(
    cfg: &ArchConfig,
    df: Dataflow,
    geom: &Im2col,
    mapping: &Mapping,
    (a, b): (&Matrix<T>, &Matrix<T>),
    stage: Option<&OutputStage>,
    probe: &mut P,
) -> Result<GemmRun, RunError> {
    let shape = checks::check_run(cfg, df, mapping, (a, b), stage)?;
    if shape != checks::conv_shape(geom, b.cols()) {
        return Err(RunError::Shape(format!(
            "A is {}x{}, but the convolution's im2col matrix is {}x{}",
            a.rows(),
            a.cols(),
            geom.mk().0,
            geom.mk().1
        )));
    }
    check_conv(cfg, df, geom, b.cols(), mapping)?;
    let plan = Plan::for_conv(cfg, df, shape, mapping, geom);
    Ok(run_hazard_free(cfg, &plan, (a, b), stage, probe, || {
        format!("the convolution {geom:?} on {}", cfg.name)
    }))
}

/// Runs `plan` (the set-up every `simulate_*` entry point shares once its checks passed) and
/// asserts the run hazard-free: the contract's schedule is, so a hazard here is a bug in the
/// model, not bad input. `what` names the run (shape or layer, machine) in the panic message.
fn run_hazard_free<P: Probe, T: Operand>(
    cfg: &ArchConfig,
    plan: &Plan,
    (a, b): (&Matrix<T>, &Matrix<T>),
    stage: Option<&OutputStage>,
    probe: &mut P,
    what: impl FnOnce() -> String,
) -> GemmRun {
    let (run, diag) = run_plan(cfg, plan, a, b, stage, probe);
    assert_eq!(
        diag.hazards,
        0,
        "internal error: {} run of {} hit {} schedule hazards; please report this",
        plan.df,
        what(),
        diag.hazards
    );
    run
}

/// The fold cycles of a run whose folds started in the given cycles (fold 0's span starts at
/// cycle 0; see "Fold order" in the contract).
pub fn fold_spans(starts: &[u64], total_cycles: u64) -> Vec<crate::stats::FoldCycles> {
    let per_fold = (0..starts.len()).map(|f| {
        let begin = if f == 0 { 0 } else { starts[f] };
        let end = starts.get(f + 1).copied().unwrap_or(total_cycles);
        end - begin
    });
    encode_fold_cycles(per_fold)
}

/// One edge port of the controller: its next op and the markers travelling beside the SRAM read.
struct PortState {
    port: Port,
    buf: BufferId,
    latency: i64,
    fold: usize,
    step: usize,
    next: Option<EdgeOp>,
    ctl_flags: Vec<u8>,
    ctl_tag: Vec<u16>,
}

impl PortState {
    fn new(plan: &Plan, port: Port) -> Self {
        let (buf, latency) = match port {
            Port::Left => (plan.left_buf, plan.lat_left),
            Port::Top => (plan.top_buf, plan.lat_top),
        };
        let mut p = PortState {
            port,
            buf,
            latency,
            fold: 0,
            step: 0,
            next: None,
            ctl_flags: vec![0; latency as usize],
            ctl_tag: vec![0; latency as usize],
        };
        p.next = Some(plan.edge_op(port, 0, 0));
        p
    }

    /// The op to issue in cycle `t`, if one is due; advances the cursor. An op whose cycle has
    /// passed (only a broken schedule produces one) is issued late and counted in `late`.
    fn due(&mut self, plan: &Plan, t: u64, late: &mut u64) -> Option<EdgeOp> {
        let op = self.next?;
        let at = op.edge + plan.delta - self.latency;
        if at > t as i64 {
            return None;
        }
        if at < t as i64 {
            *late += 1;
        }
        self.step += 1;
        if self.step == plan.edge_steps(self.port, self.fold) {
            self.step = 0;
            self.fold += 1;
        }
        self.next =
            (self.fold < plan.folds()).then(|| plan.edge_op(self.port, self.fold, self.step));
        Some(op)
    }
}

/// Internal diagnostics of a run (tests use them to show the schedule is hazard-free).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Diagnostics {
    /// Values lost inside the array or output rows that did not match the controller's
    /// expectation. Zero in every correct run.
    pub(crate) hazards: u64,
}

fn count_read(ev: &mut EventCounts, cfg: &ArchConfig, buf: BufferId, lanes: usize) {
    let words = cfg.words_for(buf, lanes as u32);
    let n = lanes as u64;
    match buf {
        BufferId::A => {
            ev.a_buf_reads += words;
            ev.a_buf_read_elems += n;
        }
        BufferId::B => {
            ev.b_buf_reads += words;
            ev.b_buf_read_elems += n;
        }
        BufferId::C => {
            ev.c_buf_reads += words;
            ev.c_buf_read_elems += n;
        }
    }
}

/// The inputs of one simulation.
struct Job<'a, P, T> {
    cfg: &'a ArchConfig,
    plan: &'a Plan,
    a: &'a Matrix<T>,
    b: &'a Matrix<T>,
    stage: Option<&'a OutputStage>,
    probe: &'a mut P,
}

/// Runs a plan (possibly with a test-only interval) to completion, with the output stage
/// `stage` (`None`: C stays int32).
pub(crate) fn run_plan<P: Probe, T: Operand>(
    cfg: &ArchConfig,
    plan: &Plan,
    a: &Matrix<T>,
    b: &Matrix<T>,
    stage: Option<&OutputStage>,
    probe: &mut P,
) -> (GemmRun, Diagnostics) {
    let job = Job {
        cfg,
        plan,
        a,
        b,
        stage,
        probe,
    };
    match plan.df {
        Dataflow::Os => dispatch(job, os::OsArray::new(plan.r, plan.c)),
        Dataflow::Ws | Dataflow::Is => {
            dispatch(job, stationary::StationaryArray::new(plan.r, plan.c))
        }
    }
}

/// Defines a copy of [`run_core`] compiled with the given target features. The whole simulation
/// loop is `#[inline(always)]`, so each copy is complete.
#[cfg(target_arch = "x86_64")]
macro_rules! simd_variant {
    ($name:ident, $features:literal) => {
        #[target_feature(enable = $features)]
        fn $name<P: Probe, T: Operand, A: ArrayCore<T>>(
            job: Job<'_, P, T>,
            core: A,
        ) -> (GemmRun, Diagnostics) {
            run_core(job, core)
        }
    };
}
#[cfg(target_arch = "x86_64")]
simd_variant!(run_avx512, "avx512f,avx512bw,avx2,bmi1,bmi2,popcnt");
#[cfg(target_arch = "x86_64")]
simd_variant!(run_avx2, "avx2,bmi1,bmi2,popcnt");

/// Runs [`run_core`] compiled for the best vector extension of this CPU.
fn dispatch<P: Probe, T: Operand, A: ArrayCore<T>>(
    job: Job<'_, P, T>,
    core: A,
) -> (GemmRun, Diagnostics) {
    #[cfg(target_arch = "x86_64")]
    match kernels::best_simd() {
        // SAFETY: best_simd() checked that the CPU has these extensions.
        kernels::Simd::Avx512 => return unsafe { run_avx512(job, core) },
        // SAFETY: as above.
        kernels::Simd::Avx2 => return unsafe { run_avx2(job, core) },
        kernels::Simd::Baseline => {}
    }
    run_core(job, core)
}

#[inline(always)]
fn run_core<P: Probe, T: Operand, A: ArrayCore<T>>(
    job: Job<'_, P, T>,
    mut core: A,
) -> (GemmRun, Diagnostics) {
    let Job {
        cfg,
        plan,
        a,
        b,
        stage,
        probe,
    } = job;
    let (r, c) = (plan.r, plan.c);
    let lat = |id: BufferId| cfg.buffer(id).read_latency as usize;
    let mut sram_a = Sram::new(plan.layout_a.lanes, lat(BufferId::A), plan.layout_a.pack(a));
    let mut sram_b = Sram::new(plan.layout_b.lanes, lat(BufferId::B), plan.layout_b.pack(b));
    let c_len = plan.layout_c.tiles() * plan.layout_c.steps() * plan.layout_c.lanes;
    let mut sram_c = Sram::new(c, lat(BufferId::C), vec![0i32; c_len]);

    let mut ports = [
        PortState::new(plan, Port::Left),
        PortState::new(plan, Port::Top),
    ];
    let mut skew_left = Skew::new(r);
    let mut skew_top = Skew::new(c);
    let mut deskew = Deskew::new(c);

    let folds = plan.folds();
    let mut fold_start = vec![u64::MAX; folds];
    // Output rows: the next one to schedule, and those whose read-back has been issued.
    let (mut out_fold, mut out_step) = (0usize, 0usize);
    let mut next_out: Option<OutOp> = Some(plan.out_op(0, 0));
    let mut pending: VecDeque<OutOp> = VecDeque::new();

    let mut ev = EventCounts::default();
    let mut diag = Diagnostics::default();
    let mut readback = vec![0i32; c];
    let mut values = vec![0i32; c];
    let mut expect = vec![0u64; words(c)];
    // Watchdog: the controller's last write is scheduled for `last_write`; a run that goes far
    // past it is a bug in the model.
    let last_fold = folds - 1;
    let last_write = plan.out_op(last_fold, plan.out_steps(last_fold) - 1).edge + plan.delta;
    let limit = (last_write.max(0) as u64)
        .saturating_mul(2)
        .saturating_add(1_000);

    // The memory system (None: the ideal model, everything on chip before cycle 0).
    let mut mem = (cfg.memory == MemoryModel::Dram).then(|| {
        MemorySystem::new(cfg, plan).expect("check_gemm accepted this run's memory system")
    });
    let memory_plan = mem.as_ref().map(MemorySystem::plan);
    // `t` counts the datapath's active cycles; `wall` counts every cycle from the start command
    // (the DMA's prologue, then cycle 0, stalls included). Contract cycle = wall - load_cycles.
    let (mut wall, mut load_cycles, mut stall_cycles) = (0u64, 0u64, 0u64);

    let mut t: u64 = 0;
    let total_active = loop {
        assert!(
            t <= limit,
            "internal error: the {} run of {:?} did not finish within {limit} cycles",
            plan.df,
            plan.shape
        );
        if let Some(mem) = mem.as_mut() {
            // Stall (every register holds) until this cycle's reads find their data and its
            // write finds a slot in C.
            loop {
                let go = mem.started() && {
                    let reads = ports.iter().all(|p| match p.next {
                        Some(op)
                            if op.count > 0 && op.edge + plan.delta - p.latency <= t as i64 =>
                        {
                            mem.read_ready(plan, op.buffer, op.fold)
                        }
                        _ => true,
                    });
                    let readback = match next_out {
                        Some(op)
                            if op.accumulate && op.edge + plan.delta - plan.lat_c == t as i64 =>
                        {
                            mem.readback_ready()
                        }
                        _ => true,
                    };
                    let write = match pending.front() {
                        Some(op) if op.edge + plan.delta == t as i64 => mem.write_ready(plan, op),
                        _ => true,
                    };
                    reads && readback && write
                };
                if go {
                    break;
                }
                let loading = t == 0 && stall_cycles == 0 && !mem.started();
                let mut waited = 1;
                if !mem.step(cfg, plan, wall, (None, None), &mut ev, probe) {
                    // Nothing can move before the next arrival or bus slot: skip to it.
                    let next = mem.next_event(plan, wall).unwrap_or_else(|| {
                        panic!(
                            "internal error: the memory system of the {} run of {:?} on {} deadlocked at cycle {wall} (active cycle {t}; {}); please report this",
                            plan.df, plan.shape, cfg.name, mem.describe()
                        )
                    });
                    waited = next - wall;
                }
                if loading {
                    load_cycles += waited;
                } else {
                    stall_cycles += waited;
                }
                wall += waited;
            }
        }
        if t == 0 {
            probe.start(load_cycles);
        }
        let now = wall - load_cycles;
        // Slots of C the datapath reads and writes this cycle (the DMA avoids their banks).
        let (mut c_read, mut c_write) = (None, None);
        // Buffer outputs during t enter the edge skew; then the controller issues this cycle's reads.
        for (pi, skew) in [(0usize, &mut skew_left), (1usize, &mut skew_top)] {
            let port = &mut ports[pi];
            let s = (t % port.latency as u64) as usize;
            let (flags, tag) = (port.ctl_flags[s], port.ctl_tag[s]);
            let sram = if port.buf == BufferId::A {
                &mut sram_a
            } else {
                &mut sram_b
            };
            let out = sram.output(t).map(|o| (o.data, o.count));
            ev.skew_hops += skew.cycle(t, out, flags, tag);
            match port.due(plan, t, &mut diag.hazards) {
                Some(op) => {
                    sram.issue_read(t, Some((op.addr, op.count)));
                    port.ctl_flags[s] = op.flags;
                    port.ctl_tag[s] = op.tag;
                    if op.count > 0 {
                        count_read(&mut ev, cfg, op.buffer, op.count);
                        probe.buffer_read(now, op.buffer, op.addr, op.count);
                        if let Some(mem) = mem.as_mut() {
                            mem.on_read(plan, op.buffer, op.fold, op.addr);
                        }
                    }
                    if port.port == Port::Left {
                        fold_start[op.fold] = fold_start[op.fold].min(now);
                    }
                }
                None => {
                    sram.issue_read(t, None);
                    port.ctl_flags[s] = 0;
                    port.ctl_tag[s] = 0;
                }
            }
        }

        // The bottom row leaves through the deskew.
        let (bottom, bottom_valid) = core.bottom();
        ev.deskew_hops += deskew.cycle(t, bottom, bottom_valid);

        // Output stage: the read-back issued L_C cycles ago arrives; this cycle's read-back is
        // issued (before the write: the SRAM is read-first); the deskewed row is written.
        let arrived = sram_c.output(t).map(|o| {
            readback.copy_from_slice(o.data);
            o.addr
        });
        let mut read = None;
        while let Some(op) = next_out {
            // A row that accumulates must have its read-back issued exactly L_C cycles before its
            // write; a row that does not is only queued (no read), possibly before cycle 0.
            let at = op.edge + plan.delta - plan.lat_c;
            if at > t as i64 {
                break;
            }
            if op.accumulate {
                if at < t as i64 || read.is_some() {
                    // Late, or two read-backs in one cycle: only a broken schedule gets here.
                    diag.hazards += 1;
                } else {
                    read = Some((op.addr, op.count));
                    count_read(&mut ev, cfg, BufferId::C, op.count);
                    probe.buffer_read(now, BufferId::C, op.addr, op.count);
                    if let Some(mem) = mem.as_mut() {
                        c_read = Some(mem.on_readback(plan, &op));
                    }
                }
            }
            pending.push_back(op);
            out_step += 1;
            if out_step == plan.out_steps(out_fold) {
                out_step = 0;
                out_fold += 1;
            }
            next_out = (out_fold < folds).then(|| plan.out_op(out_fold, out_step));
        }
        sram_c.issue_read(t, read);

        while pending
            .front()
            .is_some_and(|op| op.edge + plan.delta < t as i64)
        {
            // A row whose write cycle passed unwritten: only a broken schedule gets here.
            pending.pop_front();
            diag.hazards += 1;
        }
        let row_valid = popcount(&deskew.out_valid) > 0;
        let due = pending
            .front()
            .is_some_and(|op| op.edge + plan.delta == t as i64);
        if due {
            let op = pending.pop_front().expect("checked");
            prefix_bits(&mut expect, op.count);
            if deskew.out_valid != expect {
                diag.hazards += 1;
            }
            for j in 0..c {
                let base = if op.accumulate && arrived == Some(op.addr) {
                    readback[j]
                } else {
                    0
                };
                values[j] = base.wrapping_add(deskew.out_val[j]);
            }
            if op.accumulate && arrived != Some(op.addr) {
                diag.hazards += 1;
            }
            if let (Some(st), true) = (stage, op.last) {
                for (j, v) in values[..op.count].iter_mut().enumerate() {
                    let ch = op.channel + if op.channel_per_lane { j } else { 0 };
                    *v = i32::from(st.apply(ch, *v));
                }
                ev.output_stage_ops += op.count as u64;
            }
            sram_c.write(op.addr, &expect, &values);
            let words = cfg.words_for(BufferId::C, op.count as u32);
            ev.c_buf_writes += words;
            ev.c_buf_write_elems += op.count as u64;
            probe.buffer_write(now, BufferId::C, op.addr, &values[..op.count]);
            if let Some(mem) = mem.as_mut() {
                c_write = Some(mem.on_write(plan, &op, wall));
            }
        } else if row_valid {
            // A row left the array when the controller expected none.
            diag.hazards += 1;
        }
        let finished = pending.is_empty() && next_out.is_none();
        core.step(&skew_left.out, &skew_top.out, &mut ev);
        if let Some(mem) = mem.as_mut() {
            mem.step(cfg, plan, wall, (c_read, c_write), &mut ev, probe);
        }
        wall += 1;
        if finished {
            break t + 1;
        }
        t += 1;
    };
    diag.hazards += core.hazards();
    debug_assert_eq!(total_active + stall_cycles + load_cycles, wall);
    // A stalled PE does no MAC: idle PE-cycles cover every cycle from 0 to the last write.
    ev.idle_pe_cycles += stall_cycles * cfg.pes();
    let total_cycles = wall - load_cycles;
    // After the last write, the DMA drains what is left of C.
    let mut writeback_cycles = 0;
    if let Some(mem) = mem.as_mut() {
        let end = wall;
        while !mem.drained() {
            if mem.step(cfg, plan, wall, (None, None), &mut ev, probe) {
                wall += 1;
            } else {
                wall = mem
                    .next_event(plan, wall)
                    .expect("internal error: the final drain deadlocked");
            }
        }
        writeback_cycles = mem.drain_done().max(end) - end;
    }

    // A fold's span starts with its stream (fold 0: with the run); see "Fold order" in the doc.
    fold_start[0] = 0;
    let per_fold = (0..folds).map(|f| {
        let end = if f + 1 < folds {
            fold_start[f + 1]
        } else {
            total_cycles
        };
        end - fold_start[f]
    });
    let fold_cycles = encode_fold_cycles(per_fold);
    let stats = RunStats {
        arch: cfg.name.clone(),
        dataflow: plan.df,
        rows: cfg.array.rows,
        cols: cfg.array.cols,
        m: plan.shape.m,
        n: plan.shape.n,
        k: plan.shape.k,
        total_cycles,
        stall_cycles,
        load_cycles,
        writeback_cycles,
        latency_cycles: load_cycles + total_cycles + writeback_cycles,
        dram_read_bytes: ev.dram_read_bytes(),
        dram_write_bytes: ev.dram_write_bytes(),
        mapping: plan.mapping.clone(),
        memory: memory_plan,
        macs: ev.macs,
        utilization: utilization(ev.macs, total_cycles, cfg.pes()),
        folds: folds as u64,
        fold_cycles,
        events: ev,
    };
    let c_mat = plan.layout_c.unpack(sram_c.contents());
    (GemmRun { c: c_mat, stats }, diag)
}
