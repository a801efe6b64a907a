//! The machine: one run of a plan, cycle by cycle. [`run_plan`] picks the PE array for the
//! dataflow and the copy of the cycle loop compiled for this CPU's vector unit; the loop asks the
//! memory system whether each cycle may go on (the stall wait, `clock.rs`), feeds the array's left
//! and top edges (`ports.rs`), takes the bottom row through the deskew and the output stage into
//! buffer C (`output.rs`), then clocks the array and the DMA. After the last write it drains C
//! and gathers the statistics (`statistics.rs`).
//!
//! Every per-cycle function is `#[inline(always)]`, so that each compiled copy of the loop is
//! complete (a function not inlined would run without the copy's vector extensions).

use super::clock::Clock;
use super::kernels;
use super::os::OsArray;
use super::output::OutputPath;
use super::ports::EdgePorts;
use super::shared::{Diagnostics, Shared};
use super::stationary::StationaryArray;
use super::statistics::{run_stats, Cycles};
use super::{ArrayCore, GemmRun};
use crate::config::{ArchConfig, Dataflow, MemoryModel};
use crate::events::EventCounts;
use crate::mapping::schedule::Plan;
use crate::matrix::{Matrix, Operand};
use crate::memory::dma::{MemoryPlan, MemorySystem};
use crate::probe::Probe;
use crate::quant::OutputStage;

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
pub(super) fn run_plan<P: Probe, T: Operand>(
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
        Dataflow::Os => dispatch(job, OsArray::new(plan.r, plan.c)),
        Dataflow::Ws | Dataflow::Is => dispatch(job, StationaryArray::new(plan.r, plan.c)),
    }
}

/// Runs `plan` (the set-up every `simulate_*` entry point shares once its checks passed) and
/// asserts the run hazard-free: the contract's schedule is, so a hazard here is a bug in the
/// model, not bad input. `what` names the run (shape or layer, machine) in the panic message.
pub(super) fn run_hazard_free<P: Probe, T: Operand>(
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

/// The cycle loop: `t` counts the datapath's active cycles.
#[inline(always)]
fn run_core<P: Probe, T: Operand, A: ArrayCore<T>>(
    job: Job<'_, P, T>,
    core: A,
) -> (GemmRun, Diagnostics) {
    let mut m = Machine::new(job, core);
    let mut t: u64 = 0;
    let total_active = loop {
        m.watchdog(t);
        m.stall_wait(t);
        if t == 0 {
            m.sh.probe.start(m.clock.load_cycles);
        }
        if m.cycle(t) {
            break t + 1;
        }
        t += 1;
    };
    m.finish(total_active)
}

/// Everything that holds state during a run: the PE array, the edge ports, the output path,
/// the clock and what they share.
struct Machine<'a, P, T, A> {
    sh: Shared<'a, P>,
    core: A,
    edges: EdgePorts<T>,
    out: OutputPath<'a>,
    clock: Clock,
    /// The memory system's static plan, for the statistics (`None`: ideal memory).
    memory_plan: Option<MemoryPlan>,
    /// The watchdog's limit on active cycles.
    limit: u64,
}

impl<'a, P: Probe, T: Operand, A: ArrayCore<T>> Machine<'a, P, T, A> {
    #[inline(always)]
    fn new(job: Job<'a, P, T>, core: A) -> Self {
        let Job {
            cfg,
            plan,
            a,
            b,
            stage,
            probe,
        } = job;
        // Watchdog: the controller's last write is scheduled for `last_write`; a run that goes
        // far past it is a bug in the model.
        let last_fold = plan.folds() - 1;
        let last_write = plan.out_op(last_fold, plan.out_steps(last_fold) - 1).edge + plan.delta;
        let limit = (last_write.max(0) as u64)
            .saturating_mul(2)
            .saturating_add(1_000);
        let mem = (cfg.memory == MemoryModel::Dram).then(|| {
            MemorySystem::new(cfg, plan).expect("check_gemm accepted this run's memory system")
        });
        Machine {
            memory_plan: mem.as_ref().map(MemorySystem::plan),
            sh: Shared {
                cfg,
                plan,
                probe,
                mem,
                ev: EventCounts::default(),
                diag: Diagnostics::default(),
            },
            core,
            edges: EdgePorts::new(cfg, plan, a, b),
            out: OutputPath::new(cfg, plan, stage),
            clock: Clock::default(),
            limit,
        }
    }

    /// Panics if active cycle `t` is far past the schedule's last write.
    #[inline(always)]
    fn watchdog(&self, t: u64) {
        assert!(
            t <= self.limit,
            "internal error: the {} run of {:?} did not finish within {} cycles",
            self.sh.plan.df,
            self.sh.plan.shape,
            self.limit
        );
    }

    /// Holds every register until the memory system lets active cycle `t` go on.
    #[inline(always)]
    fn stall_wait(&mut self, t: u64) {
        let (edges, out, plan) = (&self.edges, &self.out, self.sh.plan);
        self.clock.stall_wait(t, &mut self.sh, |mem| {
            mem.started() && edges.reads_ready(plan, t, mem) && out.ready(plan, t, mem)
        });
    }

    /// Active cycle `t`; returns whether it was the last (every output row written).
    #[inline(always)]
    fn cycle(&mut self, t: u64) -> bool {
        let (now, wall) = (self.clock.now(), self.clock.wall);
        self.edges.cycle(t, now, &mut self.sh);
        let (c_read, c_write) = self
            .out
            .cycle(t, (now, wall), self.core.bottom(), &mut self.sh);
        let finished = self.out.finished();
        let sh = &mut self.sh;
        self.core.step(
            &self.edges.skew_left.out,
            &self.edges.skew_top.out,
            &mut sh.ev,
        );
        if let Some(mem) = sh.mem.as_mut() {
            mem.step(
                sh.cfg,
                sh.plan,
                wall,
                (c_read, c_write),
                &mut sh.ev,
                sh.probe,
            );
        }
        self.clock.wall += 1;
        finished
    }

    /// After `total_active` active cycles: drains C and gathers C and the statistics.
    fn finish(mut self, total_active: u64) -> (GemmRun, Diagnostics) {
        let (cfg, plan) = (self.sh.cfg, self.sh.plan);
        self.sh.diag.hazards += self.core.hazards();
        let clock = self.clock;
        debug_assert_eq!(
            total_active + clock.stall_cycles + clock.load_cycles,
            clock.wall
        );
        // A stalled PE does no MAC: idle PE-cycles cover every cycle from 0 to the last write.
        self.sh.ev.idle_pe_cycles += clock.stall_cycles * cfg.pes();
        let total = clock.wall - clock.load_cycles;
        // After the last write, the DMA drains what is left of C.
        let writeback = self.clock.drain(&mut self.sh);
        let cycles = Cycles {
            total,
            stall: clock.stall_cycles,
            load: clock.load_cycles,
            writeback,
        };
        let stats = run_stats(
            cfg,
            plan,
            cycles,
            &self.edges.fold_start,
            self.memory_plan,
            self.sh.ev,
        );
        let c = self.out.into_c(plan);
        (GemmRun { c, stats }, self.sh.diag)
    }
}
