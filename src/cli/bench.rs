//! `acta bench …`: each benchmark is a thin call into [`crate::bench`] or
//! [`crate::search::bench`]; figures are printed, never asserted.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use serde_json::Value;

use super::CliError;
use crate::config::Settings;
use crate::service::{Acta, ServiceError};

/// The benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Render every fixture as a draft: cold latency; one-page acts/s over the
    /// whole library and docs/s, pages/s of the whole library on 1 and 2
    /// threads; docs/s and pages/s per template; peak RSS.
    Render {
        /// Directory of request bodies.
        #[arg(long, default_value = "fixtures/acts", value_name = "DIR")]
        fixtures: PathBuf,
        /// Documents rendered per run (one-page acts, then the whole library,
        /// each on 1 and 2 threads).
        #[arg(long, default_value_t = 500)]
        docs: usize,
        /// What changes from one document to the next: the people only (a
        /// batch for one collectivité) or the collectivité too.
        #[arg(long, value_enum, default_value_t = crate::bench::Mix::Agents)]
        mix: crate::bench::Mix,
    },
    /// Create-only writes of sealed-act-sized objects on the configured store
    /// (`--store`): p50 / p99 latency.
    Store {
        /// Objects written.
        #[arg(long, default_value_t = 500)]
        count: usize,
        /// Size of each object, in KiB.
        #[arg(long, default_value_t = 40)]
        size_kb: usize,
        /// Instead: stream one object of this many MiB up then down (in
        /// parts, generated on the fly): MB/s both ways and peak RSS.
        #[arg(long, value_name = "MIB")]
        stream_mib: Option<usize>,
    },
    /// Generate fictitious acts straight into a fresh search index (no HTTP, no
    /// store): acts/s, peak RSS, index size.
    Corpus {
        /// Acts generated.
        #[arg(long, default_value_t = 100_000)]
        count: usize,
        /// Index directory (emptied first).
        #[arg(long, default_value = "bench-out/index", value_name = "DIR")]
        index: PathBuf,
        /// Indexing threads.
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// Writer memory budget, in MB (all threads together).
        #[arg(long, default_value_t = 128)]
        heap_mb: usize,
        /// Do not merge segments while indexing.
        #[arg(long)]
        no_merge: bool,
    },
    /// The seal step (PAdES B-B, hashes, log append, batched integration) and
    /// a verification, in a throw-away data directory.
    Seal {
        /// Acts sealed.
        #[arg(long, default_value_t = 1_000)]
        count: usize,
        /// Leaves per log integration.
        #[arg(long, default_value_t = 100)]
        batch: usize,
        /// The request body rendered once and sealed `count` times.
        #[arg(long, default_value = "fixtures/acts/arrete-avancement-echelon.json", value_name = "FILE")]
        fixture: PathBuf,
    },
    /// A SEDA SIP of `count` sealed acts written to local disk, in a throw-away
    /// data directory (fixture shortcut: one act sealed, copies stored
    /// directly): time, MB/s, peak RSS of a fresh process.
    Sip {
        /// Acts in the SIP.
        #[arg(long, default_value_t = 10_000)]
        count: usize,
        /// The request body sealed once and copied.
        #[arg(long, default_value = "fixtures/acts/arrete-avancement-echelon.json", value_name = "FILE")]
        fixture: PathBuf,
        /// Internal: measure on the prepared data directory, for this SIREN.
        #[arg(long, hide = true, value_name = "SIREN")]
        measure: Option<String>,
    },
    /// The transfers list (one page) over `count` transfers stored in a
    /// throw-away data directory: first listing, then medians.
    Transfers {
        /// Transfers stored.
        #[arg(long, default_value_t = 5_000)]
        count: usize,
    },
    /// Export the corpus of `bench corpus` and the typical queries of `bench
    /// search` as TSV files for the PostgreSQL peer figure
    /// (`scripts/bench-postgres.sh` runs this, then PostgreSQL).
    PeerExport {
        /// Acts exported.
        #[arg(long, default_value_t = 100_000)]
        count: usize,
        /// Timed queries exported (plus the warm-up ones).
        #[arg(long, default_value_t = 1_000)]
        queries: usize,
        /// Directory receiving acts.tsv and queries.tsv.
        #[arg(long, default_value = "bench-out/peer", value_name = "DIR")]
        out: PathBuf,
    },
    /// One collectivité sends long drafts (≈ 300-page procès-verbaux) while
    /// another creates one-page acts, over HTTP: the latter's p50 / p99, peak
    /// RSS, RSS after the burst.
    Fairness {
        /// Long drafts sent at once.
        #[arg(long, default_value_t = 4)]
        heavy: usize,
        /// Discussion paragraphs per affaire of a long draft (14 ≈ 300 pages,
        /// 1.8 MB).
        #[arg(long, default_value_t = 14)]
        discussions: usize,
        /// Gestionnaires of the other collectivité creating one-page acts at once.
        #[arg(long, default_value_t = 2)]
        light_clients: usize,
        /// Seconds of idle observation of memory after the burst.
        #[arg(long, default_value_t = 60)]
        settle_secs: u64,
        /// The procès-verbal the long drafts are made from.
        #[arg(long, default_value = "fixtures/acts/proces-verbal-seance.json", value_name = "FILE")]
        pv: PathBuf,
        /// The one-page act (of another collectivité).
        #[arg(long, default_value = "fixtures/acts/arrete-avancement-echelon.json", value_name = "FILE")]
        light: PathBuf,
        /// Drive this running server (on `--data-dir`) instead of starting one.
        #[arg(long, requires = "pid")]
        url: Option<String>,
        /// Process id of the `--url` server, for its memory.
        #[arg(long, requires = "url")]
        pid: Option<u32>,
    },
    /// The per-act API pipeline: `clients` concurrent clients each creating
    /// then sealing one-page arrêtés over HTTP (in-process server, throw-away
    /// data directory): acts/s, p50 / p99 per call, RSS, then an audit.
    Api {
        /// Acts timed.
        #[arg(long, default_value_t = 1_000)]
        acts: usize,
        /// Concurrent clients.
        #[arg(long, default_value_t = 4)]
        clients: usize,
        /// The one-page request the acts are made from (a new agent each).
        #[arg(long, default_value = "fixtures/acts/arrete-avancement-echelon.json", value_name = "FILE")]
        fixture: PathBuf,
    },
    /// A campaign of `rows` one-page arrêtés from a CSV: checked, then made
    /// (numbered, sealed, stored, logged, indexed) in a throw-away data
    /// directory, on a throw-away local store unless `--store URL` is given:
    /// acts/s, time per stage, peak RSS.
    Campaign {
        /// Rows (acts).
        #[arg(long, default_value_t = 1_000)]
        rows: usize,
    },
    /// The pages as a logged-in browser gets them over HTTP (a throw-away
    /// application in this process): p50 / p99 per page; and the live
    /// « Aperçu » of a one-page act, from the form posted to its PNG.
    Pages {
        /// Timed requests per page.
        #[arg(long, default_value_t = 200)]
        rounds: usize,
        /// Timed live previews.
        #[arg(long, default_value_t = 50)]
        previews: usize,
        /// The act of the draft, the sealed act and the previews.
        #[arg(long, default_value = "fixtures/acts/arrete-avancement-echelon.json", value_name = "FILE")]
        fixture: PathBuf,
    },
    /// Time typical queries on an index made by `bench corpus`: p50 / p99.
    Search {
        /// Index directory.
        #[arg(long, default_value = "bench-out/index", value_name = "DIR")]
        index: PathBuf,
        /// Queries timed per kind of query.
        #[arg(long, default_value_t = 1_000)]
        queries: usize,
    },
}

/// Run one benchmark and print its report.
pub(super) async fn run(
    settings: &Settings,
    what: BenchCommand,
    cli_store: Option<String>,
) -> Result<ExitCode, CliError> {
    match what {
        BenchCommand::Store { count, size_kb, stream_mib } => {
            let acta = Acta::open(settings)?;
            match stream_mib {
                Some(mib) => print!("{}", crate::bench::stream(acta.store(), mib).await?),
                None => print!("{}", crate::bench::store(acta.store(), count, size_kb * 1024).await?),
            }
        }
        BenchCommand::Corpus { count, index, threads, heap_mb, no_merge } => {
            let options =
                crate::search::WriterOptions { threads, heap_bytes: heap_mb * 1_000_000, merge: !no_merge };
            print!("{}", crate::search::bench::corpus(&index, count, options).map_err(ServiceError::from)?);
        }
        BenchCommand::Seal { count, batch, fixture } => {
            print!("{}", crate::bench::seal(settings, &read_json(&fixture)?, count, batch).await?);
        }
        BenchCommand::Sip { measure: Some(siren), .. } => {
            print!("{}", crate::bench::sip::measure(settings, &settings.data_dir, &siren).await?);
        }
        BenchCommand::Sip { count, fixture, measure: None } => {
            print!("{}", crate::bench::sip::run(settings, &read_json(&fixture)?, count).await?);
        }
        BenchCommand::Transfers { count } => {
            print!("{}", crate::bench::transfers::run(settings, count).await?);
        }
        BenchCommand::PeerExport { count, queries, out } => {
            crate::search::bench::peer::export(&out, count, queries).map_err(ServiceError::from)?;
            println!("{}", out.display());
        }
        BenchCommand::Pages { rounds, previews, fixture } => {
            print!("{}", crate::bench::pages(settings, &read_json(&fixture)?, rounds, previews).await?);
        }
        BenchCommand::Search { index, queries } => {
            print!("{}", crate::search::bench::search(&index, queries).map_err(ServiceError::from)?);
        }
        BenchCommand::Fairness { heavy, discussions, light_clients, settle_secs, pv, light, url, pid } => {
            let external = url.zip(pid).map(|(url, pid)| crate::bench::External { url, pid });
            let opts = crate::bench::FairnessOptions {
                heavy,
                discussions,
                light_clients,
                settle_secs,
                pv_fixture: read_json(&pv)?,
                light_fixture: read_json(&light)?,
                external,
            };
            print!("{}", crate::bench::fairness(settings, opts).await?);
        }
        BenchCommand::Api { acts, clients, fixture } => {
            print!("{}", crate::bench::api::api(settings, &read_json(&fixture)?, acts, clients).await?);
        }
        BenchCommand::Campaign { rows } => {
            // Only a store named on the command line (`--store`, ACTA_STORE)
            // receives the bench's acts, never one from a configuration file.
            print!("{}", crate::bench::campaign::campaign(settings, rows, cli_store).await?);
        }
        BenchCommand::Render { fixtures, docs, mix } => {
            let acta = Acta::open(settings)?;
            let fixtures = crate::bench::load_fixtures(&fixtures)?;
            print!("{}", crate::bench::render(&acta, &fixtures, docs, mix)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A request body read from a JSON file.
fn read_json(path: &Path) -> Result<Value, CliError> {
    let text = std::fs::read(path).map_err(|source| CliError::File { path: path.to_owned(), source })?;
    serde_json::from_slice(&text).map_err(|source| CliError::Json { path: path.to_owned(), source })
}
