//! Tool flows on the generated design: the Verilog itself and its lint waivers ([`verilog`]),
//! and FPGA synthesis with Yosys and nextpnr ([`synth`]), whose log [`pnr_log`] reads.

pub mod pnr_log;
pub mod synth;
pub mod verilog;
