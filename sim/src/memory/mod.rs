//! The memory system: the on-chip buffers as synchronous SRAMs (`buffer`), the DRAM bus
//! (`dram`) and the DMA engine that fills and drains the buffers over it ([`dma`]).

pub(crate) mod buffer;
pub mod dma;
pub mod dram;
pub mod im2col;
