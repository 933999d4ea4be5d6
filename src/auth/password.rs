//! Passwords: hashed with Argon2id, never stored nor logged in clear.
//!
//! A *password hash* is a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`):
//! the parameters travel with the hash, so raising them later only affects
//! new hashes. The parameters are the OWASP minimum for Argon2id (19 MiB,
//! 2 passes, 1 lane): about 20–40 ms per check on one core, which the login
//! throttle ([`super::throttle`]) multiplies by few attempts.
//!
//! A *password policy* applies when a password is chosen: at least
//! [`MIN_CHARS`] characters (a phrase is easier to remember than symbols),
//! at most [`MAX_BYTES`] bytes, not the login itself.

use std::fmt;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};

/// Fewest characters of a new password.
pub const MIN_CHARS: usize = 12;
/// Most bytes of a password (longer input is refused before hashing).
pub const MAX_BYTES: usize = 256;

/// A password as typed: `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wrap what a person typed.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The text, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A fresh password to hand to someone once (`acta users create|reset`,
    /// « Comptes »): 25 characters in five groups, from an alphabet without
    /// look-alikes (no 0/o, 1/l/i): about 120 bits.
    pub fn generate() -> Self {
        const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
        let mut bytes = [0u8; 25];
        getrandom::fill(&mut bytes).expect("the operating system's random source works");
        let chars: Vec<char> =
            bytes.iter().map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect();
        let groups: Vec<String> = chars.chunks(5).map(|c| c.iter().collect()).collect();
        Self::new(groups.join("-"))
    }

    /// Whether this password may be chosen by `login`; the French reason if not.
    pub fn check_policy(&self, login: &str) -> Result<(), String> {
        let chars = self.0.chars().count();
        if chars < MIN_CHARS {
            return Err(format!("Le mot de passe doit comporter au moins {MIN_CHARS} caractères"));
        }
        if self.0.len() > MAX_BYTES {
            return Err(format!("Le mot de passe doit comporter au plus {MAX_BYTES} caractères"));
        }
        if self.0.trim().eq_ignore_ascii_case(login.trim()) {
            return Err("Le mot de passe ne peut pas être l'identifiant".into());
        }
        Ok(())
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A stored Argon2id hash (PHC string).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PasswordHash(String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(…)")
    }
}

/// Hashing failed (the random source, or parameters out of range).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

impl HashError {
    /// A hashing task that did not finish.
    pub(crate) fn from_join(e: &tokio::task::JoinError) -> Self {
        Self(e.to_string())
    }
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(Params::DEFAULT_M_COST, Params::DEFAULT_T_COST, Params::DEFAULT_P_COST, None)
        .expect("the default Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

impl PasswordHash {
    /// Hash `password` with a fresh 128-bit salt. CPU-heavy: call it off the
    /// async runtime (`spawn_blocking`).
    pub fn new(password: &Password) -> Result<Self, HashError> {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| HashError(e.to_string()))?;
        let hash = hasher()
            .hash_password_with_salt(password.expose().as_bytes(), &salt)
            .map_err(|e| HashError(e.to_string()))?;
        Ok(Self(hash.to_string()))
    }

    /// Whether `password` is the one hashed (constant time in the password's
    /// bytes; a malformed stored hash matches nothing). CPU-heavy.
    pub fn matches(&self, password: &Password) -> bool {
        if password.expose().len() > MAX_BYTES {
            return false;
        }
        hasher().verify_password(password.expose().as_bytes(), self.0.as_str()).is_ok()
    }

    /// A hash of a random password, checked when the login is unknown so
    /// that an unknown login takes as long to refuse as a wrong password.
    pub fn decoy() -> &'static Self {
        static DECOY: std::sync::OnceLock<PasswordHash> = std::sync::OnceLock::new();
        DECOY.get_or_init(|| {
            let mut random = [0u8; 16];
            let _ = getrandom::fill(&mut random);
            Self::new(&Password(hex::encode(random))).expect("hashing a random password works")
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_generated_password_meets_the_policy() {
        let p = super::Password::generate();
        assert_eq!(p.expose().len(), 29);
        assert!(p.check_policy("marie").is_ok());
        assert!(super::Password::generate() != p);
    }

    use super::*;

    #[test]
    fn a_hash_matches_its_password_only_and_is_argon2id() {
        let pw = Password::new("correct horse battery");
        let h = PasswordHash::new(&pw).unwrap();
        assert!(h.0.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{}", h.0);
        assert!(h.matches(&pw));
        assert!(!h.matches(&Password::new("correct horse batterY")));
        assert_ne!(h, PasswordHash::new(&pw).unwrap(), "salted");
        assert!(!format!("{h:?}{pw:?}").contains("horse"));
        assert!(!PasswordHash::decoy().matches(&pw));
    }

    #[test]
    fn the_policy_names_what_is_wrong() {
        assert!(Password::new("court").check_policy("marie").unwrap_err().contains("12"));
        assert!(Password::new("marie.dupont").check_policy("Marie.Dupont").is_err());
        assert!(Password::new("x".repeat(300)).check_policy("marie").is_err());
        assert!(Password::new("une phrase de passe").check_policy("marie").is_ok());
    }
}
