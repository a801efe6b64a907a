//! Closed forms of a mapped run (`docs/microarchitecture.md`, "Closed forms"; `docs/mapping.md`):
//! every event count, the DRAM bytes per operand and the compute cycles of a GEMM run in the
//! fold order of a [`Mapping`], from the shape, the machine and the mapping alone, without
//! simulating. The on-chip events are sums over the folds, and the set of folds does not depend
//! on their order, so only the stream chunks (WS/IS: one preload per fold) and the memory
//! system (what each operand's level fetches again, what C does) see the mapping.
//!
//! `sim/tests/mapping.rs` holds every figure here equal to the cycle-accurate run, and the cycles
//! equal whenever the run does not stall.

use crate::config::{ArchConfig, BufferId, ConvInput, Dataflow, MemoryModel};
use crate::error::RunError;
use crate::events::EventCounts;
use crate::mapping::layout::over_tiles;
use crate::mapping::schedule::{layouts, Plan};
use crate::mapping::{Mapping, Tiling};
use crate::memory::dma::{output_plan, DramTraffic, MemorySystem, OutputMode};
use crate::workload::im2col::Im2col;
use crate::workload::GemmShape;

/// What the closed forms say of one mapped run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Every event count of the run as it would be without stalls (`idle_pe_cycles` is
    /// `compute_cycles x PEs - MACs`; a stall adds `PEs` idle PE-cycles per cycle).
    pub events: EventCounts,
    /// The cycles in which the array works: `total_cycles` of the run when it does not stall,
    /// `total_cycles - stall_cycles` when it does.
    pub compute_cycles: u64,
    /// DRAM bytes per operand (with the ideal memory model, zero).
    pub traffic: DramTraffic,
    /// What buffer C does with partial sums.
    pub output: OutputMode,
    /// A latency estimate for the mapper: the compute cycles or the bus time of the DRAM bytes,
    /// whichever is longer, plus a DRAM latency at each end. The simulation gives the real
    /// figure (its stalls, prologue and writeback).
    pub latency_estimate: u64,
}

/// The closed forms of `shape` run in `df` in the order of `mapping` (which must pass
/// [`Mapping::check`]). `conv` is the convolution whose im2col matrix the GEMM is, when the
/// machine reads its ifmap from buffer A (`conv_input = "ifmap"`); the ifmap's traffic then comes
/// from a dry run of the window over the reads, which costs one pass over the folds. `staged`:
/// the output stage requantizes every output.
pub fn evaluate(
    cfg: &ArchConfig,
    df: Dataflow,
    shape: GemmShape,
    mapping: &Mapping,
    conv: Option<&Im2col>,
    staged: bool,
) -> Result<Estimate, RunError> {
    let tiling = Tiling::new(cfg, df, shape, mapping.stream_tile);
    let mut events = array_events(cfg, &tiling);
    if staged {
        events.output_stage_ops = (shape.m as u64).saturating_mul(shape.n as u64);
    }
    let compute_cycles = compute_cycles(cfg, &tiling);
    let (mut traffic, mut output) = (DramTraffic::default(), OutputMode::Drain);
    if cfg.memory == MemoryModel::Dram {
        let (mode, _) = output_plan(cfg, &tiling)?;
        output = mode;
        let [la, lb, lc] = layouts(cfg, df, shape);
        let fetches = |buf| mapping.refetches(&tiling, buf);
        let words = |buf: BufferId, l: &crate::mapping::layout::VectorLayout| {
            l.over_vectors(|n| cfg.words_for(buf, n as u32))
        };
        let elems = |l: &crate::mapping::layout::VectorLayout| (l.rows as u64) * (l.cols as u64);
        let bytes = |buf: BufferId, l: &crate::mapping::layout::VectorLayout| {
            l.packed_bytes(cfg.element_bits(buf))
        };
        // Fills: every fetched vector is written into its buffer once.
        let (fa, fb) = (fetches(BufferId::A), fetches(BufferId::B));
        events.a_buf_writes = fa * words(BufferId::A, &la);
        events.a_buf_write_elems = fa * elems(&la);
        events.b_buf_writes = fb * words(BufferId::B, &lb);
        events.b_buf_write_elems = fb * elems(&lb);
        traffic.a_read = fa * bytes(BufferId::A, &la);
        traffic.b_read = fb * bytes(BufferId::B, &lb);
        // C: every result row leaves once; a spilled row leaves once per K fold and all but the
        // first come back (written into C by the DMA before their read-back).
        let (out, back) = match output {
            OutputMode::Drain | OutputMode::Accumulate => (1, 0),
            OutputMode::Spill => {
                let k_folds = tiling.tiles(tiling.desc.rows) as u64;
                (k_folds, k_folds - 1)
            }
        };
        let (cw, ce, cb) = (words(BufferId::C, &lc), elems(&lc), bytes(BufferId::C, &lc));
        events.c_buf_reads += out * cw;
        events.c_buf_read_elems += out * ce;
        events.c_buf_writes += back * cw;
        events.c_buf_write_elems += back * ce;
        traffic.c_write = out * cb;
        traffic.c_read = back * cb;
        // A convolution's ifmap in buffer A: the window's rows instead of the matrix, when they
        // move fewer bytes (the memory system decides, with the same dry run).
        if let Some(geom) = conv.filter(|_| cfg.conv_input == ConvInput::Ifmap) {
            let plan = Plan::for_conv(cfg, df, shape, mapping, geom);
            let mem = MemorySystem::new(cfg, &plan)?;
            if let Some((w, e)) = mem.ifmap_fills(cfg) {
                traffic.a_read = mem.traffic(cfg, &plan).a_read;
                events.a_buf_writes = w;
                events.a_buf_write_elems = e;
            }
        }
        events.dram_a_read_bytes = traffic.a_read;
        events.dram_b_read_bytes = traffic.b_read;
        events.dram_c_read_bytes = traffic.c_read;
        events.dram_c_write_bytes = traffic.c_write;
    }
    events.idle_pe_cycles = compute_cycles
        .saturating_mul(cfg.pes())
        .saturating_sub(events.macs);
    let bus = traffic
        .total()
        .div_ceil(u64::from(cfg.dram.bytes_per_cycle.max(1)));
    let latency_estimate = match cfg.memory {
        MemoryModel::Ideal => compute_cycles,
        MemoryModel::Dram => compute_cycles.max(bus) + 2 * u64::from(cfg.dram.latency_cycles),
    };
    Ok(Estimate {
        events,
        compute_cycles,
        traffic,
        output,
        latency_estimate,
    })
}

/// `0 + 1 + ... + (u - 1)`.
fn tri(u: u64) -> u64 {
    u * u.saturating_sub(1) / 2
}

/// The events of the array, its edges and its reads and writes of the buffers: sums over the
/// folds (the row tiles x column tiles x stream chunks), whatever their order.
fn array_events(cfg: &ArchConfig, tiling: &Tiling) -> EventCounts {
    let (r, c) = (tiling.r, tiling.c);
    let (ru, cu) = (r as u64, c as u64);
    let (sr, sc, t) = tiling.extents;
    let (sru, scu, tu) = (sr as u64, sc as u64, t as u64);
    let d = tiling.desc;
    let (nr, nc, ns) = (
        tiling.tiles(d.rows) as u64,
        tiling.tiles(d.cols) as u64,
        tiling.tiles(d.stream) as u64,
    );
    let words = |id: BufferId, n: u64| cfg.words_for(id, n as u32);
    // The deskew latches of an output row of `u` valid lanes.
    let deskew = |u: u64| (0..u).map(|j| cu - 1 - j).sum::<u64>();
    let mut e = EventCounts {
        macs: sru * scu * tu,
        ..Default::default()
    };
    match d.stationary {
        None => {
            // OS: rows M, columns N, stream K (one chunk). A streams once per column tile, B
            // once per row tile; every output is written once.
            e.a_buf_read_elems = nc * sru * tu;
            e.b_buf_read_elems = nr * scu * tu;
            e.c_buf_write_elems = sru * scu;
            e.h_operand_hops = nc * sru * tu * cu;
            e.v_operand_hops = nr * scu * tu * ru;
            e.acc_updates = sru * scu * tu;
            e.skew_hops = nc * tu * over_tiles(sr, r, tri) + nr * tu * over_tiles(sc, c, tri);
            // The output of row i travels y(i), x(i+1), y(i+1), ..., y(R-1): 2R-1-2i registers.
            e.psum_hops = scu * over_tiles(sr, r, |u| (0..u).map(|i| 2 * ru - 1 - 2 * i).sum());
            e.deskew_hops = sru * over_tiles(sc, c, deskew);
            e.a_buf_reads = nc * tu * over_tiles(sr, r, |u| words(BufferId::A, u));
            e.b_buf_reads = nr * tu * over_tiles(sc, c, |u| words(BufferId::B, u));
            e.c_buf_writes = sru * over_tiles(sc, c, |u| words(BufferId::C, u));
        }
        Some(stat) => {
            // WS/IS: rows K, columns P (WS: N, IS: M), stream T (WS: M, IS: N) in `ns` chunks.
            // The stream crosses once per column tile; each fold preloads its stationary tile,
            // so the stationary operand's traffic in the array is paid once per stream chunk.
            let stream = d.left;
            let stream_elems = nc * tu * sru;
            let stat_elems = ns * sru * scu;
            e.c_buf_write_elems = nr * tu * scu;
            e.c_buf_read_elems = (nr - 1) * tu * scu;
            e.stationary_loads = stat_elems;
            e.stationary_swaps = stat_elems;
            e.h_operand_hops = stream_elems * cu;
            // A value for row i passes the vertical registers of rows 0..i-1.
            e.v_operand_hops = ns * scu * over_tiles(sr, r, tri);
            // Every valid column carries a valid partial sum through all R rows per stream step.
            e.psum_hops = nr * tu * scu * ru;
            e.skew_hops = nc * tu * over_tiles(sr, r, tri)
                + ns * over_tiles(sr, r, |u| u) * over_tiles(sc, c, tri);
            e.deskew_hops = nr * tu * over_tiles(sc, c, deskew);
            let stream_words = nc * tu * over_tiles(sr, r, |u| words(stream, u));
            let preload_words =
                ns * over_tiles(sr, r, |u| u) * over_tiles(sc, c, |u| words(stat, u));
            let (sw, se, pw, pe) = (stream_words, stream_elems, preload_words, stat_elems);
            if stream == BufferId::A {
                (
                    e.a_buf_reads,
                    e.a_buf_read_elems,
                    e.b_buf_reads,
                    e.b_buf_read_elems,
                ) = (sw, se, pw, pe);
            } else {
                (
                    e.b_buf_reads,
                    e.b_buf_read_elems,
                    e.a_buf_reads,
                    e.a_buf_read_elems,
                ) = (sw, se, pw, pe);
            }
            let c_row_words = over_tiles(sc, c, |u| words(BufferId::C, u));
            e.c_buf_writes = nr * tu * c_row_words;
            e.c_buf_reads = (nr - 1) * tu * c_row_words;
        }
    }
    e
}

/// The closed form of the active cycles (`docs/microarchitecture.md`, "Closed forms"): the
/// stream starts of consecutive folds are `I_f` apart, and the run ends with the last fold's
/// pipeline.
///
/// - OS: `(F - 1) I + K + 2R + C - 1 + max(L_A, L_B)`, `I = max(K, R)`;
/// - WS/IS: `sum over all folds but the last of I_f + T_last + 2R + C + max(L_P, L_Q - R)`, with
///   `I_f = max(T_f, R, L_C + 1)` when K spans several row tiles (folds accumulate) and
///   `max(T_f, R)` otherwise; `T_f` is fold `f`'s stream chunk, `T_last` the last chunk (every
///   nest ends on it), `P` the stationary operand's buffer and `Q` the streaming one's.
pub fn compute_cycles(cfg: &ArchConfig, tiling: &Tiling) -> u64 {
    let d = tiling.desc;
    let (r, c) = (tiling.r as u64, tiling.c as u64);
    let lat = |id: BufferId| i64::from(cfg.buffer(id).read_latency);
    let (nr, nc, ns) = (
        tiling.tiles(d.rows) as u64,
        tiling.tiles(d.cols) as u64,
        tiling.tiles(d.stream) as u64,
    );
    let t = tiling.extents.2 as u64;
    let ts = tiling.stream_tile as u64;
    let last = t - (ns - 1) * ts;
    let folds = nr * nc * ns;
    match d.stationary {
        None => {
            let i = t.max(r);
            (folds - 1) * i + t + 2 * r + c - 1 + lat(BufferId::A).max(lat(BufferId::B)) as u64
        }
        Some(p) => {
            let hazard = if nr > 1 {
                r.max(u64::from(cfg.buffers.c.read_latency) + 1)
            } else {
                r
            };
            let per = |len: u64| len.max(hazard);
            let all = nr * nc * ((ns - 1) * per(ts) + per(last));
            let dd = lat(p).max(lat(d.left) - r as i64) as u64;
            all - per(last) + last + 2 * r + c + dd
        }
    }
}
