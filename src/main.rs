//! The `acta` binary: parse the command line, set up logging, run.

use std::process::ExitCode;

use clap::Parser;

/// jemalloc, whose background threads give freed memory back to the OS within
/// seconds (glibc keeps what its per-thread arenas once held).
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    acta::telemetry::init("info");
    #[cfg(feature = "jemalloc")]
    if let Err(e) = tikv_jemalloc_ctl::background_thread::write(true) {
        tracing::warn!(error = %e, "jemalloc background purging unavailable");
    }
    let cli = acta::cli::Cli::parse();
    match cli.run().await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("erreur : {:#}", anyhow::Error::new(e));
            ExitCode::FAILURE
        }
    }
}
