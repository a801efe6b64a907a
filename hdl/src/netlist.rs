//! A small builder for the Verilog of wiring blocks whose size comes from the config at run time
//! (the mesh, the skew and deskew, the top). rust-hdl's `#[hdl_gen]` cannot express them: it
//! substitutes only one array index per signal path and only loop variables inside it. These
//! blocks write their Rust `update()` by hand and build the same assignments here; the Verilator
//! and Icarus co-simulation tests hold the two to each other.

use rust_hdl::core::ast::{
    Verilog, VerilogBlock, VerilogBlockOrConditional, VerilogConditional, VerilogExpression,
    VerilogOp, VerilogOpUnary, VerilogStatement,
};
use rust_hdl::core::bits::Bits;

/// A combinational kernel under construction.
#[derive(Default)]
pub(crate) struct Kernel(VerilogBlock);

impl Kernel {
    /// `dst = src;`
    pub(crate) fn assign(&mut self, dst: impl Into<String>, src: VerilogExpression) {
        self.0.push(VerilogStatement::Assignment(
            VerilogExpression::Signal(dst.into()),
            src,
        ));
    }
    /// `if (test) begin then end else begin otherwise end`
    pub(crate) fn if_else(&mut self, test: VerilogExpression, then: Kernel, otherwise: Kernel) {
        self.0.push(VerilogStatement::If(VerilogConditional {
            test,
            then: then.0,
            otherwise: VerilogBlockOrConditional::Block(otherwise.0),
        }));
    }
    /// `if (test) begin then end`
    pub(crate) fn when(&mut self, test: VerilogExpression, then: Kernel) {
        self.0.push(VerilogStatement::If(VerilogConditional {
            test,
            then: then.0,
            otherwise: VerilogBlockOrConditional::None,
        }));
    }
    pub(crate) fn finish(self) -> Verilog {
        Verilog::Combinatorial(self.0)
    }
}

/// A signal by name (`child$port`, `vec$3`).
pub(crate) fn sig(name: impl Into<String>) -> VerilogExpression {
    VerilogExpression::Signal(name.into())
}
/// A literal of exactly `bits` bits (1, 2, 4, 8, 16 or 32: the widths of the ports it drives).
pub(crate) fn lit(value: u64, bits: usize) -> VerilogExpression {
    VerilogExpression::Literal(match bits {
        1 => (value != 0).into(),
        2 => Bits::<2>::from(value).into(),
        4 => Bits::<4>::from(value).into(),
        8 => Bits::<8>::from(value).into(),
        16 => Bits::<16>::from(value).into(),
        32 => Bits::<32>::from(value).into(),
        _ => unreachable!("internal error: no {bits}-bit literal in the generated Verilog"),
    })
}
/// Bit `i` of a vector.
pub(crate) fn bit(name: impl Into<String>, i: usize) -> VerilogExpression {
    VerilogExpression::Index(
        Box::new(sig(name)),
        Box::new(VerilogExpression::Literal((i as u32).into())),
    )
}
fn bin(a: VerilogExpression, op: VerilogOp, b: VerilogExpression) -> VerilogExpression {
    VerilogExpression::Binary(Box::new(a), op, Box::new(b))
}
pub(crate) fn add(a: VerilogExpression, b: VerilogExpression) -> VerilogExpression {
    bin(a, VerilogOp::Add, b)
}
pub(crate) fn and(a: VerilogExpression, b: VerilogExpression) -> VerilogExpression {
    bin(a, VerilogOp::BitAnd, b)
}
pub(crate) fn or(a: VerilogExpression, b: VerilogExpression) -> VerilogExpression {
    bin(a, VerilogOp::BitOr, b)
}
pub(crate) fn eq(a: VerilogExpression, b: VerilogExpression) -> VerilogExpression {
    bin(a, VerilogOp::Eq, b)
}
pub(crate) fn not(a: VerilogExpression) -> VerilogExpression {
    VerilogExpression::Unary(VerilogOpUnary::Not, Box::new(a))
}
/// The sum of `terms` (0 when empty), sized by the assignment's target.
pub(crate) fn sum(terms: impl IntoIterator<Item = VerilogExpression>) -> VerilogExpression {
    terms.into_iter().reduce(add).unwrap_or_else(|| lit(0, 16))
}

/// `n` default values (signals, registers).
pub(crate) fn vec_of<T: Default>(n: usize) -> Vec<T> {
    (0..n).map(|_| T::default()).collect()
}

/// A Verilog expression.
pub(crate) type Expr = VerilogExpression;
