//! Verilog generation for several array shapes, each linted by `verilator --lint-only -Wall`
//! with the documented waivers only.

use systole_hdl::flow::verilog::{accelerator_verilog, lint, simulation_verilog};
use systole_sim::config::ArchConfig;

/// `verilator --lint-only -Wall` (with the documented waivers) finds nothing in `verilog`.
fn assert_lints_clean(name: &str, verilog: &str) {
    let dir = std::env::temp_dir().join(format!("systole-lint-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("top.v"), verilog).unwrap();
    let warnings = lint(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert!(warnings.is_empty(), "{name}: verilator lint:\n{warnings}");
}

#[test]
fn generated_verilog_lints_clean_for_every_shape() {
    for (rows, cols) in [(1, 1), (2, 3), (4, 4), (8, 8), (16, 16)] {
        let cfg = ArchConfig::preset("tiny-4x4")
            .unwrap()
            .with_shape(Some(rows), Some(cols))
            .unwrap();
        let v = accelerator_verilog(&cfg).unwrap();
        assert!(v.contains("module top("), "{rows}x{cols}: no top module");
        assert_lints_clean(&format!("{rows}x{cols}"), &v);
    }
}

#[test]
fn simulation_verilog_with_the_dram_model_lints_clean() {
    for (rows, cols, bpc, lat) in [(2, 3, 1, 0), (4, 4, 4, 20)] {
        let cfg = ArchConfig::preset("tiny-4x4")
            .unwrap()
            .with_shape(Some(rows), Some(cols))
            .unwrap()
            .with_memory(Some(bpc), None)
            .unwrap();
        let mut cfg = cfg;
        cfg.dram.latency_cycles = lat;
        let v = simulation_verilog(&cfg).unwrap();
        assert_lints_clean(&format!("sim-{rows}x{cols}"), &v);
    }
}
