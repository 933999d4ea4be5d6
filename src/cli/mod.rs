//! The command line: `acta serve | doctor | templates | render | search | reindex |
//! verify | audit | keys | store | bench | tokens | users | archive | campaign`.
//!
//! Each command is a thin call into the library; errors travel up as
//! [`CliError`] and `main` prints them with their causes.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde_json::Value;

use crate::config::{ConfigError, Overrides, Settings};
use crate::service::{Acta, OpenError, ServiceError};
use crate::startup::{Application, StartupError};

mod archive;
mod bench;
mod campaign;
mod ops;
mod seal;
mod tokens;
mod users;

pub use bench::BenchCommand;
use ops::{doctor, reindex, search, store_copy};

/// acta — official acts of French local government: generate, seal, index,
/// store and archive arrêtés, délibérations, convocations and procès-verbaux.
#[derive(Debug, Parser)]
#[command(name = "acta", version, about, long_about = None)]
pub struct Cli {
    /// Data directory: local object store and search index [default: ./data]
    #[arg(long, global = true, env = "ACTA_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Object store URL: file:///path or s3://bucket[/prefix] [default: DATA_DIR/store]
    #[arg(long, global = true, env = "ACTA_STORE", value_name = "URL")]
    pub store: Option<String>,

    /// Configuration file [default: ./acta.toml if it exists]
    #[arg(long, global = true, env = "ACTA_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service: the web application at /, the API under
    /// /api/v1, health at /health. On an instance without accounts, prints
    /// a one-time link to create the administrator.
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080]
        #[arg(long, env = "ACTA_LISTEN", value_name = "ADDR")]
        listen: Option<SocketAddr>,
    },
    /// Check the installation: configuration, templates, and whether the object
    /// store honours the conditional writes acta's guarantees rest on.
    Doctor,
    /// List the act templates: one line per template, id then description.
    Templates,
    /// Render a draft PDF ("PROJET", no number) from a request body, as sent to
    /// POST /api/v1/acts; nothing is stored.
    Render {
        /// The request body (JSON file: template, collectivite, data).
        #[arg(long, value_name = "FILE")]
        input: PathBuf,
        /// Where to write the PDF.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Operate on the object store.
    Store {
        /// What to do.
        #[command(subcommand)]
        what: StoreCommand,
    },
    /// Measure performance on this machine (figures are printed, not checked).
    Bench {
        /// What to measure.
        #[command(subcommand)]
        what: BenchCommand,
    },
    /// Search the acts of the data directory and print the best hits.
    Search {
        /// Query: words, "exact phrases", AND / OR, -excluded; empty for all.
        query: Vec<String>,
        /// Most hits to print.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// A parameter of GET /api/v1/search, e.g. `collectivite=216295105`,
        /// `year_from=2020`, `sort=date_desc` (repeatable).
        #[arg(long = "param", short = 'p', value_name = "KEY=VALUE")]
        params: Vec<String>,
        /// See only the acts of this collectivité (SIREN; repeatable), as a
        /// caller with that scope would.
        #[arg(long = "scope", value_name = "SIREN")]
        scope: Vec<crate::domain::Siren>,
        /// Search and show no personal data (agents' names, matricules).
        #[arg(long)]
        no_personal_data: bool,
        /// Also print the facet counts.
        #[arg(long)]
        facets: bool,
    },
    /// Rebuild the search index from the store (stop the server first: the
    /// index has one writer).
    Reindex,
    /// Verify a PDF: its electronic seal, the act it is and its inscription in
    /// the register log. Prints the verdict in French (stderr) and as JSON
    /// (stdout); exit code 0 only when the document is a genuine sealed act.
    Verify {
        /// The PDF to verify.
        file: PathBuf,
    },
    /// Check the whole store: every register number present, every sealed PDF
    /// unaltered and validly sealed, every act in the register log, the log
    /// consistent with every checkpoint kept. Exit code 0 only if all hold.
    Audit {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Manage the seal and register-log keys.
    Keys {
        /// What to do.
        #[command(subcommand)]
        what: KeysCommand,
    },
    /// Manage the accounts of the web application (create, list, disable,
    /// enable, reset), kept in the object store.
    Users {
        /// What to do.
        #[command(subcommand)]
        what: users::UsersCommand,
    },
    /// Transfer sealed acts to electronic archiving (SEDA 2.2) and ingest replies.
    Archive {
        /// What to do.
        #[command(subcommand)]
        what: archive::ArchiveCommand,
    },
    /// Campaigns: many acts from a spreadsheet, checked row by row before
    /// any is made, then made (resumable), and delivered per collectivité.
    Campaign {
        /// What to do.
        #[command(subcommand)]
        what: campaign::CampaignCommand,
    },
    /// Manage API tokens (create, list, revoke), kept in the object store.
    Tokens {
        /// What to do.
        #[command(subcommand)]
        what: tokens::TokensCommand,
    },
}

/// Key management.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Generate a *test* PKI (root CA, seal certificate in a PKCS#12 file,
    /// timestamping certificate) and a register-log key; never overwrites.
    Init {
        /// Directory [default: the configured keys directory, DATA_DIR/keys]
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// Object-store operations.
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Copy every object of the configured store to another one (e.g. local →
    /// S3), verifying each; run it again to resume; never overwrites.
    Copy {
        /// Target store URL: file:///path or s3://bucket[/prefix] (S3 settings
        /// as for the configured store: [s3] section or AWS_* variables).
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

/// A command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Settings could not be loaded.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The core could not be opened.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The service could not start.
    #[error(transparent)]
    Startup(#[from] StartupError),
    /// A use case failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// A file could not be read or written.
    #[error("{path}")]
    File {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The input file is not JSON.
    #[error("{path}: not valid JSON")]
    Json {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: serde_json::Error,
    },
    /// Serving failed.
    #[error("server error: {0}")]
    Serve(std::io::Error),
    /// A store copy failed.
    #[error(transparent)]
    Copy(#[from] crate::store::copy::CopyError),
    /// A benchmark failed.
    #[error(transparent)]
    Bench(#[from] crate::bench::BenchError),
    /// Keys could not be generated or loaded.
    #[error(transparent)]
    Keys(#[from] crate::keys::KeyError),
    /// A token operation failed.
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
    /// An account operation failed.
    #[error(transparent)]
    Users(#[from] crate::auth::UserError),
    /// The request was refused (French reason, for the person at the console).
    #[error("{0}")]
    Refused(String),
    /// A transfer failed.
    #[error(transparent)]
    Archive(#[from] crate::service::archive::ArchiveError),
}

impl Cli {
    /// Run the command.
    pub async fn run(self) -> Result<ExitCode, CliError> {
        let listen = match &self.command {
            Command::Serve { listen } => *listen,
            _ => None,
        };
        let overrides = Overrides { data_dir: self.data_dir.clone(), listen, store: self.store.clone() };
        let cli_store = self.store.clone();
        let settings = Settings::load(self.config.as_deref(), &overrides)?;
        match self.command {
            Command::Serve { .. } => {
                let app = Application::build(settings).await?;
                app.run_until_stopped().await.map_err(CliError::Serve)?;
                Ok(ExitCode::SUCCESS)
            }
            Command::Doctor => doctor(&settings).await,
            Command::Templates => {
                let acta = Acta::open(&settings)?;
                let mut out = std::io::stdout().lock();
                for t in acta.catalog().iter() {
                    let _ = writeln!(out, "{}\t{}", t.id, t.description);
                }
                Ok(ExitCode::SUCCESS)
            }
            Command::Render { input, out } => render(&settings, &input, &out),
            Command::Store { what: StoreCommand::Copy { to } } => store_copy(&settings, &to).await,
            Command::Bench { what } => bench::run(&settings, what, cli_store).await,
            Command::Search { query, limit, params, scope, no_personal_data, facets } => {
                let acta = Acta::open(&settings)?;
                search(&acta, &query.join(" "), limit, &params, scope, no_personal_data, facets).await
            }
            Command::Reindex => reindex(&settings).await,
            Command::Verify { file } => seal::verify(&settings, &file).await,
            Command::Audit { json } => seal::audit(&settings, json).await,
            Command::Keys { what: KeysCommand::Init { dir } } => seal::keys_init(&settings, dir),
            Command::Tokens { what } => tokens::run(&settings, what).await,
            Command::Users { what } => users::run(&settings, what).await,
            Command::Archive { what } => archive::run(&settings, what).await,
            Command::Campaign { what } => campaign::run(&settings, what).await,
        }
    }
}

/// Exit code of `acta render` when the request is invalid (as opposed to 1 for
/// other failures), so that scripts can tell "fix your data" from "broken".
const EXIT_INVALID: u8 = 3;

fn render(settings: &Settings, input: &PathBuf, out: &PathBuf) -> Result<ExitCode, CliError> {
    let text = std::fs::read(input).map_err(|source| CliError::File { path: input.clone(), source })?;
    let body: Value =
        serde_json::from_slice(&text).map_err(|source| CliError::Json { path: input.clone(), source })?;
    let acta = Acta::open(settings)?;
    // Drafts rendered from the command line are dated today at midnight UTC, so
    // rendering the same file twice on one day gives the same bytes.
    let today = time::OffsetDateTime::now_utc().replace_time(time::Time::MIDNIGHT);
    match acta.preview(&body, today) {
        Ok(pdf) => {
            std::fs::write(out, pdf).map_err(|source| CliError::File { path: out.clone(), source })?;
            Ok(ExitCode::SUCCESS)
        }
        Err(ServiceError::Invalid(errors)) => {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "Données invalides ({} champ(s) à corriger) :", errors.len());
            for e in errors {
                let _ = writeln!(err, "  {} : {}", e.path, e.message);
            }
            Ok(ExitCode::from(EXIT_INVALID))
        }
        Err(ServiceError::ProfileIncomplete { message, .. }) => {
            let _ = writeln!(std::io::stderr().lock(), "Profil de collectivité incomplet :\n  {message}");
            Ok(ExitCode::from(EXIT_INVALID))
        }
        Err(ServiceError::TooManyPages { pages, max }) => {
            let pages = pages.map_or_else(|| "trop de".to_owned(), |n| n.to_string());
            let _ = writeln!(
                std::io::stderr().lock(),
                "Acte trop long : {pages} pages, pour {max} au plus (render.max_pages)"
            );
            Ok(ExitCode::from(EXIT_INVALID))
        }
        Err(e) => Err(e.into()),
    }
}
