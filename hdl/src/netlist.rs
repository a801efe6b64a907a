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

/// Declares the plain wires of a hand-written block once, and expands them into the three places
/// rust-hdl needs them: `wires_update(&mut self)` (simulation: each destination's `next` takes the
/// source's value), `wires_connect(&mut self)` (marks each destination driven) and
/// `wires_hdl(&self, &mut Kernel)` (the same assignments in the block's Verilog kernel).
///
/// Each line is `dst <= src;`, where a side is `top.port` (the block's own port) or
/// `child.port` (a child's). Both sides written `port[]` are vectors of signals: element `i` of
/// the destination takes element `i` of the source (a vector on one side only does not compile). Wires that
/// compute (a gate, a mux, a constant that depends on the build) stay in the block's own
/// `update`, `connect` and `hdl`.
macro_rules! wires {
    ($ty:ty { $($dst:ident . $dp:ident $([$($di:tt)*])? <= $src:ident . $sp:ident $([$($si:tt)*])? ;)* }) => {
        impl $ty {
            /// Simulation of the block's plain wires (`netlist::wires!`).
            fn wires_update(&mut self) {
                $( wires!(@update self, $dst . $dp $([$($di)*])?, $src . $sp $([$($si)*])?); )*
            }
            /// Marks the destinations of the block's plain wires driven (`netlist::wires!`).
            fn wires_connect(&mut self) {
                $( wires!(@connect self, $dst . $dp $([$($di)*])?); )*
            }
            /// The block's plain wires in its Verilog kernel (`netlist::wires!`).
            fn wires_hdl(&self, k: &mut $crate::netlist::Kernel) {
                $( wires!(@hdl self, k, $dst . $dp $([$($di)*])?, $src . $sp $([$($si)*])?); )*
            }
        }
    };
    (@sig $s:ident, top . $p:ident) => { $s.$p };
    (@sig $s:ident, $b:ident . $p:ident) => { $s.$b.$p };
    (@name top . $p:ident) => { stringify!($p) };
    (@name $b:ident . $p:ident) => { concat!(stringify!($b), "$", stringify!($p)) };
    (@update $s:ident, $d:ident . $dp:ident [], $t:ident . $tp:ident []) => {
        let (dst, src) = (&mut wires!(@sig $s, $d . $dp), &wires!(@sig $s, $t . $tp));
        debug_assert_eq!(dst.len(), src.len(), "a vector wire of two lengths");
        for (x, y) in dst.iter_mut().zip(src.iter()) {
            x.next = y.val();
        }
    };
    (@update $s:ident, $d:ident . $dp:ident, $t:ident . $tp:ident) => {
        (wires!(@sig $s, $d . $dp)).next = (wires!(@sig $s, $t . $tp)).val();
    };
    (@connect $s:ident, $d:ident . $dp:ident []) => {
        for x in wires!(@sig $s, $d . $dp).iter_mut() {
            x.connect();
        }
    };
    (@connect $s:ident, $d:ident . $dp:ident) => {
        (wires!(@sig $s, $d . $dp)).connect();
    };
    (@hdl $s:ident, $k:ident, $d:ident . $dp:ident [], $t:ident . $tp:ident []) => {
        for i in 0..wires!(@sig $s, $d . $dp).len() {
            $k.assign(
                format!("{}${i}", wires!(@name $d . $dp)),
                $crate::netlist::sig(format!("{}${i}", wires!(@name $t . $tp))),
            );
        }
    };
    (@hdl $s:ident, $k:ident, $d:ident . $dp:ident, $t:ident . $tp:ident) => {
        $k.assign(wires!(@name $d . $dp), $crate::netlist::sig(wires!(@name $t . $tp)));
    };
}
pub(crate) use wires;
