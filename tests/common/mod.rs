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
pub fn fails_with(args: &[&str], needles: &[&str]) {
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
