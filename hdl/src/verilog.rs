//! Verilog of the accelerator, as rust-hdl generates it (module `top`, one module per instance),
//! and the Verilator lint waivers that go with it.

use rust_hdl::prelude::*;
use systole_sim::config::ArchConfig;

use crate::top::Accelerator;

/// The Verilog of the accelerator `cfg` describes.
pub fn accelerator_verilog(cfg: &ArchConfig) -> String {
    let mut uut = Accelerator::new(cfg);
    uut.connect_all();
    generate_verilog(&uut)
}
