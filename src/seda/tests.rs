//! Unit tests of the SEDA module as a whole: the golden manifest, the SIP
//! checks on deliberately broken SIPs, and the reply fixtures.

use std::io::{Cursor, Read, Write};
use std::path::PathBuf;

use time::macros::datetime;
use zip::ZipArchive;
use zip::write::SimpleFileOptions;

use super::*;
use crate::domain::Sha512Digest;

const PDF: &[u8] = b"%PDF-1.7\n% acta test\n%%EOF\n";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

fn rules() -> ManagementRules {
    ManagementRules::load(&fixture("seda-rules.json")).unwrap()
}

fn act(uuid: &str, number: &str, nature: u8) -> ArchivedAct {
    ArchivedAct {
        id: uuid.parse().unwrap(),
        number: number.parse().unwrap(),
        title: "Arrêté portant avancement d'échelon — Mme Camille DURAND".into(),
        description: None,
        template: "arrete-avancement-echelon".into(),
        document_type: "Arrêté portant avancement d'échelon".into(),
        nature,
        matiere: "4.1".into(),
        siren: "216295105".parse().unwrap(),
        collectivite: "Commune d'Aubrecourt-en-Artois".into(),
        created_at: datetime!(2026-03-02 09:00:00 UTC),
        sealed_at: datetime!(2026-03-03 10:15:00 UTC),
        published_at: None,
        transmission: None,
        sha512: Sha512Digest::of(PDF),
        size: PDF.len() as u64,
        personal: false,
        medical: false,
    }
}

fn agencies() -> Agencies {
    let agency = |id: &str| Agency { identifier: id.into(), name: None };
    Agencies {
        archival_agreement: "IC-000001".into(),
        archival_profile: None,
        archival_agency: Agency {
            identifier: "FRAD062".into(),
            name: Some("Archives du Pas-de-Calais".into()),
        },
        transferring_agency: agency("216295105"),
        originating_agency: agency("216295105"),
        submission_agency: None,
    }
}

fn request(selection: Selection, profile: Profile) -> TransferRequest {
    TransferRequest {
        message_identifier: "ACTA-T-0001".into(),
        date: datetime!(2026-04-01 12:00:00 +2),
        comment: None,
        profile,
        agencies: agencies(),
        selection,
    }
}

/// Serves the same bytes for every act, and a proof when asked to.
struct Fixed {
    proof: bool,
}

impl ObjectSource for Fixed {
    fn pdf(&mut self, _: &ArchivedAct) -> std::io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(PDF))
    }
    fn proof(&mut self, _: &ArchivedAct) -> std::io::Result<Option<Box<dyn Read + '_>>> {
        Ok(self.proof.then(|| Box::new(&b"{\"leaf\":1}"[..]) as Box<dyn Read>))
    }
}

fn sip(request: &TransferRequest, proof: bool) -> Vec<u8> {
    let (out, _) = write_sip(Cursor::new(Vec::new()), request, &rules(), &mut Fixed { proof }).unwrap();
    out.into_inner()
}

fn entry(zip: &[u8], name: &str) -> String {
    let mut s = String::new();
    ZipArchive::new(Cursor::new(zip)).unwrap().by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

const UUID: &str = "01960000-0000-7000-8000-000000000001";

#[test]
fn the_manifest_of_a_one_act_transfer_is_exactly_the_expected_document() {
    let req = request(Selection::Acts(vec![act(UUID, "2026_ARR_00042", 3)]), Profile::Vitam);
    let manifest = entry(&sip(&req, false), "manifest.xml");
    let expected = GOLDEN
        .replace("{VERSION}", env!("CARGO_PKG_VERSION"))
        .replace("{SHA512}", Sha512Digest::of(PDF).as_str())
        .replace("{SIZE}", &PDF.len().to_string());
    assert_eq!(manifest, expected, "\n--- got ---\n{manifest}");
}

const GOLDEN: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.2">
  <Date>2026-04-01T12:00:00+02:00</Date>
  <MessageIdentifier>ACTA-T-0001</MessageIdentifier>
  <ArchivalAgreement>IC-000001</ArchivalAgreement>
  <CodeListVersions>
    <ReplyCodeListVersion>ReplyCodeListVersion0</ReplyCodeListVersion>
    <MessageDigestAlgorithmCodeListVersion>MessageDigestAlgorithmCodeListVersion0</MessageDigestAlgorithmCodeListVersion>
    <MimeTypeCodeListVersion>MimeTypeCodeListVersion0</MimeTypeCodeListVersion>
    <FileFormatCodeListVersion>PRONOM</FileFormatCodeListVersion>
    <DataObjectVersionCodeListVersion>DataObjectVersionCodeListVersion0</DataObjectVersionCodeListVersion>
    <AppraisalRuleCodeListVersion>AppraisalRuleCodeListVersion0</AppraisalRuleCodeListVersion>
    <AccessRuleCodeListVersion>AccessRuleCodeListVersion0</AccessRuleCodeListVersion>
  </CodeListVersions>
  <DataObjectPackage>
    <DataObjectGroup id="GOT-01960000-0000-7000-8000-000000000001">
      <BinaryDataObject id="BDO-01960000-0000-7000-8000-000000000001">
        <DataObjectVersion>BinaryMaster_1</DataObjectVersion>
        <Uri>content/2026_ARR_00042.pdf</Uri>
        <MessageDigest algorithm="SHA-512">{SHA512}</MessageDigest>
        <Size>{SIZE}</Size>
        <FormatIdentification>
          <FormatLitteral>Acrobat PDF/A - Portable Document Format</FormatLitteral>
          <MimeType>application/pdf</MimeType>
          <FormatId>fmt/477</FormatId>
        </FormatIdentification>
        <FileInfo>
          <Filename>2026_ARR_00042 Arrêté portant avancement d'échelon — Mme Camille DURAND.pdf</Filename>
          <CreatingApplicationName>acta</CreatingApplicationName>
          <CreatingApplicationVersion>{VERSION}</CreatingApplicationVersion>
          <DateCreatedByApplication>2026-03-03T10:15:00Z</DateCreatedByApplication>
          <LastModified>2026-03-03T10:15:00Z</LastModified>
        </FileInfo>
      </BinaryDataObject>
    </DataObjectGroup>
    <DescriptiveMetadata>
      <ArchiveUnit id="AU-01960000-0000-7000-8000-000000000001">
        <Management>
          <AppraisalRule>
            <Rule>APP50Y</Rule>
            <StartDate>2026-03-03</StartDate>
            <FinalAction>Keep</FinalAction>
          </AppraisalRule>
          <AccessRule>
            <Rule>AR048</Rule>
            <StartDate>2026-03-03</StartDate>
          </AccessRule>
        </Management>
        <Content>
          <DescriptionLevel>Item</DescriptionLevel>
          <Title>Arrêté portant avancement d'échelon — Mme Camille DURAND</Title>
          <OriginatingSystemId>01960000-0000-7000-8000-000000000001</OriginatingSystemId>
          <OriginatingAgencyArchiveUnitIdentifier>2026_ARR_00042</OriginatingAgencyArchiveUnitIdentifier>
          <DocumentType>Arrêté portant avancement d'échelon</DocumentType>
          <Language>fr</Language>
          <DescriptionLanguage>fr</DescriptionLanguage>
          <Keyword>
            <KeywordContent>Acte individuel</KeywordContent>
            <KeywordType>genreform</KeywordType>
          </Keyword>
          <Keyword>
            <KeywordContent>4.1</KeywordContent>
            <KeywordType>subject</KeywordType>
          </Keyword>
          <Keyword>
            <KeywordContent>Commune d'Aubrecourt-en-Artois</KeywordContent>
            <KeywordType>corpname</KeywordType>
          </Keyword>
          <OriginatingAgency>
            <Identifier>216295105</Identifier>
          </OriginatingAgency>
          <CreatedDate>2026-03-02</CreatedDate>
          <RegisteredDate>2026-03-03</RegisteredDate>
          <StartDate>2026-03-03</StartDate>
          <EndDate>2026-03-03</EndDate>
          <Event>
            <EventIdentifier>2026_ARR_00042</EventIdentifier>
            <EventTypeCode>SCELLEMENT</EventTypeCode>
            <EventType>Numérotation au registre et scellement</EventType>
            <EventDateTime>2026-03-03T10:15:00Z</EventDateTime>
            <EventDetail>Acte n° 2026_ARR_00042 de la collectivité SIREN 216295105</EventDetail>
            <Outcome>OK</Outcome>
          </Event>
        </Content>
        <DataObjectReference>
          <DataObjectGroupReferenceId>GOT-01960000-0000-7000-8000-000000000001</DataObjectGroupReferenceId>
        </DataObjectReference>
      </ArchiveUnit>
    </DescriptiveMetadata>
    <ManagementMetadata>
      <AcquisitionInformation>Versement</AcquisitionInformation>
      <LegalStatus>Public Archive</LegalStatus>
      <OriginatingAgencyIdentifier>216295105</OriginatingAgencyIdentifier>
    </ManagementMetadata>
  </DataObjectPackage>
  <ArchivalAgency>
    <Identifier>FRAD062</Identifier>
    <OrganizationDescriptiveMetadata>
      <Name xmlns="fr:gouv:culture:archivesdefrance:seda:v1.0">Archives du Pas-de-Calais</Name>
    </OrganizationDescriptiveMetadata>
  </ArchivalAgency>
  <TransferringAgency>
    <Identifier>216295105</Identifier>
  </TransferringAgency>
</ArchiveTransfer>
"#;

#[test]
fn sips_with_proofs_pass_their_own_checks_and_use_the_profile_digest_label() {
    let acts = vec![
        act(UUID, "2026_ARR_00042", 3),
        act("01960000-0000-7000-8000-000000000002", "2026_DEL_00001", 1),
    ];
    let zip = sip(&request(Selection::Acts(acts), Profile::Asalae), true);
    let report = check_sip(Cursor::new(&zip)).unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!((report.units, report.objects), (4, 4));
    let manifest = entry(&zip, "manifest.xml");
    assert!(manifest.contains(r#"algorithm="http://www.w3.org/2001/04/xmlenc#sha512""#));
    assert!(manifest.contains("<Uri>content/2026_ARR_00042.preuve.json</Uri>"));
    assert!(manifest.contains("<Rule>AR038</Rule>"), "the délibération is public");
    let mut archive = ZipArchive::new(Cursor::new(&zip)).unwrap();
    let pdf = archive.by_name("content/2026_ARR_00042.pdf").unwrap();
    assert_eq!(pdf.compression(), zip::CompressionMethod::Stored);
}

/// Rebuild `zip` with `edit` applied to the manifest, minus `drop`, plus `extra`.
fn tamper(zip: &[u8], edit: impl Fn(String) -> String, drop: Option<&str>, extra: Option<&str>) -> Vec<u8> {
    let mut archive = ZipArchive::new(Cursor::new(zip)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let name = f.name().unwrap().into_owned();
        if Some(name.as_str()) == drop {
            continue;
        }
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        if name == "manifest.xml" {
            bytes = edit(String::from_utf8(bytes).unwrap()).into_bytes();
        }
        out.start_file(name, options).unwrap();
        out.write_all(&bytes).unwrap();
    }
    if let Some(name) = extra {
        out.start_file(name, options).unwrap();
        out.write_all(b"x").unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn the_checks_find_each_defect_archive_systems_reject() {
    let good = sip(&request(Selection::Acts(vec![act(UUID, "2026_ARR_00042", 3)]), Profile::Vitam), false);
    let digest = Sha512Digest::of(PDF).to_string();
    let group_ref = "<DataObjectGroupReferenceId>GOT-";
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("absent du SIP", tamper(&good, |m| m, Some("content/2026_ARR_00042.pdf"), None)),
        ("non référencé", tamper(&good, |m| m, None, Some("content/extra.pdf"))),
        ("hors de content", tamper(&good, |m| m, None, Some("README"))),
        ("recalculé", tamper(&good, |m| m.replace(&digest, &"0".repeat(128)), None, None)),
        ("octets", tamper(&good, |m| m.replace("<Size>", "<Size>1"), None, None)),
        (
            "ne désigne aucun",
            tamper(&good, |m| m.replace(group_ref, "<DataObjectGroupReferenceId>X-"), None, None),
        ),
        (
            "sans Title",
            tamper(
                &good,
                |m| m.replace("<Title>", "<Description>").replace("</Title>", "</Description>"),
                None,
                None,
            ),
        ),
        (
            "sans DescriptionLevel",
            tamper(&good, |m| m.replace("<DescriptionLevel>Item</DescriptionLevel>", ""), None, None),
        ),
        ("0 BinaryMaster_1", tamper(&good, |m| m.replace("BinaryMaster_1", "Dissemination_1"), None, None)),
        ("non pris en charge", tamper(&good, |m| m.replace("\"SHA-512\"", "\"SHA512\""), None, None)),
    ];
    assert!(check_sip(Cursor::new(&good)).unwrap().is_ok());
    for (expected, zip) in cases {
        let report = check_sip(Cursor::new(&zip)).unwrap();
        assert!(report.problems.iter().any(|p| p.contains(expected)), "{expected}: {report}");
    }
}

struct Altered;

impl ObjectSource for Altered {
    fn pdf(&mut self, _: &ArchivedAct) -> std::io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(&b"%PDF-1.7 altered"[..]))
    }
    fn proof(&mut self, _: &ArchivedAct) -> std::io::Result<Option<Box<dyn Read + '_>>> {
        Ok(None)
    }
}

#[test]
fn a_pdf_that_no_longer_matches_its_seal_is_refused() {
    let req = request(Selection::Acts(vec![act(UUID, "2026_ARR_00042", 3)]), Profile::Vitam);
    let err = write_sip(Cursor::new(Vec::new()), &req, &rules(), &mut Altered).unwrap_err();
    assert!(matches!(err, SedaError::SealMismatch { what: "SHA-512", .. }), "{err}");
}

#[test]
fn bad_selections_fail_before_writing() {
    let narrow = ManagementRules::from_json(
        r#"{"kinds":[{"name":"délibérations","when":{"natures":[1]},"appraisal":{"rule":"A","final_action":"Keep"},"access":{"rule":"AR038"}}]}"#,
    )
    .unwrap();
    let req = request(Selection::Acts(vec![act(UUID, "2026_ARR_00042", 3)]), Profile::Vitam);
    let err = write_sip(Cursor::new(Vec::new()), &req, &narrow, &mut Fixed { proof: false }).unwrap_err();
    assert!(matches!(err, SedaError::NoRuleForAct { nature: 3, .. }), "{err}");
    let empty = request(Selection::Acts(vec![]), Profile::Vitam);
    assert!(matches!(
        write_sip(Cursor::new(Vec::new()), &empty, &rules(), &mut Fixed { proof: false }),
        Err(SedaError::EmptySelection)
    ));
    let twice = request(
        Selection::Acts(vec![act(UUID, "2026_ARR_00042", 3), act(UUID, "2026_ARR_00043", 3)]),
        Profile::Vitam,
    );
    assert!(matches!(
        write_sip(Cursor::new(Vec::new()), &twice, &rules(), &mut Fixed { proof: false }),
        Err(SedaError::DuplicateId(_))
    ));
}

fn reply(name: &str) -> Result<Reply, SedaError> {
    parse_reply(&std::fs::read(fixture("seda/replies").join(name)).unwrap())
}

#[test]
fn a_vitam_ok_reply_gives_the_system_id_of_each_unit() {
    let Reply::TransferReply(r) = reply("atr-ok-vitam.xml").unwrap() else { panic!("not an ATR") };
    assert_eq!(r.outcome, Outcome::Accepted);
    assert_eq!(r.request_identifier.as_deref(), Some("EXV-SIP-2024-AR-0042-20241015T103000"));
    assert_eq!(r.units.len(), 1);
    assert_eq!(r.units[0].unit_id, "AU-ARR-2024-0042");
    assert_eq!(r.units[0].system_ids, ["aeaqaaaaaae2txtzaadjwaltyrxsyxiaaaaq"]);
    let ours = "EXV-SIP-2024-AR-0042-20241015T103000";
    assert_eq!(Reply::TransferReply(r).identify(ours, |_| false), Identified::Ours);
}

#[test]
fn a_vitam_ko_reply_that_is_not_xsd_valid_is_read_with_its_reason() {
    let Reply::TransferReply(r) = reply("atr-ko-vitam.xml").unwrap() else { panic!("not an ATR") };
    assert_eq!(r.outcome, Outcome::Rejected);
    assert_eq!(r.request_identifier, None, "empty MessageRequestIdentifier");
    assert_eq!(r.message_identifier.as_deref(), Some("aeeaaaaaachk7bs6abo3walwa3jx6vyaaaaq"));
    assert_eq!(r.reasons.len(), 1);
    assert!(r.reasons[0].starts_with("Échec de la vérification"), "{:?}", r.reasons);
}

#[test]
fn asalae_replies_match_on_either_identifier_and_give_the_cote() {
    let transfer = "EXV-SIP-CM-20240912-20241015T110000";
    let ok = reply("atr-ok-asalae.xml").unwrap();
    assert_eq!(ok.identify(transfer, |_| false), Identified::Ours);
    let Reply::TransferReply(r) = ok else { panic!("not an ATR") };
    assert_eq!((r.reply_code.as_str(), r.outcome), ("000", Outcome::Accepted));
    assert_eq!(r.units[1].unit_id, "AU-DELIB-2024-045");
    assert_eq!(r.units[1].archival_agency_ids, ["AE_2024_15_2"]);
    let ko = reply("atr-ko-asalae.xml").unwrap();
    assert_eq!(ko.identify(transfer, |_| false), Identified::Ours);
    let Reply::TransferReply(r) = ko else { panic!("not an ATR") };
    assert_eq!(r.outcome, Outcome::Rejected);
    assert!(r.reasons[0].starts_with("Convention invalide"));
    let Reply::Acknowledgement(a) = reply("ack-asalae.xml").unwrap() else { panic!("not an ACK") };
    assert_eq!(a.received_identifier, "EXV-SIP-2024-AR-0042-20241015T103000");
}

#[test]
fn unknown_malformed_or_incomplete_replies_are_clear_errors() {
    assert!(matches!(reply("unknown-document.xml"), Err(SedaError::UnknownReply(_))));
    assert!(matches!(reply("malformed-truncated.xml"), Err(SedaError::MalformedReply(_))));
    let no_code = br#"<ArchiveTransferReply xmlns="fr:gouv:culture:archivesdefrance:seda:v2.2"><MessageRequestIdentifier>X</MessageRequestIdentifier></ArchiveTransferReply>"#;
    assert!(matches!(parse_reply(no_code), Err(SedaError::IncompleteReply("ReplyCode"))));
    let odd = br#"<ArchiveTransferReply xmlns="fr:gouv:culture:archivesdefrance:seda:v2.3"><ReplyCode>MAYBE</ReplyCode><MessageRequestIdentifier>X</MessageRequestIdentifier></ArchiveTransferReply>"#;
    assert!(matches!(parse_reply(odd), Err(SedaError::UnknownReplyCode(_))));
    assert!(matches!(parse_reply(b"not xml at all"), Err(SedaError::MalformedReply(_))));
}

#[test]
fn a_reply_identifies_a_transfer_only_when_it_names_it_and_no_other() {
    let is_id = |s: &str| s.starts_with("T-");
    let atr = |request: Option<&str>, message: Option<&str>| {
        let Reply::TransferReply(mut r) = reply("atr-ok-vitam.xml").unwrap() else { panic!("not an ATR") };
        r.request_identifier = request.map(str::to_owned);
        r.message_identifier = message.map(str::to_owned);
        Reply::TransferReply(r)
    };
    assert_eq!(atr(Some("T-1"), Some("op-42")).identify("T-1", is_id), Identified::Ours, "Vitam");
    assert_eq!(atr(Some("ATR_27"), Some("T-1")).identify("T-1", is_id), Identified::Ours, "As@lae");
    assert_eq!(atr(Some("T-2"), Some("T-1")).identify("T-1", is_id), Identified::Other("T-2".into()));
    assert_eq!(atr(Some("T-1"), Some("T-2")).identify("T-1", is_id), Identified::Other("T-2".into()));
    assert_eq!(atr(None, Some("T-2")).identify("T-1", is_id), Identified::Other("T-2".into()));
    assert_eq!(atr(Some("X"), Some("op")).identify("T-1", is_id), Identified::Other("X".into()));
    assert_eq!(atr(None, Some("op-42")).identify("T-1", is_id), Identified::Nothing, "Vitam KO");
    let ack = reply("ack-asalae.xml").unwrap();
    assert_eq!(ack.identify("EXV-SIP-2024-AR-0042-20241015T103000", is_id), Identified::Ours);
    assert!(matches!(ack.identify("T-1", is_id), Identified::Other(_)));
}

#[test]
fn an_act_about_an_agent_gets_the_personal_access_rule_whatever_its_kind() {
    let rules = rules();
    let mut regulatory = act("019a0000-0000-7000-8000-000000000001", "2026_ARR_00001", 2);
    regulatory.matiere = "5.5".into();
    assert_eq!(rules.rules_for(&regulatory).unwrap().access.rule, "AR038");
    regulatory.personal = true;
    assert_eq!(rules.rules_for(&regulatory).unwrap().access.rule, "AR048", "the floor of personal files");
    let career = act("019a0000-0000-7000-8000-000000000002", "2026_ARR_00002", 3);
    let kind = rules.rules_for(&career).unwrap();
    assert_eq!((kind.access.rule.as_str(), kind.access.duration.as_deref()), ("AR048", Some("P50Y")));
}

#[test]
fn an_act_that_may_reveal_health_gets_the_medical_secret_rule_over_the_personal_one() {
    let rules = rules();
    let mut leave = act("019a0000-0000-7000-8000-000000000003", "2026_ARR_00003", 3);
    leave.template = "arrete-conge-sante".into();
    leave.personal = true;
    leave.medical = true;
    let kind = rules.rules_for(&leave).unwrap();
    assert_eq!((kind.access.rule.as_str(), kind.access.duration.as_deref()), ("AR061", Some("P120Y")));
}

#[test]
fn control_characters_in_free_text_are_made_xml_safe() {
    let mut request = TransferRequest {
        message_identifier: "T-1".into(),
        date: datetime!(2026-03-04 08:00:00 UTC),
        comment: Some("Versement\u{7} du\u{0} trimestre\u{FFFF}\tfin".into()),
        profile: Profile::Vitam,
        agencies: agencies(),
        selection: Selection::Acts(vec![act("019a0000-0000-7000-8000-000000000003", "2026_ARR_00003", 3)]),
    };
    request.agencies.archival_agency.name = Some("Archives\u{1b}[31m".into());
    let mut xml = Vec::new();
    let transfer = assemble::transfer(&request, vec![]);
    write_manifest(&transfer, &mut xml).unwrap();
    let xml = String::from_utf8(xml).unwrap();
    assert!(xml.contains("<Comment>Versement\u{FFFD} du\u{FFFD} trimestre\u{FFFD}\tfin</Comment>"), "{xml}");
    assert!(xml.contains("Archives\u{FFFD}[31m"), "{xml}");
    assert!(xml.chars().all(names::xml_char));
}
