//! The hardware blocks, generated from one `ArchConfig`: the PE ([`pe`], with its multiplier),
//! the mesh ([`mesh`]), the edge skew and deskew ([`edge`]), the buffers ([`memory`]), the
//! controller ([`controller`]) with the mapping's registers ([`loop_regs`]), its fold queue
//! ([`fold_queue`], running a [`fold_walk`]er) and schedule cursors ([`fold_cursor`]), the DMA's
//! fetch cursors ([`fetch_cursor`], each running a masked [`fetch_walk`]er) and the drain's walk
//! ([`drain_walk`]), the DMA engine ([`dma`], with [`chunk_walk`]), the output
//! stage ([`output_stage`]), the event counters ([`counters`]) and the top level ([`top`]).
//! Everything here is hardware: the test bench's models are in `crate::tb`, what runs them in
//! `crate::backend`.

pub mod chunk_walk;
pub mod controller;
pub(crate) mod counter_map;
pub mod counters;
pub mod dma;
pub mod drain_walk;
pub mod edge;
pub mod fetch_cursor;
pub mod fetch_walk;
pub mod fold_cursor;
pub mod fold_queue;
pub mod fold_walk;
pub mod loop_regs;
pub mod memory;
pub mod mesh;
pub(crate) mod mul;
pub mod output_stage;
pub mod pe;
pub mod top;
