//! Tool flows on the generated design: the Verilog itself and its lint waivers ([`verilog`]),
//! and FPGA synthesis with Yosys and nextpnr ([`synth`]).

pub mod synth;
pub mod verilog;
