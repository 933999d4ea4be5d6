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
    let _ = w.write_record([name]);
    let _ =
        w.write_record(["n°", "agent", "numéro de l’acte", "objet", "date", "fichier", "empreinte SHA-256"]);
    for (i, e) in entries.iter().enumerate() {
        let _ = w.write_record([
            (i + 1).to_string(),
            e.agent.clone(),
            e.number.clone(),
            e.object.clone(),
            e.date.clone(),
            e.file.clone(),
            e.sha256.clone(),
        ]);
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
