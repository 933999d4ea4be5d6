//! acta on a real S3 server (SeaweedFS): the act lifecycle, several processes
//! sharing one register, and the store going away in the middle of a batch.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use acta::store::Store;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};

use crate::helpers::{Served, TestApp, client_with, fixture};
use crate::seaweed::Seaweed;

const T: &str = "arrete-avancement-echelon";
const BUCKET: &str = "acta-test";

fn seq(number: &str) -> u64 {
    number.rsplit('_').next().unwrap().parse().unwrap()
}

/// The real `acta` binary on `s3://BUCKET/prefix` (own data directory, the
/// test run's keys).
fn acta_on_s3(weed: &Seaweed, prefix: &str, args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    crate::helpers::acta_command()
        .arg("--data-dir")
        .arg(dir.path())
        .args(args)
        .envs(weed.env(BUCKET, prefix))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

/// `acta verify` on `pdf` and `acta audit` on the S3 store both pass.
fn verify_and_audit(weed: &Seaweed, prefix: &str, pdf: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("act.pdf");
    std::fs::write(&file, pdf).unwrap();
    let verify = acta_on_s3(weed, prefix, &["verify", file.to_str().unwrap()]);
    assert!(
        verify.status.success(),
        "verify: {}\n{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    let audit = acta_on_s3(weed, prefix, &["audit"]);
    assert!(
        audit.status.success(),
        "audit: {}\n{}",
        String::from_utf8_lossy(&audit.stdout),
        String::from_utf8_lossy(&audit.stderr)
    );
}

#[tokio::test]
async fn acts_are_sealed_stored_and_served_from_s3() {
    let weed = Seaweed::start(&[BUCKET]);
    let dir = tempfile::tempdir().unwrap();
    let settings = weed.settings(dir.path(), BUCKET, "cdg-demo");
    let app = TestApp::with_settings(settings.clone(), dir).await;

    let id = app.create(&fixture(T)).await["id"].as_str().unwrap().to_owned();
    let (status, sealed) = app.seal(&id).await;
    assert_eq!(status, StatusCode::OK, "{sealed:#}");
    let pdf = app.pdf(&id).await;
    assert_eq!(hex::encode(Sha256::digest(&pdf)), sealed["sha256"].as_str().unwrap());

    // The objects are in the bucket, under the prefix, as the layout says.
    let raw = Store::open(&format!("s3://{BUCKET}"), &settings.s3).unwrap();
    let keys = raw.list("cdg-demo/").await.unwrap();
    for suffix in ["draft.json", "register.json", "sealed.pdf", "sealed.json"] {
        let key = format!("cdg-demo/acts/{id}/{suffix}");
        assert!(keys.contains(&key), "{key} not in {keys:?}");
    }
    assert!(keys.iter().any(|k| k.starts_with("cdg-demo/registers/216295105/ARR/")));
    assert_eq!(
        raw.get(&format!("cdg-demo/acts/{id}/sealed.pdf")).await.unwrap().unwrap().as_ref(),
        pdf.as_slice()
    );

    // A create-only write over a sealed PDF is refused by the server itself.
    let again =
        raw.create(&format!("cdg-demo/acts/{id}/sealed.pdf"), bytes::Bytes::from_static(b"forged")).await;
    assert!(matches!(again, Err(acta::store::StoreError::AlreadyExists(_))), "{again:?}");

    // The real `acta verify` and `acta audit`, reading the same bucket.
    verify_and_audit(&weed, "cdg-demo", &pdf);
}

#[test]
fn doctor_reports_that_seaweedfs_honours_conditional_writes() {
    let weed = Seaweed::start(&[BUCKET]);
    let dir = tempfile::tempdir().unwrap();
    let out = crate::helpers::acta_command()
        .arg("--data-dir")
        .arg(dir.path())
        .arg("doctor")
        .envs(weed.env(BUCKET, "doctor"))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("create-only writes (If-None-Match: *): honoured"), "{text}");
    assert!(text.contains("compare-and-swap (If-Match): honoured"), "{text}");
    assert!(text.contains("verdict          OK"), "{text}");
}

/// An administrator token made by the real `acta tokens create` in the
/// bucket's `prefix`: the servers sharing that store honour it.
fn cli_token(weed: &Seaweed, prefix: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = crate::helpers::acta_command()
        .arg("--data-dir")
        .arg(dir.path())
        .args(["tokens", "create", "--role", "admin"])
        .envs(weed.env(BUCKET, prefix))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().last().unwrap().to_owned()
}

/// A real `acta serve` process with its own data directory.
struct Server {
    served: Served,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for Server {
    type Target = Served;
    fn deref(&self) -> &Served {
        &self.served
    }
}

async fn serve(weed: &Seaweed, prefix: &str) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut command = crate::helpers::acta_command();
    command.arg("--data-dir").arg(dir.path()).envs(weed.env(BUCKET, prefix)).env("RUST_LOG", "warn");
    Server { served: Served::start(command).await, _dir: dir }
}

#[tokio::test]
async fn two_processes_sharing_a_bucket_hand_out_distinct_consecutive_numbers() {
    let weed = Seaweed::start(&[BUCKET]);
    let (a, b) = (serve(&weed, "shared").await, serve(&weed, "shared").await);
    let client = client_with(&cli_token(&weed, "shared"));
    const PER_PROCESS: usize = 12;
    let mut drafts = Vec::new();
    for server in [&a, &b] {
        for _ in 0..PER_PROCESS {
            let r =
                client.post(format!("{}/api/v1/acts", server.base)).json(&fixture(T)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::CREATED);
            let act: serde_json::Value = r.json().await.unwrap();
            drafts.push((server.base.clone(), act["id"].as_str().unwrap().to_owned()));
        }
    }
    // Seal everything at once, each act through the process that drafted it.
    let seals = drafts.iter().map(|(base, id)| {
        let client = client.clone();
        async move {
            let r = client.post(format!("{base}/api/v1/acts/{id}/seal")).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            let act: serde_json::Value = r.json().await.unwrap();
            seq(act["number"].as_str().unwrap())
        }
    });
    let numbers: BTreeSet<u64> = futures::future::join_all(seals).await.into_iter().collect();
    let expected: BTreeSet<u64> = (1..=(2 * PER_PROCESS) as u64).collect();
    assert_eq!(numbers, expected, "numbers must be 1..=N, each exactly once");
}

#[tokio::test]
async fn a_store_outage_answers_503_and_the_retried_batch_completes_without_gaps() {
    let mut weed = Seaweed::start(&[BUCKET]);
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::with_settings(weed.settings(dir.path(), BUCKET, "outage"), dir).await;
    let mut ids = Vec::new();
    for _ in 0..6 {
        ids.push(app.create(&fixture(T)).await["id"].as_str().unwrap().to_owned());
    }
    let (status, _) = app.seal(&ids[0]).await;
    assert_eq!(status, StatusCode::OK);

    weed.stop();
    for id in &ids[1..] {
        let (status, problem) = app.seal(id).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem:#}");
        assert_eq!(problem["code"], "store_unavailable");
    }
    weed.restart();

    // The client retries, as one would after a 503, while the cluster
    // finishes starting (its volume server registers a little after S3).
    let mut numbers = BTreeSet::new();
    for id in &ids {
        let start = Instant::now();
        let act = loop {
            let (status, act) = app.seal(id).await;
            if status == StatusCode::OK {
                break act;
            }
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{act:#}");
            assert!(start.elapsed() < Duration::from_secs(60), "store still unavailable: {act:#}");
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        numbers.insert(seq(act["number"].as_str().unwrap()));
    }
    assert_eq!(numbers, (1..=6).collect::<BTreeSet<u64>>(), "no number skipped or reused");
    // Nothing half-written: every act verifies and the whole store audits clean.
    let last = app.pdf(ids.last().unwrap()).await;
    verify_and_audit(&weed, "outage", &last);
}

#[tokio::test]
async fn a_local_store_is_copied_to_s3_verified_and_served_from_there() {
    let weed = Seaweed::start(&[BUCKET]);
    let app = crate::helpers::spawn_app().await;
    let mut sealed = Vec::new();
    for _ in 0..3 {
        let id = app.create(&fixture(T)).await["id"].as_str().unwrap().to_owned();
        let (_, act) = app.seal(&id).await;
        sealed.push(act);
    }
    let copy = || {
        crate::helpers::acta_command()
            .arg("--data-dir")
            .arg(app.data_dir.path())
            .args(["store", "copy", "--to", &format!("s3://{BUCKET}/copied")])
            .envs(weed.env(BUCKET, "unused").into_iter().filter(|(k, _)| k != "ACTA_STORE"))
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    // Everything but the probe's objects: acts, registers, the log, tokens and
    // the audit trail.
    let objects = app.store.list("").await.unwrap().into_iter().filter(|k| !k.starts_with("_probe/")).count();
    assert!(objects >= 15, "3 drafts, 3 register entries, 3 copies of them, 3 PDFs, 3 seal records at least");
    let first = copy();
    let text = String::from_utf8_lossy(&first.stdout);
    assert!(first.status.success(), "{text}{}", String::from_utf8_lossy(&first.stderr));
    assert!(text.starts_with(&format!("{objects} objet(s) copié(s)")), "{text}");
    let again = copy();
    assert!(
        String::from_utf8_lossy(&again.stdout)
            .contains(&format!("0 objet(s) copié(s) et vérifié(s) (0 octets), {objects} déjà présent(s)"))
    );

    // A new acta on the copy serves the same sealed acts, byte for byte.
    let dir = tempfile::tempdir().unwrap();
    let on_s3 = TestApp::with_settings(weed.settings(dir.path(), BUCKET, "copied"), dir).await;
    for act in &sealed {
        let id = act["id"].as_str().unwrap();
        let pdf = on_s3.pdf(id).await;
        assert_eq!(hex::encode(Sha256::digest(&pdf)), act["sha256"].as_str().unwrap());
    }
    // And numbering continues where the local register stopped.
    let id = on_s3.create(&fixture(T)).await["id"].as_str().unwrap().to_owned();
    let (_, next) = on_s3.seal(&id).await;
    assert_eq!(seq(next["number"].as_str().unwrap()), 4);
}
