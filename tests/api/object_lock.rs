//! Object Lock on a real SeaweedFS bucket with a default COMPLIANCE retention:
//! a sealed PDF stored by acta survives every attempt to delete or overwrite
//! it through S3, and the probe and `acta doctor` report the lock.
//!
//! S3 retention protects object *versions*: a versioned DELETE is refused, a
//! conditional PUT is refused; an unconditional PUT or a plain DELETE is
//! accepted but only stacks a new version or a delete marker on top, and the
//! sealed version keeps its bytes. The test tries all four.

use acta::store::Store;
use reqwest::{Method, StatusCode};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, acta_command, fixture};
use crate::seaweed::Seaweed;

const BUCKET: &str = "acta-locked";
const T: &str = "arrete-avancement-echelon";
const LOCK: &str = r#"<ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>"#;

#[tokio::test]
async fn a_sealed_pdf_on_a_compliance_locked_bucket_cannot_be_deleted_or_replaced() {
    let weed = Seaweed::start(&[]);
    weed.shell(&format!("s3.bucket.create -name {BUCKET} -withLock"));
    let set = weed.s3_request(Method::PUT, &format!("/{BUCKET}?object-lock"), &[], LOCK.as_bytes()).await;
    assert_eq!(set.status, 200, "{}", set.text());

    // The probe sees the lock, in-process and through `acta doctor`.
    let (_, caps) = Store::open(&format!("s3://{BUCKET}/probe"), &weed.s3_settings())
        .unwrap()
        .check(false)
        .await
        .unwrap();
    assert!(caps.object_lock.enforced(), "{caps}");
    let dir = tempfile::tempdir().unwrap();
    let out = acta_command()
        .arg("--data-dir")
        .arg(dir.path())
        .arg("doctor")
        .envs(weed.env(BUCKET, "doctor"))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        text.contains(
            "Object Lock: ENFORCED (default retention COMPLIANCE 1 day(s); deleting a probe version was refused)"
        ),
        "{text}"
    );

    // acta seals an act on the locked bucket as on any other.
    let app = TestApp::with_settings(weed.settings(dir.path(), BUCKET, "cdg"), dir).await;
    let id = app.create(&fixture(T)).await["id"].as_str().unwrap().to_owned();
    let (status, sealed) = app.seal(&id).await;
    assert_eq!(status, StatusCode::OK, "{sealed:#}");
    let pdf = app.pdf(&id).await;
    assert_eq!(hex::encode(Sha256::digest(&pdf)), sealed["sha256"].as_str().unwrap());

    let object = format!("/{BUCKET}/cdg/acts/{id}/sealed.pdf");
    let head = weed.s3_request(Method::HEAD, &object, &[], b"").await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("x-amz-object-lock-mode"), Some("COMPLIANCE"), "{:?}", head.headers);
    let version = head.header("x-amz-version-id").expect("a versioned object").to_owned();
    let sealed_version = format!("{object}?versionId={version}");

    // Deleting the sealed version: refused.
    let delete = weed.s3_request(Method::DELETE, &sealed_version, &[], b"").await;
    assert_eq!(delete.status, 403, "{}", delete.text());
    // Shortening its retention: refused (COMPLIANCE cannot be relaxed).
    let relax = r#"<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Mode>GOVERNANCE</Mode><RetainUntilDate>2020-01-01T00:00:00Z</RetainUntilDate></Retention>"#;
    let retention = format!("{object}?retention&versionId={version}");
    let relaxed = weed.s3_request(Method::PUT, &retention, &[], relax.as_bytes()).await;
    assert!(relaxed.status >= 400, "{} {}", relaxed.status, relaxed.text());
    // Overwriting it create-only, as acta writes: refused.
    let forged = weed.s3_request(Method::PUT, &object, &[("if-none-match", "*")], b"%PDF forged").await;
    assert_eq!(forged.status, 412, "{}", forged.text());
    // An unconditional PUT and a plain DELETE are accepted by S3, as new
    // versions on top: the sealed version is untouched.
    let stacked = weed.s3_request(Method::PUT, &object, &[], b"%PDF forged").await;
    assert_eq!(stacked.status, 200, "{}", stacked.text());
    let marker = weed.s3_request(Method::DELETE, &object, &[], b"").await;
    assert_eq!(marker.status, 204, "{}", marker.text());
    let delete = weed.s3_request(Method::DELETE, &sealed_version, &[], b"").await;
    assert_eq!(delete.status, 403, "{}", delete.text());

    let kept = weed.s3_request(Method::GET, &sealed_version, &[], b"").await;
    assert_eq!(kept.status, 200, "{}", kept.text());
    assert_eq!(kept.body, pdf, "the sealed version keeps its bytes");
}
