//! The `commons` binary: parses the command line, sets up logging, and calls the library
//! `run`. Everything testable lives in the library half of this crate.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = commons::cli::Cli::parse();
    commons::init_tracing(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commons::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
