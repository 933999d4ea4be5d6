//! First run: on an instance without any account, `acta serve` prints a
//! one-time link, valid for a limited time, that lets the person at the
//! console create the administrator account (« Créer le compte
//! administrateur »). Whoever can read the server's console is trusted
//! already; nobody else can guess the link (256 random bits).
//!
//! The link dies when used, when it expires, or as soon as any account
//! exists (created by the link, another process's link, or `acta users
//! create`). A new one is printed at the next start if still needed.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::session::random_token;

/// The path of the first-run page; the token follows.
pub const PATH: &str = "/premiere-connexion";
/// The route of the first-run page.
pub const PAGE: &str = "/premiere-connexion/{token}";

/// The pending first-run link of this process, if any.
#[derive(Debug, Default)]
pub struct FirstRun {
    pending: Mutex<Option<([u8; 32], Instant)>>,
}

impl FirstRun {
    /// Make a new token valid for `validity`; returns it (shown once).
    pub fn issue(&self, validity: Duration) -> String {
        let token = random_token();
        *self.pending.lock().expect("lock") = Some((digest(&token), Instant::now() + validity));
        token
    }

    /// Whether `token` is the pending, unexpired one.
    pub fn valid(&self, token: &str) -> bool {
        match *self.pending.lock().expect("lock") {
            Some((hash, until)) => Instant::now() < until && bool::from(hash.ct_eq(&digest(token))),
            None => false,
        }
    }

    /// Forget the token (used).
    pub fn consume(&self) {
        *self.pending.lock().expect("lock") = None;
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_holds_once_and_not_after_expiry() {
        let f = FirstRun::default();
        assert!(!f.valid("anything"));
        let t = f.issue(Duration::from_secs(60));
        assert!(f.valid(&t) && !f.valid("other"));
        f.consume();
        assert!(!f.valid(&t));
        let t = f.issue(Duration::ZERO);
        assert!(!f.valid(&t), "expired");
    }
}
