//! `systole`: the command-line front end. It parses arguments, calls the libraries, prints, and
//! draws the report's plots ([`plots`]); every number it reports is computed in `systole-sim`.
//!
//! Exit codes: 0 success; 2 bad input (flags, configs, workloads, `.npy` files) or a failed check;
//! 101 an internal error (a bug: please report it).

mod cli;
mod plots;

use std::process::ExitCode;

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so printing into a closed pipe (`systole run | head`) would panic;
    // restore the default action: the process ends quietly, as other command-line tools do.
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to its default before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let args = match cli::Cli::try_parse_args() {
        Ok(a) => a,
        Err(e) if e.use_stderr() => {
            // A usage error: keep what says what is wrong, on one line (no usage block).
            let text = e.render().to_string();
            let parts: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
                .collect();
            eprintln!("{} (see --help)", parts.join(" "));
            return ExitCode::from(2);
        }
        Err(e) => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
    };
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
