//! Reading nextpnr's log: the Fmax after routing, the logic-cell utilisation, and the critical
//! path, summarised as the design blocks it runs through. nextpnr prints each report after
//! placement and again after routing; the last one is the routed design's.

/// The critical path of the design's clock after routing.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CriticalPath {
    /// The whole path, in ns (logic plus routing).
    pub delay_ns: f64,
    /// Of which in logic cells.
    pub logic_ns: f64,
    /// Of which in routing.
    pub routing_ns: f64,
    /// The blocks the path runs through, in order, each once per visit (`ctrl.drain_walk.walk`;
    /// `wrapper` for the synthesis I/O wrapper's registers). See [`block_of`].
    pub blocks: Vec<String>,
}

impl CriticalPath {
    /// One line: `50.3 ns (16.2 logic, 34.1 routing): a -> b -> c`.
    pub fn summary(&self) -> String {
        format!(
            "{:.1} ns ({:.1} logic, {:.1} routing): {}",
            self.delay_ns,
            self.logic_ns,
            self.routing_ns,
            self.blocks.join(" -> ")
        )
    }
}

/// The maximum frequency of the last timing report, in MHz.
pub fn fmax_mhz(log: &str) -> Option<f64> {
    log.lines()
        .rev()
        .filter(|l| l.contains("Max frequency for clock"))
        .find_map(|l| {
            l.split(": ")
                .nth(2)?
                .split_whitespace()
                .next()?
                .parse::<f64>()
                .ok()
        })
}

/// The last utilisation line of `cell` (`ICESTORM_LC`, `TRELLIS_COMB`): used, available.
pub fn utilisation(log: &str, cell: &str) -> Option<(u64, u64)> {
    let key = format!("{cell}:");
    let line = log.lines().rev().find(|l| l.contains(&key))?;
    let rest = line.split(&key).nth(1)?;
    let mut it = rest.split('/');
    let used = it.next()?.trim().parse().ok()?;
    let total = it.next()?.split_whitespace().next()?.parse().ok()?;
    Some((used, total))
}

/// The last critical-path report of a clock (`posedge -> posedge`), not a cross-domain one.
pub fn critical_path(log: &str) -> Option<CriticalPath> {
    let lines: Vec<&str> = log.lines().collect();
    let start = lines
        .iter()
        .rposition(|l| l.contains("Critical path report for clock"))?;
    let mut blocks: Vec<String> = Vec::new();
    for line in &lines[start + 1..] {
        let text = line.trim_start_matches("Info:").trim();
        if let Some((logic, routing)) = totals(text) {
            return Some(CriticalPath {
                delay_ns: logic + routing,
                logic_ns: logic,
                routing_ns: routing,
                blocks,
            });
        }
        let cell = text
            .split_once("Source ")
            .or_else(|| text.split_once("Sink "))
            .map(|(_, c)| c);
        if let Some(cell) = cell {
            // A cell Yosys or nextpnr named without a design signal says nothing of where it is.
            if let Some(block) = block_of(cell) {
                if blocks.last() != Some(&block) {
                    blocks.push(block);
                }
            }
        }
    }
    None
}

/// `16.2 ns logic, 34.1 ns routing`.
fn totals(text: &str) -> Option<(f64, f64)> {
    let (logic, routing) = text.split_once(" ns logic, ")?;
    let routing = routing.strip_suffix(" ns routing")?;
    Some((logic.trim().parse().ok()?, routing.trim().parse().ok()?))
}

/// The design block of a nextpnr cell name: the hierarchical name Yosys gave the signal the
/// cell drives, without the `dut.` instance of the top, the signal's own name, the `$` suffixes
/// Yosys adds and the technology-mapping suffixes (`_TRELLIS_FF_Q`, `_LUT4_Z`, `_CCU2C`, ...).
/// `dut.ctrl.regs.r_edge_b$0.q_LUT4_B_Z.C` is `ctrl.regs`; a cell of the I/O wrapper's own
/// signals (`ins`, `outs`, `sin`, `sout`, `load`, `clk`) is `wrapper`, one of its `o` (the top's
/// outputs, as the wrapper names them) `top`. Yosys names a cell after the signal it drives or
/// the register it feeds, so a `wrapper` cell can be the accelerator's logic behind an output
/// port (`outs_TRELLIS_FF_Q_216_DI_LUT4_Z...`: logic feeding the wrapper's output register); the
/// hierarchy in a name says where a cell's output goes, which is where a path runs. A cell named after no
/// design signal (`$abc$...`, a name nextpnr's packer made up) is `None`.
pub fn block_of(cell: &str) -> Option<String> {
    const MAPPED: [&str; 10] = [
        "_TRELLIS_",
        "_LUT4",
        "_CCU2C",
        "_PFUMX",
        "_L6MUX",
        "_MULT18X18D",
        "_DP16KD",
        "_ALU54",
        "_SB_",
        "$",
    ];
    let mut name = cell;
    for m in MAPPED {
        if let Some(i) = name.find(m) {
            name = &name[..i];
        }
    }
    let Some(inside) = name.strip_prefix("dut.") else {
        const WRAPPER: [&str; 6] = ["ins", "outs", "sin", "sout", "load", "clk"];
        let signal = name.split(['.', '[']).next().unwrap_or("");
        // `o` is the wrapper's name for the top's outputs: logic that drives one is the top's.
        if signal == "o" {
            return Some("top".into());
        }
        return WRAPPER.contains(&signal).then(|| "wrapper".into());
    };
    // `walk$axis`: the signal is child `walk`'s port `axis` as its parent sees it, so the path
    // runs through `walk`. `idx$3`: element 3 of a vector, which stays its block's own signal.
    let child_port = cell[name.len()..]
        .strip_prefix('$')
        .and_then(|rest| rest.chars().next())
        .is_some_and(|c| !c.is_ascii_digit());
    if child_port {
        return Some(inside.to_string());
    }
    Some(match inside.rsplit_once('.') {
        Some((block, _signal)) => block.to_string(),
        None => "top".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
Info: Device utilisation:
Info:          TRELLIS_COMB: 99/24288     0%
Info: Max frequency for clock '$glbnet$clk': 18.14 MHz (PASS at 12.00 MHz)
Info: Critical path report for clock '$glbnet$clk' (posedge -> posedge):
Info:       type curr  total name
Info:   clk-to-q  0.52  0.52 Source dut.old.x_TRELLIS_FF_Q.Q
Info: 1.0 ns logic, 2.0 ns routing
Info: Device utilisation:
Info:          TRELLIS_COMB: 16356/24288    67%
Info: Critical path report for clock '$glbnet$clk$TRELLIS_IO_IN' (posedge -> posedge):
Info:       type curr  total name
Info:   clk-to-q  0.52  0.52 Source dut.ctrl.fetch_left.walk$axis$0_TRELLIS_FF_Q_1.Q
Info:    routing  1.13  1.65 Net dut.ctrl.fetch_left.walk$axis$0[1] (10,2) -> (11,2)
Info:                          Sink dut.ctrl.regs.r_edge_b$0.q_LUT4_B_Z_LUT4_D_Z_LUT4_Z.C
Info:      logic  0.24  1.89 Source dut.ctrl.regs.r_edge_b$0.q_LUT4_B_Z_LUT4_D_Z_LUT4_Z.F
Info:                          Sink dut.ctrl.drain_walk.walk.idx$3$q_TRELLIS_FF_Q_11_DI_LUT4_Z.A
Info:      logic  0.45  4.43 Source dut.ctrl.drain_walk.walk.idx$3$q_TRELLIS_FF_Q_11_DI_LUT4_Z.F
Info:                          Sink dut.dma.spill.walk_MULT18X18D_Z.A0
Info:      setup  0.00  5.00 Source outs_TRELLIS_FF_Q_66.M
Info: 16.2 ns logic, 34.1 ns routing

Info: Critical path report for cross-domain path 'posedge $glbnet$clk' -> '<async>':
Info:   clk-to-q  0.52  0.52 Source sout_TRELLIS_FF_Q.Q
Info: 0.52 ns logic, 2.03 ns routing

Info: Max frequency for clock '$glbnet$clk$TRELLIS_IO_IN': 19.88 MHz (PASS at 12.00 MHz)
";

    #[test]
    fn reads_the_routed_design_s_reports() {
        assert_eq!(fmax_mhz(LOG), Some(19.88));
        assert_eq!(utilisation(LOG, "TRELLIS_COMB"), Some((16356, 24288)));
        assert_eq!(utilisation(LOG, "ICESTORM_LC"), None);
        let path = critical_path(LOG).unwrap();
        assert_eq!(
            path.blocks,
            [
                "ctrl.fetch_left.walk",
                "ctrl.regs",
                "ctrl.drain_walk.walk",
                "dma.spill",
                "wrapper"
            ]
        );
        assert_eq!(
            path.summary(),
            "50.3 ns (16.2 logic, 34.1 routing): ctrl.fetch_left.walk -> ctrl.regs -> \
             ctrl.drain_walk.walk -> dma.spill -> wrapper"
        );
    }

    #[test]
    fn cell_names_to_blocks() {
        let block = |cell: &str| block_of(cell).unwrap_or_else(|| "-".into());
        assert_eq!(block("dut.pe_0_1.prod_MULT18X18D.A0"), "pe_0_1");
        assert_eq!(block("dut.ctrl.run_SB_DFFE_Q.D"), "ctrl");
        assert_eq!(block("dut.go$2.Q"), "top");
        assert_eq!(block("dut.ctrl$running_LUT4_Z.A"), "ctrl");
        assert_eq!(block("dut.ctrl.regs.r_edge_b$0.q_LUT4_Z.C"), "ctrl.regs");
        assert_eq!(block("ins_TRELLIS_FF_Q_3.Q"), "wrapper");
        assert_eq!(block("sout_TRELLIS_FF_Q.Q"), "wrapper");
        assert_eq!(block("o_LUT4_Z_12.C"), "top");
        assert_eq!(
            block("$abc$8213$auto$blifparse.cc:525:parse_blif$8214_LUT4_Z.B"),
            "-"
        );
    }

    #[test]
    fn a_log_without_reports_has_none() {
        assert_eq!(fmax_mhz("ERROR: failed to place"), None);
        assert_eq!(critical_path("ERROR: failed to place"), None);
        // A report cut off before its totals line.
        assert_eq!(
            critical_path("Info: Critical path report for clock 'c':\nInfo: Source dut.a.b.Q"),
            None
        );
    }
}
