//! Cross-site request forgery: every form that changes anything carries a
//! token that another site cannot know, and every POST without the right one
//! is refused (403) before any handler runs.
//!
//! The token is an HMAC-SHA256, under a key drawn at start-up, of what the
//! request is *bound* to: the session id for a logged-in person (so the token
//! changes at login, with the session), else a random value the browser holds
//! in an HttpOnly cookie set with the page (signed double submit: the login,
//! first-run and verification forms). A page opened before a restart of the
//! server must be reloaded.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2_10::Sha256;

/// The form field carrying the token.
pub const FIELD: &str = "csrf";

/// The process's CSRF key.
pub struct Csrf {
    key: [u8; 32],
}

impl std::fmt::Debug for Csrf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Csrf(***)")
    }
}

impl Default for Csrf {
    fn default() -> Self {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the operating system's random source works");
        Self { key }
    }
}

impl Csrf {
    fn mac(&self, binding: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(binding.as_bytes());
        mac
    }

    /// The token of forms shown to a request bound to `binding`.
    pub fn token(&self, binding: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(binding).finalize().into_bytes())
    }

    /// Whether `presented` is the token for `binding` (constant time).
    pub fn check(&self, binding: &str, presented: &str) -> bool {
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(presented.trim()) else { return false };
        self.mac(binding).verify_slice(&bytes).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_holds_for_its_binding_only_and_under_its_key_only() {
        let csrf = Csrf::default();
        let t = csrf.token("s:abc");
        assert!(csrf.check("s:abc", &t));
        assert!(!csrf.check("s:abd", &t));
        assert!(!csrf.check("s:abc", ""));
        assert!(!csrf.check("s:abc", "not base64 !"));
        assert!(!Csrf::default().check("s:abc", &t), "another process's key");
    }
}
