//! SCALE-Sim's files through the CLI, and the built-in workloads: `systole run --scalesim-cfg
//! X.cfg --topology Y.csv` writes SCALE-Sim-shaped CSVs beside systole's own report.

mod common;

use serde_json::Value;
use systole_sim::scalesim::reports::{BANDWIDTH_HEADER, COMPUTE_HEADER, DETAILED_ACCESS_HEADER};

use common::{succeeds, systole};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/scalesim");

/// The fields of a SCALE-Sim report line (`a, b, c,`): the trailing comma leaves an empty last.
fn cells(line: &str) -> Vec<&str> {
    let mut f: Vec<&str> = line.split(", ").collect();
    let last = f.pop().unwrap();
    assert!(last.ends_with(','), "line must end with a comma: {line}");
    f.push(&last[..last.len() - 1]);
    f
}

#[test]
fn a_scalesim_cfg_and_topology_run_unchanged_and_write_scalesim_reports() {
    let d = tempfile::tempdir().unwrap();
    let out = succeeds(
        systole()
            .args([
                "run",
                "--scalesim-cfg",
                &format!("{DATA}/edge_os.cfg"),
                "--topology",
                &format!("{DATA}/mobilenet_dp.csv"),
                "--out",
            ])
            .arg(d.path()),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    // The cfg's dataflow only, its notes and the topology's sparsity note are printed.
    assert!(text.lines().any(|l| l.starts_with("OS ")), "{text}");
    assert!(!text.lines().any(|l| l.starts_with("WS ")), "{text}");
    assert!(text.contains("memorybanks = 1: ignored"), "{text}");
    assert!(
        text.contains("sparsity 2:4 is read but not modelled"),
        "{text}"
    );

    let js: Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("results.json")).unwrap())
            .unwrap();
    let layers = js["dataflows"][0]["layers"].as_array().unwrap();
    let runs: Vec<u64> = layers
        .iter()
        .map(|l| l["repeat"].as_u64().unwrap())
        .collect();
    // Conv1, 32 per-channel GEMMs of Conv2_DP, Conv2_pw, 64 of Conv3_DP: one row per GEMM.
    assert_eq!(runs, vec![1, 32, 1, 64]);
    let rows = runs.iter().sum::<u64>() as usize;

    let dir = d.path().join("systole_example_16x16_os");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    for (file, header, width) in [
        ("COMPUTE_REPORT.csv", COMPUTE_HEADER, 7),
        ("BANDWIDTH_REPORT.csv", BANDWIDTH_HEADER, 7),
        ("DETAILED_ACCESS_REPORT.csv", DETAILED_ACCESS_HEADER, 19),
    ] {
        let t = read(file);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], header, "{file}");
        assert_eq!(cells(lines[0]).len(), width, "{file}");
        assert_eq!(lines.len(), rows + 1, "{file}");
        for (i, l) in lines[1..].iter().enumerate() {
            let c = cells(l);
            assert_eq!(c.len(), width, "{file}: {l}");
            assert_eq!(c[0], i.to_string(), "{file}: LayerIDs count from 0");
        }
    }
    // The figures are systole's own, per run of the GEMM: row 1 is Conv2_DP's first channel.
    let compute = read("COMPUTE_REPORT.csv");
    let row: Vec<&str> = cells(compute.lines().nth(2).unwrap());
    let s = &layers[1]["stats"];
    assert_eq!(row[1], s["latency_cycles"].to_string());
    assert_eq!(row[2], s["total_cycles"].to_string());
    assert_eq!(row[3], s["stall_cycles"].to_string());
    let util: f64 = row[4].parse().unwrap();
    assert!((util - 100.0 * s["utilization"].as_f64().unwrap()).abs() < 1e-9);
    // One filter per channel on 16 columns: 1/16 of the array is mapped.
    assert_eq!(row[5], "6.25");
    let access = read("DETAILED_ACCESS_REPORT.csv");
    let row: Vec<&str> = cells(access.lines().nth(1).unwrap());
    let ev = &layers[0]["stats"]["events"];
    assert_eq!(row[3], ev["a_buf_read_elems"].to_string());
    assert_eq!(row[12], ev["dram_a_read_bytes"].to_string());
    // SRAM reads start at cycle 0; the DMA's first fetch comes before it (the prologue).
    assert_eq!(row[1], "0");
    assert!(row[10].parse::<i64>().unwrap() < 0, "{row:?}");
}

#[test]
fn scalesim_file_errors_name_file_line_and_column() {
    let d = tempfile::tempdir().unwrap();
    let csv = d.path().join("t.csv");
    std::fs::write(&csv, "Layer Name, M, N, K,\nfc, 8, 8, eight,\n").unwrap();
    let out = systole()
        .args(["run", "--topology"])
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("t.csv:2: column 4 (K) = `eight`"), "{err}");
    let cfg = d.path().join("x.cfg");
    std::fs::write(
        &cfg,
        "[architecture_presets]\nArrayHeight: 8\nArrayWidth: 8\nIfmapSramSzkB: 64\nFilterSramSzkB: 64\nOfmapSramSzkB: 64\nDataflow: xs\n",
    )
    .unwrap();
    let out = systole()
        .args(["run", "--scalesim-cfg"])
        .arg(&cfg)
        .args(["--topology", &format!("{DATA}/gemm_mnk.csv")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("x.cfg:7: [architecture_presets] dataflow: `xs`"),
        "{err}"
    );
}

#[test]
fn workloads_lists_every_builtin_network_with_its_macs() {
    let out = succeeds(systole().args(["workloads", "--json"]));
    let js: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = js
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "alexnet",
            "vgg16",
            "resnet18",
            "resnet50",
            "mobilenetv2",
            "bert-base",
            "gpt2-decode",
            "int8-cnn"
        ]
    );
    let r18 = &js[2];
    assert_eq!(r18["macs"], 1_814_073_344u64);
    // The quantized network: 12x12x8x27 + 6x6x16x72 + 3x3x16x144 + 144x32 + 32x10 MACs.
    assert_eq!(js[7]["macs"], 98_240u64);
    let out = systole()
        .args(["workloads", "--layers", "resnet18"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("conv 224x224x3 7x7/2 p3 -> 112x112x64"),
        "{text}"
    );
}

/// `--trace DIR` writes SCALE-Sim's trace files for every layer of a SCALE-Sim run, under
/// `DIR/<dataflow>/layer<N>/`, one row per cycle (`cycle, addr...`).
#[test]
fn trace_writes_scalesim_trace_files_per_layer() {
    let d = tempfile::tempdir().unwrap();
    let trace = d.path().join("traces");
    // A small conv topology: mobilenet_dp.csv's traces take 2.1 GB (run --trace now says so and
    // asks for --trace-limit).
    let topo = d.path().join("small.csv");
    std::fs::write(
        &topo,
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n\
         Conv1, 10, 10, 3, 3, 3, 8, 1,\nConv2_DP, 8, 8, 3, 3, 8, 1, 1,\n",
    )
    .unwrap();
    let out = succeeds(
        systole()
            .args([
                "run",
                "--arch",
                "tiny-4x4",
                "--topology",
                topo.to_str().unwrap(),
                "--dataflow",
                "ws",
                "--trace",
            ])
            .arg(&trace),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("traces written to"), "{text}");
    let layers = std::fs::read_dir(trace.join("ws")).unwrap().count();
    assert!(layers >= 2, "{layers} layer directories");
    for name in systole_sim::trace::file_names() {
        let f = trace.join("ws/layer0").join(name);
        assert!(f.is_file(), "{} missing", f.display());
    }
    let first = std::fs::read_to_string(trace.join("ws/layer0/IFMAP_SRAM_TRACE.csv")).unwrap();
    let row0: Vec<&str> = first.lines().next().unwrap().split(',').collect();
    // Cycle 0, then one address per lane of buffer A (4 rows of PEs feed from it in WS).
    assert_eq!((row0[0], row0.len()), ("0", 1 + 4), "{first:.200}");
}

/// `InterfaceBandwidth: CALC` is SCALE-Sim's assumption that bandwidth never limits: the run has
/// no DRAM stalls (in OS, whose buffers are fed one vector per cycle, none at all), still counts
/// every DRAM byte, and reports the bandwidth each dataflow would need.
#[test]
fn a_calc_cfg_never_waits_for_dram_and_reports_the_bandwidth_it_needs() {
    let d = tempfile::tempdir().unwrap();
    let calc = std::fs::read_to_string(format!("{DATA}/edge_os.cfg"))
        .unwrap()
        .replace("InterfaceBandwidth: USER", "InterfaceBandwidth: CALC");
    let cfg = d.path().join("calc.cfg");
    std::fs::write(&cfg, calc).unwrap();
    let run = |json: bool| {
        let mut c = systole();
        // Without --out, SCALE-Sim's reports go to the working directory, as SCALE-Sim's do:
        // the test's own, never the clone's.
        c.current_dir(d.path());
        c.args(["run", "--scalesim-cfg"]).arg(&cfg).args([
            "--topology",
            &format!("{DATA}/alexnet_conv.csv"),
            "--dataflow",
            "os,is",
        ]);
        if json {
            c.arg("--json");
        }
        succeeds(&mut c).stdout
    };
    let js: Value = serde_json::from_slice(&run(true)).unwrap();
    assert_eq!(js["arch"]["dram"]["latency_cycles"], 0);
    for d in js["dataflows"].as_array().unwrap() {
        for l in d["layers"].as_array().unwrap() {
            let s = &l["stats"];
            assert_eq!(s["stall_cycles"], 0, "{}: {s}", l["name"]);
            assert!(s["dram_read_bytes"].as_u64().unwrap() > 0, "{s}");
            assert!(s["dram_write_bytes"].as_u64().unwrap() > 0, "{s}");
        }
    }
    let text = String::from_utf8(run(false)).unwrap();
    assert!(text.contains("unbounded port"), "{text}");
    for df in ["os", "is"] {
        let dir = d.path().join(format!("systole_example_16x16_os-{df}"));
        assert!(
            dir.join("COMPUTE_REPORT.csv").is_file(),
            "{}",
            dir.display()
        );
    }
    for df in ["OS", "IS"] {
        assert!(
            text.contains(&format!("DRAM bandwidth: {df} needs ")),
            "{text}"
        );
    }
}
