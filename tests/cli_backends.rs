//! `systole gemm --backend fast|rtl|verilator|icarus`: for random GEMMs on every dataflow, the
//! same statistics (cycles, fold spans, every event count) and byte-identical C files.

use assert_cmd::Command;
use serde_json::Value;

fn gemm(backend: &str, df: &str, out: &std::path::Path) -> Value {
    let o = Command::cargo_bin("systole")
        .unwrap()
        .args([
            "gemm", "--arch", "tiny-4x4", "--m", "6", "--n", "5", "--k", "9",
        ])
        .args([
            "--seed",
            "7",
            "--dataflow",
            df,
            "--backend",
            backend,
            "--json",
            "--out",
        ])
        .arg(out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "--backend {backend} --dataflow {df} failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let obj = v.as_object_mut().unwrap();
    assert_eq!(obj.remove("backend").unwrap(), backend);
    assert!(obj.remove("sim_seconds").unwrap().as_f64().unwrap() >= 0.0);
    v
}

#[test]
fn every_backend_gives_the_same_answer() {
    let dir = tempfile::tempdir().unwrap();
    for df in ["os", "ws", "is"] {
        let fast_c = dir.path().join(format!("fast-{df}.npy"));
        let fast = gemm("fast", df, &fast_c);
        assert!(fast["total_cycles"].as_u64().unwrap() > 0);
        for backend in ["rtl", "verilator", "icarus"] {
            let c = dir.path().join(format!("{backend}-{df}.npy"));
            let stats = gemm(backend, df, &c);
            assert_eq!(stats, fast, "{backend} vs fast, {df}: statistics");
            assert_eq!(
                std::fs::read(&c).unwrap(),
                std::fs::read(&fast_c).unwrap(),
                "{backend} vs fast, {df}: C file"
            );
        }
    }
}

#[test]
fn verilog_command_writes_lint_clean_files() {
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("systole")
        .unwrap()
        .args([
            "verilog", "--arch", "tiny-4x4", "--rows", "2", "--cols", "3", "--out",
        ])
        .arg(dir.path())
        .assert()
        .success();
    for f in ["top.v", "lint.vlt", "interface.md"] {
        assert!(dir.path().join(f).exists(), "{f} missing");
    }
    let o = std::process::Command::new("verilator")
        .args([
            "--lint-only",
            "-Wall",
            "lint.vlt",
            "top.v",
            "--top-module",
            "top",
        ])
        .current_dir(dir.path())
        .output()
        .expect("verilator is not installed: run scripts/test.sh, which installs it");
    assert!(
        o.status.success(),
        "lint:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn rtl_backend_refuses_what_the_rtl_cannot_hold() {
    // 300 x 300 x 300 needs far more vectors than tiny-4x4's buffers hold.
    Command::cargo_bin("systole")
        .unwrap()
        .args([
            "gemm", "--arch", "tiny-4x4", "--m", "300", "--n", "300", "--k", "300",
        ])
        .args(["--backend", "rtl"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("buffer A"));
}

#[test]
fn rtl_backend_writes_a_vcd_waveform() {
    let dir = tempfile::tempdir().unwrap();
    let vcd = dir.path().join("run.vcd");
    let out = Command::cargo_bin("systole")
        .unwrap()
        .args(["gemm", "--arch", "tiny-4x4", "--rows", "2", "--cols", "2"])
        .args([
            "--m",
            "3",
            "--n",
            "3",
            "--k",
            "3",
            "--backend",
            "rtl",
            "--json",
            "--vcd",
        ])
        .arg(&vcd)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = std::fs::read_to_string(&vcd).unwrap();
    assert!(text.starts_with("$timescale"), "not a VCD");
    for var in ["running", "fold_start", "pes$0"] {
        assert!(text.contains(var), "the trace has no {var}");
    }
    // Two edges per cycle, from the start command to done.
    let stamps = text.lines().filter(|l| l.starts_with('#')).count() as u64;
    assert!(
        stamps >= 2 * stats["total_cycles"].as_u64().unwrap(),
        "{stamps} timestamps"
    );
    // Only the rtl backend has a waveform.
    Command::cargo_bin("systole")
        .unwrap()
        .args(["gemm", "--backend", "fast", "--vcd"])
        .arg(&vcd)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--vcd needs --backend rtl"));
}
