//! Technology tables: the energy of each action at one process node, read from TOML files with
//! every number's source written beside it (`sim/tech/*.toml`, `docs/energy.md`).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::{field_line, parse_toml, DramKind};
use crate::error::ConfigError;

/// Energy of one int8 x int8 -> int32 multiply-accumulate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MacEnergy {
    /// The 8-bit multiply, pJ.
    pub mult_pj: f64,
    /// The 32-bit accumulate, pJ.
    pub add_pj: f64,
}

/// Energy of pipeline registers, per bit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterEnergy {
    /// Latching one bit, pJ.
    pub write_pj_per_bit: f64,
    /// Reading one bit (charged only under [`super::RegisterConvention::ReadWrite`]), pJ.
    pub read_pj_per_bit: f64,
}

/// SRAM access energy as a function of capacity: a 64-bit read of a `C` KiB array costs
/// `read64_base_pj + read64_per_sqrt_kib_pj x sqrt(C)`, and an access of `w` bits `w / 64` of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SramEnergy {
    /// Constant term of the 64-bit read, pJ.
    pub read64_base_pj: f64,
    /// Square-root term of the 64-bit read, pJ per sqrt(KiB).
    pub read64_per_sqrt_kib_pj: f64,
    /// Capacities (KiB per bank) over which the fit was made: `[low, high]`.
    pub valid_kib: [f64; 2],
    /// A write costs this many reads.
    pub write_factor: f64,
}

impl SramEnergy {
    /// Energy of one read of `word_bits` bits from an SRAM bank of `kib` KiB, pJ.
    pub fn read_pj(&self, kib: f64, word_bits: u32) -> f64 {
        (self.read64_base_pj + self.read64_per_sqrt_kib_pj * kib.sqrt()) * f64::from(word_bits)
            / 64.0
    }

    /// Whether `kib` lies inside the range the fit was made on.
    pub fn in_range(&self, kib: f64) -> bool {
        kib >= self.valid_kib[0] && kib <= self.valid_kib[1]
    }
}

/// DRAM energy per bit moved, by type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DramEnergy {
    /// LPDDR4, pJ/bit.
    pub lpddr4: f64,
    /// HBM2, pJ/bit.
    pub hbm2: f64,
    /// DDR3, pJ/bit.
    pub ddr3: f64,
}

impl DramEnergy {
    /// pJ per bit of this DRAM type.
    pub fn pj_per_bit(&self, kind: DramKind) -> f64 {
        match kind {
            DramKind::Lpddr4 => self.lpddr4,
            DramKind::Hbm2 => self.hbm2,
            DramKind::Ddr3 => self.ddr3,
        }
    }
}

/// Static power.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeakagePower {
    /// Per processing element, microwatts.
    pub pe_uw: f64,
    /// Per KiB of on-chip SRAM, microwatts.
    pub sram_uw_per_kib: f64,
}

/// One process node's energy table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TechTable {
    /// Name used in reports (`45nm`).
    pub name: String,
    /// Feature size, nm.
    pub node_nm: f64,
    /// Where the numbers come from, in one line.
    pub source: String,
    /// For scaled tables: the factor applied to the 45 nm logic and SRAM energies.
    #[serde(default)]
    pub scale_from_45nm: Option<f64>,
    /// The MAC.
    pub mac: MacEnergy,
    /// Pipeline registers.
    pub register: RegisterEnergy,
    /// On-chip SRAM buffers.
    pub sram: SramEnergy,
    /// Off-chip DRAM.
    pub dram: DramEnergy,
    /// Static power.
    pub leakage: LeakagePower,
    /// Unit areas for the area estimate ([`super::area`]); a table without them gives no area.
    #[serde(default)]
    pub area: Option<super::area::AreaTable>,
}

/// The built-in tables: (name, TOML text).
const TABLES: &[(&str, &str)] = &[
    ("45nm", include_str!("../../tech/45nm.toml")),
    ("28nm", include_str!("../../tech/28nm.toml")),
    ("16nm", include_str!("../../tech/16nm.toml")),
    ("7nm", include_str!("../../tech/7nm.toml")),
];

/// Largest value a table may give, in the field's unit (pJ, pJ per bit, uW, um^2, KiB, nm, or a
/// factor): a microjoule per action is beyond any circuit, and with every value at most this, the
/// energy of any run (every count below 2^64) stays a finite number.
pub const MAX_TABLE_VALUE: f64 = 1e6;

/// The table used when none is named.
pub const DEFAULT_TECH: &str = "45nm";

/// Names of the built-in tables.
pub fn tech_names() -> Vec<&'static str> {
    TABLES.iter().map(|(n, _)| *n).collect()
}

impl TechTable {
    /// A built-in table (`45nm`, `28nm`, `16nm`, `7nm`) or the path of a TOML file.
    pub fn load(name_or_path: &str) -> Result<TechTable, ConfigError> {
        if let Some((n, text)) = TABLES.iter().find(|(n, _)| *n == name_or_path) {
            return TechTable::from_toml_str(text, &format!("technology table {n}"));
        }
        let path = Path::new(name_or_path);
        if !path.exists() {
            return Err(ConfigError::Flag {
                flag: "--tech".into(),
                message: format!(
                    "`{name_or_path}` is neither a built-in table ({}) nor a file",
                    tech_names().join(", ")
                ),
            });
        }
        let text = crate::input::read_text(path).map_err(|message| ConfigError::Io {
            path: path.to_path_buf(),
            message,
        })?;
        TechTable::from_toml_str(&text, &path.display().to_string())
    }

    /// Parses and checks a table; `origin` names it in errors.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<TechTable, ConfigError> {
        let t: TechTable = parse_toml(text, origin)?;
        let values = [
            ("mac.mult_pj", t.mac.mult_pj),
            ("mac.add_pj", t.mac.add_pj),
            ("register.write_pj_per_bit", t.register.write_pj_per_bit),
            ("register.read_pj_per_bit", t.register.read_pj_per_bit),
            ("sram.read64_base_pj", t.sram.read64_base_pj),
            ("sram.read64_per_sqrt_kib_pj", t.sram.read64_per_sqrt_kib_pj),
            ("sram.write_factor", t.sram.write_factor),
            ("dram.lpddr4", t.dram.lpddr4),
            ("dram.hbm2", t.dram.hbm2),
            ("dram.ddr3", t.dram.ddr3),
            ("leakage.pe_uw", t.leakage.pe_uw),
            ("leakage.sram_uw_per_kib", t.leakage.sram_uw_per_kib),
        ];
        let invalid = |field: &str, message: String| ConfigError::Invalid {
            origin: origin.to_string(),
            line: field_line(text, field),
            field: field.to_string(),
            message,
        };
        let in_range = |field: &str, v: f64| {
            if (0.0..=MAX_TABLE_VALUE).contains(&v) {
                Ok(())
            } else {
                Err(invalid(
                    field,
                    format!("{v:?}: must be a number from 0 to {MAX_TABLE_VALUE:e}"),
                ))
            }
        };
        for (field, v) in values {
            in_range(field, v)?;
        }
        if let Some(a) = &t.area {
            for (field, v) in [
                ("area.mult8_um2", a.mult8_um2),
                ("area.add32_um2", a.add32_um2),
                ("area.register_um2_per_bit", a.register_um2_per_bit),
                ("area.sram_bitcell_um2", a.sram_bitcell_um2),
            ] {
                in_range(field, v)?;
            }
            let e = a.sram_array_efficiency;
            if !(e.is_finite() && 0.0 < e && e <= 1.0) {
                return Err(invalid(
                    "area.sram_array_efficiency",
                    format!("{e}: must be a fraction in (0, 1]"),
                ));
            }
        }
        let [lo, hi] = t.sram.valid_kib;
        if !(0.0 < lo && lo <= hi && hi <= MAX_TABLE_VALUE) {
            return Err(invalid(
                "sram.valid_kib",
                format!(
                    "[{lo:?}, {hi:?}]: must be [low, high] KiB with 0 < low <= high <= {MAX_TABLE_VALUE:e}"
                ),
            ));
        }
        if !(t.node_nm > 0.0 && t.node_nm <= MAX_TABLE_VALUE) {
            return Err(invalid(
                "node_nm",
                format!(
                    "{:?}: must be a positive feature size in nm, at most {MAX_TABLE_VALUE:e}",
                    t.node_nm
                ),
            ));
        }
        if let Some(f) = t.scale_from_45nm {
            if !(f > 0.0 && f <= MAX_TABLE_VALUE) {
                return Err(invalid(
                    "scale_from_45nm",
                    format!("{f:?}: must be a positive factor, at most {MAX_TABLE_VALUE:e}"),
                ));
            }
        }
        Ok(t)
    }
}

/// The energy factor of Stillmaker & Baas (Integration 58, 2017) from 45 nm to `node` nm, with
/// both nodes' energy polynomials `a Vdd^2 + b Vdd + c` evaluated at 0.8 V (as Accelergy's
/// hwcomponents does); 28 nm interpolates between the 32 nm and 20 nm polynomials. `None` for a
/// node without coefficients here.
pub fn stillmaker_baas_factor(node: u32) -> Option<f64> {
    // (node nm, a, b, c) for the nodes the built-in tables use.
    const COEF: [(u32, f64, f64, f64); 5] = [
        (45, 1.103, -0.362, 0.2767),
        (32, 0.9559, -0.7823, 0.471),
        (20, 0.373, -0.1582, 0.04104),
        (16, 0.2958, -0.1241, 0.03024),
        (7, 0.1776, -0.09097, 0.02447),
    ];
    let e = |n: u32| {
        COEF.iter()
            .find(|c| c.0 == n)
            .map(|&(_, a, b, c)| a * 0.64 + b * 0.8 + c)
    };
    let at = match node {
        28 => {
            let w = (32.0 - 28.0) / (32.0 - 20.0);
            e(32)? * (1.0 - w) + e(20)? * w
        }
        n => e(n)?,
    };
    Some(at / e(45)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_tables_parse() {
        for n in tech_names() {
            let t = TechTable::load(n).unwrap();
            assert_eq!(t.name, n);
        }
    }

    /// The 45 nm SRAM fit stays within 6.5% of Horowitz's three 64-bit reads.
    #[test]
    fn sram_fit_reproduces_horowitz() {
        let t = TechTable::load("45nm").unwrap();
        for (kib, pj) in [(8.0, 10.0), (32.0, 20.0), (1024.0, 100.0)] {
            let got = t.sram.read_pj(kib, 64);
            assert!((got - pj).abs() / pj < 0.065, "{kib} KiB: {got} pJ vs {pj}");
        }
    }

    /// Every scaled table's logic areas are the 45 nm ones times hwcomponents' area factor of
    /// its node (28 nm interpolated between 32 and 20 nm), as the files say.
    #[test]
    fn scaled_areas_follow_the_stated_factors() {
        let base = TechTable::load("45nm").unwrap().area.unwrap();
        for (name, f) in [("28nm", 0.377), ("16nm", 0.19), ("7nm", 0.059)] {
            let a = TechTable::load(name).unwrap().area.unwrap();
            for (got, want) in [
                (a.mult8_um2, base.mult8_um2),
                (a.add32_um2, base.add32_um2),
                (a.register_um2_per_bit, base.register_um2_per_bit),
            ] {
                assert!(
                    (got - want * f).abs() <= 1e-4 * want,
                    "{name}: {got} vs {}",
                    want * f
                );
            }
            assert_eq!(a.sram_array_efficiency, base.sram_array_efficiency);
            assert!(a.sram_bitcell_um2 < base.sram_bitcell_um2, "{name}");
        }
    }

    /// Every scaled table is the 45 nm table times the Stillmaker & Baas factor of its node, and
    /// DRAM is unchanged.
    #[test]
    fn scaled_tables_follow_the_published_factors() {
        let base = TechTable::load("45nm").unwrap();
        for (name, node) in [("28nm", 28), ("16nm", 16), ("7nm", 7)] {
            let t = TechTable::load(name).unwrap();
            let published = stillmaker_baas_factor(node).unwrap();
            let f = t.scale_from_45nm.unwrap();
            assert!((f - published).abs() < 1e-4, "{name}: {f} vs {published}");
            let close = |got: f64, want: f64, what: &str| {
                assert!(
                    (got - want * f).abs() <= 5e-6 + 1e-4 * want * f,
                    "{name} {what}: {got} vs {}",
                    want * f
                )
            };
            close(t.mac.mult_pj, base.mac.mult_pj, "mult");
            close(t.mac.add_pj, base.mac.add_pj, "add");
            close(
                t.register.write_pj_per_bit,
                base.register.write_pj_per_bit,
                "reg",
            );
            close(t.sram.read64_base_pj, base.sram.read64_base_pj, "sram base");
            close(
                t.sram.read64_per_sqrt_kib_pj,
                base.sram.read64_per_sqrt_kib_pj,
                "sram sqrt",
            );
            close(
                t.register.read_pj_per_bit,
                base.register.read_pj_per_bit,
                "reg read",
            );
            close(t.leakage.pe_uw, base.leakage.pe_uw, "leakage");
            close(
                t.leakage.sram_uw_per_kib,
                base.leakage.sram_uw_per_kib,
                "sram leakage",
            );
            assert_eq!(t.sram.write_factor, base.sram.write_factor, "{name}");
            assert_eq!(t.sram.valid_kib, base.sram.valid_kib, "{name}");
            assert_eq!(t.dram, base.dram, "{name}");
            assert_eq!(t.node_nm, f64::from(node), "{name}");
        }
        // Smaller nodes cost less.
        let f = |n| stillmaker_baas_factor(n).unwrap();
        assert!(f(28) < 1.0 && f(16) < f(28) && f(7) < f(16));
    }

    #[test]
    fn a_reversed_fit_range_is_refused_with_its_line() {
        let text = include_str!("../../tech/45nm.toml")
            .replace("valid_kib = [8, 1024]", "valid_kib = [1024, 8]");
        let e = TechTable::from_toml_str(&text, "mine.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("sram.valid_kib") && e.contains("mine.toml:"),
            "{e}"
        );
    }

    /// A value beyond any circuit is refused (`mult_pj = 1e308` passed as "finite, at least 0"
    /// and the energy printed as NaN uJ, issue 22 defect 6); at the largest values accepted, the
    /// energy of a run with every count at its largest, on the largest machine at the slowest
    /// clock, is still a finite number.
    #[test]
    fn table_values_are_bounded_so_that_energy_stays_finite() {
        let text = include_str!("../../tech/45nm.toml");
        for (from, to, field) in [
            ("mult_pj = 0.2", "mult_pj = 1e308", "mac.mult_pj"),
            ("pe_uw = 8.6", "pe_uw = inf", "leakage.pe_uw"),
            ("ddr3 = 70.0", "ddr3 = nan", "dram.ddr3"),
            ("node_nm = 45", "node_nm = 1e300", "node_nm"),
            (
                "valid_kib = [8, 1024]",
                "valid_kib = [8, 1e300]",
                "sram.valid_kib",
            ),
            ("mult8_um2 = 282.0", "mult8_um2 = 2e6", "area.mult8_um2"),
        ] {
            assert!(text.contains(from), "{from}");
            let e = TechTable::from_toml_str(&text.replace(from, to), "mine.toml")
                .unwrap_err()
                .to_string();
            assert!(e.contains(field) && e.contains("mine.toml:"), "{e}");
        }
        let mut t = TechTable::load("45nm").unwrap();
        for v in [
            &mut t.mac.mult_pj,
            &mut t.mac.add_pj,
            &mut t.register.write_pj_per_bit,
            &mut t.register.read_pj_per_bit,
            &mut t.sram.read64_base_pj,
            &mut t.sram.read64_per_sqrt_kib_pj,
            &mut t.sram.write_factor,
            &mut t.dram.lpddr4,
            &mut t.leakage.pe_uw,
            &mut t.leakage.sram_uw_per_kib,
        ] {
            *v = MAX_TABLE_VALUE;
        }
        let back = TechTable::from_toml_str(&toml::to_string(&t).unwrap(), "max").unwrap();
        let mut cfg = crate::config::ArchConfig::preset("tpu-128x128").unwrap();
        cfg.array.rows = crate::config::MAX_ARRAY_EDGE;
        cfg.array.cols = crate::config::MAX_ARRAY_EDGE;
        cfg.array.operand_bits = 16;
        cfg.clock_mhz = 0.001;
        for b in [&mut cfg.buffers.a, &mut cfg.buffers.b, &mut cfg.buffers.c] {
            b.capacity_kib = crate::config::MAX_BUFFER_KIB;
            b.word_bits = 4096;
            b.banks = 1;
        }
        let mut ev = crate::events::EventCounts::default();
        for (name, _) in crate::events::EventCounts::default().pairs() {
            *ev.get_mut(name).unwrap() = u64::MAX;
        }
        for convention in [
            super::super::RegisterConvention::WriteOnce,
            super::super::RegisterConvention::ReadWrite,
        ] {
            let model = super::super::EnergyModel {
                tech: back.clone(),
                convention,
            };
            let e = super::super::estimate(&cfg, &ev, u64::MAX, &model);
            assert!(e.energy_pj.total.is_finite(), "{:?}", e.energy_pj);
            assert!(e.energy_pj.total > 1e30, "{:?}", e.energy_pj);
        }
    }

    #[test]
    fn negative_energies_are_refused() {
        let text = include_str!("../../tech/45nm.toml").replace("mult_pj = 0.2", "mult_pj = -1");
        let e = TechTable::from_toml_str(&text, "mine.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("mine.toml") && e.contains("mac.mult_pj"), "{e}");
    }
}
