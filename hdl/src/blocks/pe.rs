//! The processing element: one int8 x int8 -> int32 MAC with the registers of all three
//! dataflows, the mode chosen at run time (`docs/microarchitecture.md`, "One PE, three modes").
//!
//! OS mode uses `a` (moves right), `v` (the B operand, moves down), `acc` and the two drain-chain
//! registers `x`, `y`. WS/IS mode uses `a`, `v` (preload values in transit, with slot and tag),
//! the stationary pair `w`/`wn` and the partial sum `p`, which shares its register with `y`.
//! Every register follows the PE rules of the contract at each clock edge; invalid registers hold
//! zero, so the arithmetic needs no valid gating and the valid bits decide only what is captured
//! and counted. A clock enable `en` freezes every register for a stalled cycle (the contract's
//! memory system: a stall freezes the whole machine).

use rust_hdl::prelude::*;

use crate::blocks::mul::Mul8x8;

/// One PE. Its outputs are its registers (every PE-to-PE link is registered) and one bit per
/// event it causes at the coming clock edge.
#[derive(LogicBlock)]
pub struct Pe {
    /// The array clock.
    pub clock: Signal<In, Clock>,
    /// Dataflow mode: true for OS, false for WS and IS (the PE does the same in both).
    pub os: Signal<In, Bit>,
    /// Clock enable of every register of the PE: low in a stalled cycle (the machine-wide
    /// freeze), when every register holds its value.
    pub en: Signal<In, Bit>,
    /// Horizontal operand from the left neighbour (column 0: the left skew), with valid and the
    /// `first`/`last` markers.
    pub a_in: Signal<In, Signed<8>>,
    /// Valid bit of `a_in`.
    pub a_vin: Signal<In, Bit>,
    /// `first` marker of `a_in` (WS/IS fold switch).
    pub first_in: Signal<In, Bit>,
    /// `last` marker of `a_in` (OS capture).
    pub last_in: Signal<In, Bit>,
    /// Vertical operand from the PE above (row 0: the top skew), with valid, preload slot and the
    /// destination-row tag.
    pub v_in: Signal<In, Signed<8>>,
    /// Valid bit of `v_in`.
    pub v_vin: Signal<In, Bit>,
    /// `v_in` is a preload slot.
    pub slot_in: Signal<In, Bit>,
    /// Destination row of the preload slot.
    pub tag_in: Signal<In, Bits<8>>,
    /// The 32-bit vertical register of the PE above (OS: its `y`; WS/IS: its partial sum `p`).
    pub p_in: Signal<In, Signed<32>>,
    /// Valid bit of `p_in`.
    pub p_vin: Signal<In, Bit>,
    /// This PE's registers, for its neighbours.
    pub a_out: Signal<Out, Signed<8>>,
    /// Valid bit of `a_out`.
    pub a_vout: Signal<Out, Bit>,
    /// `first` marker of `a_out`.
    pub first_out: Signal<Out, Bit>,
    /// `last` marker of `a_out`.
    pub last_out: Signal<Out, Bit>,
    /// The vertical int8 register.
    pub v_out: Signal<Out, Signed<8>>,
    /// Valid bit of `v_out`.
    pub v_vout: Signal<Out, Bit>,
    /// Preload-slot bit of `v_out`.
    pub slot_out: Signal<Out, Bit>,
    /// Tag of `v_out`.
    pub tag_out: Signal<Out, Bits<8>>,
    /// The 32-bit vertical register (OS: `y`; WS/IS: `p`).
    pub p_out: Signal<Out, Signed<32>>,
    /// Valid bit of `p_out`.
    pub p_vout: Signal<Out, Bit>,
    /// Events of the coming edge (`EventCounts` names): a MAC, an accumulator write, a valid
    /// latch of `a`, of `v`, of `wn` (stationary load), of `w` (swap), of `y`/`p` and of `x`.
    /// They describe the edge as if `en` were high; the counters ignore a stalled cycle's events.
    pub ev_mac: Signal<Out, Bit>,
    /// An OS accumulator write this edge.
    pub ev_acc: Signal<Out, Bit>,
    /// A valid value is latched into `a`.
    pub ev_a_hop: Signal<Out, Bit>,
    /// A valid value is latched into `v`.
    pub ev_v_hop: Signal<Out, Bit>,
    /// A valid value is latched into `wn`.
    pub ev_load: Signal<Out, Bit>,
    /// A valid value moves from `wn` into `w`.
    pub ev_swap: Signal<Out, Bit>,
    /// A valid value is latched into `y`/`p`.
    pub ev_py: Signal<Out, Bit>,
    /// A valid value is latched into `x` (OS).
    pub ev_x: Signal<Out, Bit>,
    my_row: Constant<Bits<8>>,
    zero8: Constant<Signed<8>>,
    zero32: Constant<Signed<32>>,
    a: DFF<Signed<8>>,
    a_v: DFF<Bit>,
    first: DFF<Bit>,
    last: DFF<Bit>,
    v: DFF<Signed<8>>,
    v_v: DFF<Bit>,
    slot: DFF<Bit>,
    tag: DFF<Bits<8>>,
    w: DFF<Signed<8>>,
    w_v: DFF<Bit>,
    wn: DFF<Signed<8>>,
    wn_v: DFF<Bit>,
    acc: DFF<Signed<32>>,
    py: DFF<Signed<32>>,
    py_v: DFF<Bit>,
    x: DFF<Signed<32>>,
    x_v: DFF<Bit>,
    mul: Mul8x8,
    mac: Signal<Local, Bit>,
    opnd: Signal<Local, Signed<8>>,
    prod: Signal<Local, Signed<32>>,
    base: Signal<Local, Signed<32>>,
    sum: Signal<Local, Signed<32>>,
    capture: Signal<Local, Bit>,
    matched: Signal<Local, Bit>,
    py_vnext: Signal<Local, Bit>,
    x_vnext: Signal<Local, Bit>,
}

impl Pe {
    /// The PE of array row `row` (its preload tag).
    pub fn new(row: usize) -> Self {
        Pe {
            clock: Default::default(),
            os: Default::default(),
            en: Default::default(),
            a_in: Default::default(),
            a_vin: Default::default(),
            first_in: Default::default(),
            last_in: Default::default(),
            v_in: Default::default(),
            v_vin: Default::default(),
            slot_in: Default::default(),
            tag_in: Default::default(),
            p_in: Default::default(),
            p_vin: Default::default(),
            a_out: Default::default(),
            a_vout: Default::default(),
            first_out: Default::default(),
            last_out: Default::default(),
            v_out: Default::default(),
            v_vout: Default::default(),
            slot_out: Default::default(),
            tag_out: Default::default(),
            p_out: Default::default(),
            p_vout: Default::default(),
            ev_mac: Default::default(),
            ev_acc: Default::default(),
            ev_a_hop: Default::default(),
            ev_v_hop: Default::default(),
            ev_load: Default::default(),
            ev_swap: Default::default(),
            ev_py: Default::default(),
            ev_x: Default::default(),
            my_row: Constant::new(Bits::<8>::from(row as u64)),
            zero8: Constant::new(Signed::<8>::default()),
            zero32: Constant::new(Signed::<32>::default()),
            a: Default::default(),
            a_v: Default::default(),
            first: Default::default(),
            last: Default::default(),
            v: Default::default(),
            v_v: Default::default(),
            slot: Default::default(),
            tag: Default::default(),
            w: Default::default(),
            w_v: Default::default(),
            wn: Default::default(),
            wn_v: Default::default(),
            acc: Default::default(),
            py: Default::default(),
            py_v: Default::default(),
            x: Default::default(),
            x_v: Default::default(),
            mul: Default::default(),
            mac: Default::default(),
            opnd: Default::default(),
            prod: Default::default(),
            base: Default::default(),
            sum: Default::default(),
            capture: Default::default(),
            matched: Default::default(),
            py_vnext: Default::default(),
            x_vnext: Default::default(),
        }
    }
}

impl Logic for Pe {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, a, a_v, first, last, v, v_v, slot, tag, w, w_v, wn, wn_v, acc, py, py_v,
            x, x_v
        );
        self.a_out.next = self.a.q.val();
        self.a_vout.next = self.a_v.q.val();
        self.first_out.next = self.first.q.val();
        self.last_out.next = self.last.q.val();
        self.v_out.next = self.v.q.val();
        self.v_vout.next = self.v_v.q.val();
        self.slot_out.next = self.slot.q.val();
        self.tag_out.next = self.tag.q.val();
        self.p_out.next = self.py.q.val();
        self.p_vout.next = self.py_v.q.val();

        // The MAC: a x v in OS, a x w in WS/IS. One operation per typed signal, so that Verilog's
        // context-sized expressions compute what the Rust model computes.
        self.mac.next = self.a_v.q.val() & self.w_v.q.val();
        self.opnd.next = self.w.q.val();
        self.base.next = self.p_in.val();
        if self.os.val() {
            self.mac.next = self.a_v.q.val() & self.v_v.q.val();
            self.opnd.next = self.v.q.val();
            self.base.next = self.acc.q.val();
        }
        self.mul.a.next = self.a.q.val();
        self.mul.b.next = self.opnd.val();
        self.prod.next = self.mul.p.val();
        self.sum.next = self.base.val() + self.prod.val();
        self.capture.next = self.os.val() & self.mac.val() & self.last.q.val();

        // OS: accumulate, capture into y on the fold's last MAC, drain y/x down the column.
        // WS/IS: p <- p(above) + a x w.
        if self.os.val() {
            if self.capture.val() {
                self.acc.d.next = self.zero32.val();
                self.py.d.next = self.sum.val();
                self.py_vnext.next = true;
            } else {
                self.acc.d.next = self.sum.val();
                self.py.d.next = self.x.q.val();
                self.py_vnext.next = self.x_v.q.val();
            }
            self.x.d.next = self.p_in.val();
            self.x_vnext.next = self.p_vin.val();
        } else {
            self.py.d.next = self.sum.val();
            self.py_vnext.next = self.p_vin.val() | self.mac.val();
            self.x.d.next = self.zero32.val();
            self.x_vnext.next = false;
        }
        self.py_v.d.next = self.py_vnext.val();
        self.x_v.d.next = self.x_vnext.val();

        // Operands move right; a value entering with `first` switches the fold (w <- wn, the
        // shadow as it was before this edge's preload latch).
        self.a.d.next = self.a_in.val();
        self.a_v.d.next = self.a_vin.val();
        self.first.d.next = self.first_in.val();
        self.last.d.next = self.last_in.val();
        if self.first_in.val() & !self.os.val() {
            self.w.d.next = self.wn.q.val();
            self.w_v.d.next = self.wn_v.q.val();
        }

        // Vertical: a preload slot whose tag is this row is latched into wn and stops here.
        self.matched.next = self.slot_in.val() & (self.tag_in.val() == self.my_row.val());
        self.tag.d.next = self.tag_in.val();
        if self.matched.val() {
            self.wn.d.next = self.v_in.val();
            self.wn_v.d.next = self.v_vin.val();
            self.v.d.next = self.zero8.val();
            self.v_v.d.next = false;
            self.slot.d.next = false;
        } else {
            self.v.d.next = self.v_in.val();
            self.v_v.d.next = self.v_vin.val();
            self.slot.d.next = self.slot_in.val();
        }

        // A stalled cycle: every register keeps its value (a clock enable; the last write wins).
        if !self.en.val() {
            self.a.d.next = self.a.q.val();
            self.a_v.d.next = self.a_v.q.val();
            self.first.d.next = self.first.q.val();
            self.last.d.next = self.last.q.val();
            self.v.d.next = self.v.q.val();
            self.v_v.d.next = self.v_v.q.val();
            self.slot.d.next = self.slot.q.val();
            self.tag.d.next = self.tag.q.val();
            self.w.d.next = self.w.q.val();
            self.w_v.d.next = self.w_v.q.val();
            self.wn.d.next = self.wn.q.val();
            self.wn_v.d.next = self.wn_v.q.val();
            self.acc.d.next = self.acc.q.val();
            self.py.d.next = self.py.q.val();
            self.py_v.d.next = self.py_v.q.val();
            self.x.d.next = self.x.q.val();
            self.x_v.d.next = self.x_v.q.val();
        }

        self.ev_mac.next = self.mac.val();
        self.ev_acc.next = self.os.val() & self.mac.val();
        self.ev_a_hop.next = self.a_vin.val();
        self.ev_v_hop.next = self.v_vin.val() & !self.matched.val();
        self.ev_load.next = self.matched.val() & self.v_vin.val();
        self.ev_swap.next = self.first_in.val() & !self.os.val() & self.wn_v.q.val();
        self.ev_py.next = self.py_vnext.val();
        self.ev_x.next = self.x_vnext.val();
    }
}
