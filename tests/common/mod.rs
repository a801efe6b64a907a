//! Helpers shared by the CLI tests (each test file uses some of them).
#![allow(dead_code)]

use std::process::Output;

use assert_cmd::Command;

/// The `systole` binary of this build.
pub fn systole() -> Command {
    Command::cargo_bin("systole").unwrap()
}

/// Runs systole, expects exit code 2 and a single-line `error: ...` on stderr containing all
/// of `needles`, and no panic.
pub fn fails_with<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(args: &[S], needles: &[&str]) {
    let out = systole().args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "args {args:?}: stderr {stderr}");
    assert!(!stderr.contains("panicked"), "panic for {args:?}: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line for {args:?}: {stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "`{n}` missing for {args:?}: {stderr}");
    }
}

/// Runs `cmd`, expects it to succeed (else fails with its exit code and stderr) and returns its
/// output.
pub fn succeeds(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: exit {:?}, stderr {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The Python interpreter with NumPy (`$PYTHON`, else `python3`); fails with a message saying how
/// to install it when NumPy is missing (scripts/test.sh installs it).
pub fn python_with_numpy() -> String {
    let py = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    let probe = std::process::Command::new(&py)
        .args(["-c", "import numpy; print(numpy.__version__)"])
        .output();
    match probe {
        Ok(o) if o.status.success() => py,
        Ok(o) => panic!(
            "numpy is not importable by `{py}` ({}); run scripts/test.sh, which installs it, or `{py} -m pip install numpy`",
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => panic!("cannot run `{py}`: {e}; python3 with numpy is needed for this test"),
    }
}

/// Runs a Python `script` with `args`; fails with its output unless it succeeds. Returns stdout.
pub fn run_py(py: &str, script: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(py)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
