//! Settings: one typed tree, layered from lowest to highest priority:
//! 1. defaults in code ([`Settings::default`]),
//! 2. an optional TOML file (`acta.toml` in the working directory, or the file named
//!    by `--config` / `ACTA_CONFIG`),
//! 3. `ACTA_…` environment variables (`ACTA_DATA_DIR`, `ACTA_LISTEN`; nested keys use
//!    a double underscore, e.g. `ACTA_SEARCH__COMMIT_EVERY`),
//! 4. command-line flags.
//!
//! Unknown keys are rejected so that a typo in `acta.toml` fails at start-up
//! instead of being silently ignored. Every field is documented in
//! `docs/configuration.md`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::store::S3Settings;

/// Default configuration file, looked up in the working directory.
pub const DEFAULT_CONFIG_FILE: &str = "acta.toml";

/// The whole configuration of an acta process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Directory holding the local object store (`store/`) and the search index
    /// (`index/`). Created if missing.
    pub data_dir: PathBuf,
    /// Address the HTTP server listens on. Port 0 picks a free port.
    pub listen: SocketAddr,
    /// Directory of Typst templates to use instead of the ones built into the
    /// binary (for template authors). `None` uses the built-in templates.
    pub templates_dir: Option<PathBuf>,
    /// Directory of JSON Schemas matching `templates_dir`. `None` uses the
    /// built-in schemas.
    pub schemas_dir: Option<PathBuf>,
    /// JSON file listing the collectivités served by this instance. `None` uses
    /// the demo collectivités built from `fixtures/collectivites.json`.
    pub collectivites_file: Option<PathBuf>,
    /// JSON file of the archiving configuration (SEDA profile, management
    /// rules, agencies per collectivité; see docs/seda.md). `None` uses the
    /// built-in rules and placeholder agencies.
    pub archive_file: Option<PathBuf>,
    /// Directory of the logos named by the collectivités' profiles. `None`
    /// uses the demo logos of `fixtures/logos`.
    pub logos_dir: Option<PathBuf>,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Largest campaign file accepted through `POST /api/v1/campaigns` (and
    /// the web pages' campaign upload), in bytes; never below
    /// `max_body_bytes`. A CSV row of a promotion wave is ~200 bytes, a JSON
    /// Lines row 1.2 to 1.5 KB: the default takes 20,500 rows in any format.
    pub campaign_max_upload_bytes: usize,
    /// Hours a campaign file sent in the web pages is kept
    /// (`<data_dir>/campaign-uploads/`) when no campaign recorded from it
    /// has been made completely (that deletes it at once).
    pub campaign_upload_retention_hours: u64,
    /// Object store URL: `file:///absolute/path` or `s3://bucket[/prefix]`.
    /// `None` stores under `<data_dir>/store`.
    pub store: Option<String>,
    /// S3 settings; unset fields come from the `AWS_*` environment variables.
    pub s3: S3Settings,
    /// Accept a store that does not honour conditional writes by enforcing
    /// create-only in this process. Only safe when no other acta process writes
    /// to the same store.
    pub single_writer: bool,
    /// The electronic seal and the register log's keys.
    pub seal: SealSettings,
    /// Connection limits of the HTTP server.
    pub http: HttpSettings,
    /// Render limits and scheduling (see `crate::render::limits`).
    pub render: crate::render::RenderSettings,
    /// The web application: public address, cookies, sessions, login throttle.
    pub web: crate::web::WebSettings,
}

/// Connection hygiene of the HTTP server (see `crate::http::server`): how long
/// a client may take, and how many connections are served at once. Every
/// timeout closes the connection; none of them bounds a handler's own work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSettings {
    /// Seconds a client has to send a request's complete headers, counted
    /// from its first byte.
    pub header_read_timeout_secs: u64,
    /// Seconds a request body may take to arrive, in total (a trickled body
    /// is cut, not only a stalled one).
    pub body_read_timeout_secs: u64,
    /// Seconds a connection may stay silent: waiting for a request (keep-alive
    /// or a fresh connection that sends nothing), or not reading a response.
    pub idle_timeout_secs: u64,
    /// Connections served at once; further ones wait in the kernel's accept
    /// queue until one closes.
    pub max_connections: usize,
    /// Connections served at once from one client address (0: no cap);
    /// further ones are closed as soon as accepted. Leave it at 0 behind a
    /// reverse proxy (every connection comes from the proxy).
    pub max_connections_per_address: usize,
    /// Bytes of request bodies being received or handled at once, all
    /// requests together; beyond it a request is answered `503 server_busy`.
    pub body_budget_bytes: u64,
    /// Least bytes per second a request body must arrive at, measured over
    /// each window of `body_rate_window_secs` once a handler reads it; a
    /// slower body is answered 408 and its connection closed. 0: no minimum.
    pub body_min_rate_bytes_per_sec: u64,
    /// The window, in seconds, of the minimum body rate (also its grace: a
    /// body is never cut before this many seconds).
    pub body_rate_window_secs: u64,
    /// Bytes of sealed PDFs kept in memory to serve them without reading the
    /// store (least recently used first out; 0: no cache). See
    /// `crate::service::pdf_cache`.
    pub pdf_cache_bytes: u64,
    /// Milliseconds a token found not revoked is trusted before the store is
    /// asked again: the longest a revocation made by *another* process (the
    /// `acta tokens revoke` command, another server) takes to be honoured
    /// here. A revocation made through this process applies at once. 0: the
    /// store is asked on every request.
    pub token_revocation_recheck_ms: u64,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            header_read_timeout_secs: 10,
            body_read_timeout_secs: 60,
            idle_timeout_secs: 60,
            max_connections: 1024,
            max_connections_per_address: 0,
            body_budget_bytes: 128 * 1024 * 1024,
            body_min_rate_bytes_per_sec: 1024,
            body_rate_window_secs: 10,
            pdf_cache_bytes: 64 * 1024 * 1024,
            token_revocation_recheck_ms: 1_000,
        }
    }
}

/// Keys of the electronic seal (PAdES) and of the register log.
///
/// With nothing configured, acta runs on a *test* PKI generated in
/// `<data_dir>/keys` at first start (the same files `acta keys init` writes):
/// fine for trying acta, never for real acts. Production sets `p12` (a seal
/// certificate from a qualified provider) and `tsa_url`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SealSettings {
    /// Directory of the generated keys; `None` is `<data_dir>/keys`. Processes
    /// sharing one store must share these keys (the log key above all).
    pub keys_dir: Option<PathBuf>,
    /// PKCS#12 file holding the seal key and its certificate chain. `None`
    /// uses (and if needed generates) the test PKI of `keys_dir`.
    pub p12: Option<PathBuf>,
    /// Password of `p12`.
    pub p12_password: Option<Secret>,
    /// RFC 3161 timestamping service: seals are PAdES B-T when set, B-B otherwise.
    pub tsa_url: Option<String>,
    /// PEM file of the certificates `acta verify` trusts as roots; `None` is
    /// `keys_dir/root.pem`.
    pub trust_roots: Option<PathBuf>,
    /// Ed25519 key signing the register log's checkpoints (signed-note private
    /// key format); `None` is `keys_dir/log.key`.
    pub log_key: Option<PathBuf>,
    /// Name of the register log, the first line of every checkpoint. Changing
    /// it starts a new log identity: set it once.
    pub log_origin: String,
    /// Time budget of one seal verification (`POST /api/v1/verify`, `acta
    /// verify`), in milliseconds, waiting for a free verifier included; past
    /// it the caller gets `503 verification_timeout`.
    pub verify_timeout_ms: u64,
}

impl Default for SealSettings {
    fn default() -> Self {
        Self {
            keys_dir: None,
            p12: None,
            p12_password: None,
            tsa_url: None,
            trust_roots: None,
            log_key: None,
            log_origin: "acta.localhost/registre/v1".to_owned(),
            verify_timeout_ms: 5_000,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            templates_dir: None,
            schemas_dir: None,
            collectivites_file: None,
            archive_file: None,
            logos_dir: None,
            max_body_bytes: 2 * 1024 * 1024,
            campaign_max_upload_bytes: 48 * 1024 * 1024,
            campaign_upload_retention_hours: 7 * 24,
            store: None,
            s3: S3Settings::default(),
            single_writer: false,
            seal: SealSettings::default(),
            http: HttpSettings::default(),
            render: crate::render::RenderSettings::default(),
            web: crate::web::WebSettings::default(),
        }
    }
}

/// Values given on the command line; `None` leaves the lower layers in force.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Overrides {
    /// `--data-dir`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// `--listen`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// `--store`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
}

/// A secret value (a key, a password): never printed by `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The configuration could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A named configuration file does not exist.
    #[error("configuration file {0} not found")]
    MissingFile(PathBuf),
    /// A layer holds a bad value or an unknown key.
    #[error("invalid configuration: {0}")]
    Invalid(#[from] Box<figment::Error>),
}

impl Settings {
    /// Assemble the layers. `config_file` is an explicitly named file (it must
    /// exist); otherwise `acta.toml` is read if present.
    pub fn load(config_file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match config_file {
            Some(path) if !path.exists() => return Err(ConfigError::MissingFile(path.into())),
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => {
                figment = figment.merge(Toml::file_exact(DEFAULT_CONFIG_FILE));
            }
            None => {}
        }
        figment
            .merge(Env::prefixed("ACTA_").ignore(&["CONFIG"]).split("__"))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(|e| ConfigError::Invalid(Box::new(e)))
    }

    /// Where the local object store lives.
    pub fn store_dir(&self) -> PathBuf {
        self.data_dir.join("store")
    }

    /// Where the search index lives (derived data: it can be deleted and rebuilt).
    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }

    /// Where the seal and log keys live by default.
    pub fn keys_dir(&self) -> PathBuf {
        self.seal.keys_dir.clone().unwrap_or_else(|| self.data_dir.join("keys"))
    }
}

#[cfg(test)]
// figment's Jail closures return its large error type; that is its API.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order_file_then_env_then_flags() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("acta.toml", "data_dir = \"from-file\"\nlisten = \"127.0.0.1:9000\"")?;
            jail.set_env("ACTA_LISTEN", "127.0.0.1:9001");
            let s = Settings::load(None, &Overrides::default()).unwrap();
            assert_eq!(s.data_dir, PathBuf::from("from-file"));
            assert_eq!(s.listen.port(), 9001);

            let flags = Overrides { data_dir: Some("from-flag".into()), ..Overrides::default() };
            let s = Settings::load(None, &flags).unwrap();
            assert_eq!(s.data_dir, PathBuf::from("from-flag"));
            Ok(())
        });
    }

    #[test]
    fn an_unknown_key_is_an_error_not_a_silent_default() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("acta.toml", "data_dri = \"typo\"")?;
            assert!(Settings::load(None, &Overrides::default()).is_err());
            Ok(())
        });
    }

    #[test]
    fn s3_settings_come_from_the_file_and_secrets_are_not_printed() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "acta.toml",
                "store = \"s3://acta/cdg\"\n[s3]\nendpoint = \"http://127.0.0.1:8333\"\nsecret_access_key = \"hush\"",
            )?;
            let s = Settings::load(None, &Overrides::default()).unwrap();
            assert_eq!(s.store.as_deref(), Some("s3://acta/cdg"));
            assert_eq!(s.s3.secret_access_key.as_ref().unwrap().expose(), "hush");
            assert!(!format!("{s:?}").contains("hush"));
            Ok(())
        });
    }

    #[test]
    fn connection_limits_come_from_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("ACTA_HTTP__IDLE_TIMEOUT_SECS", "3");
            jail.set_env("ACTA_HTTP__MAX_CONNECTIONS", "50");
            let s = Settings::load(None, &Overrides::default()).unwrap();
            assert_eq!(s.http.idle_timeout_secs, 3);
            assert_eq!(s.http.max_connections, 50);
            assert_eq!(s.http.header_read_timeout_secs, HttpSettings::default().header_read_timeout_secs);
            Ok(())
        });
    }

    #[test]
    fn defaults_serve_a_newcomer() {
        figment::Jail::expect_with(|_| {
            let s = Settings::load(None, &Overrides::default()).unwrap();
            assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
            assert_eq!(s.data_dir, PathBuf::from("data"));
            Ok(())
        });
    }
}
