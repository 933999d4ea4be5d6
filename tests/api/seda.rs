//! SEDA 2.2 SIPs: built from generated acts into a temporary directory, checked
//! by acta's own SIP checks and validated with `xmllint --nonet` against the
//! official XSDs of PyPI `cubicweb-seda==2.4.1`, which `scripts/test.sh`
//! installs into `.tools/seda-xsd` (a missing xmllint or XSD fails the test).

use std::fs::{self, File};
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use acta::domain::Sha512Digest;
use acta::seda::{
    Agencies, Agency, ArchivedAct, ManagementRules, ObjectSource, Profile, Seance, Selection,
    TransferRequest, Transmission, check_sip, write_sip,
};
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn xsd() -> PathBuf {
    let path = repo().join(".tools/seda-xsd/seda-2.2-main.xsd");
    assert!(
        path.is_file(),
        "{} missing: run scripts/test.sh, which fetches cubicweb-seda==2.4.1",
        path.display()
    );
    path
}

/// A small but real-looking PDF per act, different for each.
fn pdf_bytes(n: usize) -> Vec<u8> {
    format!(
        "%PDF-1.7\n%âãÏÓ\n1 0 obj << /Type /Catalog >> endobj\n% acte {n}\n{}\n%%EOF\n",
        "x".repeat(2048 + n % 512)
    )
    .into_bytes()
}

/// Acts whose PDFs and proofs are files in a directory.
struct Dir {
    root: PathBuf,
}

impl Dir {
    fn pdf_path(&self, act: &ArchivedAct) -> PathBuf {
        self.root.join(format!("{}.pdf", act.id))
    }
    fn proof_path(&self, act: &ArchivedAct) -> PathBuf {
        self.root.join(format!("{}.proof.json", act.id))
    }
}

impl ObjectSource for Dir {
    fn pdf(&mut self, act: &ArchivedAct) -> io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(File::open(self.pdf_path(act))?))
    }
    fn proof(&mut self, act: &ArchivedAct) -> io::Result<Option<Box<dyn Read + '_>>> {
        match File::open(self.proof_path(act)) {
            Ok(f) => Ok(Some(Box::new(f))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Write act `n`'s PDF (and proof) into `dir` and describe it.
fn make_act(
    dir: &Dir,
    n: usize,
    template: &str,
    nature: u8,
    series: &str,
    sealed_at: OffsetDateTime,
) -> ArchivedAct {
    let pdf = pdf_bytes(n);
    let act = ArchivedAct {
        id: acta::domain::ActId::generate(),
        number: format!("2026_{series}_{:05}", n + 1).parse().unwrap(),
        title: format!("Acte n° {} — objet « test » & suite", n + 1),
        description: Some("Acte généré pour les tests de versement.".into()),
        template: template.into(),
        document_type: match nature {
            1 => "Délibération",
            3 => "Arrêté individuel",
            _ => "Document de séance",
        }
        .into(),
        nature,
        matiere: if nature == 3 { "4.1".into() } else { "7.1".into() },
        personal: nature == 3,
        medical: false,
        siren: "216295105".parse().unwrap(),
        collectivite: "Commune d'Aubrecourt-en-Artois".into(),
        created_at: sealed_at - Duration::days(1),
        sealed_at,
        published_at: Some(sealed_at + Duration::days(1)),
        transmission: (nature != 6).then(|| Transmission {
            identifier: format!("062-216295105-20260303-2026_{series}_{:05}-AR", n + 1),
            at: sealed_at + Duration::hours(2),
        }),
        sha512: Sha512Digest::of(&pdf),
        size: pdf.len() as u64,
    };
    fs::write(dir.pdf_path(&act), &pdf).unwrap();
    if n.is_multiple_of(2) {
        fs::write(dir.proof_path(&act), format!("{{\"leaf\":{n},\"root\":\"ab12\"}}")).unwrap();
    }
    act
}

fn request(selection: Selection, profile: Profile) -> TransferRequest {
    TransferRequest {
        message_identifier: format!("ACTA-{}", acta::domain::ActId::generate()),
        date: datetime!(2026-04-01 12:00:00 +2),
        comment: Some("Versement des actes d'Aubrecourt-en-Artois".into()),
        profile,
        agencies: Agencies {
            archival_agreement: "IC-000001".into(),
            archival_profile: Some("PR-ACTES".into()),
            archival_agency: Agency {
                identifier: "FRAD062".into(),
                name: Some("Archives du Pas-de-Calais".into()),
            },
            transferring_agency: Agency {
                identifier: "216295105".into(),
                name: Some("Commune d'Aubrecourt".into()),
            },
            originating_agency: Agency { identifier: "216295105".into(), name: None },
            submission_agency: None,
        },
        selection,
    }
}

/// Write the SIP, run acta's checks, extract the manifest and validate it with xmllint.
fn build_and_validate(dir: &Dir, request: &TransferRequest) -> (PathBuf, u64, String) {
    let rules = ManagementRules::load(&repo().join("fixtures/seda-rules.json")).unwrap();
    let sip = dir.root.join("sip.zip");
    let (_, summary) =
        write_sip(File::create(&sip).unwrap(), request, &rules, &mut Dir { root: dir.root.clone() })
            .expect("SIP written");
    assert_eq!(summary.bytes_written, fs::metadata(&sip).unwrap().len());
    let report = check_sip(BufReader::new(File::open(&sip).unwrap())).unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.objects, summary.objects);

    let mut manifest = String::new();
    zip::ZipArchive::new(File::open(&sip).unwrap())
        .unwrap()
        .by_name("manifest.xml")
        .unwrap()
        .read_to_string(&mut manifest)
        .unwrap();
    let manifest_path = dir.root.join("manifest.xml");
    fs::write(&manifest_path, &manifest).unwrap();
    xmllint(&manifest_path);
    (sip, summary.bytes_written, manifest)
}

/// Validate a manifest against the official SEDA 2.2 XSD with xmllint.
pub fn xmllint(manifest: &Path) {
    let out = Command::new("xmllint")
        .args(["--nonet", "--noout", "--schema"])
        .arg(xsd())
        .arg(manifest)
        .output()
        .expect("xmllint not found: run scripts/test.sh (Debian package libxml2-utils)");
    assert!(out.status.success(), "xmllint refused the manifest:\n{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_three_act_arrete_sip_validates_against_the_official_xsd_and_passes_the_checks() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Dir { root: tmp.path().to_owned() };
    let acts: Vec<_> = (0..3)
        .map(|n| make_act(&dir, n, "arrete-avancement-echelon", 3, "ARR", datetime!(2026-03-03 10:00:00 UTC)))
        .collect();
    let (_, _, manifest) = build_and_validate(&dir, &request(Selection::Acts(acts), Profile::Vitam));
    assert_eq!(
        manifest.matches("<DescriptionLevel>Item</DescriptionLevel>").count(),
        3 + 2,
        "3 acts + 2 proofs"
    );
    assert!(manifest.contains(r#"<MessageDigest algorithm="SHA-512">"#));
    assert!(manifest.contains("<Rule>AR048</Rule>"), "personnel individual acts get AR048");
    assert!(manifest.contains("Acte n° 1 — objet « test » &amp; suite"));
}

#[test]
fn a_seance_sip_holds_convocation_deliberations_and_minutes_under_one_parent_unit() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Dir { root: tmp.path().to_owned() };
    let day = datetime!(2026-03-12 18:00:00 UTC);
    let seance = Seance {
        id: "CM-2026-03-12".into(),
        title: "Conseil municipal d'Aubrecourt-en-Artois — séance du 12 mars 2026".into(),
        date: date!(2026 - 03 - 12),
        convocation: Some(make_act(&dir, 0, "convocation-conseil", 6, "CONV", day - Duration::days(6))),
        deliberations: (1..4).map(|n| make_act(&dir, n, "deliberation", 1, "DEL", day)).collect(),
        proces_verbal: Some(make_act(&dir, 4, "proces-verbal", 6, "PV", day + Duration::days(20))),
    };
    let (_, _, manifest) =
        build_and_validate(&dir, &request(Selection::Seance(Box::new(seance)), Profile::Asalae));
    assert!(manifest.contains(r#"algorithm="http://www.w3.org/2001/04/xmlenc#sha512""#));
    let parent = manifest.find(r#"<ArchiveUnit id="AU-SEANCE-CM-2026-03-12">"#).expect("parent unit");
    let first_child = manifest.find(r#"<ArchiveUnit id="AU-0"#).expect("child unit");
    assert!(parent < first_child, "act units are inside the séance unit");
    assert_eq!(manifest.matches("<DescriptionLevel>File</DescriptionLevel>").count(), 1);
    assert_eq!(
        manifest.matches("<TransactedDate>2026-03-12</TransactedDate>").count(),
        1 + 3,
        "séance + délibérations"
    );
    assert!(
        manifest.contains("<StartDate>2026-03-06</StartDate>")
            && manifest.contains("<EndDate>2026-04-01</EndDate>")
    );
}

#[test]
fn a_thousand_act_sip_is_streamed_checked_and_validated() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Dir { root: tmp.path().to_owned() };
    let start = datetime!(2026-01-02 09:00:00 UTC);
    let acts: Vec<_> = (0..1000usize)
        .map(|n| {
            let (template, nature, series) = if n.is_multiple_of(3) {
                ("deliberation", 1, "DEL")
            } else {
                ("arrete-avancement-echelon", 3, "ARR")
            };
            make_act(&dir, n, template, nature, series, start + Duration::hours(n as i64 * 6))
        })
        .collect();
    let t = Instant::now();
    let (_, bytes, manifest) = build_and_validate(&dir, &request(Selection::Acts(acts), Profile::Vitam));
    eprintln!("1,000-act SIP: {bytes} bytes, written + checked + validated in {:?}", t.elapsed());
    assert_eq!(manifest.matches("<BinaryDataObject ").count(), 1000 + 500);
}
