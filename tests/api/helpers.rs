//! `spawn_app()` and typed request helpers.

use std::path::{Path, PathBuf};
use std::process::Command;

use acta::config::Settings;
use acta::startup::Application;
use reqwest::StatusCode;
use serde_json::Value;
use tempfile::TempDir;

/// A running acta and its data directory (deleted when dropped).
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub data_dir: TempDir,
}

/// Settings for a test: temporary data directory, random port.
pub fn test_settings(data_dir: &Path) -> Settings {
    Settings { data_dir: data_dir.to_owned(), listen: "127.0.0.1:0".parse().unwrap(), ..Settings::default() }
}

/// Start a server on a fresh data directory.
pub async fn spawn_app() -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    let base = spawn_on(data_dir.path()).await;
    TestApp { base, client: reqwest::Client::new(), data_dir }
}

/// Start a server on an existing data directory; returns its base URL.
pub async fn spawn_on(data_dir: &Path) -> String {
    spawn_with(test_settings(data_dir)).await
}

/// Start a server with the given settings; returns its base URL.
pub async fn spawn_with(settings: Settings) -> String {
    if std::env::var_os("TEST_LOG").is_some() {
        acta::telemetry::init("debug");
    }
    let app = Application::build(settings).await.expect("application builds");
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped());
    base
}

impl TestApp {
    /// A server with the given settings (whose data directory is `data_dir`).
    pub async fn with_settings(settings: Settings, data_dir: TempDir) -> Self {
        let base = spawn_with(settings).await;
        Self { base, client: reqwest::Client::new(), data_dir }
    }
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
