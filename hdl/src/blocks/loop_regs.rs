//! The mapping's registers, written by the host before the start command and read by the
//! controller's fold queue (`crate::blocks::fold_queue`) and the DMA's fetch cursors
//! ([`crate::blocks::fetch_cursor`]): per loop slot the numbers the fast model derives
//! (`systole_sim::mapping::nest::walk_loops`), the stream tile and the last chunk's length, and,
//! for the fetch walkers, each loop's spans and key masks
//! (`systole_sim::mapping::fetch_time::fetch_spans`). The hardware derives none of them.

use rust_hdl::prelude::*;
use systole_sim::config::{ArchConfig, Dataflow};
use systole_sim::mapping::fetch_time::fetch_spans;
use systole_sim::mapping::nest::walk_loops;
use systole_sim::mapping::{Mapping, Tiling};
use systole_sim::workload::GemmShape;

use crate::blocks::fold_walk::{AXIS_NONE, WALK_LOOPS};

/// Lane of the stream tile's low byte (the loops' bytes are below: 8 per loop slot).
const LANE_STREAM_TILE: u64 = 8 * WALK_LOOPS as u64;
/// Lane of loop 0's span under key 0; loop `l`'s span under key `k` is at `LANE_SPAN + 4l + k`,
/// written a byte at a time, most significant first (the register shifts them in).
const LANE_SPAN: u64 = 64;
/// Lane of loop 0's chunk key mask; its block key mask follows, then loop 1's, and so on.
const LANE_KEY_MASK: u64 = LANE_SPAN + 4 * WALK_LOOPS as u64;

const _: () = assert!(WALK_LOOPS == 6 && LANE_KEY_MASK + 2 * WALK_LOOPS as u64 <= 256);

/// The host writes `(lane, byte)` at [`crate::interface::MAP_ADDR`] that load `mapping` of
/// `shape` in `df` on `cfg` into the loop registers: per loop slot `i` (outer to inner), lanes
/// `8i`..: trips (2 bytes, little-endian), tiles (2), stride (2), then one byte of flags (bits 0-1
/// the axis, 2 inner, 3 A's flags look at it, 4 B's); unused slots have one trip and no axis.
/// Lanes 48-51: the stream tile and the last chunk's length. With `dram`, the fetch walkers'
/// spans (lanes 64-87, four bytes each, most significant first) and key masks (lanes 88-99).
/// Fails, saying why, when the mapping has more loops than the walker has slots or (with DRAM)
/// spans the fetch walkers cannot take.
pub fn mapping_writes(
    cfg: &ArchConfig,
    df: Dataflow,
    shape: GemmShape,
    mapping: &Mapping,
    dram: bool,
) -> Result<Vec<(u64, u8)>, String> {
    let tiling = Tiling::new(cfg, df, shape, mapping.stream_tile);
    let loops = walk_loops(&tiling, mapping);
    if loops.len() > WALK_LOOPS {
        return Err(format!(
            "it has {} loops, and the RTL's fold walker has {WALK_LOOPS} slots",
            loops.len()
        ));
    }
    let mut w = Vec::new();
    // Every field fits 16 bits: tiles and trips are at most M, N or K, which the start command
    // limits to 65535 (`backend::request::check_rtl_at`).
    fn word(w: &mut Vec<(u64, u8)>, lane: u64, v: u32) {
        debug_assert!(v <= 0xffff, "internal error: a loop register of {v}");
        let [lo, hi, ..] = v.to_le_bytes();
        w.push((lane, lo));
        w.push((lane + 1, hi));
    }
    for i in 0..WALK_LOOPS {
        let base = 8 * i as u64;
        let (trips, tiles, stride, flags) = match loops.get(i) {
            Some(l) => (
                l.trips,
                l.tiles,
                l.stride,
                l.axis as u8
                    | u8::from(l.inner) << 2
                    | u8::from(l.edge_a) << 3
                    | u8::from(l.edge_b) << 4,
            ),
            None => (1, 1, 1, AXIS_NONE as u8),
        };
        word(&mut w, base, trips);
        word(&mut w, base + 2, tiles);
        word(&mut w, base + 4, stride);
        w.push((base + 6, flags));
    }
    let (extent, ts) = (tiling.extents.2, tiling.stream_tile);
    let last = extent - (extent.div_ceil(ts).max(1) - 1) * ts;
    word(&mut w, LANE_STREAM_TILE, ts as u32);
    word(&mut w, LANE_STREAM_TILE + 2, last as u32);
    if dram {
        let spans = fetch_spans(cfg, df, shape, mapping)
            .map_err(|e| format!("the RTL's fetch walkers cannot time it: {e}"))?;
        for (l, per_key) in spans.span.iter().enumerate() {
            for (k, &span) in per_key.iter().enumerate() {
                let span = u32::try_from(span).map_err(|_| {
                    format!("a loop's span of {span} cycles exceeds the fetch walker's 32 bits")
                })?;
                let lane = LANE_SPAN + 4 * l as u64 + k as u64;
                for byte in span.to_be_bytes() {
                    w.push((lane, byte));
                }
            }
            w.push((LANE_KEY_MASK + 2 * l as u64, spans.last_chunk_mask[l]));
            w.push((LANE_KEY_MASK + 2 * l as u64 + 1, spans.last_block_mask[l]));
        }
    }
    Ok(w)
}

/// The loop registers (see the module doc).
#[derive(LogicBlock)]
pub struct LoopRegs {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// A host write of one register byte.
    pub map_we: Signal<In, Bit>,
    /// Its lane ([`mapping_writes`]).
    pub map_lane: Signal<In, Bits<8>>,
    /// Its value.
    pub map_wdata: Signal<In, Bits<8>>,
    /// Each slot's axis (`fold_walk::AXIS_*`).
    pub axis: [Signal<Out, Bits<2>>; WALK_LOOPS],
    /// Each slot's iterations.
    pub trips: [Signal<Out, Bits<16>>; WALK_LOOPS],
    /// Tiles of each slot's axis.
    pub tiles: [Signal<Out, Bits<16>>; WALK_LOOPS],
    /// Tiles one iteration of the slot moves its axis on.
    pub stride: [Signal<Out, Bits<16>>; WALK_LOOPS],
    /// The slot is the inner loop of a blocked dimension.
    pub inner: [Signal<Out, Bit>; WALK_LOOPS],
    /// A's flags look at the slot.
    pub edge_a: [Signal<Out, Bit>; WALK_LOOPS],
    /// B's flags look at the slot.
    pub edge_b: [Signal<Out, Bit>; WALK_LOOPS],
    /// The stream tile.
    pub ts: Signal<Out, Bits<16>>,
    /// The last chunk's length.
    pub tlast: Signal<Out, Bits<16>>,
    /// Per slot, the stream loops outside it (a fetch walker's key bit 0).
    pub chunk_mask: [Signal<Out, Bits<8>>; WALK_LOOPS],
    /// Per slot, the outer loops of dimensions blocked across it (key bit 1).
    pub block_mask: [Signal<Out, Bits<8>>; WALK_LOOPS],
    /// Per slot, the span of one iteration under key 0.
    pub span0: [Signal<Out, Bits<32>>; WALK_LOOPS],
    /// Under key 1.
    pub span1: [Signal<Out, Bits<32>>; WALK_LOOPS],
    /// Under key 2.
    pub span2: [Signal<Out, Bits<32>>; WALK_LOOPS],
    /// Under key 3.
    pub span3: [Signal<Out, Bits<32>>; WALK_LOOPS],
    trips_lo: [DFF<Bits<16>>; 6],
    trips_hi: [DFF<Bits<16>>; 6],
    tiles_lo: [DFF<Bits<16>>; 6],
    tiles_hi: [DFF<Bits<16>>; 6],
    stride_lo: [DFF<Bits<16>>; 6],
    stride_hi: [DFF<Bits<16>>; 6],
    r_axis: [DFF<Bits<2>>; 6],
    r_inner: [DFF<Bit>; 6],
    r_edge_a: [DFF<Bit>; 6],
    r_edge_b: [DFF<Bit>; 6],
    tail_lo: [DFF<Bits<16>>; 2],
    tail_hi: [DFF<Bits<16>>; 2],
    r_chunk_mask: [DFF<Bits<8>>; 6],
    r_block_mask: [DFF<Bits<8>>; 6],
    r_span0: [DFF<Bits<32>>; 6],
    r_span1: [DFF<Bits<32>>; 6],
    r_span2: [DFF<Bits<32>>; 6],
    r_span3: [DFF<Bits<32>>; 6],
    lane_slot: Signal<Local, Bits<8>>,
    lane_byte: Signal<Local, Bits<8>>,
    wdata_lo: Signal<Local, Bits<16>>,
    wdata_hi: Signal<Local, Bits<16>>,
    wdata32: Signal<Local, Bits<32>>,
    w_axis: Signal<Local, Bits<2>>,
    w_inner: Signal<Local, Bit>,
    w_edge_a: Signal<Local, Bit>,
    w_edge_b: Signal<Local, Bit>,
    k_eight: Constant<Bits<4>>,
    k_three: Constant<Bits<4>>,
    k_seven: Constant<Bits<8>>,
    k_slot: [Constant<Bits<8>>; 7],
    k_byte: [Constant<Bits<8>>; 7],
    k_lane_span0: [Constant<Bits<8>>; 6],
    k_lane_span1: [Constant<Bits<8>>; 6],
    k_lane_span2: [Constant<Bits<8>>; 6],
    k_lane_span3: [Constant<Bits<8>>; 6],
    k_lane_chunk_mask: [Constant<Bits<8>>; 6],
    k_lane_block_mask: [Constant<Bits<8>>; 6],
}

impl Default for LoopRegs {
    fn default() -> Self {
        let k8 = |v: u64| Constant::new(Bits::<8>::from(v));
        LoopRegs {
            clock: Default::default(),
            map_we: Default::default(),
            map_lane: Default::default(),
            map_wdata: Default::default(),
            axis: Default::default(),
            trips: Default::default(),
            tiles: Default::default(),
            stride: Default::default(),
            inner: Default::default(),
            edge_a: Default::default(),
            edge_b: Default::default(),
            ts: Default::default(),
            tlast: Default::default(),
            chunk_mask: Default::default(),
            block_mask: Default::default(),
            span0: Default::default(),
            span1: Default::default(),
            span2: Default::default(),
            span3: Default::default(),
            trips_lo: Default::default(),
            trips_hi: Default::default(),
            tiles_lo: Default::default(),
            tiles_hi: Default::default(),
            stride_lo: Default::default(),
            stride_hi: Default::default(),
            r_axis: Default::default(),
            r_inner: Default::default(),
            r_edge_a: Default::default(),
            r_edge_b: Default::default(),
            tail_lo: Default::default(),
            tail_hi: Default::default(),
            r_chunk_mask: Default::default(),
            r_block_mask: Default::default(),
            r_span0: Default::default(),
            r_span1: Default::default(),
            r_span2: Default::default(),
            r_span3: Default::default(),
            lane_slot: Default::default(),
            lane_byte: Default::default(),
            wdata_lo: Default::default(),
            wdata_hi: Default::default(),
            wdata32: Default::default(),
            w_axis: Default::default(),
            w_inner: Default::default(),
            w_edge_a: Default::default(),
            w_edge_b: Default::default(),
            k_eight: Constant::new(Bits::<4>::from(8u64)),
            k_three: Constant::new(Bits::<4>::from(3u64)),
            k_seven: k8(7),
            k_slot: std::array::from_fn(|i| k8(i as u64)),
            k_byte: std::array::from_fn(|i| k8(i as u64)),
            k_lane_span0: std::array::from_fn(|l| k8(LANE_SPAN + 4 * l as u64)),
            k_lane_span1: std::array::from_fn(|l| k8(LANE_SPAN + 4 * l as u64 + 1)),
            k_lane_span2: std::array::from_fn(|l| k8(LANE_SPAN + 4 * l as u64 + 2)),
            k_lane_span3: std::array::from_fn(|l| k8(LANE_SPAN + 4 * l as u64 + 3)),
            k_lane_chunk_mask: std::array::from_fn(|l| k8(LANE_KEY_MASK + 2 * l as u64)),
            k_lane_block_mask: std::array::from_fn(|l| k8(LANE_KEY_MASK + 2 * l as u64 + 1)),
        }
    }
}

impl Logic for LoopRegs {
    #[hdl_gen]
    fn update(&mut self) {
        for i in 0..6 {
            self.trips_lo[i].clock.next = self.clock.val();
            self.trips_lo[i].d.next = self.trips_lo[i].q.val();
            self.trips_hi[i].clock.next = self.clock.val();
            self.trips_hi[i].d.next = self.trips_hi[i].q.val();
            self.tiles_lo[i].clock.next = self.clock.val();
            self.tiles_lo[i].d.next = self.tiles_lo[i].q.val();
            self.tiles_hi[i].clock.next = self.clock.val();
            self.tiles_hi[i].d.next = self.tiles_hi[i].q.val();
            self.stride_lo[i].clock.next = self.clock.val();
            self.stride_lo[i].d.next = self.stride_lo[i].q.val();
            self.stride_hi[i].clock.next = self.clock.val();
            self.stride_hi[i].d.next = self.stride_hi[i].q.val();
            self.r_axis[i].clock.next = self.clock.val();
            self.r_axis[i].d.next = self.r_axis[i].q.val();
            self.r_inner[i].clock.next = self.clock.val();
            self.r_inner[i].d.next = self.r_inner[i].q.val();
            self.r_edge_a[i].clock.next = self.clock.val();
            self.r_edge_a[i].d.next = self.r_edge_a[i].q.val();
            self.r_edge_b[i].clock.next = self.clock.val();
            self.r_edge_b[i].d.next = self.r_edge_b[i].q.val();
            self.r_chunk_mask[i].clock.next = self.clock.val();
            self.r_chunk_mask[i].d.next = self.r_chunk_mask[i].q.val();
            self.r_block_mask[i].clock.next = self.clock.val();
            self.r_block_mask[i].d.next = self.r_block_mask[i].q.val();
            self.r_span0[i].clock.next = self.clock.val();
            self.r_span0[i].d.next = self.r_span0[i].q.val();
            self.r_span1[i].clock.next = self.clock.val();
            self.r_span1[i].d.next = self.r_span1[i].q.val();
            self.r_span2[i].clock.next = self.clock.val();
            self.r_span2[i].d.next = self.r_span2[i].q.val();
            self.r_span3[i].clock.next = self.clock.val();
            self.r_span3[i].d.next = self.r_span3[i].q.val();
        }
        for i in 0..2 {
            self.tail_lo[i].clock.next = self.clock.val();
            self.tail_lo[i].d.next = self.tail_lo[i].q.val();
            self.tail_hi[i].clock.next = self.clock.val();
            self.tail_hi[i].d.next = self.tail_hi[i].q.val();
        }

        // Host writes: lane = 8 x slot + byte for the loops and the stream tile; the spans and
        // key masks at their own lanes.
        self.lane_slot.next = self.map_lane.val() >> self.k_three.val();
        self.lane_byte.next = self.map_lane.val() & self.k_seven.val();
        self.wdata_lo.next = bit_cast::<16, 8>(self.map_wdata.val());
        self.wdata_hi.next = self.wdata_lo.val() << self.k_eight.val();
        self.wdata32.next = bit_cast::<32, 8>(self.map_wdata.val());
        self.w_axis.next = self.map_wdata.val().get_bits::<2>(0);
        self.w_inner.next = self.map_wdata.val().get_bit(2);
        self.w_edge_a.next = self.map_wdata.val().get_bit(3);
        self.w_edge_b.next = self.map_wdata.val().get_bit(4);
        for i in 0..6 {
            if self.map_we.val() & (self.lane_slot.val() == self.k_slot[i].val()) {
                if self.lane_byte.val() == self.k_byte[0].val() {
                    self.trips_lo[i].d.next = self.wdata_lo.val();
                }
                if self.lane_byte.val() == self.k_byte[1].val() {
                    self.trips_hi[i].d.next = self.wdata_hi.val();
                }
                if self.lane_byte.val() == self.k_byte[2].val() {
                    self.tiles_lo[i].d.next = self.wdata_lo.val();
                }
                if self.lane_byte.val() == self.k_byte[3].val() {
                    self.tiles_hi[i].d.next = self.wdata_hi.val();
                }
                if self.lane_byte.val() == self.k_byte[4].val() {
                    self.stride_lo[i].d.next = self.wdata_lo.val();
                }
                if self.lane_byte.val() == self.k_byte[5].val() {
                    self.stride_hi[i].d.next = self.wdata_hi.val();
                }
                if self.lane_byte.val() == self.k_byte[6].val() {
                    self.r_axis[i].d.next = self.w_axis.val();
                    self.r_inner[i].d.next = self.w_inner.val();
                    self.r_edge_a[i].d.next = self.w_edge_a.val();
                    self.r_edge_b[i].d.next = self.w_edge_b.val();
                }
            }
            if self.map_we.val() {
                if self.map_lane.val() == self.k_lane_span0[i].val() {
                    self.r_span0[i].d.next =
                        (self.r_span0[i].q.val() << self.k_eight.val()) | self.wdata32.val();
                }
                if self.map_lane.val() == self.k_lane_span1[i].val() {
                    self.r_span1[i].d.next =
                        (self.r_span1[i].q.val() << self.k_eight.val()) | self.wdata32.val();
                }
                if self.map_lane.val() == self.k_lane_span2[i].val() {
                    self.r_span2[i].d.next =
                        (self.r_span2[i].q.val() << self.k_eight.val()) | self.wdata32.val();
                }
                if self.map_lane.val() == self.k_lane_span3[i].val() {
                    self.r_span3[i].d.next =
                        (self.r_span3[i].q.val() << self.k_eight.val()) | self.wdata32.val();
                }
                if self.map_lane.val() == self.k_lane_chunk_mask[i].val() {
                    self.r_chunk_mask[i].d.next = self.map_wdata.val();
                }
                if self.map_lane.val() == self.k_lane_block_mask[i].val() {
                    self.r_block_mask[i].d.next = self.map_wdata.val();
                }
            }
        }
        if self.map_we.val() & (self.lane_slot.val() == self.k_slot[6].val()) {
            if self.lane_byte.val() == self.k_byte[0].val() {
                self.tail_lo[0].d.next = self.wdata_lo.val();
            }
            if self.lane_byte.val() == self.k_byte[1].val() {
                self.tail_hi[0].d.next = self.wdata_hi.val();
            }
            if self.lane_byte.val() == self.k_byte[2].val() {
                self.tail_lo[1].d.next = self.wdata_lo.val();
            }
            if self.lane_byte.val() == self.k_byte[3].val() {
                self.tail_hi[1].d.next = self.wdata_hi.val();
            }
        }

        // Outputs.
        for i in 0..6 {
            self.trips[i].next = self.trips_hi[i].q.val() | self.trips_lo[i].q.val();
            self.tiles[i].next = self.tiles_hi[i].q.val() | self.tiles_lo[i].q.val();
            self.stride[i].next = self.stride_hi[i].q.val() | self.stride_lo[i].q.val();
            self.axis[i].next = self.r_axis[i].q.val();
            self.inner[i].next = self.r_inner[i].q.val();
            self.edge_a[i].next = self.r_edge_a[i].q.val();
            self.edge_b[i].next = self.r_edge_b[i].q.val();
            self.chunk_mask[i].next = self.r_chunk_mask[i].q.val();
            self.block_mask[i].next = self.r_block_mask[i].q.val();
            self.span0[i].next = self.r_span0[i].q.val();
            self.span1[i].next = self.r_span1[i].q.val();
            self.span2[i].next = self.r_span2[i].q.val();
            self.span3[i].next = self.r_span3[i].q.val();
        }
        self.ts.next = self.tail_hi[0].q.val() | self.tail_lo[0].q.val();
        self.tlast.next = self.tail_hi[1].q.val() | self.tail_lo[1].q.val();
    }
}
