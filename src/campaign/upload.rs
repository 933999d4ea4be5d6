//! Files uploaded in the web pages to start a campaign, kept until the
//! gestionnaire has read the check report, excluded rows and recorded the
//! campaign: the browser sends the file once.
//!
//! Terms:
//! - **Upload**: `<data_dir>/campaign-uploads/<id>/` on the instance that
//!   received it: `source` (the bytes as sent), `upload.json` (file name,
//!   template, who sent it, when), `campaign` (the id of the campaign
//!   recorded from it, once recorded). An upload belongs to the account that
//!   sent it: anyone else is answered as if it did not exist. It is working
//!   data, not a record (the recorded campaign is in the store), and holds
//!   agents' personal data: it is **deleted** once its campaign has been
//!   made completely, or when it is older than
//!   `campaign_upload_retention_hours` ([`Uploads::sweep`]) — never while
//!   its campaign runs.
//! - **Kept check**: `check-<key>.json` beside it, what a look at the report
//!   needs ([`KeptCheck`]: the report and the sample rows) for one set of
//!   excluded lines, one mapping and one caller's scope (`key` hashes them
//!   with this process's start, as the templates may change at a restart):
//!   every view of the report and every download reuses it instead of
//!   checking the whole file again.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use super::check::CheckReport;
use super::record::CampaignId;
use super::{CampaignError, run};
use crate::domain::TemplateId;
use crate::store::Store;

/// An upload's id (UUID v7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

/// What a view of the check report needs, kept with the upload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeptCheck {
    /// The report.
    pub report: CheckReport,
    /// The sample rows (line, request body): see [`super::sample::pick`].
    pub samples: Vec<(usize, Value)>,
}

/// The uploads of this instance.
#[derive(Debug)]
pub struct Uploads {
    dir: PathBuf,
    retention: Duration,
    /// This process's start: kept checks of an earlier one are not reused.
    epoch: Uuid,
}

fn io(path: &Path, e: std::io::Error) -> CampaignError {
    CampaignError::Corrupt(format!("{}: {e}", path.display()))
}

/// Write `bytes` at `path` whole or not at all.
async fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CampaignError> {
    let tmp = path.with_extension(format!("tmp-{}", Uuid::now_v7().simple()));
    tokio::fs::write(&tmp, bytes).await.map_err(|e| io(&tmp, e))?;
    tokio::fs::rename(&tmp, path).await.map_err(|e| io(path, e))
}

impl Uploads {
    /// Uploads kept under `dir`, deleted after `retention`.
    pub fn new(dir: PathBuf, retention: Duration) -> Self {
        Self { dir, retention, epoch: Uuid::new_v4() }
    }

    fn path(&self, id: &UploadId) -> PathBuf {
        self.dir.join(id.to_string())
    }

    /// Keep `bytes` sent by `owner`.
    pub async fn save(
        &self,
        name: &str,
        template: Option<TemplateId>,
        owner: &str,
        bytes: Bytes,
    ) -> Result<Upload, CampaignError> {
        let id = UploadId(Uuid::now_v7());
        let dir = self.path(&id);
        tokio::fs::create_dir_all(&dir).await.map_err(|e| io(&dir, e))?;
        write_atomically(&dir.join("source"), &bytes).await?;
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
        // Written last: what makes the upload exist.
        write_atomically(&dir.join("upload.json"), &meta).await?;
        Ok(upload)
    }

    async fn meta(&self, id: &UploadId) -> Result<Upload, CampaignError> {
        let path = self.path(id).join("upload.json");
        let meta = match tokio::fs::read(&path).await {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(CampaignError::NotFound),
            Err(e) => return Err(io(&path, e)),
        };
        serde_json::from_slice(&meta).map_err(|e| CampaignError::Corrupt(format!("{}: {e}", path.display())))
    }

    /// The upload `id` of `owner` ([`CampaignError::NotFound`] for another
    /// account's, or a deleted one).
    pub async fn upload(&self, id: &UploadId, owner: &str) -> Result<Upload, CampaignError> {
        let upload = self.meta(id).await?;
        if upload.owner != owner {
            return Err(CampaignError::NotFound);
        }
        Ok(upload)
    }

    /// The upload `id` of `owner` and its bytes.
    pub async fn load(&self, id: &UploadId, owner: &str) -> Result<(Upload, Bytes), CampaignError> {
        let upload = self.upload(id, owner).await?;
        let path = self.path(id).join("source");
        match tokio::fs::read(&path).await {
            Ok(b) => Ok((upload, Bytes::from(b))),
            // Deleted meanwhile by the sweep.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(CampaignError::NotFound),
            Err(e) => Err(io(&path, e)),
        }
    }

    /// The key of a kept check: what its result depends on besides the file.
    pub fn check_key(&self, parts: &[&[u8]]) -> String {
        let mut h = Sha256::new();
        h.update(self.epoch.as_bytes());
        for p in parts {
            h.update((p.len() as u64).to_be_bytes());
            h.update(p);
        }
        hex::encode(&h.finalize()[..16])
    }

    /// The check kept for upload `id` under `key`, if any.
    pub async fn kept_check(&self, id: &UploadId, key: &str) -> Option<KeptCheck> {
        let bytes = tokio::fs::read(self.path(id).join(format!("check-{key}.json"))).await.ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Keep a check of upload `id` under `key` (a failure only costs a new
    /// check next time).
    pub async fn keep_check(&self, id: &UploadId, key: &str, check: &KeptCheck) {
        let path = self.path(id).join(format!("check-{key}.json"));
        let bytes = serde_json::to_vec(check).expect("reports serialise");
        if let Err(e) = write_atomically(&path, &bytes).await {
            tracing::warn!(upload = %id, error = %e, "check report not kept");
        }
    }

    /// Note that campaign `campaign` was recorded from upload `id`.
    pub async fn link(&self, id: &UploadId, campaign: &CampaignId) -> Result<(), CampaignError> {
        write_atomically(&self.path(id).join("campaign"), campaign.to_string().as_bytes()).await
    }

    async fn campaign_of(&self, id: &UploadId) -> Option<CampaignId> {
        let s = tokio::fs::read_to_string(self.path(id).join("campaign")).await.ok()?;
        s.trim().parse().ok()
    }

    async fn ids(&self) -> Vec<UploadId> {
        let mut out = Vec::new();
        let Ok(mut dir) = tokio::fs::read_dir(&self.dir).await else { return out };
        while let Ok(Some(entry)) = dir.next_entry().await {
            if let Some(id) = entry.file_name().to_str().and_then(|n| n.parse().ok()) {
                out.push(id);
            }
        }
        out
    }

    async fn delete(&self, id: &UploadId) {
        // Renamed first: a reader then finds it gone, never half-deleted.
        let dir = self.path(id);
        let trash = self.dir.join(format!(".deleted-{id}"));
        if tokio::fs::rename(&dir, &trash).await.is_ok()
            && let Err(e) = tokio::fs::remove_dir_all(&trash).await
        {
            tracing::warn!(upload = %id, error = %e, "campaign upload not deleted");
        }
    }

    /// Delete the uploads whose campaign has been made completely (its last
    /// run tried every row, none failed, none cancelled) and those older
    /// than the retention, except any whose campaign runs in this process.
    /// Returns how many were deleted.
    pub async fn sweep(&self, store: &Store) -> usize {
        let now = OffsetDateTime::now_utc();
        let mut deleted = 0;
        for id in self.ids().await {
            let campaign = self.campaign_of(&id).await;
            if campaign.as_ref().is_some_and(|c| run::running(c).is_some()) {
                continue;
            }
            let expired = match self.meta(&id).await {
                Ok(u) => (now - u.created_at).unsigned_abs() > self.retention,
                // Never completed (a crash while saving): by the folder's age.
                Err(_) => tokio::fs::metadata(self.path(&id))
                    .await
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > self.retention),
            };
            let made = match (&campaign, expired) {
                (Some(c), false) => completed(store, c).await,
                _ => false,
            };
            if expired || made {
                self.delete(&id).await;
                deleted += 1;
            }
        }
        deleted
    }

    /// Delete the uploads campaign `campaign` was recorded from, once it has
    /// been made completely (called when a run ends).
    pub async fn campaign_ended(&self, store: &Store, campaign: &CampaignId) {
        if !completed(store, campaign).await {
            return;
        }
        for id in self.ids().await {
            if self.campaign_of(&id).await.as_ref() == Some(campaign) {
                self.delete(&id).await;
            }
        }
    }
}

/// Whether the last run of `campaign` made every row (none failed or left).
async fn completed(store: &Store, campaign: &CampaignId) -> bool {
    match super::record::runs(store, campaign).await {
        Ok(runs) => runs.last().is_some_and(|r| !r.cancelled && r.failures.is_empty()),
        Err(_) => false,
    }
}

/// How often the server sweeps the uploads.
const SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// Sweep the uploads now and then every hour, in the background.
pub fn spawn_sweeper(acta: std::sync::Arc<crate::service::Acta>) {
    tokio::spawn(async move {
        loop {
            let n = acta.campaign_uploads().sweep(acta.store()).await;
            if n > 0 {
                tracing::info!(deleted = n, "campaign uploads deleted");
            }
            tokio::time::sleep(SWEEP_EVERY).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn uploads(retention: Duration) -> (tempfile::TempDir, Uploads, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::local(&dir.path().join("store")).unwrap();
        let uploads = Uploads::new(dir.path().join("campaign-uploads"), retention);
        (dir, uploads, store)
    }

    #[tokio::test]
    async fn an_upload_is_kept_within_its_retention_and_never_deleted_while_its_campaign_runs() {
        let (_dir, kept, store) = uploads(Duration::from_secs(3600)).await;
        let up = kept.save("vague.csv", None, "rh", Bytes::from_static(b"a;b\n")).await.unwrap();
        assert_eq!(kept.sweep(&store).await, 0);
        assert!(kept.load(&up.id, "rh").await.is_ok());
        assert!(matches!(kept.load(&up.id, "other").await, Err(CampaignError::NotFound)));

        // Past its retention, but its campaign runs here: kept until it stops.
        let expired = Uploads { retention: Duration::ZERO, ..kept };
        let campaign: CampaignId = Uuid::now_v7().to_string().parse().unwrap();
        expired.link(&up.id, &campaign).await.unwrap();
        let progress = run::claim(&campaign).unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(expired.sweep(&store).await, 0);
        assert!(expired.load(&up.id, "rh").await.is_ok());
        drop(progress);
        run::release(&campaign);
        assert_eq!(expired.sweep(&store).await, 1);
        assert!(matches!(expired.load(&up.id, "rh").await, Err(CampaignError::NotFound)));
        assert!(expired.ids().await.is_empty());
    }

    #[tokio::test]
    async fn a_kept_check_is_found_under_its_key_only() {
        let (_dir, kept, _store) = uploads(Duration::from_secs(3600)).await;
        let up = kept.save("vague.csv", None, "rh", Bytes::from_static(b"a;b\n")).await.unwrap();
        let (k1, k2) = (kept.check_key(&[b"exclure=3"]), kept.check_key(&[b"exclure=4"]));
        assert_ne!(k1, k2);
        assert!(kept.kept_check(&up.id, &k1).await.is_none());
        let report = CheckReport {
            lignes: 1,
            valides: 1,
            invalides: 0,
            exclues: vec![3],
            erreurs: vec![],
            changements: vec![],
            pret: true,
            duree_ms: 7,
        };
        kept.keep_check(&up.id, &k1, &KeptCheck { report, samples: vec![] }).await;
        assert_eq!(kept.kept_check(&up.id, &k1).await.unwrap().report.duree_ms, 7);
        assert!(kept.kept_check(&up.id, &k2).await.is_none());
        // Another process (a restart: the templates may have changed) does not reuse it.
        let restarted = Uploads::new(kept.dir.clone(), kept.retention);
        assert!(restarted.kept_check(&up.id, &restarted.check_key(&[b"exclure=3"])).await.is_none());
    }
}
