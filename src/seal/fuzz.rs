//! Fuzzing the readers of untrusted PDFs (issue 13): [`verify`],
//! [`unsigned_form`] and [`pdf::prepare`] on two kinds of input.
//!
//! - *Generated* PDF-ish files: objects with hostile numbers and nesting,
//!   xref sections and trailers with random offsets, signature dictionaries
//!   whose `/ByteRange` and `/Contents` are random, missing, mistyped, or
//!   made consistent so that the CMS parser is reached.
//! - *Mutations* of a real sealed PDF (rendered by the real engine, sealed
//!   by the real sealer): flipped, inserted, deleted, spliced bytes and
//!   truncations, aimed at the whole file, at the signature dictionary, or at
//!   the CMS inside `/Contents` (rewritten as valid hex, so DER is fuzzed).
//!
//! Properties: every call returns (no panic, no stack overflow), each case
//! finishes within [`CASE_TIME`], and a mutation of signed bytes never
//! verifies. The number of cases is proptest's (`PROPTEST_CASES`, 256 by
//! default); the long run is documented in docs/operations.md (Fuzzing).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use time::macros::datetime;

use super::limits::{Limit, MAX_DEPTH};
use super::tests::{sample_pdf, sealer};
use super::{VerifyError, pdf, same_document, unsigned_form, verify};

/// Longest time one case may take, even in an unoptimised build on a busy
/// machine: a bounded reader takes milliseconds; only unbounded work (a
/// quadratic scan, a runaway loop) comes near.
const CASE_TIME: Duration = Duration::from_secs(5);

fn config() -> ProptestConfig {
    // The number of cases comes from PROPTEST_CASES (proptest's default).
    ProptestConfig { failure_persistence: None, ..ProptestConfig::default() }
}

/// A real sealed PDF, and where its parts are.
struct Real {
    sealed: Vec<u8>,
    unsigned: Vec<u8>,
    /// The signature dictionary, `n 0 obj` to `>>`.
    sig_dict: std::ops::Range<usize>,
    /// Offset of the first hex digit of `/Contents`, and the CMS length.
    cms_at: usize,
    cms_len: usize,
}

fn real() -> &'static Real {
    static REAL: OnceLock<Real> = OnceLock::new();
    REAL.get_or_init(|| {
        let unsigned = sample_pdf(true);
        let sealed = sealer().seal_bb(&unsigned, datetime!(2026-03-02 10:15:30 UTC), "fuzz").unwrap();
        let [_, a, b, _] = verify(&sealed).unwrap().byte_range;
        let start = sealed[..a].windows(3).rposition(|w| w == b"obj").unwrap().saturating_sub(8);
        let end = b + sealed[b..].windows(2).position(|w| w == b">>").unwrap() + 2;
        let digits = &sealed[a + 1..b - 1];
        let cms_len = digits.iter().rposition(|&d| d != b'0').map_or(0, |i| i / 2 + 1);
        Real { unsigned, sig_dict: start..end, cms_at: a + 1, cms_len, sealed }
    })
}

/// Numbers a hostile file would write: small, near offsets, negative,
/// overflowing `i64`/`u64`.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0_i64..3000).prop_map(|n| n.to_string()),
        2 => any::<i64>().prop_map(|n| n.to_string()),
        1 => Just("-1".to_owned()),
        1 => Just("18446744073709551616".to_owned()),
        1 => Just("99999999999999999999999999".to_owned()),
        1 => Just("4294967296".to_owned()),
        1 => any::<f32>().prop_map(|f| format!("{f}")),
    ]
}

/// A PDF value as written, a few levels deep, sometimes broken.
fn value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        number(),
        (number(), number()).prop_map(|(n, g)| format!("{n} {g} R")),
        "/[A-Za-z0-9#.]{0,12}",
        "\\((?:[ -'*-\\[\\]-~]|\\\\[nrtbf()\\\\0-7]){0,24}\\)",
        "<[0-9a-fA-F ]{0,40}>",
        prop_oneof![Just("true"), Just("null"), Just("("), Just("<"), Just("]"), Just(">>"), Just("R")]
            .prop_map(str::to_owned),
    ];
    leaf.prop_recursive(6, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(|v| format!("[{}]", v.join(" "))),
            vec(("[A-Za-z]{1,10}", inner), 0..6).prop_map(|kv| {
                let entries: Vec<String> = kv.iter().map(|(k, v)| format!("/{k} {v}")).collect();
                format!("<<{}>>", entries.join(" "))
            }),
        ]
    })
}

/// Openings repeated, unclosed (what exhausted the stack), and how many
/// levels they nest.
fn nesting() -> impl Strategy<Value = (String, usize)> {
    let open =
        prop_oneof![Just(("[", 1)), Just(("<</a ", 1)), Just(("[<</k ", 2)), Just(("<</ByteRange [", 2))];
    let n = prop_oneof![4 => 0_usize..200, 1 => 1000_usize..100_001];
    (open, n).prop_map(|((open, levels), n)| (open.repeat(n), n * levels))
}

/// A signature dictionary with random, missing or mistyped entries.
fn sig_dict() -> impl Strategy<Value = String> {
    let byte_range = prop_oneof![
        3 => vec(number(), 4).prop_map(|v| format!(" /ByteRange [{}]", v.join(" "))),
        1 => vec(number(), 0..7).prop_map(|v| format!(" /ByteRange [{}]", v.join(" "))),
        1 => value().prop_map(|v| format!(" /ByteRange {v}")),
        1 => Just(String::new()),
    ];
    let contents = prop_oneof![
        3 => "<[0-9a-f]{0,64}>".prop_map(|v| format!(" /Contents {v}")),
        1 => value().prop_map(|v| format!(" /Contents {v}")),
        1 => Just(" /Contents 5".to_owned()),
        1 => Just(String::new()),
    ];
    let sub_filter = prop_oneof![Just(" /SubFilter /ETSI.CAdES.detached"), Just(" /SubFilter /x"), Just("")];
    let date = prop_oneof![
        Just(" /M (D:20260302101530+01'00')".to_owned()),
        "\\(D:[0-9+Z'-]{0,20}\\)".prop_map(|d| format!(" /M {d}")),
        Just(String::new()),
    ];
    (byte_range, contents, sub_filter, date).prop_map(|(r, c, s, m)| format!("<< /Type /Sig{s}{r}{c}{m} >>"))
}

/// A whole PDF-ish file: objects, a signature, an xref section, a trailer.
fn document() -> impl Strategy<Value = Vec<u8>> {
    let entry = (number(), number(), prop_oneof![Just("n"), Just("f"), Just("x")]);
    let xref = (number(), number(), vec(entry, 0..6));
    let trailer = (number(), number(), proptest::option::of(number()), value());
    (vec(value(), 0..4), sig_dict(), proptest::option::of(nesting()), xref, trailer, number(), any::<bool>())
        .prop_map(|(objects, sig, deep, (first, count, entries), trailer, startxref, consistent)| {
            let mut out = String::from("%PDF-1.7\n");
            for (i, v) in objects.iter().enumerate() {
                out.push_str(&format!("{} 0 obj\n{v}\nendobj\n", i + 1));
            }
            let sig = match deep {
                Some((deep, _)) => sig.replacen(" >>", &format!(" /Deep {deep} >>"), 1),
                None => sig,
            };
            out.push_str(&format!("9 0 obj\n{sig}\nendobj\nxref\n{first} {count}\n"));
            for (offset, generation, kind) in entries {
                out.push_str(&format!("{offset:0>10} {generation:0>5} {kind}\r\n"));
            }
            let (size, root, prev, extra) = trailer;
            let prev = prev.map(|p| format!(" /Prev {p}")).unwrap_or_default();
            out.push_str(&format!(
                "trailer\n<< /Size {size} /Root {root} 0 R{prev} /X {extra} >>\nstartxref\n{startxref}\n%%EOF\n"
            ));
            let mut bytes = out.into_bytes();
            if consistent {
                make_consistent(&mut bytes);
            }
            bytes
        })
}

/// Rewrite a four-number `/ByteRange` so that it covers the whole file but
/// the `/Contents` value, as a genuine seal's does (same width, so nothing
/// moves): the reader then goes on to the CMS.
fn make_consistent(bytes: &mut [u8]) {
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
    let (Some(range), Some(contents)) = (find(bytes, b"/ByteRange ["), find(bytes, b"/Contents <")) else {
        return;
    };
    let a = contents + b"/Contents ".len();
    let Some(len) = find(&bytes[a..], b">") else { return };
    let b = a + len + 1;
    let Some(close) = find(&bytes[range..], b"]") else { return };
    let (start, end) = (range + b"/ByteRange [".len(), range + close);
    let mut wanted = format!("0 {a} {b} {}", bytes.len() - b).into_bytes();
    if wanted.len() <= end - start {
        wanted.resize(end - start, b' ');
        bytes[start..end].copy_from_slice(&wanted);
    }
}

/// Where a mutation aims.
#[derive(Debug, Clone, Copy)]
enum Region {
    Whole,
    SigDict,
    Cms,
}

/// One change to a real sealed PDF.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(Region, Index, u8),
    Insert(Region, Index, &'static [u8]),
    Delete(Region, Index, usize),
    Truncate(Index),
    Splice(Index, Region, Index, usize),
    CmsByte(Index, u8),
}

#[rustfmt::skip]
static TOKENS: [&[u8]; 18] = [
    b"[", b"<<", b">>", b"]", b"(", b")", b"/ByteRange", b"/Contents", b" obj ", b"endobj", b" 0 ",
    b"-1", b"99999999999999999999", b"%", b"\n", b"<", b"R", b"[0 0 0 0]",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    let region = prop_oneof![Just(Region::Whole), Just(Region::SigDict), Just(Region::Cms)];
    prop_oneof![
        2 => (region.clone(), any::<Index>(), 1_u8..).prop_map(|(r, i, x)| Mutation::Flip(r, i, x)),
        2 => (region.clone(), any::<Index>(), proptest::sample::select(&TOKENS[..]))
            .prop_map(|(r, i, t)| Mutation::Insert(r, i, t)),
        1 => (region.clone(), any::<Index>(), 1_usize..64).prop_map(|(r, i, n)| Mutation::Delete(r, i, n)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), region, any::<Index>(), 1_usize..256)
            .prop_map(|(from, r, to, n)| Mutation::Splice(from, r, to, n)),
        4 => (any::<Index>(), any::<u8>()).prop_map(|(i, x)| Mutation::CmsByte(i, x)),
    ]
}

impl Mutation {
    fn apply(&self, real: &Real, bytes: &mut Vec<u8>) {
        let at = |region: Region, i: &Index, len: usize| {
            let range = match region {
                Region::Whole => 0..len,
                Region::SigDict => real.sig_dict.clone(),
                Region::Cms => real.cms_at..real.cms_at + 2 * real.cms_len,
            };
            (range.start + i.index(range.len().max(1))).min(len)
        };
        match self {
            Self::Flip(r, i, x) => {
                let p = at(*r, i, bytes.len());
                if let Some(b) = bytes.get_mut(p) {
                    *b ^= x;
                }
            }
            Self::Insert(r, i, token) => {
                let p = at(*r, i, bytes.len());
                bytes.splice(p..p, token.iter().copied());
            }
            Self::Delete(r, i, n) => {
                let p = at(*r, i, bytes.len());
                bytes.drain(p..(p + n).min(bytes.len()));
            }
            Self::Truncate(i) => bytes.truncate(i.index(bytes.len().max(1))),
            Self::Splice(from, r, to, n) => {
                let from = from.index(real.sealed.len());
                let chunk = &real.sealed[from..(from + n).min(real.sealed.len())];
                let p = at(*r, to, bytes.len());
                bytes.splice(p..p, chunk.iter().copied());
            }
            Self::CmsByte(i, x) => {
                let p = real.cms_at + 2 * i.index(real.cms_len.max(1));
                if let Some(digits) = bytes.get_mut(p..p + 2) {
                    digits.copy_from_slice(hex::encode([*x]).as_bytes());
                }
            }
        }
    }
}

/// Every reader of untrusted bytes, on `bytes`: what verification said.
fn read_all(bytes: &[u8]) -> Result<super::SealReport, VerifyError> {
    let report = verify(bytes);
    let _ = unsigned_form(bytes);
    let _ = same_document(bytes, bytes);
    let fields = pdf::SigFields { at: datetime!(2026-03-02 10:15:30 UTC), reason: "fuzz", capacity: 64 };
    let _ = pdf::prepare(bytes, &fields);
    report
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fuzz_generated_pdfs_never_panic_and_stay_within_bounds(doc in document()) {
        let started = Instant::now();
        let result = read_all(&doc);
        prop_assert!(started.elapsed() < CASE_TIME, "{:?} for {} bytes", started.elapsed(), doc.len());
        // Nothing random is a valid seal.
        prop_assert!(result.is_err());
    }

    #[test]
    fn fuzz_nesting_beyond_the_bound_is_refused_as_too_deep((deep, levels) in nesting()) {
        let doc = format!("%PDF-1.7\n1 0 obj\n<< /ByteRange [0 1 2 3] /Contents {deep}");
        let result = read_all(doc.as_bytes());
        // The bound is reached at the last opening or at the value it awaits.
        if levels >= MAX_DEPTH + 2 {
            prop_assert_eq!(result, Err(VerifyError::TooComplex(Limit::Depth)));
        } else if levels + 2 < MAX_DEPTH {
            prop_assert!(matches!(result, Err(VerifyError::Malformed(_))), "{:?}", result);
        }
    }

    #[test]
    fn fuzz_mutated_sealed_pdfs_never_panic_and_never_verify_altered(
        mutations in vec(mutation(), 1..4),
        target_unsigned in proptest::bool::weighted(0.2),
    ) {
        let real = real();
        let original = if target_unsigned { &real.unsigned } else { &real.sealed };
        let mut bytes = original.clone();
        for m in &mutations {
            m.apply(real, &mut bytes);
        }
        let started = Instant::now();
        let result = read_all(&bytes);
        prop_assert!(started.elapsed() < CASE_TIME, "{:?}", started.elapsed());
        if let Ok(report) = result {
            // Only the unsigned `/Contents` may differ (hex case, padding).
            let [_, a, b, c] = report.byte_range;
            prop_assert!(!target_unsigned);
            prop_assert_eq!(bytes.len(), real.sealed.len());
            prop_assert_eq!(&bytes[..a], &real.sealed[..a], "signed bytes changed yet verified");
            prop_assert_eq!(&bytes[b..b + c], &real.sealed[b..b + c], "signed bytes changed yet verified");
        }
    }
}

#[test]
fn the_real_sample_verifies_and_its_parts_are_found() {
    let real = real();
    assert!(verify(&real.sealed).is_ok());
    assert!(real.cms_len > 300, "{}", real.cms_len);
    let dict = String::from_utf8_lossy(&real.sealed[real.sig_dict.clone()]).into_owned();
    assert!(dict.contains("/ByteRange") && dict.ends_with(">>"), "{dict:.200}");
}
