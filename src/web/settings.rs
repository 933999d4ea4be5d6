//! Settings of the web application (`[web]` in `acta.toml`; see
//! docs/configuration.md).

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

/// How the web application addresses and remembers people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebSettings {
    /// The address people use to reach acta, e.g. `https://actes.cdg.example`
    /// (links printed on the console start with it). `None` is
    /// `http://<listen>` (`127.0.0.1` when listening on every interface).
    pub public_url: Option<String>,
    /// Whether cookies are `Secure` (sent over HTTPS only, and named with the
    /// `__Host-` prefix). `None`: when `public_url` starts with `https://`.
    pub secure_cookies: Option<bool>,
    /// `lax` (default: following a link to acta from a message keeps the
    /// session) or `strict`.
    pub same_site: SameSite,
    /// A session ends after this many minutes without a request.
    pub session_idle_minutes: u32,
    /// A session ends this many hours after the login, active or not.
    pub session_max_hours: u32,
    /// Failed logins allowed per account within `throttle_window_minutes`.
    pub login_failures_per_account: usize,
    /// Failed logins allowed per client address within the window.
    pub login_failures_per_address: usize,
    /// The throttle's window.
    pub throttle_window_minutes: u32,
    /// Header carrying the client's address, set by a reverse proxy in front
    /// of acta (e.g. `x-forwarded-for`: its last address is used). `None`:
    /// the TCP peer's address. Set it only behind a proxy that sets it.
    pub client_address_header: Option<String>,
    /// Validity of the first-run link, in minutes.
    pub setup_link_minutes: u32,
}

/// The `SameSite` attribute of the session cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SameSite {
    /// Sent on top-level navigations from other sites.
    Lax,
    /// Never sent from other sites.
    Strict,
}

impl Default for WebSettings {
    fn default() -> Self {
        Self {
            public_url: None,
            secure_cookies: None,
            same_site: SameSite::Lax,
            session_idle_minutes: 30,
            session_max_hours: 10,
            login_failures_per_account: 5,
            login_failures_per_address: 50,
            throttle_window_minutes: 15,
            client_address_header: None,
            setup_link_minutes: 30,
        }
    }
}

impl WebSettings {
    /// The public base URL, without a trailing slash, for a server bound to `bound`.
    pub fn base_url(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None if bound.ip().is_unspecified() => format!("http://127.0.0.1:{}", bound.port()),
            None => format!("http://{bound}"),
        }
    }

    /// Whether cookies are `Secure`.
    pub fn secure(&self) -> bool {
        self.secure_cookies
            .unwrap_or_else(|| self.public_url.as_deref().is_some_and(|u| u.starts_with("https://")))
    }
}
