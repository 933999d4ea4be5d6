//! A campaign's record in the store, under `campaigns/<id>/`, every object
//! create-only:
//!
//! | key | content |
//! |---|---|
//! | `rows.jsonl` | one line per row to make: line, row key, act id, request body |
//! | `campaign.json` | source file name, template, creator, time, counts, excluded lines, collectivités; written last, it is what makes the campaign exist |
//! | `runs/<uuid>.json` | one per run: start, end, acts made, found made, failures by row, cancelled |
//!
//! The act id of a row is derived from the campaign id and the row key
//! (a UUID made of their SHA-256) and written in `rows.jsonl` before anything is
//! made: a row can only ever make that act, so a run killed at any instant
//! and run again makes every act exactly once (see [`super::run`]).

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use super::CampaignError;
use super::check::Checked;
use crate::domain::{ActId, Siren, TemplateId};
use crate::store::Store;

/// A campaign id (UUID v7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CampaignId(Uuid);

impl CampaignId {
    /// A new id.
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }

    /// The act id of the row `key` of this campaign.
    pub fn act_of(&self, key: &str) -> ActId {
        let digest = Sha256::digest(format!("acta campaign {} row {key}", self.0).as_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        // Shaped as a version-4 UUID (variant and version bits set), from the digest.
        uuid::Builder::from_random_bytes(bytes).into_uuid().to_string().parse().expect("a UUID is an act id")
    }
}

impl std::fmt::Display for CampaignId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for CampaignId {
    type Err = CampaignError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::try_parse(s).map(Self).map_err(|_| CampaignError::NotFound)
    }
}

/// A campaign, as recorded.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Campaign {
    /// Its id.
    #[schema(value_type = String)]
    pub id: CampaignId,
    /// Name of the source file.
    pub source: String,
    /// The template of every act, when there is one.
    #[schema(value_type = Option<String>)]
    pub template: Option<TemplateId>,
    /// Who created it (login or token id).
    pub created_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String)]
    pub created_at: OffsetDateTime,
    /// Acts to make.
    pub rows: usize,
    /// Lines excluded by the gestionnaire.
    pub excluded: Vec<usize>,
    /// The collectivités its acts belong to.
    #[schema(value_type = Vec<String>)]
    pub collectivites: Vec<Siren>,
}

/// One row to make.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    /// Line in the source file.
    pub line: usize,
    /// Row key (`L<line>`).
    pub key: String,
    /// The act it makes.
    pub act: ActId,
    /// The request body.
    pub body: Value,
}

fn key(id: &CampaignId, name: &str) -> String {
    format!("campaigns/{id}/{name}")
}

/// Record a checked, ready source as a new campaign.
pub async fn create(
    store: &Store,
    checked: &Checked,
    source: &str,
    created_by: &str,
) -> Result<Campaign, CampaignError> {
    let id = CampaignId::generate();
    let mut lines = Vec::with_capacity(checked.rows.len() * 1024);
    let mut collectivites = std::collections::BTreeSet::new();
    for r in &checked.rows {
        let row_key = format!("L{}", r.line);
        let row = Row { line: r.line, act: id.act_of(&row_key), key: row_key, body: r.body.clone() };
        if let Some(s) = r.body.get("collectivite").and_then(Value::as_str).and_then(|s| s.parse().ok()) {
            collectivites.insert(s);
        }
        serde_json::to_writer(&mut lines, &row).expect("rows serialise");
        lines.push(b'\n');
    }
    store.create(&key(&id, "rows.jsonl"), Bytes::from(lines)).await?;
    let campaign = Campaign {
        id,
        source: source.to_owned(),
        template: checked.template.clone(),
        created_by: created_by.to_owned(),
        created_at: OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or_else(|_| OffsetDateTime::now_utc()),
        rows: checked.rows.len(),
        excluded: checked.report.exclues.clone(),
        collectivites: collectivites.into_iter().collect(),
    };
    let body = serde_json::to_vec_pretty(&campaign).expect("campaigns serialise");
    store.create(&key(&id, "campaign.json"), Bytes::from(body)).await?;
    Ok(campaign)
}

/// The campaign `id`.
pub async fn load(store: &Store, id: &CampaignId) -> Result<Campaign, CampaignError> {
    let k = key(id, "campaign.json");
    let bytes = store.get(&k).await?.ok_or(CampaignError::NotFound)?;
    serde_json::from_slice(&bytes).map_err(|e| CampaignError::Corrupt(format!("{k}: {e}")))
}

/// Every campaign, oldest first.
pub async fn list(store: &Store) -> Result<Vec<Campaign>, CampaignError> {
    let mut out = Vec::new();
    for k in store.list("campaigns/").await? {
        if let Some(id) = k.strip_prefix("campaigns/").and_then(|r| r.strip_suffix("/campaign.json")) {
            out.push(load(store, &id.parse()?).await?);
        }
    }
    out.sort_by_key(|c| c.id);
    Ok(out)
}

/// The rows of campaign `id`, as stored: one JSON line per row (parsed one
/// at a time by a run, so a large wave is never held as JSON values).
pub async fn row_lines(store: &Store, id: &CampaignId) -> Result<bytes::Bytes, CampaignError> {
    let k = key(id, "rows.jsonl");
    store.get(&k).await?.ok_or_else(|| CampaignError::Corrupt(format!("{k} is missing")))
}

/// One stored row line.
pub fn parse_row(line: &[u8]) -> Result<Row, CampaignError> {
    serde_json::from_slice(line).map_err(|e| CampaignError::Corrupt(format!("campaign row: {e}")))
}

/// The rows of campaign `id`.
pub async fn rows(store: &Store, id: &CampaignId) -> Result<Vec<Row>, CampaignError> {
    let k = key(id, "rows.jsonl");
    let bytes = row_lines(store, id).await?;
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).map_err(|e| CampaignError::Corrupt(format!("{k}: {e}"))))
        .collect()
}

/// Record a run's outcome.
pub async fn save_run(store: &Store, id: &CampaignId, run: &super::RunRecord) -> Result<(), CampaignError> {
    let body = serde_json::to_vec_pretty(run).expect("runs serialise");
    store.create(&key(id, &format!("runs/{}.json", Uuid::now_v7())), Bytes::from(body)).await?;
    Ok(())
}

/// Every run of campaign `id`, oldest first.
pub async fn runs(store: &Store, id: &CampaignId) -> Result<Vec<super::RunRecord>, CampaignError> {
    let mut keys = store.list(&key(id, "runs/")).await?;
    keys.sort();
    let mut out = Vec::new();
    for k in keys {
        let Some(bytes) = store.get(&k).await? else { continue };
        out.push(serde_json::from_slice(&bytes).map_err(|e| CampaignError::Corrupt(format!("{k}: {e}")))?);
    }
    Ok(out)
}
