//! The energy model: event counts + a technology table -> joules per component and per action.
//!
//! It knows nothing about how the counts were produced: the fast model and the RTL's hardware
//! counters fill the same [`EventCounts`], and [`estimate`] charges them. The model, the tables
//! and their sources are in `docs/energy.md`.
//!
//! Components: `mac` (multiply and accumulate), `registers` (the PEs' pipeline registers and the
//! edge skew/deskew registers), `buffer_a`, `buffer_b`, `buffer_c` (SRAM accesses, the DMA's
//! included), `dram` (bytes moved over the DRAM port), `output_stage` (bias and requantization
//! to int8, when a GEMM uses it) and `leakage` (static power over the run).

pub mod area;
pub mod tech;

use serde::{Deserialize, Serialize};

use crate::config::{ArchConfig, BufferId};
use crate::events::EventCounts;
pub use tech::{TechTable, DEFAULT_TECH};

/// How pipeline registers are charged. The choice moves the comparison between dataflows, so
/// every report states which one is in force.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RegisterConvention {
    /// Each value latched into a register is charged once, per bit (the default; what a
    /// gate-level power tool sees for a flip-flop: it switches when written).
    #[default]
    WriteOnce,
    /// Each write and each read is charged, as ZigZag counts the lowest memory level: on top of
    /// every latch, each MAC reads its two operands and its partial sum, and each skew and deskew
    /// value is read by the next stage.
    ReadWrite,
}

impl RegisterConvention {
    /// `write-once` or `read-write`.
    pub fn name(self) -> &'static str {
        match self {
            RegisterConvention::WriteOnce => "write-once",
            RegisterConvention::ReadWrite => "read-write",
        }
    }
}

/// What the model needs besides the counts: the table and the register convention.
#[derive(Debug, Clone, PartialEq)]
pub struct EnergyModel {
    /// The technology table.
    pub tech: TechTable,
    /// The register-counting convention.
    pub convention: RegisterConvention,
}

impl Default for EnergyModel {
    fn default() -> Self {
        EnergyModel {
            tech: TechTable::load(DEFAULT_TECH).expect("the built-in table parses"),
            convention: RegisterConvention::default(),
        }
    }
}

/// Energy per component, pJ. `total` is their sum. The JSON object `energy_pj` of every report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct EnergyBreakdown {
    /// Multiply-accumulates.
    pub mac: f64,
    /// Pipeline registers (PEs, skew, deskew).
    pub registers: f64,
    /// SRAM buffer A (ifmap).
    pub buffer_a: f64,
    /// SRAM buffer B (filter).
    pub buffer_b: f64,
    /// SRAM buffer C (ofmap / accumulator).
    pub buffer_c: f64,
    /// DRAM transfers.
    pub dram: f64,
    /// The output stage (bias, requantization to int8); zero when C stays int32.
    #[serde(default)]
    pub output_stage: f64,
    /// Static power over the run.
    pub leakage: f64,
    /// The sum of the above.
    pub total: f64,
}

impl EnergyBreakdown {
    /// Component names in report order (JSON keys), without `total`.
    pub const COMPONENTS: [&'static str; 8] = [
        "mac",
        "registers",
        "buffer_a",
        "buffer_b",
        "buffer_c",
        "dram",
        "output_stage",
        "leakage",
    ];

    /// The components' values in the order of [`EnergyBreakdown::COMPONENTS`].
    pub fn values(&self) -> [f64; 8] {
        [
            self.mac,
            self.registers,
            self.buffer_a,
            self.buffer_b,
            self.buffer_c,
            self.dram,
            self.output_stage,
            self.leakage,
        ]
    }

    /// Adds `n` times `other`.
    pub fn add_scaled(&mut self, other: &EnergyBreakdown, n: u64) {
        let k = n as f64;
        self.mac += other.mac * k;
        self.registers += other.registers * k;
        self.buffer_a += other.buffer_a * k;
        self.buffer_b += other.buffer_b * k;
        self.buffer_c += other.buffer_c * k;
        self.dram += other.dram * k;
        self.output_stage += other.output_stage * k;
        self.leakage += other.leakage * k;
        self.total += other.total * k;
    }
}

/// One action's share: `count` x `pj_each` = `pj`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionEnergy {
    /// Component it belongs to (a key of [`EnergyBreakdown`]).
    pub component: String,
    /// The action (an event name, or a derived read under the read-write convention).
    pub action: String,
    /// How many times it happened (bits, bytes or cycles where `unit` says so).
    pub count: u64,
    /// What `count` counts.
    pub unit: String,
    /// Energy of one, pJ.
    pub pj_each: f64,
    /// `count x pj_each`.
    pub pj: f64,
}

/// The energy of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnergyReport {
    /// Technology table name.
    pub tech: String,
    /// Register convention in force.
    pub convention: RegisterConvention,
    /// Per component.
    pub energy_pj: EnergyBreakdown,
    /// Per action, in component order.
    pub actions: Vec<ActionEnergy>,
    /// Caveats (an SRAM bank outside the fit's range, ...).
    pub notes: Vec<String>,
}

/// Charges a run's events. `cycles` is the run's end-to-end length (leakage accrues over it).
pub fn estimate(
    cfg: &ArchConfig,
    events: &EventCounts,
    cycles: u64,
    model: &EnergyModel,
) -> EnergyReport {
    let t = &model.tech;
    let mut actions: Vec<ActionEnergy> = Vec::new();
    let mut notes = Vec::new();
    let mut charge = |component: &str, action: &str, count: u64, unit: &str, pj_each: f64| {
        actions.push(ActionEnergy {
            component: component.to_string(),
            action: action.to_string(),
            count,
            unit: unit.to_string(),
            pj_each,
            pj: count as f64 * pj_each,
        });
    };

    charge(
        "mac",
        "macs",
        events.macs,
        "MACs",
        mac_pj(t, cfg.array.operand_bits),
    );

    let op = cfg.array.operand_bits;
    let acc = cfg.array.acc_bits;
    let w = t.register.write_pj_per_bit;
    for (name, count, bits) in [
        ("h_operand_hops", events.h_operand_hops, op),
        ("v_operand_hops", events.v_operand_hops, op),
        ("stationary_loads", events.stationary_loads, op),
        ("stationary_swaps", events.stationary_swaps, op),
        ("acc_updates", events.acc_updates, acc),
        ("psum_hops", events.psum_hops, acc),
        ("skew_hops", events.skew_hops, op),
        ("deskew_hops", events.deskew_hops, acc),
    ] {
        charge("registers", name, count, "values", w * f64::from(bits));
    }
    if model.convention == RegisterConvention::ReadWrite {
        let r = t.register.read_pj_per_bit;
        // Each MAC reads two operands and the partial sum it adds to.
        charge(
            "registers",
            "mac_operand_reads",
            events.macs,
            "MACs",
            r * f64::from(2 * op + acc),
        );
        charge(
            "registers",
            "skew_reads",
            events.skew_hops,
            "values",
            r * f64::from(op),
        );
        charge(
            "registers",
            "deskew_reads",
            events.deskew_hops,
            "values",
            r * f64::from(acc),
        );
    }

    for (id, component) in [
        (BufferId::A, "buffer_a"),
        (BufferId::B, "buffer_b"),
        (BufferId::C, "buffer_c"),
    ] {
        let b = cfg.buffer(id);
        let bank_kib = f64::from(b.capacity_kib) / f64::from(b.banks.max(1));
        if !t.sram.in_range(bank_kib) {
            notes.push(format!(
                "buffer {}: {bank_kib:.1} KiB per bank is outside the SRAM fit's range ({}-{} KiB); its energy is extrapolated",
                id.name().to_ascii_uppercase(),
                t.sram.valid_kib[0],
                t.sram.valid_kib[1]
            ));
        }
        let read = t.sram.read_pj(bank_kib, b.word_bits);
        let (reads, writes) = match id {
            BufferId::A => (events.a_buf_reads, events.a_buf_writes),
            BufferId::B => (events.b_buf_reads, events.b_buf_writes),
            BufferId::C => (events.c_buf_reads, events.c_buf_writes),
        };
        let (r, wr) = (
            format!("{}_buf_reads", id.name()),
            format!("{}_buf_writes", id.name()),
        );
        charge(component, &r, reads, "words", read);
        charge(component, &wr, writes, "words", read * t.sram.write_factor);
    }

    let per_byte = 8.0 * t.dram.pj_per_bit(cfg.dram.kind);
    for (name, bytes) in [
        ("dram_a_read_bytes", events.dram_a_read_bytes),
        ("dram_b_read_bytes", events.dram_b_read_bytes),
        ("dram_c_read_bytes", events.dram_c_read_bytes),
        ("dram_c_write_bytes", events.dram_c_write_bytes),
    ] {
        charge("dram", name, bytes, "bytes", per_byte);
    }

    // The output stage, per requantized element: a 32 x 32 multiply (the table's 8-bit multiply
    // scaled by the square of the width), three int32 adds (bias, rounding, zero point) and a
    // read of the channel's 70 parameter bits (bias 32, multiplier 32, shift 6) from registers.
    charge(
        "output_stage",
        "output_stage_ops",
        events.output_stage_ops,
        "values",
        output_stage_op_pj(t),
    );

    // Static power (uW) over `cycles` at `clock_mhz`: uW x cycles / MHz = pJ.
    let sram_kib: f64 = [BufferId::A, BufferId::B, BufferId::C]
        .iter()
        .map(|&id| f64::from(cfg.buffer(id).capacity_kib))
        .sum();
    let static_uw = t.leakage.pe_uw * cfg.pes() as f64 + t.leakage.sram_uw_per_kib * sram_kib;
    charge(
        "leakage",
        "cycles",
        cycles,
        "cycles",
        static_uw / cfg.clock_mhz,
    );

    let mut e = EnergyBreakdown::default();
    for a in &actions {
        let slot = match a.component.as_str() {
            "mac" => &mut e.mac,
            "registers" => &mut e.registers,
            "buffer_a" => &mut e.buffer_a,
            "buffer_b" => &mut e.buffer_b,
            "buffer_c" => &mut e.buffer_c,
            "dram" => &mut e.dram,
            "output_stage" => &mut e.output_stage,
            _ => &mut e.leakage,
        };
        *slot += a.pj;
    }
    e.total = e.values().iter().sum();
    EnergyReport {
        tech: t.name.clone(),
        convention: model.convention,
        energy_pj: e,
        actions,
        notes,
    }
}

/// The energy of one of each event and of one cycle, for charging many candidate runs fast (the
/// mapper): [`estimate`] is linear in the counts and the cycles, so `charge` equals its total.
#[derive(Debug, Clone, PartialEq)]
pub struct Prices {
    /// pJ per event, in the order of [`EventCounts::NAMES`].
    per_event: Vec<f64>,
    /// pJ per cycle (leakage).
    per_cycle: f64,
}

impl Prices {
    /// The prices of `cfg` under `model`.
    pub fn of(cfg: &ArchConfig, model: &EnergyModel) -> Prices {
        let per_event = EventCounts::NAMES
            .iter()
            .map(|name| {
                let mut e = EventCounts::default();
                *e.get_mut(name).expect("a known event") = 1;
                estimate(cfg, &e, 0, model).energy_pj.total
            })
            .collect();
        let per_cycle = estimate(cfg, &EventCounts::default(), 1, model)
            .energy_pj
            .total;
        Prices {
            per_event,
            per_cycle,
        }
    }

    /// The total energy (pJ) of a run with these counts lasting `cycles`.
    pub fn charge(&self, events: &EventCounts, cycles: u64) -> f64 {
        let mut pj = cycles as f64 * self.per_cycle;
        for (v, p) in events.values().iter().zip(&self.per_event) {
            pj += *v as f64 * p;
        }
        pj
    }
}

/// Bits of one output channel's parameters: bias (32), Q31 multiplier (32) and shift (6).
pub const OUTPUT_STAGE_PARAM_BITS: u32 = 70;

/// Energy of a `bits x bits` integer multiply (pJ): the table's 8-bit multiply scaled by
/// `(bits / 8)^2`, as an array multiplier's partial-product array grows (Horowitz's 45 nm figures:
/// 8-bit 0.2 pJ, 32-bit 3.1 pJ, against 3.2 pJ by this rule).
pub fn mult_pj(t: &TechTable, bits: u32) -> f64 {
    t.mac.mult_pj * (f64::from(bits) / 8.0).powi(2)
}

/// Energy of one MAC with `operand_bits`-wide operands (pJ): the multiply ([`mult_pj`]) and the
/// accumulator-wide add, which does not depend on the operand width.
pub fn mac_pj(t: &TechTable, operand_bits: u32) -> f64 {
    mult_pj(t, operand_bits) + t.mac.add_pj
}

/// Energy of one output-stage element (pJ): the 32 x 32 requantization multiply
/// ([`mult_pj`]), three int32 adds, and the parameter read.
pub fn output_stage_op_pj(t: &TechTable) -> f64 {
    mult_pj(t, 32)
        + 3.0 * t.mac.add_pj
        + f64::from(OUTPUT_STAGE_PARAM_BITS) * t.register.read_pj_per_bit
}

/// Figures of merit derived from a run's energy and time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Efficiency {
    /// Energy per MAC, pJ.
    pub pj_per_mac: f64,
    /// Tera-operations per second per watt (one MAC = two operations): 2 x MACs / pJ.
    pub tops_per_watt: f64,
    /// Energy-delay product, J x s (delay: the end-to-end latency at the configured clock).
    pub edp_js: f64,
}

impl Efficiency {
    /// From MACs, total energy (pJ), cycles and clock (MHz).
    pub fn of(macs: u64, total_pj: f64, cycles: u64, clock_mhz: f64) -> Efficiency {
        if macs == 0 || total_pj <= 0.0 {
            return Efficiency::default();
        }
        let seconds = cycles as f64 / (clock_mhz * 1e6);
        Efficiency {
            pj_per_mac: total_pj / macs as f64,
            tops_per_watt: 2.0 * macs as f64 / total_pj,
            edp_js: total_pj * 1e-12 * seconds,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> ArchConfig {
        ArchConfig::preset("edge-16x16").unwrap()
    }

    /// MAC energy is exactly MACs x (multiply + add), and an all-zero run costs only leakage.
    #[test]
    fn mac_energy_is_exact() {
        let m = EnergyModel::default();
        let ev = EventCounts {
            macs: 1_000_003,
            ..Default::default()
        };
        let r = estimate(&cfg(), &ev, 0, &m);
        assert_eq!(r.energy_pj.mac, 1_000_003.0 * (0.2 + 0.1));
        assert_eq!(r.energy_pj.total, r.energy_pj.mac);
        let idle = estimate(&cfg(), &EventCounts::default(), 500, &m);
        // 256 PEs x 8.6 uW for 500 cycles at 500 MHz (1 us): 2201.6 pJ.
        assert!((idle.energy_pj.leakage - 256.0 * 8.6).abs() < 1e-9);
        assert_eq!(idle.energy_pj.total, idle.energy_pj.leakage);
    }

    /// The multiply scales with the square of the operand width, the add not at all, and operand
    /// registers linearly; accumulator registers do not change with the operand width.
    #[test]
    fn energies_scale_with_operand_width() {
        let m = EnergyModel::default();
        let ev = EventCounts {
            macs: 1000,
            h_operand_hops: 100,
            psum_hops: 10,
            ..Default::default()
        };
        let at = |bits: u32| {
            let mut c = cfg();
            c.array.operand_bits = bits;
            estimate(&c, &ev, 0, &m)
        };
        let (e4, e8, e16) = (at(4), at(8), at(16));
        assert_eq!(e4.energy_pj.mac, 1000.0 * (0.05 + 0.1));
        assert_eq!(e8.energy_pj.mac, 1000.0 * (0.2 + 0.1));
        assert_eq!(e16.energy_pj.mac, 1000.0 * (0.8 + 0.1));
        let reg =
            |r: &EnergyReport, name: &str| r.actions.iter().find(|a| a.action == name).unwrap().pj;
        let w = m.tech.register.write_pj_per_bit;
        for (r, bits) in [(&e4, 4.0), (&e8, 8.0), (&e16, 16.0)] {
            assert!((reg(r, "h_operand_hops") - 100.0 * bits * w).abs() < 1e-9);
            assert!((reg(r, "psum_hops") - 10.0 * 32.0 * w).abs() < 1e-9);
        }
        // Horowitz's 32-bit multiply (3.1 pJ) is within 5% of the rule's 3.2 pJ.
        assert!((mult_pj(&m.tech, 32) - 3.1).abs() / 3.1 < 0.05);
    }

    #[test]
    fn components_sum_to_the_total_and_actions_to_the_components() {
        let ev = EventCounts {
            macs: 10,
            h_operand_hops: 7,
            psum_hops: 3,
            a_buf_reads: 5,
            b_buf_writes: 2,
            c_buf_reads: 4,
            dram_a_read_bytes: 100,
            dram_c_write_bytes: 64,
            ..Default::default()
        };
        for convention in [RegisterConvention::WriteOnce, RegisterConvention::ReadWrite] {
            let m = EnergyModel {
                convention,
                ..Default::default()
            };
            let r = estimate(&cfg(), &ev, 100, &m);
            let sum: f64 = r.energy_pj.values().iter().sum();
            assert!((sum - r.energy_pj.total).abs() < 1e-9);
            let acts: f64 = r.actions.iter().map(|a| a.pj).sum();
            assert!((acts - r.energy_pj.total).abs() < 1e-9);
            // LPDDR4 at 8 pJ/bit.
            assert!((r.energy_pj.dram - 164.0 * 64.0).abs() < 1e-9);
        }
        // Reads cost extra only under the read-write convention.
        let once = estimate(&cfg(), &ev, 100, &EnergyModel::default());
        let rw = estimate(
            &cfg(),
            &ev,
            100,
            &EnergyModel {
                convention: RegisterConvention::ReadWrite,
                ..Default::default()
            },
        );
        let extra = 10.0 * 0.009 * 48.0;
        assert!((rw.energy_pj.registers - once.energy_pj.registers - extra).abs() < 1e-9);
    }

    /// Relative cost per byte moved at 45 nm against Eyeriss's normalised energies (ISCA 2016:
    /// RF 1x, global buffer 6x, DRAM 200x a MAC). Per MAC-energy: DRAM lands at ~213x, an 8 KiB
    /// to 128 KiB SRAM at 4-15x, and a pipeline register at ~0.24x (a flip-flop, not Eyeriss's
    /// 512-byte register file). `docs/energy.md` discusses the differences.
    #[test]
    fn relative_costs_per_byte_against_eyeriss() {
        let t = TechTable::load("45nm").unwrap();
        let mac = mac_pj(&t, 8);
        let reg = 8.0 * t.register.write_pj_per_bit / mac;
        let sram_small = t.sram.read_pj(8.0, 64) / 8.0 / mac;
        let sram_big = t.sram.read_pj(128.0, 64) / 8.0 / mac;
        let dram = 8.0 * t.dram.lpddr4 / mac;
        assert!((0.2..0.3).contains(&reg), "{reg}");
        assert!((4.0..5.0).contains(&sram_small), "{sram_small}");
        assert!((14.0..15.5).contains(&sram_big), "{sram_big}");
        assert!((200.0..230.0).contains(&dram), "{dram}");
        // DRAM : SRAM lands near Eyeriss's 200 : 6 for small buffers.
        assert!((dram / sram_small - 200.0 / 6.0).abs() / (200.0 / 6.0) < 0.6);
    }

    #[test]
    fn efficiency_figures() {
        let e = Efficiency::of(1000, 500.0, 1000, 500.0);
        assert_eq!(e.pj_per_mac, 0.5);
        assert_eq!(e.tops_per_watt, 4.0);
        // 500 pJ over 2 us.
        assert!((e.edp_js - 500e-12 * 2e-6).abs() < 1e-24);
    }

    /// Prices charge exactly what the full estimate charges.
    #[test]
    fn prices_charge_what_the_estimate_charges() {
        let c = cfg();
        for convention in [RegisterConvention::WriteOnce, RegisterConvention::ReadWrite] {
            let model = EnergyModel {
                convention,
                ..EnergyModel::default()
            };
            let prices = Prices::of(&c, &model);
            let mut e = EventCounts::default();
            for (i, name) in EventCounts::NAMES.iter().enumerate() {
                *e.get_mut(name).unwrap() = 1000 + 37 * i as u64;
            }
            let want = estimate(&c, &e, 12345, &model).energy_pj.total;
            let got = prices.charge(&e, 12345);
            assert!((got - want).abs() <= 1e-9 * want, "{got} vs {want}");
        }
    }
}
