//! `systole`: the command-line front end. It parses arguments, calls the libraries and prints;
//! everything it reports is computed in `systole-sim`.
//!
//! Exit codes: 0 success; 2 bad input (flags, configs, workloads, `.npy` files) or a failed check;
//! 101 an internal error (a bug: please report it).

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
