//! `spawn_app()` and typed request helpers.
//!
//! Every `TestApp` holds an administrator token, created through the library
//! in the server's store, and its `client` sends it with every request; tests
//! of access rules make other tokens with [`token_for`] and [`client_with`].

use std::path::{Path, PathBuf};
use std::process::Command;

use acta::auth::{Role, TokenRequest, Tokens};
use acta::config::Settings;
use acta::startup::Application;
use acta::store::Store;
use reqwest::StatusCode;
use serde_json::Value;
use tempfile::TempDir;

/// A running acta and its data directory (deleted when dropped).
pub struct TestApp {
    pub base: String,
    /// Sends an administrator token.
    pub client: reqwest::Client,
    pub data_dir: TempDir,
    /// The server's store, to make more tokens.
    pub store: Store,
}

/// Settings for a test: temporary data directory, random port, the test
/// binary's keys (so that servers sharing a store share the log key, as
/// production processes must).
pub fn test_settings(data_dir: &Path) -> Settings {
    let mut settings = Settings {
        data_dir: data_dir.to_owned(),
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Settings::default()
    };
    settings.seal.keys_dir = Some(test_keys().to_owned());
    settings
}

/// The real `acta` binary, with the test run's keys (see [`test_keys`]).
pub fn acta_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_acta"));
    command.env("ACTA_SEAL__KEYS_DIR", test_keys());
    command
}

/// Run the real `acta` binary on `data_dir`, with quiet logs (its stderr
/// carries only what the command itself prints).
pub fn acta_in(data_dir: &Path, args: &[&str]) -> std::process::Output {
    acta_command()
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("RUST_LOG", "error")
        .output()
        .expect("acta runs")
}

/// [`acta_in`], which must succeed; its standard output.
pub fn acta_ok(data_dir: &Path, args: &[&str]) -> String {
    let out = acta_in(data_dir, args);
    assert!(out.status.success(), "acta {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// A test PKI and log key made once per test run by `acta::keys::init`.
pub fn test_keys() -> &'static Path {
    static KEYS: std::sync::OnceLock<TempDir> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        acta::keys::init(dir.path(), &acta::config::SealSettings::default().log_origin).unwrap();
        dir
    })
    .path()
}

/// Start a server on a fresh data directory.
pub async fn spawn_app() -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    TestApp::with_settings(test_settings(data_dir.path()), data_dir).await
}

/// Start a server on an existing data directory; returns its base URL.
pub async fn spawn_on(data_dir: &Path) -> String {
    spawn_with(test_settings(data_dir)).await
}

/// Start a server with the given settings; returns its base URL.
pub async fn spawn_with(settings: Settings) -> String {
    start(settings).await.0
}

async fn start(settings: Settings) -> (String, Store) {
    if std::env::var_os("TEST_LOG").is_some() {
        acta::telemetry::init("debug");
    }
    let app = Application::build(settings).await.expect("application builds");
    let base = format!("http://{}", app.local_addr());
    let store = app.acta().store().clone();
    tokio::spawn(app.run_until_stopped());
    (base, store)
}

impl TestApp {
    /// A server with the given settings (whose data directory is `data_dir`).
    pub async fn with_settings(settings: Settings, data_dir: TempDir) -> Self {
        let (base, store) = start(settings).await;
        let token = token_for(&store, Role::Admin, &[]).await;
        Self { base, client: client_with(&token), data_dir, store }
    }

    /// A token of `role` for `collectivites` in this server's store.
    pub async fn token(&self, role: Role, collectivites: &[&str]) -> String {
        token_for(&self.store, role, collectivites).await
    }
}

/// A token valid for a day, created through the library in `store`.
pub async fn token_for(store: &Store, role: Role, collectivites: &[&str]) -> String {
    let now = time::OffsetDateTime::now_utc();
    let req = TokenRequest {
        role,
        collectivites: collectivites.iter().map(|s| s.parse().unwrap()).collect(),
        expires_at: now + time::Duration::days(1),
    };
    let (_, token) = Tokens::new(store.clone()).create(&req, |_| true, now).await.unwrap();
    token.expose()
}

/// A client sending `token` with every request.
pub fn client_with(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    let value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).unwrap();
    headers.insert(reqwest::header::AUTHORIZATION, value);
    reqwest::Client::builder().default_headers(headers).build().unwrap()
}

/// The fixture request body of a template.
pub fn fixture(template: &str) -> Value {
    let path = repo_path(&format!("fixtures/acts/{template}.json"));
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POST a request body to /api/v1/acts.
    pub async fn post_act(&self, body: &Value) -> (StatusCode, Value) {
        let r = self.client.post(self.url("/api/v1/acts")).json(body).send().await.unwrap();
        json_of(r).await
    }

    /// POST raw bytes to /api/v1/acts.
    pub async fn post_raw(&self, body: &'static str) -> (StatusCode, Value) {
        let r = self
            .client
            .post(self.url("/api/v1/acts"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        json_of(r).await
    }

    /// Create the fixture draft of `template`; returns the act.
    pub async fn create(&self, body: &Value) -> Value {
        let (status, act) = self.post_act(body).await;
        assert_eq!(status, StatusCode::CREATED, "{act:#}");
        act
    }

    pub async fn seal(&self, id: &str) -> (StatusCode, Value) {
        let r = self.client.post(self.url(&format!("/api/v1/acts/{id}/seal"))).send().await.unwrap();
        json_of(r).await
    }

    pub async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        json_of(self.client.get(self.url(path)).send().await.unwrap()).await
    }

    /// GET the PDF of an act; fails the test unless it is a PDF.
    pub async fn pdf(&self, id: &str) -> Vec<u8> {
        let r = self.client.get(self.url(&format!("/api/v1/acts/{id}/pdf"))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-type"], "application/pdf");
        let bytes = r.bytes().await.unwrap().to_vec();
        assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
        bytes
    }

    pub async fn search(&self, q: &str) -> Value {
        let r = self.client.get(self.url("/api/v1/search")).query(&[("q", q)]).send().await.unwrap();
        let (status, body) = json_of(r).await;
        assert_eq!(status, StatusCode::OK, "{body:#}");
        body
    }
}

async fn json_of(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, body)
}

/// Run an external tool on a PDF and return its standard output.
pub fn pdf_tool(tool: &str, args: &[&str], pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("doc.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new(tool)
        .args(args)
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("{tool} is required (scripts/test.sh installs it): {e}"));
    assert!(out.status.success(), "{tool} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The text of a PDF with every run of white space (line breaks, non-breaking
/// spaces) folded into one space, so phrases can be searched whatever the
/// line breaking.
pub fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("doc.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext is required (scripts/test.sh installs it)");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The files under the store's `acts/` prefix.
pub fn stored_acts(data_dir: &Path) -> Vec<PathBuf> {
    let root = data_dir.join("store").join("acts");
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() { stack.push(p) } else { out.push(p) }
        }
    }
    out
}

/// A real `acta serve` process on a free port; killed (SIGKILL) when dropped.
pub struct Served {
    child: std::process::Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl Served {
    /// Run `command` (the `acta` binary with its global flags and
    /// environment) as `serve` on a free port, and wait until it answers.
    pub async fn start(mut command: Command) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = command
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let served = Self { child, base: format!("http://127.0.0.1:{port}") };
        let start = std::time::Instant::now();
        while reqwest::get(format!("{}/health", served.base)).await.is_err() {
            assert!(start.elapsed() < std::time::Duration::from_secs(60), "acta serve did not start");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        served
    }
}

impl Served {
    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Wait up to `limit` for the server to exit; its status, if it did.
    pub async fn exited_within(&mut self, limit: std::time::Duration) -> Option<std::process::ExitStatus> {
        let start = std::time::Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        None
    }

    /// Whether the server is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
