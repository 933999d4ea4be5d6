//! Fuzzing of the archive's replies: everything a posted reply goes through
//! before anything is written — [`parse_reply`], the identification of the
//! transfer ([`identify`]) and the archive identifiers it would record
//! ([`archive_records`]) — over two kinds of input: documents generated from
//! the SEDA reply structure (elements in any order, missing, repeated or
//! huge; foreign and bogus namespaces; entities, character references,
//! CDATA, DOCTYPEs; deep nesting) and byte mutations of the sample replies
//! of `fixtures/seda/replies`.
//!
//! Property: no panic, time bounded (far below what a quadratic blow-up or
//! an entity expansion would take), and no amplification: what is kept of a
//! reply is never larger than the reply. The case count comes from
//! `PROPTEST_CASES` (256 by default); the long run is
//! `PROPTEST_CASES=100000 cargo test --release --lib fuzz_`.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use time::OffsetDateTime;

use super::record::{SipInfo, TransferId, TransferRecord, TransferSpec};
use super::reply::{archive_records, identify};
use crate::domain::ActId;
use crate::seda::{Profile, Reply, parse_reply};

/// Far above the few milliseconds any case takes, far below a blow-up.
const TIME_BOUND: Duration = Duration::from_secs(5);

const NAMESPACES: &[&str] = &[
    "fr:gouv:culture:archivesdefrance:seda:v2.2",
    "fr:gouv:culture:archivesdefrance:seda:v2.1",
    "fr:gouv:culture:archivesdefrance:seda:v2.3",
    "fr:gouv:culture:archivesdefrance:seda:v1.0",
    "fr:gouv:culture:archivesdefrance:seda:v2.",
    "urn:other",
    "",
];

const ROOTS: &[&str] = &["ArchiveTransferReply", "Acknowledgement", "ArchiveTransfer", "Reply", "x:y"];

const FIELDS: &[&str] = &[
    "Comment",
    "Date",
    "MessageIdentifier",
    "MessageRequestIdentifier",
    "MessageReceivedIdentifier",
    "ReplyCode",
    "GrantDate",
    "ArchivalAgreement",
    "CodeListVersions",
    "Sender",
    "Receiver",
];

const CODES: &[&str] = &["OK", "KO", "WARNING", "FATAL", "000", "001", "300", "999", "Test OK", "MAYBE", ""];

/// The transfer every case is posted to, and the acts it holds.
#[derive(Debug)]
struct Fixture {
    transfer: TransferRecord,
    other: TransferId,
}

fn fixture() -> Fixture {
    let id = TransferId::generate();
    let acts: Vec<ActId> = (0..3).map(|_| ActId::generate()).collect();
    let collectivite: crate::domain::Siren = "216295105".parse().expect("a valid SIREN");
    let spec = TransferSpec {
        collectivite: collectivite.clone(),
        from: None,
        to: None,
        kinds: vec![],
        seance: None,
        acts: acts.clone(),
        profile: None,
        comment: None,
    };
    let transfer = TransferRecord {
        id,
        collectivite,
        created_at: OffsetDateTime::UNIX_EPOCH,
        profile: Profile::Vitam,
        spec,
        seance: None,
        acts,
        sip: SipInfo { size: 1, objects: 1, sha256: String::new() },
    };
    Fixture { transfer, other: TransferId::generate() }
}

/// A text value: identifiers that matter, and hostile text.
fn value(f: &Fixture) -> impl Strategy<Value = String> + use<> {
    let ours = f.transfer.id.to_string();
    let other = f.other.to_string();
    let unit = format!("AU-{}", f.transfer.acts[0]);
    let well_formed = prop_oneof![
        4 => Just(ours),
        2 => Just(other),
        2 => Just(unit),
        3 => proptest::sample::select(CODES).prop_map(str::to_owned),
        4 => "[ -~&&[^<&]]{0,40}",
        2 => "\\PC{0,40}".prop_map(|s| s.replace(['<', '&'], "")),
        1 => Just("R&amp;D &#233;t&#xE9; &#0; &lt;&gt;&quot;".to_owned()),
        1 => Just("<![CDATA[ <not> & markup ]]><!-- comment --><?pi data?>".to_owned()),
        1 => (1usize..70_000).prop_map(|n| "A".repeat(n)),
        1 => (1usize..2_000).prop_map(|n| "&amp;".repeat(n)),
    ];
    let malformed = prop_oneof![
        Just("&#xD800; &#1114112; &#x110000;".to_owned()),
        Just("&bogus; &lol9;".to_owned()),
        "[ -~]{0,40}",
        "\\PC{0,40}",
    ];
    prop_oneof![40 => well_formed, 1 => malformed]
}

/// One element of a reply, possibly nested.
fn element(f: &Fixture) -> impl Strategy<Value = String> + use<> {
    let leaf = (proptest::sample::select(FIELDS), value(f)).prop_map(|(n, v)| format!("<{n}>{v}</{n}>"));
    let event = (value(f), value(f), proptest::sample::select(&["KO", "OK", "WARNING", "FATAL"][..]))
        .prop_map(|(t, m, o)| {
            format!("<Event><EventType>{t}</EventType><Outcome>{o}</Outcome><OutcomeDetailMessage>{m}</OutcomeDetailMessage></Event>")
        });
    let operation =
        proptest::collection::vec(event, 0..6).prop_map(|e| format!("<Operation>{}</Operation>", e.concat()));
    let unit =
        (value(f), proptest::collection::vec(value(f), 0..3), any::<bool>()).prop_map(|(id, ids, vitam)| {
            let tag = if vitam { "SystemId" } else { "ArchivalAgencyArchiveUnitIdentifier" };
            let ids: String = ids.iter().map(|v| format!("<{tag}>{v}</{tag}>")).collect();
            format!(
                r#"<ArchiveUnit id="{}"><Content>{ids}</Content></ArchiveUnit>"#,
                id.replace(['"', '<', '&'], "")
            )
        });
    let package = proptest::collection::vec(unit, 0..5).prop_map(|u| {
        format!("<DataObjectPackage><DescriptiveMetadata>{}</DescriptiveMetadata><ManagementMetadata/></DataObjectPackage>", u.concat())
    });
    let foreign =
        value(f).prop_map(|v| format!(r#"<o:MessageIdentifier xmlns:o="urn:o">{v}</o:MessageIdentifier>"#));
    let unbound = Just("<p:ReplyCode>OK</p:ReplyCode>".to_owned());
    let depth = prop_oneof![4 => 1usize..250, 1 => 250usize..3_000];
    let deep = depth.prop_map(|d| format!("{}{}", "<ArchiveUnit>".repeat(d), "</ArchiveUnit>".repeat(d)));
    let unclosed = Just("<ReplyCode>OK".to_owned());
    prop_oneof![
        24 => leaf,
        6 => operation,
        6 => package,
        3 => foreign,
        2 => deep,
        1 => unbound,
        1 => unclosed,
    ]
}

/// A whole document built from the reply structure.
fn document(f: &Fixture) -> impl Strategy<Value = Vec<u8>> + use<> {
    let prolog = prop_oneof![
        Just(String::new()),
        Just(r#"<?xml version="1.0" encoding="UTF-8"?>"#.to_owned()),
        Just(
            r#"<!DOCTYPE r [<!ENTITY lol "lol"><!ENTITY lol9 "&lol;&lol;&lol;&lol;&lol;&lol;">]>"#.to_owned()
        ),
        Just(r#"<!DOCTYPE r SYSTEM "file:///etc/passwd">"#.to_owned()),
        Just("\u{FEFF}".to_owned()),
    ];
    // Mostly what a reply needs (a root and namespace we read, a code, the
    // identifiers), each field possibly missing, among other elements, in
    // any order: so that most cases get past parsing to identification.
    let root = prop_oneof![6 => Just(ROOTS[0]), 3 => Just(ROOTS[1]), 1 => proptest::sample::select(ROOTS)];
    let ns = prop_oneof![6 => Just(NAMESPACES[0]), 1 => proptest::sample::select(NAMESPACES)];
    let code = prop_oneof![4 => proptest::sample::select(&CODES[..7]), 1 => proptest::sample::select(CODES)]
        .prop_map(|c| format!("<ReplyCode>{c}</ReplyCode>"));
    let named = |tag: &'static str| value(f).prop_map(move |v| format!("<{tag}>{v}</{tag}>"));
    let required = (
        proptest::option::weighted(0.8, code),
        proptest::option::weighted(0.7, named("MessageRequestIdentifier")),
        proptest::option::weighted(0.7, named("MessageIdentifier")),
        proptest::option::weighted(0.5, named("MessageReceivedIdentifier")),
    )
        .prop_map(|(a, b, c, d)| [a, b, c, d].into_iter().flatten().collect::<Vec<_>>());
    let children = (required, proptest::collection::vec(element(f), 0..10))
        .prop_map(|(mut required, others)| {
            required.extend(others);
            required
        })
        .prop_shuffle();
    let tail = prop_oneof![4 => Just(Vec::new()), 1 => proptest::collection::vec(any::<u8>(), 1..4)];
    (prolog, root, ns, any::<bool>(), children, tail).prop_map(
        |(prolog, root, ns, prefixed, children, tail)| {
            let (open, close) = if prefixed {
                (format!(r#"<s:{root} xmlns:s="{ns}" xmlns="{ns}">"#), format!("</s:{root}>"))
            } else {
                (format!(r#"<{root} xmlns="{ns}">"#), format!("</{root}>"))
            };
            let mut doc = format!("{prolog}{open}{}{close}", children.concat()).into_bytes();
            doc.extend(tail);
            doc
        },
    )
}

/// A byte mutation of a sample reply (naming the fixture's transfer).
fn mutated(f: &Fixture) -> impl Strategy<Value = Vec<u8>> + use<> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/seda/replies");
    let mut samples: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .expect("fixtures/seda/replies")
        .map(|e| std::fs::read(e.expect("an entry").path()).expect("a sample reply"))
        .collect();
    samples.sort();
    let ours = f.transfer.id.to_string();
    let unit = format!("AU-{}", f.transfer.acts[0]);
    for s in samples.clone() {
        let text = String::from_utf8_lossy(&s)
            .replace("EXV-SIP-2024-AR-0042-20241015T103000", &ours)
            .replace("EXV-SIP-CM-20240912-20241015T110000", &ours)
            .replace("AU-ARR-2024-0042", &unit);
        samples.push(text.into_bytes());
    }
    let edit = prop_oneof![
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Set(i, b)),
        (any::<prop::sample::Index>(), proptest::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(i, b)| Edit::Insert(i, b)),
        (any::<prop::sample::Index>(), 1usize..64).prop_map(|(i, n)| Edit::Delete(i, n)),
        (any::<prop::sample::Index>(), any::<prop::sample::Index>(), 1usize..200)
            .prop_map(|(a, b, n)| Edit::Copy(a, b, n)),
        any::<prop::sample::Index>().prop_map(Edit::Truncate),
    ];
    (proptest::sample::select(samples), proptest::collection::vec(edit, 1..8)).prop_map(
        |(mut bytes, edits)| {
            for e in edits {
                e.apply(&mut bytes);
            }
            bytes
        },
    )
}

#[derive(Debug, Clone)]
enum Edit {
    Set(prop::sample::Index, u8),
    Insert(prop::sample::Index, Vec<u8>),
    Delete(prop::sample::Index, usize),
    Copy(prop::sample::Index, prop::sample::Index, usize),
    Truncate(prop::sample::Index),
}

impl Edit {
    fn apply(self, bytes: &mut Vec<u8>) {
        if bytes.is_empty() {
            return;
        }
        match self {
            Edit::Set(i, b) => {
                let i = i.index(bytes.len());
                bytes[i] = b;
            }
            Edit::Insert(i, b) => {
                let i = i.index(bytes.len());
                bytes.splice(i..i, b);
            }
            Edit::Delete(i, n) => {
                let i = i.index(bytes.len());
                bytes.drain(i..(i + n).min(bytes.len()));
            }
            Edit::Copy(from, to, n) => {
                let from = from.index(bytes.len());
                let chunk = bytes[from..(from + n).min(bytes.len())].to_vec();
                let to = to.index(bytes.len());
                bytes.splice(to..to, chunk);
            }
            Edit::Truncate(i) => {
                let i = i.index(bytes.len());
                bytes.truncate(i);
            }
        }
    }
}

/// Bytes of text a reply keeps.
fn kept(reply: &Reply) -> usize {
    let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    match reply {
        Reply::Acknowledgement(a) => a.received_identifier.len() + opt(&a.message_identifier) + opt(&a.date),
        Reply::TransferReply(r) => {
            opt(&r.message_identifier)
                + opt(&r.request_identifier)
                + r.reply_code.len()
                + opt(&r.grant_date)
                + r.reasons.iter().map(String::len).sum::<usize>()
                + r.units
                    .iter()
                    .map(|u| {
                        u.unit_id.len()
                            + u.system_ids.iter().map(String::len).sum::<usize>()
                            + u.archival_agency_ids.iter().map(String::len).sum::<usize>()
                    })
                    .sum::<usize>()
        }
    }
}

/// Everything a posted reply goes through before anything is written.
fn ingest_checks(f: &Fixture, xml: &[u8]) {
    let started = Instant::now();
    if let Ok(reply) = parse_reply(xml) {
        assert!(kept(&reply) <= xml.len(), "a reply of {} bytes kept {} bytes", xml.len(), kept(&reply));
        let identified = identify(&reply, &f.transfer.id);
        if let Reply::TransferReply(r) = &reply {
            let records = archive_records(&f.transfer, r);
            assert!(records.len() <= f.transfer.acts.len(), "one record per act at most");
            assert!(records.iter().all(|(act, _)| f.transfer.acts.contains(act)));
            // A reply naming the other transfer is never taken for ours.
            let names_other = [&r.request_identifier, &r.message_identifier]
                .into_iter()
                .any(|v| v.as_deref() == Some(f.other.to_string().as_str()));
            assert!(!names_other || identified.is_err(), "a reply naming another transfer was taken");
        }
    }
    assert!(started.elapsed() < TIME_BOUND, "{} bytes took {:?}", xml.len(), started.elapsed());
}

fn fixture_and_document() -> impl Strategy<Value = (std::sync::Arc<Fixture>, Vec<u8>)> {
    let f = std::sync::Arc::new(fixture());
    document(&f).prop_map(move |doc| (std::sync::Arc::clone(&f), doc))
}

fn fixture_and_mutation() -> impl Strategy<Value = (std::sync::Arc<Fixture>, Vec<u8>)> {
    let f = std::sync::Arc::new(fixture());
    mutated(&f).prop_map(move |doc| (std::sync::Arc::clone(&f), doc))
}

proptest! {
    #[test]
    fn fuzz_replies_generated_from_the_seda_structure((f, xml) in fixture_and_document()) {
        ingest_checks(&f, &xml);
    }

    #[test]
    fn fuzz_replies_mutated_from_the_samples((f, xml) in fixture_and_mutation()) {
        ingest_checks(&f, &xml);
    }
}

/// The generator is worth something only if most of what it makes gets past
/// parsing: check it reaches every outcome of identification.
#[test]
fn the_reply_generator_mostly_makes_readable_replies_of_every_kind() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let f = fixture();
    let strategy = document(&f);
    let mut runner = TestRunner::deterministic();
    let (mut parsed, mut ours, mut others, mut acks) = (0, 0, 0, 0);
    let mut errs: std::collections::BTreeMap<String, usize> = Default::default();
    for _ in 0..400 {
        let xml = strategy.new_tree(&mut runner).expect("a document").current();
        let reply = match parse_reply(&xml) {
            Ok(r) => r,
            Err(e) => {
                let k: String = e.to_string().chars().take(50).collect();
                *errs.entry(k).or_insert(0) += 1;
                continue;
            }
        };
        parsed += 1;
        acks += usize::from(matches!(reply, Reply::Acknowledgement(_)));
        match identify(&reply, &f.transfer.id) {
            Ok(()) => ours += 1,
            Err(_) => others += 1,
        }
    }
    // Measured: 123 parse (28 identify the transfer, 95 do not, 33 are
    // acknowledgements); the rest fail in every way parsing can fail.
    assert!(parsed >= 80, "only {parsed} of 400 generated replies parse: {errs:#?}");
    assert!(
        ours >= 15 && others >= 30 && acks >= 15,
        "ours {ours}, others {others}, acknowledgements {acks}"
    );
}
