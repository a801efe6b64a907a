//! The start command a backend issues for one GEMM, worked out from the fast model's plan as a
//! driver would: where the operands and C start ([`Bases`]), the memory fields
//! ([`MemoryCommand`]), the RTL's limits on the GEMM ([`check_rtl`]) and the watchdog
//! ([`cycle_limit`]).

use systole_sim::array::BufferImages;
use systole_sim::config::{ArchConfig, Dataflow, MemoryModel};
use systole_sim::mapping::schedule::closed_form_cycles;
use systole_sim::workload::GemmShape;

use crate::blocks::top;
use crate::error::{check_arch, HdlError};

/// Checks, before a design is built, that every RTL backend can run `A x B` in `df` on `cfg`
/// (the operands' buffer images and [`check_rtl`]'s limits); returns the GEMM's shape.
pub fn check_operands(
    cfg: &ArchConfig,
    df: Dataflow,
    a: &systole_sim::matrix::Matrix<i8>,
    b: &systole_sim::matrix::Matrix<i8>,
) -> Result<GemmShape, HdlError> {
    let img = systole_sim::array::buffer_images(cfg, df, a, b)?;
    check_rtl(cfg, df, a.rows(), b.cols(), a.cols(), &img)
}

/// Where a run's operands and C start: the start command's `cmd_a_base`, `cmd_b_base` and
/// `cmd_c_base` (vector addresses in the buffers with the ideal memory model, in DRAM with DRAM;
/// a `whole` operand also lands at its base + layout address in its buffer).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bases {
    /// First vector of A.
    pub a: u16,
    /// First vector of B.
    pub b: u16,
    /// First vector of C.
    pub c: u16,
}

/// Checks the RTL's limits (field widths and buffer depths) for a GEMM; returns its shape.
pub fn check_rtl(
    cfg: &ArchConfig,
    df: Dataflow,
    m: usize,
    n: usize,
    k: usize,
    img: &BufferImages,
) -> Result<GemmShape, HdlError> {
    let shape = GemmShape { m, n, k };
    let scalesim = systole_sim::mapping::Mapping::scalesim(cfg, df, shape);
    check_rtl_at(cfg, df, m, n, k, img, Bases::default(), &scalesim)
}

/// [`check_rtl`] for operands and C placed at `bases`, in the fold order of `mapping` (which
/// decides how the buffers keep the operands).
#[allow(clippy::too_many_arguments)]
pub fn check_rtl_at(
    cfg: &ArchConfig,
    df: Dataflow,
    m: usize,
    n: usize,
    k: usize,
    img: &BufferImages,
    bases: Bases,
    mapping: &systole_sim::mapping::Mapping,
) -> Result<GemmShape, HdlError> {
    use systole_sim::config::BufferId;
    use systole_sim::memory::dma::Reuse;
    let unsupported = |s: String| Err(HdlError::Unsupported(s));
    check_arch(cfg)?;
    for (d, v) in [("M", m), ("N", n), ("K", k)] {
        if v > 0xffff {
            return unsupported(format!(
                "{d} = {v}: the command's dimensions are 16 bits (at most 65535)"
            ));
        }
    }
    let shape = GemmShape { m, n, k };
    let g = top::BufferGeometry::of(cfg);
    let plan =
        systole_sim::array::memory_plan_mapped(cfg, df, shape, mapping)?.map(|(plan, _)| plan);
    let at = |name: &str, base: u16| match base {
        0 => String::new(),
        _ => format!(" ({name} at base {base})"),
    };
    // Ideal, the operands and C stay in their buffers. With DRAM they live in DRAM behind the
    // memory port's 16-bit vector addresses, and the DMA brings them in: a `whole` operand to
    // its layout address in its buffer, a re-fetched one into a ring of the fast model's depth.
    for (name, id, base, vectors, depth, reuse) in [
        (
            "A",
            BufferId::A,
            bases.a,
            img.a.len() / img.a_lanes,
            g.depth_a,
            plan.map(|p| p.a),
        ),
        (
            "B",
            BufferId::B,
            bases.b,
            img.b.len() / img.b_lanes,
            g.depth_b,
            plan.map(|p| p.b),
        ),
        ("C", BufferId::C, bases.c, img.c_vectors, g.depth_c, None),
    ] {
        let end = usize::from(base) + vectors;
        let at = at(name, base);
        if plan.is_some() && end > 1 << 16 {
            return unsupported(format!(
                "{m}x{n}x{k} in {df} has {vectors} vectors of {name}{at}, and the memory port's DRAM addresses are 16 bits ({} vectors): run the fast backend",
                1 << 16
            ));
        }
        match (plan, reuse) {
            (None, _) if end > depth => {
                return unsupported(format!(
                    "{m}x{n}x{k} in {df} needs {vectors} vectors in buffer {name}{at}, which holds {depth} on {}; with --memory ideal the RTL keeps the operands and C in the buffers: run the fast backend, use --memory dram, or give buffer {name} more capacity",
                    cfg.name
                ));
            }
            (Some(_), Some(Reuse::Whole)) if end > depth => {
                return unsupported(format!(
                    "{m}x{n}x{k} in {df} keeps {vectors} vectors of {name}{at} in buffer {name}, but the RTL's buffer {name} has {depth} vectors of {} int8 lanes (at most 2^16): run the fast backend, or give buffer {name} fewer, wider vectors",
                    g.lanes_ab
                ));
            }
            (Some(_), Some(Reuse::PerRun | Reuse::PerFold)) => {
                let model = cfg.buffer_depth(id);
                if model > depth as u64 {
                    return unsupported(format!(
                        "{m}x{n}x{k} in {df} re-fetches {name} through a ring of {model} vectors (its capacity / (banks x word bits)), but the RTL's buffer {name} has {depth} vectors of {} int8 lanes (at most 2^16): run the fast backend, or give buffer {name} fewer, wider vectors",
                        g.lanes_ab
                    ));
                }
            }
            _ => {}
        }
    }
    if plan.is_some() {
        // C's two banks of buffer_depth(C) / 2 rows live in the physical C.
        let banks = cfg.buffer_depth(BufferId::C) / 2 * 2;
        if banks > g.depth_c as u64 {
            return unsupported(format!(
                "buffer C's two banks hold {banks} rows of {} lanes by its capacity and word width, but the RTL's C has {} rows of {} int32 lanes (at most 2^16): give buffer C words of at least 32 x {} bits, or less capacity",
                cfg.array.cols, g.depth_c, cfg.array.cols, cfg.array.cols
            ));
        }
    }
    if closed_form_cycles(cfg, df, shape) >= u64::from(u32::MAX) {
        return unsupported("a run of 2^32 cycles or more: the cycle counter is 32 bits".into());
    }
    Ok(shape)
}

/// The memory part of the start command, as a driver would work it out from the sizes (the
/// fast model's memory plan), the way Gemmini's software chooses its tiling.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemoryCommand {
    /// `cmd_a_reuse`: 0 whole, 1 per run, 2 per fold (0 with the ideal memory model).
    pub a_reuse: u64,
    /// `cmd_b_reuse`.
    pub b_reuse: u64,
    /// `cmd_c_chunks`: chunks per fold when C spills partial sums to DRAM, else 0.
    pub c_chunks: u64,
    /// `cmd_c_chunk`: rows of a chunk (`T / chunks`).
    pub c_chunk: u64,
    /// `cmd_c_chunk_rem`: how many of a fold's chunks have one row more (`T mod chunks`).
    pub c_chunk_rem: u64,
}

/// The start command's memory fields for a run in the fold order of `mapping`
/// ([`MemoryCommand`]).
pub fn memory_command(
    cfg: &ArchConfig,
    df: Dataflow,
    shape: GemmShape,
    mapping: &systole_sim::mapping::Mapping,
) -> Result<MemoryCommand, HdlError> {
    use systole_sim::memory::dma::Reuse;
    let code = |r: Reuse| match r {
        Reuse::Whole => 0,
        Reuse::PerRun => 1,
        Reuse::PerFold => 2,
        // `memory_plan` plans a GEMM, whose A is always a matrix.
        Reuse::IfmapWhole | Reuse::IfmapWindow | Reuse::IfmapPerRun => {
            unreachable!("a GEMM's A is a matrix")
        }
    };
    let Some((plan, _)) = systole_sim::array::memory_plan_mapped(cfg, df, shape, mapping)? else {
        return Ok(MemoryCommand::default());
    };
    let (c_chunks, c_chunk, c_chunk_rem) =
        systole_sim::array::spill_chunks(cfg, df, shape, mapping)?.unwrap_or_default();
    Ok(MemoryCommand {
        a_reuse: code(plan.a),
        b_reuse: code(plan.b),
        c_chunks,
        c_chunk,
        c_chunk_rem,
    })
}

/// Cycles after the start command by which `done` must have risen in the fold order of
/// `mapping` (a watchdog for the backends).
pub fn cycle_limit(
    cfg: &ArchConfig,
    df: Dataflow,
    shape: GemmShape,
    mapping: &systole_sim::mapping::Mapping,
) -> u64 {
    let compute =
        closed_form_cycles(cfg, df, shape) * 2 + u64::from(cfg.buffers.c.read_latency) + 1_000;
    if cfg.memory == MemoryModel::Ideal {
        return compute;
    }
    // With DRAM, every byte the plan moves crosses the bus once, and each request waits the
    // latency at most once per cycle of bus time. A ring of `depth` vectors keeps at most
    // `depth` fetches in flight, so a small ring behind a long latency takes about
    // `fetches / depth x latency` (at most one fetch per byte).
    use systole_sim::config::BufferId;
    let lat = u64::from(cfg.dram.latency_cycles);
    let (bytes, ring_wait) = match systole_sim::array::memory_plan_mapped(cfg, df, shape, mapping) {
        Ok(Some((_, traffic))) => {
            let wait = |fetched: u64, id: BufferId| {
                (fetched / cfg.buffer_depth(id).max(1) + 1) * (lat + 1)
            };
            (
                traffic.total(),
                wait(traffic.a_read, BufferId::A) + wait(traffic.b_read, BufferId::B),
            )
        }
        _ => (
            systole_sim::memory::dma::DramTraffic::compulsory(cfg, df, shape).total(),
            0,
        ),
    };
    let bus = bytes / u64::from(cfg.dram.bytes_per_cycle.max(1)) + 1;
    compute + 2 * bus + 4 * lat + 2 * ring_wait
}
