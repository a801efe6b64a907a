//! A first-order silicon area estimate: the PE array (multiplier, adder and pipeline registers of
//! each PE, plus the skew and deskew registers at the edges) and the three SRAM buffers (bit cells
//! over an array efficiency). Control, the DMA, the output stage, wiring and I/O are not counted;
//! `docs/energy.md` gives the sources and what the estimate leaves out.

use serde::{Deserialize, Serialize};

use crate::config::{ArchConfig, BufferId};

/// The `[area]` section of a technology table: the unit areas the estimate multiplies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaTable {
    /// Area of an 8-bit integer multiplier, um^2 (scaled by `(bits / 8)^2` for other widths).
    pub mult8_um2: f64,
    /// Area of a 32-bit integer adder, um^2 (scaled linearly for other accumulator widths).
    pub add32_um2: f64,
    /// Area of one flip-flop (one register bit), um^2.
    pub register_um2_per_bit: f64,
    /// Area of one 6T SRAM bit cell, um^2.
    pub sram_bitcell_um2: f64,
    /// Fraction of an SRAM macro's area that is bit cells (the rest: decoders, sense amplifiers,
    /// I/O), in (0, 1].
    pub sram_array_efficiency: f64,
}

/// The estimate for one architecture, mm^2.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct AreaEstimate {
    /// One PE, um^2.
    pub pe_um2: f64,
    /// Register bits of one PE.
    pub pe_register_bits: u64,
    /// The PE array with its skew and deskew registers.
    pub array_mm2: f64,
    /// Buffer A.
    pub buffer_a_mm2: f64,
    /// Buffer B.
    pub buffer_b_mm2: f64,
    /// Buffer C.
    pub buffer_c_mm2: f64,
    /// Everything counted.
    pub total_mm2: f64,
}

/// Register bits of one PE, as in the register table of `docs/microarchitecture.md`: the two
/// moving operands `a` and `v`, the stationary pair `w`/`wn`, and the accumulator `acc`, `p`/`y`
/// and `x`, of the accumulator's width (128 bits at int8/int32).
pub fn pe_register_bits(cfg: &ArchConfig) -> u64 {
    4 * u64::from(cfg.array.operand_bits) + 3 * u64::from(cfg.array.acc_bits)
}

/// Estimates the area of `cfg` with the unit areas of `t`.
pub fn estimate_area(cfg: &ArchConfig, t: &AreaTable) -> AreaEstimate {
    let op = f64::from(cfg.array.operand_bits);
    let acc = f64::from(cfg.array.acc_bits);
    let (rows, cols) = (u64::from(cfg.array.rows), u64::from(cfg.array.cols));
    let bits = pe_register_bits(cfg);
    let pe_um2 = t.mult8_um2 * (op / 8.0).powi(2)
        + t.add32_um2 * acc / 32.0
        + t.register_um2_per_bit * bits as f64;
    // Lane i of the left and top skew holds i operand registers; lane j of the deskew holds
    // cols-1-j accumulator registers.
    let tri = |n: u64| (n * n.saturating_sub(1) / 2) as f64;
    let edge_bits = (tri(rows) + tri(cols)) * op + tri(cols) * acc;
    let um2_to_mm2 = 1e-6;
    let array_mm2 =
        (pe_um2 * (rows * cols) as f64 + edge_bits * t.register_um2_per_bit) * um2_to_mm2;
    let sram = |id: BufferId| {
        let bits = f64::from(cfg.buffer(id).capacity_kib) * 1024.0 * 8.0;
        bits * t.sram_bitcell_um2 / t.sram_array_efficiency * um2_to_mm2
    };
    let (a, b, c) = (sram(BufferId::A), sram(BufferId::B), sram(BufferId::C));
    AreaEstimate {
        pe_um2,
        pe_register_bits: bits,
        array_mm2,
        buffer_a_mm2: a,
        buffer_b_mm2: b,
        buffer_c_mm2: c,
        total_mm2: array_mm2 + a + b + c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit() -> AreaTable {
        AreaTable {
            mult8_um2: 100.0,
            add32_um2: 10.0,
            register_um2_per_bit: 1.0,
            sram_bitcell_um2: 0.5,
            sram_array_efficiency: 0.5,
        }
    }

    /// Worked by hand for tiny-4x4: PE = 100 + 10 + 128 = 238 um^2; skew/deskew registers:
    /// (6 + 6) x 8 + 6 x 32 = 288 bits; SRAM: KiB x 8192 bits x 0.5 / 0.5 um^2.
    #[test]
    fn tiny_by_hand() {
        let cfg = ArchConfig::preset("tiny-4x4").unwrap();
        let e = estimate_area(&cfg, &unit());
        assert_eq!(e.pe_register_bits, 128);
        assert_eq!(e.pe_um2, 238.0);
        assert!((e.array_mm2 - (238.0 * 16.0 + 288.0) * 1e-6).abs() < 1e-12);
        let kib = f64::from(cfg.buffers.a.capacity_kib);
        assert!((e.buffer_a_mm2 - kib * 8192.0 * 1e-6).abs() < 1e-12);
        let sum = e.array_mm2 + e.buffer_a_mm2 + e.buffer_b_mm2 + e.buffer_c_mm2;
        assert_eq!(e.total_mm2, sum);
    }

    /// Doubling the operand width quadruples the multiplier; the array grows with rows x cols.
    #[test]
    fn scales_with_width_and_shape() {
        let mut cfg = ArchConfig::preset("tiny-4x4").unwrap();
        let t = AreaTable {
            add32_um2: 0.0,
            register_um2_per_bit: 0.0,
            ..unit()
        };
        let e8 = estimate_area(&cfg, &t);
        cfg.array.operand_bits = 16;
        let e16 = estimate_area(&cfg, &t);
        assert_eq!(e16.pe_um2, 4.0 * e8.pe_um2);
        cfg.array.operand_bits = 8;
        cfg.set_shape(8, 4);
        assert_eq!(estimate_area(&cfg, &t).array_mm2, 2.0 * e8.array_mm2);
    }

    /// The worked example of docs/energy.md: edge-16x16 at 45 nm.
    #[test]
    fn edge_at_45nm_as_documented() {
        let cfg = ArchConfig::preset("edge-16x16").unwrap();
        let t = crate::energy::TechTable::load("45nm").unwrap();
        let e = estimate_area(&cfg, t.area.as_ref().unwrap());
        assert!((e.pe_um2 - 997.816).abs() < 1e-9);
        assert!((e.array_mm2 - 0.2815).abs() < 5e-5, "{}", e.array_mm2);
        assert!((e.total_mm2 - 1.793).abs() < 5e-4, "{}", e.total_mm2);
    }
}
