//! Delivering a campaign: per collectivité, a ZIP of its sealed PDFs and a
//! bordereau listing its acts (agent, act number, object), ready to send.
//!
//! The ZIP holds `bordereau.pdf` (the list of its acts to print or send,
//! [`super::bordereau`]), `bordereau.csv` (the same list for a spreadsheet,
//! with each file and its SHA-256) and `actes/<numéro>.pdf` for each act of
//! the collectivité made by the campaign, every entry stored uncompressed
//! (the PDFs are compressed already). Rows not made yet are left out and
//! counted.

use std::collections::BTreeMap;
use std::io::{Cursor, Write};

use serde_json::Value;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::CampaignError;
use super::bordereau::{self, Entry};
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
    entry: Entry,
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
    let now = time::OffsetDateTime::now_utc();
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
            let number = made.number().to_string();
            let date = match made.data().get("date_decision").and_then(Value::as_str) {
                Some(day) => bordereau::french_day(day),
                None => bordereau::french_day(&crate::register::day_in_paris(made.sealed_at()).to_string()),
            };
            lines.push(Line {
                entry: Entry {
                    agent: agent(made.data()).unwrap_or(subject),
                    file: format!("actes/{}.pdf", file_name(&number)),
                    number,
                    object,
                    date,
                    sha256: made.sha256(),
                },
                pdf,
            });
        }
        lines.sort_by(|a, b| a.entry.number.cmp(&b.entry.number));
        let name = acta.collectivites().get(&siren).map_or_else(|| siren.to_string(), |p| p.nom.clone());
        let acts = lines.len();
        let entries: Vec<Entry> = lines.iter().map(|l| l.entry.clone()).collect();
        let pdf = bordereau::pdf(acta, &campaign, &siren, &name, &entries, now).await?;
        let csv = bordereau::csv(&name, &entries);
        let zip = tokio::task::spawn_blocking(move || write_zip(&lines, &csv, &pdf))
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

fn write_zip(lines: &[Line], csv: &[u8], pdf: &[u8]) -> Result<Vec<u8>, CampaignError> {
    let zerr = |e: &dyn std::fmt::Display| CampaignError::Zip(e.to_string());
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let mut put = |name: &str, bytes: &[u8]| -> Result<(), CampaignError> {
        zip.start_file(name, stored).map_err(|e| zerr(&e))?;
        zip.write_all(bytes).map_err(|e| zerr(&e))
    };
    put("bordereau.pdf", pdf)?;
    put("bordereau.csv", csv)?;
    for l in lines {
        put(&l.entry.file, &l.pdf)?;
    }
    Ok(zip.finish().map_err(|e| zerr(&e))?.into_inner())
}
