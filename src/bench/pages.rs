//! `acta bench pages`: the server time of the pages and of the live
//! « Aperçu », measured as a browser gets them. An application is built in
//! this process ([`Application::build`](crate::startup::Application::build), throw-away data directory) with one
//! administrator account, a draft and a sealed act; a client logs in through
//! the login form (CSRF cookie, then session cookie) and asks each page in
//! turn over HTTP on the loopback, timing from the request sent to the last
//! byte of the body received (so the figure is an upper bound of the server's
//! time). Renders (« Aperçu », PDFs, page images) and the search page have
//! their own targets and benchmarks and are not in the list.
//!
//! The live « Aperçu » is timed the same way: the act's form posted as
//! `acta.js` posts it (one field changed each time, as when typing, so that
//! no render is served from Typst's memoization of the previous one) until
//! the PNG of its page is received.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::BenchError;
use crate::auth::users::{Login, NewUser, Users};
use crate::auth::{Password, Role};
use crate::config::Settings;
use crate::store::Store;

/// Figures of `acta bench pages`.
#[derive(Debug, Clone, Default)]
pub struct PagesReport {
    /// Timed requests per page.
    pub rounds: usize,
    /// Per page: address, p50, p99, largest (ms), body bytes.
    pub pages: Vec<(String, f64, f64, f64, usize)>,
    /// The live « Aperçu »: requests, p50, p99 (ms), PNG bytes.
    pub preview: (usize, f64, f64, usize),
}

impl std::fmt::Display for PagesReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "server time per page, {} requests each (request sent → body received):", self.rounds)?;
        writeln!(f, "{:<44} {:>8} {:>8} {:>8} {:>8}", "page", "p50 ms", "p99 ms", "max ms", "bytes")?;
        for (page, p50, p99, max, bytes) in &self.pages {
            writeln!(f, "{page:<44} {p50:>8.2} {p99:>8.2} {max:>8.2} {bytes:>8}")?;
        }
        let (n, p50, p99, bytes) = self.preview;
        writeln!(f, "live preview of a one-page act, {n} requests (form posted → PNG received):")?;
        writeln!(
            f,
            "{:<44} {p50:>8.2} {p99:>8.2} {:>8} {bytes:>8}",
            "POST /actes/nouveau/{template}/apercu", ""
        )
    }
}

/// Run the benchmark: `rounds` requests per page, `previews` live previews
/// of `fixture` (a request body of `POST /api/v1/acts`).
pub async fn pages(
    base: &Settings,
    fixture: &Value,
    rounds: usize,
    previews: usize,
) -> Result<PagesReport, BenchError> {
    super::in_scratch_dir("pages", |dir| async move {
        run(base, &dir, fixture, rounds.max(1), previews.max(1)).await
    })
    .await
}

fn fail(e: impl std::fmt::Display) -> BenchError {
    BenchError::Invalid(e.to_string())
}

async fn run(
    base: &Settings,
    dir: &std::path::Path,
    fixture: &Value,
    rounds: usize,
    previews: usize,
) -> Result<PagesReport, BenchError> {
    let settings = super::scratch_settings(base, dir);
    // The account exists before the start: no first-run link is printed.
    let password = Password::generate();
    let login: Login = "bench".parse().map_err(fail)?;
    let users = Users::new(Store::local(&settings.store_dir()).map_err(fail)?);
    let new = NewUser {
        login,
        display_name: "Banc d'essai".into(),
        role: Role::Admin,
        collectivites: Vec::new(),
        password: Some(password.clone()),
    };
    users.create(new, |_| true, "bench").await.map_err(fail)?;
    let (url, acta) = super::serve_here(settings).await?;

    let draft = acta.create_draft(fixture).await?.id;
    let sealed = acta.create_draft(fixture).await?.id;
    acta.seal(&sealed).await?;
    let template = fixture["template"].as_str().unwrap_or_default();
    let siren = fixture["collectivite"].as_str().unwrap_or_default();

    let mut client = Browser::new(&url)?;
    client.log_in("bench", password.expose()).await?;
    let form = format!("/actes/nouveau/{template}?collectivite={siren}");
    let pages: Vec<(&str, String)> = vec![
        ("/accueil", "/accueil".into()),
        ("/actes/nouveau", "/actes/nouveau".into()),
        ("/actes/nouveau/{template} (form)", form.clone()),
        ("/actes/{draft}", format!("/actes/{draft}")),
        ("/actes/{draft}/modifier", format!("/actes/{draft}/modifier")),
        ("/actes/{draft}/sceller", format!("/actes/{draft}/sceller")),
        ("/actes/{draft}/supprimer", format!("/actes/{draft}/supprimer")),
        ("/actes/{sealed} (with its verification)", format!("/actes/{sealed}")),
        ("/collectivite", format!("/collectivite?collectivite={siren}")),
        ("/transferts", "/transferts".into()),
        ("/admin/comptes", "/admin/comptes".into()),
        ("/admin/jetons", "/admin/jetons".into()),
        ("/admin/journal", "/admin/journal".into()),
        ("/verifier", "/verifier".into()),
        ("/aide", "/aide".into()),
        ("/accessibilite", "/accessibilite".into()),
        ("/static/acta.<hash>.css", crate::web::assets::css_url().into()),
        ("/static/acta.<hash>.js", crate::web::assets::js_url().into()),
    ];
    let mut report = PagesReport { rounds, ..PagesReport::default() };
    for (label, page) in pages {
        for _ in 0..5 {
            client.get(&page).await?;
        }
        let mut times = Vec::with_capacity(rounds);
        let mut bytes = 0;
        for _ in 0..rounds {
            let t = Instant::now();
            bytes = client.get(&page).await?;
            times.push(t.elapsed());
        }
        let (p50, p99, max) = percentiles(&mut times);
        report.pages.push((label.to_owned(), p50, p99, max, bytes));
    }

    // The live « Aperçu »: the form as typed, one letter more each time.
    let csrf = client.csrf(&form).await?;
    let mut pairs = Vec::new();
    form_pairs(&fixture["data"], "", &mut pairs);
    pairs.extend([("csrf".to_owned(), csrf), ("collectivite".to_owned(), siren.to_owned())]);
    let name = pairs.iter().position(|(k, _)| k == "/agent/nom");
    let address = format!("/actes/nouveau/{template}/apercu");
    let mut times = Vec::with_capacity(previews);
    let mut png = 0;
    for i in 0..previews + 3 {
        if let Some(at) = name {
            pairs[at].1 = format!("Dupont{}", "e".repeat(i % 40));
        }
        let t = Instant::now();
        png = client.post(&address, &pairs).await?;
        if i >= 3 {
            times.push(t.elapsed());
        }
    }
    let (p50, p99, _) = percentiles(&mut times);
    report.preview = (previews, p50, p99, png);
    Ok(report)
}

fn percentiles(times: &mut [Duration]) -> (f64, f64, f64) {
    times.sort();
    let at = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0;
    (at(0.5), at(0.99), at(1.0))
}

/// An act's data as its form posts it: inputs named by JSON pointer, `#`
/// and the pointer giving a list's rows.
fn form_pairs(v: &Value, ptr: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, v)| form_pairs(v, &format!("{ptr}/{k}"), out)),
        Value::Array(items) => {
            out.push((format!("#{ptr}"), items.len().to_string()));
            items.iter().enumerate().for_each(|(i, v)| form_pairs(v, &format!("{ptr}/{i}"), out));
        }
        Value::String(s) => out.push((ptr.to_owned(), s.clone())),
        other => out.push((ptr.to_owned(), other.to_string())),
    }
}

/// A client keeping its cookies, redirects not followed (each answer timed alone).
struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: Vec<(String, String)>,
}

impl Browser {
    fn new(base: &str) -> Result<Self, BenchError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(fail)?;
        Ok(Self { http, base: base.to_owned(), cookies: Vec::new() })
    }

    fn cookie(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    /// The answer's body, once whole; its length. Anything but 200 is an error.
    async fn finish(&mut self, what: &str, r: reqwest::Response) -> Result<(u16, Vec<u8>), BenchError> {
        for v in r.headers().get_all(reqwest::header::SET_COOKIE) {
            let Some((name, value)) =
                v.to_str().ok().and_then(|v| v.split(';').next()).and_then(|c| c.split_once('='))
            else {
                continue;
            };
            self.cookies.retain(|(k, _)| k != name);
            self.cookies.push((name.to_owned(), value.to_owned()));
        }
        let status = r.status().as_u16();
        let body = r.bytes().await.map_err(fail)?.to_vec();
        if status >= 400 {
            return Err(BenchError::Invalid(format!("{what}: HTTP {status}")));
        }
        Ok((status, body))
    }

    async fn get(&mut self, path: &str) -> Result<usize, BenchError> {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie())
            .send()
            .await
            .map_err(fail)?;
        let (status, body) = self.finish(path, r).await?;
        if status != 200 {
            return Err(BenchError::Invalid(format!("GET {path}: HTTP {status}")));
        }
        Ok(body.len())
    }

    async fn post(&mut self, path: &str, pairs: &[(String, String)]) -> Result<usize, BenchError> {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(fail)?;
        let (status, body) = self.finish(path, r).await?;
        if status != 200 {
            return Err(BenchError::Invalid(format!("POST {path}: HTTP {status}")));
        }
        Ok(body.len())
    }

    /// The CSRF token of the forms of `path`.
    async fn csrf(&mut self, path: &str) -> Result<String, BenchError> {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie())
            .send()
            .await
            .map_err(fail)?;
        let (_, body) = self.finish(path, r).await?;
        let page = String::from_utf8_lossy(&body);
        let marker = r#"name="csrf" value=""#;
        let rest = page.split(marker).nth(1).ok_or_else(|| fail(format!("no CSRF field in {path}")))?;
        Ok(rest.split('"').next().unwrap_or_default().to_owned())
    }

    /// Log in through the form, as a person does.
    async fn log_in(&mut self, login: &str, password: &str) -> Result<(), BenchError> {
        let csrf = self.csrf("/connexion").await?;
        let form = [("csrf", csrf.as_str()), ("identifiant", login), ("mot_de_passe", password)];
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let r = self
            .http
            .post(format!("{}/connexion", self.base))
            .header("cookie", self.cookie())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(fail)?;
        match self.finish("/connexion", r).await? {
            (303, _) => Ok(()),
            (status, _) => Err(BenchError::Invalid(format!("login: HTTP {status}"))),
        }
    }
}
