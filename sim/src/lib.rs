//! # systole-sim
//!
//! The native side of systole: the architecture configuration ([`config::ArchConfig`]), the
//! workloads, the fast cycle-accurate model of the int8 systolic array ([`mod@array`]) for the
//! output-, weight- and input-stationary dataflows, the on-chip buffers ([`memory`]), the event
//! counts that the energy model charges ([`events::EventCounts`]) and the run statistics and
//! report tables ([`stats`], [`report`]).
//!
//! The cycle behaviour this crate implements is the contract in `docs/microarchitecture.md`; the
//! RTL in `systole-hdl` implements the same text.
//!
//! ```
//! use systole_sim::{config::{ArchConfig, Dataflow}, matrix::{Matrix, reference_matmul}};
//! let cfg = ArchConfig::preset("tiny-4x4").unwrap();
//! let a = Matrix::random(6, 9, 1);
//! let b = Matrix::random(9, 5, 2);
//! let run = systole_sim::array::simulate_gemm(&cfg, Dataflow::Ws, &a, &b).unwrap();
//! assert_eq!(run.c, reference_matmul(&a, &b));
//! assert_eq!(run.stats.macs, 6 * 9 * 5);
//! ```

#![warn(missing_docs)]

pub mod array;
mod bits;
pub mod config;
pub mod energy;
pub mod error;
pub mod events;
pub mod input;
pub mod mapper;
pub mod mapping;
pub mod matrix;
pub mod memory;
pub mod npy;
pub mod probe;
pub mod quant;
pub mod report;
pub mod run;
pub mod scalesim;
pub mod source;
pub mod stats;
pub mod sweep;
pub mod testing;
pub mod text;
pub mod trace;
pub mod workload;
