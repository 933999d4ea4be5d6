//! The incremental update on real typst output, and refused inputs.

use time::macros::datetime;

use super::*;
use crate::seal::tests::sample_pdf;

fn fields() -> SigFields<'static> {
    SigFields { at: datetime!(2026-03-02 10:15:30 +01:00), reason: "Scellement", capacity: 4096 }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn prepare_appends_a_signature_a_widget_and_a_form() {
    let original = sample_pdf(false);
    let p = prepare(&original, &fields()).unwrap();
    assert!(p.bytes().starts_with(&original));
    let update = text(&p.bytes()[original.len()..]);
    for needle in [
        "/Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached",
        "/M (D:20260302091530Z)",
        "/Reason (Scellement)",
        "/Subtype /Widget /FT /Sig",
        "/F 132",
        "/AcroForm << /Fields [",
        "/SigFlags 3",
        "/Annots [",
        "/Prev ",
    ] {
        assert!(update.contains(needle), "no {needle} in:\n{}", update.replace(&"0".repeat(8192), "…"));
    }
    assert!(update.ends_with("%%EOF\n"));
    assert_eq!(p.capacity(), 4096);
}

#[test]
fn the_byte_range_is_everything_but_the_placeholder() {
    let p = prepare(&sample_pdf(false), &fields()).unwrap();
    let [a, b, c, d] = p.byte_range();
    assert_eq!(a, 0);
    assert_eq!(c + d, p.bytes().len());
    assert_eq!(&p.bytes()[b - 10..b + 1], b"/Contents <");
    assert_eq!(p.bytes()[c - 1], b'>');
    let written = format!("/ByteRange [0 {b:010} {c:010} {d:010}]");
    assert!(text(p.bytes()).contains(&written));
}

#[test]
fn embed_fills_the_placeholder_and_nothing_else() {
    let p = prepare(&sample_pdf(false), &fields()).unwrap();
    let before = p.bytes().to_vec();
    let [_, b, ..] = p.byte_range();
    let out = p.clone().embed(&[0xAB, 0xCD]).unwrap();
    assert_eq!(out.len(), before.len());
    assert_eq!(&out[b + 1..b + 5], b"abcd");
    assert_eq!(out[..b + 1], before[..b + 1]);
    assert_eq!(out[b + 5..], before[b + 5..]);
    assert!(matches!(p.embed(&[0; 4097]), Err(PdfError::TooLarge { needed: 4097, capacity: 4096 })));
}

#[test]
fn an_existing_annots_array_keeps_its_annotations() {
    let original = sample_pdf(true);
    // krilla writes the page compactly: `/Annots[12 0 R]`.
    let original_text = text(&original);
    let link = original_text.split("/Annots[").nth(1).and_then(|s| s.split(']').next()).unwrap().to_owned();
    let p = prepare(&original, &fields()).unwrap();
    let update = text(&p.bytes()[original.len()..]);
    assert!(update.contains(&format!("/Annots [{link} ")), "link {link} lost in:\n{update:.2000}");
}

#[test]
fn xref_streams_and_encryption_are_refused() {
    let xref_stream =
        b"%PDF-1.7\n1 0 obj\n<< /Type /XRef /Size 2 /W [1 2 1] >>\nstream\n\nendstream\nendobj\nstartxref\n9\n%%EOF\n";
    assert!(matches!(prepare(xref_stream, &fields()), Err(PdfError::XrefStream)));
    let encrypted = b"%PDF-1.7\nxref\n0 1\n0000000000 65535 f\r\ntrailer\n<< /Size 1 /Root 1 0 R /Encrypt 2 0 R >>\nstartxref\n9\n%%EOF\n";
    assert!(matches!(prepare(encrypted, &fields()), Err(PdfError::Encrypted)));
    assert!(matches!(prepare(b"hello", &fields()), Err(PdfError::Malformed { .. })));
}

#[test]
fn non_ascii_reasons_are_utf16() {
    let f = SigFields { reason: "Scellement de l’acte n° 1", ..fields() };
    let p = prepare(&sample_pdf(false), &f).unwrap();
    assert!(text(p.bytes()).contains("/Reason <FEFF"));
}
