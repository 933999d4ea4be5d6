//! Files uploaded in the web pages to start a campaign, kept until the
//! gestionnaire has read the check report, excluded rows and recorded the
//! campaign: the browser sends the file once, and each look at the report
//! (with other rows excluded) checks the kept file again.
//!
//! Stored create-only under `campaign-uploads/<id>/`: `source` (the bytes as
//! sent) and `upload.json` (file name, template, who sent it, when). An
//! upload belongs to the account that sent it: anyone else is answered as
//! if it did not exist.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::CampaignError;
use crate::domain::TemplateId;
use crate::store::Store;

/// An upload's id (UUID v7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadId(Uuid);

impl std::fmt::Display for UploadId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for UploadId {
    type Err = CampaignError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::try_parse(s).map(Self).map_err(|_| CampaignError::NotFound)
    }
}

/// What was uploaded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Upload {
    /// Its id.
    pub id: UploadId,
    /// The file's name as sent (its extension tells the format).
    pub name: String,
    /// The template whose mapping reads a spreadsheet.
    pub template: Option<TemplateId>,
    /// The account that sent it.
    pub owner: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

fn key(id: &UploadId, name: &str) -> String {
    format!("campaign-uploads/{id}/{name}")
}

/// Keep `bytes` sent by `owner`.
pub async fn save(
    store: &Store,
    name: &str,
    template: Option<TemplateId>,
    owner: &str,
    bytes: Bytes,
) -> Result<Upload, CampaignError> {
    let id = UploadId(Uuid::now_v7());
    store.create(&key(&id, "source"), bytes).await?;
    let upload = Upload {
        id,
        name: name.to_owned(),
        template,
        owner: owner.to_owned(),
        created_at: OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or_else(|_| OffsetDateTime::now_utc()),
    };
    let meta = serde_json::to_vec_pretty(&upload).expect("uploads serialise");
    store.create(&key(&id, "upload.json"), Bytes::from(meta)).await?;
    Ok(upload)
}

/// The upload `id` of `owner` and its bytes ([`CampaignError::NotFound`]
/// for another account's).
pub async fn load(store: &Store, id: &UploadId, owner: &str) -> Result<(Upload, Bytes), CampaignError> {
    let k = key(id, "upload.json");
    let meta = store.get(&k).await?.ok_or(CampaignError::NotFound)?;
    let upload: Upload =
        serde_json::from_slice(&meta).map_err(|e| CampaignError::Corrupt(format!("{k}: {e}")))?;
    if upload.owner != owner {
        return Err(CampaignError::NotFound);
    }
    let bytes = store
        .get(&key(id, "source"))
        .await?
        .ok_or_else(|| CampaignError::Corrupt(format!("{} is missing", key(id, "source"))))?;
    Ok((upload, bytes))
}
