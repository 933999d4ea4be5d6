//! Delivering a campaign: per collectivité, a ZIP of its sealed PDFs and a
//! bordereau listing its acts (agent, act number, object), ready to send.
//!
//! The ZIP holds `actes/<numéro>.pdf` for each act of the collectivité made
//! by the campaign, stored uncompressed (the PDFs are compressed already),
//! and `bordereau.csv` (UTF-8 with BOM, `;`, for a spreadsheet). Rows not
//! made yet are left out and counted.

use std::collections::BTreeMap;
use std::io::{Cursor, Write};

use serde_json::Value;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::CampaignError;
use super::record::{self, CampaignId};
use crate::domain::Siren;
use crate::service::Acta;

/// One collectivité's delivery.
#[derive(Debug)]
pub struct Delivery {
    /// The collectivité.
    pub siren: Siren,
    /// The ZIP.
    pub zip: Vec<u8>,
    /// Acts in it.
    pub acts: usize,
    /// Rows of this collectivité not made yet.
    pub missing: usize,
}

struct Line {
    agent: String,
    number: String,
    object: String,
    sha256: String,
    pdf: bytes::Bytes,
}

/// The deliveries of campaign `id`, every collectivité's or `only` one's,
/// handed to `deliver` one at a time (a collectivité's PDFs are held in
/// memory while its ZIP is written, never every collectivité's at once).
pub async fn export(
    acta: &Acta,
    id: &CampaignId,
    only: Option<&Siren>,
    mut deliver: impl FnMut(Delivery) -> Result<(), CampaignError>,
) -> Result<(), CampaignError> {
    let campaign = record::load(acta.store(), id).await?;
    let rows = record::rows(acta.store(), id).await?;
    let mut by_siren: BTreeMap<Siren, Vec<record::Row>> = BTreeMap::new();
    for s in &campaign.collectivites {
        if only.is_none_or(|o| o == s) {
            by_siren.insert(s.clone(), Vec::new());
        }
    }
    for row in rows {
        let siren =
            row.body.get("collectivite").and_then(Value::as_str).and_then(|s| s.parse::<Siren>().ok());
        if let Some(list) = siren.and_then(|s| by_siren.get_mut(&s)) {
            list.push(row);
        }
    }
    for (siren, rows) in by_siren {
        let (mut lines, mut missing) = (Vec::with_capacity(rows.len()), 0);
        for row in rows {
            let Some(made) = acta.made(&row.act).await? else {
                missing += 1;
                continue;
            };
            let pdf = acta.sealed_bytes(&row.act).await?;
            let (object, subject) = match made.title().split_once(" — ") {
                Some((o, s)) => (o.to_owned(), s.to_owned()),
                None => (made.title().to_owned(), String::new()),
            };
            lines.push(Line {
                agent: agent(made.data()).unwrap_or(subject),
                number: made.number().to_string(),
                object,
                sha256: made.sha256(),
                pdf,
            });
        }
        lines.sort_by(|a, b| a.number.cmp(&b.number));
        let name = acta.collectivites().get(&siren).map_or_else(|| siren.to_string(), |p| p.nom.clone());
        let acts = lines.len();
        let zip = tokio::task::spawn_blocking(move || write_zip(&name, &lines))
            .await
            .map_err(|e| CampaignError::Zip(e.to_string()))??;
        deliver(Delivery { siren, zip, acts, missing })?;
    }
    Ok(())
}

/// `Mme Léonie Cœurdevey (A-00417)`.
fn agent(data: &Value) -> Option<String> {
    let a = data.get("agent")?;
    let get = |k: &str| a.get(k).and_then(Value::as_str);
    let name =
        [get("civilite"), get("prenom"), get("nom")].into_iter().flatten().collect::<Vec<_>>().join(" ");
    Some(match get("matricule") {
        Some(m) => format!("{name} ({m})"),
        None => name,
    })
}

fn file_name(number: &str) -> String {
    number.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

fn write_zip(collectivite: &str, lines: &[Line]) -> Result<Vec<u8>, CampaignError> {
    let zerr = |e: &dyn std::fmt::Display| CampaignError::Zip(e.to_string());
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let mut bordereau = csv::WriterBuilder::new().delimiter(b';').from_writer(b"\xEF\xBB\xBF".to_vec());
    let _ = bordereau.write_record([collectivite, "", "", "", "", ""]);
    let _ =
        bordereau.write_record(["n°", "agent", "numéro de l’acte", "objet", "fichier", "empreinte SHA-256"]);
    for (i, l) in lines.iter().enumerate() {
        let file = format!("actes/{}.pdf", file_name(&l.number));
        zip.start_file(file.as_str(), stored).map_err(|e| zerr(&e))?;
        zip.write_all(&l.pdf).map_err(|e| zerr(&e))?;
        let _ = bordereau.write_record([
            (i + 1).to_string(),
            l.agent.clone(),
            l.number.clone(),
            l.object.clone(),
            file,
            l.sha256.clone(),
        ]);
    }
    zip.start_file("bordereau.csv", stored).map_err(|e| zerr(&e))?;
    zip.write_all(&bordereau.into_inner().map_err(|e| zerr(&e))?).map_err(|e| zerr(&e))?;
    Ok(zip.finish().map_err(|e| zerr(&e))?.into_inner())
}
