//! The edge registers: the skew in front of the left and top edges (lane `l` passes through `l`
//! registers) and the deskew behind the bottom row (lane `j` passes through `C-1-j`). Each
//! reports, per cycle, how many valid values its registers latch (`skew_hops`, `deskew_hops`),
//! and holds every register while its clock enable `en` is low (a stalled cycle).

use rust_hdl::prelude::*;

use crate::blocks::mesh::CTL_VALID;
use crate::netlist::{bit, sig, sum, vec_of, Kernel};

/// The index of each lane's first register in a flat vector where lane `l` has `depths[l]`
/// registers (register `m` of lane `l` is at `offsets[l] + m`).
fn offsets(depths: &[usize]) -> Vec<usize> {
    depths
        .iter()
        .scan(0, |acc, &d| {
            let o = *acc;
            *acc += d;
            Some(o)
        })
        .collect()
}

/// The skew of one edge: int8 values with their marker bits and preload tag.
#[derive(LogicBlock)]
pub struct Skew {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// Clock enable of every register (low: a stalled cycle, the skew holds).
    pub en: Signal<In, Bit>,
    /// Per lane: the int8 value.
    pub in_val: Vec<Signal<In, Signed<8>>>,
    /// Per lane: marker bits (valid, first, last, slot).
    pub in_ctl: Vec<Signal<In, Bits<4>>>,
    /// Per lane: preload tag.
    pub in_tag: Vec<Signal<In, Bits<8>>>,
    /// Per lane: value after the skew.
    pub out_val: Vec<Signal<Out, Signed<8>>>,
    /// Per lane: marker bits after the skew.
    pub out_ctl: Vec<Signal<Out, Bits<4>>>,
    /// Per lane: tag after the skew.
    pub out_tag: Vec<Signal<Out, Bits<8>>>,
    /// Valid values latched by the skew registers this cycle.
    pub hops: Signal<Out, Bits<16>>,
    r_val: Vec<DFF<Signed<8>>>,
    r_ctl: Vec<DFF<Bits<4>>>,
    r_tag: Vec<DFF<Bits<8>>>,
    _off: Vec<usize>,
}

impl Skew {
    /// A skew of `lanes` lanes.
    pub fn new(lanes: usize) -> Self {
        let regs = lanes * lanes.saturating_sub(1) / 2;
        Skew {
            clock: Default::default(),
            en: Default::default(),
            in_val: vec_of(lanes),
            in_ctl: vec_of(lanes),
            in_tag: vec_of(lanes),
            out_val: vec_of(lanes),
            out_ctl: vec_of(lanes),
            out_tag: vec_of(lanes),
            hops: Default::default(),
            r_val: (0..regs).map(|_| Default::default()).collect(),
            r_ctl: (0..regs).map(|_| Default::default()).collect(),
            r_tag: (0..regs).map(|_| Default::default()).collect(),
            _off: offsets(&(0..lanes).collect::<Vec<_>>()),
        }
    }
}

impl Logic for Skew {
    fn update(&mut self) {
        let (clk, en) = (self.clock.val(), self.en.val());
        let mut hops = 0u64;
        for l in 0..self.in_val.len() {
            let mut val = self.in_val[l].val();
            let mut ctl = self.in_ctl[l].val();
            let mut tag = self.in_tag[l].val();
            for m in 0..l {
                let x = self._off[l] + m;
                self.r_val[x].clock.next = clk;
                self.r_ctl[x].clock.next = clk;
                self.r_tag[x].clock.next = clk;
                if en {
                    self.r_val[x].d.next = val;
                    self.r_ctl[x].d.next = ctl;
                    self.r_tag[x].d.next = tag;
                } else {
                    self.r_val[x].d.next = self.r_val[x].q.val();
                    self.r_ctl[x].d.next = self.r_ctl[x].q.val();
                    self.r_tag[x].d.next = self.r_tag[x].q.val();
                }
                hops += u64::from(ctl.get_bit(CTL_VALID));
                val = self.r_val[x].q.val();
                ctl = self.r_ctl[x].q.val();
                tag = self.r_tag[x].q.val();
            }
            self.out_val[l].next = val;
            self.out_ctl[l].next = ctl;
            self.out_tag[l].next = tag;
        }
        self.hops.next = Bits::<16>::from(hops);
    }

    fn connect(&mut self) {
        for x in 0..self.r_val.len() {
            self.r_val[x].clock.connect();
            self.r_ctl[x].clock.connect();
            self.r_tag[x].clock.connect();
            self.r_val[x].d.connect();
            self.r_ctl[x].d.connect();
            self.r_tag[x].d.connect();
        }
        for l in 0..self.out_val.len() {
            self.out_val[l].connect();
            self.out_ctl[l].connect();
            self.out_tag[l].connect();
        }
        self.hops.connect();
    }

    fn hdl(&self) -> Verilog {
        let mut k = Kernel::default();
        // One write per register input and path: shift when enabled, hold otherwise.
        let (mut shift, mut hold) = (Kernel::default(), Kernel::default());
        let mut hops = vec![];
        for l in 0..self.in_val.len() {
            let mut src = [
                format!("in_val${l}"),
                format!("in_ctl${l}"),
                format!("in_tag${l}"),
            ];
            for m in 0..l {
                let x = self._off[l] + m;
                let regs = [
                    format!("r_val${x}"),
                    format!("r_ctl${x}"),
                    format!("r_tag${x}"),
                ];
                for (r, s) in regs.iter().zip(&src) {
                    k.assign(format!("{r}$clock"), sig("clock"));
                    shift.assign(format!("{r}$d"), sig(s.clone()));
                    hold.assign(format!("{r}$d"), sig(format!("{r}$q")));
                }
                hops.push(bit(src[1].clone(), CTL_VALID));
                src = regs.map(|r| format!("{r}$q"));
            }
            k.assign(format!("out_val${l}"), sig(src[0].clone()));
            k.assign(format!("out_ctl${l}"), sig(src[1].clone()));
            k.assign(format!("out_tag${l}"), sig(src[2].clone()));
        }
        if !self.r_val.is_empty() {
            k.if_else(sig("en"), shift, hold);
        }
        k.assign("hops", sum(hops));
        k.finish()
    }
}

/// The deskew behind the bottom row: int32 values with valid bits.
#[derive(LogicBlock)]
pub struct Deskew {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// Clock enable of every register (low: a stalled cycle, the deskew holds).
    pub en: Signal<In, Bit>,
    /// Per lane: the bottom row's 32-bit value.
    pub in_p: Vec<Signal<In, Signed<32>>>,
    /// Per lane: valid bit.
    pub in_v: Vec<Signal<In, Bit>>,
    /// Per lane: the deskewed value.
    pub out_p: Vec<Signal<Out, Signed<32>>>,
    /// Per lane: valid after the deskew.
    pub out_v: Vec<Signal<Out, Bit>>,
    /// Valid values latched by the deskew registers this cycle.
    pub hops: Signal<Out, Bits<16>>,
    r_p: Vec<DFF<Signed<32>>>,
    r_v: Vec<DFF<Bit>>,
    _off: Vec<usize>,
}

impl Deskew {
    /// A deskew of `lanes` lanes.
    pub fn new(lanes: usize) -> Self {
        let regs = lanes * lanes.saturating_sub(1) / 2;
        Deskew {
            clock: Default::default(),
            en: Default::default(),
            in_p: vec_of(lanes),
            in_v: vec_of(lanes),
            out_p: vec_of(lanes),
            out_v: vec_of(lanes),
            hops: Default::default(),
            r_p: (0..regs).map(|_| Default::default()).collect(),
            r_v: (0..regs).map(|_| Default::default()).collect(),
            _off: offsets(&(0..lanes).map(|j| lanes - 1 - j).collect::<Vec<_>>()),
        }
    }
}

impl Logic for Deskew {
    fn update(&mut self) {
        let (clk, en) = (self.clock.val(), self.en.val());
        let n = self.in_p.len();
        let mut hops = 0u64;
        for j in 0..n {
            let mut p = self.in_p[j].val();
            let mut v = self.in_v[j].val();
            for m in 0..n - 1 - j {
                let x = self._off[j] + m;
                self.r_p[x].clock.next = clk;
                self.r_v[x].clock.next = clk;
                if en {
                    self.r_p[x].d.next = p;
                    self.r_v[x].d.next = v;
                } else {
                    self.r_p[x].d.next = self.r_p[x].q.val();
                    self.r_v[x].d.next = self.r_v[x].q.val();
                }
                hops += u64::from(v);
                p = self.r_p[x].q.val();
                v = self.r_v[x].q.val();
            }
            self.out_p[j].next = p;
            self.out_v[j].next = v;
        }
        self.hops.next = Bits::<16>::from(hops);
    }

    fn connect(&mut self) {
        for x in 0..self.r_p.len() {
            self.r_p[x].clock.connect();
            self.r_v[x].clock.connect();
            self.r_p[x].d.connect();
            self.r_v[x].d.connect();
        }
        for j in 0..self.out_p.len() {
            self.out_p[j].connect();
            self.out_v[j].connect();
        }
        self.hops.connect();
    }

    fn hdl(&self) -> Verilog {
        let mut k = Kernel::default();
        let n = self.in_p.len();
        let (mut shift, mut hold) = (Kernel::default(), Kernel::default());
        let mut hops = vec![];
        for j in 0..n {
            let mut src = [format!("in_p${j}"), format!("in_v${j}")];
            for m in 0..n - 1 - j {
                let x = self._off[j] + m;
                let regs = [format!("r_p${x}"), format!("r_v${x}")];
                for (r, s) in regs.iter().zip(&src) {
                    k.assign(format!("{r}$clock"), sig("clock"));
                    shift.assign(format!("{r}$d"), sig(s.clone()));
                    hold.assign(format!("{r}$d"), sig(format!("{r}$q")));
                }
                hops.push(sig(src[1].clone()));
                src = regs.map(|r| format!("{r}$q"));
            }
            k.assign(format!("out_p${j}"), sig(src[0].clone()));
            k.assign(format!("out_v${j}"), sig(src[1].clone()));
        }
        if !self.r_p.is_empty() {
            k.if_else(sig("en"), shift, hold);
        }
        k.assign("hops", sum(hops));
        k.finish()
    }
}
