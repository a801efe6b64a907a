//! systole's accelerator as RTL in rust-hdl 0.46, generated from one `ArchConfig`, cycle for
//! cycle as `docs/microarchitecture.md` states. The folders show the design: [`blocks`] (the
//! hardware: PE, mesh, edges, buffers, controller, DMA, output stage, counters, top), `tb`
//! (simulation-only models: the DRAM model and the simulation top), [`backend`] (what runs a
//! GEMM: `RunRequest` and `Backend::run`, rust-hdl's simulator, Icarus, Verilator, the start
//! command) and [`flow`] (Verilog and synthesis); errors: [`error`]. Nothing outside this crate
//! imports rust-hdl.

#![warn(missing_docs)]

pub mod backend;
pub mod blocks;
pub mod error;
pub mod flow;
pub mod interface;
mod netlist;
pub(crate) mod tb;
mod tool;
mod word;

pub use backend::request::{
    check_operands, check_rtl, check_rtl_at, cycle_limit, memory_command, Bases, MemoryCommand,
};
pub use error::{check_arch, install_hint, HdlError};
