//! Small machines for tests, in one place (the unit tests, the property tests, the RTL's lockstep
//! tests and the CLI tests all build them): `tiny-4x4`'s buffers and technology, reshaped to an
//! `rows x cols` array, with the memory model, DRAM port and read latencies a test asks for.
//! Each helper validates the result, so a test never runs on a machine the CLI would refuse.
//! [`every_keep`] gives the mappings the mapping tests sweep.

use crate::config::{ArchConfig, Dataflow, MemoryModel};
use crate::mapper::search::candidates;
use crate::mapping::Mapping;
use crate::workload::GemmShape;

/// `tiny-4x4` reshaped to `rows x cols`, with the ideal memory model (the datapath alone, every
/// operand on chip).
pub fn tiny(rows: u32, cols: u32) -> ArchConfig {
    let cfg = ArchConfig::preset("tiny-4x4")
        .and_then(|c| c.with_shape(Some(rows), Some(cols)))
        .and_then(|c| c.with_memory(None, Some(MemoryModel::Ideal)))
        .unwrap_or_else(|e| panic!("a {rows}x{cols} test machine: {e}"));
    checked(cfg)
}

/// [`tiny`] with buffer read latencies `la`, `lb` and `lc` cycles.
pub fn tiny_latencies(rows: u32, cols: u32, (la, lb, lc): (u32, u32, u32)) -> ArchConfig {
    let mut cfg = tiny(rows, cols);
    cfg.buffers.a.read_latency = la;
    cfg.buffers.b.read_latency = lb;
    cfg.buffers.c.read_latency = lc;
    checked(cfg)
}

/// [`tiny`] with DRAM behind a port of `bytes_per_cycle` and `latency` cycles.
pub fn tiny_dram(rows: u32, cols: u32, bytes_per_cycle: u32, latency: u32) -> ArchConfig {
    let mut cfg = ArchConfig::preset("tiny-4x4")
        .and_then(|c| c.with_shape(Some(rows), Some(cols)))
        .and_then(|c| c.with_memory(Some(bytes_per_cycle), Some(MemoryModel::Dram)))
        .unwrap_or_else(|e| panic!("a {rows}x{cols} DRAM test machine: {e}"));
    cfg.dram.latency_cycles = latency;
    checked(cfg)
}

/// The preset `name` with memory model `memory` and, when given, a DRAM port of
/// `bytes_per_cycle` (the preset's own otherwise).
pub fn preset_on(name: &str, memory: MemoryModel, bytes_per_cycle: Option<u32>) -> ArchConfig {
    let cfg = ArchConfig::preset(name)
        .and_then(|c| c.with_memory(bytes_per_cycle, Some(memory)))
        .unwrap_or_else(|e| panic!("test machine {name} with {memory:?} memory: {e}"));
    checked(cfg)
}

fn checked(cfg: ArchConfig) -> ArchConfig {
    if let Err(e) = cfg.validate() {
        panic!("test machine `{}`: {}: {}", cfg.name, e.field, e.message);
    }
    cfg
}

/// The mapper's candidates for `shape` in `df` on `cfg`, each also with A and B kept at every
/// other level the buffers allow (the search keeps them at the outermost that fits).
pub fn every_keep(cfg: &ArchConfig, df: Dataflow, shape: GemmShape) -> Vec<Mapping> {
    let mut maps = candidates(cfg, df, shape);
    for base in maps.clone() {
        for a in 0..=base.loops.len() {
            for b in 0..=base.loops.len() {
                let mut m = base.clone();
                m.keep.a = a;
                m.keep.b = b;
                if m.check(cfg, df, shape).is_ok() && !maps.contains(&m) {
                    maps.push(m);
                }
            }
        }
    }
    maps
}
