//! `systole gemm` against NumPy itself: Python generates int8 A and B (and int4 and int16 ones for
//! machines of those widths), systole computes C for every dataflow, and NumPy checks that C
//! equals `numpy.matmul` in int64, wrapped to int32 as the accumulator wraps.
//!
//! Needs `python3` with `numpy`. `scripts/test.sh` installs numpy when it is missing; without it
//! this test fails with a message saying so (it never passes silently).

use std::path::Path;

mod common;
use common::{python_with_numpy, run_py};

const GENERATE: &str = r#"
import sys, numpy as np
d, m, n, k, seed, bits = sys.argv[1], *map(int, sys.argv[2:7])
rng = np.random.default_rng(seed)
lo, hi = -(1 << (bits - 1)), 1 << (bits - 1)
dt = np.int16 if bits == 16 else np.int8   # int4 operands travel in int8 files
a = rng.integers(lo, hi, size=(m, k), dtype=dt)
b = rng.integers(lo, hi, size=(k, n), dtype=dt)
a[0, :] = lo; b[:, 0] = lo               # the extremes, always
np.save(f"{d}/a.npy", a); np.save(f"{d}/b.npy", b)
"#;

const VERIFY: &str = r#"
import sys, numpy as np
d, df = sys.argv[1], sys.argv[2]
a = np.load(f"{d}/a.npy"); b = np.load(f"{d}/b.npy"); c = np.load(f"{d}/c-{df}.npy")
want = np.matmul(a.astype(np.int64), b.astype(np.int64)).astype(np.int32)   # wraps mod 2^32
assert c.dtype == np.int32, c.dtype
assert c.shape == want.shape, (c.shape, want.shape)
assert np.array_equal(c, want), f"{df}: {int((c != want).sum())} elements differ"
print("ok")
"#;

fn crosscheck(dir: &Path, py: &str, arch: &str, m: usize, n: usize, k: usize, seed: u64) {
    crosscheck_bits(dir, py, (arch, 8), (m, n, k), seed);
}

fn crosscheck_bits(
    dir: &Path,
    py: &str,
    (arch, bits): (&str, u32),
    (m, n, k): (usize, usize, usize),
    seed: u64,
) {
    let d = dir.to_str().unwrap();
    run_py(
        py,
        GENERATE,
        &[
            d,
            &m.to_string(),
            &n.to_string(),
            &k.to_string(),
            &seed.to_string(),
            &bits.to_string(),
        ],
    );
    for df in ["os", "ws", "is"] {
        let c = dir.join(format!("c-{df}.npy"));
        let status = assert_cmd::Command::cargo_bin("systole")
            .unwrap()
            .args(["gemm", "--arch", arch, "--dataflow", df])
            .args(["--operand-bits", &bits.to_string()])
            .args(["--a", &format!("{d}/a.npy"), "--b", &format!("{d}/b.npy")])
            .args(["--out", c.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
        run_py(py, VERIFY, &[d, df]);
    }
}

#[test]
fn gemm_equals_numpy_matmul_on_multiples_and_non_multiples_of_the_array() {
    let py = python_with_numpy();
    let dir = tempfile::tempdir().unwrap();
    for (arch, m, n, k, seed) in [
        ("tiny-4x4", 16, 8, 12, 1),       // multiples of the array
        ("tiny-4x4", 7, 9, 5, 2),         // not multiples
        ("edge-16x16", 64, 48, 32, 3),    // multiples
        ("edge-16x16", 50, 19, 333, 4),   // not multiples, K > R
        ("eyeriss-12x14", 1, 30, 100, 5), // GEMV-shaped, non-square array
    ] {
        crosscheck(dir.path(), &py, arch, m, n, k, seed);
    }
}

/// int4 and int16 machines: int4 operands in int8 files, int16 in int16 files, whose products wrap
/// the int32 accumulator (K = 333 rows of (-32768)^2 = 2^30 each).
#[test]
fn gemm_equals_numpy_matmul_at_int4_and_int16() {
    let py = python_with_numpy();
    let dir = tempfile::tempdir().unwrap();
    for (arch, bits, m, n, k, seed) in [
        ("tiny-4x4", 4, 7, 9, 5, 6),
        ("edge-16x16", 4, 50, 19, 333, 7),
        ("tiny-4x4", 16, 7, 9, 5, 8),
        ("edge-16x16", 16, 50, 19, 333, 9),
    ] {
        crosscheck_bits(dir.path(), &py, (arch, bits), (m, n, k), seed);
    }
}
