//! The architecture description: one [`ArchConfig`] drives the fast model, the RTL generator and the
//! energy model.
//!
//! A config is read from TOML (`deny_unknown_fields`: a misspelt key is an error, not a silent
//! default) or taken from a named preset. [`ArchConfig::validate`] checks everything the datapath
//! cannot do and reports the file, the field and, where the TOML text is known, the line.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// Largest array edge the simulator accepts (rows or columns).
pub const MAX_ARRAY_EDGE: u32 = 1024;

/// Operand widths the fast model and the energy model support (`array.operand_bits`): int4 and
/// int8 operands are held in `i8`, int16 in `i16`; products always accumulate in int32. The RTL
/// builds int8 only.
pub const OPERAND_BITS: [u32; 3] = [4, 8, 16];
/// Largest SRAM read latency accepted, in cycles.
pub const MAX_READ_LATENCY: u32 = 64;
/// Largest buffer capacity accepted, KiB (1 GiB: beyond any on-chip SRAM).
pub const MAX_BUFFER_KIB: u32 = 1 << 20;
/// Most banks a buffer may have: the widest edge vector (1024 lanes of 32 bits) in the
/// narrowest words (8 bits). One address spans every bank, so more could never all be used.
pub const MAX_BANKS: u32 = 4096;

/// A dataflow: which operand stays in the processing elements while the others move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dataflow {
    /// Output stationary: each PE keeps one output; A (ifmap) flows right, B (filter) flows down.
    Os,
    /// Weight stationary: each PE keeps one weight of B; A flows right, partial sums flow down.
    Ws,
    /// Input stationary: each PE keeps one element of A; B flows right, partial sums flow down.
    Is,
}

impl Dataflow {
    /// All dataflows, in the order reports list them.
    pub const ALL: [Dataflow; 3] = [Dataflow::Os, Dataflow::Ws, Dataflow::Is];

    /// Lower-case short name, as used on the command line and in JSON (`os`, `ws`, `is`).
    pub fn name(self) -> &'static str {
        match self {
            Dataflow::Os => "os",
            Dataflow::Ws => "ws",
            Dataflow::Is => "is",
        }
    }

    /// Parses `os`, `ws` or `is` (any case).
    pub fn parse(s: &str) -> Option<Dataflow> {
        match s.to_ascii_lowercase().as_str() {
            "os" => Some(Dataflow::Os),
            "ws" => Some(Dataflow::Ws),
            "is" => Some(Dataflow::Is),
            _ => None,
        }
    }

    /// Parses a `--dataflow` list: `all` (every dataflow), or dataflows separated by commas,
    /// each once. The error says what is wrong with which name.
    pub fn parse_list(s: &str) -> Result<Vec<Dataflow>, String> {
        if s.trim().eq_ignore_ascii_case("all") {
            return Ok(Dataflow::ALL.to_vec());
        }
        let mut v = Vec::new();
        for part in s.split(',').map(str::trim) {
            if part.eq_ignore_ascii_case("all") {
                return Err(format!(
                    "`{s}`: `all` already means os, ws and is: give it alone, or list dataflows"
                ));
            }
            let df = Dataflow::parse(part).ok_or_else(|| {
                format!("`{part}` is not a dataflow: use os, ws, is (comma-separated) or all")
            })?;
            if v.contains(&df) {
                return Err(format!("`{s}`: {} is given twice", df.name()));
            }
            v.push(df);
        }
        Ok(v)
    }
}

impl fmt::Display for Dataflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name().to_ascii_uppercase())
    }
}

/// The processing-element array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrayConfig {
    /// PE rows (R).
    pub rows: u32,
    /// PE columns (C).
    pub cols: u32,
    /// Width of A and B elements in bits: 4, 8 or 16 ([`OPERAND_BITS`]; the RTL builds 8).
    pub operand_bits: u32,
    /// Width of the accumulators and of C in bits (32: int32, wrapping on overflow).
    pub acc_bits: u32,
    /// Dataflows the hardware supports (the PE's mode input can select each of them).
    pub dataflows: Vec<Dataflow>,
}

/// One on-chip SRAM buffer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BufferConfig {
    /// Capacity in KiB.
    pub capacity_kib: u32,
    /// Width of one bank's word in bits: one access reads or writes one word of one bank.
    pub word_bits: u32,
    /// Number of banks accessed in parallel; `banks * word_bits` must cover one edge vector.
    pub banks: u32,
    /// Cycles from a read's address to its data at the buffer output (1 = registered SRAM).
    pub read_latency: u32,
}

/// The three on-chip buffers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuffersConfig {
    /// Buffer A: the ifmap (activations), int8.
    pub a: BufferConfig,
    /// Buffer B: the filter (weights), int8.
    pub b: BufferConfig,
    /// Buffer C: the ofmap / accumulator, int32.
    pub c: BufferConfig,
}

/// Largest DRAM latency accepted, in cycles.
pub const MAX_DRAM_LATENCY: u32 = 100_000;
/// Largest DRAM bandwidth accepted, in bytes per cycle. The DMA issues at most one vector or
/// row per stream per cycle (a few KiB even on a 128x128 array), so a port this wide with no
/// latency never limits a run: it is the *unbounded* port of SCALE-Sim's
/// `InterfaceBandwidth: CALC` ([`DramConfig::unbounded`]).
pub const MAX_DRAM_BYTES_PER_CYCLE: u32 = 1 << 20;

/// The kind of DRAM: the energy model charges its energy per bit (see `docs/energy.md`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DramKind {
    /// LPDDR4 (mobile and edge SoCs; the default).
    #[default]
    Lpddr4,
    /// HBM2 (stacked, datacenter accelerators).
    Hbm2,
    /// DDR3 (the DRAM of the Eyeriss-era measurements).
    Ddr3,
}

impl DramKind {
    /// Lower-case name, as in the TOML and the technology tables.
    pub fn name(self) -> &'static str {
        match self {
            DramKind::Lpddr4 => "lpddr4",
            DramKind::Hbm2 => "hbm2",
            DramKind::Ddr3 => "ddr3",
        }
    }
}

/// Off-chip DRAM, reached by the DMA engine over one memory port (see `docs/microarchitecture.md`,
/// "Memory system").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DramConfig {
    /// Sustained bandwidth in bytes per accelerator cycle.
    pub bytes_per_cycle: u32,
    /// Cycles from a request to its first byte on the bus.
    pub latency_cycles: u32,
    /// The DRAM technology (energy per bit); `lpddr4` when absent.
    #[serde(default)]
    pub kind: DramKind,
}

impl DramConfig {
    /// The port of SCALE-Sim's `InterfaceBandwidth: CALC`: as wide as systole accepts and without
    /// latency, so that DRAM never stalls the array while every byte is still counted.
    pub fn unbounded(kind: DramKind) -> Self {
        DramConfig {
            bytes_per_cycle: MAX_DRAM_BYTES_PER_CYCLE,
            latency_cycles: 0,
            kind,
        }
    }

    /// Whether this port can never limit a run ([`DramConfig::unbounded`]).
    pub fn is_unbounded(&self) -> bool {
        self.bytes_per_cycle >= MAX_DRAM_BYTES_PER_CYCLE && self.latency_cycles == 0
    }

    /// The port as reports name it: `16 B/cycle, 100 cycles latency`, or `unbounded`.
    pub fn describe(&self) -> String {
        if self.is_unbounded() {
            "unbounded port, as SCALE-Sim's CALC".to_string()
        } else {
            format!(
                "{} B/cycle, {} cycles latency",
                self.bytes_per_cycle, self.latency_cycles
            )
        }
    }
}

/// How the machine's buffers are fed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemoryModel {
    /// Operands start in DRAM; a DMA engine fills the buffers over the DRAM port, drains C back,
    /// and the array stalls when data is late (the default).
    #[default]
    Dram,
    /// The whole problem sits in the buffers before cycle 0 and C is read out after the run: no
    /// DRAM traffic and no stalls (the foundation's machine; the RTL implements this model).
    Ideal,
}

impl MemoryModel {
    /// `dram` or `ideal`.
    pub fn name(self) -> &'static str {
        match self {
            MemoryModel::Dram => "dram",
            MemoryModel::Ideal => "ideal",
        }
    }
}

/// The whole machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchConfig {
    /// A short name used in reports.
    pub name: String,
    /// Accelerator clock in MHz (turns cycles into time).
    pub clock_mhz: f64,
    /// The PE array.
    pub array: ArrayConfig,
    /// The on-chip buffers A, B and C.
    pub buffers: BuffersConfig,
    /// DRAM.
    pub dram: DramConfig,
    /// How the buffers are fed: `dram` (the default) or `ideal`.
    #[serde(default)]
    pub memory: MemoryModel,
    /// What buffer A holds for a convolution: `ifmap` (the default) or `expanded`.
    #[serde(default)]
    pub conv_input: ConvInput,
    /// The output stage that requantizes C to int8 (`docs/quantization.md`); absent: the machine
    /// has none and C stays int32.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_stage: Option<OutputStageConfig>,
}

/// Largest output-stage parameter table accepted (channels): channel numbers are 16 bits, and
/// host address `0xffff` selects the stage's registers.
pub const MAX_OUTPUT_CHANNELS: u32 = 0xffff;

/// The output stage between the array and buffer C: bias add and TFLite int8 requantization,
/// with a parameter table of one entry (bias, multiplier, shift) per output channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputStageConfig {
    /// Entries in the parameter table: the most columns of C a quantized GEMM may have.
    pub channels: u32,
}

/// What buffer A holds for a convolution (`docs/microarchitecture.md`, "Convolutions").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConvInput {
    /// The input feature map, read through the im2col address unit: the DMA fetches each ifmap
    /// row once per window pass, so DRAM bytes and buffer fills are the ifmap's, not the expanded
    /// matrix's (fast model only; the RTL runs GEMMs).
    #[default]
    Ifmap,
    /// The im2col matrix, expanded in DRAM, as SCALE-Sim models a convolution.
    Expanded,
}

impl ConvInput {
    /// `ifmap` or `expanded`.
    pub fn name(self) -> &'static str {
        match self {
            ConvInput::Ifmap => "ifmap",
            ConvInput::Expanded => "expanded",
        }
    }
}

/// Which buffer (A = ifmap, B = filter, C = ofmap/accumulator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BufferId {
    /// Buffer A (ifmap).
    A,
    /// Buffer B (filter).
    B,
    /// Buffer C (ofmap / accumulator).
    C,
}

impl BufferId {
    /// Lower-case name (`a`, `b`, `c`), as in the TOML section `buffers.<name>`.
    pub fn name(self) -> &'static str {
        match self {
            BufferId::A => "a",
            BufferId::B => "b",
            BufferId::C => "c",
        }
    }
}

/// Named presets: (name, TOML text).
const PRESETS: &[(&str, &str)] = &[
    ("tiny-4x4", include_str!("../presets/tiny-4x4.toml")),
    ("edge-16x16", include_str!("../presets/edge-16x16.toml")),
    (
        "eyeriss-12x14",
        include_str!("../presets/eyeriss-12x14.toml"),
    ),
    ("tpu-128x128", include_str!("../presets/tpu-128x128.toml")),
];

/// The preset used when no `--arch` is given.
pub const DEFAULT_PRESET: &str = "edge-16x16";

/// Names of the built-in presets.
pub fn preset_names() -> Vec<&'static str> {
    PRESETS.iter().map(|(n, _)| *n).collect()
}

/// Where a config came from, for error messages.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigSource {
    /// A built-in preset.
    Preset(String),
    /// A TOML file.
    File(PathBuf),
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigSource::Preset(n) => write!(f, "preset {n}"),
            ConfigSource::File(p) => write!(f, "{}", p.display()),
        }
    }
}

impl ArchConfig {
    /// The built-in preset with this name.
    pub fn preset(name: &str) -> Result<ArchConfig, ConfigError> {
        let text = PRESETS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
            .ok_or_else(|| ConfigError::UnknownPreset {
                name: name.to_string(),
                presets: preset_names().join(", "),
            })?;
        ArchConfig::from_toml_str(text, ConfigSource::Preset(name.to_string()))
    }

    /// A preset name or the path of a TOML file. A name that is not a preset is read as a path.
    pub fn load(preset_or_path: &str) -> Result<ArchConfig, ConfigError> {
        if PRESETS.iter().any(|(n, _)| *n == preset_or_path) {
            return ArchConfig::preset(preset_or_path);
        }
        let path = Path::new(preset_or_path);
        if !path.exists() {
            return Err(ConfigError::UnknownPreset {
                name: preset_or_path.to_string(),
                presets: preset_names().join(", "),
            });
        }
        ArchConfig::from_file(path)
    }

    /// Reads and validates a TOML file.
    pub fn from_file(path: &Path) -> Result<ArchConfig, ConfigError> {
        let text = crate::input::read_text(path).map_err(|message| ConfigError::Io {
            path: path.to_path_buf(),
            message,
        })?;
        ArchConfig::from_toml_str(&text, ConfigSource::File(path.to_path_buf()))
    }

    /// Parses and validates TOML text; `source` names it in errors.
    pub fn from_toml_str(text: &str, source: ConfigSource) -> Result<ArchConfig, ConfigError> {
        let cfg: ArchConfig = parse_toml(text, &source.to_string())?;
        cfg.validate().map_err(|v| ConfigError::Invalid {
            origin: source.to_string(),
            line: field_line(text, &v.field),
            field: v.field,
            message: v.message,
        })?;
        Ok(cfg)
    }

    /// The largest reduction K for which no operands can make a sum overflow the accumulator:
    /// K products of at most `2^(2 x operand_bits - 2)` each (`(-2^(bits-1))^2`) fit
    /// `2^(acc_bits - 1) - 1`. int4: 33,554,431; int8: 131,071; int16: 1. Beyond it, C wraps
    /// modulo `2^acc_bits` (two's complement) when the values are large enough.
    pub fn exact_k(&self) -> u64 {
        let largest_product = 1u64 << (2 * self.array.operand_bits.clamp(1, 16) - 2);
        ((1u64 << (self.array.acc_bits.clamp(2, 63) - 1)) - 1) / largest_product
    }

    /// A warning for GEMMs whose reduction (the largest of them) is `k` when it passes
    /// [`ArchConfig::exact_k`]: their sums can overflow the accumulator and wrap.
    pub fn accumulator_warning(&self, k: u64) -> Option<String> {
        (k > self.exact_k()).then(|| {
            format!(
                "K = {k} with int{} operands can overflow the int{} accumulator (sums are exact up to K = {}); C then wraps modulo 2^{}, as the hardware does (docs/precision.md)",
                self.array.operand_bits,
                self.array.acc_bits,
                crate::text::count(self.exact_k()),
                self.array.acc_bits
            )
        })
    }

    /// Number of PEs (R x C).
    pub fn pes(&self) -> u64 {
        u64::from(self.array.rows) * u64::from(self.array.cols)
    }

    /// The configuration of one buffer.
    pub fn buffer(&self, id: BufferId) -> &BufferConfig {
        match id {
            BufferId::A => &self.buffers.a,
            BufferId::B => &self.buffers.b,
            BufferId::C => &self.buffers.c,
        }
    }

    /// Whether the hardware supports this dataflow.
    pub fn supports(&self, df: Dataflow) -> bool {
        self.array.dataflows.contains(&df)
    }

    /// Bits of one element held in this buffer (operand width for A and B, accumulator width for C).
    pub fn element_bits(&self, id: BufferId) -> u32 {
        match id {
            BufferId::A | BufferId::B => self.array.operand_bits,
            BufferId::C => self.array.acc_bits,
        }
    }

    /// Lanes of the widest vector this buffer must deliver or accept in one cycle, over the
    /// supported dataflows (see `docs/microarchitecture.md`, "Buffers").
    pub fn vector_lanes(&self, id: BufferId) -> u32 {
        let (r, c) = (self.array.rows, self.array.cols);
        self.array
            .dataflows
            .iter()
            .map(|df| match (id, df) {
                // A feeds the left edge in OS and WS, the top edge (preload) in IS.
                (BufferId::A, Dataflow::Os | Dataflow::Ws) => r,
                (BufferId::A, Dataflow::Is) => c,
                // B feeds the top edge in OS and WS (preload), the left edge in IS.
                (BufferId::B, Dataflow::Os | Dataflow::Ws) => c,
                (BufferId::B, Dataflow::Is) => r,
                // C takes one deskewed bottom row per cycle.
                (BufferId::C, _) => c,
            })
            .max()
            .unwrap_or(0)
    }

    /// Bytes that `elems` consecutive elements of buffer `id` take in DRAM or on the bus, packed
    /// at their width and rounded up to a whole byte: two int4 operands share a byte, an int16
    /// takes two, an int32 of C four. Every transfer (one vector) starts on a byte boundary.
    pub fn packed_bytes(&self, id: BufferId, elems: u64) -> u64 {
        (elems * u64::from(self.element_bits(id))).div_ceil(8)
    }

    /// Bank words one access of `lanes` elements touches in buffer `id`.
    pub fn words_for(&self, id: BufferId, lanes: u32) -> u64 {
        let bits = u64::from(lanes) * u64::from(self.element_bits(id));
        bits.div_ceil(u64::from(self.buffer(id).word_bits))
    }

    /// Smallest capacity in bytes buffer `id` needs to hold one fold's operands for dataflow
    /// `df` (see `docs/microarchitecture.md`, "Buffers").
    pub fn min_fold_bytes(&self, id: BufferId, df: Dataflow) -> u64 {
        let (r, c) = (u64::from(self.array.rows), u64::from(self.array.cols));
        let elems = match (df, id) {
            // OS: one edge vector of A and of B per step; the fold's R x C outputs leave to C.
            (Dataflow::Os, BufferId::A) => r,
            (Dataflow::Os, BufferId::B) => c,
            (Dataflow::Os, BufferId::C) => r * c,
            // WS: the stationary R x C weight tile, one A vector, one C row.
            (Dataflow::Ws, BufferId::A) => r,
            (Dataflow::Ws, BufferId::B) => r * c,
            (Dataflow::Ws, BufferId::C) => c,
            // IS: the stationary R x C input tile, one B vector, one C row.
            (Dataflow::Is, BufferId::A) => r * c,
            (Dataflow::Is, BufferId::B) => r,
            (Dataflow::Is, BufferId::C) => c,
        };
        self.packed_bytes(id, elems)
    }

    /// Changes the array shape (the `--rows`/`--cols` flags) and re-derives the bank count of
    /// each buffer so that it still delivers one edge vector per cycle; then validates.
    pub fn with_shape(
        self,
        rows: Option<u32>,
        cols: Option<u32>,
    ) -> Result<ArchConfig, ConfigError> {
        self.with_array(rows, cols, None)
    }

    /// The array flags together (`--rows`, `--cols`, `--operand-bits`): every one given is
    /// applied ([`ArchConfig::set_operand_bits`], then [`ArchConfig::set_shape`]) before the one
    /// validation, so that a machine valid at its new width and shape is not refused on the way.
    /// A new width keeps the capacities (an int4 machine's buffers hold twice the operands of an
    /// int8 one) and re-derives A's and B's banks.
    pub fn with_array(
        mut self,
        rows: Option<u32>,
        cols: Option<u32>,
        bits: Option<u32>,
    ) -> Result<ArchConfig, ConfigError> {
        for (flag, v) in [("--rows", rows), ("--cols", cols)] {
            if let Some(v) = v {
                if v == 0 || v > MAX_ARRAY_EDGE {
                    return Err(ConfigError::Flag {
                        flag: flag.to_string(),
                        message: format!("{v}: must be between 1 and {MAX_ARRAY_EDGE}"),
                    });
                }
            }
        }
        let mut flags = Vec::new();
        if let Some(bits) = bits {
            if !OPERAND_BITS.contains(&bits) {
                return Err(ConfigError::Flag {
                    flag: "--operand-bits".to_string(),
                    message: format!("{bits}: must be 4, 8 or 16"),
                });
            }
            self.set_operand_bits(bits);
        }
        if rows.is_some() || cols.is_some() {
            self.set_shape(
                rows.unwrap_or(self.array.rows),
                cols.unwrap_or(self.array.cols),
            );
            self.name = format!("{}@{}x{}", self.name, self.array.rows, self.array.cols);
            flags.push("--rows/--cols");
        }
        if let Some(bits) = bits {
            self.name = format!("{}@int{bits}", self.name);
            flags.push("--operand-bits");
        }
        if flags.is_empty() {
            return Ok(self);
        }
        self.validate().map_err(|v| ConfigError::Flag {
            flag: flags.join(", "),
            message: format!("{}: {}", v.field, v.message),
        })?;
        Ok(self)
    }

    /// Sets the array shape and re-derives the bank count of each buffer so that it still
    /// delivers one edge vector per cycle, without validating (the caller validates once every
    /// field it changes is in place).
    pub fn set_shape(&mut self, rows: u32, cols: u32) {
        self.array.rows = rows;
        self.array.cols = cols;
        self.derive_banks(&[BufferId::A, BufferId::B, BufferId::C]);
    }

    /// Sets the operand width and, when it changes, re-derives the bank counts of buffers A and
    /// B (C holds int32 at every width), without validating.
    pub fn set_operand_bits(&mut self, bits: u32) {
        if bits != self.array.operand_bits {
            self.array.operand_bits = bits;
            self.derive_banks(&[BufferId::A, BufferId::B]);
        }
    }

    /// Sets the bank count of each buffer in `ids` to the fewest banks of its word width that
    /// deliver one edge vector per cycle.
    fn derive_banks(&mut self, ids: &[BufferId]) {
        for &id in ids {
            let need = u64::from(self.vector_lanes(id)) * u64::from(self.element_bits(id));
            let word = u64::from(self.buffer(id).word_bits).max(1);
            let banks = need.div_ceil(word).max(1);
            let buf = match id {
                BufferId::A => &mut self.buffers.a,
                BufferId::B => &mut self.buffers.b,
                BufferId::C => &mut self.buffers.c,
            };
            buf.banks = u32::try_from(banks).unwrap_or(u32::MAX);
        }
    }

    /// Applies the memory flags (`--dram-bytes-per-cycle`, `--memory`) and validates.
    pub fn with_memory(
        mut self,
        dram_bytes_per_cycle: Option<u32>,
        memory: Option<MemoryModel>,
    ) -> Result<ArchConfig, ConfigError> {
        if let Some(b) = dram_bytes_per_cycle {
            self.dram.bytes_per_cycle = b;
        }
        if let Some(m) = memory {
            self.memory = m;
        }
        self.validate().map_err(|v| ConfigError::Flag {
            flag: "--dram-bytes-per-cycle".to_string(),
            message: format!("{}: {}", v.field, v.message),
        })?;
        Ok(self)
    }

    /// Vectors (addresses) buffer `id` holds: its capacity over the width of one address
    /// (`banks x word_bits`).
    pub fn buffer_depth(&self, id: BufferId) -> u64 {
        let b = self.buffer(id);
        let width_bytes = (u64::from(b.banks) * u64::from(b.word_bits) / 8).max(1);
        u64::from(b.capacity_kib) * 1024 / width_bytes
    }

    /// Checks everything the datapath cannot do. The error names the offending field.
    pub fn validate(&self) -> Result<(), Violation> {
        let a = &self.array;
        let bad = |field: &str, message: String| {
            Err(Violation {
                field: field.to_string(),
                message,
            })
        };
        if self.name.trim().is_empty() || self.name.chars().any(char::is_control) {
            return bad(
                "name",
                "must be a non-empty single line without control characters".into(),
            );
        }
        if !(self.clock_mhz.is_finite() && (0.001..=100_000.0).contains(&self.clock_mhz)) {
            return bad(
                "clock_mhz",
                format!("{}: must be between 0.001 and 100000 MHz", self.clock_mhz),
            );
        }
        for (field, v) in [("array.rows", a.rows), ("array.cols", a.cols)] {
            if v == 0 || v > MAX_ARRAY_EDGE {
                return bad(
                    field,
                    format!("{v}: must be between 1 and {MAX_ARRAY_EDGE}"),
                );
            }
        }
        if !OPERAND_BITS.contains(&a.operand_bits) {
            return bad(
                "array.operand_bits",
                format!(
                    "{}: the datapath multiplies 4-, 8- or 16-bit operands (int4, int8, int16)",
                    a.operand_bits
                ),
            );
        }
        if a.acc_bits != 32 {
            return bad(
                "array.acc_bits",
                format!(
                    "{}: the datapath accumulates in 32 bits only (int32, wrapping)",
                    a.acc_bits
                ),
            );
        }
        if a.dataflows.is_empty() {
            return bad(
                "array.dataflows",
                "must name at least one of \"os\", \"ws\", \"is\"".into(),
            );
        }
        for (i, df) in a.dataflows.iter().enumerate() {
            if a.dataflows[..i].contains(df) {
                return bad(
                    "array.dataflows",
                    format!("\"{}\" is listed twice", df.name()),
                );
            }
        }
        for id in [BufferId::A, BufferId::B, BufferId::C] {
            let b = self.buffer(id);
            let f = |k: &str| format!("buffers.{}.{}", id.name(), k);
            if b.capacity_kib == 0 || b.capacity_kib > MAX_BUFFER_KIB {
                return bad(
                    &f("capacity_kib"),
                    format!(
                        "{}: must be between 1 and {MAX_BUFFER_KIB} KiB",
                        b.capacity_kib
                    ),
                );
            }
            if b.word_bits == 0 || !b.word_bits.is_multiple_of(8) || b.word_bits > 4096 {
                return bad(
                    &f("word_bits"),
                    format!(
                        "{}: must be a multiple of 8 between 8 and 4096",
                        b.word_bits
                    ),
                );
            }
            if b.banks == 0 || b.banks > MAX_BANKS {
                return bad(
                    &f("banks"),
                    format!("{}: must be between 1 and {MAX_BANKS}", b.banks),
                );
            }
            if b.read_latency == 0 || b.read_latency > MAX_READ_LATENCY {
                return bad(
                    &f("read_latency"),
                    format!(
                        "{}: must be between 1 and {MAX_READ_LATENCY} cycles (the buffers are synchronous SRAMs)",
                        b.read_latency
                    ),
                );
            }
            let lanes = self.vector_lanes(id);
            let need = u64::from(lanes) * u64::from(self.element_bits(id));
            let have = u64::from(b.banks) * u64::from(b.word_bits);
            if have < need {
                return bad(
                    &f("banks"),
                    format!(
                        "{} banks x {} bits = {have} bits per cycle cannot deliver one edge vector of {lanes} x {}-bit elements ({need} bits)",
                        b.banks,
                        b.word_bits,
                        self.element_bits(id)
                    ),
                );
            }
            // The memory system keeps whole vectors (one address each); C is two banks.
            let least = if id == BufferId::C { 2 } else { 1 };
            if self.buffer_depth(id) < least {
                return bad(
                    &f("capacity_kib"),
                    format!(
                        "{} KiB holds {} addresses of {} x {} bits; buffer {} needs at least {least}",
                        b.capacity_kib,
                        self.buffer_depth(id),
                        b.banks,
                        b.word_bits,
                        id.name().to_ascii_uppercase()
                    ),
                );
            }
            let cap = u64::from(b.capacity_kib) * 1024;
            for &df in &a.dataflows {
                let min = self.min_fold_bytes(id, df);
                if cap < min {
                    return bad(
                        &f("capacity_kib"),
                        format!(
                            "{} KiB is too small to hold one {} fold's operands on a {}x{} array ({min} bytes)",
                            b.capacity_kib, df, a.rows, a.cols
                        ),
                    );
                }
            }
        }
        if let Some(o) = &self.output_stage {
            if o.channels == 0 || o.channels > MAX_OUTPUT_CHANNELS {
                return bad(
                    "output_stage.channels",
                    format!(
                        "{}: must be between 1 and {MAX_OUTPUT_CHANNELS}",
                        o.channels
                    ),
                );
            }
        }
        let d = &self.dram;
        if d.bytes_per_cycle == 0 || d.bytes_per_cycle > MAX_DRAM_BYTES_PER_CYCLE {
            return bad(
                "dram.bytes_per_cycle",
                format!(
                    "{}: must be between 1 and {MAX_DRAM_BYTES_PER_CYCLE}",
                    d.bytes_per_cycle
                ),
            );
        }
        if d.latency_cycles > MAX_DRAM_LATENCY {
            return bad(
                "dram.latency_cycles",
                format!(
                    "{}: must be at most {MAX_DRAM_LATENCY} cycles",
                    d.latency_cycles
                ),
            );
        }
        Ok(())
    }

    /// Serialises to TOML (the format [`ArchConfig::from_toml_str`] reads).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("ArchConfig always serialises")
    }
}

/// A field that fails validation, before the source is attached.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Dotted path of the field, e.g. `array.rows`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// Deserialises TOML text; a syntax error or a wrong field names `origin`, the line and the column.
pub(crate) fn parse_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    origin: &str,
) -> Result<T, ConfigError> {
    toml::from_str(text).map_err(|e| {
        let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
        ConfigError::Parse {
            origin: origin.to_string(),
            line,
            col,
            message: e.message().trim().to_string(),
        }
    })
}

/// 1-based line and column of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

/// The 1-based line of a dotted key in TOML text, if it is there.
pub(crate) fn field_line(text: &str, dotted: &str) -> Option<usize> {
    let doc: toml_edit::Document<&str> = toml_edit::Document::parse(text).ok()?;
    let mut item: &toml_edit::Item = doc.as_item();
    for key in dotted.split('.') {
        item = item.as_table_like()?.get(key)?;
    }
    let span = item.span()?;
    Some(line_col(text, span.start).0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_parse_and_validate() {
        for name in preset_names() {
            let cfg = ArchConfig::preset(name).unwrap();
            assert_eq!(cfg.name, name);
            assert_eq!(
                cfg.array.dataflows.len(),
                3,
                "{name} supports every dataflow"
            );
        }
        let d = ArchConfig::preset(DEFAULT_PRESET).unwrap();
        assert_eq!((d.array.rows, d.array.cols), (16, 16));
    }

    #[test]
    fn round_trips_through_toml() {
        let cfg = ArchConfig::preset("eyeriss-12x14").unwrap();
        let back =
            ArchConfig::from_toml_str(&cfg.to_toml(), ConfigSource::Preset("x".into())).unwrap();
        assert_eq!(cfg, back);
    }

    fn edit(find: &str, replace: &str) -> Result<ArchConfig, ConfigError> {
        let text = include_str!("../presets/tiny-4x4.toml");
        assert!(text.contains(find), "{find}");
        let text = text.replacen(find, replace, 1);
        ArchConfig::from_toml_str(&text, ConfigSource::File("t.toml".into()))
    }

    #[test]
    fn output_stage_channels_fit_16_bit_channel_numbers() {
        // 65536 would need a 17-bit channel number; the RTL's table compare and the host's
        // register address 0xffff leave 65535 (the review found 65536 broke the Verilog).
        for bad in ["channels = 0", "channels = 65536"] {
            let e = edit("channels = 64", bad).unwrap_err().to_string();
            assert!(e.contains("output_stage.channels"), "{e}");
        }
        assert!(edit("channels = 64", "channels = 65535").is_ok());
    }

    #[test]
    fn zero_rows_names_field_and_line() {
        let e = edit("rows = 4", "rows = 0").unwrap_err().to_string();
        assert!(e.contains("t.toml"), "{e}");
        assert!(e.contains("array.rows"), "{e}");
        assert!(e.contains(":8:") || e.contains("line 8"), "{e}");
    }

    #[test]
    fn unknown_key_is_rejected_with_line() {
        let e = edit("rows = 4", "rows = 4\nrowz = 5")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `rowz`"), "{e}");
        assert!(e.contains("t.toml:9"), "{e}");
    }

    #[test]
    fn packed_bytes_share_bytes_between_int4_operands() {
        let mut cfg = ArchConfig::preset("tiny-4x4").unwrap();
        for (bits, elems, bytes) in [(4, 1, 1), (4, 7, 4), (4, 8, 4), (8, 7, 7), (16, 7, 14)] {
            cfg.array.operand_bits = bits;
            assert_eq!(
                cfg.packed_bytes(BufferId::A, elems),
                bytes,
                "{bits} x {elems}"
            );
            assert_eq!(
                cfg.packed_bytes(BufferId::B, elems),
                bytes,
                "{bits} x {elems}"
            );
            assert_eq!(cfg.packed_bytes(BufferId::C, elems), 4 * elems);
        }
        cfg.array.operand_bits = 4;
        assert_eq!(cfg.min_fold_bytes(BufferId::A, Dataflow::Os), 2);
        assert_eq!(cfg.min_fold_bytes(BufferId::B, Dataflow::Ws), 8);
        assert_eq!(cfg.min_fold_bytes(BufferId::C, Dataflow::Os), 64);
    }

    #[test]
    fn widths_the_datapath_cannot_do() {
        for bits in [0, 1, 2, 6, 12, 32] {
            let e = edit("operand_bits = 8", &format!("operand_bits = {bits}"))
                .unwrap_err()
                .to_string();
            assert!(e.contains("array.operand_bits"), "{e}");
            assert!(e.contains("4-, 8- or 16-bit"), "{e}");
        }
        for bits in [4, 8] {
            let cfg = edit("operand_bits = 8", &format!("operand_bits = {bits}")).unwrap();
            assert_eq!(cfg.array.operand_bits, bits);
        }
        // int16 doubles the edge vectors: tiny-4x4's one 32-bit bank per buffer is too narrow.
        let e = edit("operand_bits = 8", "operand_bits = 16")
            .unwrap_err()
            .to_string();
        assert!(e.contains("buffers.a.banks") && e.contains("16-bit"), "{e}");
        let mut cfg = ArchConfig::preset("tiny-4x4").unwrap();
        cfg.array.operand_bits = 16;
        cfg.buffers.a.word_bits = 64;
        cfg.buffers.b.word_bits = 64;
        assert!(cfg.validate().is_ok());
        let e = edit("acc_bits = 32", "acc_bits = 24")
            .unwrap_err()
            .to_string();
        assert!(e.contains("array.acc_bits"), "{e}");
    }

    #[test]
    fn too_narrow_banks_are_rejected() {
        let e = edit("word_bits = 32", "word_bits = 16")
            .unwrap_err()
            .to_string();
        assert!(e.contains("buffers.a.banks"), "{e}");
    }

    /// tpu-128x128 as TOML with `buffers.<buf>.capacity_kib` set to `kib`.
    fn tpu_with_capacity(buf: &str, kib: u32) -> String {
        let mut text = ArchConfig::preset("tpu-128x128").unwrap().to_toml();
        let start = text.find(&format!("[buffers.{buf}]")).unwrap();
        let rel = text[start..].find("capacity_kib = ").unwrap() + start;
        let end = rel + text[rel..].find('\n').unwrap();
        text.replace_range(rel..end, &format!("capacity_kib = {kib}"));
        text
    }

    #[test]
    fn too_small_buffer_for_a_fold() {
        // The OS output tile of a 128x128 array is 64 KiB of int32.
        let text = tpu_with_capacity("c", 32);
        let e = ArchConfig::from_toml_str(&text, ConfigSource::File("tpu.toml".into()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("buffers.c.capacity_kib"), "{e}");
        assert!(e.contains("too small"), "{e}");
    }

    /// A 4x8 array: buffer A feeds 4 lanes in OS/WS but 8 lanes (the top edge) in IS.
    #[test]
    fn width_rule_follows_the_dataflows() {
        let text = include_str!("../presets/tiny-4x4.toml").replacen("cols = 4", "cols = 8", 1);
        let with = |dfs: &str| {
            let t = text.replace("dataflows = [\"os\", \"ws\", \"is\"]", dfs);
            let t = t.replace(
                "[buffers.b]   # filter (weights)\ncapacity_kib = 4\nword_bits = 32",
                "[buffers.b]\ncapacity_kib = 4\nword_bits = 64",
            );
            let t = t.replace("word_bits = 128", "word_bits = 256");
            ArchConfig::from_toml_str(&t, ConfigSource::File("w.toml".into()))
        };
        assert!(with("dataflows = [\"os\", \"ws\"]").is_ok());
        let e = with("dataflows = [\"is\"]").unwrap_err().to_string();
        assert!(
            e.contains("buffers.a.banks") && e.contains("8 x 8-bit"),
            "{e}"
        );
    }

    /// WS keeps an R x C weight tile in B; OS needs only one B vector there.
    #[test]
    fn ws_needs_the_weight_tile_in_b() {
        let text = tpu_with_capacity("b", 8);
        let os_only = text.replace(
            "dataflows = [\"os\", \"ws\", \"is\"]",
            "dataflows = [\"os\"]",
        );
        assert!(ArchConfig::from_toml_str(&os_only, ConfigSource::File("t.toml".into())).is_ok());
        let e = ArchConfig::from_toml_str(&text, ConfigSource::File("t.toml".into()))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("buffers.b.capacity_kib") && e.contains("WS"),
            "{e}"
        );
    }

    #[test]
    fn shape_override_rescales_banks() {
        let cfg = ArchConfig::preset("tiny-4x4").unwrap();
        let big = cfg.clone().with_shape(Some(64), Some(8)).unwrap();
        let wide = cfg.clone().with_array(None, None, Some(16)).unwrap();
        assert_eq!(wide.array.operand_bits, 16);
        assert_eq!(wide.buffers.a.banks, 2 * cfg.buffers.a.banks);
        assert_eq!(wide.buffers.c.banks, cfg.buffers.c.banks);
        assert_eq!(wide.buffers.a.capacity_kib, cfg.buffers.a.capacity_kib);
        assert!(wide.name.ends_with("@int16"), "{}", wide.name);
        // The flag at the machine's own width changes nothing but the name.
        let mut eight = ArchConfig::preset("edge-16x16").unwrap();
        eight.buffers.c.banks = 8;
        let same = eight.clone().with_array(None, None, Some(8)).unwrap();
        assert_eq!(same.buffers, eight.buffers);
        // Shape and width are validated together: a big int4 array whose int8 fold would not fit
        // buffer A is accepted.
        let mut small = ArchConfig::preset("tiny-4x4").unwrap();
        small.buffers.a.capacity_kib = 16;
        small.buffers.b.capacity_kib = 16;
        small.buffers.c.capacity_kib = 256;
        assert!(small.clone().with_shape(Some(132), Some(132)).is_err());
        let big4 = small.with_array(Some(132), Some(132), Some(4)).unwrap();
        assert_eq!(big4.array.operand_bits, 4);
        assert!(big4.name.ends_with("@132x132@int4"), "{}", big4.name);
        let e = cfg
            .clone()
            .with_array(None, None, Some(12))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--operand-bits") && e.contains("4, 8 or 16"),
            "{e}"
        );
        assert_eq!((big.array.rows, big.array.cols), (64, 8));
        assert!(big.validate().is_ok());
        assert!(cfg.with_shape(Some(0), None).is_err());
    }

    /// A buffer whose capacity does not hold one address of `banks x word_bits` is refused (the
    /// memory system keeps whole vectors; C needs one row per bank).
    #[test]
    fn a_buffer_without_a_whole_address_is_refused() {
        let e = edit(
            "[buffers.a]   # ifmap (activations)\ncapacity_kib = 4\nword_bits = 32\nbanks = 1",
            "[buffers.a]\ncapacity_kib = 1\nword_bits = 4096\nbanks = 3",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("buffers.a.capacity_kib") && e.contains("needs at least 1"),
            "{e}"
        );
    }

    /// The exact-K bound is the largest K whose worst sum fits: K extreme products fit int32, one
    /// more does not.
    #[test]
    fn exact_k_is_the_last_k_without_overflow() {
        let mut cfg = ArchConfig::preset("tiny-4x4").unwrap();
        for (bits, want) in [(4, 33_554_431u64), (8, 131_071), (16, 1)] {
            cfg.array.operand_bits = bits;
            let k = cfg.exact_k();
            assert_eq!(k, want, "int{bits}");
            let worst = i64::from(*crate::matrix::operand_range(bits).start()).pow(2);
            assert!(k as i64 * worst <= i64::from(i32::MAX));
            assert!((k as i64 + 1) * worst > i64::from(i32::MAX));
            assert!(cfg.accumulator_warning(k).is_none());
            let w = cfg.accumulator_warning(k + 1).unwrap();
            assert!(w.contains(&format!("int{bits} operands")), "{w}");
        }
    }

    /// A list naming `all` beside others, or a dataflow twice, is told so (the messages were
    /// "`all` is not a dataflow" and "Os is given twice").
    #[test]
    fn dataflow_lists() {
        assert_eq!(Dataflow::parse_list("ALL").unwrap(), Dataflow::ALL);
        assert_eq!(
            Dataflow::parse_list("is, os").unwrap(),
            [Dataflow::Is, Dataflow::Os]
        );
        for (s, want) in [
            ("all,os", "`all,os`: `all` already means os, ws and is"),
            ("os,os", "`os,os`: os is given twice"),
            (
                "os,rs",
                "`rs` is not a dataflow: use os, ws, is (comma-separated) or all",
            ),
            ("os,", "`` is not a dataflow"),
        ] {
            let e = Dataflow::parse_list(s).unwrap_err();
            assert!(e.starts_with(want), "{s}: {e}");
        }
    }

    /// An absurd bank count is blamed on `banks` (4294967295 banks made one address wider than
    /// the buffer, and the error blamed `capacity_kib`).
    #[test]
    fn absurd_banks_are_blamed_on_banks() {
        for banks in ["banks = 4294967295", "banks = 0", "banks = 4097"] {
            let e = edit("banks = 1", banks).unwrap_err().to_string();
            assert!(
                e.contains("buffers.a.banks") && e.contains("between 1 and 4096"),
                "{e}"
            );
        }
        assert!(edit("banks = 1", "banks = 4096").is_err_and(|e| !e.to_string().contains("banks")));
    }

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }

    /// A buffer beyond any on-chip SRAM is refused (a sweep's `--buffer-kib 4294967295` ran).
    #[test]
    fn absurd_buffer_capacity_is_refused() {
        let mut cfg = ArchConfig::preset("tiny-4x4").unwrap();
        cfg.buffers.b.capacity_kib = MAX_BUFFER_KIB;
        assert!(cfg.validate().is_ok());
        cfg.buffers.b.capacity_kib = MAX_BUFFER_KIB + 1;
        let v = cfg.validate().unwrap_err();
        assert_eq!(v.field, "buffers.b.capacity_kib");
        assert!(
            v.message.contains("between 1 and 1048576 KiB"),
            "{}",
            v.message
        );
    }
}
