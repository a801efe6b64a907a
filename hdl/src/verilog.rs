//! Verilog of the accelerator, as rust-hdl generates it (module `top`, one module per instance),
//! and the Verilator lint waivers that go with it.

use rust_hdl::prelude::*;
use systole_sim::config::ArchConfig;

use crate::top::Accelerator;

/// The Verilog of the accelerator `cfg` describes.
pub fn accelerator_verilog(cfg: &ArchConfig) -> String {
    let mut uut = Accelerator::new(cfg);
    uut.connect_all();
    generate_verilog(&uut)
}

/// Verilator lint waivers for the generated Verilog (a `.vlt` file), each with its reason.
pub const LINT_WAIVERS: &str = include_str!("../lint.vlt");

/// Runs `verilator --lint-only -Wall` on `top.v` in `dir` with [`LINT_WAIVERS`]; returns the
/// warnings (empty when clean).
pub fn lint(dir: &std::path::Path) -> Result<String, crate::HdlError> {
    std::fs::write(dir.join("lint.vlt"), LINT_WAIVERS)
        .map_err(|e| crate::HdlError::Sim(format!("writing lint.vlt: {e}")))?;
    let out = std::process::Command::new("verilator")
        .args([
            "--lint-only",
            "-Wall",
            "lint.vlt",
            "top.v",
            "--top-module",
            "top",
        ])
        .current_dir(dir)
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => crate::HdlError::ToolMissing {
                tool: "verilator".into(),
            },
            _ => crate::HdlError::Sim(format!("could not run verilator: {e}")),
        })?;
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() && !text.contains("%Warning") && !text.contains("%Error") {
        Ok(String::new())
    } else {
        Ok(text)
    }
}
