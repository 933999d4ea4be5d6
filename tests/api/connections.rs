//! The server keeps answering whatever its clients do: a panicking handler
//! costs one 500, and crowds of idle, half-sent or trickling connections,
//! more than the process has file descriptors, are cut by the timeouts
//! (`http` settings) and never stop it.

use std::time::Duration;

use acta::auth::Role;
use acta::startup::Application;
use axum::Router;
use axum::routing::get;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::{Served, TestApp, acta_command, test_keys, test_settings};

/// A handler with a bug.
async fn buggy() -> &'static str {
    panic!("index out of bounds: the len is 3 but the index is 7")
}

#[tokio::test]
async fn a_panicking_request_is_answered_500_alone_and_the_server_serves_on() {
    let data_dir = tempfile::tempdir().unwrap();
    let settings = test_settings(data_dir.path());
    let app = Application::build(settings.clone()).await.unwrap();
    let extra = Router::new().route("/bug", get(buggy));
    let router = acta::http::router_with(app.acta(), settings.max_body_bytes, extra);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        acta::http::server::serve(listener, router, &settings.http, std::future::pending()).await
    });

    let client = reqwest::Client::new();
    for _ in 0..3 {
        let r = client.get(format!("{base}/bug")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        assert!(r.headers().contains_key("x-request-id"), "the id to quote to support");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        let text = r.text().await.unwrap();
        assert!(!text.contains("index out of bounds"), "the panic message is logged, never sent: {text}");
        let problem: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(problem["code"], "internal_panic");
        assert_eq!(problem["status"], 500);
        assert!(problem["detail"].as_str().unwrap().contains("journalisée"));

        let r = client.get(format!("{base}/health")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "the next request is served");
    }
}

#[tokio::test]
async fn at_the_connection_cap_new_connections_wait_until_a_slot_frees() {
    let data_dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(data_dir.path());
    settings.http.max_connections = 2;
    settings.http.idle_timeout_secs = 1;
    let base = crate::helpers::spawn_with(settings).await;
    let addr = base.strip_prefix("http://").unwrap().to_owned();
    // Two silent connections take both slots.
    let mut squatters = [TcpStream::connect(&addr).await.unwrap(), TcpStream::connect(&addr).await.unwrap()];
    tokio::time::sleep(Duration::from_millis(100)).await;
    let client = reqwest::Client::new();
    let health = client.get(format!("{base}/health")).timeout(Duration::from_millis(300)).send().await;
    assert!(health.is_err(), "served beyond the cap: {health:?}");
    // Once the idle timeout closes them, a slot frees and requests are served.
    for s in &mut squatters {
        let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut [0; 16])).await;
        assert!(matches!(n, Ok(Ok(0) | Err(_))), "an idle connection was not closed: {n:?}");
    }
    let r = client.get(format!("{base}/health")).timeout(Duration::from_secs(10)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn headers_that_trickle_are_cut_at_the_header_timeout_not_the_idle_one() {
    let data_dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(data_dir.path());
    settings.http.header_read_timeout_secs = 1;
    settings.http.idle_timeout_secs = 60;
    let app = TestApp::with_settings(settings, data_dir).await;
    let addr = app.base.strip_prefix("http://").unwrap().to_owned();
    let stream = TcpStream::connect(&addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    writer.write_all(b"GET /health HTTP/1.1\r\nHost: acta\r\n").await.unwrap();
    // A header line every 200 ms: never silent, never complete.
    let trickle = tokio::spawn(async move {
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if writer.write_all(b"X-Slow: 1\r\n").await.is_err() {
                break;
            }
        }
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), reader.read_to_end(&mut answer)).await;
    trickle.abort();
    assert!(read.is_ok(), "a request whose headers trickle was still open after 10 s (header timeout 1 s)");
}

#[tokio::test]
async fn a_body_that_trickles_past_the_body_timeout_is_answered_408_and_the_connection_closed() {
    let data_dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(data_dir.path());
    settings.http.body_read_timeout_secs = 1;
    let app = TestApp::with_settings(settings, data_dir).await;
    let token = app.token(Role::Admin, &[]).await;
    let addr = app.base.strip_prefix("http://").unwrap().to_owned();
    // A route whose access gate reads the body, one whose handler reads
    // JSON, and the public one that reads raw bytes.
    for path in ["/api/v1/acts", "/api/v1/tokens", "/api/v1/verify"] {
        let stream = TcpStream::connect(&addr).await.unwrap();
        let (mut reader, mut writer) = stream.into_split();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: acta\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{{\"template\""
        );
        writer.write_all(head.as_bytes()).await.unwrap();
        // A byte every 200 ms: never stalled, yet far too slow.
        let trickle = tokio::spawn(async move {
            for _ in 0..100 {
                tokio::time::sleep(Duration::from_millis(200)).await;
                if writer.write_all(b" ").await.is_err() {
                    break;
                }
            }
        });
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), reader.read_to_end(&mut answer)).await;
        trickle.abort();
        assert!(read.is_ok(), "{path}: the connection was not closed");
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{path}: {answer}");
        assert!(answer.contains("\"code\":\"request_timeout\""), "{path}: {answer}");
    }
}

#[tokio::test]
async fn on_sigterm_the_server_closes_idle_connections_finishes_requests_in_flight_and_exits() {
    let data_dir = tempfile::tempdir().unwrap();
    let mut command = acta_command();
    command.arg("--data-dir").arg(data_dir.path()).env("RUST_LOG", "warn");
    let mut served = Served::start(command).await;
    let addr = served.base.strip_prefix("http://").unwrap().to_owned();
    let mut idle = TcpStream::connect(&addr).await.unwrap();
    // A verification whose body is half sent when the signal comes.
    let body = format!("{{\"sha256\": \"{}\"}}", "ab".repeat(32));
    let (first, rest) = body.split_at(20);
    let mut in_flight = TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/verify HTTP/1.1\r\nHost: acta\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{first}",
        body.len()
    );
    in_flight.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let kill =
        std::process::Command::new("kill").args(["-TERM", &served.pid().to_string()]).status().unwrap();
    assert!(kill.success());
    let closed = tokio::time::timeout(Duration::from_secs(5), idle.read(&mut [0; 16])).await;
    assert!(matches!(closed, Ok(Ok(0) | Err(_))), "the idle connection was kept: {closed:?}");
    assert!(served.is_running(), "exited with a request in flight");

    in_flight.write_all(rest.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), in_flight.read_to_end(&mut answer)).await.unwrap().unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let status = served.exited_within(Duration::from_secs(10)).await.expect("acta did not exit");
    assert!(status.success(), "{status:?}");
}

/// The server's open-file limit in the crowd test; the crowd is larger.
const FD_LIMIT: usize = 256;
/// Connections the crowd opens.
const CROWD: usize = 1500;

/// What one connection of the crowd does after connecting.
#[derive(Debug, Clone, Copy)]
enum Behaviour {
    /// Nothing.
    Idle,
    /// Half a request head, then nothing.
    HalfHeader,
    /// A whole head announcing a body, then the body one byte at a time.
    SlowBody,
}

/// How a crowd connection ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    /// Never connected (the kernel's accept queue was full for 20 s).
    NotConnected,
    /// The server closed it.
    Closed,
    /// Still open when the test stopped waiting (20 s).
    StillOpen,
}

async fn crowd_connection(addr: String, behaviour: Behaviour) -> End {
    let Ok(Ok(stream)) = tokio::time::timeout(Duration::from_secs(20), TcpStream::connect(&addr)).await
    else {
        return End::NotConnected;
    };
    let (mut reader, mut writer) = stream.into_split();
    let writing = tokio::spawn(async move {
        match behaviour {
            Behaviour::Idle => {}
            Behaviour::HalfHeader => {
                let _ = writer.write_all(b"GET /health HTTP/1.1\r\nHost: acta\r\nUser-Agent: sl").await;
            }
            Behaviour::SlowBody => {
                let head = "POST /api/v1/verify HTTP/1.1\r\nHost: acta\r\nContent-Type: application/pdf\r\n\
                            Content-Length: 100000\r\n\r\n%PDF-";
                if writer.write_all(head.as_bytes()).await.is_err() {
                    return writer;
                }
                for _ in 0..200 {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    if writer.write_all(b"x").await.is_err() {
                        break;
                    }
                }
            }
        }
        writer
    });
    // Whatever the server answers (a 400 for the cut body), it must close.
    let mut buf = [0u8; 1024];
    let end = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => return End::Closed,
                Ok(_) => {}
            }
        }
    })
    .await
    .unwrap_or(End::StillOpen);
    writing.abort();
    end
}

/// Descriptors the process has open.
fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap().count()
}

/// CPU seconds the process used so far (user + system).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat.rsplit_once(") ").unwrap().1.split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / 100.0
}

#[tokio::test]
async fn a_crowd_of_idle_and_slow_connections_larger_than_the_fd_limit_neither_stops_the_server_nor_outlives_the_timeouts()
 {
    let data_dir = tempfile::tempdir().unwrap();
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut command = std::process::Command::new("sh");
    command
        .arg("-c")
        .arg(format!("ulimit -n {FD_LIMIT} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_acta"))
        .arg("--data-dir")
        .arg(data_dir.path())
        .env("ACTA_SEAL__KEYS_DIR", test_keys())
        .env("ACTA_HTTP__HEADER_READ_TIMEOUT_SECS", "1")
        .env("ACTA_HTTP__IDLE_TIMEOUT_SECS", "1")
        .env("ACTA_HTTP__BODY_READ_TIMEOUT_SECS", "2")
        // Above the descriptors: the accept loop meets EMFILE, not its cap.
        .env("ACTA_HTTP__MAX_CONNECTIONS", "100000")
        .env("RUST_LOG", "warn")
        .stderr(log.reopen().unwrap());
    let mut served = Served::start(command).await;
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", served.pid())).unwrap();
    assert!(
        limits.lines().any(|l| l.starts_with("Max open files") && l.contains(&format!(" {FD_LIMIT} "))),
        "{limits}"
    );
    let addr = served.base.strip_prefix("http://").unwrap().to_owned();
    let cpu_before = cpu_seconds(served.pid());
    let fds_before = open_fds(served.pid());
    let started = std::time::Instant::now();

    let behaviours = [Behaviour::Idle, Behaviour::HalfHeader, Behaviour::SlowBody];
    let crowd: Vec<_> = (0..CROWD)
        .map(|i| tokio::spawn(crowd_connection(addr.clone(), behaviours[i % behaviours.len()])))
        .collect();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(served.is_running(), "the server died under the crowd");

    // Connections that sent something end first (closed, or given up after
    // 20 s); silent ones still open a few seconds later are not waited for.
    let (silent, speaking): (Vec<_>, Vec<_>) = crowd.into_iter().enumerate().partition(|(i, _)| i % 3 == 0);
    let mut ends = Vec::with_capacity(CROWD);
    for (_, connection) in speaking {
        ends.push(connection.await.unwrap());
    }
    let elapsed = started.elapsed();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut silent_open = 0;
    for (_, connection) in silent {
        if connection.is_finished() {
            ends.push(connection.await.unwrap());
        } else {
            connection.abort();
            silent_open += 1;
        }
    }
    assert!(served.is_running(), "the server died under the crowd");
    let count = |e: End| ends.iter().filter(|x| **x == e).count();

    let (closed, open, refused) = (count(End::Closed), count(End::StillOpen), count(End::NotConnected));
    assert_eq!(open, 0, "connections outlived every timeout");
    assert!(closed > 2 * FD_LIMIT, "too few connections were served and closed: {closed}");
    // A silent connection the kernel completed while acta's accept queue was
    // full stays "established" on the client's side only: the server side
    // drops it after its SYN-ACK retries, and acta never holds it. What acta
    // holds is back to what it held before the crowd.
    let fds_after = open_fds(served.pid());
    assert!(fds_after <= fds_before + 2, "descriptors held after the crowd: {fds_before} → {fds_after}");

    // Once the crowd is gone, new requests are answered.
    let client = reqwest::Client::new();
    let r =
        client.get(format!("{}/health", served.base)).timeout(Duration::from_secs(10)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // The descriptors did run out, and the accept loop backed off instead of spinning.
    let log = std::fs::read_to_string(log.path()).unwrap();
    let accept_failures = log.lines().filter(|l| l.contains("accept failed")).count();
    assert!(accept_failures > 0, "the crowd never exhausted the descriptors:\n{log}");
    assert!(accept_failures < 10 * CROWD, "the accept loop spun: {accept_failures} failures");
    let cpu = cpu_seconds(served.pid()) - cpu_before;
    eprintln!(
        "crowd of {CROWD} under ulimit -n {FD_LIMIT}: {closed} served and closed, {silent_open} silent ones never \
         accepted, {refused} never connected, {accept_failures} accept failures, {cpu:.2} s CPU in {elapsed:.1?}, \
         descriptors {fds_before} → {fds_after}"
    );
}
