//! `systole sweep` end to end: a sweep killed half-way (in the middle of a write) and resumed,
//! and a sweep run as shards and merged, give the files of one uninterrupted run; bad grids and
//! directories are refused.

mod common;

use std::path::{Path, PathBuf};

use common::{fails_with, succeeds, systole};

const WORKLOAD: &str = r#"name = "sweep-test"
[[layer]]
name = "conv"
kind = "conv"
ifmap = [20, 20]
channels = 32
filter = [3, 3]
filters = 32
[[layer]]
name = "fc"
m = 40
n = 50
k = 60
repeat = 2
"#;

/// 2 x 2 shapes x 2 buffer sizes (one too small for every point) x 3 dataflows x 2 tables =
/// 48 points.
fn grid(workload: &Path, out: &Path) -> Vec<String> {
    [
        "sweep",
        "--arch",
        "tiny-4x4",
        "--workload",
        workload.to_str().unwrap(),
        "--rows",
        "4,8",
        "--cols",
        "4,8",
        "--buffer-kib",
        "0:4:4,8",
        "--dataflow",
        "all",
        "--tech",
        "45nm,7nm",
        "--out",
        out.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn setup() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path().join("w.toml");
    std::fs::write(&w, WORKLOAD).unwrap();
    (tmp, w)
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Complete summary lines (a torn last line does not count).
fn point_rows(csv: &str) -> usize {
    let whole = &csv[..csv.rfind('\n').map_or(0, |i| i + 1)];
    whole
        .lines()
        .filter(|l| l.split(',').nth(1) == Some("point"))
        .count()
}

/// The files that must not depend on how the sweep was run.
const SAME: [&str; 4] = [
    "sweep.csv",
    "sweep.json",
    "pareto_energy_latency.csv",
    "pareto_energy_area.csv",
];

fn assert_same(a: &Path, b: &Path) {
    for f in SAME {
        assert_eq!(read(&a.join(f)), read(&b.join(f)), "{f} differs");
    }
}

#[test]
fn a_killed_sweep_resumes_to_the_same_result() {
    let (tmp, w) = setup();
    let whole = tmp.path().join("whole");
    let out = succeeds(systole().args(grid(&w, &whole)).args(["--jobs", "2"]));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("48 points, 24 ran, 24 invalid"), "{stdout}");
    assert!(
        stdout.contains("24 x buffers.a"),
        "invalid points are reported: {stdout}"
    );
    assert!(
        stdout.contains("Pareto front: energy vs latency"),
        "{stdout}"
    );
    assert_eq!(point_rows(&read(&whole.join("sweep.csv"))), 48);
    for f in [
        "summary.md",
        "pareto_energy_latency.png",
        "pareto_energy_area.svg",
    ] {
        assert!(whole.join(f).exists(), "{f}");
    }

    // Killed in the middle of writing its sixth job (the testing hook writes that job's first
    // table whole and half of its second, then aborts the process, as a kill can leave it).
    let cut = tmp.path().join("cut");
    let out = systole()
        .args(grid(&w, &cut))
        .args(["--jobs", "1"])
        .env("SYSTOLE_TEST_ABORT_AFTER_JOBS", "5")
        .output()
        .unwrap();
    assert!(!out.status.success(), "the hook aborts the process");
    let csv = cut.join("sweep.csv");
    let text = read(&csv);
    assert!(!text.ends_with('\n'), "the file ends in a torn line");
    // Five jobs of two tables, and the first table's summary of the sixth job: its second table
    // was cut, so resuming must run that whole job again without writing its first point twice.
    assert_eq!(point_rows(&text), 11);

    // Without --resume the directory is refused; with it the rest runs.
    fails_with(
        &grid(&w, &cut)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &["already holds a sweep", "--resume"],
    );
    let out = succeeds(systole().args(grid(&w, &cut)).arg("--resume"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("resuming:"), "{stderr}");
    assert_same(&whole, &cut);
}

#[test]
fn shards_merged_give_the_result_of_one_run() {
    let (tmp, w) = setup();
    let whole = tmp.path().join("whole");
    systole().args(grid(&w, &whole)).assert().success();
    let shards: Vec<PathBuf> = (1..=3)
        .map(|i| {
            let d = tmp.path().join(format!("s{i}"));
            let out = succeeds(
                systole()
                    .args(grid(&w, &d))
                    .args(["--shard", &format!("{i}/3")]),
            );
            assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("shard {i}/3")));
            d
        })
        .collect();
    let n: usize = shards
        .iter()
        .map(|d| point_rows(&read(&d.join("sweep.csv"))))
        .sum();
    assert_eq!(n, 48, "the shards split the points");
    let merged = tmp.path().join("merged");
    let mut args = vec!["sweep".to_string(), "merge".into(), "--out".into()];
    args.push(merged.to_str().unwrap().into());
    args.extend(shards.iter().map(|d| d.to_str().unwrap().to_string()));
    systole().args(&args).assert().success();
    assert_same(&whole, &merged);

    // Two of three shards: refused, saying what is missing.
    let partial = tmp.path().join("partial");
    let a: Vec<&str> = vec![
        "sweep",
        "merge",
        "--out",
        partial.to_str().unwrap(),
        shards[0].to_str().unwrap(),
        shards[1].to_str().unwrap(),
    ];
    fails_with(
        &a,
        &["the shards hold 32 of 48 points", "missing points 4, 5"],
    );
    // A shard directory resumed as another shard is refused.
    let mut again = grid(&w, &shards[0]);
    again.extend(["--shard".into(), "2/3".into(), "--resume".into()]);
    fails_with(
        &again.iter().map(String::as_str).collect::<Vec<_>>(),
        &["holds shard 1/3, the command runs shard 2/3"],
    );
}

#[test]
fn bad_grids_are_refused() {
    let (tmp, w) = setup();
    let out = tmp.path().join("o");
    let o = out.to_str().unwrap();
    let wl = w.to_str().unwrap();
    fails_with(&["sweep", "--workload", wl], &["--out DIR is required"]);
    fails_with(
        &["sweep", "--workload", wl, "--out", o, "--buffer-kib", "4:4"],
        &["--buffer-kib", "A:B:C"],
    );
    fails_with(
        &["sweep", "--workload", wl, "--out", o, "--shard", "4/3"],
        &["--shard", "numbered 1 to 3"],
    );
    fails_with(
        &["sweep", "--workload", wl, "--out", o, "--dataflow", "xs"],
        &["`xs` is not a dataflow"],
    );
    fails_with(
        &["sweep", "--workload", wl, "--out", o, "--tech", "3nm"],
        &["--tech", "3nm"],
    );
    fails_with(
        &["sweep", "--workload", wl, "--out", o, "--rows", "4,x"],
        &["--rows", "x"],
    );
    fails_with(
        &["sweep", "--workload", wl, "--out", o, "--rows", "4,8,4"],
        &["--rows: 4 is given twice"],
    );
    // Every point invalid: the report is written, and the exit code says nothing ran.
    let out = systole()
        .args([
            "sweep",
            "--arch",
            "tiny-4x4",
            "--workload",
            wl,
            "--buffer-kib",
            "0:4:4",
        ])
        .args(["--out", o])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no point of the grid could run"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("buffers.a.capacity_kib"));
}

/// The operand-width axis: int4, int8 and int16 points of one machine run the same MACs; the MAC
/// energy goes 0.15 : 0.3 : 0.9 pJ; packed int4 reads exactly half of int8's DRAM bytes (the
/// operands fit their buffers at both widths) and int16 at least twice; at 64 B/cycle the DRAM
/// keeps up at every width, so the cycles are the same. A width the datapath does not have is an
/// invalid point, not a crash, and a directory of the previous format is named as such.
#[test]
fn operand_width_axis() {
    let (tmp, w) = setup();
    let out = tmp.path().join("bits");
    let run = |bits: &str, dir: &Path| {
        succeeds(systole().args([
            "sweep",
            "--arch",
            "tiny-4x4",
            "--workload",
            w.to_str().unwrap(),
            "--buffer-kib",
            "16",
            "--dram-bytes-per-cycle",
            "64",
            "--dataflow",
            "os",
            // Packing halves the bytes in one fold order; the mapper would pick another order at
            // each width (int4 fits twice the elements in the same buffers).
            "--mapping",
            "scalesim",
            "--operand-bits",
            bits,
            "--out",
            dir.to_str().unwrap(),
        ]))
    };
    run("4,8,16", &out);
    let mut rdr = csv::Reader::from_path(out.join("sweep.csv")).unwrap();
    let head = rdr.headers().unwrap().clone();
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let points: Vec<csv::StringRecord> = rdr
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[col("scope")] == "point")
        .collect();
    let bits: Vec<&str> = points.iter().map(|r| &r[col("operand_bits")]).collect();
    assert_eq!(bits, ["4", "8", "16"]);
    let num = |r: &csv::StringRecord, c: &str| r[col(c)].parse::<f64>().unwrap();
    let macs = num(&points[0], "macs");
    for (r, pj) in points.iter().zip([0.15, 0.3, 0.9]) {
        assert_eq!(num(r, "macs"), macs);
        assert!((num(r, "mac_pj") - macs * pj).abs() < 1e-6 * macs, "{r:?}");
    }
    let dram = |r: &csv::StringRecord| num(r, "dram_read_bytes");
    assert_eq!(2.0 * dram(&points[0]), dram(&points[1]));
    assert!(dram(&points[2]) >= 2.0 * dram(&points[1]));
    for r in &points {
        assert_eq!(num(r, "latency_cycles"), num(&points[1], "latency_cycles"));
    }
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("operand bits 4,8,16"), "{summary}");
    assert!(
        summary.contains("## Every point, energy by component"),
        "{summary}"
    );
    // A directory of the format before the width axis is named as such when resumed.
    let spec = out.join("sweep.json");
    let text = std::fs::read_to_string(&spec).unwrap();
    let cut = text.find("\"operand_bits\": [").unwrap();
    let end = cut + text[cut..].find(']').unwrap() + 2;
    let now = systole_sim::sweep::SWEEP_FORMAT;
    let old = format!("{}{}", &text[..cut], &text[end..])
        .replace(&format!("\"format\": {now}"), "\"format\": 1");
    std::fs::write(&spec, old).unwrap();
    fails_with(
        &[
            "sweep",
            "--arch",
            "tiny-4x4",
            "--workload",
            w.to_str().unwrap(),
            "--dataflow",
            "os",
        ]
        .iter()
        .chain(&["--out", out.to_str().unwrap(), "--resume"])
        .copied()
        .collect::<Vec<_>>(),
        &[
            "sweep.json",
            &format!("format 1 (this systole writes format {now})"),
        ],
    );
    // 12 bits: one invalid point with the reason.
    let bad = tmp.path().join("bad");
    let o = systole()
        .args([
            "sweep",
            "--arch",
            "tiny-4x4",
            "--workload",
            w.to_str().unwrap(),
        ])
        .args(["--dataflow", "os", "--operand-bits", "8,12"])
        .args(["--out", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(bad.join("sweep.csv")).unwrap();
    assert!(csv.contains("operand-bits 12: must be 4, 8 or 16"), "{csv}");
}
