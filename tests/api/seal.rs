//! The PAdES seal of `acta::seal`, checked by three independent
//! implementations: pyHanko (Python), poppler's pdfsig (NSS) and OpenSSL's
//! CMS verifier, plus poppler's pdfinfo for PDF/A. A real act is rendered,
//! sealed with a PKI from `seal::pki::init`, then validated; tampered copies
//! must fail everywhere. The B-T test runs a local RFC 3161 TSA
//! (`tests/tools/tsa_server.py` over `openssl ts -reply`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;

use acta::assets::FileTree;
use acta::render::{Engine, RenderJob};
use acta::seal::{self, Sealer, VerifyError, pki};
use acta::service::Acta;
use tempfile::TempDir;
use time::macros::datetime;

use crate::helpers::{fixture, pdf_tool, repo_path, test_settings};

const T: &str = "arrete-avancement-echelon";
const REASON: &str = "Scellement de l’acte n° 2026-042";

/// A rendered act, a fresh PKI and an NSS database trusting its root.
struct Bench {
    dir: TempDir,
    pki: pki::TestPki,
    pdf: Vec<u8>,
}

/// A real act (the draft of a fixture), rendered once per test process.
fn rendered_act() -> Vec<u8> {
    static PDF: OnceLock<Vec<u8>> = OnceLock::new();
    PDF.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let acta = Acta::open(&test_settings(dir.path())).unwrap();
        acta.preview(&fixture(T), datetime!(2026-03-02 0:00 UTC)).unwrap()
    })
    .clone()
}

fn run(cmd: &str, args: &[&str]) -> Output {
    Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd} is required (scripts/test.sh installs it): {e}"))
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

impl Bench {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let pki = pki::init(&dir.path().join("pki")).unwrap();
        Self::with(dir, pki, rendered_act())
    }

    /// Validators trusting the root of `pki`, working in `dir`.
    fn with(dir: tempfile::TempDir, pki: pki::TestPki, pdf: Vec<u8>) -> Self {
        let nss = dir.path().join("nssdb");
        std::fs::create_dir_all(&nss).unwrap();
        let db = format!("sql:{}", s(&nss));
        let o = run("certutil", &["-N", "-d", &db, "--empty-password"]);
        assert!(o.status.success(), "certutil -N: {}", text(&o));
        let o = run(
            "certutil",
            &["-A", "-d", &db, "-n", "acta-test-root", "-t", "CT,C,C", "-i", s(&pki.root_pem)],
        );
        assert!(o.status.success(), "certutil -A: {}", text(&o));
        Self { dir, pki, pdf }
    }

    fn sealer(&self, tsa_url: Option<&str>) -> Sealer {
        Sealer::from_p12(&self.pki.seal_p12, pki::TEST_PASSWORD, tsa_url).unwrap()
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn pyhanko(&self, pdf: &Path) -> Output {
        let bin = repo_path(".tools/venv/bin/pyhanko");
        let args = [
            "sign",
            "validate",
            "--trust",
            s(&self.pki.root_pem),
            "--trust-replace",
            "--no-revocation-check",
        ];
        Command::new(&bin)
            .args(args)
            .arg(pdf)
            .output()
            .unwrap_or_else(|e| panic!("{} is required (scripts/test.sh installs it): {e}", bin.display()))
    }

    /// pdfsig's report (its exit code is 0 even for a digest mismatch).
    fn pdfsig(&self, pdf: &Path) -> String {
        let db = format!("sql:{}", s(&self.dir.path().join("nssdb")));
        text(&run("pdfsig", &["-nssdir", &db, s(pdf)]))
    }

    /// `openssl cms -verify` of the CMS over the ByteRange bytes.
    fn openssl_cms(&self, sealed: &[u8]) -> Output {
        let [_, a, b, c] = seal::verify(sealed).unwrap().byte_range;
        let cms = hex::decode(&sealed[a + 1..b - 1]).unwrap();
        let cms = &cms[..der_len(&cms)];
        let signed = [&sealed[..a], &sealed[b..b + c]].concat();
        let sig = self.write("sig.der", cms);
        let content = self.write("signed.bin", &signed);
        run(
            "openssl",
            &[
                "cms",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-in",
                s(&sig),
                "-content",
                s(&content),
                "-CAfile",
                s(&self.pki.root_pem),
                "-purpose",
                "any",
                "-out",
                "/dev/null",
            ],
        )
    }

    /// Every external validator accepts `sealed` as intact, trusted, whole.
    fn assert_valid(&self, sealed: &[u8], timestamped: bool) {
        let path = self.write("sealed.pdf", sealed);
        let o = self.pyhanko(&path);
        let out = text(&o);
        assert!(o.status.success(), "pyHanko refused:\n{out}");
        assert!(out.contains("INTACT:TRUSTED") && out.contains("UNTOUCHED"), "pyHanko:\n{out}");
        if timestamped {
            assert!(out.contains("TIMESTAMP_TOKEN<INTACT:TRUSTED>"), "pyHanko, timestamp:\n{out}");
        }

        let out = self.pdfsig(&path);
        for needle in
            ["Signature is Valid", "Certificate is Trusted", "Total document signed", "ETSI.CAdES.detached"]
        {
            assert!(out.contains(needle), "pdfsig does not say {needle:?}:\n{out}");
        }

        let o = self.openssl_cms(sealed);
        assert!(o.status.success(), "openssl cms -verify:\n{}", text(&o));

        let xmp: String = pdf_tool("pdfinfo", &["-meta"], sealed).split_whitespace().collect();
        assert!(
            xmp.contains("<pdfaid:part>2</pdfaid:part>") || xmp.contains("pdfaid:part=\"2\""),
            "PDF/A part lost:\n{xmp}"
        );
        assert!(
            xmp.contains("<pdfaid:conformance>B</pdfaid:conformance>")
                || xmp.contains("pdfaid:conformance=\"B\""),
            "PDF/A conformance lost:\n{xmp}"
        );
    }

    /// Every validator, ours included, refuses `tampered`.
    fn assert_refused(&self, tampered: &[u8]) -> VerifyError {
        let path = self.write("tampered.pdf", tampered);
        let out = text(&self.pyhanko(&path));
        assert!(!(out.contains("INTACT:TRUSTED") && out.contains("UNTOUCHED")), "pyHanko accepted:\n{out}");
        let out = self.pdfsig(&path);
        assert!(
            !(out.contains("Signature is Valid") && out.contains("Total document signed")),
            "pdfsig accepted:\n{out}"
        );
        seal::verify(tampered).unwrap_err()
    }
}

/// Length of the DER value at the start of `b` (the placeholder is padded).
fn der_len(b: &[u8]) -> usize {
    match b[1] {
        n if n < 0x80 => 2 + n as usize,
        n => {
            let k = (n & 0x7f) as usize;
            2 + k + b[2..2 + k].iter().fold(0usize, |acc, &x| acc << 8 | x as usize)
        }
    }
}

#[tokio::test]
async fn a_pades_b_b_seal_is_valid_for_pyhanko_pdfsig_and_openssl() {
    let bench = Bench::new();
    let sealer = bench.sealer(None);
    let at = datetime!(2026-03-02 10:15:30 UTC);
    let sealed = sealer.seal(bench.pdf.clone(), at, REASON).await.unwrap();

    let report = seal::verify_issued_by(&sealed, &bench.pki.root_der).unwrap();
    assert_eq!(report.signer_sha256, sealer.certificate_sha256());
    assert_eq!(report.claimed_time, Some(at));
    assert!(!report.timestamped);
    assert!(sealed.starts_with(&bench.pdf), "the rendered bytes are kept verbatim");
    bench.assert_valid(&sealed, false);
}

/// A page with a link already has `/Annots`: the widget joins it, the link stays.
#[tokio::test]
async fn a_page_with_links_is_sealed_validly_and_keeps_them() {
    let bench = Bench::new();
    let templates = tempfile::tempdir().unwrap();
    let page = "#set page(width: 12cm, height: 8cm)\n= Arrêté\nVoir #link(\"https://www.telerecours.fr\")[Télérecours].\n";
    std::fs::write(templates.path().join("lien.typ"), page).unwrap();
    let engine = Engine::new(&FileTree::from_dir(templates.path()).unwrap()).unwrap();
    let template = "lien".parse().unwrap();
    let job = RenderJob {
        template: &template,
        data: b"{}",
        timestamp: datetime!(2026-03-02 10:00),
        ident: "lien",
        title: "Lien",
        author: "acta",
    };
    let pdf = engine.render(&job).unwrap();
    assert!(pdf.windows(8).any(|w| w == b"/Annots["), "the page has no link annotation");

    let sealed = bench.sealer(None).seal(pdf, datetime!(2026-03-02 10:15:30 UTC), REASON).await.unwrap();
    bench.assert_valid(&sealed, false);
    let info = pdf_tool("pdfinfo", &[], &sealed);
    assert!(info.lines().any(|l| l.starts_with("Form:") && l.ends_with("AcroForm")), "{info}");
}

#[tokio::test]
async fn tampered_seals_fail_every_validator() {
    let bench = Bench::new();
    let sealed =
        bench.sealer(None).seal(bench.pdf.clone(), datetime!(2026-03-02 10:00 UTC), REASON).await.unwrap();

    // A byte inside the first content stream: the file still parses.
    let mut flipped = sealed.clone();
    let i = flipped.windows(7).position(|w| w == b"stream\n").unwrap() + 20;
    flipped[i] ^= 0x20;
    assert_eq!(bench.assert_refused(&flipped), VerifyError::DigestMismatch);

    let mut appended = sealed.clone();
    appended.extend_from_slice(b"% appended\n");
    assert_eq!(bench.assert_refused(&appended), VerifyError::BytesAppended { appended: 11 });
}

/// The local TSA; killed when dropped.
struct Tsa {
    child: Child,
    url: String,
}

impl Tsa {
    fn start(pki: &pki::TestPki, work: &Path) -> Self {
        let script = repo_path("tests/tools/tsa_server.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .args(["--cert", s(&pki.tsa_pem), "--key", s(&pki.tsa_key), "--chain", s(&pki.root_pem)])
            .args(["--work", s(work)])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 is required");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port: u16 = line.trim().parse().unwrap_or_else(|_| panic!("the TSA did not start: {line:?}"));
        Self { child, url: format!("http://127.0.0.1:{port}/") }
    }
}

impl Drop for Tsa {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_pades_b_t_seal_carries_a_trusted_timestamp() {
    let bench = Bench::new();
    let tsa = Tsa::start(&bench.pki, &bench.dir.path().join("tsa"));
    let sealer = bench.sealer(Some(&tsa.url));
    assert!(sealer.timestamped());
    let at = datetime!(2026-03-02 10:15:30 UTC);
    let sealed = sealer.seal(bench.pdf.clone(), at, REASON).await.unwrap();

    let report = seal::verify_issued_by(&sealed, &bench.pki.root_der).unwrap();
    assert!(report.timestamped);
    let gen_time = report.timestamp_time.unwrap();
    assert!((time::OffsetDateTime::now_utc() - gen_time).abs() < time::Duration::minutes(5), "{gen_time}");
    bench.assert_valid(&sealed, true);

    // Another attempt gets another token: different bytes, same document.
    let again = sealer.seal(bench.pdf.clone(), at, REASON).await.unwrap();
    assert_ne!(again, sealed);
    assert!(seal::same_document(&again, &sealed));
}

/// What the service stores and serves passes the same validators: sealed by
/// `POST /api/v1/acts/{id}/seal` with the instance's keys, downloaded over HTTP.
#[tokio::test]
async fn a_pdf_sealed_through_the_api_passes_every_validator() {
    let app = crate::helpers::spawn_app().await;
    let id = app.create(&crate::helpers::fixture("arrete-titularisation")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = app.seal(&id).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let sealed = app.pdf(&id).await;
    let keys = crate::helpers::test_keys();
    let pki = pki::TestPki {
        dir: keys.to_owned(),
        root_pem: keys.join("root.pem"),
        seal_p12: keys.join("seal.p12"),
        seal_pem: keys.join("seal.pem"),
        tsa_pem: keys.join("tsa.pem"),
        tsa_key: keys.join("tsa.key"),
        root_der: pki::read_pem_certificate(&keys.join("root.pem")).unwrap(),
        seal_der: pki::read_pem_certificate(&keys.join("seal.pem")).unwrap(),
    };
    let bench = Bench::with(tempfile::tempdir().unwrap(), pki, Vec::new());
    bench.assert_valid(&sealed, false);
}
