//! The bordereau d'envoi of one collectivité's delivery: the list of the acts
//! in its ZIP (agent, act number, object, date), as a PDF to print or send
//! with them (`bordereau.pdf`) and as a CSV for a spreadsheet
//! (`bordereau.csv`, which adds each file and its SHA-256).
//!
//! The PDF is laid out by the Typst file `templates/bordereau-campagne.typ`
//! through the project's render engine ([`Acta::render_document`]): the fair
//! scheduler on the collectivité's share, the page limit and time budget of
//! an act. It is not an act: never numbered, sealed nor stored.

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::CampaignError;
use super::record::Campaign;
use crate::domain::{Siren, TemplateId};
use crate::service::Acta;

/// The Typst file (without `.typ`) of the bordereau.
pub const TEMPLATE: &str = "bordereau-campagne";

/// One act of the bordereau.
#[derive(Debug, Clone)]
pub struct Entry {
    /// `Mme Léonie Cœurdevey (A-00417)`.
    pub agent: String,
    /// The act's number.
    pub number: String,
    /// What the act is (its title without the agent).
    pub object: String,
    /// The act's date (JJ/MM/AAAA): the date it is signed, else sealed.
    pub date: String,
    /// Path of its PDF in the ZIP.
    pub file: String,
    /// Hex SHA-256 of its PDF.
    pub sha256: String,
}

/// The bordereau of `collectivite` (named `name`) as a PDF, `at` being the
/// day it is drawn up.
pub async fn pdf(
    acta: &Acta,
    campaign: &Campaign,
    collectivite: &Siren,
    name: &str,
    entries: &[Entry],
    at: OffsetDateTime,
) -> Result<Vec<u8>, CampaignError> {
    let template: TemplateId =
        TEMPLATE.parse().map_err(|_| CampaignError::Corrupt(format!("bad template id {TEMPLATE}")))?;
    let data = data(campaign, collectivite, name, entries, at);
    let title = format!("Bordereau d’envoi — campagne {} — {name}", campaign.id);
    Ok(acta.render_document(template, &data, collectivite.clone(), title, name.to_owned(), at).await?)
}

fn data(
    campaign: &Campaign,
    collectivite: &Siren,
    name: &str,
    entries: &[Entry],
    at: OffsetDateTime,
) -> Value {
    let actes: Vec<Value> = entries
        .iter()
        .map(|e| json!({"agent": e.agent, "numero": e.number, "objet": e.object, "date": e.date}))
        .collect();
    json!({
        "collectivite": {"nom": name, "siren": collectivite.to_string()},
        "campagne": {
            "id": campaign.id.to_string(),
            "source": campaign.source,
            "date": crate::register::day_in_paris(at).to_string(),
        },
        "actes": actes,
    })
}

/// The bordereau as CSV (UTF-8 with BOM, `;`): the collectivité, then one
/// line per act.
pub fn csv(name: &str, entries: &[Entry]) -> Vec<u8> {
    let mut w =
        csv::WriterBuilder::new().delimiter(b';').flexible(true).from_writer(b"\xEF\xBB\xBF".to_vec());
    let _ = w.write_record(super::spreadsheet::record([name]));
    let _ =
        w.write_record(["n°", "agent", "numéro de l’acte", "objet", "date", "fichier", "empreinte SHA-256"]);
    for (i, e) in entries.iter().enumerate() {
        let _ = w.write_record(super::spreadsheet::record([
            (i + 1).to_string(),
            e.agent.clone(),
            e.number.clone(),
            e.object.clone(),
            e.date.clone(),
            e.file.clone(),
            e.sha256.clone(),
        ]));
    }
    w.into_inner().unwrap_or_default()
}

/// `2026-03-02` → `02/03/2026` (anything else as it is).
pub fn french_day(iso: &str) -> String {
    match iso.split('-').collect::<Vec<_>>().as_slice() {
        [y, m, d] => format!("{d}/{m}/{y}"),
        _ => iso.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: u32) -> Entry {
        Entry {
            agent: format!("Mme Léonie Cœurdevey (A-{n:05})"),
            number: format!("2026_ARR_{n:05}"),
            object: "Arrêté portant reclassement".into(),
            date: "15/04/2026".into(),
            file: format!("actes/2026_ARR_{n:05}.pdf"),
            sha256: "ab".repeat(32),
        }
    }

    #[test]
    fn the_csv_bordereau_names_the_collectivite_then_lists_one_act_a_line() {
        let csv = String::from_utf8(csv("Commune d'Aubrecourt-en-Artois", &[entry(1), entry(2)])).unwrap();
        let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
        assert!(csv.starts_with('\u{feff}'), "a BOM, for Excel");
        assert_eq!(lines[0], "Commune d'Aubrecourt-en-Artois");
        assert_eq!(lines[1], "n°;agent;numéro de l’acte;objet;date;fichier;empreinte SHA-256");
        assert_eq!(
            lines[3],
            format!(
                "2;Mme Léonie Cœurdevey (A-00002);2026_ARR_00002;Arrêté portant reclassement;15/04/2026;\
                 actes/2026_ARR_00002.pdf;{}",
                "ab".repeat(32)
            )
        );
        assert_eq!(lines.len(), 4);
    }

    /// Names and grades come from the campaign's file: a cell that starts
    /// like a formula reaches the commune's spreadsheet as text.
    #[test]
    fn a_cell_that_looks_like_a_formula_is_written_as_text_in_every_csv() {
        let mut hostile = entry(1);
        hostile.agent = "=HYPERLINK(\"http://evil.example\";\"x\")".into();
        let csv = String::from_utf8(csv("@SUM(1+1)", &[hostile])).unwrap();
        let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines[0], "'@SUM(1+1)");
        assert!(lines[2].starts_with("1;\"'=HYPERLINK("), "{}", lines[2]);

        let change = crate::campaign::changes::Change {
            ligne: 2,
            agent: "+cmd|' /C calc'!A0".into(),
            grade_ancien: Some("-2+3".into()),
            ..Default::default()
        };
        let csv = String::from_utf8(crate::campaign::changes::to_csv(&[change])).unwrap();
        let row = csv.lines().nth(1).unwrap();
        assert!(row.contains(";'+cmd|' /C calc'!A0;"), "{row}");
        assert!(row.contains(";'-2+3;"), "{row}");
    }

    #[test]
    fn the_pdf_data_holds_what_the_typst_file_reads() {
        let campaign = Campaign {
            id: "01a248d2-8a26-7177-8960-a23bb15b98f8".parse().unwrap(),
            source: "reclassement.csv".into(),
            template: None,
            created_by: "user gestionnaire".into(),
            created_at: OffsetDateTime::UNIX_EPOCH,
            rows: 2,
            excluded: vec![],
            collectivites: vec![],
        };
        let siren: Siren = "216295105".parse().unwrap();
        // 23:30 UTC on 31 March is already 1 April in Paris (summer time).
        let at = time::macros::datetime!(2026-03-31 23:30 UTC);
        let data = data(&campaign, &siren, "Commune d'Aubrecourt", &[entry(7)], at);
        assert_eq!(data["collectivite"]["siren"], "216295105");
        assert_eq!(data["campagne"]["date"], "2026-04-01");
        assert_eq!(data["campagne"]["source"], "reclassement.csv");
        assert_eq!(data["actes"][0]["numero"], "2026_ARR_00007");
        assert_eq!(data["actes"][0]["date"], "15/04/2026");
    }

    #[test]
    fn days_are_written_the_french_way() {
        assert_eq!(french_day("2026-03-02"), "02/03/2026");
        assert_eq!(french_day("le 2 mars"), "le 2 mars");
    }
}
