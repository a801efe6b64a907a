//! What `systole gemm` and `systole run` write: C files, JSON statistics, tables and reports.

use assert_cmd::Command;
use serde_json::Value;
use systole_sim::matrix::{reference_matmul, Matrix};
use systole_sim::npy::{read_i8_matrix, write_i8_matrix};

fn systole() -> Command {
    Command::cargo_bin("systole").unwrap()
}

fn read_i32(path: &std::path::Path) -> (Vec<u64>, Vec<i32>) {
    let bytes = std::fs::read(path).unwrap();
    let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
    assert_eq!(npy.dtype().descr(), "'<i4'");
    let shape = npy.shape().to_vec();
    (shape, npy.into_vec::<i32>().unwrap())
}

#[test]
fn gemm_writes_exact_c_for_every_dataflow_and_awkward_shapes() {
    let d = tempfile::tempdir().unwrap();
    for (arch, m, n, k) in [
        ("tiny-4x4", 9, 6, 13),
        ("tiny-4x4", 8, 8, 8),
        ("edge-16x16", 33, 1, 70),
        ("eyeriss-12x14", 1, 29, 5),
    ] {
        let a = Matrix::random(m, k, 3);
        let b = Matrix::random(k, n, 4);
        let (pa, pb) = (d.path().join("a.npy"), d.path().join("b.npy"));
        write_i8_matrix(&pa, &a).unwrap();
        write_i8_matrix(&pb, &b).unwrap();
        let want = reference_matmul(&a, &b);
        for df in ["os", "ws", "is"] {
            let pc = d.path().join(format!("c-{df}.npy"));
            systole()
                .args(["gemm", "--arch", arch, "--dataflow", df])
                .args(["--a", pa.to_str().unwrap(), "--b", pb.to_str().unwrap()])
                .args(["--out", pc.to_str().unwrap()])
                .assert()
                .success();
            let (shape, data) = read_i32(&pc);
            assert_eq!(shape, vec![m as u64, n as u64], "{arch} {df}");
            assert_eq!(data, want.as_slice(), "{arch} {df} {m}x{n}x{k}");
        }
    }
}

#[test]
fn gemm_json_has_the_run_stats_fields() {
    let out = systole()
        .args([
            "gemm",
            "--dataflow",
            "ws",
            "--m",
            "40",
            "--n",
            "24",
            "--k",
            "50",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "total_cycles",
        "stall_cycles",
        "macs",
        "utilization",
        "events",
        "fold_cycles",
        "folds",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(v["macs"], 40 * 24 * 50);
    assert_eq!(v["stall_cycles"], 0);
    assert_eq!(v["dataflow"], "ws");
    let ev = v["events"].as_object().unwrap();
    for name in systole_sim::events::EventCounts::NAMES {
        assert!(ev.contains_key(*name), "events.{name}");
    }
    assert_eq!(ev["macs"], v["macs"]);
}

#[test]
fn gemm_random_data_is_reproducible_and_checkable() {
    // Everything but the wall-clock `sim_seconds` is the same from run to run.
    let run = |seed: &str| {
        let out = systole()
            .args([
                "gemm", "--m", "20", "--n", "20", "--k", "20", "--seed", seed, "--json",
            ])
            .output()
            .unwrap()
            .stdout;
        let mut v: Value = serde_json::from_slice(&out).unwrap();
        assert!(v.as_object_mut().unwrap().remove("sim_seconds").is_some());
        v
    };
    assert_eq!(run("5"), run("5"));
    systole()
        .args([
            "gemm",
            "--dataflow",
            "is",
            "--m",
            "30",
            "--n",
            "17",
            "--k",
            "90",
            "--check",
        ])
        .assert()
        .success()
        .stdout(predicates::str::contains("check: C equals the reference"));
}

#[test]
fn gemm_table_is_readable() {
    let out = systole()
        .args([
            "gemm", "--arch", "tiny-4x4", "--m", "8", "--n", "8", "--k", "8",
        ])
        .output()
        .unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "total cycles",
        "utilization",
        "SCALE-Sim 3.0.0",
        "a_buf_reads",
        "psum_hops",
    ] {
        assert!(s.contains(needle), "{needle}: {s}");
    }
}

#[test]
fn rows_and_cols_override_the_preset() {
    let out = systole()
        .args([
            "gemm", "--arch", "tiny-4x4", "--rows", "2", "--cols", "7", "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["rows"].as_u64(), v["cols"].as_u64()), (Some(2), Some(7)));
}

#[test]
fn run_compares_every_dataflow_on_a_workload_file() {
    let d = tempfile::tempdir().unwrap();
    let w = d.path().join("net.toml");
    std::fs::write(
        &w,
        "name = \"two-layers\"\n[[layer]]\nname = \"conv\"\nm = 49\nn = 20\nk = 27\n\
         [[layer]]\nname = \"fc\"\nm = 1\nn = 10\nk = 64\nrepeat = 2\n",
    )
    .unwrap();
    let out = systole()
        .args([
            "run",
            "--arch",
            "tiny-4x4",
            "--workload",
            w.to_str().unwrap(),
            "--check",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let dfs = v["dataflows"].as_array().unwrap();
    assert_eq!(dfs.len(), 3);
    for d in dfs {
        assert_eq!(d["total"]["macs"], 49 * 20 * 27 + 2 * 10 * 64);
        assert_eq!(d["layers"].as_array().unwrap().len(), 2);
    }
}

#[test]
fn run_writes_a_report() {
    let d = tempfile::tempdir().unwrap();
    let w = d.path().join("net.toml");
    std::fs::write(
        &w,
        "name = \"one\"\n[[layer]]\nname = \"l\"\nm = 30\nn = 30\nk = 30\n",
    )
    .unwrap();
    let out_dir = d.path().join("report");
    systole()
        .args([
            "run",
            "--arch",
            "tiny-4x4",
            "--workload",
            w.to_str().unwrap(),
        ])
        .args(["--dataflow", "ws,os", "--out", out_dir.to_str().unwrap()])
        .assert()
        .success();
    let md = std::fs::read_to_string(out_dir.join("summary.md")).unwrap();
    assert!(md.contains("Generated by `systole run"), "{md}");
    assert!(
        md.contains("| WS |") && md.contains("| OS |") && !md.contains("| IS |"),
        "{md}"
    );
    let js: Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("results.json")).unwrap())
            .unwrap();
    assert_eq!(js["dataflows"].as_array().unwrap().len(), 2);
}

#[test]
fn no_arguments_runs_the_main_job() {
    let out = systole().output().unwrap();
    assert!(out.status.success());
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("resnet18") && s.contains("edge-16x16"), "{s}");
    for df in ["OS", "WS", "IS"] {
        assert!(s.lines().any(|l| l.starts_with(df)), "{df} row: {s}");
    }
}

#[test]
fn int8_files_round_trip_through_the_library() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("x.npy");
    let m = Matrix::random(3, 5, 9);
    write_i8_matrix(&p, &m).unwrap();
    assert_eq!(read_i8_matrix(&p).unwrap(), m);
}

/// `systole gemm | head` must end quietly when the reader goes away, not panic.
#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    use std::process::Stdio;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_systole"))
        .args([
            "gemm", "--arch", "tiny-4x4", "--m", "300", "--n", "300", "--k", "300",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end while the simulation still runs: every line goes into a closed pipe.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.trim().is_empty(), "{stderr}");
}

/// `systole --help` says what no command does, with the defaults that `systole run` uses.
#[test]
fn help_says_no_command_means_run() {
    let out = systole().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("With no command, systole runs `systole run` with its defaults"),
        "{text}"
    );
    assert!(text.contains(systole_sim::config::DEFAULT_PRESET), "{text}");
    assert_eq!(systole_sim::workload::DEFAULT_WORKLOAD, "resnet18");
    assert!(text.contains("ResNet-18"), "{text}");
}
