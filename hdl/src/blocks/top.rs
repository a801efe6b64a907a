//! The accelerator's top level: controller, DMA engine, buffers A, B and C, the edge skews, the
//! mesh, the deskew, the output stage (C write-back with WS/IS accumulation) and the event
//! counters, plus the host port that loads operands, reads results and reads the counters, and
//! the memory port through which the DMA fetches A and B from DRAM and drains C to it (with the
//! ideal memory model the port is unused and the DMA constant-folds away).

use rust_hdl::prelude::*;
use systole_sim::config::ArchConfig;

use crate::blocks::controller::Controller;
use crate::blocks::counters::Counter64;
use crate::blocks::dma::Dma;
use crate::blocks::edge::{Deskew, Skew};
use crate::blocks::memory::Buffer;
use crate::blocks::mesh::Mesh;
use crate::blocks::output_stage::OutputStageBlock;
use crate::interface::{COUNTERS, HOST_SEL_A, HOST_SEL_B, HOST_SEL_STAGE, MAP_ADDR};
use crate::netlist::{add, and, eq, lit, not, or, sig, vec_of, Kernel};

/// In which cycles a counter counts (its enable), by what it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CounterGate {
    /// `cycles`: every cycle of the run but the prologue's.
    Run,
    /// Counts that include the DMA's work (fills, C's drains and refetches, DRAM bytes): every
    /// cycle, since the DMA's increments are zero when it is idle.
    Always,
    /// `stall_cycles`: a stalled cycle of the run (outside the prologue).
    Stall,
    /// `load_cycles`: a prologue cycle.
    Load,
    /// `writeback_cycles`: a cycle of the DMA's final writeback.
    Writeback,
    /// The datapath's events: a cycle of the run that is not stalled.
    Active,
}

fn counter_gate(name: &str) -> CounterGate {
    match name {
        "cycles" => CounterGate::Run,
        "stall_cycles" => CounterGate::Stall,
        "load_cycles" => CounterGate::Load,
        "writeback_cycles" => CounterGate::Writeback,
        n if n.starts_with("c_buf_")
            || n.ends_with("_buf_writes")
            || n.ends_with("_buf_write_elems")
            || n.starts_with("dram_") =>
        {
            CounterGate::Always
        }
        _ => CounterGate::Active,
    }
}

/// The DMA's share of buffer C's counts, added to the datapath's: its drains read C (words,
/// elements), its refetches write it (words, elements).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CDmaShare {
    ReadWords,
    ReadElems,
    WriteWords,
    WriteElems,
}

fn c_dma_share(name: &str) -> Option<CDmaShare> {
    match name {
        "c_buf_reads" => Some(CDmaShare::ReadWords),
        "c_buf_read_elems" => Some(CDmaShare::ReadElems),
        "c_buf_writes" => Some(CDmaShare::WriteWords),
        "c_buf_write_elems" => Some(CDmaShare::WriteElems),
        _ => None,
    }
}

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
            _dram: cfg.memory == systole_sim::config::MemoryModel::Dram,
            _r: r,
            _c: c,
        })
    }
}

fn b16(x: u64) -> Bits<16> {
    Bits::<16>::from(x)
}

impl Logic for Accelerator {
    fn update(&mut self) {
        let (r, c) = (self._r, self._c);
        let clk = self.clock.val();
        for x in [
            &mut self.ctrl.clock,
            &mut self.dma.clock,
            &mut self.buf_a.clock,
            &mut self.buf_b.clock,
            &mut self.buf_c.clock,
            &mut self.skew_l.clock,
            &mut self.skew_t.clock,
            &mut self.mesh.clock,
            &mut self.deskew.clock,
        ] {
            x.next = clk;
        }
        // Controller.
        let ct = &mut self.ctrl;
        ct.start.next = self.start.val();
        ct.cmd_m.next = self.cmd_m.val();
        ct.cmd_n.next = self.cmd_n.val();
        ct.cmd_k.next = self.cmd_k.val();
        // A single-dataflow design ignores cmd_mode: its mode is a constant.
        ct.cmd_mode.next = if self._fixed {
            self.k_mode.val()
        } else {
            self.cmd_mode.val()
        };
        ct.cmd_a_base.next = self.cmd_a_base.val();
        ct.cmd_b_base.next = self.cmd_b_base.val();
        ct.cmd_c_base.next = self.cmd_c_base.val();
        ct.cmd_a_reuse.next = self.cmd_a_reuse.val();
        ct.cmd_b_reuse.next = self.cmd_b_reuse.val();
        ct.cmd_c_chunks.next = self.cmd_c_chunks.val();
        ct.cmd_c_chunk.next = self.cmd_c_chunk.val();
        ct.cmd_c_chunk_rem.next = self.cmd_c_chunk_rem.val();
        // The mapping's loop registers: configuration writes at their address.
        ct.map_we.next = self.host_we.val()
            && self.host_sel.val().to_u64() == HOST_SEL_STAGE
            && self.host_addr.val().to_u64() == MAP_ADDR;
        ct.map_lane.next = self.host_lane.val();
        ct.map_wdata.next = Bits::from(self.host_wdata.val().inner().to_u64());
        // The run stalls when the host asks or when the DMA must wait for DRAM.
        ct.stall.next = self.stall.val() || self.dma.stall.val();
        ct.fa_step.next = self.dma.fa_step.val();
        ct.fb_step.next = self.dma.fb_step.val();
        ct.drain_next.next = self.dma.drain_next.val();
        // Busy until the DMA has drained the last result.
        self.busy.next = ct.busy.val() || self.dma.busy.val();
        self.done.next = ct.done.val() && !self.dma.busy.val();
        self.fold_start.next = ct.fold_start.val();
        // Cycles 0 .. last write: the run state without the load cycles before cycle 0.
        self.running.next = ct.running.val() && !self.dma.loading.val();
        let (busy, is) = (ct.busy.val(), ct.is.val());
        // The machine-wide clock enable: low in a stalled cycle of the run.
        let hold = ct.hold.val();
        let en = !hold;

        // Buffers A and B: read requests from the controller, writes from the host.
        let host = (
            self.host_we.val(),
            self.host_sel.val().to_u64(),
            self.host_lane.val(),
            self.host_addr.val(),
            self.host_wdata.val(),
        );
        let dram = self._dram;
        for (b, sel) in [(&mut self.buf_a, HOST_SEL_A), (&mut self.buf_b, HOST_SEL_B)] {
            // The DMA places landings and reads: at layout addresses, or in its rings.
            let (resp, land_addr, resp_count, resp_data) = if sel == HOST_SEL_A {
                (
                    self.mem_resp_a.val(),
                    self.dma.a_waddr.val(),
                    self.mem_resp_a_count.val(),
                    &self.mem_resp_a_data,
                )
            } else {
                (
                    self.mem_resp_b.val(),
                    self.dma.b_waddr.val(),
                    self.mem_resp_b_count.val(),
                    &self.mem_resp_b_data,
                )
            };
            let (re, addr, count, flags, tag) = if sel == HOST_SEL_A {
                (
                    ct.a_re.val(),
                    self.dma.a_raddr.val(),
                    ct.a_count.val(),
                    ct.a_flags.val(),
                    ct.a_tag.val(),
                )
            } else {
                (
                    ct.b_re.val(),
                    self.dma.b_raddr.val(),
                    ct.b_count.val(),
                    ct.b_flags.val(),
                    ct.b_tag.val(),
                )
            };
            b.en.next = en;
            b.re.next = re;
            b.raddr.next = addr;
            b.rcount.next = count;
            b.rflags.next = flags;
            b.rtag.next = tag;
            b.re2.next = false;
            b.raddr2.next = Bits::default();
            // The DMA's landings: a fetched vector is written the cycle its response shows (with
            // the ideal memory model the port is unused and the write port tied off).
            b.we.next = resp && dram;
            b.waddr.next = land_addr;
            b.wcount.next = resp_count;
            for (w, d) in b.wdata.iter_mut().zip(resp_data) {
                w.next = d.val();
            }
            b.host_we.next = host.0 && host.1 == sel;
            b.host_lane.next = host.2;
            b.host_addr.next = host.3;
            b.host_data.next = host.4;
        }

        // Edge multiplexers and skews: IS swaps the roles of A and B.
        let (left_buf, top_buf) = if is {
            (&self.buf_b, &self.buf_a)
        } else {
            (&self.buf_a, &self.buf_b)
        };
        for i in 0..r {
            self.skew_l.in_val[i].next = left_buf.rdata[i].val();
            self.skew_l.in_ctl[i].next = left_buf.rctl[i].val();
            self.skew_l.in_tag[i].next = left_buf.rtag_out.val();
        }
        for j in 0..c {
            self.skew_t.in_val[j].next = top_buf.rdata[j].val();
            self.skew_t.in_ctl[j].next = top_buf.rctl[j].val();
            self.skew_t.in_tag[j].next = top_buf.rtag_out.val();
        }

        // Mesh and deskew.
        self.skew_l.en.next = en;
        self.skew_t.en.next = en;
        self.mesh.en.next = en;
        self.deskew.en.next = en;
        self.mesh.os.next = self.ctrl.os.val();
        for i in 0..r {
            self.mesh.left_a[i].next = self.skew_l.out_val[i].val();
            self.mesh.left_ctl[i].next = self.skew_l.out_ctl[i].val();
        }
        for j in 0..c {
            self.mesh.top_v[j].next = self.skew_t.out_val[j].val();
            self.mesh.top_ctl[j].next = self.skew_t.out_ctl[j].val();
            self.mesh.top_tag[j].next = self.skew_t.out_tag[j].val();
            self.deskew.in_p[j].next = self.mesh.bottom_p[j].val();
            self.deskew.in_v[j].next = self.mesh.bottom_v[j].val();
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
        bc.wcount.next = ct.c_wcount.val();
        // The DMA's refetched partial sums land through C's DMA write port.
        bc.we2.next = self.dma.land.val();
        bc.waddr2.next = self.dma.l_addr.val();
        bc.wcount2.next = self.mem_resp_c_count.val();
        for (w, x) in bc.wdata2.iter_mut().zip(&self.mem_resp_c_data) {
            w.next = x.val();
        }
        self.mem_take_c.next = self.dma.land.val();
        // The DMA's drains read C through its own port.
        bc.re2.next = self.dma.drain_go.val();
        bc.raddr2.next = self.dma.d_raddr.val();
        self.mem_wvalid.next = bc.rvalid2.val();
        for (w, x) in self.mem_wdata.iter_mut().zip(&bc.rdata2) {
            w.next = x.val();
        }
        // The output stage: on a row's final write, bias and requantization to int8.
        let os = &mut self.out_stage;
        os.clock.next = clk;
        os.host_we.next = self.host_we.val() && self.host_sel.val().to_u64() == HOST_SEL_STAGE;
        os.host_addr.next = self.host_addr.val();
        os.host_lane.next = self.host_lane.val();
        os.host_wdata.next = self.host_wdata.val();
        os.fin.next = ct.w_final.val();
        os.is_mode.next = ct.is.val();
        os.col_base.next = ct.w_col.val();
        os.step.next = ct.w_row.val();
        for j in 0..c {
            os.sum[j].next = self.deskew.out_p[j].val() + bc.rdata[j].val();
            bc.wdata[j].next = os.out[j].val();
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

        // The DMA: the controller's requests and fetch cursors, the memory port.
        let ct = &self.ctrl;
        let d = &mut self.dma;
        d.launch.next = ct.dma_launch.val();
        d.run.next = ct.running.val();
        d.hold.next = hold;
        d.os.next = ct.os.val();
        d.row_dim.next = ct.o_row_dim.val();
        d.col_dim.next = ct.o_col_dim.val();
        d.tlen.next = ct.o_tlen.val();
        d.fa_valid.next = ct.fa_valid.val();
        d.fa_addr.next = ct.fa_addr.val();
        d.fa_count.next = ct.fa_count.val();
        d.fa_due.next = ct.fa_due.val();
        d.fa_early.next = ct.fa_early.val();
        d.fb_valid.next = ct.fb_valid.val();
        d.fb_addr.next = ct.fb_addr.val();
        d.fb_count.next = ct.fb_count.val();
        d.fb_due.next = ct.fb_due.val();
        d.fb_early.next = ct.fb_early.val();
        d.a_re.next = ct.a_re.val();
        d.a_count.next = ct.a_count.val();
        d.a_fetch.next = ct.a_fetch.val();
        d.b_re.next = ct.b_re.val();
        d.b_count.next = ct.b_count.val();
        d.b_fetch.next = ct.b_fetch.val();
        d.a_retire.next = ct.a_retire.val();
        d.a_ring.next = ct.a_ring.val();
        d.a_addr.next = ct.a_addr.val();
        d.b_retire.next = ct.b_retire.val();
        d.b_ring.next = ct.b_ring.val();
        d.b_addr.next = ct.b_addr.val();
        d.drain_col_base.next = ct.drain_col_base.val();
        d.drain_row_base.next = ct.drain_row_base.val();
        d.drain_rows.next = ct.drain_rows.val();
        d.drain_cols.next = ct.drain_cols.val();
        d.a_first.next = ct.a_first.val();
        d.a_advanced.next = ct.a_advanced.val();
        d.a_edges.next = ct.a_edges.val();
        d.b_first.next = ct.b_first.val();
        d.b_advanced.next = ct.b_advanced.val();
        d.b_edges.next = ct.b_edges.val();
        d.resp_a_addr.next = self.mem_resp_a_addr.val();
        d.resp_b_addr.next = self.mem_resp_b_addr.val();
        d.c_we.next = ct.c_we.val();
        d.w_bank.next = ct.w_bank.val();
        d.w_claim.next = ct.w_claim.val();
        d.w_final.next = ct.w_final.val();
        d.c_re.next = ct.c_re.val();
        d.r_bank.next = ct.r_bank.val();
        d.w_row.next = ct.w_step.val();
        d.r_row.next = ct.r_row.val();
        d.c_base.next = ct.o_c_base.val();
        d.c_chunks.next = ct.o_c_chunks.val();
        d.c_chunk.next = ct.o_c_chunk.val();
        d.c_chunk_rem.next = ct.o_c_chunk_rem.val();
        d.wfirst.next = ct.o_wfirst.val();
        d.interval.next = ct.o_interval.val();
        d.r_issue.next = ct.r_issue.val();
        d.wvalid.next = self.buf_c.rvalid2.val();
        d.resp_c.next = self.mem_resp_c.val();
        d.resp_c_count.next = self.mem_resp_c_count.val();
        d.ready3.next = self.mem_ready3.val();
        d.ready0.next = self.mem_ready0.val();
        d.ready1.next = self.mem_ready1.val();
        d.ready2.next = self.mem_ready2.val();
        d.resp_a.next = self.mem_resp_a.val();
        d.resp_b.next = self.mem_resp_b.val();
        d.writes_idle.next = self.mem_writes_idle.val();
        self.mem_ch0_valid.next = d.ch0_valid.val();
        self.mem_ch0_count.next = d.ch0_count.val();
        self.mem_ch0_addr.next = d.ch0_addr.val();
        self.mem_ch1_valid.next = d.ch1_valid.val();
        self.mem_ch1_sel.next = d.ch1_sel.val();
        self.mem_ch1_addr.next = d.ch1_addr.val();
        self.mem_ch1_count.next = d.ch1_count.val();
        self.mem_ch2_valid.next = d.ch2_valid.val();
        self.mem_ch2_sel.next = d.ch2_sel.val();
        self.mem_ch2_addr.next = d.ch2_addr.val();
        self.mem_ch2_count.next = d.ch2_count.val();
        self.mem_ch3_valid.next = d.ch3_valid.val();
        self.mem_ch3_sel.next = d.ch3_sel.val();
        self.mem_ch3_addr.next = d.ch3_addr.val();
        self.mem_ch3_count.next = d.ch3_count.val();
        let bc = &self.buf_c;

        // Counters.
        let ev = |e: usize| self.mesh.ev[e].val();
        let w8 = |x: Bits<8>| b16(x.to_u64());
        let incs: [Bits<16>; 30] = [
            b16(1),
            ev(0),
            ev(2),
            ev(3),
            ev(4),
            ev(5),
            ev(1),
            ev(6),
            self.skew_l.hops.val() + self.skew_t.hops.val(),
            self.deskew.hops.val(),
            self.buf_a.rwords.val(),
            w8(ct.a_count.val()),
            self.buf_b.rwords.val(),
            w8(ct.b_count.val()),
            bc.rwords.val(),
            w8(ct.c_rcount.val()),
            bc.wwords.val(),
            w8(ct.c_wcount.val()),
            self.buf_a.wwords.val(),
            w8(if dram {
                self.mem_resp_a_count.val()
            } else {
                Bits::default()
            }),
            self.buf_b.wwords.val(),
            w8(if dram {
                self.mem_resp_b_count.val()
            } else {
                Bits::default()
            }),
            d.ev_dram_a.val(),
            d.ev_dram_b.val(),
            d.ev_dram_cr.val(),
            d.ev_dram_c.val(),
            b16(1),
            b16(1),
            b16(1),
            if self.out_stage.active.val() {
                w8(ct.c_wcount.val())
            } else {
                b16(0)
            },
        ];
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
            x.en.next = match counter_gate(COUNTERS[k]) {
                CounterGate::Run => running && !loading,
                CounterGate::Always => true,
                CounterGate::Stall => running && hold && !loading,
                CounterGate::Load => loading,
                CounterGate::Writeback => d.writeback.val(),
                CounterGate::Active => running && !hold,
            };
            // C's reads and writes add the DMA's (drains, refetch landings) to the datapath's.
            if let Some(share) = c_dma_share(COUNTERS[k]) {
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
        let ct = &mut self.ctrl;
        ct.start.connect();
        ct.clock.connect();
        ct.cmd_m.connect();
        ct.cmd_n.connect();
        ct.cmd_k.connect();
        ct.cmd_mode.connect();
        ct.cmd_a_base.connect();
        ct.cmd_b_base.connect();
        ct.cmd_c_base.connect();
        ct.cmd_a_reuse.connect();
        ct.cmd_b_reuse.connect();
        ct.cmd_c_chunks.connect();
        ct.cmd_c_chunk.connect();
        ct.cmd_c_chunk_rem.connect();
        ct.map_we.connect();
        ct.map_lane.connect();
        ct.map_wdata.connect();
        ct.stall.connect();
        ct.fa_step.connect();
        ct.fb_step.connect();
        ct.drain_next.connect();
        let d = &mut self.dma;
        for x in [
            &mut d.clock as &mut dyn Block,
            &mut d.launch,
            &mut d.run,
            &mut d.hold,
            &mut d.os,
            &mut d.row_dim,
            &mut d.col_dim,
            &mut d.tlen,
            &mut d.fa_valid,
            &mut d.fa_addr,
            &mut d.fa_count,
            &mut d.fa_due,
            &mut d.fa_early,
            &mut d.fb_valid,
            &mut d.fb_addr,
            &mut d.fb_count,
            &mut d.fb_due,
            &mut d.fb_early,
            &mut d.a_re,
            &mut d.a_count,
            &mut d.a_fetch,
            &mut d.b_re,
            &mut d.b_count,
            &mut d.b_fetch,
            &mut d.a_retire,
            &mut d.a_ring,
            &mut d.a_addr,
            &mut d.b_retire,
            &mut d.b_ring,
            &mut d.b_addr,
            &mut d.drain_col_base,
            &mut d.drain_row_base,
            &mut d.drain_rows,
            &mut d.drain_cols,
            &mut d.a_first,
            &mut d.a_advanced,
            &mut d.a_edges,
            &mut d.b_first,
            &mut d.b_advanced,
            &mut d.b_edges,
            &mut d.resp_a_addr,
            &mut d.resp_b_addr,
            &mut d.c_we,
            &mut d.w_bank,
            &mut d.w_claim,
            &mut d.w_final,
            &mut d.c_re,
            &mut d.r_bank,
            &mut d.ready0,
            &mut d.ready1,
            &mut d.ready2,
            &mut d.resp_a,
            &mut d.resp_b,
            &mut d.writes_idle,
            &mut d.w_row,
            &mut d.r_row,
            &mut d.c_base,
            &mut d.c_chunks,
            &mut d.c_chunk,
            &mut d.c_chunk_rem,
            &mut d.wfirst,
            &mut d.interval,
            &mut d.r_issue,
            &mut d.wvalid,
            &mut d.resp_c,
            &mut d.resp_c_count,
            &mut d.ready3,
            &mut self.mem_take_c,
            &mut self.mem_ch0_valid,
            &mut self.mem_ch0_count,
            &mut self.mem_ch0_addr,
            &mut self.mem_wvalid,
            &mut self.mem_ch1_valid,
            &mut self.mem_ch1_sel,
            &mut self.mem_ch1_addr,
            &mut self.mem_ch1_count,
            &mut self.mem_ch2_valid,
            &mut self.mem_ch2_sel,
            &mut self.mem_ch2_addr,
            &mut self.mem_ch2_count,
            &mut self.mem_ch3_valid,
            &mut self.mem_ch3_sel,
            &mut self.mem_ch3_addr,
            &mut self.mem_ch3_count,
        ] {
            x.connect();
        }
        for w in self.mem_wdata.iter_mut() {
            w.connect();
        }
        for b in [&mut self.buf_a, &mut self.buf_b] {
            connect_buffer(b);
        }
        connect_buffer(&mut self.buf_c);
        for s in [&mut self.skew_l, &mut self.skew_t] {
            s.clock.connect();
            s.en.connect();
            for l in 0..s.in_val.len() {
                s.in_val[l].connect();
                s.in_ctl[l].connect();
                s.in_tag[l].connect();
            }
        }
        let m = &mut self.mesh;
        m.clock.connect();
        m.en.connect();
        m.os.connect();
        for i in 0..m.left_a.len() {
            m.left_a[i].connect();
            m.left_ctl[i].connect();
        }
        for j in 0..m.top_v.len() {
            m.top_v[j].connect();
            m.top_ctl[j].connect();
            m.top_tag[j].connect();
        }
        self.deskew.clock.connect();
        self.deskew.en.connect();
        for j in 0..self.deskew.in_p.len() {
            self.deskew.in_p[j].connect();
            self.deskew.in_v[j].connect();
        }
        let os = &mut self.out_stage;
        os.clock.connect();
        os.host_we.connect();
        os.host_addr.connect();
        os.host_lane.connect();
        os.host_wdata.connect();
        os.fin.connect();
        os.is_mode.connect();
        os.col_base.connect();
        os.step.connect();
        for x in os.sum.iter_mut() {
            x.connect();
        }
        for x in self.ctrs.iter_mut() {
            x.clock.connect();
            x.clear.connect();
            x.en.connect();
            x.inc.connect();
        }
        self.host_rdata.connect();
        self.busy.connect();
        self.done.connect();
        self.fold_start.connect();
        self.running.connect();
        self.ctr_lo.connect();
        self.ctr_hi.connect();
    }

    fn hdl(&self) -> Verilog {
        let (r, c) = (self._r, self._c);
        let mut k = Kernel::default();
        for child in [
            "ctrl", "dma", "buf_a", "buf_b", "buf_c", "skew_l", "skew_t", "mesh", "deskew",
        ] {
            k.assign(format!("{child}$clock"), sig("clock"));
        }
        for p in [
            "start",
            "cmd_m",
            "cmd_n",
            "cmd_k",
            "cmd_a_base",
            "cmd_b_base",
            "cmd_c_base",
            "cmd_a_reuse",
            "cmd_b_reuse",
            "cmd_c_chunks",
            "cmd_c_chunk",
            "cmd_c_chunk_rem",
        ] {
            k.assign(format!("ctrl${p}"), sig(p));
        }
        k.assign("ctrl$stall", or(sig("stall"), sig("dma$stall")));
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
        k.assign("ctrl$map_lane", sig("host_lane"));
        k.assign("ctrl$map_wdata", sig("host_wdata"));
        k.assign("ctrl$fa_step", sig("dma$fa_step"));
        k.assign("ctrl$fb_step", sig("dma$fb_step"));
        k.assign("ctrl$drain_next", sig("dma$drain_next"));
        // A single-dataflow design ignores cmd_mode: its mode is a constant.
        k.assign(
            "ctrl$cmd_mode",
            sig(if self._fixed { "k_mode" } else { "cmd_mode" }),
        );
        k.assign("fold_start", sig("ctrl$fold_start"));
        k.assign("running", and(sig("ctrl$running"), not(sig("dma$loading"))));
        k.assign("busy", or(sig("ctrl$busy"), sig("dma$busy")));
        k.assign("done", and(sig("ctrl$done"), not(sig("dma$busy"))));
        k.assign("dma$launch", sig("ctrl$dma_launch"));
        k.assign("dma$run", sig("ctrl$running"));
        k.assign("dma$hold", sig("ctrl$hold"));
        k.assign("dma$os", sig("ctrl$os"));
        k.assign("dma$row_dim", sig("ctrl$o_row_dim"));
        k.assign("dma$col_dim", sig("ctrl$o_col_dim"));
        k.assign("dma$tlen", sig("ctrl$o_tlen"));
        for p in [
            "fa_valid",
            "fa_addr",
            "fa_count",
            "fa_due",
            "fa_early",
            "fb_valid",
            "fb_addr",
            "fb_count",
            "fb_due",
            "fb_early",
            "a_re",
            "a_count",
            "a_fetch",
            "b_re",
            "b_count",
            "b_fetch",
            "c_we",
            "w_bank",
            "w_claim",
            "w_final",
            "c_re",
            "r_bank",
            "r_row",
            "a_retire",
            "a_ring",
            "a_addr",
            "b_retire",
            "b_ring",
            "b_addr",
            "a_first",
            "a_advanced",
            "a_edges",
            "b_first",
            "b_advanced",
            "b_edges",
            "drain_col_base",
            "drain_row_base",
            "drain_rows",
            "drain_cols",
        ] {
            k.assign(format!("dma${p}"), sig(format!("ctrl${p}")));
        }
        k.assign("dma$c_base", sig("ctrl$o_c_base"));
        k.assign("dma$w_row", sig("ctrl$w_step"));
        for (p, from) in [
            ("c_chunks", "ctrl$o_c_chunks"),
            ("c_chunk", "ctrl$o_c_chunk"),
            ("c_chunk_rem", "ctrl$o_c_chunk_rem"),
            ("wfirst", "ctrl$o_wfirst"),
            ("interval", "ctrl$o_interval"),
            ("r_issue", "ctrl$r_issue"),
            ("wvalid", "buf_c$rvalid2"),
            ("resp_c", "mem_resp_c"),
            ("resp_c_count", "mem_resp_c_count"),
            ("ready3", "mem_ready3"),
        ] {
            k.assign(format!("dma${p}"), sig(from));
        }
        k.assign("mem_take_c", sig("dma$land"));
        for (p, port) in [
            ("ready0", "mem_ready0"),
            ("ready1", "mem_ready1"),
            ("ready2", "mem_ready2"),
            ("resp_a", "mem_resp_a"),
            ("resp_b", "mem_resp_b"),
            ("resp_a_addr", "mem_resp_a_addr"),
            ("resp_b_addr", "mem_resp_b_addr"),
            ("writes_idle", "mem_writes_idle"),
        ] {
            k.assign(format!("dma${p}"), sig(port));
        }
        for p in [
            "ch0_valid",
            "ch0_count",
            "ch0_addr",
            "ch1_valid",
            "ch1_sel",
            "ch1_addr",
            "ch1_count",
            "ch2_valid",
            "ch2_sel",
            "ch2_addr",
            "ch2_count",
            "ch3_valid",
            "ch3_sel",
            "ch3_addr",
            "ch3_count",
        ] {
            k.assign(format!("mem_{p}"), sig(format!("dma${p}")));
        }
        let lanes_ab = self.buf_a.rdata.len();
        for b in [
            "buf_a", "buf_b", "buf_c", "skew_l", "skew_t", "mesh", "deskew",
        ] {
            k.assign(format!("{b}$en"), not(sig("ctrl$hold")));
        }
        for (b, x, sel) in [("buf_a", "a", HOST_SEL_A), ("buf_b", "b", HOST_SEL_B)] {
            k.assign(format!("{b}$re"), sig(format!("ctrl${x}_re")));
            k.assign(format!("{b}$raddr"), sig(format!("dma${x}_raddr")));
            k.assign(format!("{b}$rcount"), sig(format!("ctrl${x}_count")));
            k.assign(format!("{b}$rflags"), sig(format!("ctrl${x}_flags")));
            k.assign(format!("{b}$rtag"), sig(format!("ctrl${x}_tag")));
            k.assign(format!("{b}$re2"), lit(0, 1));
            k.assign(format!("{b}$raddr2"), lit(0, 16));
            k.assign(format!("{b}$we2"), lit(0, 1));
            k.assign(format!("{b}$waddr2"), lit(0, 16));
            k.assign(format!("{b}$wcount2"), lit(0, 8));
            for l in 0..lanes_ab {
                k.assign(format!("{b}$wdata2${l}"), lit(0, 8));
            }
            // With the ideal memory model the memory port is unused: its write port is tied off.
            k.assign(
                format!("{b}$we"),
                if self._dram {
                    sig(format!("mem_resp_{x}"))
                } else {
                    lit(0, 1)
                },
            );
            k.assign(format!("{b}$waddr"), sig(format!("dma${x}_waddr")));
            k.assign(format!("{b}$wcount"), sig(format!("mem_resp_{x}_count")));
            for l in 0..lanes_ab {
                k.assign(
                    format!("{b}$wdata${l}"),
                    sig(format!("mem_resp_{x}_data${l}")),
                );
            }
            k.assign(
                format!("{b}$host_we"),
                and(sig("host_we"), eq(sig("host_sel"), lit(sel, 2))),
            );
            k.assign(format!("{b}$host_lane"), sig("host_lane"));
            k.assign(format!("{b}$host_addr"), sig("host_addr"));
            k.assign(format!("{b}$host_data"), sig("host_wdata"));
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

        k.assign("mesh$os", sig("ctrl$os"));
        for i in 0..r {
            k.assign(
                format!("mesh$left_a${i}"),
                sig(format!("skew_l$out_val${i}")),
            );
            k.assign(
                format!("mesh$left_ctl${i}"),
                sig(format!("skew_l$out_ctl${i}")),
            );
        }
        for j in 0..c {
            k.assign(
                format!("mesh$top_v${j}"),
                sig(format!("skew_t$out_val${j}")),
            );
            k.assign(
                format!("mesh$top_ctl${j}"),
                sig(format!("skew_t$out_ctl${j}")),
            );
            k.assign(
                format!("mesh$top_tag${j}"),
                sig(format!("skew_t$out_tag${j}")),
            );
            k.assign(
                format!("deskew$in_p${j}"),
                sig(format!("mesh$bottom_p${j}")),
            );
            k.assign(
                format!("deskew$in_v${j}"),
                sig(format!("mesh$bottom_v${j}")),
            );
        }

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
        k.assign("buf_c$we2", sig("dma$land"));
        k.assign("buf_c$waddr2", sig("dma$l_addr"));
        k.assign("buf_c$wcount2", sig("mem_resp_c_count"));
        for j in 0..c {
            k.assign(
                format!("buf_c$wdata2${j}"),
                sig(format!("mem_resp_c_data${j}")),
            );
        }
        k.assign("buf_c$re2", sig("dma$drain_go"));
        k.assign("buf_c$raddr2", sig("dma$d_raddr"));
        k.assign("mem_wvalid", sig("buf_c$rvalid2"));
        for j in 0..c {
            k.assign(format!("mem_wdata${j}"), sig(format!("buf_c$rdata2${j}")));
        }
        k.assign("buf_c$wcount", sig("ctrl$c_wcount"));
        k.assign("out_stage$clock", sig("clock"));
        k.assign(
            "out_stage$host_we",
            and(sig("host_we"), eq(sig("host_sel"), lit(HOST_SEL_STAGE, 2))),
        );
        for p in ["host_addr", "host_lane", "host_wdata"] {
            k.assign(format!("out_stage${p}"), sig(p));
        }
        k.assign("out_stage$fin", sig("ctrl$w_final"));
        k.assign("out_stage$is_mode", sig("ctrl$is"));
        k.assign("out_stage$col_base", sig("ctrl$w_col"));
        k.assign("out_stage$step", sig("ctrl$w_row"));
        for j in 0..c {
            k.assign(
                format!("out_stage$sum${j}"),
                add(
                    sig(format!("deskew$out_p${j}")),
                    sig(format!("buf_c$rdata${j}")),
                ),
            );
            k.assign(
                format!("buf_c$wdata${j}"),
                sig(format!("out_stage$out${j}")),
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

        let incs: [crate::netlist::Expr; 30] = [
            lit(1, 16),
            sig("mesh$ev$0"),
            sig("mesh$ev$2"),
            sig("mesh$ev$3"),
            sig("mesh$ev$4"),
            sig("mesh$ev$5"),
            sig("mesh$ev$1"),
            sig("mesh$ev$6"),
            add(sig("skew_l$hops"), sig("skew_t$hops")),
            sig("deskew$hops"),
            sig("buf_a$rwords"),
            sig("ctrl$a_count"),
            sig("buf_b$rwords"),
            sig("ctrl$b_count"),
            sig("buf_c$rwords"),
            sig("ctrl$c_rcount"),
            sig("buf_c$wwords"),
            sig("ctrl$c_wcount"),
            sig("buf_a$wwords"),
            if self._dram {
                sig("mem_resp_a_count")
            } else {
                lit(0, 16)
            },
            sig("buf_b$wwords"),
            if self._dram {
                sig("mem_resp_b_count")
            } else {
                lit(0, 16)
            },
            sig("dma$ev_dram_a"),
            sig("dma$ev_dram_b"),
            sig("dma$ev_dram_cr"),
            sig("dma$ev_dram_c"),
            lit(1, 16),
            lit(1, 16),
            lit(1, 16),
            // output_stage_ops: assigned below (the row's lanes when the stage is active).
            lit(0, 16),
        ];
        let active = || and(sig("ctrl$running"), not(sig("ctrl$hold")));
        for (n, inc) in incs.into_iter().enumerate() {
            k.assign(format!("ctrs${n}$clock"), sig("clock"));
            k.assign(
                format!("ctrs${n}$clear"),
                and(sig("start"), not(sig("ctrl$busy"))),
            );
            let en = match counter_gate(COUNTERS[n]) {
                CounterGate::Run => and(sig("ctrl$running"), not(sig("dma$loading"))),
                CounterGate::Always => lit(1, 1),
                CounterGate::Stall => and(
                    and(sig("ctrl$running"), sig("ctrl$hold")),
                    not(sig("dma$loading")),
                ),
                CounterGate::Load => sig("dma$loading"),
                CounterGate::Writeback => sig("dma$writeback"),
                CounterGate::Active => active(),
            };
            k.assign(format!("ctrs${n}$en"), en);
            if let Some(share) = c_dma_share(COUNTERS[n]) {
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
            } else if COUNTERS[n] == "output_stage_ops" {
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

fn connect_buffer<T: Synth>(b: &mut Buffer<T>) {
    b.clock.connect();
    b.en.connect();
    b.re.connect();
    b.raddr.connect();
    b.rcount.connect();
    b.rflags.connect();
    b.rtag.connect();
    b.we.connect();
    b.waddr.connect();
    b.wcount.connect();
    for w in b.wdata.iter_mut() {
        w.connect();
    }
    b.host_we.connect();
    b.host_lane.connect();
    b.host_addr.connect();
    b.host_data.connect();
    b.re2.connect();
    b.raddr2.connect();
    b.we2.connect();
    b.waddr2.connect();
    b.wcount2.connect();
    for w in b.wdata2.iter_mut() {
        w.connect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interface::CYCLE_COUNTERS;

    /// Counters are wired by name, not by index: the DMA-fed ones are exactly C's accesses, the
    /// fills and the DRAM bytes, and every counter but the cycle counts is an event of the fast
    /// model's `EventCounts`.
    #[test]
    fn counters_are_gated_by_their_names() {
        let always: Vec<&str> = COUNTERS
            .iter()
            .copied()
            .filter(|n| counter_gate(n) == CounterGate::Always)
            .collect();
        assert_eq!(
            always,
            [
                "c_buf_reads",
                "c_buf_read_elems",
                "c_buf_writes",
                "c_buf_write_elems",
                "a_buf_writes",
                "a_buf_write_elems",
                "b_buf_writes",
                "b_buf_write_elems",
                "dram_a_read_bytes",
                "dram_b_read_bytes",
                "dram_c_read_bytes",
                "dram_c_write_bytes",
            ]
        );
        assert_eq!(
            COUNTERS.iter().filter(|n| c_dma_share(n).is_some()).count(),
            4
        );
        for n in COUNTERS {
            let cycle = n == "cycles" || CYCLE_COUNTERS.contains(&n);
            assert_eq!(
                cycle,
                !systole_sim::events::EventCounts::NAMES.contains(&n),
                "{n}"
            );
        }
    }
}
