//! `systole gemm` against NumPy itself: Python generates int8 A and B, systole computes C for every
//! dataflow, and NumPy checks that C equals `numpy.matmul(A.astype(int32), B.astype(int32))`.
//!
//! Needs `python3` with `numpy`. `scripts/test.sh` installs numpy when it is missing; without it
//! this test fails with a message saying so (it never passes silently).

use std::path::Path;

mod common;
use common::{python_with_numpy, run_py};

const GENERATE: &str = r#"
import sys, numpy as np
d, m, n, k, seed = sys.argv[1], *map(int, sys.argv[2:6])
rng = np.random.default_rng(seed)
a = rng.integers(-128, 128, size=(m, k), dtype=np.int8)
b = rng.integers(-128, 128, size=(k, n), dtype=np.int8)
a[0, :] = -128; b[:, 0] = -128           # the extremes, always
np.save(f"{d}/a.npy", a); np.save(f"{d}/b.npy", b)
"#;

const VERIFY: &str = r#"
import sys, numpy as np
d, df = sys.argv[1], sys.argv[2]
a = np.load(f"{d}/a.npy"); b = np.load(f"{d}/b.npy"); c = np.load(f"{d}/c-{df}.npy")
want = np.matmul(a.astype(np.int32), b.astype(np.int32))
assert c.dtype == np.int32, c.dtype
assert c.shape == want.shape, (c.shape, want.shape)
assert np.array_equal(c, want), f"{df}: {int((c != want).sum())} elements differ"
print("ok")
"#;

fn crosscheck(dir: &Path, py: &str, arch: &str, m: usize, n: usize, k: usize, seed: u64) {
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
        ],
    );
    for df in ["os", "ws", "is"] {
        let c = dir.join(format!("c-{df}.npy"));
        let status = assert_cmd::Command::cargo_bin("systole")
            .unwrap()
            .args(["gemm", "--arch", arch, "--dataflow", df])
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
