//! The hardware blocks, generated from one `ArchConfig`: the PE ([`pe`], with its multiplier),
//! the mesh ([`mesh`]), the edge skew and deskew ([`edge`]), the buffers ([`memory`]), the
//! controller ([`controller`]) with its schedule [`cursor`]s, the mapped fold walk
//! ([`fold_walk`], not yet wired), the DMA engine ([`dma`], with [`chunk_walk`]), the output
//! stage ([`output_stage`]), the event counters ([`counters`]) and the top level ([`top`]).
//! Everything here is hardware: the test bench's models are in `crate::tb`, what runs them in
//! `crate::backend`.

pub mod chunk_walk;
pub mod controller;
pub mod counters;
pub mod cursor;
pub mod dma;
pub mod edge;
pub mod fold_walk;
pub mod memory;
pub mod mesh;
pub(crate) mod mul;
pub mod output_stage;
pub mod pe;
pub mod top;
