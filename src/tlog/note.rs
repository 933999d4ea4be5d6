//! C2SP signed notes with Ed25519 keys, and the checkpoints they carry.
//!
//! A *note* is UTF-8 text ending in a newline, then a blank line, then
//! signature lines `— <key name> <base64(key id || signature)>`. A key is
//! identified by its *name* (for the register log: its origin, e.g.
//! `actes.example.fr/registre/v1`) and its 32-bit *key id*,
//! SHA-256(name || 0x0A || 0x01 || public key)[:4]. Verifiers ignore lines of
//! keys they do not know (witness cosignatures, a rotated key) and reject a
//! note unless a known key's signature verifies.
//!
//! Key encodings are those of Go's `golang.org/x/mod/sumdb/note`, so either
//! tool reads the other's keys:
//! - verifier key (*vkey*, public): `<name>+<hex key id>+<base64(0x01 || public key)>`;
//! - signer key (secret; keep it in a file readable only by acta or in a
//!   secret manager): `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>`.
//!
//! A *checkpoint* (C2SP tlog-checkpoint) is a note whose text is
//! `<origin>\n<tree size>\n<base64 root hash>\n`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

use super::hash::Hash;

/// Signature type byte of Ed25519 in signed notes.
const ALG_ED25519: u8 = 0x01;
/// The em dash that starts a signature line.
const SIG_PREFIX: &str = "\u{2014} ";
/// Most signature lines read from one note (the spec asks for at least 16).
const MAX_SIGNATURES: usize = 64;

/// A note, key or checkpoint is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// A key name is empty or has a space or a `+`.
    #[error("invalid key name {0:?}")]
    KeyName(String),
    /// A key string does not parse.
    #[error("invalid key: {0}")]
    Key(&'static str),
    /// The note is not a well-formed signed note.
    #[error("malformed note: {0}")]
    Malformed(&'static str),
    /// No signature by the expected key is on the note.
    #[error("the note carries no signature by key {0}")]
    UnknownKey(String),
    /// A signature by the expected key does not verify.
    #[error("the signature by key {0} does not verify")]
    BadSignature(String),
    /// The note text is not a checkpoint.
    #[error("malformed checkpoint: {0}")]
    Checkpoint(&'static str),
    /// The checkpoint is of another log.
    #[error("checkpoint of origin {found:?}, expected {expected:?}")]
    Origin {
        /// Origin wanted.
        expected: String,
        /// Origin found.
        found: String,
    },
}

fn check_name(name: &str) -> Result<(), NoteError> {
    if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c == '+') {
        return Err(NoteError::KeyName(name.to_owned()));
    }
    Ok(())
}

/// SHA-256(name || 0x0A || 0x01 || public key)[:4], big endian.
pub fn key_id(name: &str, public: &VerifyingKey) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', ALG_ED25519]);
    h.update(public.as_bytes());
    let sum = h.finalize();
    u32::from_be_bytes([sum[0], sum[1], sum[2], sum[3]])
}

/// Decode `base64(0x01 || 32 bytes)` (the key part of vkeys and skeys).
fn decode_key_bytes(b64: &str) -> Result<[u8; 32], NoteError> {
    let raw = BASE64.decode(b64).map_err(|_| NoteError::Key("key is not base64"))?;
    match raw.split_first() {
        Some((&ALG_ED25519, key)) => key.try_into().map_err(|_| NoteError::Key("Ed25519 keys are 32 bytes")),
        Some(_) => Err(NoteError::Key("not an Ed25519 key (type 0x01)")),
        None => Err(NoteError::Key("empty key")),
    }
}

fn encode_key_bytes(key: &[u8; 32]) -> String {
    let mut raw = Vec::with_capacity(33);
    raw.push(ALG_ED25519);
    raw.extend_from_slice(key);
    BASE64.encode(raw)
}

/// Parse `<name>+<hex id>+<base64 key>` and check the id.
fn parse_key_string(s: &str) -> Result<(String, u32, [u8; 32]), NoteError> {
    // The base64 key may itself contain `+`: only the first two separate.
    let mut parts = s.splitn(3, '+');
    let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(NoteError::Key("expected <name>+<key id>+<key>"));
    };
    check_name(name)?;
    if id.len() != 8 {
        return Err(NoteError::Key("key id is not 8 hex digits"));
    }
    let id = u32::from_str_radix(id, 16).map_err(|_| NoteError::Key("key id is not hexadecimal"))?;
    Ok((name.to_owned(), id, decode_key_bytes(key)?))
}

/// Signs notes as one named Ed25519 key. The key is wiped from memory when
/// dropped (ed25519-dalek zeroizes it).
#[derive(Clone)]
pub struct NoteSigner {
    name: String,
    id: u32,
    key: SigningKey,
}

impl std::fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("id", &format!("{:08x}", self.id))
            .finish()
    }
}

impl NoteSigner {
    /// The signer named `name` (the log origin) with the Ed25519 key of `seed`.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, NoteError> {
        check_name(name)?;
        let key = SigningKey::from_bytes(&seed);
        Ok(Self { name: name.to_owned(), id: key_id(name, &key.verifying_key()), key })
    }

    /// A new random key named `name`, from the operating system's generator.
    pub fn generate(name: &str) -> Result<Self, NoteError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|_| NoteError::Key("the system random generator failed"))?;
        let signer = Self::from_seed(name, seed);
        seed.fill(0);
        signer
    }

    /// Parse a signer key `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>`.
    pub fn from_private_key(skey: &str) -> Result<Self, NoteError> {
        let rest =
            skey.trim_end().strip_prefix("PRIVATE+KEY+").ok_or(NoteError::Key("missing PRIVATE+KEY+"))?;
        let (name, id, seed) = parse_key_string(rest)?;
        let signer = Self::from_seed(&name, seed)?;
        if signer.id != id {
            return Err(NoteError::Key("key id does not match the key"));
        }
        Ok(signer)
    }

    /// The signer key in the format [`NoteSigner::from_private_key`] reads.
    /// Secret: write it only to protected storage.
    pub fn private_key(&self) -> String {
        format!("PRIVATE+KEY+{}+{:08x}+{}", self.name, self.id, encode_key_bytes(self.key.as_bytes()))
    }

    /// Key name (the log origin).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The matching verifier.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier { name: self.name.clone(), id: self.id, key: self.key.verifying_key() }
    }

    /// The signed note of `text`, which must end with a newline and contain
    /// no control character but newlines.
    pub fn sign(&self, text: &str) -> Result<String, NoteError> {
        check_text(text)?;
        let signature = self.key.sign(text.as_bytes());
        let mut raw = Vec::with_capacity(68);
        raw.extend_from_slice(&self.id.to_be_bytes());
        raw.extend_from_slice(&signature.to_bytes());
        Ok(format!("{text}\n{SIG_PREFIX}{} {}\n", self.name, BASE64.encode(raw)))
    }
}

/// Verifies notes signed by one named Ed25519 key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    id: u32,
    key: VerifyingKey,
}

impl NoteVerifier {
    /// Parse a verifier key `<name>+<hex id>+<base64(0x01 || public key)>`.
    pub fn from_vkey(vkey: &str) -> Result<Self, NoteError> {
        let (name, id, key) = parse_key_string(vkey.trim())?;
        let key = VerifyingKey::from_bytes(&key).map_err(|_| NoteError::Key("not an Ed25519 public key"))?;
        if key_id(&name, &key) != id {
            return Err(NoteError::Key("key id does not match the key"));
        }
        Ok(Self { name, id, key })
    }

    /// The verifier key, to publish.
    pub fn vkey(&self) -> String {
        format!("{}+{:08x}+{}", self.name, self.id, encode_key_bytes(self.key.as_bytes()))
    }

    /// Key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Key id.
    pub fn key_id(&self) -> u32 {
        self.id
    }

    /// The text of `note` if this key's signature on it verifies. Lines of
    /// other keys (another name, or this name with another id) are ignored;
    /// a line of this key that fails rejects the whole note.
    pub fn verify<'a>(&self, note: &'a str) -> Result<&'a str, NoteError> {
        // The spec bans ASCII control characters (below U+0020) but newline.
        if note.chars().any(|c| c < ' ' && c != '\n') {
            return Err(NoteError::Malformed("control character"));
        }
        let split = note.rfind("\n\n").ok_or(NoteError::Malformed("no blank line before the signatures"))?;
        let (text, sigs) = (&note[..=split], &note[split + 2..]);
        if sigs.is_empty() || !sigs.ends_with('\n') {
            return Err(NoteError::Malformed("signatures must be newline-terminated lines"));
        }
        let mut verified = false;
        for (i, line) in sigs.lines().enumerate() {
            if i == MAX_SIGNATURES {
                return Err(NoteError::Malformed("too many signatures"));
            }
            let rest = line
                .strip_prefix(SIG_PREFIX)
                .ok_or(NoteError::Malformed("signature line without em dash"))?;
            let (name, b64) =
                rest.split_once(' ').ok_or(NoteError::Malformed("signature line without key"))?;
            let raw = BASE64.decode(b64).map_err(|_| NoteError::Malformed("signature is not base64"))?;
            if raw.len() < 4 {
                return Err(NoteError::Malformed("signature shorter than a key id"));
            }
            let id = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]);
            if name != self.name || id != self.id {
                continue;
            }
            let signature =
                Signature::from_slice(&raw[4..]).map_err(|_| NoteError::BadSignature(self.vkey()))?;
            self.key.verify(text.as_bytes(), &signature).map_err(|_| NoteError::BadSignature(self.vkey()))?;
            verified = true;
        }
        if verified { Ok(text) } else { Err(NoteError::UnknownKey(self.vkey())) }
    }
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::Malformed("text must end with a newline"));
    }
    if text.chars().any(|c| c < ' ' && c != '\n') {
        return Err(NoteError::Malformed("control character"));
    }
    Ok(())
}

/// A C2SP tlog-checkpoint: a log's tree head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity (also the signing key's name).
    pub origin: String,
    /// Number of leaves.
    pub size: u64,
    /// RFC 6962 root hash of the tree of `size` leaves.
    pub root: Hash,
}

impl Checkpoint {
    /// The note text: `<origin>\n<size>\n<base64 root>\n`.
    pub fn to_text(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, BASE64.encode(self.root))
    }

    /// Parse checkpoint text. Extension lines (optional, opaque, unused by
    /// acta) are accepted and dropped; the three mandatory lines must be in
    /// canonical form.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let body = text.strip_suffix('\n').ok_or(NoteError::Checkpoint("no final newline"))?;
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next()) else {
            return Err(NoteError::Checkpoint("fewer than three lines"));
        };
        if lines.any(str::is_empty) {
            return Err(NoteError::Checkpoint("empty extension line"));
        }
        if origin.is_empty() {
            return Err(NoteError::Checkpoint("empty origin"));
        }
        let parsed: u64 = size.parse().map_err(|_| NoteError::Checkpoint("tree size is not a number"))?;
        if parsed.to_string() != size {
            return Err(NoteError::Checkpoint("tree size not in canonical decimal"));
        }
        let raw = BASE64.decode(root).map_err(|_| NoteError::Checkpoint("root hash is not base64"))?;
        let root: Hash = raw.try_into().map_err(|_| NoteError::Checkpoint("root hash is not 32 bytes"))?;
        Ok(Self { origin: origin.to_owned(), size: parsed, root })
    }

    /// Sign the checkpoint: its note text.
    pub fn sign(&self, signer: &NoteSigner) -> Result<String, NoteError> {
        signer.sign(&self.to_text())
    }
}

/// A checkpoint with the note it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// The signed note, as stored and served.
    pub note: String,
}

/// Verify `note` with `verifier` and parse it as a checkpoint of the log
/// whose origin is the key's name.
pub fn open_checkpoint(note: &str, verifier: &NoteVerifier) -> Result<Checkpoint, NoteError> {
    let checkpoint = Checkpoint::parse(verifier.verify(note)?)?;
    if checkpoint.origin != verifier.name() {
        return Err(NoteError::Origin { expected: verifier.name().to_owned(), found: checkpoint.origin });
    }
    Ok(checkpoint)
}

/// [`open_checkpoint`] with the verifier given as a vkey string: what a third
/// party holding the published key runs.
pub fn verify_checkpoint(note: &str, vkey: &str) -> Result<Checkpoint, NoteError> {
    open_checkpoint(note, &NoteVerifier::from_vkey(vkey)?)
}
