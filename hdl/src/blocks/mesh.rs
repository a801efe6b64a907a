//! The R x C mesh of [`Pe`]s: every PE-to-PE link registered (the PEs' outputs are registers),
//! the left and top edges fed by the skew, the bottom row's 32-bit registers leaving for the
//! deskew, and per-cycle sums of the PEs' event bits for the counters.

use rust_hdl::prelude::*;

use crate::blocks::pe::Pe;
use crate::netlist::{bit, lit, sig, sum, Kernel};

/// Marker bits of an edge lane (`Bits<4>`): valid, first, last, preload slot.
pub const CTL_VALID: usize = 0;
/// `first` marker bit.
pub const CTL_FIRST: usize = 1;
/// `last` marker bit.
pub const CTL_LAST: usize = 2;
/// Preload-slot marker bit.
pub const CTL_SLOT: usize = 3;

/// The event sums a mesh reports each cycle (names as in `EventCounts`).
pub const MESH_EVENTS: [&str; 7] = [
    "macs",
    "acc_updates",
    "h_operand_hops",
    "v_operand_hops",
    "stationary_loads",
    "stationary_swaps",
    "psum_hops",
];

/// The PE array.
#[derive(LogicBlock)]
pub struct Mesh {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// The mode is OS.
    pub os: Signal<In, Bit>,
    /// Clock enable of every PE register (low: a stalled cycle, the whole mesh holds).
    pub en: Signal<In, Bit>,
    /// Left edge: int8 value per row.
    pub left_a: Vec<Signal<In, Signed<8>>>,
    /// Left edge: marker bits per row.
    pub left_ctl: Vec<Signal<In, Bits<4>>>,
    /// Top edge: int8 value per column.
    pub top_v: Vec<Signal<In, Signed<8>>>,
    /// Top edge: marker bits per column.
    pub top_ctl: Vec<Signal<In, Bits<4>>>,
    /// Top edge: preload tag per column.
    pub top_tag: Vec<Signal<In, Bits<8>>>,
    /// The bottom row's 32-bit registers, leaving for the deskew.
    pub bottom_p: Vec<Signal<Out, Signed<32>>>,
    /// Their valid bits.
    pub bottom_v: Vec<Signal<Out, Bit>>,
    /// Per-cycle event sums, in [`MESH_EVENTS`] order.
    pub ev: Vec<Signal<Out, Bits<16>>>,
    pes: Vec<Pe>,
    _rows: usize,
    _cols: usize,
}

impl Mesh {
    /// A `rows x cols` mesh.
    pub fn new(rows: usize, cols: usize) -> Self {
        Mesh {
            clock: Default::default(),
            os: Default::default(),
            en: Default::default(),
            left_a: (0..rows).map(|_| Default::default()).collect(),
            left_ctl: (0..rows).map(|_| Default::default()).collect(),
            top_v: (0..cols).map(|_| Default::default()).collect(),
            top_ctl: (0..cols).map(|_| Default::default()).collect(),
            top_tag: (0..cols).map(|_| Default::default()).collect(),
            bottom_p: (0..cols).map(|_| Default::default()).collect(),
            bottom_v: (0..cols).map(|_| Default::default()).collect(),
            ev: (0..MESH_EVENTS.len()).map(|_| Default::default()).collect(),
            pes: (0..rows * cols).map(|k| Pe::new(k / cols)).collect(),
            _rows: rows,
            _cols: cols,
        }
    }
}

fn count(bits: impl Iterator<Item = bool>) -> Bits<16> {
    Bits::<16>::from(bits.filter(|&b| b).count() as u64)
}

impl Logic for Mesh {
    fn update(&mut self) {
        let (r, c) = (self._rows, self._cols);
        let (clk, os, en) = (self.clock.val(), self.os.val(), self.en.val());
        for k in 0..r * c {
            let (i, j) = (k / c, k % c);
            let (a, av, first, last) = if j == 0 {
                let ctl = self.left_ctl[i].val();
                (
                    self.left_a[i].val(),
                    ctl.get_bit(CTL_VALID),
                    ctl.get_bit(CTL_FIRST),
                    ctl.get_bit(CTL_LAST),
                )
            } else {
                let p = &self.pes[k - 1];
                (
                    p.a_out.val(),
                    p.a_vout.val(),
                    p.first_out.val(),
                    p.last_out.val(),
                )
            };
            let (v, vv, slot, tag, pin, pv) = if i == 0 {
                let ctl = self.top_ctl[j].val();
                (
                    self.top_v[j].val(),
                    ctl.get_bit(CTL_VALID),
                    ctl.get_bit(CTL_SLOT),
                    self.top_tag[j].val(),
                    Signed::<32>::default(),
                    false,
                )
            } else {
                let p = &self.pes[k - c];
                (
                    p.v_out.val(),
                    p.v_vout.val(),
                    p.slot_out.val(),
                    p.tag_out.val(),
                    p.p_out.val(),
                    p.p_vout.val(),
                )
            };
            let pe = &mut self.pes[k];
            pe.clock.next = clk;
            pe.os.next = os;
            pe.en.next = en;
            pe.a_in.next = a;
            pe.a_vin.next = av;
            pe.first_in.next = first;
            pe.last_in.next = last;
            pe.v_in.next = v;
            pe.v_vin.next = vv;
            pe.slot_in.next = slot;
            pe.tag_in.next = tag;
            pe.p_in.next = pin;
            pe.p_vin.next = pv;
        }
        for j in 0..c {
            let p = &self.pes[(r - 1) * c + j];
            self.bottom_p[j].next = p.p_out.val();
            self.bottom_v[j].next = p.p_vout.val();
        }
        let pes = &self.pes;
        self.ev[0].next = count(pes.iter().map(|p| p.ev_mac.val()));
        self.ev[1].next = count(pes.iter().map(|p| p.ev_acc.val()));
        self.ev[2].next = count(pes.iter().map(|p| p.ev_a_hop.val()));
        self.ev[3].next = count(pes.iter().map(|p| p.ev_v_hop.val()));
        self.ev[4].next = count(pes.iter().map(|p| p.ev_load.val()));
        self.ev[5].next = count(pes.iter().map(|p| p.ev_swap.val()));
        self.ev[6].next = count(pes.iter().flat_map(|p| [p.ev_py.val(), p.ev_x.val()]));
    }

    fn connect(&mut self) {
        for pe in &mut self.pes {
            pe.clock.connect();
            pe.os.connect();
            pe.en.connect();
            pe.a_in.connect();
            pe.a_vin.connect();
            pe.first_in.connect();
            pe.last_in.connect();
            pe.v_in.connect();
            pe.v_vin.connect();
            pe.slot_in.connect();
            pe.tag_in.connect();
            pe.p_in.connect();
            pe.p_vin.connect();
        }
        for s in self.bottom_p.iter_mut() {
            s.connect();
        }
        for s in self.bottom_v.iter_mut() {
            s.connect();
        }
        for s in self.ev.iter_mut() {
            s.connect();
        }
    }

    fn hdl(&self) -> Verilog {
        let (r, c) = (self._rows, self._cols);
        let mut k = Kernel::default();
        for n in 0..r * c {
            let (i, j) = (n / c, n % c);
            let pe = format!("pes${n}");
            k.assign(format!("{pe}$clock"), sig("clock"));
            k.assign(format!("{pe}$os"), sig("os"));
            k.assign(format!("{pe}$en"), sig("en"));
            if j == 0 {
                k.assign(format!("{pe}$a_in"), sig(format!("left_a${i}")));
                k.assign(
                    format!("{pe}$a_vin"),
                    bit(format!("left_ctl${i}"), CTL_VALID),
                );
                k.assign(
                    format!("{pe}$first_in"),
                    bit(format!("left_ctl${i}"), CTL_FIRST),
                );
                k.assign(
                    format!("{pe}$last_in"),
                    bit(format!("left_ctl${i}"), CTL_LAST),
                );
            } else {
                let w = format!("pes${}", n - 1);
                for (to, from) in [
                    ("a_in", "a_out"),
                    ("a_vin", "a_vout"),
                    ("first_in", "first_out"),
                    ("last_in", "last_out"),
                ] {
                    k.assign(format!("{pe}${to}"), sig(format!("{w}${from}")));
                }
            }
            if i == 0 {
                k.assign(format!("{pe}$v_in"), sig(format!("top_v${j}")));
                k.assign(
                    format!("{pe}$v_vin"),
                    bit(format!("top_ctl${j}"), CTL_VALID),
                );
                k.assign(
                    format!("{pe}$slot_in"),
                    bit(format!("top_ctl${j}"), CTL_SLOT),
                );
                k.assign(format!("{pe}$tag_in"), sig(format!("top_tag${j}")));
                k.assign(format!("{pe}$p_in"), lit(0, 32));
                k.assign(format!("{pe}$p_vin"), lit(0, 1));
            } else {
                let u = format!("pes${}", n - c);
                for (to, from) in [
                    ("v_in", "v_out"),
                    ("v_vin", "v_vout"),
                    ("slot_in", "slot_out"),
                    ("tag_in", "tag_out"),
                    ("p_in", "p_out"),
                    ("p_vin", "p_vout"),
                ] {
                    k.assign(format!("{pe}${to}"), sig(format!("{u}${from}")));
                }
            }
        }
        for j in 0..c {
            let n = (r - 1) * c + j;
            k.assign(format!("bottom_p${j}"), sig(format!("pes${n}$p_out")));
            k.assign(format!("bottom_v${j}"), sig(format!("pes${n}$p_vout")));
        }
        let per_pe: [&[&str]; 7] = [
            &["ev_mac"],
            &["ev_acc"],
            &["ev_a_hop"],
            &["ev_v_hop"],
            &["ev_load"],
            &["ev_swap"],
            &["ev_py", "ev_x"],
        ];
        for (e, ports) in per_pe.iter().enumerate() {
            let terms =
                (0..r * c).flat_map(|n| ports.iter().map(move |p| sig(format!("pes${n}${p}"))));
            k.assign(format!("ev${e}"), sum(terms));
        }
        k.finish()
    }
}
