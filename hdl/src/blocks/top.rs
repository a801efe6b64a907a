//! The accelerator's top level: controller, DMA engine, buffers A, B and C, the edge skews, the
//! mesh, the deskew, the output stage (C write-back with WS/IS accumulation) and the event
//! counters, plus the host port that loads operands, reads results and reads the counters, and
//! the memory port through which the DMA fetches A and B from DRAM and drains C to it (with the
//! ideal memory model the port is unused and the DMA constant-folds away).

use rust_hdl::prelude::*;
use systole_sim::config::ArchConfig;

use crate::blocks::controller::Controller;
use crate::blocks::counter_map::{self, Buf, CDmaShare, Gate, Source};
use crate::blocks::counters::Counter64;
use crate::blocks::dma::Dma;
use crate::blocks::edge::{Deskew, Skew};
use crate::blocks::memory::Buffer;
use crate::blocks::mesh::Mesh;
use crate::blocks::output_stage::OutputStageBlock;
use crate::interface::{COUNTERS, HOST_SEL_A, HOST_SEL_B, HOST_SEL_STAGE, MAP_ADDR};
use crate::netlist::{add, and, eq, lit, not, or, sig, vec_of, wires, Kernel};

/// Depths (in vectors) and lane counts of the three buffers for a config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferGeometry {
    /// Lanes of buffers A and B (`max(R, C)`).
    pub lanes_ab: usize,
    /// Vectors buffer A holds.
    pub depth_a: usize,
    /// Vectors buffer B holds.
    pub depth_b: usize,
    /// Vectors buffer C holds.
    pub depth_c: usize,
}

impl BufferGeometry {
    /// Each buffer holds `capacity / vector bytes` vectors (at most 2^16, the address width).
    pub fn of(cfg: &ArchConfig) -> Self {
        let (r, c) = (cfg.array.rows as usize, cfg.array.cols as usize);
        let lanes_ab = r.max(c);
        let cap = |kib: u32| kib as usize * 1024;
        let d = |bytes: usize, vec_bytes: usize| (bytes / vec_bytes).clamp(1, 1 << 16);
        BufferGeometry {
            lanes_ab,
            depth_a: d(cap(cfg.buffers.a.capacity_kib), lanes_ab),
            depth_b: d(cap(cfg.buffers.b.capacity_kib), lanes_ab),
            depth_c: d(cap(cfg.buffers.c.capacity_kib), 4 * c),
        }
    }
}

/// The accelerator (see the module doc and `docs/rtl.md` for the command interface).
#[derive(LogicBlock)]
pub struct Accelerator {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// Start command: sampled while idle or done, with the operands below.
    pub start: Signal<In, Bit>,
    /// Start command: M.
    pub cmd_m: Signal<In, Bits<16>>,
    /// Start command: N.
    pub cmd_n: Signal<In, Bits<16>>,
    /// Start command: K.
    pub cmd_k: Signal<In, Bits<16>>,
    /// 0 = OS, 1 = WS, 2 = IS.
    pub cmd_mode: Signal<In, Bits<2>>,
    /// Start command: vector address of A in buffer A.
    pub cmd_a_base: Signal<In, Bits<16>>,
    /// Start command: vector address of B in buffer B.
    pub cmd_b_base: Signal<In, Bits<16>>,
    /// Start command: vector address of C in buffer C.
    pub cmd_c_base: Signal<In, Bits<16>>,
    /// Start command: how often A's vectors are fetched from DRAM: 0 whole (A stays in buffer
    /// A at its layout addresses), 1 per run, 2 per fold (buffer A is a ring of slots). The
    /// host's driver takes it from the memory plan (`systole_sim::array::memory_plan`). Ignored
    /// with the ideal memory model.
    pub cmd_a_reuse: Signal<In, Bits<2>>,
    /// Start command: B's reuse, as `cmd_a_reuse`.
    pub cmd_b_reuse: Signal<In, Bits<2>>,
    /// Start command: when buffer C spills WS/IS partial sums to DRAM, the chunks each fold's
    /// rows are cut into (0: no spill), rows per chunk, and how many chunks have one row more.
    /// The host's driver takes them from the memory plan
    /// (`systole_sim::array::spill_chunks`). Ignored with the ideal memory model.
    pub cmd_c_chunks: Signal<In, Bits<16>>,
    /// Rows per chunk.
    pub cmd_c_chunk: Signal<In, Bits<16>>,
    /// Chunks with one row more.
    pub cmd_c_chunk_rem: Signal<In, Bits<16>>,
    /// Stall: while high in a cycle of the run (cycle 0 to the last C write), every register of
    /// the datapath and the controller holds its value at the clock edge, no buffer read or C
    /// write is done, and no event is counted except the cycle. Ignored outside the run.
    pub stall: Signal<In, Bit>,
    /// Host writes of operands: buffer (1 = A, 2 = B), vector address, lane, value.
    pub host_sel: Signal<In, Bits<2>>,
    /// Host port: write one element.
    pub host_we: Signal<In, Bit>,
    /// Host port: vector address.
    pub host_addr: Signal<In, Bits<16>>,
    /// Host port: lane.
    pub host_lane: Signal<In, Bits<8>>,
    /// Host port: int8 value to write.
    pub host_wdata: Signal<In, Signed<8>>,
    /// Host read of C: issue `host_re` with `host_addr`; `L_C` cycles later `host_rdata` shows
    /// lane `host_lane` of that vector.
    pub host_re: Signal<In, Bit>,
    /// Host port: lane `host_lane` of the C vector read `L_C` cycles ago.
    pub host_rdata: Signal<Out, Signed<32>>,
    /// From the start command until done.
    pub busy: Signal<Out, Bit>,
    /// The run finished; counters are final.
    pub done: Signal<Out, Bit>,
    /// Pulses in the cycle a fold's first stream read is issued.
    pub fold_start: Signal<Out, Bit>,
    /// High in cycles 0 .. last C write of a run (not in the load cycles before cycle 0).
    pub running: Signal<Out, Bit>,
    /// Counter select (index into [`COUNTERS`]) and its value.
    pub ctr_sel: Signal<In, Bits<8>>,
    /// Low half of the selected counter.
    pub ctr_lo: Signal<Out, Bits<32>>,
    /// High half of the selected counter.
    pub ctr_hi: Signal<Out, Bits<32>>,
    /// Memory port, request channel 0: drain `mem_ch0_count` lanes of a C row (4 bytes each).
    pub mem_ch0_valid: Signal<Out, Bit>,
    /// Lanes of the drained row.
    pub mem_ch0_count: Signal<Out, Bits<8>>,
    /// The drained row's address in DRAM (C's layout address, base included).
    pub mem_ch0_addr: Signal<Out, Bits<16>>,
    /// Write data of a drain, `L_C` cycles after its request: valid.
    pub mem_wvalid: Signal<Out, Bit>,
    /// The drained row's lanes (lanes beyond its count are don't-care).
    pub mem_wdata: Vec<Signal<Out, Signed<32>>>,
    /// Request channel 1, the most urgent fetch: `mem_ch1_count` lanes at `mem_ch1_addr` of A
    /// (`mem_ch1_sel` 0, 1 byte each), B (1) or C (2: a spilled row of partial sums, 4 bytes
    /// each).
    pub mem_ch1_valid: Signal<Out, Bit>,
    /// Which operand.
    pub mem_ch1_sel: Signal<Out, Bits<2>>,
    /// Vector address.
    pub mem_ch1_addr: Signal<Out, Bits<16>>,
    /// Lanes.
    pub mem_ch1_count: Signal<Out, Bits<8>>,
    /// Request channel 2: a second fetch in the same cycle.
    pub mem_ch2_valid: Signal<Out, Bit>,
    /// Which operand.
    pub mem_ch2_sel: Signal<Out, Bits<2>>,
    /// Vector address.
    pub mem_ch2_addr: Signal<Out, Bits<16>>,
    /// Lanes.
    pub mem_ch2_count: Signal<Out, Bits<8>>,
    /// Request channel 3: a third fetch in the same cycle.
    pub mem_ch3_valid: Signal<Out, Bit>,
    /// Which operand.
    pub mem_ch3_sel: Signal<Out, Bits<2>>,
    /// Vector address.
    pub mem_ch3_addr: Signal<Out, Bits<16>>,
    /// Lanes.
    pub mem_ch3_count: Signal<Out, Bits<8>>,
    /// The port accepts channel 3.
    pub mem_ready3: Signal<In, Bit>,
    /// Response: a refetched row of C (in request order), shown until taken.
    pub mem_resp_c: Signal<In, Bit>,
    /// Its lanes.
    pub mem_resp_c_count: Signal<In, Bits<8>>,
    /// Its data.
    pub mem_resp_c_data: Vec<Signal<In, Signed<32>>>,
    /// The shown C response is taken this cycle (written into C).
    pub mem_take_c: Signal<Out, Bit>,
    /// The port accepts channel 0 (channels are accepted in order: a prefix of the valid ones).
    pub mem_ready0: Signal<In, Bit>,
    /// The port accepts channel 1.
    pub mem_ready1: Signal<In, Bit>,
    /// The port accepts channel 2.
    pub mem_ready2: Signal<In, Bit>,
    /// Response: a fetched vector for buffer A, written there this cycle.
    pub mem_resp_a: Signal<In, Bit>,
    /// Its address.
    pub mem_resp_a_addr: Signal<In, Bits<16>>,
    /// Its lanes.
    pub mem_resp_a_count: Signal<In, Bits<8>>,
    /// Its data.
    pub mem_resp_a_data: Vec<Signal<In, Signed<8>>>,
    /// Response for buffer B.
    pub mem_resp_b: Signal<In, Bit>,
    /// Its address.
    pub mem_resp_b_addr: Signal<In, Bits<16>>,
    /// Its lanes.
    pub mem_resp_b_count: Signal<In, Bits<8>>,
    /// Its data.
    pub mem_resp_b_data: Vec<Signal<In, Signed<8>>>,
    /// Every drained byte has left the chip.
    pub mem_writes_idle: Signal<In, Bit>,
    /// The controller.
    pub ctrl: Controller,
    /// The DMA engine.
    pub dma: Dma,
    /// Buffer A (ifmap).
    pub buf_a: Buffer<Signed<8>>,
    /// Buffer B (filter).
    pub buf_b: Buffer<Signed<8>>,
    /// Buffer C (ofmap, int32).
    pub buf_c: Buffer<Signed<32>>,
    skew_l: Skew,
    skew_t: Skew,
    mesh: Mesh,
    deskew: Deskew,
    out_stage: OutputStageBlock,
    ctrs: Vec<Counter64>,
    k_mode: Constant<Bits<2>>,
    _fixed: bool,
    /// What each counter adds, in `COUNTERS` order (looked up by name once, at construction).
    _sources: [Source; COUNTERS.len()],
    _dram: bool,
    _r: usize,
    _c: usize,
}

impl Accelerator {
    /// The accelerator `cfg` describes, if the RTL can build it ([`crate::error::check_arch`]).
    pub fn new(cfg: &ArchConfig) -> Result<Self, crate::error::HdlError> {
        crate::error::check_arch(cfg)?;
        let (r, c) = (cfg.array.rows as usize, cfg.array.cols as usize);
        let g = BufferGeometry::of(cfg);
        let lat = |l: u32| l as usize;
        Ok(Accelerator {
            clock: Default::default(),
            start: Default::default(),
            cmd_m: Default::default(),
            cmd_n: Default::default(),
            cmd_k: Default::default(),
            cmd_mode: Default::default(),
            cmd_a_base: Default::default(),
            cmd_b_base: Default::default(),
            cmd_c_base: Default::default(),
            cmd_a_reuse: Default::default(),
            cmd_b_reuse: Default::default(),
            cmd_c_chunks: Default::default(),
            cmd_c_chunk: Default::default(),
            cmd_c_chunk_rem: Default::default(),
            stall: Default::default(),
            host_sel: Default::default(),
            host_we: Default::default(),
            host_addr: Default::default(),
            host_lane: Default::default(),
            host_wdata: Default::default(),
            host_re: Default::default(),
            host_rdata: Default::default(),
            busy: Default::default(),
            done: Default::default(),
            fold_start: Default::default(),
            running: Default::default(),
            ctr_sel: Default::default(),
            ctr_lo: Default::default(),
            ctr_hi: Default::default(),
            mem_ch0_valid: Default::default(),
            mem_ch0_count: Default::default(),
            mem_ch0_addr: Default::default(),
            mem_wvalid: Default::default(),
            mem_wdata: vec_of(c),
            mem_ch1_valid: Default::default(),
            mem_ch1_sel: Default::default(),
            mem_ch1_addr: Default::default(),
            mem_ch1_count: Default::default(),
            mem_ch2_valid: Default::default(),
            mem_ch2_sel: Default::default(),
            mem_ch2_addr: Default::default(),
            mem_ch2_count: Default::default(),
            mem_ch3_valid: Default::default(),
            mem_ch3_sel: Default::default(),
            mem_ch3_addr: Default::default(),
            mem_ch3_count: Default::default(),
            mem_ready3: Default::default(),
            mem_resp_c: Default::default(),
            mem_resp_c_count: Default::default(),
            mem_resp_c_data: vec_of(c),
            mem_take_c: Default::default(),
            mem_ready0: Default::default(),
            mem_ready1: Default::default(),
            mem_ready2: Default::default(),
            mem_resp_a: Default::default(),
            mem_resp_a_addr: Default::default(),
            mem_resp_a_count: Default::default(),
            mem_resp_a_data: vec_of(g.lanes_ab),
            mem_resp_b: Default::default(),
            mem_resp_b_addr: Default::default(),
            mem_resp_b_count: Default::default(),
            mem_resp_b_data: vec_of(g.lanes_ab),
            mem_writes_idle: Default::default(),
            ctrl: Controller::new(cfg),
            dma: Dma::new(cfg),
            buf_a: Buffer::new(
                g.lanes_ab,
                g.depth_a,
                lat(cfg.buffers.a.read_latency),
                cfg.buffers.a.word_bits as usize,
            ),
            buf_b: Buffer::new(
                g.lanes_ab,
                g.depth_b,
                lat(cfg.buffers.b.read_latency),
                cfg.buffers.b.word_bits as usize,
            ),
            // With DRAM, C is two banks of RAM (the DMA's), each with its own write port.
            buf_c: Buffer::banked(
                c,
                g.depth_c,
                lat(cfg.buffers.c.read_latency),
                cfg.buffers.c.word_bits as usize,
                if cfg.memory == systole_sim::config::MemoryModel::Dram {
                    crate::blocks::dma::c_bank_rows(cfg)
                        .min(g.depth_c as u64 / 2)
                        .max(1) as usize
                } else {
                    0
                },
            ),
            skew_l: Skew::new(r),
            skew_t: Skew::new(c),
            mesh: Mesh::new(r, c),
            deskew: Deskew::new(c),
            out_stage: OutputStageBlock::new(
                c,
                cfg.output_stage.as_ref().map_or(0, |o| o.channels as usize),
            ),
            ctrs: (0..COUNTERS.len()).map(|_| Counter64::new()).collect(),
            k_mode: Constant::new(Bits::<2>::from(
                crate::blocks::controller::fixed_mode(cfg).unwrap_or_default(),
            )),
            _fixed: crate::blocks::controller::fixed_mode(cfg).is_some(),
            _sources: COUNTERS.map(source_named),
            _dram: cfg.memory == systole_sim::config::MemoryModel::Dram,
            _r: r,
            _c: c,
        })
    }
}

fn b16(x: u64) -> Bits<16> {
    Bits::<16>::from(x)
}

/// The source of counter `name` (`counter_map`; its tests hold that every counter has one).
fn source_named(name: &str) -> Source {
    counter_map::source(name)
        .unwrap_or_else(|| unreachable!("internal error: counter {name} has no source"))
}

impl Accelerator {
    /// What counter source `s` adds this cycle (simulation).
    fn source_value(&self, s: Source) -> Bits<16> {
        let w8 = |x: Bits<8>| b16(x.to_u64());
        let landed = |count: Bits<8>| if self._dram { w8(count) } else { b16(0) };
        let (ct, d) = (&self.ctrl, &self.dma);
        match s {
            Source::One => b16(1),
            Source::Mesh(k) => self.mesh.ev[k].val(),
            Source::SkewHops => self.skew_l.hops.val() + self.skew_t.hops.val(),
            Source::DeskewHops => self.deskew.hops.val(),
            Source::ReadWords(Buf::A) => self.buf_a.rwords.val(),
            Source::ReadWords(Buf::B) => self.buf_b.rwords.val(),
            Source::ReadWords(Buf::C) => self.buf_c.rwords.val(),
            Source::ReadElems(Buf::A) => w8(ct.a_count.val()),
            Source::ReadElems(Buf::B) => w8(ct.b_count.val()),
            Source::ReadElems(Buf::C) => w8(ct.c_rcount.val()),
            Source::WriteWords(Buf::A) => self.buf_a.wwords.val(),
            Source::WriteWords(Buf::B) => self.buf_b.wwords.val(),
            Source::WriteWords(Buf::C) => self.buf_c.wwords.val(),
            Source::CWriteElems => w8(ct.c_wcount.val()),
            Source::LandedA => landed(self.mem_resp_a_count.val()),
            Source::LandedB => landed(self.mem_resp_b_count.val()),
            Source::DramA => d.ev_dram_a.val(),
            Source::DramB => d.ev_dram_b.val(),
            Source::DramCRead => d.ev_dram_cr.val(),
            Source::DramCWrite => d.ev_dram_c.val(),
            Source::StageOps if self.out_stage.active.val() => w8(ct.c_wcount.val()),
            Source::StageOps => b16(0),
        }
    }

    /// What counter source `s` adds, in the Verilog kernel ([`Source::StageOps`]: the count
    /// while the stage is active; `hdl()` gates it).
    fn source_expr(&self, s: Source) -> crate::netlist::Expr {
        let buf = |b: Buf| match b {
            Buf::A => "buf_a",
            Buf::B => "buf_b",
            Buf::C => "buf_c",
        };
        let landed = |port: &str| if self._dram { sig(port) } else { lit(0, 16) };
        match s {
            Source::One => lit(1, 16),
            Source::Mesh(k) => sig(format!("mesh$ev${k}")),
            Source::SkewHops => add(sig("skew_l$hops"), sig("skew_t$hops")),
            Source::DeskewHops => sig("deskew$hops"),
            Source::ReadWords(b) => sig(format!("{}$rwords", buf(b))),
            Source::ReadElems(b) => sig(match b {
                Buf::A => "ctrl$a_count",
                Buf::B => "ctrl$b_count",
                Buf::C => "ctrl$c_rcount",
            }),
            Source::WriteWords(b) => sig(format!("{}$wwords", buf(b))),
            Source::CWriteElems | Source::StageOps => sig("ctrl$c_wcount"),
            Source::LandedA => landed("mem_resp_a_count"),
            Source::LandedB => landed("mem_resp_b_count"),
            Source::DramA => sig("dma$ev_dram_a"),
            Source::DramB => sig("dma$ev_dram_b"),
            Source::DramCRead => sig("dma$ev_dram_cr"),
            Source::DramCWrite => sig("dma$ev_dram_c"),
        }
    }
}

// The top's plain wires, each declared once (`netlist::wires!`); what computes stays below.
wires!(Accelerator {
    ctrl.clock <= top.clock;
    dma.clock <= top.clock;
    buf_a.clock <= top.clock;
    buf_b.clock <= top.clock;
    buf_c.clock <= top.clock;
    skew_l.clock <= top.clock;
    skew_t.clock <= top.clock;
    mesh.clock <= top.clock;
    deskew.clock <= top.clock;
    out_stage.clock <= top.clock;
    // The start command.
    ctrl.start <= top.start;
    ctrl.cmd_m <= top.cmd_m;
    ctrl.cmd_n <= top.cmd_n;
    ctrl.cmd_k <= top.cmd_k;
    ctrl.cmd_a_base <= top.cmd_a_base;
    ctrl.cmd_b_base <= top.cmd_b_base;
    ctrl.cmd_c_base <= top.cmd_c_base;
    ctrl.cmd_a_reuse <= top.cmd_a_reuse;
    ctrl.cmd_b_reuse <= top.cmd_b_reuse;
    ctrl.cmd_c_chunks <= top.cmd_c_chunks;
    ctrl.cmd_c_chunk <= top.cmd_c_chunk;
    ctrl.cmd_c_chunk_rem <= top.cmd_c_chunk_rem;
    ctrl.map_lane <= top.host_lane;
    // The DMA paces the controller's fetch cursors and drain walk.
    ctrl.fa_step <= dma.fa_step;
    ctrl.fb_step <= dma.fb_step;
    ctrl.drain_next <= dma.drain_next;
    top.fold_start <= ctrl.fold_start;
    // The controller's orders to the DMA.
    dma.launch <= ctrl.dma_launch;
    dma.run <= ctrl.running;
    dma.hold <= ctrl.hold;
    dma.os <= ctrl.os;
    dma.row_dim <= ctrl.o_row_dim;
    dma.col_dim <= ctrl.o_col_dim;
    dma.tlen <= ctrl.o_tlen;
    dma.fa_valid <= ctrl.fa_valid;
    dma.fa_addr <= ctrl.fa_addr;
    dma.fa_count <= ctrl.fa_count;
    dma.fa_due <= ctrl.fa_due;
    dma.fa_early <= ctrl.fa_early;
    dma.fb_valid <= ctrl.fb_valid;
    dma.fb_addr <= ctrl.fb_addr;
    dma.fb_count <= ctrl.fb_count;
    dma.fb_due <= ctrl.fb_due;
    dma.fb_early <= ctrl.fb_early;
    dma.a_re <= ctrl.a_re;
    dma.a_count <= ctrl.a_count;
    dma.a_fetch <= ctrl.a_fetch;
    dma.a_retire <= ctrl.a_retire;
    dma.a_ring <= ctrl.a_ring;
    dma.a_addr <= ctrl.a_addr;
    dma.a_first <= ctrl.a_first;
    dma.a_advanced <= ctrl.a_advanced;
    dma.a_edges <= ctrl.a_edges;
    dma.b_re <= ctrl.b_re;
    dma.b_count <= ctrl.b_count;
    dma.b_fetch <= ctrl.b_fetch;
    dma.b_retire <= ctrl.b_retire;
    dma.b_ring <= ctrl.b_ring;
    dma.b_addr <= ctrl.b_addr;
    dma.b_first <= ctrl.b_first;
    dma.b_advanced <= ctrl.b_advanced;
    dma.b_edges <= ctrl.b_edges;
    dma.drain_col_base <= ctrl.drain_col_base;
    dma.drain_row_base <= ctrl.drain_row_base;
    dma.drain_rows <= ctrl.drain_rows;
    dma.drain_cols <= ctrl.drain_cols;
    dma.c_we <= ctrl.c_we;
    dma.w_bank <= ctrl.w_bank;
    dma.w_claim <= ctrl.w_claim;
    dma.w_final <= ctrl.w_final;
    dma.w_row <= ctrl.w_step;
    dma.c_re <= ctrl.c_re;
    dma.r_bank <= ctrl.r_bank;
    dma.r_row <= ctrl.r_row;
    dma.r_issue <= ctrl.r_issue;
    dma.c_base <= ctrl.o_c_base;
    dma.c_chunks <= ctrl.o_c_chunks;
    dma.c_chunk <= ctrl.o_c_chunk;
    dma.c_chunk_rem <= ctrl.o_c_chunk_rem;
    dma.wfirst <= ctrl.o_wfirst;
    dma.interval <= ctrl.o_interval;
    dma.wvalid <= buf_c.rvalid2;
    // The memory port: responses in, requests out.
    dma.ready0 <= top.mem_ready0;
    dma.ready1 <= top.mem_ready1;
    dma.ready2 <= top.mem_ready2;
    dma.ready3 <= top.mem_ready3;
    dma.resp_a <= top.mem_resp_a;
    dma.resp_b <= top.mem_resp_b;
    dma.resp_c <= top.mem_resp_c;
    dma.resp_a_addr <= top.mem_resp_a_addr;
    dma.resp_b_addr <= top.mem_resp_b_addr;
    dma.resp_c_count <= top.mem_resp_c_count;
    dma.writes_idle <= top.mem_writes_idle;
    top.mem_take_c <= dma.land;
    top.mem_ch0_valid <= dma.ch0_valid;
    top.mem_ch0_count <= dma.ch0_count;
    top.mem_ch0_addr <= dma.ch0_addr;
    top.mem_ch1_valid <= dma.ch1_valid;
    top.mem_ch1_sel <= dma.ch1_sel;
    top.mem_ch1_addr <= dma.ch1_addr;
    top.mem_ch1_count <= dma.ch1_count;
    top.mem_ch2_valid <= dma.ch2_valid;
    top.mem_ch2_sel <= dma.ch2_sel;
    top.mem_ch2_addr <= dma.ch2_addr;
    top.mem_ch2_count <= dma.ch2_count;
    top.mem_ch3_valid <= dma.ch3_valid;
    top.mem_ch3_sel <= dma.ch3_sel;
    top.mem_ch3_addr <= dma.ch3_addr;
    top.mem_ch3_count <= dma.ch3_count;
    // Buffers A and B: the controller's reads at the DMA's addresses, the DMA's landings, the
    // host's writes.
    buf_a.re <= ctrl.a_re;
    buf_a.raddr <= dma.a_raddr;
    buf_a.rcount <= ctrl.a_count;
    buf_a.rflags <= ctrl.a_flags;
    buf_a.rtag <= ctrl.a_tag;
    buf_a.waddr <= dma.a_waddr;
    buf_a.wcount <= top.mem_resp_a_count;
    buf_a.wdata[] <= top.mem_resp_a_data[];
    buf_a.host_lane <= top.host_lane;
    buf_a.host_addr <= top.host_addr;
    buf_a.host_data <= top.host_wdata;
    buf_b.re <= ctrl.b_re;
    buf_b.raddr <= dma.b_raddr;
    buf_b.rcount <= ctrl.b_count;
    buf_b.rflags <= ctrl.b_flags;
    buf_b.rtag <= ctrl.b_tag;
    buf_b.waddr <= dma.b_waddr;
    buf_b.wcount <= top.mem_resp_b_count;
    buf_b.wdata[] <= top.mem_resp_b_data[];
    buf_b.host_lane <= top.host_lane;
    buf_b.host_addr <= top.host_addr;
    buf_b.host_data <= top.host_wdata;
    // The skews feed the mesh; the mesh's bottom edge feeds the deskew.
    mesh.os <= ctrl.os;
    mesh.left_a[] <= skew_l.out_val[];
    mesh.left_ctl[] <= skew_l.out_ctl[];
    mesh.top_v[] <= skew_t.out_val[];
    mesh.top_ctl[] <= skew_t.out_ctl[];
    mesh.top_tag[] <= skew_t.out_tag[];
    deskew.in_p[] <= mesh.bottom_p[];
    deskew.in_v[] <= mesh.bottom_v[];
    // Buffer C: the output stage's rows, the DMA's refetch landings and drains.
    buf_c.wcount <= ctrl.c_wcount;
    buf_c.wdata[] <= out_stage.out[];
    buf_c.we2 <= dma.land;
    buf_c.waddr2 <= dma.l_addr;
    buf_c.wcount2 <= top.mem_resp_c_count;
    buf_c.wdata2[] <= top.mem_resp_c_data[];
    buf_c.re2 <= dma.drain_go;
    buf_c.raddr2 <= dma.d_raddr;
    top.mem_wvalid <= buf_c.rvalid2;
    top.mem_wdata[] <= buf_c.rdata2[];
    // The output stage: the host's configuration writes and the controller's final writes.
    out_stage.host_addr <= top.host_addr;
    out_stage.host_lane <= top.host_lane;
    out_stage.host_wdata <= top.host_wdata;
    out_stage.fin <= ctrl.w_final;
    out_stage.is_mode <= ctrl.is;
    out_stage.col_base <= ctrl.w_col;
    out_stage.step <= ctrl.w_row;
});

impl Logic for Accelerator {
    fn update(&mut self) {
        self.wires_update();
        let c = self._c;
        let clk = self.clock.val();
        // Controller: the mode, the loop registers' writes and the stall.
        let ct = &mut self.ctrl;
        // A single-dataflow design ignores cmd_mode: its mode is a constant.
        ct.cmd_mode.next = if self._fixed {
            self.k_mode.val()
        } else {
            self.cmd_mode.val()
        };
        // The mapping's loop registers: configuration writes at their address.
        ct.map_we.next = self.host_we.val()
            && self.host_sel.val().to_u64() == HOST_SEL_STAGE
            && self.host_addr.val().to_u64() == MAP_ADDR;
        ct.map_wdata.next = Bits::from(self.host_wdata.val().inner().to_u64());
        // The run stalls when the host asks or when the DMA must wait for DRAM.
        ct.stall.next = self.stall.val() || self.dma.stall.val();
        // Busy until the DMA has drained the last result.
        self.busy.next = ct.busy.val() || self.dma.busy.val();
        self.done.next = ct.done.val() && !self.dma.busy.val();
        // Cycles 0 .. last write: the run state without the load cycles before cycle 0.
        self.running.next = ct.running.val() && !self.dma.loading.val();
        let (busy, is) = (ct.busy.val(), ct.is.val());
        // The machine-wide clock enable: low in a stalled cycle of the run.
        let hold = ct.hold.val();
        let en = !hold;
        self.skew_l.en.next = en;
        self.skew_t.en.next = en;
        self.mesh.en.next = en;
        self.deskew.en.next = en;

        // Buffers A and B: the DMA's landings are written the cycle their response shows (with
        // the ideal memory model the port is unused and the write port tied off); the host
        // writes the buffer it selects.
        let dram = self._dram;
        let host_we = self.host_we.val();
        let host_sel = self.host_sel.val().to_u64();
        for (b, sel, resp) in [
            (&mut self.buf_a, HOST_SEL_A, self.mem_resp_a.val()),
            (&mut self.buf_b, HOST_SEL_B, self.mem_resp_b.val()),
        ] {
            b.en.next = en;
            b.re2.next = false;
            b.raddr2.next = Bits::default();
            b.we.next = resp && dram;
            b.host_we.next = host_we && host_sel == sel;
        }

        // Edge multiplexers: IS swaps the roles of A and B.
        let (left_buf, top_buf) = if is {
            (&self.buf_b, &self.buf_a)
        } else {
            (&self.buf_a, &self.buf_b)
        };
        for (i, x) in self.skew_l.in_val.iter_mut().enumerate() {
            x.next = left_buf.rdata[i].val();
            self.skew_l.in_ctl[i].next = left_buf.rctl[i].val();
            self.skew_l.in_tag[i].next = left_buf.rtag_out.val();
        }
        for (j, x) in self.skew_t.in_val.iter_mut().enumerate() {
            x.next = top_buf.rdata[j].val();
            self.skew_t.in_ctl[j].next = top_buf.rctl[j].val();
            self.skew_t.in_tag[j].next = top_buf.rtag_out.val();
        }

        // Buffer C: the output stage writes deskewed rows plus the read-back partial sums; the
        // host reads results through the same read port when the controller is not busy.
        let ct = &self.ctrl;
        let bc = &mut self.buf_c;
        bc.en.next = en;
        bc.re.next = ct.c_re.val() || self.host_re.val();
        // With DRAM, C's rows are the DMA's bank rows (a ring per bank); ideal, the layout.
        if busy {
            bc.raddr.next = if self._dram {
                self.dma.r_addr.val()
            } else {
                ct.c_raddr.val()
            };
            bc.rcount.next = ct.c_rcount.val();
        } else {
            bc.raddr.next = self.host_addr.val();
            bc.rcount.next = if self.host_re.val() {
                Bits::<8>::from(c as u64)
            } else {
                Bits::default()
            };
        }
        bc.rflags.next = Bits::default();
        bc.rtag.next = Bits::default();
        // The controller shows the write due this cycle; a stalled cycle does not do it.
        bc.we.next = ct.c_we.val() && !hold;
        bc.waddr.next = if self._dram {
            self.dma.w_addr.val()
        } else {
            ct.c_waddr.val()
        };
        // The output stage: on a row's final write, bias and requantization to int8.
        let os = &mut self.out_stage;
        os.host_we.next = host_we && host_sel == HOST_SEL_STAGE;
        for j in 0..c {
            os.sum[j].next = self.deskew.out_p[j].val() + bc.rdata[j].val();
        }
        bc.host_we.next = false;
        bc.host_lane.next = Bits::default();
        bc.host_addr.next = Bits::default();
        bc.host_data.next = Signed::default();
        let lane = self.host_lane.val().index();
        self.host_rdata.next = if lane < c {
            bc.rdata[lane].val()
        } else {
            Signed::default()
        };
        let (ct, d, bc) = (&self.ctrl, &self.dma, &self.buf_c);

        // Counters: each adds its source (by name, `counter_map`) in the cycles its gate opens.
        let incs: [Bits<16>; COUNTERS.len()] =
            std::array::from_fn(|k| self.source_value(self._sources[k]));
        let clear = self.start.val() && !busy;
        let running = ct.running.val();
        let loading = d.loading.val();
        let (c_words, c_elems) = (d.ev_c_words.val(), d.ev_c_elems.val());
        let (l_words, l_elems) = (bc.wwords2.val(), d.ev_cl_elems.val());
        for (k, mut inc) in incs.into_iter().enumerate() {
            let x = &mut self.ctrs[k];
            x.clock.next = clk;
            x.clear.next = clear;
            // A stalled cycle counts as a cycle and nothing else; a load cycle not even that.
            // The DMA's events count in every cycle (they are zero when it is idle), and C's
            // reads include the DMA's drains.
            x.en.next = match counter_map::gate(COUNTERS[k]) {
                Gate::Run => running && !loading,
                Gate::Always => true,
                Gate::Stall => running && hold && !loading,
                Gate::Load => loading,
                Gate::Writeback => d.writeback.val(),
                Gate::Active => running && !hold,
            };
            // C's reads and writes add the DMA's (drains, refetch landings) to the datapath's.
            if let Some(share) = counter_map::c_dma_share(COUNTERS[k]) {
                let own = if running && !hold { inc } else { b16(0) };
                inc = own
                    + match share {
                        CDmaShare::ReadWords => c_words,
                        CDmaShare::ReadElems => c_elems,
                        CDmaShare::WriteWords => l_words,
                        CDmaShare::WriteElems => l_elems,
                    };
            }
            x.inc.next = inc;
        }
        let sel = self.ctr_sel.val().index();
        let (lo, hi) = match self.ctrs.get(sel) {
            Some(x) => (x.lo.val(), x.hi.val()),
            None => (Bits::default(), Bits::default()),
        };
        self.ctr_lo.next = lo;
        self.ctr_hi.next = hi;
    }

    fn connect(&mut self) {
        self.wires_connect();
        // What `update` computes.
        let ct = &mut self.ctrl;
        ct.cmd_mode.connect();
        ct.map_we.connect();
        ct.stall.connect();
        ct.map_wdata.connect();
        for x in [&mut self.busy, &mut self.done, &mut self.running] {
            x.connect();
        }
        self.skew_l.en.connect();
        self.skew_t.en.connect();
        self.mesh.en.connect();
        self.deskew.en.connect();
        for b in [&mut self.buf_a, &mut self.buf_b] {
            for x in [&mut b.en, &mut b.re2, &mut b.we, &mut b.host_we, &mut b.we2] {
                x.connect();
            }
            b.raddr2.connect();
            b.waddr2.connect();
            b.wcount2.connect();
            for w in b.wdata2.iter_mut() {
                w.connect();
            }
        }
        for s in [&mut self.skew_l, &mut self.skew_t] {
            for l in 0..s.in_val.len() {
                s.in_val[l].connect();
                s.in_ctl[l].connect();
                s.in_tag[l].connect();
            }
        }
        let bc = &mut self.buf_c;
        for x in [&mut bc.en, &mut bc.re, &mut bc.we, &mut bc.host_we] {
            x.connect();
        }
        bc.raddr.connect();
        bc.rcount.connect();
        bc.rflags.connect();
        bc.rtag.connect();
        bc.waddr.connect();
        bc.host_lane.connect();
        bc.host_addr.connect();
        bc.host_data.connect();
        self.out_stage.host_we.connect();
        for x in self.out_stage.sum.iter_mut() {
            x.connect();
        }
        self.host_rdata.connect();
        for x in self.ctrs.iter_mut() {
            x.clock.connect();
            x.clear.connect();
            x.en.connect();
            x.inc.connect();
        }
        self.ctr_lo.connect();
        self.ctr_hi.connect();
    }

    fn hdl(&self) -> Verilog {
        let (r, c) = (self._r, self._c);
        let mut k = Kernel::default();
        self.wires_hdl(&mut k);
        // What `update` computes, in the same order.
        // A single-dataflow design ignores cmd_mode: its mode is a constant.
        k.assign(
            "ctrl$cmd_mode",
            sig(if self._fixed { "k_mode" } else { "cmd_mode" }),
        );
        k.assign(
            "ctrl$map_we",
            and(
                sig("host_we"),
                and(
                    eq(sig("host_sel"), lit(HOST_SEL_STAGE, 2)),
                    eq(sig("host_addr"), lit(MAP_ADDR, 16)),
                ),
            ),
        );
        k.assign("ctrl$map_wdata", sig("host_wdata"));
        k.assign("ctrl$stall", or(sig("stall"), sig("dma$stall")));
        k.assign("busy", or(sig("ctrl$busy"), sig("dma$busy")));
        k.assign("done", and(sig("ctrl$done"), not(sig("dma$busy"))));
        k.assign("running", and(sig("ctrl$running"), not(sig("dma$loading"))));
        for b in ["skew_l", "skew_t", "mesh", "deskew"] {
            k.assign(format!("{b}$en"), not(sig("ctrl$hold")));
        }
        let lanes_ab = self.buf_a.rdata.len();
        for (b, x, sel) in [("buf_a", "a", HOST_SEL_A), ("buf_b", "b", HOST_SEL_B)] {
            k.assign(format!("{b}$en"), not(sig("ctrl$hold")));
            k.assign(format!("{b}$re2"), lit(0, 1));
            k.assign(format!("{b}$raddr2"), lit(0, 16));
            // With the ideal memory model the memory port is unused: its write port is tied off.
            k.assign(
                format!("{b}$we"),
                if self._dram {
                    sig(format!("mem_resp_{x}"))
                } else {
                    lit(0, 1)
                },
            );
            k.assign(
                format!("{b}$host_we"),
                and(sig("host_we"), eq(sig("host_sel"), lit(sel, 2))),
            );
            k.assign(format!("{b}$we2"), lit(0, 1));
            k.assign(format!("{b}$waddr2"), lit(0, 16));
            k.assign(format!("{b}$wcount2"), lit(0, 8));
            for l in 0..lanes_ab {
                k.assign(format!("{b}$wdata2${l}"), lit(0, 8));
            }
        }
        let edges = |k: &mut Kernel, left: &str, top: &str| {
            for i in 0..r {
                k.assign(
                    format!("skew_l$in_val${i}"),
                    sig(format!("{left}$rdata${i}")),
                );
                k.assign(
                    format!("skew_l$in_ctl${i}"),
                    sig(format!("{left}$rctl${i}")),
                );
                k.assign(
                    format!("skew_l$in_tag${i}"),
                    sig(format!("{left}$rtag_out")),
                );
            }
            for j in 0..c {
                k.assign(
                    format!("skew_t$in_val${j}"),
                    sig(format!("{top}$rdata${j}")),
                );
                k.assign(format!("skew_t$in_ctl${j}"), sig(format!("{top}$rctl${j}")));
                k.assign(format!("skew_t$in_tag${j}"), sig(format!("{top}$rtag_out")));
            }
        };
        let mut is_branch = Kernel::default();
        edges(&mut is_branch, "buf_b", "buf_a");
        let mut else_branch = Kernel::default();
        edges(&mut else_branch, "buf_a", "buf_b");
        k.if_else(sig("ctrl$is"), is_branch, else_branch);

        k.assign("buf_c$en", not(sig("ctrl$hold")));
        k.assign("buf_c$re", or(sig("ctrl$c_re"), sig("host_re")));
        let mut busy = Kernel::default();
        let (c_raddr, c_waddr) = if self._dram {
            ("dma$r_addr", "dma$w_addr")
        } else {
            ("ctrl$c_raddr", "ctrl$c_waddr")
        };
        busy.assign("buf_c$raddr", sig(c_raddr));
        busy.assign("buf_c$rcount", sig("ctrl$c_rcount"));
        let mut idle = Kernel::default();
        idle.assign("buf_c$raddr", sig("host_addr"));
        // One write per path: see the note on events in cursor.rs.
        let mut host_read = Kernel::default();
        host_read.assign("buf_c$rcount", lit(c as u64, 8));
        let mut no_read = Kernel::default();
        no_read.assign("buf_c$rcount", lit(0, 8));
        idle.if_else(sig("host_re"), host_read, no_read);
        k.if_else(sig("ctrl$busy"), busy, idle);
        k.assign("buf_c$rflags", lit(0, 4));
        k.assign("buf_c$rtag", lit(0, 8));
        k.assign("buf_c$we", and(sig("ctrl$c_we"), not(sig("ctrl$hold"))));
        k.assign("buf_c$waddr", sig(c_waddr));
        k.assign(
            "out_stage$host_we",
            and(sig("host_we"), eq(sig("host_sel"), lit(HOST_SEL_STAGE, 2))),
        );
        for j in 0..c {
            k.assign(
                format!("out_stage$sum${j}"),
                add(
                    sig(format!("deskew$out_p${j}")),
                    sig(format!("buf_c$rdata${j}")),
                ),
            );
        }
        k.assign("buf_c$host_we", lit(0, 1));
        k.assign("buf_c$host_lane", lit(0, 8));
        k.assign("buf_c$host_addr", lit(0, 16));
        k.assign("buf_c$host_data", lit(0, 32));
        k.assign("host_rdata", lit(0, 32));
        for j in 0..c {
            let mut pick = Kernel::default();
            pick.assign("host_rdata", sig(format!("buf_c$rdata${j}")));
            k.when(eq(sig("host_lane"), lit(j as u64, 8)), pick);
        }

        let active = || and(sig("ctrl$running"), not(sig("ctrl$hold")));
        for (n, name) in COUNTERS.iter().enumerate() {
            let src = source_named(name);
            let inc = self.source_expr(src);
            k.assign(format!("ctrs${n}$clock"), sig("clock"));
            k.assign(
                format!("ctrs${n}$clear"),
                and(sig("start"), not(sig("ctrl$busy"))),
            );
            let en = match counter_map::gate(name) {
                Gate::Run => and(sig("ctrl$running"), not(sig("dma$loading"))),
                Gate::Always => lit(1, 1),
                Gate::Stall => and(
                    and(sig("ctrl$running"), sig("ctrl$hold")),
                    not(sig("dma$loading")),
                ),
                Gate::Load => sig("dma$loading"),
                Gate::Writeback => sig("dma$writeback"),
                Gate::Active => active(),
            };
            k.assign(format!("ctrs${n}$en"), en);
            if let Some(share) = counter_map::c_dma_share(name) {
                // C's reads and writes: the datapath's (not in a stalled cycle) plus the DMA's
                // (drains, refetch landings).
                let dma = sig(match share {
                    CDmaShare::ReadWords => "dma$ev_c_words",
                    CDmaShare::ReadElems => "dma$ev_c_elems",
                    CDmaShare::WriteWords => "buf_c$wwords2",
                    CDmaShare::WriteElems => "dma$ev_cl_elems",
                });
                let mut own = Kernel::default();
                own.assign(format!("ctrs${n}$inc"), add(inc, dma.clone()));
                let mut none = Kernel::default();
                none.assign(format!("ctrs${n}$inc"), dma);
                k.if_else(active(), own, none);
            } else if src == Source::StageOps {
                let mut on = Kernel::default();
                on.assign(format!("ctrs${n}$inc"), sig("ctrl$c_wcount"));
                let mut off = Kernel::default();
                off.assign(format!("ctrs${n}$inc"), lit(0, 16));
                k.if_else(sig("out_stage$active"), on, off);
            } else {
                k.assign(format!("ctrs${n}$inc"), inc);
            }
        }
        k.assign("ctr_lo", lit(0, 32));
        k.assign("ctr_hi", lit(0, 32));
        for n in 0..COUNTERS.len() {
            let mut pick = Kernel::default();
            pick.assign("ctr_lo", sig(format!("ctrs${n}$lo")));
            pick.assign("ctr_hi", sig(format!("ctrs${n}$hi")));
            k.when(eq(sig("ctr_sel"), lit(n as u64, 8)), pick);
        }
        k.finish()
    }
}
