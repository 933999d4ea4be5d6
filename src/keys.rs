//! Key material: the seal signer, the roots `acta verify` trusts, and the
//! register log's checkpoint key, loaded as the settings say.
//!
//! *Test keys*: with no PKCS#12 configured, acta uses a test PKI in the keys
//! directory (root CA, seal certificate, timestamping certificate: see
//! [`crate::seal::pki`]) and a log key, generating them at first start, so that
//! `acta serve` works on a fresh machine. A test seal proves integrity but not
//! origin: nobody outside trusts its root. Production configures `seal.p12`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::Settings;
use crate::seal::{self, SealError, Sealer};
use crate::tlog::{NoteError, NoteSigner};

/// File names in the keys directory.
const LOG_KEY: &str = "log.key";
const ROOT: &str = "root.pem";
const SEAL_P12: &str = "seal.p12";

/// Keys could not be loaded or generated.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The seal key or certificates are unusable.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// The log key is unusable.
    #[error("register log key {}: {source}", path.display())]
    LogKey {
        /// The file.
        path: PathBuf,
        /// Why.
        source: NoteError,
    },
    /// The log key names another log than `seal.log_origin`.
    #[error("the register log key {} is for log {found:?}, but seal.log_origin is {expected:?}", path.display())]
    Origin {
        /// The file.
        path: PathBuf,
        /// Configured origin.
        expected: String,
        /// The key's name.
        found: String,
    },
    /// `seal.p12` is set without its password.
    #[error("seal.p12 is set but seal.p12_password is not")]
    MissingPassword,
    /// A key file cannot be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// A key file that must not be overwritten exists.
    #[error("{} already exists; refusing to overwrite it", .0.display())]
    Exists(PathBuf),
}

/// Root certificates trusted when verifying seals.
#[derive(Debug, Clone, Default)]
pub struct TrustRoots(Vec<x509_cert::Certificate>);

impl TrustRoots {
    /// Check the seal of `pdf` and whether its certificate chains to one of
    /// the roots: the report, and that answer (the file is checked once).
    pub fn verify(&self, pdf: &[u8]) -> Result<(seal::SealReport, bool), seal::VerifyError> {
        seal::verify_against(pdf, &self.0)
    }
}

/// Everything loaded.
#[derive(Debug)]
pub struct Keys {
    /// Makes the seals.
    pub sealer: Arc<Sealer>,
    /// Signs the register log's checkpoints.
    pub log_signer: NoteSigner,
    /// Roots trusted by verification.
    pub trust: TrustRoots,
    /// True when running on the generated test PKI.
    pub test_pki: bool,
}

/// What [`init`] wrote.
#[derive(Debug)]
pub struct Created {
    /// Files written.
    pub files: Vec<PathBuf>,
    /// The log's verifier key (publish it).
    pub verifier_key: String,
}

/// Load the keys `settings` name, generating the test keys if none are
/// configured and none exist yet.
pub fn load(settings: &Settings) -> Result<Keys, KeyError> {
    let dir = settings.keys_dir();
    let s = &settings.seal;
    let test_pki = s.p12.is_none();
    if test_pki && !dir.join(SEAL_P12).exists() {
        tracing::warn!(dir = %dir.display(), "no seal key configured: generating a TEST PKI (not for real acts)");
        seal::pki::init(&dir)?;
    }
    let log_key = s.log_key.clone().unwrap_or_else(|| dir.join(LOG_KEY));
    if s.log_key.is_none() && !log_key.exists() {
        tracing::warn!(path = %log_key.display(), "no register log key: generating one (back it up)");
        write_log_key(&log_key, &s.log_origin)?;
    }
    let sealer = match &s.p12 {
        Some(p12) => {
            let password = s.p12_password.as_ref().ok_or(KeyError::MissingPassword)?;
            Sealer::from_p12(p12, password.expose(), s.tsa_url.as_deref())?
        }
        None => Sealer::from_p12(&dir.join(SEAL_P12), seal::pki::TEST_PASSWORD, s.tsa_url.as_deref())?,
    };
    let text =
        std::fs::read_to_string(&log_key).map_err(|source| KeyError::Io { path: log_key.clone(), source })?;
    let log_signer = NoteSigner::from_private_key(&text)
        .map_err(|source| KeyError::LogKey { path: log_key.clone(), source })?;
    if log_signer.name() != s.log_origin {
        return Err(KeyError::Origin {
            path: log_key,
            expected: s.log_origin.clone(),
            found: log_signer.name().to_owned(),
        });
    }
    let roots = s.trust_roots.clone().unwrap_or_else(|| dir.join(ROOT));
    let trust = if roots.exists() {
        TrustRoots(seal::pki::read_pem_certificates(&roots).map_err(|e| match e {
            SealError::Io { path, source } => KeyError::Io { path, source },
            other => KeyError::Seal(other),
        })?)
    } else {
        TrustRoots::default()
    };
    Ok(Keys { sealer: Arc::new(sealer), log_signer, trust, test_pki })
}

/// Generate a test PKI and a log key in `dir`; refuses to overwrite anything.
pub fn init(dir: &Path, log_origin: &str) -> Result<Created, KeyError> {
    let log_key = dir.join(LOG_KEY);
    if log_key.exists() {
        return Err(KeyError::Exists(log_key));
    }
    let pki = seal::pki::init(dir)?;
    let verifier_key = write_log_key(&log_key, log_origin)?;
    Ok(Created {
        files: vec![pki.root_pem, pki.seal_p12, pki.seal_pem, pki.tsa_pem, pki.tsa_key, log_key],
        verifier_key,
    })
}

/// Write a new log key (owner-only permissions); returns its verifier key.
fn write_log_key(path: &Path, origin: &str) -> Result<String, KeyError> {
    use std::io::Write;
    let signer =
        NoteSigner::generate(origin).map_err(|source| KeyError::LogKey { path: path.to_owned(), source })?;
    let io = |source| KeyError::Io { path: path.to_owned(), source };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(io)?;
    file.write_all(format!("{}\n", signer.private_key()).as_bytes()).map_err(io)?;
    Ok(signer.verifier().vkey())
}
