use std::path::PathBuf;

use super::*;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/scalesim")
        .join(name)
}

/// Writes `text` to a fresh file named `name` and returns its path.
fn temp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("systole-scalesim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn gemms(w: &Workload) -> Vec<(usize, usize, usize, u64)> {
    w.layers
        .iter()
        .map(|l| {
            let s = l.shape();
            (s.m, s.n, s.k, l.runs())
        })
        .collect()
}

#[test]
fn conv_topology_maps_as_scalesim_does() {
    let w = read_topology(&data("alexnet_conv.csv")).unwrap();
    assert_eq!(w.name, "alexnet_conv");
    // Conv1: ceil((227 - 11 + 4) / 4) = 55; Conv2: (31 - 5) / 1 + 1 = 27; the rest 13.
    assert_eq!(
        gemms(&w),
        vec![
            (55 * 55, 96, 11 * 11 * 3, 1),
            (27 * 27, 256, 25 * 96, 1),
            (13 * 13, 384, 9 * 256, 1),
            (13 * 13, 384, 9 * 384, 1),
            (13 * 13, 256, 9 * 384, 1),
        ]
    );
    assert!(w.notes.is_empty());
}

#[test]
fn a_last_window_past_the_edge_counts_as_in_scalesim() {
    // SCALE-Sim: ceil((10 - 3 + 2) / 2) = 5 output columns, not floor((10 - 3) / 2) + 1 = 4.
    let p = temp(
        "edge.csv",
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nL, 10, 9, 3, 3, 1, 1, 2,\n",
    );
    let w = read_topology(&p).unwrap();
    let LayerOp::Conv(c) = w.layers[0].op else {
        panic!("a conv")
    };
    assert_eq!((c.ofmap_h(), c.ofmap_w()), (5, 4));
    assert_eq!(
        (c.pad_bottom, c.pad_right, c.pad_top, c.pad_left),
        (1, 0, 0, 0)
    );
}

#[test]
fn dp_layers_are_depthwise_and_sparsity_is_noted() {
    let w = read_topology(&data("mobilenet_dp.csv")).unwrap();
    // Conv1: ceil((226 - 3 + 2) / 2) = 113. Conv2_DP: 32 channels, one GEMM each with the row's
    // Num Filter (1) filters. Conv3_DP, stride 2: ceil(113 / 2) = 57.
    assert_eq!(
        gemms(&w),
        vec![
            (113 * 113, 32, 27, 1),
            (112 * 112, 1, 9, 32),
            (112 * 112, 64, 32, 1),
            (57 * 57, 1, 9, 64),
        ]
    );
    assert_eq!(w.layers[1].op.kind(), "depthwise");
    // 1:1 is dense and says nothing; 2:4 is read and said not to be modelled.
    assert_eq!(w.notes.len(), 1, "{:?}", w.notes);
    assert!(w.notes[0].contains("line 4") && w.notes[0].contains("2:4"));
}

#[test]
fn gemm_topology_and_scalesim2_stride_width() {
    let w = read_topology(&data("gemm_mnk.csv")).unwrap();
    assert_eq!(gemms(&w), vec![(128, 2304, 768, 1), (128, 3072, 768, 1)]);
    // Without trailing commas (SCALE-Sim's own NCF.csv fails its parser) it reads the same.
    let p = temp("nocomma.csv", "Layer,M,N,K\nfc,1,10,20\n");
    assert_eq!(gemms(&read_topology(&p).unwrap()), vec![(1, 10, 20, 1)]);
    // SCALE-Sim 2 reads a ninth number as the stride width.
    let p = temp(
        "sw.csv",
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nL, 8, 8, 2, 2, 1, 1, 1, 2,\n",
    );
    let LayerOp::Conv(c) = read_topology(&p).unwrap().layers[0].op else {
        panic!("a conv")
    };
    assert_eq!(
        (c.stride_h, c.stride_w, c.ofmap_h(), c.ofmap_w()),
        (1, 2, 7, 4)
    );
}

#[test]
fn topology_errors_name_the_line_and_the_column() {
    const H: &str = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n";
    let cases = [
        (
            format!("{H}a, 8, 8, 3, 3, 1, 1, 1,\nb, 8, x, 3, 3, 1, 1, 1,\n"),
            "bad.csv:3: column 3 (IFMAP Width) = `x`",
        ),
        (
            format!("{H}a, 8, 8, 3, 3, 1,\n"),
            "bad.csv:2: has 6 fields, needs 8: column 7 (Num Filter) is missing",
        ),
        (
            format!("{H}a, 8, 8, 9, 3, 1, 1, 1,\n"),
            "bad.csv:2: column 4 (Filter Height) = 9 is larger than column 2 (IFMAP Height) = 8",
        ),
        (
            format!("{H}a, 8, 8, 3, 3, 1, 1, 0,\n"),
            "column 8 (Strides) = `0`: must be a whole number of at least 1",
        ),
        (
            format!("{H}a, 8, 8, 3, 3, 1, 1, 1, 5:4,\n"),
            "column 9 (Sparsity) = `5:4`",
        ),
        (
            format!("{H}a, 8, 8, 3, 3, 1, 1, 1, 2, 1:2, 7,\n"),
            "column 11 = `7`: unexpected",
        ),
        (
            "a, 8, 8, 3, 3, 1, 1, 1,\n".to_string(),
            "bad.csv:1: the first line is a layer, not a header",
        ),
        (
            "Name, A, B\nx, 1, 2\n".to_string(),
            "is neither SCALE-Sim's conv form",
        ),
        (H.to_string(), "has a header but no layers"),
        (
            format!("{H}a, 8, 8, 3, 3, 1, 1, 1, 1:2, 1:4,\n"),
            "column 10 = `1:4`: a second Sparsity column",
        ),
        (
            format!("{H}a, 99999999999, 99999999999, 1, 1, 1, 1, 1,\n"),
            "bad.csv:2: `a`: too large",
        ),
        (
            "Layer Name, M, N, K,\nq, 4, 0, 2,\n".to_string(),
            "column 3 (N) = `0`",
        ),
        // Found by the fuzz target: a DP layer's channels x filters overflowed (a panic in a
        // debug build, a wrong layer in a release one).
        (
            format!("{H}Conv_DP, 4, 4, 1, 1, 4294967296, 4294967296, 1,\n"),
            "bad.csv:2: `Conv_DP`: too large: 4294967296 channels x 4294967296 filters",
        ),
    ];
    for (text, want) in cases {
        let p = temp("bad.csv", &text);
        let e = read_topology(&p).unwrap_err().to_string();
        assert!(e.contains(want), "want `{want}` in `{e}`");
    }
}

#[test]
fn cfg_maps_onto_the_base_config() {
    let base = ArchConfig::preset("tiny-4x4").unwrap();
    let s = read_cfg(&data("edge_os.cfg"), &base).unwrap();
    assert_eq!(s.run_name, "systole_example_16x16_os");
    assert_eq!(s.arch.name, "systole_example_16x16_os");
    assert_eq!(s.dataflow, Dataflow::Os);
    assert_eq!((s.arch.array.rows, s.arch.array.cols), (16, 16));
    let b = &s.arch.buffers;
    assert_eq!(
        (b.a.capacity_kib, b.b.capacity_kib, b.c.capacity_kib),
        (128, 128, 64)
    );
    assert_eq!(s.arch.dram.bytes_per_cycle, 16);
    // Banks follow the array so that each buffer still feeds one edge vector per cycle.
    assert_eq!(
        u64::from(b.a.banks * b.a.word_bits),
        16 * u64::from(s.arch.array.operand_bits)
    );
    // The three offsets and MemoryBanks have no counterpart, and say so.
    assert_eq!(s.notes.len(), 4, "{:?}", s.notes);
    assert!(s.notes.iter().any(|n| n.contains("memorybanks")));
}

#[test]
fn cfg_calc_mode_runs_an_unbounded_port_and_says_so() {
    let base = ArchConfig::preset("edge-16x16").unwrap();
    let p = temp(
        "calc.cfg",
        "[general]\nrun_name = r\n[architecture_presets]\nArrayHeight: 8\nArrayWidth = 8\nIfmapSramSzkB: 64\nFilterSramSzkB: 64\nOfmapSramSzkB: 64\nDataflow : ws\n[run_presets]\nInterfaceBandwidth: CALC\n",
    );
    let s = read_cfg(&p, &base).unwrap();
    assert_eq!(s.dataflow, Dataflow::Ws);
    assert!(s.arch.dram.is_unbounded(), "{:?}", s.arch.dram);
    assert!(!base.dram.is_unbounded());
    // The DRAM technology (its energy per bit) stays the base config's.
    assert_eq!(s.arch.dram.kind, base.dram.kind);
    assert!(s.notes[0].contains("CALC"), "{:?}", s.notes);
    // USER keeps the base latency and takes the cfg's bandwidth.
    let p = temp(
        "user.cfg",
        "[general]\nrun_name = r\n[architecture_presets]\nArrayHeight: 8\nArrayWidth = 8\nIfmapSramSzkB: 64\nFilterSramSzkB: 64\nOfmapSramSzkB: 64\nDataflow : ws\nBandwidth : 10\n[run_presets]\nInterfaceBandwidth: USER\n",
    );
    let s = read_cfg(&p, &base).unwrap();
    assert_eq!(s.arch.dram.bytes_per_cycle, 10);
    assert_eq!(s.arch.dram.latency_cycles, base.dram.latency_cycles);
}

#[test]
fn cfg_errors_name_the_line_and_the_key() {
    let base = ArchConfig::preset("edge-16x16").unwrap();
    let good = std::fs::read_to_string(data("edge_os.cfg")).unwrap();
    let cases = [
        (
            good.replace("Dataflow : os", "Dataflow : rs"),
            "bad.cfg:14: [architecture_presets] dataflow: `rs`: must be os, ws or is",
        ),
        (
            good.replace("ArrayWidth:     16", "ArrayWidth:     0"),
            "bad.cfg:6: [architecture_presets] arraywidth: `0`",
        ),
        (
            good.replace("IfmapSramSzkB:   128\n", ""),
            "[architecture_presets] IfmapSramSzkB: missing",
        ),
        (
            good.replace("InterfaceBandwidth: USER", "InterfaceBandwidth: user"),
            "bad.cfg:18: [run_presets] interfacebandwidth: `user`: must be USER or CALC",
        ),
        (
            good.replace("Bandwidth : 16", "Bandwidth : fast"),
            "bad.cfg:13: [architecture_presets] bandwidth: `fast`",
        ),
        (
            good.replace("[general]", "[general"),
            "bad.cfg:1:1: a section header must end with `]`",
        ),
        // A key or a section given twice is refused, as configparser does (it was first-wins).
        (
            good.replace("Dataflow : os", "Dataflow : os\ndataflow: ws"),
            "bad.cfg:15:1: `dataflow` in [architecture_presets] is given twice (first on line 14)",
        ),
        (
            format!("{good}\n[general]\nrun_name = x\n"),
            "bad.cfg:20:1: section [general] is given twice (first on line 1)",
        ),
        // 1 KiB of C cannot hold two rows of a 256-wide array: the error points at the size.
        (
            good.replace("OfmapSramSzkB:   64", "OfmapSramSzkB:   1")
                .replace("ArrayWidth:     16", "ArrayWidth:     256"),
            "bad.cfg:9: [architecture_presets] ofmapsramszkb: buffers.c.capacity_kib",
        ),
    ];
    for (text, want) in cases {
        let p = temp("bad.cfg", &text);
        let e = read_cfg(&p, &base).unwrap_err().to_string();
        assert!(e.contains(want), "want `{want}` in `{e}`");
    }
}

/// A byte-order mark (Windows editors write one) is not part of the first line: the file reads as
/// without it (the error showed the invisible mark).
#[test]
fn cfg_with_a_byte_order_mark_reads() {
    let base = ArchConfig::preset("edge-16x16").unwrap();
    let good = std::fs::read_to_string(data("edge_os.cfg")).unwrap();
    let plain = read_cfg(&temp("plain.cfg", &good), &base).unwrap();
    let bom = read_cfg(&temp("bom.cfg", &format!("\u{feff}{good}")), &base).unwrap();
    assert_eq!(bom, plain);
}

#[test]
fn cfg_sizes_apply_before_the_shape_is_checked() {
    // tiny-4x4's 4 KiB buffers cannot feed a 128x128 array, but the cfg's own 4 MiB can: the
    // cfg is checked as a whole, not its shape against the base's sizes.
    let base = ArchConfig::preset("tiny-4x4").unwrap();
    let p = temp(
        "big.cfg",
        "[architecture_presets]\nArrayHeight: 128\nArrayWidth: 128\nIfmapSramSzkB: 4096\nFilterSramSzkB: 4096\nOfmapSramSzkB: 4096\nDataflow: ws\n",
    );
    let s = read_cfg(&p, &base).unwrap();
    assert_eq!(
        (s.arch.array.rows, s.arch.buffers.a.capacity_kib),
        (128, 4096)
    );
}
