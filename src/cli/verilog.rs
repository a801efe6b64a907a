//! `systole verilog`: the accelerator's Verilog, lint waivers and port description.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::ArchArgs;

#[derive(Debug, Args)]
pub struct VerilogArgs {
    #[command(flatten)]
    arch: ArchArgs,
    /// Directory to write top.v, lint.vlt and interface.md into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

pub fn run(args: VerilogArgs) -> anyhow::Result<()> {
    let cfg = args.arch.load()?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let v = systole_hdl::flow::verilog::accelerator_verilog(&cfg)?;
    for (name, text) in [
        ("top.v", v.as_str()),
        ("lint.vlt", systole_hdl::flow::verilog::LINT_WAIVERS),
        (
            "interface.md",
            &systole_hdl::flow::verilog::interface_text(&cfg),
        ),
    ] {
        let p = args.out.join(name);
        std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))?;
    }
    println!(
        "wrote {}/top.v ({} lines, module `top`), lint.vlt and interface.md for {} ({}x{})",
        args.out.display(),
        v.lines().count(),
        cfg.name,
        cfg.array.rows,
        cfg.array.cols
    );
    println!(
        "lint: verilator --lint-only -Wall {0}/lint.vlt {0}/top.v",
        args.out.display()
    );
    Ok(())
}
