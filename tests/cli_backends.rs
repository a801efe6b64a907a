//! `systole gemm --backend fast|rtl|verilator|icarus`: for random GEMMs on every dataflow, the
//! same statistics (cycles, fold spans, every event count) and byte-identical C files; the
//! Verilog and waveform outputs. Bad inputs of these commands are in `cli_errors.rs`.

use assert_cmd::Command;
use serde_json::Value;

fn systole() -> Command {
    Command::cargo_bin("systole").unwrap()
}

/// Standard output of a command that must succeed (assert_cmd prints its stderr otherwise).
fn stdout_of(cmd: &mut Command) -> Vec<u8> {
    cmd.assert().success().get_output().stdout.clone()
}

fn gemm(backend: &str, df: &str, out: &std::path::Path) -> Value {
    let stdout = stdout_of(
        systole()
            .args([
                "gemm", "--arch", "tiny-4x4", "--m", "6", "--n", "5", "--k", "9",
            ])
            // DRAM at 2 bytes per cycle: load cycles, stalls and the final drain, which every
            // backend must count alike.
            .args(["--dram-bytes-per-cycle", "2"])
            .args([
                "--seed",
                "7",
                "--dataflow",
                df,
                "--backend",
                backend,
                "--json",
            ])
            .arg("--out")
            .arg(out),
    );
    let mut v: Value = serde_json::from_slice(&stdout).unwrap();
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

/// A mapping that is not SCALE-Sim's (WS, M in chunks of 4, M outermost), from a mapping file,
/// with the ideal memory model: every backend runs it to the same statistics (the mapping
/// included) and byte-identical C files.
#[test]
fn every_backend_runs_a_mapping_file_and_the_search_with_either_memory_model() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mapping.toml");
    std::fs::write(
        &file,
        "format = 1\n\n[[mapping]]\ndataflow = \"ws\"\ngemm = { m = 9, n = 6, k = 10 }\nstream_tile = 4\nloops = [\"m\", \"n\", \"k\"]\nkeep = { a = \"n\", b = \"all\" }\n",
    )
    .unwrap();
    // (memory model, M, mapping file or the default search)
    let cases = [
        ("ideal", "9", Some(&file)),
        ("dram", "9", Some(&file)),
        ("dram", "300", None),
    ];
    for (memory, m, mapping) in cases {
        let run = |backend: &str| {
            let c = dir.path().join(format!("{backend}.npy"));
            let mut cmd = systole();
            cmd.args(["gemm", "--arch", "tiny-4x4", "--memory", memory])
                .args(["--m", m, "--n", "6", "--k", "10", "--dataflow", "ws"])
                .args(["--seed", "3", "--backend", backend, "--json", "--out"])
                .arg(&c);
            if let Some(f) = mapping {
                cmd.arg("--mapping").arg(f);
            }
            let mut v: Value = serde_json::from_slice(&stdout_of(&mut cmd)).unwrap();
            let obj = v.as_object_mut().unwrap();
            obj.remove("backend");
            obj.remove("sim_seconds");
            (v, std::fs::read(&c).unwrap())
        };
        let (fast, fast_c) = run("fast");
        let what = format!("{memory} M = {m}");
        if mapping.is_some() {
            assert_eq!(fast["mapping"]["stream_tile"], 4, "{what}: {fast}");
        } else {
            // The search keeps WS's partial sums in C: not SCALE-Sim's order (all of M per
            // fold, spilling).
            assert_ne!(fast["mapping"]["stream_tile"], 300, "{what}: {fast}");
            assert_ne!(fast["memory"]["c"], "spill", "{what}: {fast}");
        }
        for backend in ["rtl", "verilator", "icarus"] {
            let (stats, c) = run(backend);
            assert_eq!(stats, fast, "{what}: {backend} vs fast: statistics");
            assert_eq!(c, fast_c, "{what}: {backend} vs fast: C file");
        }
    }
}

#[test]
fn verilog_command_writes_lint_clean_files() {
    let dir = tempfile::tempdir().unwrap();
    stdout_of(
        systole()
            .args([
                "verilog", "--arch", "tiny-4x4", "--rows", "2", "--cols", "3", "--out",
            ])
            .arg(dir.path()),
    );
    for f in ["top.v", "lint.vlt", "interface.md"] {
        assert!(dir.path().join(f).exists(), "{f} missing");
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("lint.vlt")).unwrap(),
        systole_hdl::flow::verilog::LINT_WAIVERS,
        "the written waivers are the library's"
    );
    let warnings = systole_hdl::flow::verilog::lint(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert!(warnings.is_empty(), "lint:\n{warnings}");
}

#[test]
fn rtl_backend_writes_a_vcd_waveform() {
    let dir = tempfile::tempdir().unwrap();
    let vcd = dir.path().join("run.vcd");
    let stdout = stdout_of(
        systole()
            .args(["gemm", "--arch", "tiny-4x4", "--rows", "2", "--cols", "2"])
            .args(["--memory", "ideal"])
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
            ])
            .arg("--vcd")
            .arg(&vcd),
    );
    let stats: Value = serde_json::from_slice(&stdout).unwrap();
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
}
