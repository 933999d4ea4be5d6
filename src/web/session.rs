//! Sessions: who a browser is, between a login and a logout or expiry.
//!
//! A *session id* is 256 random bits, sent as a cookie (HttpOnly, SameSite,
//! `Secure` and `__Host-`-prefixed when served over HTTPS) and kept on the
//! server only as its SHA-256, so that a memory dump gives no usable id.
//! A login always opens a *new* session (a session id set before the login,
//! by an attacker or not, is never promoted: no session fixation); a logout
//! closes it. A session expires after `idle` without a request and `max`
//! after the login, whichever comes first.
//!
//! A session holds an [`Identity`], not a role: the account is read again at
//! each request ([`crate::auth::Users`]), so disabling an account or
//! changing its role takes effect at once.
//!
//! Sessions live in the memory of the process: a restart logs everyone out,
//! and several acta processes behind one address need sticky sessions.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::auth::Identity;
use super::settings::{SameSite, WebSettings};

/// Most open sessions; beyond, expired ones are dropped, then the oldest.
const MAX_SESSIONS: usize = 100_000;

/// A session id as the browser holds it (`Debug` hides it).
#[derive(Clone, PartialEq, Eq)]
pub struct SessionId(String);

impl std::fmt::Debug for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionId(***)")
    }
}

impl SessionId {
    fn generate() -> Self {
        Self(random_token())
    }

    /// The id, for the cookie and for binding CSRF tokens.
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn key(&self) -> [u8; 32] {
        Sha256::digest(self.0.as_bytes()).into()
    }
}

/// 256 random bits, base64url.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    URL_SAFE_NO_PAD.encode(bytes)
}

#[derive(Debug)]
struct Session {
    identity: Identity,
    opened: Instant,
    seen: Instant,
}

/// The open sessions of this process.
#[derive(Debug)]
pub struct Sessions {
    open: Mutex<HashMap<[u8; 32], Session>>,
    idle: Duration,
    max: Duration,
}

impl Sessions {
    /// Sessions expiring after `idle` without use or `max` after opening.
    pub fn new(idle: Duration, max: Duration) -> Self {
        Self { open: Mutex::default(), idle, max }
    }

    /// Open a new session for `identity`; its id is fresh.
    pub fn open(&self, identity: Identity) -> SessionId {
        let id = SessionId::generate();
        let now = Instant::now();
        let mut open = self.open.lock().expect("sessions lock");
        if open.len() >= MAX_SESSIONS {
            open.retain(|_, s| !self.expired(s, now));
            if open.len() >= MAX_SESSIONS
                && let Some(oldest) = open.iter().min_by_key(|(_, s)| s.seen).map(|(k, _)| *k)
            {
                open.remove(&oldest);
            }
        }
        open.insert(id.key(), Session { identity, opened: now, seen: now });
        id
    }

    /// The identity of the session `id` if it is open and unexpired; the
    /// request counts as activity.
    pub fn resolve(&self, id: &str) -> Option<(SessionId, Identity)> {
        let id = SessionId(id.to_owned());
        let now = Instant::now();
        let mut open = self.open.lock().expect("sessions lock");
        let key = id.key();
        let session = open.get_mut(&key)?;
        if self.expired(session, now) {
            open.remove(&key);
            return None;
        }
        session.seen = now;
        let identity = session.identity.clone();
        Some((id, identity))
    }

    /// Close session `id` (logout); nothing if it is not open.
    pub fn close(&self, id: &SessionId) {
        self.open.lock().expect("sessions lock").remove(&id.key());
    }

    fn expired(&self, s: &Session, now: Instant) -> bool {
        now.duration_since(s.seen) >= self.idle || now.duration_since(s.opened) >= self.max
    }
}

/// The cookies of the web application.
#[derive(Debug, Clone)]
pub struct Cookies {
    secure: bool,
    same_site: SameSite,
}

impl Cookies {
    /// Cookies as `settings` say.
    pub fn new(settings: &WebSettings) -> Self {
        Self { secure: settings.secure(), same_site: settings.same_site }
    }

    /// The session cookie's name: the `__Host-` prefix (which browsers
    /// only accept on `Secure` cookies) when cookies are secure.
    pub fn session_name(&self) -> &'static str {
        if self.secure { "__Host-acta-session" } else { "acta-session" }
    }

    /// The anonymous CSRF cookie's name (see [`super::csrf`]).
    pub fn csrf_name(&self) -> &'static str {
        if self.secure { "__Host-acta-csrf" } else { "acta-csrf" }
    }

    /// `Set-Cookie` value for `name=value` (session-long: no Max-Age, so
    /// the browser forgets it when closed; the server enforces expiry).
    pub fn set(&self, name: &str, value: &str) -> String {
        let same_site = match self.same_site {
            SameSite::Lax => "Lax",
            SameSite::Strict => "Strict",
        };
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}{secure}")
    }

    /// `Set-Cookie` value deleting cookie `name`.
    pub fn clear(&self, name: &str) -> String {
        format!("{}; Max-Age=0", self.set(name, ""))
    }
}

/// The value of cookie `name` in a `Cookie` request header.
pub fn read_cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').filter_map(|kv| kv.trim().split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Login;

    fn marie() -> Identity {
        Identity::password("marie".parse::<Login>().unwrap())
    }

    #[test]
    fn a_session_resolves_until_closed_and_ids_are_fresh() {
        let s = Sessions::new(Duration::from_secs(60), Duration::from_secs(3600));
        let a = s.open(marie());
        let b = s.open(marie());
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 43);
        assert_eq!(s.resolve(a.expose()).unwrap().1, marie());
        s.close(&a);
        assert!(s.resolve(a.expose()).is_none());
        assert!(s.resolve(b.expose()).is_some());
        assert!(s.resolve("forged").is_none());
    }

    #[test]
    fn sessions_expire_when_idle_and_at_their_maximum_age() {
        let idle = Sessions::new(Duration::ZERO, Duration::from_secs(3600));
        let id = idle.open(marie());
        assert!(idle.resolve(id.expose()).is_none());
        let max = Sessions::new(Duration::from_secs(3600), Duration::ZERO);
        let id = max.open(marie());
        assert!(max.resolve(id.expose()).is_none());
    }

    #[test]
    fn secure_cookies_take_the_host_prefix_and_plain_ones_cannot() {
        let https =
            WebSettings { public_url: Some("https://actes.example".into()), ..WebSettings::default() };
        let c = Cookies::new(&https);
        assert_eq!(c.session_name(), "__Host-acta-session");
        assert_eq!(c.set("n", "v"), "n=v; Path=/; HttpOnly; SameSite=Lax; Secure");
        let plain = Cookies::new(&WebSettings::default());
        assert_eq!(plain.session_name(), "acta-session");
        assert!(!plain.set("n", "v").contains("Secure"));
        let forced = WebSettings { secure_cookies: Some(false), ..https };
        assert_eq!(Cookies::new(&forced).session_name(), "acta-session");
        assert_eq!(read_cookie("a=1; acta-session=xyz; b=2", "acta-session"), Some("xyz"));
        assert_eq!(read_cookie("a=1", "acta-session"), None);
    }
}
