//! systole's accelerator as RTL in rust-hdl 0.46, generated from one `ArchConfig`, cycle for
//! cycle as `docs/microarchitecture.md` states. Hardware blocks: the PE ([`pe`]), the mesh
//! ([`mesh`]), the edge skew and deskew ([`edge`]), the buffers ([`memory`]), the controller
//! ([`controller`] with its [`cursor`]s), the DMA engine ([`dma`] with [`chunk_walk`]), the
//! output stage ([`output_stage`]), the event counters ([`counters`]) and the top level
//! ([`top`]). Simulation-only models: [`tb`] (the DRAM model and the simulation top). The
//! backends and the start command they issue: [`backend`]; the Verilog and synthesis:
//! [`flow`]; errors: [`error`]. Nothing outside this
//! crate imports rust-hdl.

#![warn(missing_docs)]

pub mod backend;
pub mod chunk_walk;
pub mod controller;
pub mod counters;
pub mod cursor;
pub mod dma;
pub mod edge;
pub mod error;
pub mod flow;
pub mod fold_walk;
pub mod memory;
pub mod mesh;
mod mul;
mod netlist;
pub mod output_stage;
pub mod pe;
pub mod tb;
mod tool;
pub mod top;
mod word;

pub use backend::request::{
    check_operands, check_rtl, check_rtl_at, cycle_limit, memory_command, Bases, MemoryCommand,
};
pub use error::{check_arch, install_hint, HdlError};
