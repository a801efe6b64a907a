//! `systole synth` on one iCE40 and one ECP5 part with the real tools: a 1x1 array places and
//! routes, with nonzero resources and an Fmax, and the single-dataflow variant is smaller.

use assert_cmd::Command;
use serde_json::Value;

fn synth(target: &str, only: Option<&str>) -> Value {
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
    .args(["--target", target, "--json"]);
    if let Some(df) = only {
        cmd.args(["--only", df]);
    }
    let stdout = cmd.assert().success().get_output().stdout.clone();
    serde_json::from_slice(&stdout).unwrap()
}

#[test]
fn ice40_flexible_and_single_dataflow() {
    let flex = synth("ice40-hx8k", None);
    let os = synth("ice40-hx8k", Some("os"));
    for r in [&flex, &os] {
        assert_eq!(r["fits"], true, "{r}");
        assert!(r["luts"].as_u64().unwrap() > 100, "{r}");
        assert!(r["block_rams"].as_u64().unwrap() > 0, "{r}");
        assert!(r["fmax_mhz"].as_f64().unwrap() > 1.0, "{r}");
    }
    assert!(
        os["luts"].as_u64() < flex["luts"].as_u64(),
        "the OS-only variant should need fewer LUTs: {os} vs {flex}"
    );
}

#[test]
fn ecp5_places_and_routes() {
    let r = synth("ecp5-25k", None);
    assert_eq!(r["fits"], true, "{r}");
    assert!(r["luts"].as_u64().unwrap() > 100, "{r}");
    assert!(r["fmax_mhz"].as_f64().unwrap() > 1.0, "{r}");
}
