//! `systole synth` on one iCE40 and one ECP5 part with the real tools: a 1x1 array places and
//! routes on the ECP5, with nonzero resources, an Fmax, its peak GOPS and its critical path, and the iCE40 flow reports its size and
//! whether it fits; the single-dataflow variant is smaller, and the
//! DMA engine (DRAM memory model) costs logic that the ideal memory model's design does not have.

use assert_cmd::Command;
use serde_json::Value;

fn synth(target: &str, only: Option<&str>, memory: &str) -> Value {
    let mut cmd = Command::cargo_bin("systole").unwrap();
    cmd.args([
        "synth",
        "--arch",
        "reports/fpga/fpga-small.toml",
        "--rows",
        "1",
        "--cols",
        "1",
    ])
    .args(["--target", target, "--memory", memory, "--json"]);
    if let Some(df) = only {
        cmd.args(["--only", df]);
    }
    let out = cmd.assert().success().get_output().clone();
    // Each step is announced on stderr as it starts, with how long each took (a synthesis takes
    // minutes; it ran without a word).
    let err = String::from_utf8(out.stderr).unwrap();
    let steps: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("synth: step"))
        .collect();
    assert_eq!(
        steps,
        [
            "synth: step 1/3: Verilog (rust-hdl)",
            "synth: step 2/3: synthesis (Yosys)",
            "synth: step 3/3: place and route (nextpnr)"
        ],
        "{err}"
    );
    assert!(err.contains(" s in all"), "{err}");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn ice40_flexible_and_single_dataflow() {
    // The array and controller alone (with the DMA a 1x1 design stopped fitting the HX8K first).
    // Since the controller walks any mapping through its fold queue (walker, loop registers and
    // a ring of fold entries, `docs/rtl.md`), no 1x1 design fits the HX8K either: synthesis and
    // placement run and report the design's size, and the report says it does not fit.
    let flex = synth("ice40-hx8k", None, "ideal");
    let os = synth("ice40-hx8k", Some("os"), "ideal");
    for r in [&flex, &os] {
        assert!(r["luts"].as_u64().unwrap() > 100, "{r}");
        assert!(r["block_rams"].as_u64().unwrap() > 0, "{r}");
        let cells = r["logic_cells"].as_array().unwrap();
        let (used, available) = (cells[0].as_u64().unwrap(), cells[1].as_u64().unwrap());
        assert_eq!(available, 7680, "{r}");
        assert_eq!(r["fits"], used <= available, "{r}");
        if r["fits"] == true {
            assert!(r["fmax_mhz"].as_f64().unwrap() > 1.0, "{r}");
        }
    }
    assert!(
        os["luts"].as_u64() < flex["luts"].as_u64(),
        "the OS-only variant should need fewer LUTs: {os} vs {flex}"
    );
}

#[test]
fn ecp5_places_and_routes_with_and_without_the_dma() {
    let dram = synth("ecp5-25k", None, "dram");
    let ideal = synth("ecp5-25k", None, "ideal");
    for r in [&dram, &ideal] {
        assert_eq!(r["fits"], true, "{r}");
        assert!(r["luts"].as_u64().unwrap() > 100, "{r}");
        let fmax = r["fmax_mhz"].as_f64().unwrap();
        assert!(fmax > 1.0, "{r}");
        // A 1x1 array: one multiply and one add per cycle.
        let gops = r["peak_gops"].as_f64().unwrap();
        assert!((gops - 2.0 * fmax / 1000.0).abs() < 1e-9, "{r}");
        // The routed critical path, its delay split into logic and routing, and the blocks it
        // runs through (it starts and ends at a register, so at least one block is named).
        let path = &r["critical_path"];
        let delay = path["delay_ns"].as_f64().unwrap();
        let parts = path["logic_ns"].as_f64().unwrap() + path["routing_ns"].as_f64().unwrap();
        assert!(delay > 0.0 && (delay - parts).abs() < 1e-6, "{r}");
        // The path cannot be longer than the clock period nextpnr reports (1000 / Fmax ns).
        assert!(delay <= 1000.0 / fmax + 0.05, "{r}");
        assert!(!path["blocks"].as_array().unwrap().is_empty(), "{r}");
    }
    assert!(
        dram["luts"].as_u64() > ideal["luts"].as_u64(),
        "the DMA engine should cost LUTs: {dram} vs {ideal}"
    );
}
