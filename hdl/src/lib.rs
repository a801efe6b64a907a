//! systole's accelerator as RTL in rust-hdl 0.46, generated from one `ArchConfig`, cycle for
//! cycle as `docs/microarchitecture.md` states. Hardware blocks: the PE ([`pe`]), the mesh
//! ([`mesh`]), the edge skew and deskew ([`edge`]), the buffers ([`memory`]), the controller
//! ([`controller`] with its [`cursor`]s), the DMA engine ([`dma`] with [`chunk_walk`]), the
//! output stage ([`output_stage`]), the event counters ([`counters`]) and the top level
//! ([`top`]). Simulation-only models: [`dram`] and [`sim_top`]. The start command a backend
//! issues: [`request`]; errors: [`error`]. Backends: [`rtl`] (rust-hdl's simulator), [`cosim`]
//! (Icarus), [`verilator`]; Verilog: [`verilog`]; synthesis: [`synth`]. Nothing outside this
//! crate imports rust-hdl.

#![warn(missing_docs)]

pub mod chunk_walk;
pub mod controller;
pub mod cosim;
pub mod counters;
pub mod cursor;
pub mod dma;
pub mod dram;
pub mod edge;
pub mod error;
pub mod memory;
pub mod mesh;
mod mul;
mod netlist;
pub mod output_stage;
pub mod pe;
pub mod request;
pub mod rtl;
pub mod sim_top;
pub mod synth;
mod tool;
pub mod top;
pub mod verilator;
pub mod verilog;
mod word;

pub use error::{check_arch, install_hint, HdlError};
pub use request::{
    check_operands, check_rtl, check_rtl_at, cycle_limit, memory_command, Bases, MemoryCommand,
};
