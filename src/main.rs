//! The `acta` binary: parse the command line, set up logging, run.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    acta::telemetry::init("info");
    let cli = acta::cli::Cli::parse();
    match cli.run().await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("erreur : {:#}", anyhow::Error::new(e));
            ExitCode::FAILURE
        }
    }
}
