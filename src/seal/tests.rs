//! Sealing and verifying real typst PDF/A-2b output, end to end in memory.

use std::sync::{Arc, OnceLock};

use time::macros::datetime;

use super::pki::tests::memory_pki;
use super::signer::Pkcs12Signer;
use super::*;
use crate::assets::FileTree;
use crate::render::{Engine, RenderJob};

/// A one-page PDF/A-2b rendered by the real engine; with a link, the page
/// already has an `/Annots` array.
pub(crate) fn sample_pdf(with_link: bool) -> Vec<u8> {
    static PDFS: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    let (plain, linked) = PDFS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let page = "#set page(width: 10cm, height: 6cm)\n= Arrêté n° 1\nLe maire arrête.\n";
        std::fs::write(dir.path().join("plain.typ"), page).unwrap();
        std::fs::write(
            dir.path().join("linked.typ"),
            format!("{page}#link(\"https://example.org\")[lien]\n"),
        )
        .unwrap();
        let engine = Engine::new(&FileTree::from_dir(dir.path()).unwrap()).unwrap();
        let render = |name: &str| {
            let template = name.parse().unwrap();
            let job = RenderJob {
                template: &template,
                data: b"{}",
                timestamp: datetime!(2026-03-02 10:00),
                ident: "t",
                title: "Arrêté de test",
                author: "Commune de test",
            };
            engine.render(&job).unwrap()
        };
        (render("plain"), render("linked"))
    });
    if with_link { linked.clone() } else { plain.clone() }
}

pub(crate) fn sealer() -> Sealer {
    let g = memory_pki();
    let key = p256::pkcs8::EncodePrivateKey::to_pkcs8_der(&g.seal_key).unwrap();
    let signer =
        Pkcs12Signer::from_pkcs8(key.as_bytes(), vec![g.root_der.clone(), g.seal_der.clone()]).unwrap();
    Sealer::new(Arc::new(signer), None)
}

const AT: OffsetDateTime = datetime!(2026-03-02 10:15:30 UTC);

fn sealed() -> Vec<u8> {
    sealer().seal_bb(&sample_pdf(false), AT, "Scellement de l’acte n° 1").unwrap()
}

#[test]
fn a_sealed_pdf_verifies_and_reports_its_signer_and_time() {
    let pdf = sealed();
    let report = verify(&pdf).unwrap();
    assert_eq!(report.signer_sha256, Sha256Digest::of(&memory_pki().seal_der));
    assert!(report.signer_subject.contains("CN=acta test seal"), "{}", report.signer_subject);
    assert_eq!(report.claimed_time, Some(AT));
    assert!(!report.timestamped);
    let [a, b, c, d] = report.byte_range;
    assert_eq!((a, c + d), (0, pdf.len()), "the ByteRange covers the whole file");
    assert_eq!((pdf[b], pdf[c - 1]), (b'<', b'>'));
    verify::verify_issued_by(&pdf, &memory_pki().root_der).unwrap();
}

#[test]
fn the_original_bytes_are_kept_verbatim() {
    let original = sample_pdf(false);
    let pdf = sealed();
    assert!(pdf.starts_with(&original));
    assert!(pdf.ends_with(b"%%EOF\n"));
}

#[tokio::test]
async fn sealing_twice_without_a_timestamp_gives_identical_bytes() {
    let s = sealer();
    let a = s.seal(sample_pdf(true), AT, "r").await.unwrap();
    let b = s.seal(sample_pdf(true), AT, "r").await.unwrap();
    assert_eq!(a, b, "B-B with RFC 6979 ECDSA is deterministic");
    assert!(same_document(&a, &b));
    let other = s.seal(sample_pdf(false), AT, "r").await.unwrap();
    assert!(!same_document(&a, &other));
}

#[test]
fn a_flipped_byte_is_a_modification() {
    let mut pdf = sealed();
    // In the rendered bytes, not in the signature's hex.
    let i = sample_pdf(false).len() / 2;
    pdf[i] ^= 0x01;
    assert_eq!(verify(&pdf), Err(VerifyError::DigestMismatch));
    assert_eq!(VerifyError::DigestMismatch.french(), "le document a été modifié après son scellement");
}

#[test]
fn appended_bytes_are_caught() {
    let mut pdf = sealed();
    pdf.extend_from_slice(b"\n% appended\n");
    let err = verify(&pdf).unwrap_err();
    assert_eq!(err, VerifyError::BytesAppended { appended: 12 });
    assert_eq!(err.french(), "des octets ont été ajoutés après la signature");
}

#[test]
fn a_truncated_file_is_caught() {
    let mut pdf = sealed();
    pdf.truncate(pdf.len() - 3);
    assert!(matches!(verify(&pdf), Err(VerifyError::Truncated { .. })));
}

#[test]
fn an_unsealed_pdf_has_no_seal() {
    assert_eq!(verify(&sample_pdf(false)), Err(VerifyError::NoSignature));
    assert_eq!(VerifyError::NoSignature.french(), "aucun cachet électronique trouvé");
}

#[test]
fn a_foreign_root_is_not_trusted() {
    let other = super::pki::generate().unwrap();
    assert_eq!(verify::verify_issued_by(&sealed(), &other.root_der), Err(VerifyError::Untrusted));
}

#[test]
fn a_resealed_document_is_refused() {
    let err = sealer().seal_bb(&sealed(), AT, "again").unwrap_err();
    assert!(matches!(err, SealError::Pdf(PdfError::HasForm)), "{err}");
}

/// Prints the sealing time per act (B-B, P-256); run with
/// `cargo test --release --lib seal::tests::timing -- --nocapture`.
#[test]
fn timing() {
    let (s, pdf) = (sealer(), sample_pdf(true));
    let n = 20;
    let t = std::time::Instant::now();
    for _ in 0..n {
        s.seal_bb(&pdf, AT, "r").unwrap();
    }
    println!(
        "B-B P-256 seal of a {} KiB act: {:.2} ms",
        pdf.len() / 1024,
        t.elapsed().as_secs_f64() * 1000.0 / n as f64
    );
}
