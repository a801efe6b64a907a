//! The DRAM a simulation serves the accelerator's memory port with: the fast model's bus
//! ([`DramBus`]: in order, `bytes_per_cycle` per cycle, a fixed latency), and the operand images
//! of A and B at the addresses the DMA fetches from. It is a test-bench model, not hardware:
//! rust-hdl simulates it through `DramBus` itself, and Icarus and Verilator run the behavioural
//! Verilog below, which does the same arithmetic in byte slots; the cross-backend tests hold the
//! three to each other and to the fast model.
//!
//! Per cycle: the request channels 0 (a C drain of `4 x count` bytes), 1, 2 and 3 (fetches of
//! `count` bytes of A or B, or `4 x count` of a spilled row of C) are accepted in order while the
//! bus can take a request (`ready0..3`); each accepted fetch's vector is returned once its bytes
//! have crossed the bus, one per buffer per cycle, oldest first (`resp_a`, `resp_b` with the
//! address, lanes and data; `resp_c` with lanes and data, shown until the DMA takes it);
//! `writes_idle` says that every drained byte has left. A fetch's data is read from its image
//! when the request is accepted (C's image changes during a spilling run: the DMA asks for a row
//! only once its drain's data has reached the image).

use std::collections::VecDeque;

use rust_hdl::prelude::*;
use systole_sim::config::ArchConfig;
use systole_sim::memory::dram::DramBus;

use crate::netlist::vec_of;

/// Vectors of each image: every 16-bit address.
const VECTORS: usize = 1 << 16;

/// A request on a channel: (valid, bytes, for a fetch its (image 0 A / 1 B / 2 C, address,
/// lanes)).
type Request = (bool, u64, Option<(usize, u16, u8)>);

/// The DRAM model (see the module doc).
#[derive(LogicBlock)]
pub struct DramModel {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// Channel 0: drain of a C row of `ch0_count` lanes.
    pub ch0_valid: Signal<In, Bit>,
    /// Lanes (4 bytes each).
    pub ch0_count: Signal<In, Bits<8>>,
    /// The row's address in C's image.
    pub ch0_addr: Signal<In, Bits<16>>,
    /// The data of the oldest accepted drain not yet written (it follows its request by `L_C`).
    pub wvalid: Signal<In, Bit>,
    /// Its lanes.
    pub wdata: Vec<Signal<In, Signed<32>>>,
    /// Host read of C's vector `host_addr` in DRAM (the harness reads results here): the row is
    /// taken at the clock edge.
    pub host_re: Signal<In, Bit>,
    /// Lane `host_lane` of the row last read.
    pub host_rdata: Signal<Out, Signed<32>>,
    /// Channel 1: fetch of `ch1_count` lanes at `ch1_addr` of A (`ch1_sel` 0), B (1) or C (2).
    pub ch1_valid: Signal<In, Bit>,
    /// Image.
    pub ch1_sel: Signal<In, Bits<2>>,
    /// Address.
    pub ch1_addr: Signal<In, Bits<16>>,
    /// Lanes.
    pub ch1_count: Signal<In, Bits<8>>,
    /// Channel 2: a second fetch.
    pub ch2_valid: Signal<In, Bit>,
    /// Image.
    pub ch2_sel: Signal<In, Bits<2>>,
    /// Address.
    pub ch2_addr: Signal<In, Bits<16>>,
    /// Lanes.
    pub ch2_count: Signal<In, Bits<8>>,
    /// Channel 3: a third fetch.
    pub ch3_valid: Signal<In, Bit>,
    /// Image.
    pub ch3_sel: Signal<In, Bits<2>>,
    /// Address.
    pub ch3_addr: Signal<In, Bits<16>>,
    /// Lanes.
    pub ch3_count: Signal<In, Bits<8>>,
    /// Channel 3 accepted.
    pub ready3: Signal<Out, Bit>,
    /// A fetched row of C is shown (until taken).
    pub resp_c: Signal<Out, Bit>,
    /// Its lanes.
    pub resp_c_count: Signal<Out, Bits<8>>,
    /// Its data.
    pub resp_c_data: Vec<Signal<Out, Signed<32>>>,
    /// The DMA takes the shown row of C this cycle.
    pub take_c: Signal<In, Bit>,
    /// Channel 0 accepted (when valid).
    pub ready0: Signal<Out, Bit>,
    /// Channel 1 accepted.
    pub ready1: Signal<Out, Bit>,
    /// Channel 2 accepted.
    pub ready2: Signal<Out, Bit>,
    /// A fetched vector of A is delivered this cycle.
    pub resp_a: Signal<Out, Bit>,
    /// Its address.
    pub resp_a_addr: Signal<Out, Bits<16>>,
    /// Its lanes.
    pub resp_a_count: Signal<Out, Bits<8>>,
    /// Its data.
    pub resp_a_data: Vec<Signal<Out, Signed<8>>>,
    /// A fetched vector of B is delivered this cycle.
    pub resp_b: Signal<Out, Bit>,
    /// Its address.
    pub resp_b_addr: Signal<Out, Bits<16>>,
    /// Its lanes.
    pub resp_b_count: Signal<Out, Bits<8>>,
    /// Its data.
    pub resp_b_data: Vec<Signal<Out, Signed<8>>>,
    /// Every drained byte has left the chip.
    pub writes_idle: Signal<Out, Bit>,
    /// Host writes into the images: enable, image (1 = A, 2 = B), vector address, lane, value.
    pub host_we: Signal<In, Bit>,
    /// Image.
    pub host_sel: Signal<In, Bits<2>>,
    /// Vector address.
    pub host_addr: Signal<In, Bits<16>>,
    /// Lane.
    pub host_lane: Signal<In, Bits<8>>,
    /// Value.
    pub host_data: Signal<In, Signed<8>>,
    _bus: DramBus,
    _bytes_per_cycle: u32,
    _latency: u32,
    _lanes: usize,
    _img: [Vec<Signed<8>>; 2],
    _lanes_c: usize,
    _img_c: Vec<i32>,
    _pending: VecDeque<(u16, u8)>,
    _hrow: Vec<i32>,
    _lat_c: u32,
    _queue: [VecDeque<(u64, u16, u8)>; 2],
    _queue_c: VecDeque<(u64, u8, Vec<i32>)>,
    _half: u64,
    _now: u64,
    _writes_done: u64,
}

impl DramModel {
    /// The DRAM of `cfg` holding images of A and B of `lanes` lanes per vector, at every 16-bit
    /// address (a re-fetching run's operands are larger than their buffers).
    pub fn new(cfg: &ArchConfig, lanes: usize) -> Self {
        // (Only a DRAM run uses the images; the ideal model's design leaves them empty.)
        let dram = cfg.memory == systole_sim::config::MemoryModel::Dram;
        let image = |vectors: usize| if dram { vectors } else { 0 };
        DramModel {
            clock: Default::default(),
            ch0_valid: Default::default(),
            ch0_count: Default::default(),
            ch0_addr: Default::default(),
            wvalid: Default::default(),
            wdata: vec_of(cfg.array.cols as usize),
            host_re: Default::default(),
            host_rdata: Default::default(),
            ch1_valid: Default::default(),
            ch1_sel: Default::default(),
            ch1_addr: Default::default(),
            ch1_count: Default::default(),
            ch2_valid: Default::default(),
            ch2_sel: Default::default(),
            ch2_addr: Default::default(),
            ch2_count: Default::default(),
            ch3_valid: Default::default(),
            ch3_sel: Default::default(),
            ch3_addr: Default::default(),
            ch3_count: Default::default(),
            ready3: Default::default(),
            resp_c: Default::default(),
            resp_c_count: Default::default(),
            resp_c_data: vec_of(cfg.array.cols as usize),
            take_c: Default::default(),
            ready0: Default::default(),
            ready1: Default::default(),
            ready2: Default::default(),
            resp_a: Default::default(),
            resp_a_addr: Default::default(),
            resp_a_count: Default::default(),
            resp_a_data: vec_of(lanes),
            resp_b: Default::default(),
            resp_b_addr: Default::default(),
            resp_b_count: Default::default(),
            resp_b_data: vec_of(lanes),
            writes_idle: Default::default(),
            host_we: Default::default(),
            host_sel: Default::default(),
            host_addr: Default::default(),
            host_lane: Default::default(),
            host_data: Default::default(),
            _bus: DramBus::new(cfg.dram.bytes_per_cycle, cfg.dram.latency_cycles),
            _bytes_per_cycle: cfg.dram.bytes_per_cycle,
            _latency: cfg.dram.latency_cycles,
            _lanes: lanes,
            _img: [
                vec![Signed::default(); image(VECTORS) * lanes],
                vec![Signed::default(); image(VECTORS) * lanes],
            ],
            _lanes_c: cfg.array.cols as usize,
            _img_c: vec![0; image(VECTORS) * cfg.array.cols as usize],
            _pending: VecDeque::new(),
            _hrow: vec![0; cfg.array.cols as usize],
            _lat_c: cfg.buffers.c.read_latency,
            _queue: Default::default(),
            _queue_c: VecDeque::new(),
            _half: crate::blocks::dma::c_bank_rows(cfg),
            _now: 0,
            _writes_done: 0,
        }
    }

    /// Backdoor write of lane `lane` of vector `addr` of image `b` (0 = A, 1 = B).
    pub fn poke(&mut self, b: usize, addr: usize, lane: usize, value: Signed<8>) {
        self._img[b][addr * self._lanes + lane] = value;
    }

    /// Lane `lane` of C's vector `addr` in DRAM.
    pub fn peek_c(&self, addr: usize, lane: usize) -> i32 {
        self._img_c
            .get(addr * self._lanes_c + lane)
            .copied()
            .unwrap_or_default()
    }

    /// The requests of this cycle as (valid, bytes, image of a fetch), in channel order.
    fn requests(&self) -> [Request; 4] {
        let fetch = |v: bool, sel: Bits<2>, addr: Bits<16>, count: Bits<8>| {
            let (n, img) = (count.to_u64(), sel.to_u64() as usize);
            let bytes = if img == 2 { 4 * n } else { n };
            (v, bytes, Some((img, addr.to_u64() as u16, n as u8)))
        };
        [
            (
                self.ch0_valid.val(),
                4 * self.ch0_count.val().to_u64(),
                None,
            ),
            fetch(
                self.ch1_valid.val(),
                self.ch1_sel.val(),
                self.ch1_addr.val(),
                self.ch1_count.val(),
            ),
            fetch(
                self.ch2_valid.val(),
                self.ch2_sel.val(),
                self.ch2_addr.val(),
                self.ch2_count.val(),
            ),
            fetch(
                self.ch3_valid.val(),
                self.ch3_sel.val(),
                self.ch3_addr.val(),
                self.ch3_count.val(),
            ),
        ]
    }
}

impl Logic for DramModel {
    fn update(&mut self) {
        let reqs = self.requests();
        if self.clock.pos_edge() {
            let t = self._now;
            // Host writes into the images.
            if self.host_we.val() {
                let b = match self.host_sel.val().to_u64() {
                    1 => Some(0),
                    2 => Some(1),
                    _ => None,
                };
                let (addr, lane) = (self.host_addr.val().index(), self.host_lane.val().index());
                if let Some(b) = b {
                    if lane < self._lanes && addr * self._lanes + lane < self._img[b].len() {
                        self._img[b][addr * self._lanes + lane] = self.host_data.val();
                    }
                }
            }
            if self.host_re.val() {
                let a = self.host_addr.val().index() * self._lanes_c;
                if let Some(row) = self._img_c.get(a..a + self._lanes_c) {
                    self._hrow.copy_from_slice(row);
                }
            }
            // Deliveries shown this cycle leave their queues.
            for q in self._queue.iter_mut() {
                if q.front().is_some_and(|&(at, _, _)| at <= t) {
                    q.pop_front();
                }
            }
            if self.take_c.val() && self._queue_c.front().is_some_and(|x| x.0 <= t) {
                self._queue_c.pop_front();
            }
            // Accepted requests, in channel order.
            for (valid, bytes, fetch) in reqs {
                if !valid {
                    continue;
                }
                if !self._bus.can_issue(t) {
                    break;
                }
                let done = self._bus.issue(t, bytes);
                match fetch {
                    Some((2, addr, count)) => {
                        let a = usize::from(addr) * self._lanes_c;
                        let row = (0..self._lanes_c)
                            .map(|l| {
                                if l < usize::from(count) {
                                    self._img_c.get(a + l).copied().unwrap_or_default()
                                } else {
                                    0
                                }
                            })
                            .collect();
                        self._queue_c.push_back((done, count, row));
                    }
                    Some((b, addr, count)) => self._queue[b].push_back((done, addr, count)),
                    None => {
                        self._writes_done = self._writes_done.max(done);
                        self._pending.push_back((
                            self.ch0_addr.val().to_u64() as u16,
                            self.ch0_count.val().to_u64() as u8,
                        ));
                    }
                }
            }
            // A drain's data arrives L_C cycles after its request (after this cycle's fetches
            // have read the image, as the Verilog's non-blocking writes do).
            if self.wvalid.val() {
                if let Some((addr, count)) = self._pending.pop_front() {
                    for l in 0..usize::from(count).min(self._lanes_c) {
                        if let Some(x) = self._img_c.get_mut(usize::from(addr) * self._lanes_c + l)
                        {
                            *x = crate::word::signed_i32(self.wdata[l].val());
                        }
                    }
                }
            }
            self._now += 1;
        }
        // Combinational outputs from the state and this cycle's requests.
        let t = self._now;
        let mut bus = self._bus.clone();
        let mut ready = [false; 4];
        let mut open = true;
        for (k, (valid, bytes, _)) in reqs.into_iter().enumerate() {
            ready[k] = open && bus.can_issue(t);
            if valid && ready[k] {
                bus.issue(t, bytes);
            } else if valid {
                open = false;
            }
        }
        self.ready0.next = ready[0];
        self.ready1.next = ready[1];
        self.ready2.next = ready[2];
        self.ready3.next = ready[3];
        let front_c = self._queue_c.front().filter(|x| x.0 <= t);
        self.resp_c.next = front_c.is_some();
        self.resp_c_count.next = Bits::from(front_c.map_or(0, |x| u64::from(x.1)));
        for (l, d) in self.resp_c_data.iter_mut().enumerate() {
            let v = front_c.map_or(0, |x| x.2[l]);
            d.next = Signed::from(i64::from(v));
        }
        let lanes = self._lanes;
        for b in 0..2 {
            let front = self._queue[b]
                .front()
                .copied()
                .filter(|&(at, _, _)| at <= t);
            let (addr, count) = front.map_or((0, 0), |(_, a, c)| (a, c));
            let (valid, addr_out, count_out, data) = if b == 0 {
                (
                    &mut self.resp_a,
                    &mut self.resp_a_addr,
                    &mut self.resp_a_count,
                    &mut self.resp_a_data,
                )
            } else {
                (
                    &mut self.resp_b,
                    &mut self.resp_b_addr,
                    &mut self.resp_b_count,
                    &mut self.resp_b_data,
                )
            };
            valid.next = front.is_some();
            addr_out.next = Bits::from(u64::from(addr));
            count_out.next = Bits::from(u64::from(count));
            for (l, d) in data.iter_mut().enumerate() {
                let at = usize::from(addr) * lanes + l;
                d.next = if front.is_some() && l < usize::from(count) {
                    self._img[b].get(at).copied().unwrap_or_default()
                } else {
                    Signed::default()
                };
            }
        }
        self.writes_idle.next = self._writes_done <= t;
        let lane = self.host_lane.val().index();
        self.host_rdata.next =
            Signed::from(i64::from(self._hrow.get(lane).copied().unwrap_or_default()));
    }

    fn connect(&mut self) {
        self.ready0.connect();
        self.ready1.connect();
        self.ready2.connect();
        self.ready3.connect();
        self.resp_c.connect();
        self.resp_c_count.connect();
        for d in self.resp_c_data.iter_mut() {
            d.connect();
        }
        self.resp_a.connect();
        self.resp_a_addr.connect();
        self.resp_a_count.connect();
        self.resp_b.connect();
        self.resp_b_addr.connect();
        self.resp_b_count.connect();
        for d in self
            .resp_a_data
            .iter_mut()
            .chain(self.resp_b_data.iter_mut())
        {
            d.connect();
        }
        self.writes_idle.connect();
        self.host_rdata.connect();
    }

    fn hdl(&self) -> Verilog {
        let lanes = self._lanes;
        let (bpc, lat) = (u64::from(self._bytes_per_cycle), u64::from(self._latency));
        // Requests in flight per image: at most one is issued per image per cycle, and each is
        // delivered within the latency plus the bus's booking window (one cycle of requests, at
        // most 1,020 bytes each) plus the one-per-cycle delivery queue.
        // C's refetched rows wait while the array writes their bank: up to a quarter of C (a
        // chunk) more.
        let qn = (lat + 2 * (1020 / bpc + 2) + 16 + self._half / 2).next_power_of_two();
        let depth = |b: usize| self._img[b].len().max(1);
        let lanes_c = self._lanes_c;
        // Drains awaiting their data: at most one per cycle for L_C cycles.
        let pn = (u64::from(self._lat_c) + 4).next_power_of_two();
        let pbits = pn.trailing_zeros().max(1) - 1;
        let (mut hrow_load, mut hrow_pick) = (String::new(), String::new());
        for l in 0..lanes_c {
            hrow_load += &format!("   hrow{l} <= img_c[{{16'd0, host_addr}} * {lanes_c} + {l}];\n");
            hrow_pick += &format!("   if (host_lane == 8'd{l}) host_rdata = hrow{l};\n");
        }
        let hrow_regs: String = (0..lanes_c)
            .map(|l| format!("reg [31:0] hrow{l};\ninitial hrow{l} = 0;\n"))
            .collect();
        let mut wstore = String::new();
        for l in 0..lanes_c {
            wstore += &format!(
                "      if (8'd{l} < p_cnt[p_h[{pbits}:0]]) img_c[{{16'd0, p_addr[p_h[{pbits}:0]]}} * {lanes_c} + {l}] <= wdata${l};\n"
            );
        }
        // A fetch's data is read from the image when the request is accepted and waits in its
        // queue entry: a combinational read of a large array would make Icarus's `always @(*)`
        // sensitive to every word of it.
        let qbits = qn.trailing_zeros().max(1) - 1;
        let (mut data, mut qdata, mut capture) = (String::new(), String::new(), String::new());
        for (x, w, n) in [("a", 8, lanes), ("b", 8, lanes), ("c", 32, lanes_c)] {
            for l in 0..n {
                qdata += &format!("reg [{}:0] q{x}_d{l} [0:QN-1];\n", w - 1);
                data += &format!(
                    "   resp_{x}_data${l} = (resp_{x} && 8'd{l} < q{x}_cnt[q{x}_h[{qbits}:0]]) ? q{x}_d{l}[q{x}_h[{qbits}:0]] : {w}'d0;\n"
                );
            }
        }
        for x in ["a", "b"] {
            capture += &format!("   if (f{x}) begin\n");
            for l in 0..lanes {
                capture += &format!(
                    "      q{x}_d{l}[q{x}_t[{qbits}:0]] <= img_{x}[{{16'd0, f{x}_addr}} * {lanes} + {l}];\n"
                );
            }
            capture += "   end\n";
        }
        let mut capture_c = String::new();
        for l in 0..lanes_c {
            capture_c += &format!(
                "      qc_d{l}[qc_t[{qbits}:0]] <= img_c[{{16'd0, fc_addr}} * {lanes_c} + {l}];\n"
            );
        }
        // Per image: the channel (at most one per cycle) that fetches from it.
        let mut pick = String::new();
        for (x, sel) in [("a", 0), ("b", 1), ("c", 2)] {
            pick += &format!(
                "\
   h{x}1 = acc1 && ch1_sel == 2'd{sel};
   h{x}2 = acc2 && ch2_sel == 2'd{sel};
   h{x}3 = acc3 && ch3_sel == 2'd{sel};
   f{x} = h{x}1 || h{x}2 || h{x}3;
   f{x}_addr = h{x}1 ? ch1_addr : (h{x}2 ? ch2_addr : ch3_addr);
   f{x}_cnt = h{x}1 ? ch1_count : (h{x}2 ? ch2_count : ch3_count);
   f{x}_end = h{x}1 ? e1 : (h{x}2 ? e2 : e3);
"
            );
        }
        Verilog::Custom(format!(
            "\
// Test-bench DRAM model (not synthesizable): see systole-hdl's dram.rs.
localparam [63:0] BPC = 64'd{bpc};
localparam [63:0] LAT = 64'd{lat};
localparam QN = {qn};
localparam PN = {pn};
reg [7:0] img_a [0:{last_a}];
reg [31:0] img_c [0:{last_c}];
{hrow_regs}
reg [15:0] p_addr [0:PN-1];
reg [7:0] p_cnt [0:PN-1];
reg [31:0] p_h, p_t;
reg [7:0] img_b [0:{last_b}];
reg [63:0] qa_at [0:QN-1];
reg [15:0] qa_addr [0:QN-1];
reg [7:0] qa_cnt [0:QN-1];
reg [63:0] qb_at [0:QN-1];
reg [15:0] qb_addr [0:QN-1];
reg [7:0] qb_cnt [0:QN-1];
reg [63:0] qc_at [0:QN-1];
reg [7:0] qc_cnt [0:QN-1];
reg [31:0] qa_h, qa_t, qb_h, qb_t, qc_h, qc_t;
{qdata}reg [63:0] now, booked, wdone;
reg [63:0] lim, floor, e0, e1, e2, e3, b1, b2, b3, b4;
reg acc0, acc1, acc2, acc3;
reg ha1, ha2, ha3, hb1, hb2, hb3, hc1, hc2, hc3, fa, fb, fc;
reg [15:0] fa_addr, fb_addr, fc_addr;
reg [7:0] fa_cnt, fb_cnt, fc_cnt;
reg [63:0] fa_end, fb_end, fc_end;
initial begin
   qa_h = 0; qa_t = 0; qb_h = 0; qb_t = 0; qc_h = 0; qc_t = 0;
   now = 0; booked = 0; wdone = 0; p_h = 0; p_t = 0;
end
// A request of `bytes` booked after slot `b`: it starts no earlier than the latency allows.
function [63:0] book;
   input [63:0] b;
   input [63:0] fl;
   input [63:0] bytes;
   book = ((b > fl) ? b : fl) + bytes;
endfunction
// Bytes of a fetch: one per lane of A or B, four per lane of C.
function [63:0] fbytes;
   input [1:0] sel;
   input [7:0] count;
   fbytes = (sel == 2'd2) ? {{54'd0, count, 2'd0}} : {{56'd0, count}};
endfunction
always @(*) begin
   lim = (now + LAT + 64'd1) * BPC;
   floor = (now + LAT) * BPC;
   // Channels are accepted in order while the bus has room (a prefix of the valid ones).
   ready0 = booked < lim;
   acc0 = ch0_valid && ready0;
   e0 = book(booked, floor, {{54'd0, ch0_count, 2'd0}});
   b1 = acc0 ? e0 : booked;
   ready1 = (!ch0_valid || ready0) && (b1 < lim);
   acc1 = ch1_valid && ready1;
   e1 = book(b1, floor, fbytes(ch1_sel, ch1_count));
   b2 = acc1 ? e1 : b1;
   ready2 = (!ch0_valid || ready0) && (!ch1_valid || ready1) && (b2 < lim);
   acc2 = ch2_valid && ready2;
   e2 = book(b2, floor, fbytes(ch2_sel, ch2_count));
   b3 = acc2 ? e2 : b2;
   ready3 = (!ch0_valid || ready0) && (!ch1_valid || ready1) && (!ch2_valid || ready2) && (b3 < lim);
   acc3 = ch3_valid && ready3;
   e3 = book(b3, floor, fbytes(ch3_sel, ch3_count));
   b4 = acc3 ? e3 : b3;
{pick}   resp_a = (qa_h != qa_t) && (qa_at[qa_h[{qbits}:0]] <= now);
   resp_b = (qb_h != qb_t) && (qb_at[qb_h[{qbits}:0]] <= now);
   resp_c = (qc_h != qc_t) && (qc_at[qc_h[{qbits}:0]] <= now);
   resp_a_addr = resp_a ? qa_addr[qa_h[{qbits}:0]] : 16'd0;
   resp_a_count = resp_a ? qa_cnt[qa_h[{qbits}:0]] : 8'd0;
   resp_b_addr = resp_b ? qb_addr[qb_h[{qbits}:0]] : 16'd0;
   resp_b_count = resp_b ? qb_cnt[qb_h[{qbits}:0]] : 8'd0;
   resp_c_count = resp_c ? qc_cnt[qc_h[{qbits}:0]] : 8'd0;
{data}   writes_idle = wdone <= now;
end
// The host reads a row of C's image (registered: the array is large), then its lanes.
always @(posedge clock) if (host_re) begin
{hrow_load}end
always @(*) begin
   host_rdata = 32'd0;
{hrow_pick}end
always @(posedge clock) begin
   if (host_we && host_sel == 2'd1) img_a[{{16'd0, host_addr}} * {lanes} + {{24'd0, host_lane}}] <= host_data;
   if (host_we && host_sel == 2'd2) img_b[{{16'd0, host_addr}} * {lanes} + {{24'd0, host_lane}}] <= host_data;
   if (resp_a) qa_h <= qa_h + 32'd1;
   if (resp_b) qb_h <= qb_h + 32'd1;
   if (resp_c && take_c) qc_h <= qc_h + 32'd1;
   if (acc0 && (e0 + BPC - 64'd1) / BPC > wdone) wdone <= (e0 + BPC - 64'd1) / BPC;
   // A drain's address waits for its data, L_C cycles behind.
   if (acc0) begin
      p_addr[p_t[{pbits}:0]] <= ch0_addr; p_cnt[p_t[{pbits}:0]] <= ch0_count; p_t <= p_t + 32'd1;
   end
   if (wvalid) begin
{wstore}      p_h <= p_h + 32'd1;
   end
   if (fa) begin
      qa_at[qa_t[{qbits}:0]] <= (fa_end + BPC - 64'd1) / BPC; qa_addr[qa_t[{qbits}:0]] <= fa_addr;
      qa_cnt[qa_t[{qbits}:0]] <= fa_cnt; qa_t <= qa_t + 32'd1;
   end
   if (fb) begin
      qb_at[qb_t[{qbits}:0]] <= (fb_end + BPC - 64'd1) / BPC; qb_addr[qb_t[{qbits}:0]] <= fb_addr;
      qb_cnt[qb_t[{qbits}:0]] <= fb_cnt; qb_t <= qb_t + 32'd1;
   end
   if (fc) begin
      qc_at[qc_t[{qbits}:0]] <= (fc_end + BPC - 64'd1) / BPC; qc_cnt[qc_t[{qbits}:0]] <= fc_cnt;
      qc_t <= qc_t + 32'd1;
{capture_c}   end
{capture}   if (qa_t - qa_h > QN - 4 || qb_t - qb_h > QN - 4 || qc_t - qc_h > QN - 4) begin
      $display(\"internal error: the DRAM model's response queue overflowed\");
      $finish;
   end
   booked <= b4;
   now <= now + 64'd1;
end
",
            last_a = depth(0) - 1,
            last_c = (self._img_c.len() / lanes_c).max(1) * lanes_c - 1,
            pn = pn,
            pbits = pn.trailing_zeros().max(1) - 1,
            last_b = depth(1) - 1,
            qbits = qbits,
        ))
    }
}
