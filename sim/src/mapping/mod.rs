//! The mapping layer: how a GEMM is laid out in the buffers ([`layout`]) and scheduled on the
//! array ([`schedule`]): which fold runs when, which vector enters which edge in which cycle.
//!
//! It depends on the configuration and the workloads' shapes only; the memory system and the
//! fast model read it.

pub mod layout;
pub mod schedule;
