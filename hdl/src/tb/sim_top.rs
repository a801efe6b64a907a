//! The simulation top: the [`Accelerator`] with its memory port served by the [`DramModel`].
//! Its ports are the accelerator's host-facing ones ([`crate::interface::TOP_PORTS`]), so the three
//! backends drive it as they drove the accelerator; with the DRAM memory model, the host port's
//! writes of A and B fill DRAM's images instead of the buffers, and the run fetches them.

use rust_hdl::prelude::*;
use systole_sim::config::{ArchConfig, MemoryModel};

use crate::blocks::top::{Accelerator, BufferGeometry};
use crate::interface::TOP_PORTS;
use crate::netlist::{and, lit, sig, Kernel};
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

/// (accelerator port, DRAM port) names.
type PortPairs<S> = Vec<(S, S)>;

/// (accelerator port, DRAM port) pairs of the memory port, requests then responses.
fn memory_port(
    lanes: usize,
    lanes_c: usize,
) -> (
    PortPairs<&'static str>,
    PortPairs<String>,
    PortPairs<String>,
) {
    let wdata = (0..lanes_c)
        .map(|l| (format!("mem_wdata${l}"), format!("wdata${l}")))
        .collect();
    let req = vec![
        ("mem_ch0_valid", "ch0_valid"),
        ("mem_ch0_count", "ch0_count"),
        ("mem_ch0_addr", "ch0_addr"),
        ("mem_wvalid", "wvalid"),
        ("mem_ch1_valid", "ch1_valid"),
        ("mem_ch1_sel", "ch1_sel"),
        ("mem_ch1_addr", "ch1_addr"),
        ("mem_ch1_count", "ch1_count"),
        ("mem_ch2_valid", "ch2_valid"),
        ("mem_ch2_sel", "ch2_sel"),
        ("mem_ch2_addr", "ch2_addr"),
        ("mem_ch2_count", "ch2_count"),
        ("mem_ch3_valid", "ch3_valid"),
        ("mem_ch3_sel", "ch3_sel"),
        ("mem_ch3_addr", "ch3_addr"),
        ("mem_ch3_count", "ch3_count"),
        ("mem_take_c", "take_c"),
    ];
    let mut resp: Vec<(String, String)> = [
        "ready0",
        "ready1",
        "ready2",
        "ready3",
        "resp_c",
        "resp_c_count",
        "resp_a",
        "resp_a_addr",
        "resp_a_count",
        "resp_b",
        "resp_b_addr",
        "resp_b_count",
        "writes_idle",
    ]
    .iter()
    .map(|p| (format!("mem_{p}"), p.to_string()))
    .collect();
    for x in ["a", "b"] {
        for l in 0..lanes {
            resp.push((
                format!("mem_resp_{x}_data${l}"),
                format!("resp_{x}_data${l}"),
            ));
        }
    }
    for l in 0..lanes_c {
        resp.push((format!("mem_resp_c_data${l}"), format!("resp_c_data${l}")));
    }
    (req, wdata, resp)
}

impl Logic for SimTop {
    fn update(&mut self) {
        let clk = self.clock.val();
        self.acc.clock.next = clk;
        self.dram.clock.next = clk;
        let a = &mut self.acc;
        a.start.next = self.start.val();
        a.cmd_m.next = self.cmd_m.val();
        a.cmd_n.next = self.cmd_n.val();
        a.cmd_k.next = self.cmd_k.val();
        a.cmd_mode.next = self.cmd_mode.val();
        a.cmd_a_base.next = self.cmd_a_base.val();
        a.cmd_b_base.next = self.cmd_b_base.val();
        a.cmd_c_base.next = self.cmd_c_base.val();
        a.cmd_a_reuse.next = self.cmd_a_reuse.val();
        a.cmd_b_reuse.next = self.cmd_b_reuse.val();
        a.cmd_c_chunks.next = self.cmd_c_chunks.val();
        a.cmd_c_chunk.next = self.cmd_c_chunk.val();
        a.cmd_c_chunk_rem.next = self.cmd_c_chunk_rem.val();
        a.host_sel.next = self.host_sel.val();
        // With DRAM, the host's operands go to DRAM and the run fetches them; the output stage's
        // parameters always go to the accelerator.
        a.host_we.next = self.host_we.val()
            && (!self._dram || self.host_sel.val().to_u64() == crate::interface::HOST_SEL_STAGE);
        a.host_addr.next = self.host_addr.val();
        a.host_lane.next = self.host_lane.val();
        a.host_wdata.next = self.host_wdata.val();
        a.host_re.next = self.host_re.val();
        a.ctr_sel.next = self.ctr_sel.val();
        a.stall.next = self.stall.val();
        let d = &mut self.dram;
        d.host_we.next = self.host_we.val() && self._dram;
        d.host_sel.next = self.host_sel.val();
        d.host_addr.next = self.host_addr.val();
        d.host_lane.next = self.host_lane.val();
        d.host_data.next = self.host_wdata.val();
        d.host_re.next = self.host_re.val();
        d.ch0_valid.next = a.mem_ch0_valid.val();
        d.ch0_count.next = a.mem_ch0_count.val();
        d.ch0_addr.next = a.mem_ch0_addr.val();
        d.wvalid.next = a.mem_wvalid.val();
        for (x, y) in d.wdata.iter_mut().zip(&a.mem_wdata) {
            x.next = y.val();
        }
        d.ch1_valid.next = a.mem_ch1_valid.val();
        d.ch1_sel.next = a.mem_ch1_sel.val();
        d.ch1_addr.next = a.mem_ch1_addr.val();
        d.ch1_count.next = a.mem_ch1_count.val();
        d.ch2_valid.next = a.mem_ch2_valid.val();
        d.ch2_sel.next = a.mem_ch2_sel.val();
        d.ch2_addr.next = a.mem_ch2_addr.val();
        d.ch2_count.next = a.mem_ch2_count.val();
        d.ch3_valid.next = a.mem_ch3_valid.val();
        d.ch3_sel.next = a.mem_ch3_sel.val();
        d.ch3_addr.next = a.mem_ch3_addr.val();
        d.ch3_count.next = a.mem_ch3_count.val();
        d.take_c.next = a.mem_take_c.val();
        a.mem_ready0.next = d.ready0.val();
        a.mem_ready1.next = d.ready1.val();
        a.mem_ready2.next = d.ready2.val();
        a.mem_ready3.next = d.ready3.val();
        a.mem_resp_c.next = d.resp_c.val();
        a.mem_resp_c_count.next = d.resp_c_count.val();
        for (x, y) in a.mem_resp_c_data.iter_mut().zip(&d.resp_c_data) {
            x.next = y.val();
        }
        a.mem_resp_a.next = d.resp_a.val();
        a.mem_resp_a_addr.next = d.resp_a_addr.val();
        a.mem_resp_a_count.next = d.resp_a_count.val();
        a.mem_resp_b.next = d.resp_b.val();
        a.mem_resp_b_addr.next = d.resp_b_addr.val();
        a.mem_resp_b_count.next = d.resp_b_count.val();
        a.mem_writes_idle.next = d.writes_idle.val();
        for (x, y) in a.mem_resp_a_data.iter_mut().zip(&d.resp_a_data) {
            x.next = y.val();
        }
        for (x, y) in a.mem_resp_b_data.iter_mut().zip(&d.resp_b_data) {
            x.next = y.val();
        }
        // With DRAM, results are read from DRAM.
        self.host_rdata.next = if self._dram {
            d.host_rdata.val()
        } else {
            a.host_rdata.val()
        };
        self.busy.next = a.busy.val();
        self.done.next = a.done.val();
        self.fold_start.next = a.fold_start.val();
        self.running.next = a.running.val();
        self.ctr_lo.next = a.ctr_lo.val();
        self.ctr_hi.next = a.ctr_hi.val();
    }

    fn connect(&mut self) {
        let a = &mut self.acc;
        for x in [
            &mut a.clock as &mut dyn Block,
            &mut a.start,
            &mut a.cmd_m,
            &mut a.cmd_n,
            &mut a.cmd_k,
            &mut a.cmd_mode,
            &mut a.cmd_a_base,
            &mut a.cmd_b_base,
            &mut a.cmd_c_base,
            &mut a.cmd_a_reuse,
            &mut a.cmd_b_reuse,
            &mut a.cmd_c_chunks,
            &mut a.cmd_c_chunk,
            &mut a.cmd_c_chunk_rem,
            &mut a.host_sel,
            &mut a.host_we,
            &mut a.host_addr,
            &mut a.host_lane,
            &mut a.host_wdata,
            &mut a.host_re,
            &mut a.ctr_sel,
            &mut a.stall,
            &mut a.mem_ready0,
            &mut a.mem_ready1,
            &mut a.mem_ready2,
            &mut a.mem_ready3,
            &mut a.mem_resp_c,
            &mut a.mem_resp_c_count,
            &mut a.mem_resp_a,
            &mut a.mem_resp_a_addr,
            &mut a.mem_resp_a_count,
            &mut a.mem_resp_b,
            &mut a.mem_resp_b_addr,
            &mut a.mem_resp_b_count,
            &mut a.mem_writes_idle,
        ] {
            x.connect();
        }
        for x in a
            .mem_resp_a_data
            .iter_mut()
            .chain(a.mem_resp_b_data.iter_mut())
        {
            x.connect();
        }
        for x in a.mem_resp_c_data.iter_mut() {
            x.connect();
        }
        let d = &mut self.dram;
        for x in [
            &mut d.clock as &mut dyn Block,
            &mut d.ch0_valid,
            &mut d.ch0_count,
            &mut d.ch0_addr,
            &mut d.wvalid,
            &mut d.ch1_valid,
            &mut d.ch1_sel,
            &mut d.ch1_addr,
            &mut d.ch1_count,
            &mut d.ch2_valid,
            &mut d.ch2_sel,
            &mut d.ch2_addr,
            &mut d.ch2_count,
            &mut d.ch3_valid,
            &mut d.ch3_sel,
            &mut d.ch3_addr,
            &mut d.ch3_count,
            &mut d.take_c,
            &mut d.host_we,
            &mut d.host_sel,
            &mut d.host_addr,
            &mut d.host_lane,
            &mut d.host_data,
            &mut d.host_re,
        ] {
            x.connect();
        }
        for x in d.wdata.iter_mut() {
            x.connect();
        }
        for x in [
            &mut self.host_rdata as &mut dyn Block,
            &mut self.busy,
            &mut self.done,
            &mut self.fold_start,
            &mut self.running,
            &mut self.ctr_lo,
            &mut self.ctr_hi,
        ] {
            x.connect();
        }
    }

    fn hdl(&self) -> Verilog {
        let mut k = Kernel::default();
        k.assign("acc$clock", sig("clock"));
        k.assign("dram$clock", sig("clock"));
        let dram = lit(u64::from(self._dram), 1);
        for &(p, input, _) in TOP_PORTS.iter() {
            match (p, input) {
                ("host_we", _) => {
                    k.assign(
                        "acc$host_we",
                        and(
                            sig("host_we"),
                            crate::netlist::or(
                                crate::netlist::not(dram.clone()),
                                crate::netlist::eq(
                                    sig("host_sel"),
                                    crate::netlist::lit(crate::interface::HOST_SEL_STAGE, 2),
                                ),
                            ),
                        ),
                    );
                    k.assign("dram$host_we", and(sig("host_we"), dram.clone()));
                }
                ("host_rdata", _) if self._dram => k.assign(p, sig("dram$host_rdata")),
                (_, true) => k.assign(format!("acc${p}"), sig(p)),
                (_, false) => k.assign(p, sig(format!("acc${p}"))),
            }
        }
        for (p, q) in [
            ("host_sel", "host_sel"),
            ("host_addr", "host_addr"),
            ("host_lane", "host_lane"),
            ("host_data", "host_wdata"),
            ("host_re", "host_re"),
        ] {
            k.assign(format!("dram${p}"), sig(q));
        }
        let (req, wdata, resp) =
            memory_port(self.acc.mem_resp_a_data.len(), self.acc.mem_wdata.len());
        for (a, d) in req {
            k.assign(format!("dram${d}"), sig(format!("acc${a}")));
        }
        for (a, d) in wdata {
            k.assign(format!("dram${d}"), sig(format!("acc${a}")));
        }
        for (a, d) in resp {
            k.assign(format!("acc${a}"), sig(format!("dram${d}")));
        }
        k.finish()
    }
}
