//! What other parts of systole take from a run's plan without running it: the buffers' images
//! and lanes in the contract's vector layouts (the RTL loads them, traces draw them), where an
//! ifmap lane reads, the memory system's static plan and DRAM traffic, and the spill chunking of C
//! (`docs/microarchitecture.md`, "Buffers" and "Memory system").

use super::checks::{check_conv, check_mapped, check_operands, conv_shape};
use crate::config::{ArchConfig, Dataflow, MemoryModel};
use crate::error::RunError;
use crate::mapping::schedule::Plan;
use crate::mapping::Mapping;
use crate::matrix::Matrix;
use crate::memory::dma::{DramTraffic, MemoryPlan, MemorySystem};
use crate::workload::im2col::Im2col;
use crate::workload::GemmShape;

/// For a layer whose run keeps its ifmap in buffer A: where each lane of each A vector reads in
/// the ifmap (for traces). `None` when A holds a matrix.
pub(crate) fn ifmap_addresses(
    cfg: &ArchConfig,
    df: Dataflow,
    op: &crate::workload::LayerOp,
    n: usize,
    mapping: &Mapping,
) -> Option<crate::trace::IfmapAddress> {
    let crate::workload::LayerOp::Conv(conv) = op else {
        return None;
    };
    let geom = conv.im2col();
    let (plan, _) = conv_memory_plan(cfg, df, &geom, n, mapping).ok()??;
    if !plan.a.is_ifmap() {
        return None;
    }
    let layout = Plan::for_conv(cfg, df, conv_shape(&geom, n), mapping, &geom).layout_a;
    let w = geom.row_elems();
    Some(Box::new(move |addr, lane| {
        let (m, k) = layout.element(addr, lane)?;
        geom.source(m, k)
            .map(|(row, off)| row as u64 * w + off as u64)
    }))
}

/// Lanes of one vector of buffers A, B and C in dataflow `df` (the widths of the SRAM traces).
pub fn buffer_lanes(cfg: &ArchConfig, df: Dataflow) -> [usize; 3] {
    let plan = Plan::new(cfg, df, GemmShape { m: 1, n: 1, k: 1 });
    [
        plan.layout_a.lanes,
        plan.layout_b.lanes,
        plan.layout_c.lanes,
    ]
}

/// The memory system's static decisions for this GEMM (how each operand is reused, what C does
/// with partial sums) and the DRAM traffic they imply, in closed form; `None` with the ideal
/// memory model.
pub fn memory_plan(
    cfg: &ArchConfig,
    df: Dataflow,
    shape: GemmShape,
) -> Result<Option<(MemoryPlan, DramTraffic)>, RunError> {
    memory_plan_mapped(cfg, df, shape, &Mapping::scalesim(cfg, df, shape))
}

/// [`memory_plan`] in the fold order of `mapping`.
pub fn memory_plan_mapped(
    cfg: &ArchConfig,
    df: Dataflow,
    shape: GemmShape,
    mapping: &Mapping,
) -> Result<Option<(MemoryPlan, DramTraffic)>, RunError> {
    check_mapped(cfg, df, shape, mapping)?;
    Ok(match cfg.memory {
        MemoryModel::Ideal => None,
        MemoryModel::Dram => {
            let plan = Plan::mapped(cfg, df, shape, mapping);
            let mem = MemorySystem::new(cfg, &plan)?;
            Some((mem.plan(), mem.traffic(cfg, &plan)))
        }
    })
}

/// [`memory_plan`] for one channel group of a convolution whose ifmap buffer A holds
/// ([`crate::memory::im2col`]), with `n` filters in the group, in the fold order of `mapping`.
pub fn conv_memory_plan(
    cfg: &ArchConfig,
    df: Dataflow,
    geom: &Im2col,
    n: usize,
    mapping: &Mapping,
) -> Result<Option<(MemoryPlan, DramTraffic)>, RunError> {
    let shape = conv_shape(geom, n);
    check_conv(cfg, df, geom, n, mapping)?;
    Ok(match cfg.memory {
        MemoryModel::Ideal => None,
        MemoryModel::Dram => {
            let plan = Plan::for_conv(cfg, df, shape, mapping, geom);
            let mem = MemorySystem::new(cfg, &plan)?;
            Some((mem.plan(), mem.traffic(cfg, &plan)))
        }
    })
}

/// The chunking of a spilling run's output rows (`docs/microarchitecture.md`, "Memory system"):
/// `Some((n, q, r))` when buffer C spills partial sums (each fold's `T` rows in `n` chunks of `q`
/// rows, the first `r` of them one row longer), `None` otherwise.
pub fn spill_chunks(
    cfg: &ArchConfig,
    df: Dataflow,
    shape: GemmShape,
    mapping: &Mapping,
) -> Result<Option<(u64, u64, u64)>, RunError> {
    check_mapped(cfg, df, shape, mapping)?;
    if cfg.memory == MemoryModel::Ideal {
        return Ok(None);
    }
    let plan = Plan::mapped(cfg, df, shape, mapping);
    Ok(MemorySystem::new(cfg, &plan)?.spill_chunks(&plan))
}

/// The three buffers' contents for a GEMM in the contract's vector layouts (`docs/microarchitecture.md`,
/// "Buffers"), as another implementation of the machine (the RTL) loads them.
#[derive(Debug, Clone, PartialEq)]
pub struct BufferImages {
    /// Buffer A: `a.len() / a_lanes` vectors of `a_lanes` int8 lanes (padding lanes zero).
    pub a: Vec<i8>,
    /// Lanes per vector of buffer A.
    pub a_lanes: usize,
    /// Buffer B, likewise.
    pub b: Vec<i8>,
    /// Lanes per vector of buffer B.
    pub b_lanes: usize,
    /// Buffer C: vectors of `c_lanes` int32 lanes, and how many the result occupies.
    pub c_lanes: usize,
    /// Vectors of buffer C the result occupies.
    pub c_vectors: usize,
}

/// Lays A and B out as the buffers hold them in dataflow `df`.
pub fn buffer_images(
    cfg: &ArchConfig,
    df: Dataflow,
    a: &Matrix<i8>,
    b: &Matrix<i8>,
) -> Result<BufferImages, RunError> {
    let shape = check_operands(cfg, df, a, b)?;
    let plan = Plan::new(cfg, df, shape);
    let lc = &plan.layout_c;
    Ok(BufferImages {
        a: plan.layout_a.pack(a),
        a_lanes: plan.layout_a.lanes,
        b: plan.layout_b.pack(b),
        b_lanes: plan.layout_b.lanes,
        c_lanes: lc.lanes,
        c_vectors: lc.tiles() * lc.steps(),
    })
}

/// Reads C back out of buffer C's vectors (`c_vectors x c_lanes` int32 values).
pub fn unpack_c(cfg: &ArchConfig, df: Dataflow, shape: GemmShape, data: &[i32]) -> Matrix<i32> {
    Plan::new(cfg, df, shape).layout_c.unpack(data)
}
