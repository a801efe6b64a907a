//! Every kind of bad input gets a one-line error naming the file, field or flag, and exit code 2;
//! never a panic.

use std::path::{Path, PathBuf};

use npyz::WriterBuilder;
use predicates::prelude::*;
use systole_sim::matrix::Matrix;
use systole_sim::npy::{write_i32_matrix, write_i8_matrix};

mod common;
use common::{fails_with, systole};

fn tmpdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn preset_text(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sim/presets")
        .join(format!("{name}.toml"));
    std::fs::read_to_string(p).unwrap()
}

/// `dir/<file stem of name>.toml`, a workload named `name` of one GEMM layer `l`.
fn one_gemm(dir: &Path, name: &str, m: u32, n: u32, k: u32) -> PathBuf {
    let file = format!("{}.toml", name.rsplit('/').next().unwrap_or(name));
    write(
        dir,
        &file,
        &format!("name = \"{name}\"\n[[layer]]\nname = \"l\"\nm = {m}\nn = {n}\nk = {k}\n"),
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Writes preset `preset` with `from` replaced by `to` (which must occur) as `dir/name`.
fn edited(dir: &Path, name: &str, preset: &str, from: &str, to: &str) -> PathBuf {
    let text = preset_text(preset);
    assert!(text.contains(from), "{from} not in {preset}");
    write(dir, name, &text.replacen(from, to, 1))
}

#[test]
fn unknown_preset() {
    fails_with(
        &["gemm", "--arch", "nosuch-8x8"],
        &["nosuch-8x8", "edge-16x16", "tiny-4x4"],
    );
}

#[test]
fn config_zero_rows_names_field_file_and_line() {
    let d = tmpdir();
    let p = edited(d.path(), "zero.toml", "tiny-4x4", "rows = 4", "rows = 0");
    fails_with(
        &["gemm", "--arch", p.to_str().unwrap()],
        &["zero.toml:8", "array.rows", "0"],
    );
}

#[test]
fn config_unknown_key() {
    let d = tmpdir();
    let p = edited(
        d.path(),
        "typo.toml",
        "tiny-4x4",
        "read_latency = 1",
        "read_latency = 1\nlatency = 2",
    );
    fails_with(
        &["run", "--arch", p.to_str().unwrap()],
        &["typo.toml:", "unknown field `latency`"],
    );
}

#[test]
fn config_missing_key_and_bad_toml() {
    let d = tmpdir();
    let p = edited(d.path(), "missing.toml", "tiny-4x4", "cols = 4\n", "");
    fails_with(
        &["gemm", "--arch", p.to_str().unwrap()],
        &["missing.toml", "cols"],
    );
    let p = write(d.path(), "broken.toml", "name = \"x\"\n[array\n");
    fails_with(&["gemm", "--arch", p.to_str().unwrap()], &["broken.toml:2"]);
}

#[test]
fn config_widths_the_datapath_cannot_do() {
    let d = tmpdir();
    let p = edited(
        d.path(),
        "w12.toml",
        "tiny-4x4",
        "operand_bits = 8",
        "operand_bits = 12",
    );
    fails_with(
        &["gemm", "--arch", p.to_str().unwrap()],
        &["w12.toml", "array.operand_bits", "4-, 8- or 16-bit"],
    );
    fails_with(
        &["gemm", "--operand-bits", "6"],
        &["--operand-bits", "6: must be 4, 8 or 16"],
    );
    // int4 in a file runs on the fast model; the RTL backends and the generators refuse it.
    let p = edited(
        d.path(),
        "w4.toml",
        "tiny-4x4",
        "operand_bits = 8",
        "operand_bits = 4",
    );
    let w4 = p.to_str().unwrap();
    for be in ["rtl", "verilator", "icarus"] {
        fails_with(
            &[
                "gemm",
                "--arch",
                w4,
                "--m",
                "4",
                "--n",
                "4",
                "--k",
                "4",
                "--backend",
                be,
            ],
            &[
                "the RTL does not support this",
                "4-bit operands",
                "--backend fast",
            ],
        );
    }
    let out = d.path().join("v");
    fails_with(
        &["verilog", "--arch", w4, "--out", out.to_str().unwrap()],
        &["the RTL does not support this", "4-bit operands"],
    );
    fails_with(
        &[
            "synth",
            "--operand-bits",
            "16",
            "--arch",
            "tiny-4x4",
            "--target",
            "ice40-up5k",
        ],
        &["the RTL does not support this", "16-bit operands"],
    );
    // The output stage requantizes to int8 and needs int8 operands.
    fails_with(
        &[
            "gemm",
            "--operand-bits",
            "16",
            "--multiplier",
            "1073741824",
            "--shift",
            "0",
        ],
        &["output stage", "16-bit operands", "array.operand_bits"],
    );
    fails_with(
        &[
            "run",
            "--arch",
            "tiny-4x4",
            "--workload",
            "int8-cnn",
            "--operand-bits",
            "4",
        ],
        &["layer `conv1`", "output stage", "4-bit operands"],
    );
    fails_with(
        &["infer", "--operand-bits", "4"],
        &["layer conv1", "output stage", "4-bit operands"],
    );
    let p = edited(
        d.path(),
        "acc.toml",
        "tiny-4x4",
        "acc_bits = 32",
        "acc_bits = 48",
    );
    fails_with(
        &["gemm", "--arch", p.to_str().unwrap()],
        &["acc.toml", "array.acc_bits"],
    );
}

#[test]
fn config_buffer_too_small_for_one_fold() {
    let d = tmpdir();
    // tpu-128x128's OS fold needs 64 KiB of int32 outputs in C.
    let text = preset_text("tpu-128x128").replace(
        "[buffers.c]   # 128 lanes x 32 bits = 4096 bits per cycle\ncapacity_kib = 4096",
        "[buffers.c]\ncapacity_kib = 16",
    );
    let p = write(d.path(), "small.toml", &text);
    fails_with(
        &["gemm", "--arch", p.to_str().unwrap()],
        &["small.toml", "buffers.c.capacity_kib", "too small", "OS"],
    );
}

#[test]
fn config_banks_too_narrow() {
    let d = tmpdir();
    let p = edited(
        d.path(),
        "narrow.toml",
        "edge-16x16",
        "banks = 2",
        "banks = 1",
    );
    fails_with(
        &["gemm", "--arch", p.to_str().unwrap()],
        &["narrow.toml", "buffers.a.banks", "edge vector"],
    );
}

#[test]
fn shape_flags_out_of_range() {
    fails_with(&["gemm", "--rows", "0"], &["--rows", "0"]);
    fails_with(&["run", "--cols", "5000"], &["--cols", "5000"]);
    fails_with(&["gemm", "--m", "0"], &["--m"]);
    fails_with(
        &["gemm", "--m", "100000", "--n", "100000", "--k", "10"],
        &["GiB"],
    );
}

#[test]
fn unsupported_dataflow() {
    let d = tmpdir();
    let p = edited(
        d.path(),
        "wsonly.toml",
        "tiny-4x4",
        "dataflows = [\"os\", \"ws\", \"is\"]",
        "dataflows = [\"ws\"]",
    );
    fails_with(
        &["gemm", "--arch", p.to_str().unwrap(), "--dataflow", "os"],
        &["does not support", "OS"],
    );
    fails_with(
        &["run", "--arch", p.to_str().unwrap(), "--dataflow", "is"],
        &["does not support", "IS"],
    );
}

#[test]
fn usage_errors_are_one_line() {
    fails_with(
        &["gemm", "--dataflow", "rs"],
        &["--dataflow", "os, ws or is"],
    );
    fails_with(&["gemm", "--m", "-1"], &["-1"]);
    fails_with(&["gemm", "--m", "1.5"], &["--m", "1.5"]);
    fails_with(&["gemm", "--bogus"], &["--bogus"]);
    fails_with(&["run", "--dataflow", "os,xs"], &["xs"]);
    systole()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Usage"));
}

#[test]
fn npy_missing_file() {
    let d = tmpdir();
    let b = d.path().join("b.npy");
    write_i8_matrix(&b, &Matrix::random(4, 4, 1)).unwrap();
    let a = d.path().join("nope.npy");
    fails_with(
        &[
            "gemm",
            "--a",
            a.to_str().unwrap(),
            "--b",
            b.to_str().unwrap(),
        ],
        &["nope.npy", "no such file"],
    );
}

#[test]
fn npy_wrong_dtype() {
    let d = tmpdir();
    let a = d.path().join("a32.npy");
    write_i32_matrix(&a, &Matrix::zeros(4, 4)).unwrap();
    let b = d.path().join("b.npy");
    write_i8_matrix(&b, &Matrix::random(4, 4, 1)).unwrap();
    fails_with(
        &[
            "gemm",
            "--a",
            a.to_str().unwrap(),
            "--b",
            b.to_str().unwrap(),
        ],
        &["a32.npy", "int32", "int8"],
    );
}

#[test]
fn npy_wrong_rank() {
    let d = tmpdir();
    let a = d.path().join("vec.npy");
    let mut w = npyz::WriteOptions::new()
        .default_dtype()
        .shape(&[8])
        .writer(std::fs::File::create(&a).unwrap())
        .begin_nd()
        .unwrap();
    w.extend([1i8; 8]).unwrap();
    w.finish().unwrap();
    let b = d.path().join("b.npy");
    write_i8_matrix(&b, &Matrix::random(8, 2, 1)).unwrap();
    fails_with(
        &[
            "gemm",
            "--a",
            a.to_str().unwrap(),
            "--b",
            b.to_str().unwrap(),
        ],
        &["vec.npy", "rank 1"],
    );
}

#[test]
fn npy_mismatched_k() {
    let d = tmpdir();
    let a = d.path().join("a.npy");
    let b = d.path().join("b.npy");
    write_i8_matrix(&a, &Matrix::random(5, 7, 1)).unwrap();
    write_i8_matrix(&b, &Matrix::random(6, 3, 2)).unwrap();
    fails_with(
        &[
            "gemm",
            "--a",
            a.to_str().unwrap(),
            "--b",
            b.to_str().unwrap(),
        ],
        &["K = 7", "K = 6"],
    );
}

#[test]
fn npy_truncated_and_not_npy() {
    let d = tmpdir();
    let a = d.path().join("cut.npy");
    write_i8_matrix(&a, &Matrix::random(16, 16, 1)).unwrap();
    let bytes = std::fs::read(&a).unwrap();
    std::fs::write(&a, &bytes[..bytes.len() - 40]).unwrap();
    let b = d.path().join("b.npy");
    write_i8_matrix(&b, &Matrix::random(16, 4, 2)).unwrap();
    fails_with(
        &[
            "gemm",
            "--a",
            a.to_str().unwrap(),
            "--b",
            b.to_str().unwrap(),
        ],
        &["cut.npy", "truncated"],
    );
    let junk = write(d.path(), "junk.npy", "this is not numpy");
    fails_with(
        &[
            "gemm",
            "--a",
            junk.to_str().unwrap(),
            "--b",
            b.to_str().unwrap(),
        ],
        &["junk.npy", "not a valid .npy"],
    );
}

#[test]
fn a_without_b_is_a_usage_error() {
    fails_with(&["gemm", "--a", "x.npy"], &["--b"]);
}

/// A .npy file of `data` with the header dictionary `dict` (format version 1.0).
fn npy_bytes(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    let pad = 64 - (10 + dict.len() + 1) % 64;
    let hlen = (dict.len() + pad + 1) as u16;
    bytes.extend_from_slice(&hlen.to_le_bytes());
    bytes.extend_from_slice(dict.as_bytes());
    bytes.extend(std::iter::repeat_n(b' ', pad));
    bytes.push(b'\n');
    bytes.extend_from_slice(data);
    bytes
}

#[test]
fn npy_uint8_and_bool_are_rejected() {
    let d = tmpdir();
    let b = d.path().join("b.npy");
    write_i8_matrix(&b, &Matrix::random(2, 2, 1)).unwrap();
    for (name, descr, kind) in [("u8.npy", "|u1", "uint8"), ("bool.npy", "|b1", "bool")] {
        let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (2, 2), }}");
        let p = d.path().join(name);
        std::fs::write(&p, npy_bytes(&dict, &[0, 1, 1, 0])).unwrap();
        fails_with(
            &[
                "gemm",
                "--a",
                p.to_str().unwrap(),
                "--b",
                b.to_str().unwrap(),
            ],
            &[name, kind, "int8"],
        );
    }
}

#[test]
fn npy_header_claiming_a_huge_shape() {
    let d = tmpdir();
    let b = d.path().join("b.npy");
    write_i8_matrix(&b, &Matrix::random(2, 2, 1)).unwrap();
    for shape in ["(4294967296, 4294967296)", "(100000000000, 100000000000)"] {
        let a = d.path().join("huge.npy");
        let dict = format!("{{'descr': '|i1', 'fortran_order': False, 'shape': {shape}, }}");
        std::fs::write(&a, npy_bytes(&dict, &[1u8; 64])).unwrap();
        fails_with(
            &[
                "gemm",
                "--a",
                a.to_str().unwrap(),
                "--b",
                b.to_str().unwrap(),
            ],
            &["huge.npy", "truncated"],
        );
    }
}

#[test]
fn padding_to_the_array_edge_counts_toward_the_memory_limit() {
    // N = 1 on a 128-wide array pads every C row to 128 int32 lanes.
    fails_with(
        &[
            "gemm",
            "--arch",
            "tpu-128x128",
            "--m",
            "100000000",
            "--n",
            "1",
            "--k",
            "1",
        ],
        &["GiB"],
    );
}

#[test]
fn workload_layer_errors_name_the_workload_once() {
    let d = tmpdir();
    let p = write(
        d.path(),
        "wide.toml",
        "name = \"n\"\n[[layer]]\nname = \"l\"\nm = 100000\nn = 100000\nk = 4\n",
    );
    let out = systole()
        .args(["run", "--workload", p.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("wide.toml") && stderr.contains("layer `l`"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("needs").count(), 1, "{stderr}");
}

#[test]
fn config_name_and_clock_are_checked() {
    let d = tmpdir();
    let p = edited(
        d.path(),
        "clk.toml",
        "tiny-4x4",
        "clock_mhz = 100.0",
        "clock_mhz = 1e-300",
    );
    fails_with(
        &["gemm", "--arch", p.to_str().unwrap()],
        &["clk.toml", "clock_mhz"],
    );
    let p = edited(
        d.path(),
        "nl.toml",
        "tiny-4x4",
        "name = \"tiny-4x4\"",
        "name = \"a\\nb\"",
    );
    fails_with(
        &["gemm", "--arch", p.to_str().unwrap()],
        &["nl.toml", "name"],
    );
}

#[test]
fn unknown_workload_and_bad_workload_file() {
    fails_with(
        &["run", "--workload", "lenet-9000"],
        &["lenet-9000", "bert-base"],
    );
    let d = tmpdir();
    let p = write(
        d.path(),
        "net.toml",
        "name = \"n\"\n[[layer]]\nname = \"l\"\nm = 4\nn = 4\nk = \"big\"\n",
    );
    fails_with(&["run", "--workload", p.to_str().unwrap()], &["net.toml:6"]);
}

#[test]
fn unwritable_output() {
    fails_with(
        &[
            "gemm",
            "--m",
            "4",
            "--n",
            "4",
            "--k",
            "4",
            "--out",
            "/nonexistent-dir/c.npy",
        ],
        &["/nonexistent-dir/c.npy", "cannot create"],
    );
}

#[test]
fn rtl_backend_refuses_what_the_rtl_cannot_hold() {
    // 300 x 300 x 300 needs far more vectors than tiny-4x4's buffers hold.
    fails_with(
        &[
            "gemm",
            "--arch",
            "tiny-4x4",
            "--m",
            "300",
            "--n",
            "300",
            "--k",
            "300",
            "--backend",
            "rtl",
            "--memory",
            "ideal",
        ],
        &["buffer A", "holds 1024"],
    );
    // 16-bit command fields and 8-bit lane counts.
    fails_with(
        &[
            "gemm",
            "--backend",
            "icarus",
            "--memory",
            "ideal",
            "--m",
            "70000",
            "--n",
            "1",
            "--k",
            "1",
        ],
        &["M = 70000", "16 bits"],
    );
    for cmd in [
        &["verilog", "--rows", "300", "--out", "/tmp"][..],
        &["synth", "--cols", "300", "--target", "ice40-hx8k"][..],
    ] {
        fails_with(cmd, &["300", "at most 255"]);
    }
}

#[test]
fn vcd_needs_the_rtl_backend_and_a_writable_path() {
    fails_with(
        &["gemm", "--backend", "fast", "--vcd", "x.vcd"],
        &["--vcd needs --backend rtl"],
    );
    fails_with(
        &[
            "gemm",
            "--arch",
            "tiny-4x4",
            "--m",
            "2",
            "--n",
            "2",
            "--k",
            "2",
            "--backend",
            "rtl",
            "--memory",
            "ideal",
            "--vcd",
            "/nonexistent-dir/x.vcd",
        ],
        &["/nonexistent-dir/x.vcd"],
    );
}

/// The RTL's DMA keeps whole operands on chip: a GEMM whose operands do not fit says so, with
/// the buffer and its capacity, and where to run it instead.
#[test]
fn rtl_backends_refuse_operands_that_do_not_fit() {
    for backend in ["rtl", "verilator", "icarus"] {
        // With the ideal memory model the operands must sit in their buffers.
        fails_with(
            &[
                "gemm",
                "--arch",
                "tiny-4x4",
                "--m",
                "200",
                "--n",
                "200",
                "--k",
                "300",
                "--memory",
                "ideal",
                "--backend",
                backend,
            ],
            &["buffer A", "holds 1024", "fast backend"],
        );
        // With DRAM they are re-fetched, up to the memory port's 16-bit vector addresses: OS
        // A here is 250 row tiles x 300 steps = 75,000 vectors.
        fails_with(
            &[
                "gemm",
                "--arch",
                "tiny-4x4",
                "--m",
                "1000",
                "--n",
                "4",
                "--k",
                "300",
                "--backend",
                backend,
            ],
            &["75000 vectors of A", "16 bits", "fast backend"],
        );
    }
}

#[test]
fn memory_flags_are_checked() {
    fails_with(
        &["gemm", "--dram-bytes-per-cycle", "0"],
        &["dram.bytes_per_cycle", "between 1 and"],
    );
    fails_with(&["run", "--memory", "magic"], &["magic"]);
}

#[test]
fn bad_synthesis_target() {
    fails_with(
        &["synth", "--target", "ice40-lp1k"],
        &["ice40-lp1k", "ice40-hx8k", "ecp5-85k"],
    );
}

/// Every text input is read up to a cap, so an endless file (`/dev/zero`, a pipe) is refused
/// with the file and the cap named instead of filling memory (issue 22, defect 2).
#[cfg(unix)]
#[test]
fn endless_text_inputs_are_refused_at_the_cap() {
    let d = tmpdir();
    let topo = write(d.path(), "t.csv", "Layer Name, M, N, K,\nl1, 4, 4, 4,\n");
    let t = topo.to_str().unwrap();
    for args in [
        &["run", "--arch", "/dev/zero"][..],
        &["run", "--workload", "/dev/zero"],
        &["workloads", "--layers", "/dev/zero"],
        &["run", "--topology", "/dev/zero"],
        &["run", "--tech", "/dev/zero"],
        &["run", "--scalesim-cfg", "/dev/zero", "--topology", t],
    ] {
        fails_with(args, &["/dev/zero", "larger than 8 MiB"]);
    }
}

/// Two headers claiming 50000x20000 and 20000x50000 int8 on (sparse) files that long: the GEMM is
/// refused from the headers, before 2 GB of operands are read (issue 22, defect 3: 15 s and
/// 1.96 GB of memory before the refusal).
#[test]
fn npy_shapes_are_checked_before_the_data_is_read() {
    let d = tmpdir();
    let make = |name: &str, shape: &str| {
        let p = d.path().join(name);
        let dict = format!("{{'descr': '|i1', 'fortran_order': False, 'shape': {shape}, }}");
        std::fs::write(&p, npy_bytes(&dict, &[])).unwrap();
        let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
        f.set_len(1_000_000_128).unwrap();
        p
    };
    let a = make("a.npy", "(50000, 20000)");
    let b = make("b.npy", "(20000, 50000)");
    let began = std::time::Instant::now();
    fails_with(
        &[
            "gemm",
            "--a",
            a.to_str().unwrap(),
            "--b",
            b.to_str().unwrap(),
        ],
        &[
            "a.npy x ",
            "b.npy",
            "50000x50000x20000",
            "GiB",
            "accepts up to 8 GiB",
        ],
    );
    let took = began.elapsed();
    assert!(took.as_secs() < 5, "{took:?}");
}

/// NumPy on Python 2 wrote `(20L, 12L)`; such a file reads (it gave a six-line parser error).
#[test]
fn npy_python_2_headers_read() {
    let d = tmpdir();
    let a = d.path().join("a.npy");
    let b = d.path().join("b.npy");
    let dict = "{'descr': '|i1', 'fortran_order': False, 'shape': (2L, 3L), }";
    std::fs::write(&a, npy_bytes(dict, &[1, 2, 3, 4, 5, 6])).unwrap();
    write_i8_matrix(&b, &Matrix::random(3, 2, 1)).unwrap();
    common::succeeds(systole().args([
        "gemm",
        "--a",
        a.to_str().unwrap(),
        "--b",
        b.to_str().unwrap(),
        "--check",
    ]));
}

/// A `.cfg` whose `run_name` is a path is refused, naming the line and the key; a workload whose
/// name is a path writes its SCALE-Sim reports inside --out all the same (issue 22, defect 4:
/// both wrote outside --out).
#[test]
fn report_folders_stay_inside_out() {
    let d = tmpdir();
    let cfg = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/scalesim/edge_os.cfg"
    ))
    .unwrap();
    let topo = write(d.path(), "t.csv", "Layer Name, M, N, K,\nl1, 4, 4, 4,\n");
    let out = d.path().join("out");
    for bad in ["/tmp/ESCAPE", "../../x", "..", "a\\b"] {
        let p = write(
            d.path(),
            "esc.cfg",
            &cfg.replace("systole_example_16x16_os", bad),
        );
        fails_with(
            &[
                "run",
                "--scalesim-cfg",
                p.to_str().unwrap(),
                "--topology",
                topo.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            &["esc.cfg:2", "[general] run_name", bad, "not a path"],
        );
    }
    let wl = one_gemm(d.path(), "../../WL_ESCAPE", 4, 4, 4);
    let nested = out.join("a").join("b");
    common::succeeds(systole().args([
        "run",
        "--arch",
        "tiny-4x4",
        "--workload",
        wl.to_str().unwrap(),
        "--dataflow",
        "os",
        "--scalesim-csv",
        "--out",
        nested.to_str().unwrap(),
    ]));
    assert!(!d.path().join("WL_ESCAPE_tiny-4x4").exists());
    assert!(!out.join("WL_ESCAPE_tiny-4x4").exists());
    let inside: Vec<String> = std::fs::read_dir(&nested)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("WL_ESCAPE"))
        .collect();
    assert_eq!(inside, [".._.._WL_ESCAPE_tiny-4x4"]);
}

/// A sweep directory another process is writing is refused with one line (issue 22, defect 5:
/// two concurrent `--resume` runs both exited 0 and lost a point). The test holds the lock as a
/// running sweep does.
#[test]
fn a_sweep_directory_in_use_is_refused() {
    let d = tmpdir();
    let out = d.path().join("s");
    std::fs::create_dir_all(&out).unwrap();
    let lock = std::fs::File::create(out.join("sweep.lock")).unwrap();
    lock.try_lock().unwrap();
    let wl = one_gemm(d.path(), "w", 8, 8, 8);
    let args = [
        "sweep",
        "--arch",
        "tiny-4x4",
        "--workload",
        wl.to_str().unwrap(),
        "--dataflow",
        "os",
        "--resume",
        "--out",
        out.to_str().unwrap(),
    ];
    fails_with(&args, &["another systole sweep is writing", "sweep.lock"]);
    assert!(!out.join("sweep.csv").exists());
    drop(lock);
    let text = String::from_utf8(common::succeeds(systole().args(args)).stdout).unwrap();
    assert!(text.contains("results in"), "{text}");
}

/// A technology table value beyond any circuit is refused with its file, line and field (issue
/// 22, defect 6: `mult_pj = 1e308` printed `NaN uJ` and exit 0).
#[test]
fn absurd_technology_values_are_refused() {
    let d = tmpdir();
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/sim/tech/45nm.toml"))
        .unwrap();
    for (from, to) in [
        ("mult_pj = 0.2", "mult_pj = 1e308"),
        ("pe_uw = 8.6", "pe_uw = inf"),
    ] {
        assert!(text.contains(from));
        let p = write(d.path(), "t.toml", &text.replace(from, to));
        let field = if from.starts_with("mult") {
            "t.toml:9: mac.mult_pj"
        } else {
            "leakage.pe_uw"
        };
        fails_with(
            &["gemm", "--tech", p.to_str().unwrap()],
            &[field, "must be a number from 0 to 1e6"],
        );
    }
}

/// A layer's MACs are bounded over every run (per GEMM x groups x repeat), and a total that
/// still does not fit 64 bits is refused instead of printed saturated (issue 22, defect 7: a
/// depthwise layer of 10^12 channels repeated 10^6 times printed wrapped stalls and SCALE-Sim
/// cycles and a wrong utilisation, with exit 0).
#[test]
fn totals_that_do_not_fit_64_bits_are_refused() {
    let d = tmpdir();
    let dw = |name: &str, side: u32, channels: u64| {
        write(
            d.path(),
            name,
            &format!(
                "name = \"dw\"\n[[layer]]\nname = \"dw\"\nkind = \"depthwise\"\nifmap = [{side}, {side}]\nchannels = {channels}\nfilter = [{side}, {side}]\nrepeat = 1000000\n"
            ),
        )
    };
    let huge = dw("huge.toml", 3, 1_000_000_000_000);
    fails_with(
        &["run", "--workload", huge.to_str().unwrap()],
        &[
            "huge.toml:3",
            "layer 1 (`dw`)",
            "9 MACs per GEMM",
            "more than 2^53 MACs",
        ],
    );
    fails_with(
        &["workloads", "--layers", huge.to_str().unwrap()],
        &["huge.toml:3", "more than 2^53 MACs"],
    );
    // 10^15 one-MAC GEMMs pass the bound; on a 1024x1024 array their idle PE-cycles do not fit.
    let many = dw("many.toml", 1, 1_000_000_000);
    fails_with(
        &[
            "run",
            "--workload",
            many.to_str().unwrap(),
            "--arch",
            "tpu-128x128",
            "--rows",
            "1024",
            "--cols",
            "1024",
            "--dataflow",
            "ws",
        ],
        &["WS: the workload's idle_pe_cycles do not fit 64 bits"],
    );
    // SCALE-Sim's reports have a row per GEMM: refused before the run.
    fails_with(
        &[
            "run",
            "--workload",
            many.to_str().unwrap(),
            "--arch",
            "tiny-4x4",
            "--scalesim-csv",
            "--out",
            d.path().join("o").to_str().unwrap(),
        ],
        &[
            "SCALE-Sim reports",
            "1,000,000,000,000,000 GEMMs",
            "at most 1,000,000",
        ],
    );
    assert!(!d.path().join("o").exists());
}

/// A run whose K and operand width can overflow the int32 accumulator says so on stderr, and
/// `--check` counts the elements that wrapped (issue 22, defect 8: full-range int16 operands
/// with K = 12 wrapped silently and the check said "C equals the reference").
#[test]
fn accumulator_overflow_is_announced() {
    let gemm = |bits: &str, k: &str| {
        let out = common::succeeds(systole().args([
            "gemm",
            "--operand-bits",
            bits,
            "--m",
            "4",
            "--n",
            "4",
            "--k",
            k,
            "--check",
        ]));
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (out, err) = gemm("16", "12");
    assert!(
        err.starts_with("warning: K = 12 with int16 operands can overflow the int32 accumulator (sums are exact up to K = 1)"),
        "{err}"
    );
    assert!(out.contains("elements of C wrapped)"), "{out}");
    let (out, err) = gemm("16", "1");
    assert!(err.is_empty() && !out.contains("wrapped"), "{err}{out}");
    let (_, err) = gemm("8", "131072");
    assert!(err.contains("K = 131072 with int8 operands"), "{err}");
    let (_, err) = gemm("8", "131071");
    assert!(err.is_empty(), "{err}");
    // run: on stderr and as a note of the report.
    let d = tmpdir();
    let wl = one_gemm(d.path(), "w", 8, 8, 8);
    let out = common::succeeds(systole().args([
        "run",
        "--arch",
        "tiny-4x4",
        "--operand-bits",
        "16",
        "--rows",
        "4",
        "--workload",
        wl.to_str().unwrap(),
        "--dataflow",
        "os",
    ]));
    let (text, err) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert!(err.contains("warning: K = 8 with int16 operands"), "{err}");
    assert!(text.contains("note: K = 8 with int16 operands"), "{text}");
}

/// An output scale that is not a finite positive float32, or a clamp that lets one value through,
/// is refused (issue 22, defect 9: `--activation relu6 --out-scale 1e300` or `inf` gave
/// "clamp [0, 0]" and every output 0, with exit 0).
#[test]
fn a_degenerate_clamp_is_refused() {
    let stage = [
        "gemm",
        "--m",
        "4",
        "--n",
        "4",
        "--k",
        "4",
        "--multiplier",
        "1073741824",
        "--shift",
        "0",
    ];
    for scale in ["1e300", "inf", "0", "-1", "NaN", "1e-50"] {
        let mut args = stage.to_vec();
        args.extend(["--activation", "relu6", "--out-scale", scale]);
        fails_with(
            &args,
            &["--activation relu6", "output scale", "finite positive"],
        );
    }
    let mut args = stage.to_vec();
    args.extend(["--activation", "relu6", "--out-scale", "13"]);
    fails_with(&args, &["clamps to [0, 0]", "every output would be 0"]);
    let mut args = stage.to_vec();
    args.extend(["--activation", "relu", "--out-zero-point", "127"]);
    fails_with(&args, &["--activation relu", "clamps to [127, 127]"]);
}

/// A negative number for a flag is its value, refused with the flag named (clap read `-1` as an
/// unknown flag: "unexpected argument '-1' found").
#[test]
fn negative_values_name_their_flag() {
    for (args, flag) in [
        (&["gemm", "--m", "-1"][..], "'--m <M>'"),
        (&["run", "--rows", "-4"], "'--rows <R>'"),
        (&["sweep", "--jobs", "-1"], "'--jobs <N>'"),
        (
            &["run", "--dram-bytes-per-cycle", "-5"],
            "'--dram-bytes-per-cycle <B>'",
        ),
    ] {
        fails_with(args, &["invalid value '-", flag]);
    }
}

/// `--jobs` takes 1 to 1024 threads, and starts no more than the points left (issue 22, defect
/// 10: `--jobs 100000` produced nothing in 60 s).
#[test]
fn sweep_jobs_are_bounded() {
    let d = tmpdir();
    let wl = one_gemm(d.path(), "w", 8, 8, 8);
    let out = d.path().join("s");
    let args = |jobs: &'static str| {
        vec![
            "sweep".to_string(),
            "--arch".into(),
            "tiny-4x4".into(),
            "--workload".into(),
            wl.to_str().unwrap().into(),
            "--dataflow".into(),
            "os".into(),
            "--jobs".into(),
            jobs.into(),
            "--out".into(),
            out.to_str().unwrap().into(),
        ]
    };
    for jobs in ["100000", "0"] {
        let a = args(jobs);
        fails_with(&a, &["'--jobs <N>'", "not in 1..=1024"]);
    }
    let began = std::time::Instant::now();
    common::succeeds(systole().args(args("1024")));
    assert!(began.elapsed().as_secs() < 30, "{:?}", began.elapsed());
}

/// An RTL backend that will run for minutes says so, with its estimate, before it starts (issue
/// 22, defect 11: `gemm --arch tpu-128x128 --backend rtl --m 8 --n 8 --k 8` ran for minutes
/// without a word). The test reads the first line of stderr and ends the run.
#[test]
fn a_slow_rtl_backend_says_how_slow_first() {
    use std::io::{BufRead, BufReader};
    for (backend, want) in [
        ("rtl", "the rtl backend will take about "),
        (
            "icarus",
            "the icarus backend will take at least 38.4 min on this 128x128 array",
        ),
    ] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("systole"))
            .args([
                "gemm",
                "--arch",
                "tpu-128x128",
                "--m",
                "8",
                "--n",
                "8",
                "--k",
                "8",
                "--backend",
                backend,
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let began = std::time::Instant::now();
        let mut line = String::new();
        BufReader::new(child.stderr.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let took = began.elapsed();
        let _ = child.kill();
        let _ = child.wait();
        assert!(line.starts_with(&format!("warning: {want}")), "{line}");
        assert!(line.contains("on this 128x128 array"), "{line}");
        assert!(line.contains("--backend fast gives the same C"), "{line}");
        assert!(took.as_secs() < 20, "{took:?}");
    }
    // A small design runs without a warning.
    let out = common::succeeds(systole().args([
        "gemm",
        "--arch",
        "tiny-4x4",
        "--m",
        "8",
        "--n",
        "8",
        "--k",
        "8",
        "--backend",
        "rtl",
    ]));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `--trace` says how much it will write before writing, and refuses above 100 MB unless
/// `--trace-limit` allows it (issue 22, defect 12: the README's own example wrote 1.6 GB in under a
/// minute without a word).
#[test]
fn traces_announce_their_size_and_need_a_limit_above_100_mb() {
    let d = tmpdir();
    let big = one_gemm(d.path(), "big", 1, 1024, 4096);
    let dir = d.path().join("tr");
    let run = |w: &Path, extra: &[&str]| {
        let mut a = vec![
            "run".to_string(),
            "--arch".into(),
            "tiny-4x4".into(),
            "--workload".into(),
            w.to_str().unwrap().into(),
            "--dataflow".into(),
            "os".into(),
            "--trace".into(),
            dir.to_str().unwrap().into(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let a = run(&big, &[]);
    fails_with(
        &a,
        &[
            "--trace: the traces of 1 layer x 1 dataflow",
            "would take about 2",
            "above --trace-limit 100.0 MB",
            "give --trace-limit 2",
        ],
    );
    assert!(!dir.exists(), "nothing is written");
    let a = run(&big, &["--trace-limit", "10kB"]);
    fails_with(&a, &["above --trace-limit 10.0 kB"]);
    let a = run(&big, &["--trace-limit", "3XB"]);
    fails_with(&a, &["'--trace-limit <SIZE>'", "`XB` is not a unit"]);
    fails_with(&["run", "--trace-limit", "1GB"], &["--trace <DIR>"]);
    // A small run says its size on stderr and writes about that much.
    let small = one_gemm(d.path(), "small", 1, 16, 64);
    let out = common::succeeds(systole().args(run(&small, &[])));
    let err = String::from_utf8(out.stderr).unwrap();
    let kb: f64 = err
        .strip_prefix("traces: about ")
        .and_then(|s| s.split(" kB").next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{err}"));
    let mut written = 0;
    for e in std::fs::read_dir(dir.join("os").join("layer0")).unwrap() {
        written += e.unwrap().metadata().unwrap().len();
    }
    let written = written as f64 / 1e3;
    assert!(
        written <= kb + 0.1 && kb <= 2.0 * written,
        "{kb} kB announced, {written} written"
    );
}

/// The smaller messages of issue 22: a dataflow list naming `all` beside others or a dataflow
/// twice, a shard count of 0, an absurd bank count.
#[test]
fn list_shard_and_bank_messages_say_what_is_wrong() {
    fails_with(
        &["run", "--dataflow", "all,os"],
        &[
            "'--dataflow <DATAFLOW>'",
            "`all` already means os, ws and is",
        ],
    );
    fails_with(&["run", "--dataflow", "ws,ws"], &["ws is given twice"]);
    let d = tmpdir();
    let out = d.path().join("s");
    fails_with(
        &[
            "sweep",
            "--dataflow",
            "os,os",
            "--out",
            out.to_str().unwrap(),
        ],
        &["--dataflow `os,os`: os is given twice"],
    );
    fails_with(
        &["sweep", "--shard", "1/0", "--out", out.to_str().unwrap()],
        &["`1/0`: the shard count is 0"],
    );
    let p = edited(
        d.path(),
        "banks.toml",
        "tiny-4x4",
        "banks = 1",
        "banks = 4294967295",
    );
    fails_with(
        &["gemm", "--arch", p.to_str().unwrap()],
        &[
            "banks.toml:",
            "buffers.a.banks",
            "4294967295: must be between 1 and 4096",
        ],
    );
}

/// A layer name with a line break (or any control character) is refused, naming the layer with
/// the break escaped; a `|` is escaped in the Markdown tables (both broke the report's tables).
#[test]
fn layer_names_keep_the_tables_whole() {
    let d = tmpdir();
    let layer = |name: &str| format!("[[layer]]\nname = \"{name}\"\nm = 4\nn = 4\nk = 4\n");
    for (file, workload, layer_name, want) in [
        (
            "nl.toml",
            "w",
            "a\\nb",
            "nl.toml:3: layer 1 (`a\\nb`): name \"a\\nb\": must be one line of text",
        ),
        (
            "wn.toml",
            "w\\tx",
            "a",
            "wn.toml: name = \"w\\tx\": must be one line of text",
        ),
    ] {
        let w = write(
            d.path(),
            file,
            &format!("name = \"{workload}\"\n{}", layer(layer_name)),
        );
        fails_with(&["run", "--workload", w.to_str().unwrap()], &[want]);
        fails_with(&["workloads", "--layers", w.to_str().unwrap()], &[want]);
    }
    let w = write(
        d.path(),
        "pipe.toml",
        &format!("name = \"w\"\n{}", layer("a|b")),
    );
    let out = d.path().join("r");
    common::succeeds(systole().args([
        "run",
        "--arch",
        "tiny-4x4",
        "--dataflow",
        "os",
        "--workload",
        w.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]));
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    // Every table that names the layer (the mapping table and the per-layer
    // table) escapes the pipe, and the per-layer row keeps its columns.
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| a")).collect();
    assert!(rows.len() >= 2, "{md}");
    assert!(rows.iter().all(|r| r.starts_with("| a\\|b |")), "{rows:?}");
    assert!(
        rows.iter()
            .any(|r| r.starts_with("| a\\|b | 1 | 4 | 4 | 4 |")),
        "{rows:?}"
    );
}
