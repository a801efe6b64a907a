//! The simulation top: the [`Accelerator`] with its memory port served by the [`DramModel`].
//! Its ports are the accelerator's host-facing ones ([`crate::interface::TOP_PORTS`]), so the three
//! backends drive it as they drove the accelerator; with the DRAM memory model, the host port's
//! writes of A and B fill DRAM's images instead of the buffers, and the run fetches them.

use rust_hdl::prelude::*;
use systole_sim::config::{ArchConfig, MemoryModel};

use crate::blocks::top::{Accelerator, BufferGeometry};
use crate::netlist::{and, eq, lit, not, or, sig, wires, Kernel};
use crate::tb::dram::DramModel;

/// The accelerator and its DRAM (see the module doc).
#[derive(LogicBlock)]
pub struct SimTop {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// Start command (see [`Accelerator`]).
    pub start: Signal<In, Bit>,
    /// M.
    pub cmd_m: Signal<In, Bits<16>>,
    /// N.
    pub cmd_n: Signal<In, Bits<16>>,
    /// K.
    pub cmd_k: Signal<In, Bits<16>>,
    /// Dataflow.
    pub cmd_mode: Signal<In, Bits<2>>,
    /// Base of A.
    pub cmd_a_base: Signal<In, Bits<16>>,
    /// Base of B.
    pub cmd_b_base: Signal<In, Bits<16>>,
    /// Base of C.
    pub cmd_c_base: Signal<In, Bits<16>>,
    /// Reuse of A.
    pub cmd_a_reuse: Signal<In, Bits<2>>,
    /// Reuse of B.
    pub cmd_b_reuse: Signal<In, Bits<2>>,
    /// Spill: chunks per fold (0: none).
    pub cmd_c_chunks: Signal<In, Bits<16>>,
    /// Spill: rows per chunk.
    pub cmd_c_chunk: Signal<In, Bits<16>>,
    /// Spill: chunks with one row more.
    pub cmd_c_chunk_rem: Signal<In, Bits<16>>,
    /// Host port: buffer (or DRAM image) select.
    pub host_sel: Signal<In, Bits<2>>,
    /// Host port: write.
    pub host_we: Signal<In, Bit>,
    /// Host port: vector address.
    pub host_addr: Signal<In, Bits<16>>,
    /// Host port: lane.
    pub host_lane: Signal<In, Bits<8>>,
    /// Host port: value.
    pub host_wdata: Signal<In, Signed<8>>,
    /// Host port: read C.
    pub host_re: Signal<In, Bit>,
    /// Counter select.
    pub ctr_sel: Signal<In, Bits<8>>,
    /// External stall.
    pub stall: Signal<In, Bit>,
    /// Host port: read data.
    pub host_rdata: Signal<Out, Signed<32>>,
    /// Busy.
    pub busy: Signal<Out, Bit>,
    /// Done.
    pub done: Signal<Out, Bit>,
    /// A fold's first stream read.
    pub fold_start: Signal<Out, Bit>,
    /// Run state.
    pub running: Signal<Out, Bit>,
    /// Counter, low half.
    pub ctr_lo: Signal<Out, Bits<32>>,
    /// Counter, high half.
    pub ctr_hi: Signal<Out, Bits<32>>,
    /// The accelerator.
    pub acc: Accelerator,
    /// Its DRAM.
    pub dram: DramModel,
    _dram: bool,
}

impl SimTop {
    /// The accelerator of `cfg` with its DRAM.
    pub fn new(cfg: &ArchConfig) -> Result<Self, crate::error::HdlError> {
        let g = BufferGeometry::of(cfg);
        Ok(SimTop {
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
            host_sel: Default::default(),
            host_we: Default::default(),
            host_addr: Default::default(),
            host_lane: Default::default(),
            host_wdata: Default::default(),
            host_re: Default::default(),
            ctr_sel: Default::default(),
            stall: Default::default(),
            host_rdata: Default::default(),
            busy: Default::default(),
            done: Default::default(),
            fold_start: Default::default(),
            running: Default::default(),
            ctr_lo: Default::default(),
            ctr_hi: Default::default(),
            acc: Accelerator::new(cfg)?,
            dram: DramModel::new(cfg, g.lanes_ab),
            _dram: cfg.memory == MemoryModel::Dram,
        })
    }
}

// The bench's plain wires, each declared once (`netlist::wires!`): the host-facing ports pass to
// the accelerator and back, and the memory port joins the accelerator to the DRAM model.
wires!(SimTop {
    acc.clock <= top.clock;
    dram.clock <= top.clock;
    acc.start <= top.start;
    acc.cmd_m <= top.cmd_m;
    acc.cmd_n <= top.cmd_n;
    acc.cmd_k <= top.cmd_k;
    acc.cmd_mode <= top.cmd_mode;
    acc.cmd_a_base <= top.cmd_a_base;
    acc.cmd_b_base <= top.cmd_b_base;
    acc.cmd_c_base <= top.cmd_c_base;
    acc.cmd_a_reuse <= top.cmd_a_reuse;
    acc.cmd_b_reuse <= top.cmd_b_reuse;
    acc.cmd_c_chunks <= top.cmd_c_chunks;
    acc.cmd_c_chunk <= top.cmd_c_chunk;
    acc.cmd_c_chunk_rem <= top.cmd_c_chunk_rem;
    acc.host_sel <= top.host_sel;
    acc.host_addr <= top.host_addr;
    acc.host_lane <= top.host_lane;
    acc.host_wdata <= top.host_wdata;
    acc.host_re <= top.host_re;
    acc.ctr_sel <= top.ctr_sel;
    acc.stall <= top.stall;
    top.busy <= acc.busy;
    top.done <= acc.done;
    top.fold_start <= acc.fold_start;
    top.running <= acc.running;
    top.ctr_lo <= acc.ctr_lo;
    top.ctr_hi <= acc.ctr_hi;
    // The host's operands and results, when they live in DRAM.
    dram.host_sel <= top.host_sel;
    dram.host_addr <= top.host_addr;
    dram.host_lane <= top.host_lane;
    dram.host_data <= top.host_wdata;
    dram.host_re <= top.host_re;
    // The memory port: requests.
    dram.ch0_valid <= acc.mem_ch0_valid;
    dram.ch0_count <= acc.mem_ch0_count;
    dram.ch0_addr <= acc.mem_ch0_addr;
    dram.wvalid <= acc.mem_wvalid;
    dram.wdata[] <= acc.mem_wdata[];
    dram.ch1_valid <= acc.mem_ch1_valid;
    dram.ch1_sel <= acc.mem_ch1_sel;
    dram.ch1_addr <= acc.mem_ch1_addr;
    dram.ch1_count <= acc.mem_ch1_count;
    dram.ch2_valid <= acc.mem_ch2_valid;
    dram.ch2_sel <= acc.mem_ch2_sel;
    dram.ch2_addr <= acc.mem_ch2_addr;
    dram.ch2_count <= acc.mem_ch2_count;
    dram.ch3_valid <= acc.mem_ch3_valid;
    dram.ch3_sel <= acc.mem_ch3_sel;
    dram.ch3_addr <= acc.mem_ch3_addr;
    dram.ch3_count <= acc.mem_ch3_count;
    dram.take_c <= acc.mem_take_c;
    // The memory port: responses.
    acc.mem_ready0 <= dram.ready0;
    acc.mem_ready1 <= dram.ready1;
    acc.mem_ready2 <= dram.ready2;
    acc.mem_ready3 <= dram.ready3;
    acc.mem_resp_c <= dram.resp_c;
    acc.mem_resp_c_count <= dram.resp_c_count;
    acc.mem_resp_c_data[] <= dram.resp_c_data[];
    acc.mem_resp_a <= dram.resp_a;
    acc.mem_resp_a_addr <= dram.resp_a_addr;
    acc.mem_resp_a_count <= dram.resp_a_count;
    acc.mem_resp_a_data[] <= dram.resp_a_data[];
    acc.mem_resp_b <= dram.resp_b;
    acc.mem_resp_b_addr <= dram.resp_b_addr;
    acc.mem_resp_b_count <= dram.resp_b_count;
    acc.mem_resp_b_data[] <= dram.resp_b_data[];
    acc.mem_writes_idle <= dram.writes_idle;
});

impl Logic for SimTop {
    fn update(&mut self) {
        self.wires_update();
        // With DRAM, the host's operands go to DRAM and the run fetches them; the output stage's
        // parameters always go to the accelerator.
        let host_we = self.host_we.val();
        self.acc.host_we.next = host_we
            && (!self._dram || self.host_sel.val().to_u64() == crate::interface::HOST_SEL_STAGE);
        self.dram.host_we.next = host_we && self._dram;
        // With DRAM, results are read from DRAM.
        self.host_rdata.next = if self._dram {
            self.dram.host_rdata.val()
        } else {
            self.acc.host_rdata.val()
        };
    }

    fn connect(&mut self) {
        self.wires_connect();
        self.acc.host_we.connect();
        self.dram.host_we.connect();
        self.host_rdata.connect();
    }

    fn hdl(&self) -> Verilog {
        let mut k = Kernel::default();
        self.wires_hdl(&mut k);
        let dram = lit(u64::from(self._dram), 1);
        k.assign(
            "acc$host_we",
            and(
                sig("host_we"),
                or(
                    not(dram.clone()),
                    eq(sig("host_sel"), lit(crate::interface::HOST_SEL_STAGE, 2)),
                ),
            ),
        );
        k.assign("dram$host_we", and(sig("host_we"), dram));
        k.assign(
            "host_rdata",
            sig(if self._dram {
                "dram$host_rdata"
            } else {
                "acc$host_rdata"
            }),
        );
        k.finish()
    }
}
