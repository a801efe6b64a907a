//! The memory system. For now: the on-chip buffers as synchronous SRAMs holding the whole problem.
//! DRAM, DMA and double buffering arrive with the memory-system work (see the issue tracker).

pub(crate) mod buffer;
