//! Content digests of sealed documents: SHA-256 (what @ctes, the register log and
//! most tools use) and SHA-512 (what Vitam expects in SEDA packages), as lowercase
//! hexadecimal.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};

/// Why a string is not a digest of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("empreinte invalide : {expected} caractères hexadécimaux minuscules attendus")]
pub struct DigestError {
    expected: usize,
}

macro_rules! hex_digest {
    ($name:ident, $hasher:ty, $bytes:expr, $doc:expr) => {
        #[doc = $doc]
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Digest of `bytes`.
            pub fn of(bytes: &[u8]) -> Self {
                Self(hex::encode(<$hasher>::digest(bytes)))
            }

            /// Lowercase hexadecimal form.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = DigestError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let ok = s.len() == $bytes * 2
                    && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
                if ok { Ok(Self(s.to_owned())) } else { Err(DigestError { expected: $bytes * 2 }) }
            }
        }

        impl TryFrom<String> for $name {
            type Error = DigestError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(d: $name) -> Self {
                d.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

hex_digest!(Sha256Digest, Sha256, 32, "A SHA-256 digest in lowercase hex.");
hex_digest!(Sha512Digest, Sha512, 64, "A SHA-512 digest in lowercase hex.");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_match_the_published_test_vectors() {
        assert_eq!(
            Sha256Digest::of(b"abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(Sha512Digest::of(b"abc").as_str().starts_with("ddaf35a193617aba"));
    }

    #[test]
    fn uppercase_or_short_hex_is_not_a_digest() {
        let d = Sha256Digest::of(b"x").to_string();
        assert!(d.parse::<Sha256Digest>().is_ok());
        assert!(d.to_uppercase().parse::<Sha256Digest>().is_err());
        assert!(d[1..].parse::<Sha256Digest>().is_err());
    }
}
