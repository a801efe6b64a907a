//! Golden outputs of a tiny workload run: the checked-in report `reports/int8-cnn-tiny-4x4` is the
//! golden copy. Each test compares one file of a fresh run of the command written at the report's
//! top with the checked-in file, so a change to any figure, table or SCALE-Sim CSV shows up as a
//! failing test named after the file, and as a diff in review once blessed. After an intended
//! change, regenerate the report with `SYSTOLE_BLESS=1 cargo test --test golden_report` (or the
//! command at its top) and commit it. Plots are not compared: their pixels depend on the
//! machine's fonts.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The report's folder, relative to the repository and to the run's working directory (so that
/// the command the report quotes is the same).
const REPORT: &str = "reports/int8-cnn-tiny-4x4";

/// The command at the report's top, minus `systole`.
const ARGS: &[&str] = &[
    "run",
    "--arch",
    "tiny-4x4",
    "--workload",
    "int8-cnn",
    "--check",
    "--scalesim-csv",
    "--out",
    REPORT,
];

/// Every text file of the run, compared byte for byte.
const GOLDEN: &[&str] = &[
    "results.json",
    "results.csv",
    "summary.md",
    "mappings.toml",
    "int8-cnn_tiny-4x4-os/COMPUTE_REPORT.csv",
    "int8-cnn_tiny-4x4-os/BANDWIDTH_REPORT.csv",
    "int8-cnn_tiny-4x4-os/DETAILED_ACCESS_REPORT.csv",
    "int8-cnn_tiny-4x4-ws/COMPUTE_REPORT.csv",
    "int8-cnn_tiny-4x4-ws/BANDWIDTH_REPORT.csv",
    "int8-cnn_tiny-4x4-ws/DETAILED_ACCESS_REPORT.csv",
    "int8-cnn_tiny-4x4-is/COMPUTE_REPORT.csv",
    "int8-cnn_tiny-4x4-is/BANDWIDTH_REPORT.csv",
    "int8-cnn_tiny-4x4-is/DETAILED_ACCESS_REPORT.csv",
];

/// The run's output folder (one run shared by every test of this file).
fn fresh() -> &'static Path {
    static RUN: OnceLock<PathBuf> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("systole-golden-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        common::succeeds(common::systole().current_dir(&dir).args(ARGS));
        dir.join(REPORT)
    })
}

fn check(name: &str) {
    let got = std::fs::read_to_string(fresh().join(name))
        .unwrap_or_else(|e| panic!("the run did not write {name}: {e}"));
    let golden = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(REPORT)
        .join(name);
    if std::env::var_os("SYSTOLE_BLESS").is_some() {
        std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
        std::fs::write(&golden, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&golden)
        .unwrap_or_else(|e| panic!("{}: {e} (bless with SYSTOLE_BLESS=1)", golden.display()));
    if want != got {
        let line = want
            .lines()
            .zip(got.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(want.lines().count().min(got.lines().count()));
        panic!(
            "{REPORT}/{name} differs from a fresh run from line {} on (checked in: {:?}, now: {:?}); if the change is intended, regenerate with SYSTOLE_BLESS=1 cargo test --test golden_report",
            line + 1,
            want.lines().nth(line),
            got.lines().nth(line)
        );
    }
}

macro_rules! golden {
    ($($test:ident => $file:expr),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                check($file);
            }
        )*
    };
}

golden! {
    results_json => GOLDEN[0],
    results_csv => GOLDEN[1],
    summary_md => GOLDEN[2],
    mappings_toml => GOLDEN[3],
    scalesim_os_compute => GOLDEN[4],
    scalesim_os_bandwidth => GOLDEN[5],
    scalesim_os_detailed_access => GOLDEN[6],
    scalesim_ws_compute => GOLDEN[7],
    scalesim_ws_bandwidth => GOLDEN[8],
    scalesim_ws_detailed_access => GOLDEN[9],
    scalesim_is_compute => GOLDEN[10],
    scalesim_is_bandwidth => GOLDEN[11],
    scalesim_is_detailed_access => GOLDEN[12],
}

/// Every text file the run writes is golden (a new output would otherwise go unchecked), and
/// the report quotes the command this file runs.
#[test]
fn every_text_output_is_golden() {
    let mut found = Vec::new();
    let mut stack = vec![fresh().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if !matches!(p.extension().and_then(|x| x.to_str()), Some("png" | "svg")) {
                let rel = p.strip_prefix(fresh()).unwrap();
                found.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    found.sort();
    let mut want: Vec<String> = GOLDEN.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(found, want, "text files of the run");
    let summary = std::fs::read_to_string(fresh().join("summary.md")).unwrap();
    assert!(
        summary.contains(&format!("`systole {}`", ARGS.join(" "))),
        "{summary}"
    );
}
