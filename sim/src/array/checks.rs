//! What the fast model checks before a run, with no data or with the operands in hand: the
//! dataflow is supported, the shape and mapping fit the machine and the in-memory model, the
//! operands fit the operand width, and the output stage can requantize C. Every `simulate_*`
//! entry point and the mapper ask these first; each error names the field at fault.

use crate::config::{ArchConfig, Dataflow, MemoryModel};
use crate::error::RunError;
use crate::mapping::schedule::Plan;
use crate::mapping::Mapping;
use crate::matrix::{operand_range, Matrix, Operand};
use crate::memory::dma::MemorySystem;
use crate::quant::OutputStage;
use crate::workload::im2col::Im2col;
use crate::workload::GemmShape;

/// The checks every mapped run shares ([`super::simulate_mapped`],
/// [`super::simulate_conv_with_probe`]): [`check_mapped_operands`], then [`check_output_stage`]
/// when the run has one. Returns the GEMM's shape.
pub(super) fn check_run<T: Operand>(
    cfg: &ArchConfig,
    df: Dataflow,
    mapping: &Mapping,
    (a, b): (&Matrix<T>, &Matrix<T>),
    stage: Option<&OutputStage>,
) -> Result<GemmShape, RunError> {
    let shape = check_mapped_operands(cfg, df, mapping, a, b)?;
    if let Some(st) = stage {
        check_output_stage(cfg, shape.n, st)?;
    }
    Ok(shape)
}

/// Checks that the machine's output stage can requantize a C of `n` columns with `stage`: the
/// config has an output stage, its operands are int8 (the stage's output width), its table holds
/// `n` channels, and the parameters are in range.
pub fn check_output_stage(cfg: &ArchConfig, n: usize, stage: &OutputStage) -> Result<(), RunError> {
    let Some(o) = &cfg.output_stage else {
        return Err(RunError::OutputStage(format!(
            "architecture `{}` has none (add `[output_stage]` with `channels = ...` to its config)",
            cfg.name
        )));
    };
    if cfg.array.operand_bits != 8 {
        return Err(RunError::OutputStage(format!(
            "it requantizes to int8 for int8 operands, but `{}` has {}-bit operands (array.operand_bits)",
            cfg.name, cfg.array.operand_bits
        )));
    }
    if n > o.channels as usize {
        return Err(RunError::OutputStage(format!(
            "C has {n} columns but the parameter table of `{}` holds {} channels (output_stage.channels)",
            cfg.name, o.channels
        )));
    }
    stage
        .validate(n)
        .map_err(|e| RunError::OutputStage(e.to_string()))
}

/// Checks, before any data exists, that a GEMM of this shape can run on this machine in this
/// dataflow: the hardware supports the dataflow, every dimension is at least 1, and the problem
/// (operands, result and the buffers' vector layouts) fits the in-memory model.
pub fn check_gemm(cfg: &ArchConfig, df: Dataflow, shape: GemmShape) -> Result<(), RunError> {
    check_dataflow(cfg, df)?;
    shape.check()?;
    check_mapped(cfg, df, shape, &Mapping::scalesim(cfg, df, shape))
}

/// [`check_gemm`] for a GEMM run in the fold order of `mapping`: the mapping is legal for the
/// shape, the dataflow and the buffers ([`Mapping::check`]), and its fold table fits the
/// in-memory model too.
pub fn check_mapped(
    cfg: &ArchConfig,
    df: Dataflow,
    shape: GemmShape,
    mapping: &Mapping,
) -> Result<(), RunError> {
    check_dataflow(cfg, df)?;
    shape.check()?;
    mapping.check(cfg, df, shape).map_err(RunError::Mapping)?;
    let tiling = crate::mapping::Tiling::new(cfg, df, shape, mapping.stream_tile);
    let table = crate::mapping::schedule::fold_table_bytes(&tiling);
    crate::workload::shape::check_footprint(shape, shape.footprint_bytes().saturating_add(table))?;
    let plan = Plan::mapped(cfg, df, shape, mapping);
    crate::workload::shape::check_footprint(shape, plan.footprint_bytes())?;
    if cfg.memory == MemoryModel::Dram {
        MemorySystem::new(cfg, &plan)?;
    }
    Ok(())
}

/// [`check_gemm`] for one channel group of a convolution with `n` filters: the host memory the
/// in-memory model needs counts the ifmap too (a large stride makes it far bigger than the GEMM).
pub fn check_conv(
    cfg: &ArchConfig,
    df: Dataflow,
    geom: &Im2col,
    n: usize,
    mapping: &Mapping,
) -> Result<(), RunError> {
    let shape = conv_shape(geom, n);
    check_mapped(cfg, df, shape, mapping)?;
    let ifmap = geom.rows().saturating_mul(geom.row_elems());
    let plan = Plan::mapped(cfg, df, shape, mapping);
    crate::workload::shape::check_footprint(shape, plan.footprint_bytes().saturating_add(ifmap))
}

/// The GEMM of one channel group of a convolution with `n` filters (its im2col matrix times them).
pub(super) fn conv_shape(geom: &Im2col, n: usize) -> GemmShape {
    let (m, k) = geom.mk();
    GemmShape { m, n, k }
}

/// Checks that the hardware described by `cfg` supports dataflow `df` (`array.dataflows`).
pub fn check_dataflow(cfg: &ArchConfig, df: Dataflow) -> Result<(), RunError> {
    if cfg.supports(df) {
        return Ok(());
    }
    Err(RunError::Unsupported {
        arch: cfg.name.clone(),
        dataflow: df.to_string(),
        supported: cfg
            .array
            .dataflows
            .iter()
            .map(|d| format!("\"{}\"", d.name()))
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// Checks that the operands conform, that [`check_gemm`] accepts their GEMM and that every value
/// fits the machine's operand width ([`check_operand_range`]).
pub fn check_operands<T: Operand>(
    cfg: &ArchConfig,
    df: Dataflow,
    a: &Matrix<T>,
    b: &Matrix<T>,
) -> Result<GemmShape, RunError> {
    let shape = conform(a, b)?;
    check_gemm(cfg, df, shape)?;
    check_operand_range(cfg, "A", a)?;
    check_operand_range(cfg, "B", b)?;
    Ok(shape)
}

/// [`check_operands`] for a run in the fold order of `mapping` ([`check_mapped`]).
pub fn check_mapped_operands<T: Operand>(
    cfg: &ArchConfig,
    df: Dataflow,
    mapping: &Mapping,
    a: &Matrix<T>,
    b: &Matrix<T>,
) -> Result<GemmShape, RunError> {
    let shape = conform(a, b)?;
    check_mapped(cfg, df, shape, mapping)?;
    check_operand_range(cfg, "A", a)?;
    check_operand_range(cfg, "B", b)?;
    Ok(shape)
}

/// The GEMM of `a` and `b`, when the columns of A are the rows of B.
pub(super) fn conform<T: Operand>(a: &Matrix<T>, b: &Matrix<T>) -> Result<GemmShape, RunError> {
    GemmShape::of_operands((a.rows(), a.cols()), (b.rows(), b.cols()))
}

/// Checks that every element of `m` fits the machine's operand width (an int4 machine takes
/// -8..=7 in its `i8` containers; an int16 machine takes any `i8` or `i16`).
pub fn check_operand_range<T: Operand>(
    cfg: &ArchConfig,
    matrix: &'static str,
    m: &Matrix<T>,
) -> Result<(), RunError> {
    let bits = cfg.array.operand_bits;
    if bits >= T::BITS {
        return Ok(());
    }
    let range = operand_range(bits);
    let Some(i) = m
        .as_slice()
        .iter()
        .position(|&v| !range.contains(&v.into()))
    else {
        return Ok(());
    };
    let cols = m.cols().max(1);
    Err(RunError::OperandRange {
        matrix,
        row: i / cols,
        col: i % cols,
        value: m.as_slice()[i].into(),
        bits,
        arch: cfg.name.clone(),
        min: *range.start(),
        max: *range.end(),
    })
}
