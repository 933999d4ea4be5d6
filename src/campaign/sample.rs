//! Sample acts to look at before a campaign is launched: a few rows rendered
//! as PROJET PDFs (no number, nothing stored), so that the gestionnaire sees
//! real pages, not only the check report.
//!
//! The sample is chosen by position in the file: the first row, the last,
//! and rows spread evenly between them ([`pick`]), at most [`SAMPLES`]; a
//! mapping mistake that shifts every row shows on the first, a truncated or
//! padded export on the last. Any other row of the campaign can be rendered
//! too ([`render`]): the web page and the API name it by its line.

use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use super::record::Row;
use super::{CampaignError, Mapping, Source};
use crate::service::Acta;

/// Rows in a sample.
pub const SAMPLES: usize = 5;

/// One sample row.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Sample {
    /// Line in the source file.
    pub ligne: usize,
    /// Row key.
    pub cle: String,
    /// SIREN of the collectivité.
    pub collectivite: String,
    /// The agent (civilité, first and last name, matricule), for an individual act.
    pub agent: Option<String>,
}

/// The indices of the sample among `n` rows: the first, the last, and up to
/// `SAMPLES - 2` spread evenly between them, in order, without repeats.
pub fn pick(n: usize) -> Vec<usize> {
    if n <= SAMPLES {
        return (0..n).collect();
    }
    let steps = SAMPLES - 1;
    let mut out: Vec<usize> = (0..=steps).map(|k| k * (n - 1) / steps).collect();
    out.dedup();
    out
}

/// The sample of a campaign's rows.
pub fn of(rows: &[Row]) -> Vec<Sample> {
    pick(rows.len())
        .into_iter()
        .map(|i| {
            let row = &rows[i];
            Sample {
                ligne: row.line,
                cle: row.key.clone(),
                collectivite: row.body.get("collectivite").and_then(Value::as_str).unwrap_or("").to_owned(),
                agent: agent(&row.body),
            }
        })
        .collect()
}

/// `Mme Léonie Cœurdevey (A-00417)`, from a request body's data.
pub fn agent(body: &Value) -> Option<String> {
    let a = body.pointer("/data/agent")?;
    let get = |k: &str| a.get(k).and_then(Value::as_str);
    let name =
        [get("civilite"), get("prenom"), get("nom")].into_iter().flatten().collect::<Vec<_>>().join(" ");
    Some(match get("matricule") {
        Some(m) => format!("{name} ({m})"),
        None => name,
    })
}

/// The row of line `line` among `rows`.
pub fn row_at(rows: &[Row], line: usize) -> Result<&Row, CampaignError> {
    rows.iter().find(|r| r.line == line).ok_or(CampaignError::NotFound)
}

/// The request body of line `line` of a source not recorded yet (through
/// `mapping` for a spreadsheet), without checking the whole file: one
/// sample looked at in a large wave costs one row; [`render`] validates it.
pub fn body_of_line(
    acta: &Acta,
    source: &Source,
    mapping: Option<&Mapping>,
    line: usize,
) -> Result<Option<Value>, CampaignError> {
    match source {
        Source::Table(table) => {
            let Some((_, cells)) = table.rows.iter().find(|(l, _)| *l == line) else { return Ok(None) };
            let mapping = mapping.ok_or_else(|| {
                CampaignError::Mapping("une correspondance de colonnes est nécessaire pour un tableur".into())
            })?;
            let template = acta
                .catalog()
                .get(&mapping.template)
                .ok_or_else(|| CampaignError::UnknownTemplate(mapping.template.clone()))?;
            Ok(Some(mapping.bind(template, table)?.body(cells).0))
        }
        Source::Bodies(lines) => {
            Ok(lines.iter().find(|(l, _)| *l == line).and_then(|(_, body)| body.as_ref().ok().cloned()))
        }
    }
}

/// Render the request body of one row as a PROJET PDF (nothing stored, no
/// number taken), off the async runtime.
pub async fn render(acta: &Arc<Acta>, body: Value) -> Result<Vec<u8>, CampaignError> {
    let acta = Arc::clone(acta);
    let now = OffsetDateTime::now_utc();
    tokio::task::spawn_blocking(move || acta.preview(&body, now))
        .await
        .map_err(|e| CampaignError::Corrupt(format!("sample task: {e}")))?
        .map_err(CampaignError::from)
}

/// Render the sample of `rows` (line, request body) into `dir` as
/// `ligne-<line>.pdf`; the files written.
pub async fn write_to(
    acta: &Arc<Acta>,
    rows: &[(usize, &Value)],
    dir: &Path,
) -> Result<Vec<std::path::PathBuf>, CampaignError> {
    std::fs::create_dir_all(dir).map_err(|e| CampaignError::Source(format!("{}: {e}", dir.display())))?;
    let mut written = Vec::new();
    for i in pick(rows.len()) {
        let (line, body) = rows[i];
        let pdf = render(acta, body.clone()).await?;
        let path = dir.join(format!("ligne-{line}.pdf"));
        std::fs::write(&path, pdf).map_err(|e| CampaignError::Source(format!("{}: {e}", path.display())))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_holds_the_first_and_last_rows_and_rows_spread_between() {
        assert_eq!(pick(0), Vec::<usize>::new());
        assert_eq!(pick(3), vec![0, 1, 2]);
        assert_eq!(pick(6), vec![0, 1, 2, 3, 5]);
        assert_eq!(pick(101), vec![0, 25, 50, 75, 100]);
        assert_eq!(pick(20_500), vec![0, 5124, 10249, 15374, 20499]);
    }
}
