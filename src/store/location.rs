//! Where the store lives: a URL chosen by configuration.
//!
//! - `file:///absolute/path` — a directory on the local file system (the
//!   default is `<data_dir>/store`);
//! - `s3://bucket` or `s3://bucket/prefix` — an S3-compatible bucket. Endpoint,
//!   region and credentials come from the standard `AWS_*` environment
//!   variables, as `object_store` reads them (`AWS_ENDPOINT`,
//!   `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`,
//!   `AWS_ALLOW_HTTP`, `AWS_VIRTUAL_HOSTED_STYLE_REQUEST`…), overridden by the
//!   `[s3]` section of the configuration when it sets them.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::prefix::PrefixStore;
use object_store::{BackoffConfig, ClientOptions, ObjectStore, RetryConfig};
use serde::{Deserialize, Serialize};

use super::StoreError;
use super::bucket::Bucket;
use crate::config::Secret;

/// A transient S3 failure is retried this many times…
const MAX_RETRIES: usize = 3;
/// …within this budget, so that an unreachable store answers 503 within
/// seconds instead of holding requests for minutes (object_store's default).
const RETRY_BUDGET: Duration = Duration::from_secs(10);
/// Budget of one S3 request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Budget of opening a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// S3 settings that override the `AWS_*` environment variables.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct S3Settings {
    /// Endpoint URL, e.g. `https://s3.fr-par.scw.cloud` or `http://127.0.0.1:8333`.
    pub endpoint: Option<String>,
    /// Region, e.g. `fr-par` (any value for stores that ignore it).
    pub region: Option<String>,
    /// Access key id.
    pub access_key_id: Option<String>,
    /// Secret access key.
    pub secret_access_key: Option<Secret>,
    /// Allow plain HTTP (loopback or a trusted network only).
    pub allow_http: Option<bool>,
    /// Virtual-hosted-style requests (`bucket.endpoint`) instead of path style.
    pub virtual_hosted_style: Option<bool>,
}

/// A parsed store URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A local directory.
    Local(PathBuf),
    /// An S3 bucket and an optional key prefix.
    S3 {
        /// Bucket name.
        bucket: String,
        /// Prefix under which acta writes (no leading or trailing slash).
        prefix: Option<String>,
    },
}

impl Location {
    /// Parse `file:///path` or `s3://bucket[/prefix]`.
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        let bad = |why: &str| StoreError::Location(format!("{url}: {why}"));
        if let Some(path) = url.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(bad("a file URL needs an absolute path (file:///…)"));
            }
            return Ok(Self::Local(PathBuf::from(path)));
        }
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = match rest.split_once('/') {
                Some((b, p)) => (b, Some(p.trim_matches('/')).filter(|p| !p.is_empty())),
                None => (rest, None),
            };
            let valid = (3..=63).contains(&bucket.len())
                && bucket
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
            if !valid {
                return Err(bad("invalid bucket name"));
            }
            return Ok(Self::S3 { bucket: bucket.to_owned(), prefix: prefix.map(str::to_owned) });
        }
        Err(bad("expected file:///path or s3://bucket[/prefix]"))
    }

    /// Open the backend, and for S3 the bucket behind it (for the requests
    /// `object_store` does not make, see [`Bucket`]).
    pub(super) fn open(&self, s3: &S3Settings) -> Result<(Arc<dyn ObjectStore>, Option<Bucket>), StoreError> {
        match self {
            Self::Local(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|source| StoreError::Open { path: dir.display().to_string(), source })?;
                Ok((Arc::new(durable_local(dir)?), None))
            }
            Self::S3 { bucket, prefix } => {
                let builder = s3_builder(bucket, s3);
                let s3_store = builder.clone().build()?;
                let raw = Bucket::new(&builder, s3_store.clone(), prefix.clone())?;
                let store: Arc<dyn ObjectStore> = match prefix {
                    Some(p) => Arc::new(PrefixStore::new(s3_store, p.as_str())),
                    None => Arc::new(s3_store),
                };
                Ok((store, Some(raw)))
            }
        }
    }
}

/// The local backend, durable: every write (create-only put, compare-and-swap,
/// multipart completion) fsyncs the staged file *before* linking it at its key,
/// then the directory that received the link and any directory it created, and
/// only then returns. Without this a write answered 201 survives a killed
/// process but not a power cut, and on ext4 (delayed allocation) a key linked
/// before its data reached the disk comes back empty after the cut: a
/// create-only key that could never be written again. Not a setting: acta
/// answers once the act is durable, whatever the store.
fn durable_local(dir: &std::path::Path) -> Result<LocalFileSystem, object_store::Error> {
    Ok(LocalFileSystem::new_with_prefix(dir)?.with_fsync(true))
}

fn s3_builder(bucket: &str, s: &S3Settings) -> AmazonS3Builder {
    let retry = RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            base: 2.0,
        },
        max_retries: MAX_RETRIES,
        retry_timeout: RETRY_BUDGET,
    };
    let client = ClientOptions::new().with_timeout(REQUEST_TIMEOUT).with_connect_timeout(CONNECT_TIMEOUT);
    // Timeouts first, then the AWS_* environment (read as `from_env` does),
    // which may override them: `with_client_options` after `from_env` would
    // silently drop AWS_ALLOW_HTTP and friends.
    let mut b = AmazonS3Builder::new().with_client_options(client).with_retry(retry);
    for (key, value) in std::env::vars() {
        if key.starts_with("AWS_")
            && let Ok(config_key) = key.to_ascii_lowercase().parse::<AmazonS3ConfigKey>()
        {
            b = b.with_config(config_key, value);
        }
    }
    b = b.with_bucket_name(bucket);
    if let Some(v) = &s.endpoint {
        b = b.with_endpoint(v);
    }
    if let Some(v) = &s.region {
        b = b.with_region(v);
    }
    if let Some(v) = &s.access_key_id {
        b = b.with_access_key_id(v);
    }
    if let Some(v) = &s.secret_access_key {
        b = b.with_secret_access_key(v.expose());
    }
    if let Some(v) = s.allow_http {
        b = b.with_allow_http(v);
    }
    if let Some(v) = s.virtual_hosted_style {
        b = b.with_virtual_hosted_style_request(v);
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_backend_syncs_every_write() {
        let dir = tempfile::tempdir().unwrap();
        // `LocalFileSystem` does not expose the flag but prints it: the
        // backend acta opens must be the fsyncing one.
        let backend = durable_local(dir.path()).unwrap();
        assert!(format!("{backend:?}").contains("fsync: true"), "{backend:?}");
        let (opened, _) = Location::Local(dir.path().join("s")).open(&S3Settings::default()).unwrap();
        assert!(format!("{opened:?}").contains("fsync: true"), "{opened:?}");
        let plain = LocalFileSystem::new_with_prefix(dir.path()).unwrap();
        assert!(format!("{plain:?}").contains("fsync: false"), "the check could not fail: {plain:?}");
    }

    #[test]
    fn store_urls_name_a_directory_or_a_bucket() {
        assert_eq!(Location::parse("file:///var/lib/acta").unwrap(), Location::Local("/var/lib/acta".into()));
        assert_eq!(
            Location::parse("s3://acta-archives/cdg62/").unwrap(),
            Location::S3 { bucket: "acta-archives".into(), prefix: Some("cdg62".into()) }
        );
        assert_eq!(
            Location::parse("s3://acta-archives").unwrap(),
            Location::S3 { bucket: "acta-archives".into(), prefix: None }
        );
        for bad in ["file://relative", "s3://A_B", "s3://ab", "http://x", "/var/lib/acta"] {
            assert!(Location::parse(bad).is_err(), "{bad}");
        }
    }
}
