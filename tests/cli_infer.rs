//! The built-in quantized network (`int8-cnn`) run layer by layer with `systole infer`:
//! - on the fast model in every dataflow, every layer's int8 output equals an independent Python
//!   implementation that reads the exported network (weights, biases, requantization, zero
//!   points), convolves directly in NHWC (padding as real zero, the input zero point subtracted
//!   from every element, no im2col, no folding) and feeds its own outputs forward;
//! - on rtl and verilator in every dataflow, and icarus in one, the outputs, cycles and every
//!   event count of every layer equal the fast model's.
//!
//! `systole run --workload int8-cnn` (the energy report of the same network) is tested in
//! `sim/src/run.rs` and here for its output-stage column.
//!
//! Needs `python3` with `numpy`, Verilator and Icarus (scripts/test.sh installs them); without
//! them the tests fail saying so.

mod common;
use common::{fails_with, python_with_numpy, run_py, succeeds, systole};
use serde_json::Value;

const TFLITE: &str = include_str!("common/tflite.py");

const NETWORK: &str = r#"
import sys, json, numpy as np
d = sys.argv[1]
man = json.load(open(f"{d}/network.json"))
x = np.load(f"{d}/input.npy").astype(np.int64).reshape(man["input_hwc"])
for L in man["layers"]:
    w = np.load(f"{d}/{L['weights']}").astype(np.int64)
    bias = np.load(f"{d}/{L['bias']}").reshape(-1)
    table = np.load(f"{d}/{L['requant']}")
    zp_in, zp_out = L["in_zero_point"], L["out_zero_point"]
    # The integer parameters from the float32 scales, as TFLite's converter derives them:
    # multiplier and shift from in_scale * w_scale / out_scale (in double), the clamp from the
    # activation (ReLU6's 6.0 quantized in float32, rounded half away from zero).
    s_in, s_out = float(np.float32(L["in_scale"])), float(np.float32(L["out_scale"]))
    for f, s_w in enumerate(L["weight_scales"]):
        want_mq = quantize_multiplier(s_in * float(np.float32(s_w)) / s_out)
        assert tuple(int(v) for v in table[f]) == want_mq, (L["name"], f, table[f], want_mq)
    lo, hi = L["clamp"]
    act = L["activation"]
    want_lo = -128 if act == "none" else max(zp_out, -128)
    want_hi = 127
    if act == "relu6":
        q6 = float(np.float32(6.0) / np.float32(s_out))
        want_hi = min(127, zp_out + int(math.floor(q6 + 0.5)))
    assert (lo, hi) == (want_lo, want_hi), (L["name"], lo, hi, want_lo, want_hi)
    sh = L["shape"]
    if sh["kind"] == "conv":
        H, W, C = sh["ifmap"]; FH, FW = sh["filter"]; SH, SW = sh["stride"]
        pt, pb, pl, pr = sh["padding"]; F = sh["filters"]
        OH, OW = (H + pt + pb - FH) // SH + 1, (W + pl + pr - FW) // SW + 1
        assert sh["ofmap"] == [OH, OW, F], (L["name"], sh["ofmap"])
        # TFLite pads with the input zero point, i.e. with real 0: subtract, then pad with 0.
        xp = np.zeros((H + pt + pb, W + pl + pr, C), np.int64)
        xp[pt:pt + H, pl:pl + W] = x.reshape(H, W, C) - zp_in
        wk = w.reshape(FH, FW, C, F)
        acc = np.zeros((OH, OW, F), np.int64)
        for i in range(FH):
            for j in range(FW):
                patch = xp[i:i + SH * (OH - 1) + 1:SH, j:j + SW * (OW - 1) + 1:SW, :]
                acc += np.einsum("hwc,cf->hwf", patch, wk[i, j])
        acc = acc.reshape(OH * OW, F)
    else:
        acc = (x.reshape(1, -1) - zp_in) @ w
    want = np.array([[requant(wrap32(int(acc[r, f])), int(bias[f]), int(table[f, 0]),
                              int(table[f, 1]), zp_out, lo, hi)
                      for f in range(acc.shape[1])] for r in range(acc.shape[0])], dtype=np.int8)
    got = np.load(f"{d}/{L['output']}")
    assert got.dtype == np.int8 and got.shape == want.shape, (L["name"], got.dtype, got.shape)
    bad = int((got != want).sum())
    assert bad == 0, f"{L['name']}: {bad} of {want.size} outputs differ"
    assert len(np.unique(want)) >= min(8, want.size), f"{L['name']}: degenerate output"
    x = want.astype(np.int64)
print("ok", len(man["layers"]))
"#;

/// `systole infer --json` on tiny-4x4 with `extra` flags.
fn infer(backend: &str, df: &str, extra: &[&str]) -> Value {
    let out = succeeds(
        systole()
            .args(["infer", "--arch", "tiny-4x4", "--json"])
            .args(["--backend", backend, "--dataflow", df])
            .args(extra),
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn int8_cnn_equals_python_in_every_dataflow() {
    let py = python_with_numpy();
    let dir = tempfile::tempdir().unwrap();
    for df in ["os", "ws", "is"] {
        let d = dir.path().join(df);
        let v = infer("fast", df, &["--export", d.to_str().unwrap()]);
        assert_eq!(v["layers"].as_array().unwrap().len(), 5);
        let said = run_py(&py, &format!("{TFLITE}{NETWORK}"), &[d.to_str().unwrap()]);
        assert_eq!(said.trim(), "ok 5", "{said}");
    }
}

/// Outputs, cycles and counts of every layer, which every backend must reproduce.
fn observable(v: &Value) -> Vec<Value> {
    let mut out = vec![v["output"].clone(), v["total_cycles"].clone()];
    for l in v["layers"].as_array().unwrap() {
        for key in [
            "total_cycles",
            "stall_cycles",
            "latency_cycles",
            "dram_read_bytes",
            "dram_write_bytes",
            "events",
        ] {
            assert!(!l["stats"][key].is_null(), "{key}");
            out.push(l["stats"][key].clone());
        }
    }
    out
}

#[test]
fn int8_cnn_is_the_same_on_every_backend() {
    for df in ["os", "ws", "is"] {
        let fast = observable(&infer("fast", df, &[]));
        let mut backends = vec!["rtl", "verilator"];
        // Icarus takes about a minute per dataflow (it compiles the design once per layer).
        if df == "ws" {
            backends.push("icarus");
        }
        for backend in backends {
            let v = infer(backend, df, &[]);
            assert_eq!(v["backend"], backend);
            assert_eq!(observable(&v), fast, "{backend} {df}");
        }
    }
}

#[test]
fn run_reports_the_networks_energy_with_its_output_stage() {
    let out = succeeds(systole().args([
        "run",
        "--arch",
        "tiny-4x4",
        "--workload",
        "int8-cnn",
        "--check",
        "--json",
    ]));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    for d in v["dataflows"].as_array().unwrap() {
        let layers = d["layers"].as_array().unwrap();
        assert_eq!(layers.len(), 5);
        for l in layers {
            assert!(l["stats"]["events"]["output_stage_ops"].as_u64().unwrap() > 0);
            assert!(l["energy_pj"]["output_stage"].as_f64().unwrap() > 0.0);
        }
    }
}

#[test]
fn bad_infer_flags_are_reported() {
    fails_with(
        &["infer", "--network", "lenet"],
        &["--network lenet", "int8-cnn"],
    );
    // fc1 has 32 output channels; a table of 16 cannot hold them.
    let dir = tempfile::tempdir().unwrap();
    let arch = dir.path().join("small.toml");
    let text = std::fs::read_to_string("sim/presets/tiny-4x4.toml")
        .unwrap()
        .replace("channels = 64", "channels = 16");
    std::fs::write(&arch, text).unwrap();
    fails_with(
        &["infer", "--arch", arch.to_str().unwrap()],
        &["layer fc1", "16 channels"],
    );
}
