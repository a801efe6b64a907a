//! The DRAM a simulation serves the accelerator's memory port with: the fast model's bus
//! ([`DramBus`]: in order, `bytes_per_cycle` per cycle, a fixed latency), and the operand images
//! of A and B at the addresses the DMA fetches from. It is a test-bench model, not hardware:
//! rust-hdl simulates it through `DramBus` itself, and Icarus and Verilator run the behavioural
//! Verilog below, which does the same arithmetic in byte slots; the cross-backend tests hold the
//! three to each other and to the fast model.
//!
//! Per cycle: the request channels 0 (a C drain of `4 x count` bytes), 1 and 2 (fetches of
//! `count` bytes) are accepted in order while the bus can take a request (`ready0..2`); each
//! accepted fetch's vector is returned once its bytes have crossed the bus, one per buffer per
//! cycle, oldest first (`resp_a`, `resp_b` with the address, lanes and data); `writes_idle` says
//! that every drained byte has left.

use std::collections::VecDeque;

use rust_hdl::prelude::*;
use systole_sim::config::ArchConfig;
use systole_sim::memory::dram::DramBus;

use crate::netlist::vec_of;

/// Vectors of each image: every 16-bit address.
const VECTORS: usize = 1 << 16;

/// A request on a channel: (valid, bytes, for a fetch its (image, address, lanes)).
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
    /// Channel 1: fetch of `ch1_count` lanes at `ch1_addr` of A (or B when `ch1_b`).
    pub ch1_valid: Signal<In, Bit>,
    /// Buffer B.
    pub ch1_b: Signal<In, Bit>,
    /// Address.
    pub ch1_addr: Signal<In, Bits<16>>,
    /// Lanes.
    pub ch1_count: Signal<In, Bits<8>>,
    /// Channel 2: a second fetch.
    pub ch2_valid: Signal<In, Bit>,
    /// Buffer B.
    pub ch2_b: Signal<In, Bit>,
    /// Address.
    pub ch2_addr: Signal<In, Bits<16>>,
    /// Lanes.
    pub ch2_count: Signal<In, Bits<8>>,
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
            ch1_b: Default::default(),
            ch1_addr: Default::default(),
            ch1_count: Default::default(),
            ch2_valid: Default::default(),
            ch2_b: Default::default(),
            ch2_addr: Default::default(),
            ch2_count: Default::default(),
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
    fn requests(&self) -> [Request; 3] {
        let fetch = |v: bool, b: bool, addr: Bits<16>, count: Bits<8>| {
            let n = count.to_u64();
            (v, n, Some((usize::from(b), addr.to_u64() as u16, n as u8)))
        };
        [
            (
                self.ch0_valid.val(),
                4 * self.ch0_count.val().to_u64(),
                None,
            ),
            fetch(
                self.ch1_valid.val(),
                self.ch1_b.val(),
                self.ch1_addr.val(),
                self.ch1_count.val(),
            ),
            fetch(
                self.ch2_valid.val(),
                self.ch2_b.val(),
                self.ch2_addr.val(),
                self.ch2_count.val(),
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
            // A drain's data arrives L_C cycles after its request.
            if self.wvalid.val() {
                if let Some((addr, count)) = self._pending.pop_front() {
                    for l in 0..usize::from(count).min(self._lanes_c) {
                        if let Some(x) = self._img_c.get_mut(usize::from(addr) * self._lanes_c + l)
                        {
                            *x = crate::rtl::signed_i32(self.wdata[l].val());
                        }
                    }
                }
            }
            // Deliveries shown this cycle leave their queues.
            for q in self._queue.iter_mut() {
                if q.front().is_some_and(|&(at, _, _)| at <= t) {
                    q.pop_front();
                }
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
            self._now += 1;
        }
        // Combinational outputs from the state and this cycle's requests.
        let t = self._now;
        let mut bus = self._bus.clone();
        let mut ready = [false; 3];
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
        // most 255 bytes each) plus the one-per-cycle delivery queue.
        let qn = (lat + 2 * (255 / bpc + 2) + 16).next_power_of_two();
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
        // A fetch's data is read from the image when the request is accepted (the images do not
        // change during a run) and waits in its queue entry: a combinational read of a large
        // array would make Icarus's `always @(*)` sensitive to every word of it.
        let qbits = qn.trailing_zeros().max(1) - 1;
        let (mut data, mut qdata, mut capture) = (String::new(), String::new(), String::new());
        for x in ["a", "b"] {
            for l in 0..lanes {
                qdata += &format!("reg [7:0] q{x}_d{l} [0:QN-1];\n");
                data += &format!(
                    "   resp_{x}_data${l} = (resp_{x} && 8'd{l} < q{x}_cnt[q{x}_h[{qbits}:0]]) ? q{x}_d{l}[q{x}_h[{qbits}:0]] : 8'd0;\n"
                );
            }
        }
        for (ch, slot) in [(1, 1), (2, 2)] {
            for (x, cond) in [("a", "!"), ("b", "")] {
                capture += &format!("   if (acc{ch} && {cond}ch{ch}_b) begin\n");
                for l in 0..lanes {
                    capture += &format!(
                        "      q{x}_d{l}[q{x}_{slot}] <= img_{x}[{{16'd0, ch{ch}_addr}} * {lanes} + {l}];\n"
                    );
                }
                capture += "   end\n";
            }
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
reg [31:0] qa_h, qa_t, qb_h, qb_t;
{qdata}reg [63:0] now, booked, wdone;
reg [63:0] lim, floor, e0, e1, e2, b1, b2, b3;
reg acc0, acc1, acc2;
reg [{qbits}:0] qa_1, qa_2, qb_1, qb_2;
initial begin
   qa_h = 0; qa_t = 0; qb_h = 0; qb_t = 0; now = 0; booked = 0; wdone = 0; p_h = 0; p_t = 0;
end
// A request of `bytes` booked after slot `b`: it starts no earlier than the latency allows.
function [63:0] book;
   input [63:0] b;
   input [63:0] fl;
   input [63:0] bytes;
   book = ((b > fl) ? b : fl) + bytes;
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
   e1 = book(b1, floor, {{56'd0, ch1_count}});
   b2 = acc1 ? e1 : b1;
   ready2 = (!ch0_valid || ready0) && (!ch1_valid || ready1) && (b2 < lim);
   acc2 = ch2_valid && ready2;
   e2 = book(b2, floor, {{56'd0, ch2_count}});
   b3 = acc2 ? e2 : b2;
   // Queue slots of the fetches accepted on channels 1 and 2.
   qa_1 = qa_t[{qbits}:0];
   qb_1 = qb_t[{qbits}:0];
   qa_2 = qa_t[{qbits}:0] + {{{{{qbits}{{1'b0}}}}, acc1 && !ch1_b}};
   qb_2 = qb_t[{qbits}:0] + {{{{{qbits}{{1'b0}}}}, acc1 && ch1_b}};
   resp_a = (qa_h != qa_t) && (qa_at[qa_h[{qbits}:0]] <= now);
   resp_b = (qb_h != qb_t) && (qb_at[qb_h[{qbits}:0]] <= now);
   resp_a_addr = resp_a ? qa_addr[qa_h[{qbits}:0]] : 16'd0;
   resp_a_count = resp_a ? qa_cnt[qa_h[{qbits}:0]] : 8'd0;
   resp_b_addr = resp_b ? qb_addr[qb_h[{qbits}:0]] : 16'd0;
   resp_b_count = resp_b ? qb_cnt[qb_h[{qbits}:0]] : 8'd0;
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
   if (acc0 && (e0 + BPC - 64'd1) / BPC > wdone) wdone <= (e0 + BPC - 64'd1) / BPC;
   // A drain's address waits for its data, L_C cycles behind.
   if (acc0) begin
      p_addr[p_t[{pbits}:0]] <= ch0_addr; p_cnt[p_t[{pbits}:0]] <= ch0_count; p_t <= p_t + 32'd1;
   end
   if (wvalid) begin
{wstore}      p_h <= p_h + 32'd1;
   end
   if (acc1 && ch1_b) begin
      qb_at[qb_1] <= (e1 + BPC - 64'd1) / BPC; qb_addr[qb_1] <= ch1_addr; qb_cnt[qb_1] <= ch1_count;
   end
   if (acc1 && !ch1_b) begin
      qa_at[qa_1] <= (e1 + BPC - 64'd1) / BPC; qa_addr[qa_1] <= ch1_addr; qa_cnt[qa_1] <= ch1_count;
   end
   if (acc2 && ch2_b) begin
      qb_at[qb_2] <= (e2 + BPC - 64'd1) / BPC; qb_addr[qb_2] <= ch2_addr; qb_cnt[qb_2] <= ch2_count;
   end
   if (acc2 && !ch2_b) begin
      qa_at[qa_2] <= (e2 + BPC - 64'd1) / BPC; qa_addr[qa_2] <= ch2_addr; qa_cnt[qa_2] <= ch2_count;
   end
{capture}   qa_t <= qa_t + {{31'd0, acc1 && !ch1_b}} + {{31'd0, acc2 && !ch2_b}};
   qb_t <= qb_t + {{31'd0, acc1 && ch1_b}} + {{31'd0, acc2 && ch2_b}};
   if (qa_t - qa_h > QN - 4 || qb_t - qb_h > QN - 4) begin
      $display(\"internal error: the DRAM model's response queue overflowed\");
      $finish;
   end
   booked <= b3;
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
