//! The fast model: a cycle-by-cycle simulation of the systolic array, its edge skew and deskew
//! registers, the on-chip buffers' read pipelines, the output stage and the controller, following
//! the cycle contract in `docs/microarchitecture.md`.
//!
//! Every register of the machine is stepped on every cycle; nothing is computed from a formula.
//! The closed form of the cycle count ([`crate::mapping::schedule::closed_form_cycles`]) is checked against the
//! simulation by tests, not used by it.

mod checks;
mod clock;
pub(crate) mod edge;
mod kernels;
mod machine;
mod os;
mod output;
mod plans;
mod ports;
pub(crate) mod regs;
mod shared;
mod stationary;
mod statistics;
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
pub use statistics::fold_spans;

use crate::config::{ArchConfig, Dataflow};
use crate::error::RunError;
use crate::events::EventCounts;
use crate::mapping::schedule::Plan;
use crate::mapping::Mapping;
use crate::matrix::{Matrix, Operand};
use crate::probe::{NoProbe, Probe};
use crate::quant::OutputStage;
use crate::stats::RunStats;
use crate::workload::im2col::Im2col;
use edge::EdgeLanes;
use machine::run_hazard_free;
#[cfg(test)]
use machine::run_plan;

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
