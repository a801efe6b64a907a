//! The on-chip buffers: synchronous SRAMs that hold edge vectors, one RAM per lane (an int8 or
//! int32 column of the vector), written so that Yosys maps each to block RAM. A read issued in
//! cycle `t` is at the output during `t + L` (the RAM's own output register, then `L - 1`
//! pipeline registers); it returns what the RAM held when the read was issued (read-first).
//! Beside the data, a sideband pipeline of the same length carries the read's valid-lane count,
//! markers and preload tag, so that they reach the edge with the data (the contract's "delay
//! line beside each SRAM"). A read-side clock enable freezes reads and both pipelines for a
//! stalled cycle; writes go on (the DMA writes A and B while the array stalls).

use rust_hdl::prelude::*;

use crate::netlist::vec_of;

/// One lane of a buffer: a `depth x T` RAM with registered read and a read latency of
/// `latency` cycles. Lanes outside the read's valid count are forced to zero at the output.
#[derive(LogicBlock)]
pub struct LaneMem<T: Synth> {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// Clock enable of the read side (low: a stalled cycle; no read is issued and the RAM's
    /// output register and pipeline hold). Writes do not depend on it.
    pub en: Signal<In, Bit>,
    /// Read enable.
    pub re: Signal<In, Bit>,
    /// Read address.
    pub raddr: Signal<In, Bits<16>>,
    /// Write enable.
    pub we: Signal<In, Bit>,
    /// Write address.
    pub waddr: Signal<In, Bits<16>>,
    /// Write data.
    pub wdata: Signal<In, T>,
    /// The lane is valid in the read now at the output.
    pub out_en: Signal<In, Bit>,
    /// Read data at the output.
    pub rdata: Signal<Out, T>,
    /// The DMA's read port: read enable (not gated by `en`: the DMA works while the array stalls).
    pub re2: Signal<In, Bit>,
    /// The DMA's read address.
    pub raddr2: Signal<In, Bits<16>>,
    /// The DMA's read data, `latency` cycles after `re2`.
    pub rdata2: Signal<Out, T>,
    /// The DMA's write port (C's refetched partial sums); the DMA never writes the bank the
    /// datapath writes in the same cycle.
    pub we2: Signal<In, Bit>,
    /// The DMA's write address.
    pub waddr2: Signal<In, Bits<16>>,
    /// The DMA's write data.
    pub wdata2: Signal<In, T>,
    _mem: Vec<T>,
    /// Banked (C with DRAM): rows `0..split` and `split..` are two RAMs, each with one write
    /// port that the datapath and the DMA share; 0: one RAM without the DMA's write port.
    _split: usize,
    _stages: Vec<T>,
    _stages2: Vec<T>,
}

impl<T: Synth> LaneMem<T> {
    /// A lane in two banks, rows `0..split` and `split..depth`, with the DMA's write port
    /// (`split` 0: one bank, no DMA write port).
    pub fn banked(depth: usize, latency: usize, split: usize) -> Self {
        assert!(latency >= 1 && depth >= 1 && split < depth);
        LaneMem {
            clock: Default::default(),
            en: Default::default(),
            re: Default::default(),
            raddr: Default::default(),
            we: Default::default(),
            waddr: Default::default(),
            wdata: Default::default(),
            out_en: Default::default(),
            rdata: Default::default(),
            re2: Default::default(),
            raddr2: Default::default(),
            rdata2: Default::default(),
            we2: Default::default(),
            waddr2: Default::default(),
            wdata2: Default::default(),
            _mem: vec![T::default(); depth],
            _split: split,
            _stages: vec![T::default(); latency],
            _stages2: vec![T::default(); latency],
        }
    }

    /// Backdoor write (the rust-hdl backend loads operands this way; the Verilog backends use the
    /// host port).
    pub fn poke(&mut self, addr: usize, value: T) {
        self._mem[addr] = value;
    }

    /// Backdoor read.
    pub fn peek(&self, addr: usize) -> T {
        self._mem[addr]
    }
}

impl<T: Synth> Logic for LaneMem<T> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            // Pipeline first (it takes the RAM register's old value), then the read-first RAM.
            let (n, en) = (self._stages.len(), self.en.val());
            if en {
                for s in (1..n).rev() {
                    self._stages[s] = self._stages[s - 1];
                }
            }
            if self.re.val() && en {
                let a = self.raddr.val().index();
                self._stages[0] = self._mem.get(a).copied().unwrap_or_default();
            }
            for s in (1..n).rev() {
                self._stages2[s] = self._stages2[s - 1];
            }
            if self.re2.val() {
                let a = self.raddr2.val().index();
                self._stages2[0] = self._mem.get(a).copied().unwrap_or_default();
            }
            if self.we.val() {
                let a = self.waddr.val().index();
                if a < self._mem.len() {
                    self._mem[a] = self.wdata.val();
                }
            }
            if self._split > 0 && self.we2.val() {
                let a = self.waddr2.val().index();
                let bank = |x: usize| x >= self._split;
                debug_assert!(
                    !self.we.val() || bank(self.waddr.val().index()) != bank(a),
                    "internal error: the datapath and the DMA write the same bank of a buffer in one cycle"
                );
                if a < self._mem.len() {
                    self._mem[a] = self.wdata2.val();
                }
            }
        }
        let last = self._stages[self._stages.len() - 1];
        self.rdata.next = if self.out_en.val() {
            last
        } else {
            T::default()
        };
        self.rdata2.next = self._stages2[self._stages2.len() - 1];
    }

    fn connect(&mut self) {
        self.rdata.connect();
        self.rdata2.connect();
    }

    fn hdl(&self) -> Verilog {
        let w = T::BITS;
        let depth = self._mem.len();
        let n = self._stages.len();
        let mut regs = String::new();
        let mut shifts = String::new();
        let mut shifts2 = String::new();
        for s in 1..n {
            regs += &format!(
                "reg [{m}:0] stage{s};\ninitial stage{s} = 0;\nreg [{m}:0] dstage{s};\ninitial dstage{s} = 0;\n",
                m = w - 1
            );
            shifts += &format!("   stage{s} <= stage{};\n", s - 1);
            shifts2 += &format!("   dstage{s} <= dstage{};\n", s - 1);
        }
        let tail = format!(
            "\
always @(posedge clock) if (en) begin
{shifts}end
always @(posedge clock) begin
{shifts2}end
always @(*) rdata = out_en ? stage{out} : {w}'d0;
always @(*) rdata2 = dstage{out};
",
            out = n - 1,
        );
        let msb = w - 1;
        let split = self._split;
        if split == 0 {
            return Verilog::Custom(format!(
                "\
reg [{msb}:0] mem [0:{last_addr}];
reg [{msb}:0] stage0;
initial stage0 = 0;
{regs}
always @(posedge clock) begin
   if (re & en) stage0 <= mem[raddr];
   if (we) mem[waddr] <= wdata;
end
// The DMA's read port and its own pipeline, which a stall does not hold.
reg [{msb}:0] dstage0;
initial dstage0 = 0;
always @(posedge clock) begin
   if (re2) dstage0 <= mem[raddr2];
end
{tail}",
                last_addr = depth - 1,
            ));
        }
        // Two banks, each one RAM with one write port (the datapath's or, when the datapath
        // does not write that bank, the DMA's) and two read ports (the datapath's and the
        // DMA's), read-first; a read takes both banks' words and picks one a cycle later.
        Verilog::Custom(format!(
            "\
reg [{msb}:0] mem0 [0:{last0}];
reg [{msb}:0] mem1 [0:{last1}];
reg [{msb}:0] r0, r1, d0, d1;
reg rsel, dsel;
initial begin r0 = 0; r1 = 0; d0 = 0; d1 = 0; rsel = 0; dsel = 0; end
wire [15:0] raddr1 = raddr - 16'd{split};
wire [15:0] raddr21 = raddr2 - 16'd{split};
wire w0p = we && waddr < 16'd{split};
wire w1p = we && waddr >= 16'd{split};
wire w0d = we2 && waddr2 < 16'd{split};
wire w1d = we2 && waddr2 >= 16'd{split};
wire [15:0] wa0 = w0p ? waddr : waddr2;
wire [15:0] wa1 = (w1p ? waddr : waddr2) - 16'd{split};
wire [{msb}:0] wd0 = w0p ? wdata : wdata2;
wire [{msb}:0] wd1 = w1p ? wdata : wdata2;
always @(posedge clock) begin
   if (re & en) begin r0 <= mem0[raddr]; r1 <= mem1[raddr1]; rsel <= raddr >= 16'd{split}; end
   if (re2) begin d0 <= mem0[raddr2]; d1 <= mem1[raddr21]; dsel <= raddr2 >= 16'd{split}; end
   if (w0p | w0d) mem0[wa0] <= wd0;
   if (w1p | w1d) mem1[wa1] <= wd1;
end
wire [{msb}:0] stage0 = rsel ? r1 : r0;
wire [{msb}:0] dstage0 = dsel ? d1 : d0;
{regs}
{tail}",
            last0 = split - 1,
            last1 = depth - split - 1,
        ))
    }
}

/// A buffer: `lanes` [`LaneMem`]s sharing one read port, one write port and a host write port,
/// with the sideband pipeline and the per-access bank-word counts for the event counters.
#[derive(LogicBlock)]
pub struct Buffer<T: Synth> {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// Clock enable of the read side: the RAM reads, their pipelines and the sideband pipeline
    /// advance only while it is high (low: a stalled cycle). The write ports do not depend on it.
    pub en: Signal<In, Bit>,
    /// Read request: address, valid lanes (0: nothing is read, only markers travel), markers and
    /// tag.
    pub re: Signal<In, Bit>,
    /// Read address.
    pub raddr: Signal<In, Bits<16>>,
    /// Valid lanes of the read (0: only markers travel).
    pub rcount: Signal<In, Bits<8>>,
    /// Markers travelling with the read.
    pub rflags: Signal<In, Bits<4>>,
    /// Tag travelling with the read.
    pub rtag: Signal<In, Bits<8>>,
    /// Write request: lanes `0..wcount` of `wdata`.
    pub we: Signal<In, Bit>,
    /// Write address.
    pub waddr: Signal<In, Bits<16>>,
    /// Valid lanes of the write.
    pub wcount: Signal<In, Bits<8>>,
    /// Write data.
    pub wdata: Vec<Signal<In, T>>,
    /// Host write of one element (loading operands before a run).
    pub host_we: Signal<In, Bit>,
    /// Host port: lane.
    pub host_lane: Signal<In, Bits<8>>,
    /// Host port: vector address.
    pub host_addr: Signal<In, Bits<16>>,
    /// Host port: the value to write.
    pub host_data: Signal<In, T>,
    /// The read's data `L` cycles later, each lane with its marker bits (bit 0: lane valid).
    pub rdata: Vec<Signal<Out, T>>,
    /// Per lane: marker bits of the read at the output (bit 0: lane valid).
    pub rctl: Vec<Signal<Out, Bits<4>>>,
    /// The read's tag at the output.
    pub rtag_out: Signal<Out, Bits<8>>,
    /// Bank words touched by this cycle's read and write requests.
    pub rwords: Signal<Out, Bits<16>>,
    /// Bank words touched by this cycle's write.
    pub wwords: Signal<Out, Bits<16>>,
    /// The DMA's read port (C's drains): read enable, not held by a stall.
    pub re2: Signal<In, Bit>,
    /// The DMA's read address.
    pub raddr2: Signal<In, Bits<16>>,
    /// The DMA's read data, `L` cycles after `re2` (every lane).
    pub rdata2: Vec<Signal<Out, T>>,
    /// `rdata2` holds a read issued `L` cycles ago.
    pub rvalid2: Signal<Out, Bit>,
    /// The DMA's write port (a banked buffer: C's refetched partial sums): lanes `0..wcount2`.
    pub we2: Signal<In, Bit>,
    /// The DMA's write address.
    pub waddr2: Signal<In, Bits<16>>,
    /// Valid lanes of the DMA's write.
    pub wcount2: Signal<In, Bits<8>>,
    /// The DMA's write data.
    pub wdata2: Vec<Signal<In, T>>,
    /// Bank words touched by this cycle's DMA write.
    pub wwords2: Signal<Out, Bits<16>>,
    mems: Vec<LaneMem<T>>,
    sb_valid2: Vec<DFF<Bit>>,
    sb_count: Vec<DFF<Bits<8>>>,
    sb_flags: Vec<DFF<Bits<4>>>,
    sb_tag: Vec<DFF<Bits<8>>>,
    lane_idx: Vec<Constant<Bits<8>>>,
    words_upto: Vec<Constant<Bits<16>>>,
    k_valid: Constant<Bits<4>>,
    k_zero16: Constant<Bits<16>>,
    count_out: Signal<Local, Bits<8>>,
    flags_out: Signal<Local, Bits<4>>,
}

impl<T: Synth> Buffer<T> {
    /// A buffer of `lanes` lanes of `depth` vectors, read latency `latency`, whose bank words are
    /// `word_bits` wide.
    pub fn new(lanes: usize, depth: usize, latency: usize, word_bits: usize) -> Self {
        Self::banked(lanes, depth, latency, word_bits, 0)
    }

    /// The same in two banks, rows `0..split` and `split..depth`, with the DMA's write port
    /// (`split` 0: one bank, no DMA write port).
    pub fn banked(
        lanes: usize,
        depth: usize,
        latency: usize,
        word_bits: usize,
        split: usize,
    ) -> Self {
        let elem = T::BITS;
        Buffer {
            clock: Default::default(),
            en: Default::default(),
            re: Default::default(),
            raddr: Default::default(),
            rcount: Default::default(),
            rflags: Default::default(),
            rtag: Default::default(),
            we: Default::default(),
            waddr: Default::default(),
            wcount: Default::default(),
            wdata: vec_of(lanes),
            host_we: Default::default(),
            host_lane: Default::default(),
            host_addr: Default::default(),
            host_data: Default::default(),
            rdata: vec_of(lanes),
            rctl: vec_of(lanes),
            rtag_out: Default::default(),
            rwords: Default::default(),
            wwords: Default::default(),
            re2: Default::default(),
            raddr2: Default::default(),
            rdata2: vec_of(lanes),
            rvalid2: Default::default(),
            we2: Default::default(),
            waddr2: Default::default(),
            wcount2: Default::default(),
            wdata2: vec_of(lanes),
            wwords2: Default::default(),
            sb_valid2: vec_of(latency),
            mems: (0..lanes)
                .map(|_| LaneMem::banked(depth, latency, split))
                .collect(),
            sb_count: vec_of(latency),
            sb_flags: vec_of(latency),
            sb_tag: vec_of(latency),
            lane_idx: (0..lanes)
                .map(|l| Constant::new(Bits::<8>::from(l as u64)))
                .collect(),
            // An access to lanes 0..n touches ceil(n x element bits / word bits) bank words.
            words_upto: (0..lanes)
                .map(|l| {
                    Constant::new(Bits::<16>::from(((l + 1) * elem).div_ceil(word_bits) as u64))
                })
                .collect(),
            k_valid: Constant::new(Bits::<4>::from(1u64)),
            k_zero16: Constant::new(Bits::<16>::default()),
            count_out: Default::default(),
            flags_out: Default::default(),
        }
    }

    /// Backdoor write of lane `lane` at `addr`.
    pub fn poke(&mut self, addr: usize, lane: usize, value: T) {
        self.mems[lane].poke(addr, value);
    }

    /// Backdoor read of lane `lane` at `addr`.
    pub fn peek(&self, addr: usize, lane: usize) -> T {
        self.mems[lane].peek(addr)
    }
}

impl<T: Synth> Logic for Buffer<T> {
    #[hdl_gen]
    fn update(&mut self) {
        // The DMA port's valid bit, through its own pipeline (never held).
        for s in 0..self.sb_valid2.len() {
            self.sb_valid2[s].clock.next = self.clock.val();
        }
        self.sb_valid2[0].d.next = self.re2.val();
        for s in 1..self.sb_valid2.len() {
            self.sb_valid2[s].d.next = self.sb_valid2[s - 1].q.val();
        }
        self.rvalid2.next = self.sb_valid2[0].q.val();
        for s in 1..self.sb_valid2.len() {
            self.rvalid2.next = self.sb_valid2[s].q.val();
        }
        // The sideband pipeline: stage 0 takes the request, the last stage is at the output.
        for s in 0..self.sb_count.len() {
            self.sb_count[s].clock.next = self.clock.val();
            self.sb_flags[s].clock.next = self.clock.val();
            self.sb_tag[s].clock.next = self.clock.val();
        }
        self.sb_count[0].d.next = self.rcount.val();
        self.sb_flags[0].d.next = self.rflags.val();
        self.sb_tag[0].d.next = self.rtag.val();
        for s in 1..self.sb_count.len() {
            self.sb_count[s].d.next = self.sb_count[s - 1].q.val();
            self.sb_flags[s].d.next = self.sb_flags[s - 1].q.val();
            self.sb_tag[s].d.next = self.sb_tag[s - 1].q.val();
        }
        if !self.en.val() {
            for s in 0..self.sb_count.len() {
                self.sb_count[s].d.next = self.sb_count[s].q.val();
                self.sb_flags[s].d.next = self.sb_flags[s].q.val();
                self.sb_tag[s].d.next = self.sb_tag[s].q.val();
            }
        }
        self.count_out.next = self.sb_count[0].q.val();
        self.flags_out.next = self.sb_flags[0].q.val();
        self.rtag_out.next = self.sb_tag[0].q.val();
        for s in 1..self.sb_count.len() {
            self.count_out.next = self.sb_count[s].q.val();
            self.flags_out.next = self.sb_flags[s].q.val();
            self.rtag_out.next = self.sb_tag[s].q.val();
        }

        self.rwords.next = self.k_zero16.val();
        self.wwords.next = self.k_zero16.val();
        self.wwords2.next = self.k_zero16.val();
        for l in 0..self.mems.len() {
            self.mems[l].clock.next = self.clock.val();
            self.mems[l].en.next = self.en.val();
            self.mems[l].raddr.next = self.raddr.val();
            self.mems[l].re.next = self.re.val() & (self.rcount.val() > self.lane_idx[l].val());
            self.mems[l].waddr.next = self.waddr.val();
            self.mems[l].wdata.next = self.wdata[l].val();
            self.mems[l].we.next = self.we.val() & (self.wcount.val() > self.lane_idx[l].val());
            if self.host_we.val() & (self.host_lane.val() == self.lane_idx[l].val()) {
                self.mems[l].waddr.next = self.host_addr.val();
                self.mems[l].wdata.next = self.host_data.val();
                self.mems[l].we.next = true;
            }
            self.mems[l].out_en.next = self.count_out.val() > self.lane_idx[l].val();
            self.mems[l].we2.next = self.we2.val() & (self.wcount2.val() > self.lane_idx[l].val());
            self.mems[l].waddr2.next = self.waddr2.val();
            self.mems[l].wdata2.next = self.wdata2[l].val();
            if self.we2.val() & (self.wcount2.val() > self.lane_idx[l].val()) {
                self.wwords2.next = self.words_upto[l].val();
            }
            self.mems[l].re2.next = self.re2.val();
            self.mems[l].raddr2.next = self.raddr2.val();
            self.rdata2[l].next = self.mems[l].rdata2.val();
            self.rdata[l].next = self.mems[l].rdata.val();
            self.rctl[l].next = self.flags_out.val();
            if self.count_out.val() > self.lane_idx[l].val() {
                self.rctl[l].next = self.flags_out.val() | self.k_valid.val();
            }
            if self.re.val() & (self.rcount.val() > self.lane_idx[l].val()) {
                self.rwords.next = self.words_upto[l].val();
            }
            if self.we.val() & (self.wcount.val() > self.lane_idx[l].val()) {
                self.wwords.next = self.words_upto[l].val();
            }
        }
    }
}
