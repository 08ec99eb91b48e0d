//! The `kiqlab` binary: parse the command line, start logging, run the subcommand.

use std::process::ExitCode;

use clap::Parser;
use kiqlab::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let quiet_jobs = matches!(cli.command, kiqlab::cli::Command::Bench(_));
    kiqlab::telemetry::init(cli.verbose, cli.log_format, quiet_jobs);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kiqlab: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli.command.run()) {
        Ok(()) => ExitCode::SUCCESS,
        // `kiqlab stats | head`: the reader has all it wanted.
        Err(e) if kiqlab::telemetry::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kiqlab: {e:#}");
            ExitCode::FAILURE
        }
    }
}
