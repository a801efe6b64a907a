//! End to end through the CLI: the memory system (DRAM traffic, stalls, load and writeback) and the
//! energy model (components, technology tables, register conventions) in `systole gemm --json`
//! and in `systole run`'s JSON, CSV, text and report directory.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;
use systole_sim::report::CSV_COLUMNS;

mod common;
use common::{fails_with, succeeds, systole};

/// The GEMM most tests run: small enough that every operand fits in tiny-4x4's buffers.
const M: u64 = 20;
const N: u64 = 12;
const K: u64 = 30;

/// The energy components, in report order, and the key of their sum.
const COMPONENTS: [&str; 8] = [
    "mac",
    "registers",
    "buffer_a",
    "buffer_b",
    "buffer_c",
    "dram",
    "output_stage",
    "leakage",
];

/// Runs `systole args...`, expects success and returns stdout.
fn ok(args: &[&str]) -> String {
    String::from_utf8(succeeds(systole().args(args)).stdout).unwrap()
}

/// `systole gemm --arch tiny-4x4 --m 20 --n 12 --k 30 --json` plus `extra`, parsed.
fn gemm_json(extra: &[&str]) -> Value {
    let (m, n, k) = (M.to_string(), N.to_string(), K.to_string());
    let mut args = vec![
        "gemm", "--arch", "tiny-4x4", "--m", &m, "--n", &n, "--k", &k, "--json",
    ];
    args.extend_from_slice(extra);
    serde_json::from_str(&ok(&args)).unwrap()
}

fn u(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("`{key}` is not an unsigned integer: {}", v[key]))
}

fn f(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("`{key}` is not a number: {}", v[key]))
}

/// `a` and `b` agree to `rel` relative (absolute near zero).
fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-12)
}

#[track_caller]
fn assert_close(a: f64, b: f64, rel: f64, what: &str) {
    assert!(close(a, b, rel), "{what}: {a} vs {b} (relative {rel})");
}

/// Checks `energy_pj` has exactly the component keys and `total`, and that `total` is their sum.
#[track_caller]
fn check_breakdown(e: &Value, what: &str) {
    let keys: BTreeSet<&str> = e
        .as_object()
        .unwrap_or_else(|| panic!("{what}: energy_pj is not an object: {e}"))
        .keys()
        .map(String::as_str)
        .collect();
    let want: BTreeSet<&str> = COMPONENTS.iter().copied().chain(["total"]).collect();
    assert_eq!(keys, want, "{what}: energy_pj keys");
    let sum: f64 = COMPONENTS.iter().map(|c| f(e, c)).sum();
    assert_close(f(e, "total"), sum, 1e-6, &format!("{what}: total vs sum"));
    for c in COMPONENTS {
        assert!(f(e, c) >= 0.0, "{what}: energy_pj.{c} negative: {e}");
    }
}

/// The two layers of the workload tests: (name, m, n, k, repeat).
const LAYERS: [(&str, u64, u64, u64, u64); 2] = [("conv", 24, 10, 18, 1), ("fc", 3, 14, 40, 3)];

/// Writes the two-layer workload file into `dir`.
fn workload_file(dir: &Path) -> PathBuf {
    let mut text = String::from("name = \"energy-pair\"\n");
    for (name, m, n, k, repeat) in LAYERS {
        text.push_str(&format!(
            "[[layer]]\nname = \"{name}\"\nm = {m}\nn = {n}\nk = {k}\nrepeat = {repeat}\n"
        ));
    }
    let p = dir.join("pair.toml");
    std::fs::write(&p, text).unwrap();
    p
}

/// `systole run --arch tiny-4x4 --workload FILE` plus `extra`; returns stdout.
fn run_workload(workload: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "run",
        "--arch",
        "tiny-4x4",
        "--workload",
        workload.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    ok(&args)
}

#[test]
fn gemm_json_reports_memory_traffic_and_energy() {
    let v = gemm_json(&[]);
    let macs = u(&v, "macs");
    assert_eq!(macs, M * N * K);

    // Cycles: end to end is the DMA prologue, the run and the writeback.
    let (load, total, wb) = (
        u(&v, "load_cycles"),
        u(&v, "total_cycles"),
        u(&v, "writeback_cycles"),
    );
    let stall = u(&v, "stall_cycles");
    assert!(stall <= total, "stall {stall} > total {total}");
    assert_eq!(u(&v, "latency_cycles"), load + total + wb, "{v}");
    assert!(load > 0 && wb > 0, "operands come from DRAM: {v}");

    // Traffic: everything fits, so A and B are read once and C (int32) written once.
    assert_eq!(u(&v, "dram_read_bytes"), M * K + K * N);
    assert_eq!(u(&v, "dram_write_bytes"), 4 * M * N);
    let ev = &v["events"];
    assert_eq!(
        u(ev, "dram_a_read_bytes") + u(ev, "dram_b_read_bytes") + u(ev, "dram_c_read_bytes"),
        u(&v, "dram_read_bytes")
    );
    assert_eq!(u(ev, "dram_c_write_bytes"), u(&v, "dram_write_bytes"));
    assert_eq!(u(ev, "macs"), macs);
    let mem = v["memory"]
        .as_object()
        .unwrap_or_else(|| panic!("memory is not an object: {v}"));
    let mem_keys: BTreeSet<&str> = mem.keys().map(String::as_str).collect();
    assert_eq!(mem_keys, BTreeSet::from(["a", "b", "c"]));
    // Both operands stay on chip (for the run, or across the folds of the loop that does not
    // index them, by the mapping's order), so they cross DRAM once (the bytes above).
    for op in ["a", "b"] {
        assert!(
            ["whole", "per-run"].contains(&mem[op].as_str().unwrap()),
            "{op}: {v}"
        );
    }
    assert_eq!(mem["c"], "drain");
    // The mapping is reported with the statistics.
    let mapping = v["mapping"].as_object().expect("a mapping object");
    assert!(
        mapping.contains_key("loops") && mapping.contains_key("keep"),
        "{v}"
    );

    // Energy: the 45 nm table, write-once registers.
    assert_eq!(v["tech"], "45nm");
    assert_eq!(v["register_convention"], "write-once");
    let e = &v["energy_pj"];
    check_breakdown(e, "gemm");
    // 0.2 pJ multiply + 0.1 pJ add per MAC.
    assert_close(f(e, "mac"), macs as f64 * 0.3, 1e-12, "mac energy");
    // LPDDR4: 8 pJ per bit, both directions.
    let bytes = u(&v, "dram_read_bytes") + u(&v, "dram_write_bytes");
    assert_close(f(e, "dram"), bytes as f64 * 64.0, 1e-12, "dram energy");
    // 16 PEs x 8.6 uW over the end-to-end latency at 100 MHz.
    assert_close(
        f(e, "leakage"),
        16.0 * 8.6 * u(&v, "latency_cycles") as f64 / 100.0,
        1e-12,
        "leakage",
    );
    for c in ["registers", "buffer_a", "buffer_b", "buffer_c"] {
        assert!(f(e, c) > 0.0, "energy_pj.{c} is zero: {e}");
    }
    let eff = &v["efficiency"];
    assert_close(
        f(eff, "pj_per_mac"),
        f(e, "total") / macs as f64,
        1e-12,
        "pj_per_mac",
    );
    assert_close(
        f(eff, "tops_per_watt"),
        2.0 * macs as f64 / f(e, "total"),
        1e-12,
        "tops_per_watt",
    );
    // Actions sum to the total.
    let acts: f64 = v["energy_actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| f(a, "pj"))
        .sum();
    assert_close(acts, f(e, "total"), 1e-9, "actions vs total");
}

#[test]
fn dram_bandwidth_and_the_ideal_memory_model() {
    for df in ["os", "ws", "is"] {
        let base = gemm_json(&["--dataflow", df]);
        let slow = gemm_json(&["--dataflow", df, "--dram-bytes-per-cycle", "1"]);
        let ideal = gemm_json(&["--dataflow", df, "--memory", "ideal"]);

        // A quarter of tiny-4x4's 4 B/cycle: the same traffic takes longer.
        for key in ["dram_read_bytes", "dram_write_bytes", "macs"] {
            assert_eq!(u(&slow, key), u(&base, key), "{df} {key}");
        }
        assert!(
            u(&slow, "latency_cycles") > u(&base, "latency_cycles"),
            "{df}: 1 B/cycle latency {} vs 4 B/cycle {}",
            u(&slow, "latency_cycles"),
            u(&base, "latency_cycles")
        );
        // One bus, one byte per cycle: at least one cycle per byte moved.
        let slow_bytes = u(&slow, "dram_read_bytes") + u(&slow, "dram_write_bytes");
        assert!(
            u(&slow, "latency_cycles") >= slow_bytes,
            "{df}: latency {} < {slow_bytes} bytes at 1 B/cycle",
            u(&slow, "latency_cycles")
        );
        assert!(
            u(&slow, "stall_cycles") > 0,
            "{df}: no stalls at 1 B/cycle: {slow}"
        );
        assert_eq!(
            u(&slow, "latency_cycles"),
            u(&slow, "load_cycles") + u(&slow, "total_cycles") + u(&slow, "writeback_cycles")
        );

        // Ideal memory: no DRAM, no DMA, no stalls, no DRAM energy.
        for key in [
            "dram_read_bytes",
            "dram_write_bytes",
            "stall_cycles",
            "load_cycles",
            "writeback_cycles",
        ] {
            assert_eq!(u(&ideal, key), 0, "{df} ideal {key}");
        }
        assert!(ideal["memory"].is_null(), "{df}: {}", ideal["memory"]);
        assert_eq!(f(&ideal["energy_pj"], "dram"), 0.0, "{df}");
        check_breakdown(&ideal["energy_pj"], &format!("{df} ideal"));
        assert_eq!(
            u(&ideal, "latency_cycles"),
            u(&ideal, "total_cycles"),
            "{df}"
        );
        // The DRAM model only adds stalls: take them away and the ideal run remains.
        for (name, run) in [("4 B/cycle", &base), ("1 B/cycle", &slow)] {
            assert_eq!(
                u(&ideal, "total_cycles"),
                u(run, "total_cycles") - u(run, "stall_cycles"),
                "{df} {name}: ideal total vs dram total - stalls"
            );
        }
        // Same work, same MAC and register energy.
        assert_eq!(u(&ideal, "macs"), u(&base, "macs"));
        assert_eq!(
            f(&ideal["energy_pj"], "mac"),
            f(&base["energy_pj"], "mac"),
            "{df}"
        );
    }
}

#[test]
fn technology_tables_builtin_missing_and_user_file() {
    let base = gemm_json(&[]);
    let macs = u(&base, "macs") as f64;
    let e45 = &base["energy_pj"];

    let v7 = gemm_json(&["--tech", "7nm"]);
    assert_eq!(v7["tech"], "7nm");
    let e7 = &v7["energy_pj"];
    check_breakdown(e7, "7nm");
    let ratio = f(e7, "mac") / f(e45, "mac");
    assert!(f(e7, "mac") < f(e45, "mac"));
    assert!(
        (ratio - 0.0943).abs() < 1e-4,
        "7nm / 45nm MAC ratio {ratio}"
    );
    // DRAM energy does not scale with the logic node; neither do cycles or traffic.
    assert_eq!(f(e7, "dram"), f(e45, "dram"));
    for key in ["latency_cycles", "dram_read_bytes", "dram_write_bytes"] {
        assert_eq!(u(&v7, key), u(&base, key), "{key}");
    }

    // A table that does not exist.
    let (m, n, k) = (M.to_string(), N.to_string(), K.to_string());
    fails_with(
        &[
            "gemm",
            "--arch",
            "tiny-4x4",
            "--m",
            &m,
            "--n",
            &n,
            "--k",
            &k,
            "--tech",
            "/nonexistent.toml",
        ],
        &["--tech", "/nonexistent.toml"],
    );

    // A user table: the 45 nm one with a 0.4 pJ multiply.
    let d = tempfile::tempdir().unwrap();
    let src =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("sim/tech/45nm.toml"))
            .unwrap();
    assert!(src.contains("mult_pj = 0.2"));
    let p = d.path().join("mine.toml");
    std::fs::write(&p, src.replacen("mult_pj = 0.2", "mult_pj = 0.4", 1)).unwrap();
    let mine = gemm_json(&["--tech", p.to_str().unwrap()]);
    let em = &mine["energy_pj"];
    check_breakdown(em, "user table");
    assert_close(f(em, "mac"), macs * 0.5, 1e-12, "user-table mac energy");
    for c in COMPONENTS.iter().filter(|c| **c != "mac") {
        assert_eq!(f(em, c), f(e45, c), "user table changed {c}");
    }
    assert_close(
        f(em, "total") - f(e45, "total"),
        macs * 0.2,
        1e-9,
        "user table total",
    );
}

#[test]
fn read_write_register_convention_charges_exactly_the_reads() {
    for df in ["os", "ws", "is"] {
        let once = gemm_json(&["--dataflow", df]);
        let rw = gemm_json(&["--dataflow", df, "--register-convention", "read-write"]);
        assert_eq!(once["register_convention"], "write-once");
        assert_eq!(rw["register_convention"], "read-write");
        assert_eq!(rw["events"], once["events"], "{df}: counts do not move");
        let ev = &rw["events"];
        let (macs, skew, deskew) = (u(ev, "macs"), u(ev, "skew_hops"), u(ev, "deskew_hops"));
        assert!(skew > 0 && deskew > 0, "{df}: {ev}");
        // Each MAC reads two int8 operands and an int32 partial sum; each skew (int8) and deskew
        // (int32) value is read once by the next stage; 0.009 pJ per bit read at 45 nm.
        let extra = (macs * 48 + skew * 8 + deskew * 32) as f64 * 0.009;
        let (eo, er) = (&once["energy_pj"], &rw["energy_pj"]);
        check_breakdown(er, &format!("{df} read-write"));
        assert_close(
            f(er, "registers") - f(eo, "registers"),
            extra,
            1e-9,
            &format!("{df}: extra register energy"),
        );
        for c in COMPONENTS.iter().filter(|c| **c != "registers") {
            assert_eq!(f(er, c), f(eo, c), "{df}: read-write changed {c}");
        }
        assert_close(
            f(er, "total") - f(eo, "total"),
            extra,
            1e-9,
            &format!("{df}: extra total"),
        );
    }
}

#[test]
fn run_json_has_energy_per_layer_and_per_dataflow() {
    let d = tempfile::tempdir().unwrap();
    let w = workload_file(d.path());
    let v: Value = serde_json::from_str(&run_workload(&w, &["--json"])).unwrap();
    assert_eq!(v["tech"], "45nm");
    assert_eq!(v["register_convention"], "write-once");
    let dfs = v["dataflows"].as_array().unwrap();
    let names: Vec<&str> = dfs
        .iter()
        .map(|d| d["dataflow"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["os", "ws", "is"]);
    for dv in dfs {
        let df = dv["dataflow"].as_str().unwrap();
        let layers = dv["layers"].as_array().unwrap();
        assert_eq!(layers.len(), LAYERS.len(), "{df}");
        let mut sum = [0.0f64; 9];
        let mut macs = 0u64;
        for (l, (name, m, n, k, repeat)) in layers.iter().zip(LAYERS) {
            let what = format!("{df} {name}");
            assert_eq!(l["name"], name, "{what}");
            assert_eq!(l["dataflow"], df, "{what}");
            assert_eq!(u(l, "repeat"), repeat, "{what}");
            assert_eq!(u(l, "macs"), m * n * k, "{what}");
            assert_eq!(u(&l["stats"], "macs"), m * n * k, "{what}");
            let e = &l["energy_pj"];
            check_breakdown(e, &what);
            assert!(f(e, "total") > 0.0, "{what}");
            assert_close(
                f(&l["efficiency"], "pj_per_mac"),
                f(e, "total") / (m * n * k) as f64,
                1e-12,
                &format!("{what} pj_per_mac"),
            );
            for (i, c) in COMPONENTS.iter().chain(["total"].iter()).enumerate() {
                sum[i] += f(e, c) * repeat as f64;
            }
            macs += m * n * k * repeat;
        }
        let de = &dv["energy_pj"];
        check_breakdown(de, df);
        for (i, c) in COMPONENTS.iter().chain(["total"].iter()).enumerate() {
            assert_close(
                f(de, c),
                sum[i],
                1e-9,
                &format!("{df}: energy_pj.{c} vs layers x repeat"),
            );
        }
        assert_eq!(u(&dv["total"], "macs"), macs, "{df}");
        assert_close(
            f(&dv["efficiency"], "pj_per_mac"),
            f(de, "total") / macs as f64,
            1e-12,
            &format!("{df} pj_per_mac"),
        );
    }

    // A layer's energy is that of the same GEMM run alone (counts do not depend on the data).
    let (name, m, n, k, _) = LAYERS[1];
    for dv in dfs {
        let df = dv["dataflow"].as_str().unwrap();
        let layer = dv["layers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["name"] == name)
            .unwrap();
        let (ms, ns, ks) = (m.to_string(), n.to_string(), k.to_string());
        let g: Value = serde_json::from_str(&ok(&[
            "gemm",
            "--arch",
            "tiny-4x4",
            "--dataflow",
            df,
            "--m",
            &ms,
            "--n",
            &ns,
            "--k",
            &ks,
            "--json",
        ]))
        .unwrap();
        assert_eq!(layer["energy_pj"], g["energy_pj"], "{df} {name}");
        assert_eq!(
            layer["stats"]["latency_cycles"], g["latency_cycles"],
            "{df} {name}"
        );
    }
}

#[test]
fn run_csv_has_one_parsable_row_per_dataflow_and_layer() {
    let d = tempfile::tempdir().unwrap();
    let w = workload_file(d.path());
    let csv = run_workload(&w, &["--csv"]);
    let json: Value = serde_json::from_str(&run_workload(&w, &["--json"])).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next().unwrap(), CSV_COLUMNS.join(","));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 3 * LAYERS.len(), "{csv}");

    let col: HashMap<&str, usize> = CSV_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| (*c, i))
        .collect();
    let mut seen = BTreeSet::new();
    for r in &rows {
        assert_eq!(r.len(), CSV_COLUMNS.len(), "{r:?}");
        let (df, layer) = (r[0], r[1]);
        assert!(["os", "ws", "is"].contains(&df), "{r:?}");
        assert!(seen.insert((df, layer)), "duplicate row {df} {layer}");
        // The layer as described, its mapping in words; every other later column is a number.
        assert!(r[2].starts_with("gemm "), "{r:?}");
        assert!(r[col["mapping"]].starts_with('['), "{r:?}");
        let num: Vec<f64> = r[3..]
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if CSV_COLUMNS[i + 3] == "mapping" {
                    return f64::NAN;
                }
                c.parse::<f64>()
                    .unwrap_or_else(|_| panic!("`{c}` does not parse: {r:?}"))
            })
            .collect();
        let get = |name: &str| num[col[name] - 3];
        let (_, m, n, k, repeat) = LAYERS.iter().find(|l| l.0 == layer).unwrap();
        assert_eq!(get("repeat"), *repeat as f64, "{r:?}");
        assert_eq!(
            (get("m"), get("n"), get("k")),
            (*m as f64, *n as f64, *k as f64)
        );
        assert_eq!(get("macs"), (m * n * k) as f64, "{r:?}");
        assert_eq!(
            get("latency_cycles"),
            get("load_cycles") + get("total_cycles") + get("writeback_cycles"),
            "{r:?}"
        );
        let sum: f64 = COMPONENTS
            .iter()
            .map(|c| get(&format!("energy_pj_{c}")))
            .sum();
        // Seven values rounded to 3 decimals.
        assert!(
            (sum - get("energy_pj_total")).abs() <= 0.004,
            "{r:?}: components {sum}"
        );

        // The same numbers as the JSON.
        let l = json["dataflows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["dataflow"] == df)
            .unwrap()["layers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["name"] == layer)
            .unwrap();
        let s = &l["stats"];
        for key in [
            "latency_cycles",
            "total_cycles",
            "stall_cycles",
            "load_cycles",
            "writeback_cycles",
            "dram_read_bytes",
            "dram_write_bytes",
        ] {
            assert_eq!(get(key), u(s, key) as f64, "{df} {layer} {key}");
        }
        for c in COMPONENTS.iter().chain(["total"].iter()) {
            let want = f(&l["energy_pj"], c);
            assert!(
                (get(&format!("energy_pj_{c}")) - want).abs() <= 0.0005 + 1e-9 * want,
                "{df} {layer} energy_pj_{c}: csv {} json {want}",
                get(&format!("energy_pj_{c}"))
            );
        }
        assert_close(
            get("pj_per_mac"),
            f(&l["efficiency"], "pj_per_mac"),
            1e-5,
            "pj_per_mac",
        );
    }
}

#[test]
fn run_out_writes_the_report_files() {
    let d = tempfile::tempdir().unwrap();
    let w = workload_file(d.path());
    let out = d.path().join("report");
    let stdout = run_workload(&w, &["--json", "--out", out.to_str().unwrap()]);

    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("Generated by `systole run"), "{md}");
    assert!(md.contains("Winners"), "{md}");
    for plot in ["energy_breakdown", "cycles_per_layer", "dram_traffic"] {
        let target = format!("]({plot}.png)");
        assert!(
            md.lines()
                .any(|l| l.starts_with("![") && l.trim_end().ends_with(&target)),
            "no image line for {plot}: {md}"
        );
        let png = std::fs::read(out.join(format!("{plot}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{plot}.png magic");
        assert!(png.len() > 5 * 1024, "{plot}.png: {} bytes", png.len());
        let svg = std::fs::read_to_string(out.join(format!("{plot}.svg"))).unwrap();
        assert!(svg.contains("<svg"), "{plot}.svg");
    }

    // results.json is what --json printed; results.csv is what --csv prints.
    let js: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    let printed: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(js, printed);
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    assert_eq!(csv, run_workload(&w, &["--csv"]));
}

#[test]
fn run_text_shows_energy_and_winners() {
    let d = tempfile::tempdir().unwrap();
    let w = workload_file(d.path());
    let text = run_workload(&w, &[]);
    assert!(text.contains("energy by component"), "{text}");
    assert!(text.contains("45nm"), "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("fewest cycles:"))
        .unwrap_or_else(|| panic!("no `fewest cycles:` line: {text}"));
    assert!(!text.contains("report written to"), "{text}");

    // The winners are the minima of the JSON's totals.
    let v: Value = serde_json::from_str(&run_workload(&w, &["--json"])).unwrap();
    let dfs = v["dataflows"].as_array().unwrap();
    let fewest = dfs
        .iter()
        .min_by_key(|d| u(&d["total"], "latency_cycles"))
        .unwrap();
    let least = dfs
        .iter()
        .min_by(|a, b| f(&a["energy_pj"], "total").total_cmp(&f(&b["energy_pj"], "total")))
        .unwrap();
    let up = |d: &Value| d["dataflow"].as_str().unwrap().to_ascii_uppercase();
    assert!(
        line.starts_with(&format!("fewest cycles: {};", up(fewest))),
        "{line}"
    );
    assert!(
        line.contains(&format!("least energy (and best TOPS/W): {};", up(least))),
        "{line}"
    );
}
