//! Typed errors of the library. Every error caused by user input says what is wrong and where
//! (file, line or field); the CLI prints them on one line and exits with code 2.

use std::path::PathBuf;

use thiserror::Error;

/// An architecture configuration that cannot be used.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ConfigError {
    /// Neither a preset nor an existing file.
    #[error("unknown architecture `{name}`: not a preset ({presets}) and no such file")]
    UnknownPreset {
        /// What was asked for.
        name: String,
        /// The presets that exist.
        presets: String,
    },
    /// The file could not be read.
    #[error("{}: cannot read: {message}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        message: String,
    },
    /// Not valid TOML, an unknown key, a missing key or a wrong type.
    #[error("{origin}:{line}:{col}: {message}")]
    Parse {
        /// File or preset.
        origin: String,
        /// 1-based line (0 if unknown).
        line: usize,
        /// 1-based column (0 if unknown).
        col: usize,
        /// What is wrong.
        message: String,
    },
    /// Well-formed but describes hardware the datapath cannot build.
    #[error("{origin}{}: {field}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Invalid {
        /// File or preset.
        origin: String,
        /// 1-based line of the field, when known.
        line: Option<usize>,
        /// Dotted field path, e.g. `array.rows`.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A command-line override is out of range or makes the config invalid.
    #[error("{flag} {message}")]
    Flag {
        /// The flag, e.g. `--rows`.
        flag: String,
        /// What is wrong.
        message: String,
    },
}

/// A `.npy` file that cannot be used as a matrix.
#[derive(Debug, Error, Clone, PartialEq)]
#[error("{}: {message}", path.display())]
pub struct NpyError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong (missing, truncated, wrong dtype, wrong rank, ...).
    pub message: String,
}

/// A workload that cannot be used.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum WorkloadError {
    /// Neither a built-in workload nor an existing file.
    #[error("unknown workload `{name}`: not built in ({builtins}) and no such file")]
    Unknown {
        /// What was asked for.
        name: String,
        /// The built-in workloads.
        builtins: String,
    },
    /// A workload file that cannot be read or parsed.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    File {
        /// The file.
        path: PathBuf,
        /// 1-based line, when known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
}

/// A GEMM that cannot run on the configured machine.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum RunError {
    /// A dimension is zero or the operands do not conform.
    #[error("{0}")]
    Shape(String),
    /// The hardware described by the config does not support the dataflow.
    #[error("architecture `{arch}` does not support the {dataflow} dataflow (array.dataflows = [{supported}])")]
    Unsupported {
        /// Config name.
        arch: String,
        /// The dataflow asked for.
        dataflow: String,
        /// What the config lists.
        supported: String,
    },
    /// The buffers cannot run this GEMM with DRAM (too small to make progress).
    #[error("{0}")]
    Memory(String),
    /// A mapping that cannot run this GEMM on this machine.
    #[error("mapping: {0}")]
    Mapping(MappingError),
    /// A mapping file that cannot be used, or whose entry does not fit the run.
    #[error("{0}")]
    MappingFile(MappingFileError),
    /// The machine has no output stage, its table is too small, or a parameter is out of range.
    #[error("output stage: {0}")]
    OutputStage(String),
    /// An operand does not fit the machine's operand width (`array.operand_bits`).
    #[error("{matrix}[{row}, {col}] = {value} does not fit the {bits}-bit operands of `{arch}` (range {min}..={max}, array.operand_bits)")]
    OperandRange {
        /// `A` or `B`.
        matrix: &'static str,
        /// Row of the first value out of range.
        row: usize,
        /// Its column.
        col: usize,
        /// The value.
        value: i32,
        /// The machine's operand width.
        bits: u32,
        /// Config name.
        arch: String,
        /// The smallest operand.
        min: i32,
        /// The largest operand.
        max: i32,
    },
}

/// Why a mapping cannot run: the field and what is wrong, for an error that names them.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {message}")]
pub struct MappingError {
    /// The mapping field at fault (`loops`, `stream_tile`, `keep.a`, ...).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// A mapping file that cannot be used, or an entry that does not fit the run: the file, the
/// line and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct MappingFileError {
    /// The file.
    pub path: PathBuf,
    /// The 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}
