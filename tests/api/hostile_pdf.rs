//! Issue 13: hostile PDFs sent to the public verification endpoint and to
//! `acta verify`. Deep nesting once exhausted the stack and killed the
//! process; a `/Contents` one byte long panicked the handler. Every file here
//! gets an answer — a verdict (200, "not genuine") when it can be read
//! within the reader's bounds, `422 pdf_too_complex` when it cannot,
//! `503 verification_timeout` past the time budget — and the server stays up.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, acta_in, fixture, spawn_app, test_settings};

/// POST `pdf` to the public endpoint, without a token.
async fn verify(app: &TestApp, pdf: Vec<u8>) -> (StatusCode, String, Value) {
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/verify"))
        .header("content-type", "application/pdf")
        .body(pdf)
        .send()
        .await
        .expect("the server answers (it did not crash nor drop the connection)");
    let status = r.status();
    let content_type =
        r.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, content_type, r.json().await.unwrap_or_default())
}

async fn assert_alive(app: &TestApp) {
    let r = reqwest::get(app.url("/health")).await.expect("the process is alive");
    assert_eq!(r.status(), StatusCode::OK);
}

/// A verdict that the document is not genuine because of its seal.
fn assert_not_genuine(status: StatusCode, verdict: &Value, case: &str) {
    assert_eq!(status, StatusCode::OK, "{case}: {verdict:#}");
    assert_eq!(verdict["authentique"], false, "{case}: {verdict:#}");
    let codes: Vec<&str> =
        verdict["problemes"].as_array().unwrap().iter().filter_map(|p| p["code"].as_str()).collect();
    assert!(codes.contains(&"seal_invalid"), "{case}: {codes:?}");
}

/// `422 pdf_too_complex` problem+json, whose French detail says `why`.
fn assert_too_complex(status: StatusCode, content_type: &str, problem: &Value, why: &str) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem:#}");
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(problem["code"], "pdf_too_complex", "{problem:#}");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.starts_with("le document ne peut pas être vérifié") && detail.contains(why), "{detail}");
}

/// A signature dictionary as a hostile file writes it.
fn sig_pdf(entries: &str) -> Vec<u8> {
    format!(
        "%PDF-1.7\n1 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached {entries} >>\n\
         endobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )
    .into_bytes()
}

/// [`sig_pdf`] whose `/ByteRange` covers the whole file but `contents`, the
/// value of `/Contents`, whatever it is: the checks reach that value.
fn consistent_sig_pdf(contents: &str) -> Vec<u8> {
    let placeholder = "[0 AAAAAAAAAA BBBBBBBBBB CCCCCCCCCC]";
    let doc = String::from_utf8(sig_pdf(&format!("/ByteRange {placeholder} /Contents {contents}"))).unwrap();
    let a = doc.find("/Contents ").unwrap() + "/Contents ".len();
    let b = a + contents.len();
    let range = format!("[0 {a:010} {b:010} {:010}]", doc.len() - b);
    doc.replace(placeholder, &range).into_bytes()
}

#[tokio::test]
async fn deeply_nested_objects_are_refused_with_a_clear_error_and_the_process_survives() {
    let app = spawn_app().await;
    let head = "%PDF-1.7\n1 0 obj\n<< /Type /Sig /ByteRange [0 1 2 3] /Contents ";
    for open in ["[", "<</a ", "[<</k "] {
        let pdf = format!("{head}{}", open.repeat(100_000)).into_bytes();
        let (status, content_type, problem) = verify(&app, pdf).await;
        assert_too_complex(status, &content_type, &problem, "imbriqués sur plus de 64 niveaux");
    }
    // Nested inside the /ByteRange itself, and closed.
    let closed =
        format!("%PDF-1.7\n1 0 obj\n<< /ByteRange {}{} >>", "[".repeat(100_000), "]".repeat(100_000));
    let (status, content_type, problem) = verify(&app, closed.into_bytes()).await;
    assert_too_complex(status, &content_type, &problem, "niveaux");
    assert_alive(&app).await;
}

#[tokio::test]
async fn huge_strings_and_too_many_values_are_refused_and_huge_lengths_are_never_trusted() {
    let app = spawn_app().await;
    let hex = format!("<{}>", "0".repeat((1 << 20) + 10));
    let (status, content_type, problem) = verify(&app, consistent_sig_pdf(&hex)).await;
    assert_too_complex(status, &content_type, &problem, "1 Mio");
    let literal = sig_pdf(&format!("/ByteRange [0 1 2 3] /M ({})", "a".repeat((1 << 20) + 10)));
    let (status, content_type, problem) = verify(&app, literal).await;
    assert_too_complex(status, &content_type, &problem, "1 Mio");
    let many = sig_pdf(&format!("/ByteRange [0 1 2 3] /Contents [{}]", "0 ".repeat(100_001)));
    let (status, content_type, problem) = verify(&app, many).await;
    assert_too_complex(status, &content_type, &problem, "valeurs");

    // A stream declaring an absurd length is never read by its /Length.
    let mut stream =
        b"%PDF-1.7\n2 0 obj\n<< /Length 99999999999999999999 >>\nstream\nxx\nendstream\nendobj\n".to_vec();
    stream.extend_from_slice(&consistent_sig_pdf("<00>")[9..]);
    let (status, _, verdict) = verify(&app, stream).await;
    assert_not_genuine(status, &verdict, "huge /Length");
    assert_alive(&app).await;
}

#[tokio::test]
async fn malformed_signature_dictionaries_get_a_verdict_never_a_dropped_connection() {
    let app = spawn_app().await;
    // /Contents of every wrong type, the ByteRange gap being exactly it
    // (`5`, one byte long, panicked the handler).
    for contents in ["5", "(abc)", "()", "[1 2]", "<<>>", "<zz>", "<>", "/Name", "<0>", "null"] {
        let (status, _, verdict) = verify(&app, consistent_sig_pdf(contents)).await;
        assert_not_genuine(status, &verdict, contents);
    }
    // ByteRanges that overflow, are negative, point outside the file, or are
    // not four integers; a missing /Contents or /ByteRange.
    for entries in [
        "/ByteRange [0 1 18446744073709551615 2] /Contents <00>",
        "/ByteRange [0 1 18446744073709551616 2] /Contents <00>",
        "/ByteRange [0 1 9223372036854775807 9223372036854775807] /Contents <00>",
        "/ByteRange [0 -5 3 4] /Contents <00>",
        "/ByteRange [0 99999999 99999999 99999999] /Contents <00>",
        "/ByteRange [7 1 2 3] /Contents <00>",
        "/ByteRange 5 /Contents <00>",
        "/ByteRange (0 1 2 3) /Contents <00>",
        "/ByteRange [0 1 2] /Contents <00>",
        "/ByteRange [/a /b /c /d] /Contents <00>",
        "/ByteRange [0 10 20 30]",
        "/Contents <00>",
    ] {
        let (status, _, verdict) = verify(&app, sig_pdf(entries)).await;
        assert_not_genuine(status, &verdict, entries);
    }
    assert_alive(&app).await;
}

#[tokio::test]
async fn xref_offsets_past_the_end_negative_or_overflowing_and_truncated_files_get_a_verdict() {
    let app = spawn_app().await;
    let xref = "xref\n0 4\n99999999999999999999 00000 n\r\n-0000000001 00000 n\r\n\
                18446744073709551616 65535 n\r\n0000000009 99999 n\r\n\
                trailer\n<< /Size 4294967296 /Root 1 0 R /Prev -1 >>\nstartxref\n";
    for startxref in ["99999999999", "-1", "18446744073709551616", "0"] {
        let mut pdf = consistent_sig_pdf("<00>");
        pdf.extend_from_slice(format!("{xref}{startxref}\n%%EOF\n").as_bytes());
        let (status, _, verdict) = verify(&app, pdf).await;
        assert_not_genuine(status, &verdict, startxref);
    }

    // A real sealed act, cut anywhere.
    let id = app.create(&fixture("arrete-avancement-echelon")).await["id"].as_str().unwrap().to_owned();
    assert_eq!(app.seal(&id).await.0, StatusCode::OK);
    let sealed = app.pdf(&id).await;
    let (status, _, verdict) = verify(&app, sealed.clone()).await;
    assert_eq!((status, &verdict["authentique"]), (StatusCode::OK, &Value::Bool(true)), "{verdict:#}");
    let range = sealed.windows(10).rposition(|w| w == b"/ByteRange").unwrap();
    let contents = sealed.windows(11).rposition(|w| w == b"/Contents <").unwrap();
    for cut in [10, sealed.len() / 2, range + 5, range + 20, contents + 12, contents + 500, sealed.len() - 1]
    {
        let (status, _, verdict) = verify(&app, sealed[..cut].to_vec()).await;
        assert_not_genuine(status, &verdict, &format!("cut at {cut}"));
    }
    assert_alive(&app).await;
}

#[tokio::test]
async fn a_verification_over_its_time_budget_answers_503_and_the_server_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path());
    settings.seal.verify_timeout_ms = 1;
    settings.max_body_bytes = 32 << 20;
    let app = TestApp::with_settings(settings, dir).await;
    // Hashing and scanning 24 MiB takes far longer than a millisecond.
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(24 << 20, b' ');
    let (status, content_type, problem) = verify(&app, big).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem:#}");
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(problem["code"], "verification_timeout");
    assert!(problem["detail"].as_str().unwrap().contains("temps imparti"), "{problem:#}");
    assert_alive(&app).await;
}

#[tokio::test]
async fn acta_verify_on_hostile_files_exits_with_a_french_message_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let nested = format!("%PDF-1.7\n1 0 obj\n<< /ByteRange [0 1 2 3] /Contents {}", "[".repeat(100_000));
    let cases = [
        ("nested.pdf", nested.into_bytes(), "Document NON vérifiable : des objets y sont imbriqués"),
        ("contents.pdf", consistent_sig_pdf("5"), "Document NON authentique"),
        ("range.pdf", sig_pdf("/ByteRange [0 1 18446744073709551615 2] /Contents <00>"), "NON authentique"),
    ];
    for (name, bytes, expected) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, bytes).unwrap();
        let out = acta_in(dir.path(), &["verify", file.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        // 1: not genuine / not verifiable; never 101 (panic) nor a signal.
        assert_eq!(out.status.code(), Some(1), "{name}: {:?}\n{stderr}", out.status);
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
}
