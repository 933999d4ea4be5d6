//! The API token format: `acta_<id>_<secret>`.
//!
//! - *id*: 16 lowercase hex digits (64 random bits). Not secret: it names the
//!   token in listings, the audit trail and revocations, and finds its record.
//! - *secret*: 64 lowercase hex digits (256 random bits from the operating
//!   system). Shown once, at creation; only its SHA-256 is stored, and the
//!   comparison with the stored hash takes the same time whatever the bytes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What every token starts with (lets secret scanners recognise leaked tokens).
pub const TOKEN_PREFIX: &str = "acta_";
/// Random bytes in a token id.
const ID_BYTES: usize = 8;
/// Random bytes in a token secret: 256 bits.
const SECRET_BYTES: usize = 32;

/// The public name of a token.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "3f9a0c1e5b7d2468")]
pub struct TokenId(String);

/// A string that is not a token id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("identifiant de jeton invalide (16 chiffres hexadécimaux)")]
pub struct TokenIdError;

impl FromStr for TokenId {
    type Err = TokenIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = s.len() == 2 * ID_BYTES && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if ok { Ok(Self(s.to_owned())) } else { Err(TokenIdError) }
    }
}

impl TryFrom<String> for TokenId {
    type Error = TokenIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<TokenId> for String {
    fn from(id: TokenId) -> Self {
        id.0
    }
}

impl AsRef<str> for TokenId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A whole token, secret included: printed once, never logged (`Debug` and
/// `Display` hide the secret; [`PlainToken::expose`] is the one way out).
#[derive(Clone, PartialEq, Eq)]
pub struct PlainToken {
    id: TokenId,
    secret: String,
}

impl PlainToken {
    /// A fresh token from the operating system's random source.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut id = [0u8; ID_BYTES];
        let mut secret = [0u8; SECRET_BYTES];
        getrandom::fill(&mut id)?;
        getrandom::fill(&mut secret)?;
        Ok(Self { id: TokenId(hex::encode(id)), secret: hex::encode(secret) })
    }

    /// Split a presented token into id and secret; `None` unless it has the
    /// exact shape `acta_<16 hex>_<64 hex>`.
    pub fn parse(token: &str) -> Option<Self> {
        let (id, secret) = token.strip_prefix(TOKEN_PREFIX)?.split_once('_')?;
        let secret_ok = secret.len() == 2 * SECRET_BYTES
            && secret.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        secret_ok.then(|| Some(Self { id: id.parse().ok()?, secret: secret.to_owned() }))?
    }

    /// The token's id.
    pub fn id(&self) -> &TokenId {
        &self.id
    }

    /// The SHA-256 of the secret, hex: what is stored.
    pub fn secret_hash(&self) -> String {
        hex::encode(Sha256::digest(self.secret.as_bytes()))
    }

    /// Whether the secret's hash is `stored_hash`, compared in constant time.
    pub fn matches(&self, stored_hash: &str) -> bool {
        let ours = self.secret_hash();
        ours.len() == stored_hash.len() && bool::from(ours.as_bytes().ct_eq(stored_hash.as_bytes()))
    }

    /// The token itself, to show its holder once.
    pub fn expose(&self) -> String {
        format!("{TOKEN_PREFIX}{}_{}", self.id, self.secret)
    }
}

impl fmt::Debug for PlainToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PlainToken({TOKEN_PREFIX}{}_***)", self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_token_parses_back_and_matches_its_hash_only() {
        let t = PlainToken::generate().unwrap();
        let text = t.expose();
        assert_eq!(text.len(), TOKEN_PREFIX.len() + 16 + 1 + 64);
        let back = PlainToken::parse(&text).unwrap();
        assert_eq!(back, t);
        assert!(back.matches(&t.secret_hash()));
        let other = PlainToken::generate().unwrap();
        assert!(!back.matches(&other.secret_hash()));
        assert!(!format!("{t:?}").contains(&t.secret));
    }

    #[test]
    fn anything_but_the_exact_shape_is_refused() {
        let good = PlainToken::generate().unwrap().expose();
        let bad = [
            String::new(),
            good.to_uppercase(),
            good.replacen("acta_", "acte_", 1),
            format!("{good}0"),
            good[..good.len() - 1].to_owned(),
            good.replacen('_', "/", 2),
            "acta_../../etc_passwd".to_owned(),
        ];
        for b in bad {
            assert!(PlainToken::parse(&b).is_none(), "{b}");
        }
        assert!("../x".parse::<TokenId>().is_err());
    }
}
