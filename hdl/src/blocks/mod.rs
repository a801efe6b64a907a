//! The hardware blocks, generated from one `ArchConfig`: the PE ([`pe`], with its multiplier),
//! the mesh (`mesh`), the edge skew and deskew (`edge`), the buffers (`memory`), the
//! controller (`controller`) with the mapping's registers ([`loop_regs`]), its fold queue
//! (`fold_queue`, running a [`fold_walk`]er) and schedule cursors (`fold_cursor`), the DMA's
//! fetch cursors ([`fetch_cursor`], each running a masked [`fetch_walk`]er) and the drain's walk
//! (`drain_walk`), the DMA engine (`dma`, with `chunk_walk`), the output
//! stage ([`output_stage`]), the event counters (`counters`) and the top level (`top`).
//! Everything here is hardware: the test bench's models are in `crate::tb`, what runs them in
//! `crate::backend`. The blocks that a test or tool outside the crate builds on its own (the PE,
//! the output stage, the walkers the hdl tests drive) are public; the rest are crate-private
//! (`cargo doc -p systole-hdl --document-private-items` shows them).

pub(crate) mod chunk_walk;
pub(crate) mod controller;
pub(crate) mod counter_map;
pub(crate) mod counters;
pub(crate) mod dma;
pub(crate) mod drain_walk;
pub(crate) mod edge;
pub mod fetch_cursor;
pub mod fetch_walk;
pub(crate) mod fold_cursor;
pub(crate) mod fold_queue;
pub mod fold_walk;
pub mod loop_regs;
pub(crate) mod memory;
pub(crate) mod mesh;
pub(crate) mod mul;
pub mod output_stage;
pub mod pe;
pub(crate) mod top;
