//! The hardware blocks, generated from one `ArchConfig`: the PE ([`pe`], with its multiplier),
//! the mesh ([`mesh`]), the edge skew and deskew ([`edge`]), the buffers ([`memory`]), the
//! controller ([`controller`]) with the mapping's fold queue ([`fold_queue`]: the loop registers
//! and the [`fold_walk`]er) and its schedule cursors ([`fold_cursor`]), the DMA engine ([`dma`],
//! with [`chunk_walk`] and its SCALE-Sim-order fetch [`cursor`]s; the mapped-order
//! [`fetch_walk`]er is built and tested, not yet wired), the output
//! stage ([`output_stage`]), the event counters ([`counters`]) and the top level ([`top`]).
//! Everything here is hardware: the test bench's models are in `crate::tb`, what runs them in
//! `crate::backend`.

pub mod chunk_walk;
pub mod controller;
pub mod counters;
pub mod cursor;
pub mod dma;
pub mod edge;
pub mod fetch_walk;
pub mod fold_cursor;
pub mod fold_queue;
pub mod fold_walk;
pub mod memory;
pub mod mesh;
pub(crate) mod mul;
pub mod output_stage;
pub mod pe;
pub mod top;
