//! Request bodies cannot take the process's memory or its connections: the
//! bodies being received share one budget (`http.body_budget_bytes`, 503
//! `server_busy` beyond it), a body must keep a minimum rate
//! (`http.body_min_rate_bytes_per_sec`, 408 below it), one address may be
//! held to a number of connections (`http.max_connections_per_address`), and
//! the verification takes PDFs as long as the longest act acta makes.

use std::time::{Duration, Instant};

use acta::auth::Role;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Served, TestApp, acta_command, test_settings};

const MIB: usize = 1 << 20;

/// A verification request announcing `len` bytes, of which none is sent yet.
async fn announce(addr: &str, len: usize) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v1/verify HTTP/1.1\r\nHost: acta\r\nContent-Type: application/pdf\r\n\
         Content-Length: {len}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s
}

/// What the server answered on `s` within `wait` (`None`: nothing yet).
async fn answer_within(s: &mut TcpStream, wait: Duration) -> Option<String> {
    let mut buf = vec![0u8; 8192];
    let mut got = Vec::new();
    let read = tokio::time::timeout(wait, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    got.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&got);
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let len = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase().strip_prefix("content-length: ")?.parse().ok()
                            })
                            .unwrap_or(0usize);
                        if body.len() >= len {
                            break;
                        }
                    }
                }
            }
        }
    })
    .await;
    (read.is_ok() && !got.is_empty()).then(|| String::from_utf8_lossy(&got).into_owned())
}

fn assert_busy(answer: &str) {
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    let lower = answer.to_ascii_lowercase();
    assert!(lower.contains("\r\nretry-after: 2\r\n"), "{answer}");
    assert!(lower.contains("content-type: application/problem+json"), "{answer}");
    assert!(answer.contains("\"code\":\"server_busy\""), "{answer}");
}

/// Open `n` verifications of 1 MiB each; those the budget holds (no answer
/// within a second) and the answers of the others.
async fn crowd(addr: &str, n: usize) -> (Vec<TcpStream>, Vec<String>) {
    let mut streams = Vec::new();
    for _ in 0..n {
        streams.push(announce(addr, MIB).await);
    }
    let answers = futures::future::join_all(
        streams
            .into_iter()
            .map(|mut s| async move { (answer_within(&mut s, Duration::from_secs(1)).await, s) }),
    )
    .await;
    let (mut held, mut refused) = (Vec::new(), Vec::new());
    for (answer, s) in answers {
        match answer {
            None => held.push(s),
            Some(a) => refused.push(a),
        }
    }
    (held, refused)
}

#[tokio::test]
async fn bodies_beyond_the_budget_are_answered_503_with_retry_after_while_health_answers_and_the_budget_comes_back()
 {
    let data_dir = tempfile::tempdir().unwrap();
    let mut command = acta_command();
    command
        .arg("--data-dir")
        .arg(data_dir.path())
        .env("ACTA_HTTP__BODY_BUDGET_BYTES", (3 * MIB).to_string())
        // The held bodies wait longer than a rate window would allow.
        .env("ACTA_HTTP__BODY_RATE_WINDOW_SECS", "60")
        // The refusals are logged as failures: expected here.
        .env("RUST_LOG", "off");
    let served = Served::start(command).await;
    let addr = served.base.strip_prefix("http://").unwrap().to_owned();

    // Eight clients announce 1 MiB each: three fill the budget, five are
    // turned away at once, before sending a byte of their body.
    let (mut held, refused) = crowd(&addr, 8).await;
    assert_eq!((held.len(), refused.len()), (3, 5), "{refused:?}");
    refused.iter().for_each(|a| assert_busy(a));

    // Requests without a body are served meanwhile.
    let client = reqwest::Client::new();
    let r =
        client.get(format!("{}/health", served.base)).timeout(Duration::from_secs(5)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // A body without a length is cut as soon as it does not fit.
    let mut chunked = TcpStream::connect(&addr).await.unwrap();
    let head = "POST /api/v1/verify HTTP/1.1\r\nHost: acta\r\nContent-Type: application/pdf\r\n\
                Transfer-Encoding: chunked\r\n\r\n800\r\n";
    chunked.write_all(head.as_bytes()).await.unwrap();
    chunked.write_all(&[b'%'; 0x800]).await.unwrap();
    chunked.write_all(b"\r\n").await.unwrap();
    assert_busy(&answer_within(&mut chunked, Duration::from_secs(5)).await.expect("an answer"));

    // The held bodies arrive and are answered (not a PDF acta made: a
    // verdict or a refusal, never "busy").
    let junk = vec![b'x'; MIB];
    for s in &mut held {
        s.write_all(&junk).await.unwrap();
        let answer = answer_within(s, Duration::from_secs(30)).await.expect("an answer");
        let status = answer.split(' ').nth(1).unwrap_or_default().to_owned();
        assert!(status == "200" || status == "422", "{answer}");
    }
    drop(held);

    // Every byte of the budget is back: three bodies fit again, not four.
    let (held, refused) = crowd(&addr, 4).await;
    assert_eq!((held.len(), refused.len()), (3, 1), "{refused:?}");
    assert_busy(&refused[0]);
}

/// A body sent `piece` bytes at a time every `every` until `len` bytes; the
/// answer and how long it took.
async fn upload(
    addr: &str,
    path: &str,
    token: &str,
    body: Vec<u8>,
    piece: usize,
    every: Duration,
) -> (String, Duration) {
    let started = Instant::now();
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: acta\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    writer.write_all(head.as_bytes()).await.unwrap();
    let sending = tokio::spawn(async move {
        for chunk in body.chunks(piece) {
            if writer.write_all(chunk).await.is_err() {
                break;
            }
            tokio::time::sleep(every).await;
        }
        writer
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), reader.read_to_end(&mut answer)).await;
    sending.abort();
    assert!(read.is_ok(), "{path}: the connection was still open after 30 s");
    (String::from_utf8_lossy(&answer).into_owned(), started.elapsed())
}

#[tokio::test]
async fn a_body_trickling_a_few_bytes_a_second_is_cut_well_before_the_body_timeout_and_a_slow_link_still_uploads()
 {
    let data_dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(data_dir.path());
    settings.http.body_rate_window_secs = 1;
    settings.http.body_min_rate_bytes_per_sec = 1024;
    assert_eq!(settings.http.body_read_timeout_secs, 60);
    let app = TestApp::with_settings(settings, data_dir).await;
    let token = app.token(Role::Admin, &[]).await;
    let addr = app.base.strip_prefix("http://").unwrap().to_owned();

    // 5 bytes a second, on the public route and on one whose access gate reads the body.
    let trickle = |path: &'static str| {
        let (addr, token) = (addr.clone(), token.clone());
        async move { upload(&addr, path, &token, vec![b' '; 5000], 1, Duration::from_millis(200)).await }
    };
    // 12 KiB at 4 KiB/s: a poor mobile link, well above the minimum.
    let mut slow = format!("{{\"sha256\": \"{}\"}}", "ab".repeat(32)).into_bytes();
    slow.resize(12 * 1024, b' ');
    let reasonable = upload(&addr, "/api/v1/verify", &token, slow, 512, Duration::from_millis(125));

    let ((verify, verify_took), (acts, acts_took), (ok, ok_took)) =
        tokio::join!(trickle("/api/v1/verify"), trickle("/api/v1/acts"), reasonable);
    for (path, answer, took) in [("/api/v1/verify", verify, verify_took), ("/api/v1/acts", acts, acts_took)] {
        assert!(answer.starts_with("HTTP/1.1 408"), "{path}: {answer}");
        assert!(answer.contains("\"code\":\"request_timeout\""), "{path}: {answer}");
        assert!(took < Duration::from_secs(5), "{path}: cut after {took:?}, the window is 1 s");
    }
    assert!(ok.starts_with("HTTP/1.1 200"), "a slow but steady upload was refused after {ok_took:?}: {ok}");
    assert!(ok_took >= Duration::from_secs(2), "the upload was not slow: {ok_took:?}");
}

#[tokio::test]
async fn a_pdf_over_two_mib_is_verified_not_refused_and_only_one_beyond_the_longest_act_is_413() {
    let app = crate::helpers::spawn_app().await;
    let id = app.create(&crate::helpers::fixture("arrete-avancement-echelon")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, act) = app.seal(&id).await;
    assert_eq!(status, StatusCode::OK, "{act:#}");
    let sealed = app.pdf(&id).await;
    // What a 140-page procès-verbal weighs: the sealed act, grown past 2 MiB by a
    // comment after its end (which the verifier reads and reports).
    let mut big = sealed.clone();
    big.extend_from_slice(b"\n%");
    big.resize(2 * MIB + 4096, b' ');
    let anonymous = reqwest::Client::new();
    let r = anonymous
        .post(app.url("/api/v1/verify"))
        .header("content-type", "application/pdf")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "a PDF of 2 MiB and more was not read");
    let verdict: serde_json::Value = r.json().await.unwrap();
    assert_eq!(verdict["authentique"], false, "{verdict:#}");
    assert!(verdict.to_string().contains("ajoutés après la signature"), "{verdict:#}");

    // The limit is the longest act the render limits allow (500 pages by
    // default), not unbounded: announced beyond it, 413 before any byte is read.
    let mut s = announce(app.base.strip_prefix("http://").unwrap(), 64 * MIB).await;
    let answer = answer_within(&mut s, Duration::from_secs(5)).await.expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"code\":\"payload_too_large\""), "{answer}");
    // Other routes keep `max_body_bytes`.
    let r = app
        .client
        .post(app.url("/api/v1/acts"))
        .header("content-type", "application/json")
        .body(vec![b' '; 2 * MIB + 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn connections_beyond_the_per_address_cap_are_closed_at_once_and_served_again_when_one_closes() {
    let data_dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(data_dir.path());
    settings.http.max_connections_per_address = 2;
    let app = TestApp::with_settings(settings, data_dir).await;
    let addr = app.base.strip_prefix("http://").unwrap().to_owned();
    // Two connections from this address, silent: within the cap, kept.
    let first = TcpStream::connect(&addr).await.unwrap();
    let mut second = TcpStream::connect(&addr).await.unwrap();
    // A third is closed without an answer, long before any timeout.
    let mut third = TcpStream::connect(&addr).await.unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(2), third.read(&mut [0; 16])).await;
    assert!(matches!(closed, Ok(Ok(0) | Err(_))), "a third connection was kept: {closed:?}");
    let kept = tokio::time::timeout(Duration::from_millis(300), second.read(&mut [0; 16])).await;
    assert!(kept.is_err(), "a connection within the cap was closed: {kept:?}");
    // One of the two goes: the address may connect again.
    drop(first);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let r = client.get(app.url("/health")).timeout(Duration::from_secs(5)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_form_cut_by_the_body_rules_gets_a_french_page_saying_why() {
    let data_dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(data_dir.path());
    settings.http.body_budget_bytes = 64 << 10;
    settings.http.body_rate_window_secs = 1;
    let app = TestApp::with_settings(settings, data_dir).await;
    let addr = app.base.strip_prefix("http://").unwrap().to_owned();
    let form = |extra: &str| {
        format!(
            "POST /connexion HTTP/1.1\r\nHost: acta\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             {extra}\r\n"
        )
    };

    // Trickled: a French page, 408, well before the body timeout.
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    slow.write_all(form("Content-Length: 5000\r\n").as_bytes()).await.unwrap();
    let trickle = async {
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let _ = slow.write_all(b"a").await;
        }
        answer_within(&mut slow, Duration::from_secs(10)).await.expect("an answer")
    };
    let answer = trickle.await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("Envoi trop lent"), "{answer}");

    // The budget full (one body announced to fill it), a chunked form: 503.
    let mut holder = announce(&addr, 64 << 10).await;
    let mut chunked = TcpStream::connect(&addr).await.unwrap();
    chunked.write_all(form("Transfer-Encoding: chunked\r\n").as_bytes()).await.unwrap();
    chunked.write_all(b"400\r\n").await.unwrap();
    chunked.write_all(&[b'a'; 0x400]).await.unwrap();
    chunked.write_all(b"\r\n").await.unwrap();
    let answer = answer_within(&mut chunked, Duration::from_secs(5)).await.expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("retry-after: 2"), "{answer}");
    assert!(answer.contains("Service momentanément surchargé"), "{answer}");
    // A form announcing its length is refused before a byte is read: the
    // same French page, not the API's JSON.
    let mut announced = TcpStream::connect(&addr).await.unwrap();
    announced.write_all(form("Content-Length: 2000\r\n").as_bytes()).await.unwrap();
    let answer = answer_within(&mut announced, Duration::from_secs(5)).await.expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("content-type: text/html"), "{answer}");
    assert!(answer.contains("Service momentanément surchargé"), "{answer}");
    assert!(
        answer_within(&mut holder, Duration::from_millis(100)).await.is_none(),
        "the holder was answered"
    );
}
