//! The PE's multiplier: int8 x int8 -> int16, sign-extended to int32. rust-hdl 0.46 only
//! multiplies 16 x 16 bits, which Yosys maps to a 16 x 16 multiplier (about four times the
//! LUTs of 8 x 8 on a part without DSPs), so this block is written by hand: a Rust model and a
//! Verilog body. The Icarus and Verilator tests (every product, -128 included, through whole
//! GEMMs) and `every_int8_product` below hold the two to each other.

use rust_hdl::prelude::*;

/// `p = a * b` (signed).
#[derive(LogicBlock, Default)]
pub struct Mul8x8 {
    pub a: Signal<In, Signed<8>>,
    pub b: Signal<In, Signed<8>>,
    pub p: Signal<Out, Signed<32>>,
}

fn int(x: Signed<8>) -> i64 {
    i64::from(x.inner().to_u64() as u8 as i8)
}

impl Logic for Mul8x8 {
    fn update(&mut self) {
        self.p.next = Signed::<32>::from(int(self.a.val()) * int(self.b.val()));
    }

    fn connect(&mut self) {
        self.p.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "\
wire signed [15:0] prod16;
assign prod16 = a * b;
always @(*) p = {{16{prod16[15]}}, prod16};
"
            .into(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_int8_product() {
        let mut m = Mul8x8::default();
        m.connect_all();
        for a in -128i64..=127 {
            for b in -128i64..=127 {
                m.a.next = Signed::from(a);
                m.b.next = Signed::from(b);
                assert!(simulate(&mut m, 10));
                assert_eq!(m.p.val(), Signed::<32>::from(a * b), "{a} x {b}");
            }
        }
    }
}
