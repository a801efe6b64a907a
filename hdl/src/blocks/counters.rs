//! Hardware event counters: 64-bit (two 32-bit halves, so that rust-hdl simulates them as
//! machine words), cleared by the start command and counting while the controller runs. The
//! increment and its enable are registered first, so a cycle's events are added one cycle later:
//! this takes the counters off the critical path (request -> bank-word count -> adder); the
//! controller raises `done` after that last addition.

use rust_hdl::prelude::*;

/// One 64-bit counter.
#[derive(LogicBlock)]
pub struct Counter64 {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// Clear to zero (the start command).
    pub clear: Signal<In, Bit>,
    /// Count this cycle.
    pub en: Signal<In, Bit>,
    /// Increment this cycle.
    pub inc: Signal<In, Bits<16>>,
    /// Low 32 bits.
    pub lo: Signal<Out, Bits<32>>,
    /// High 32 bits.
    pub hi: Signal<Out, Bits<32>>,
    lo_r: DFF<Bits<32>>,
    hi_r: DFF<Bits<32>>,
    inc_r: DFF<Bits<16>>,
    en_r: DFF<Bit>,
    inc32: Signal<Local, Bits<32>>,
    sum: Signal<Local, Bits<32>>,
    k_zero: Constant<Bits<32>>,
    k_one: Constant<Bits<32>>,
}

impl Default for Counter64 {
    fn default() -> Self {
        Self::new()
    }
}

impl Counter64 {
    /// A counter at zero.
    pub fn new() -> Self {
        Counter64 {
            clock: Default::default(),
            clear: Default::default(),
            en: Default::default(),
            inc: Default::default(),
            lo: Default::default(),
            hi: Default::default(),
            lo_r: Default::default(),
            hi_r: Default::default(),
            inc_r: Default::default(),
            en_r: Default::default(),
            inc32: Default::default(),
            sum: Default::default(),
            k_zero: Constant::new(Bits::<32>::default()),
            k_one: Constant::new(Bits::<32>::from(1u64)),
        }
    }
}

impl Logic for Counter64 {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, lo_r, hi_r, inc_r, en_r);
        self.inc_r.d.next = self.inc.val();
        self.en_r.d.next = self.en.val();
        self.lo.next = self.lo_r.q.val();
        self.hi.next = self.hi_r.q.val();
        self.inc32.next = bit_cast::<32, 16>(self.inc_r.q.val());
        self.sum.next = self.lo_r.q.val() + self.inc32.val();
        if self.clear.val() {
            self.lo_r.d.next = self.k_zero.val();
            self.hi_r.d.next = self.k_zero.val();
        } else if self.en_r.q.val() {
            self.lo_r.d.next = self.sum.val();
            // Carry out of the low half: inc < 2^16, so the add carries exactly when bit 31
            // falls from 1 to 0 (one LUT, where `sum < lo` would be a 32-bit comparator).
            if self.lo_r.q.val().get_bit(31) & !self.sum.val().get_bit(31) {
                self.hi_r.d.next = self.hi_r.q.val() + self.k_one.val();
            }
        }
    }
}
