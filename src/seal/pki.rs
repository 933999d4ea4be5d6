//! A throw-away *test PKI*, generated in pure Rust: a root CA, a seal
//! certificate issued by it and a time-stamping (TSA) certificate, all ECDSA
//! P-256. For tests and demonstrations only: a real seal needs a certificate
//! from a qualified trust service provider.
//!
//! Files written by [`init`] (it never overwrites any):
//!
//! | file | content |
//! |---|---|
//! | `root.pem` | root CA certificate (what verifiers trust) |
//! | `seal.p12` | seal key + certificate + root, PKCS#12 (PBES2/AES-256, HMAC-SHA-256), password [`TEST_PASSWORD`] |
//! | `seal.pem` | seal certificate |
//! | `tsa.pem`, `tsa.key` | TSA certificate (extendedKeyUsage critical timeStamping) and its PKCS#8 key, for `openssl ts -reply` |

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use der::Encode;
use der::pem::LineEnding;
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::EncodePrivateKey;
use rand_core_06::{OsRng, RngCore};
use sha2_10::Digest;
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

use super::SealError;

/// Password of the generated `seal.p12`. A test value, documented on purpose.
pub const TEST_PASSWORD: &str = "acta-test";

const ROOT_SUBJECT: &str = "CN=acta test root CA,O=acta test,C=FR";
const SEAL_SUBJECT: &str = "CN=acta test seal,2.5.4.97=NTRFR-000000000,O=acta test collectivite,C=FR";
const TSA_SUBJECT: &str = "CN=acta test TSA,O=acta test,C=FR";

/// Where [`init`] wrote the test PKI.
#[derive(Debug, Clone)]
pub struct TestPki {
    /// The directory.
    pub dir: PathBuf,
    /// `root.pem`.
    pub root_pem: PathBuf,
    /// `seal.p12` (password [`TEST_PASSWORD`]).
    pub seal_p12: PathBuf,
    /// `seal.pem`.
    pub seal_pem: PathBuf,
    /// `tsa.pem`.
    pub tsa_pem: PathBuf,
    /// `tsa.key` (PKCS#8 PEM).
    pub tsa_key: PathBuf,
    /// The root certificate, DER.
    pub root_der: Vec<u8>,
    /// The seal certificate, DER.
    pub seal_der: Vec<u8>,
}

/// Certificates and keys in memory.
pub(crate) struct Generated {
    pub root_der: Vec<u8>,
    pub seal_der: Vec<u8>,
    pub seal_key: SigningKey,
    pub tsa_der: Vec<u8>,
    pub tsa_key: SigningKey,
}

fn serial() -> Result<SerialNumber, SealError> {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    bytes[0] &= 0x7f; // positive
    bytes[0] |= 0x01; // and of full length
    Ok(SerialNumber::new(&bytes)?)
}

fn validity() -> Result<Validity, SealError> {
    // Back-dated a day so that clocks a little apart (test TSA, validators)
    // never see a certificate from the future.
    let now = SystemTime::now();
    let day = Duration::from_secs(86_400);
    Ok(Validity { not_before: Time::try_from(now - day)?, not_after: Time::try_from(now + 3650 * day)? })
}

fn spki_of(key: &SigningKey) -> Result<SubjectPublicKeyInfoOwned, SealError> {
    SubjectPublicKeyInfoOwned::from_key(*key.verifying_key())
        .map_err(|e| SealError::Certificate(e.to_string()))
}

fn name(s: &str) -> Result<Name, SealError> {
    Name::from_str(s).map_err(|e| SealError::Certificate(format!("{s}: {e}")))
}

fn build(builder: CertificateBuilder<'_, SigningKey>) -> Result<Vec<u8>, SealError> {
    let cert: Certificate =
        builder.build::<DerSignature>().map_err(|e| SealError::Certificate(e.to_string()))?;
    Ok(cert.to_der()?)
}

fn leaf(issuer: &Name) -> Profile {
    Profile::Leaf { issuer: issuer.clone(), enable_key_agreement: false, enable_key_encipherment: false }
}

/// Generate the three certificates and two keys, in memory.
pub(crate) fn generate() -> Result<Generated, SealError> {
    let cert_err = |e: x509_cert::builder::Error| SealError::Certificate(e.to_string());
    let root_key = SigningKey::random(&mut OsRng);
    let root_name = name(ROOT_SUBJECT)?;
    let root = CertificateBuilder::new(
        Profile::Root,
        serial()?,
        validity()?,
        root_name.clone(),
        spki_of(&root_key)?,
        &root_key,
    )
    .map_err(cert_err)?;
    let root_der = build(root)?;

    // Leaf profile: keyUsage digitalSignature + nonRepudiation, critical.
    let seal_key = SigningKey::random(&mut OsRng);
    let seal = CertificateBuilder::new(
        leaf(&root_name),
        serial()?,
        validity()?,
        name(SEAL_SUBJECT)?,
        spki_of(&seal_key)?,
        &root_key,
    )
    .map_err(cert_err)?;
    let seal_der = build(seal)?;

    let tsa_key = SigningKey::random(&mut OsRng);
    let mut tsa = CertificateBuilder::new(
        leaf(&root_name),
        serial()?,
        validity()?,
        name(TSA_SUBJECT)?,
        spki_of(&tsa_key)?,
        &root_key,
    )
    .map_err(cert_err)?;
    // Critical, as RFC 3161 §2.3 requires (x509-cert marks it critical when
    // anyExtendedKeyUsage is absent).
    tsa.add_extension(&ExtendedKeyUsage(vec![const_oid::db::rfc5280::ID_KP_TIME_STAMPING]))
        .map_err(cert_err)?;
    let tsa_der = build(tsa)?;
    Ok(Generated { root_der, seal_der, seal_key, tsa_der, tsa_key })
}

/// The seal key and certificate chain as a PKCS#12 archive.
pub(crate) fn pkcs12(g: &Generated, password: &str) -> Result<Vec<u8>, SealError> {
    let p12_err = |e: p12_keystore::error::Error| SealError::Key(format!("PKCS#12: {e}"));
    let key = g.seal_key.to_pkcs8_der().map_err(|e| SealError::Key(e.to_string()))?;
    let chain = [&g.seal_der, &g.root_der]
        .into_iter()
        .map(|der| p12_keystore::Certificate::from_der(der).map_err(p12_err))
        .collect::<Result<Vec<_>, _>>()?;
    let local_key_id = &sha2_10::Sha256::digest(&g.seal_der)[..20];
    let entry = p12_keystore::PrivateKeyChain::new(key.as_bytes(), local_key_id, chain);
    let mut store = p12_keystore::KeyStore::new();
    store.add_entry("acta test seal", p12_keystore::KeyStoreEntry::PrivateKeyChain(entry));
    store.writer(password).write().map_err(p12_err)
}

fn pem(label: &'static str, der: &[u8]) -> Result<String, SealError> {
    der::pem::encode_string(label, LineEnding::LF, der).map_err(|e| SealError::Certificate(e.to_string()))
}

/// Generate a test PKI into `dir` (created if needed). Refuses, before writing
/// anything, if any of the files already exists.
pub fn init(dir: &Path) -> Result<TestPki, SealError> {
    let pki = TestPki {
        dir: dir.to_owned(),
        root_pem: dir.join("root.pem"),
        seal_p12: dir.join("seal.p12"),
        seal_pem: dir.join("seal.pem"),
        tsa_pem: dir.join("tsa.pem"),
        tsa_key: dir.join("tsa.key"),
        root_der: Vec::new(),
        seal_der: Vec::new(),
    };
    let files = [&pki.root_pem, &pki.seal_p12, &pki.seal_pem, &pki.tsa_pem, &pki.tsa_key];
    if let Some(existing) = files.iter().find(|p| p.exists()) {
        return Err(SealError::Exists((*existing).clone()));
    }
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| SealError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let g = generate()?;
    let tsa_key = g.tsa_key.to_pkcs8_pem(LineEnding::LF).map_err(|e| SealError::Key(e.to_string()))?;
    let contents: [(&PathBuf, Vec<u8>); 5] = [
        (&pki.root_pem, pem("CERTIFICATE", &g.root_der)?.into_bytes()),
        (&pki.seal_p12, pkcs12(&g, TEST_PASSWORD)?),
        (&pki.seal_pem, pem("CERTIFICATE", &g.seal_der)?.into_bytes()),
        (&pki.tsa_pem, pem("CERTIFICATE", &g.tsa_der)?.into_bytes()),
        (&pki.tsa_key, tsa_key.as_bytes().to_vec()),
    ];
    for (path, bytes) in contents {
        // create_new: a file that appeared meanwhile is not overwritten either.
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(io(path))?;
        f.write_all(&bytes).map_err(io(path))?;
    }
    Ok(TestPki { root_der: g.root_der, seal_der: g.seal_der, ..pki })
}

/// Read the first certificate of a PEM file as DER.
pub fn read_pem_certificate(path: &Path) -> Result<Vec<u8>, SealError> {
    let chain = read_pem_certificates(path)?;
    let first =
        chain.first().ok_or_else(|| SealError::Certificate(format!("{}: no certificate", path.display())))?;
    Ok(first.to_der()?)
}

/// Every certificate of a PEM file.
pub fn read_pem_certificates(path: &Path) -> Result<Vec<Certificate>, SealError> {
    let text = std::fs::read(path).map_err(|source| SealError::Io { path: path.to_owned(), source })?;
    Certificate::load_pem_chain(&text).map_err(|e| SealError::Certificate(format!("{}: {e}", path.display())))
}

#[cfg(test)]
pub(crate) mod tests {
    use der::Decode;

    use super::*;
    use crate::seal::signer::{Pkcs12Signer, SealSigner};

    /// A PKI generated once per test process (key generation is cheap, but
    /// PKCS#12 encryption is deliberately slow).
    pub(crate) fn memory_pki() -> &'static Generated {
        static PKI: std::sync::OnceLock<Generated> = std::sync::OnceLock::new();
        PKI.get_or_init(|| generate().unwrap())
    }

    #[test]
    fn the_generated_pkcs12_loads_as_a_signer_with_its_chain() {
        let dir = tempfile::tempdir().unwrap();
        let pki = init(dir.path()).unwrap();
        let signer = Pkcs12Signer::open(&pki.seal_p12, TEST_PASSWORD).unwrap();
        assert_eq!(signer.certificate(), pki.seal_der.as_slice());
        assert_eq!(signer.chain(), std::slice::from_ref(&pki.root_der));
        assert_eq!(read_pem_certificate(&pki.root_pem).unwrap(), pki.root_der);
        assert!(Pkcs12Signer::open(&pki.seal_p12, "wrong").is_err());
    }

    #[test]
    fn init_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("seal.p12"), b"keep me").unwrap();
        assert!(matches!(init(dir.path()), Err(SealError::Exists(_))));
        assert_eq!(std::fs::read(dir.path().join("seal.p12")).unwrap(), b"keep me");
        assert!(!dir.path().join("root.pem").exists());
    }

    #[test]
    fn the_seal_certificate_is_issued_by_the_root_for_non_repudiation() {
        let g = memory_pki();
        let seal = Certificate::from_der(&g.seal_der).unwrap();
        let root = Certificate::from_der(&g.root_der).unwrap();
        assert_eq!(seal.tbs_certificate.issuer, root.tbs_certificate.subject);
        let ku = seal
            .tbs_certificate
            .extensions
            .unwrap()
            .into_iter()
            .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_KEY_USAGE)
            .unwrap();
        assert!(ku.critical);
    }
}
