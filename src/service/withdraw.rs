//! Withdrawing a sealed act (annulment by a court, withdrawal or repeal by its
//! author): nothing is deleted or changed; a *tombstone* leaf is appended to
//! the register log and the act records it, so that anyone verifying the act
//! learns it no longer applies, and monitors can tell a declared withdrawal
//! from a silent removal.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Acta, ServiceError, now};
use crate::domain::ActId;
use crate::store::{StoreError, keys};
use crate::tlog::{WithdrawLeaf, WithdrawReason};

/// The withdrawal record of an act (`acts/<id>/withdrawn.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    /// Reason code.
    pub reason: String,
    /// The act replacing it, if any.
    pub replacement: Option<ActId>,
    /// Index of the tombstone leaf.
    pub leaf: u64,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// Written before the tombstone is appended: a retry finds the leaf from here.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Intent {
    reason: String,
    replacement: Option<ActId>,
    log_from: u64,
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
}

impl Acta {
    /// Withdraw the sealed act `id` (idempotent: the same call again returns
    /// the withdrawal; a call with another reason or replacement is
    /// [`ServiceError::AlreadyWithdrawn`], never answered with a withdrawal
    /// it did not ask for). `replacement` must be a sealed act of the same
    /// collectivité.
    pub async fn withdraw(
        &self,
        id: &ActId,
        reason: WithdrawReason,
        replacement: Option<ActId>,
    ) -> Result<Withdrawal, ServiceError> {
        let _guard = self.act_lock(id).lock().await;
        let draft = self.load_draft(id).await?;
        let sealed = self.load_sealed(id).await?.ok_or(ServiceError::NotSealed)?;
        if let Some(done) = self.withdrawal(id).await? {
            return same_request(&done.reason, done.replacement, reason, replacement).map(|()| done);
        }
        let replacement_sha256 = match replacement {
            None => None,
            Some(other) => {
                let other_draft = self.load_draft(&other).await.map_err(|_| ServiceError::BadReplacement)?;
                let other_sealed = self.load_sealed(&other).await?.ok_or(ServiceError::BadReplacement)?;
                if other_draft.collectivite != draft.collectivite || other == *id {
                    return Err(ServiceError::BadReplacement);
                }
                Some(other_sealed.hashes.sha256)
            }
        };
        let intent_key = keys::act_withdrawal_intent(id);
        let fresh = Intent {
            reason: reason.code().to_owned(),
            replacement,
            log_from: self.log.size_hint().await?,
            at: now(),
        };
        let intent = match self
            .store
            .create(&intent_key, Bytes::from(serde_json::to_vec(&fresh).expect("serialises")))
            .await
        {
            Ok(()) => fresh,
            Err(StoreError::AlreadyExists(_)) => {
                let bytes = self.store.get(&intent_key).await?.unwrap_or_default();
                serde_json::from_slice(&bytes)
                    .map_err(|e| ServiceError::Corrupt(format!("{intent_key}: {e}")))?
            }
            Err(e) => return Err(e.into()),
        };
        // An interrupted withdrawal is finished as it was asked, and only by
        // the same request: the tombstone's replacement is this request's.
        same_request(&intent.reason, intent.replacement, reason, replacement)?;
        let tombstone = WithdrawLeaf {
            collectivite: draft.collectivite.clone(),
            acte: sealed.number.clone(),
            id: *id,
            leaf: sealed.leaf.unwrap_or_default(),
            reason: intent
                .reason
                .parse::<WithdrawReason>()
                .map_err(|e| ServiceError::Corrupt(format!("{intent_key}: {e}")))?,
            replacement_sha256,
            withdrawn: intent.at,
        };
        // One tombstone whatever the races (see `tlog::Log::append_once`).
        let id_ = *id;
        let leaf = self
            .log
            .append_once(&tombstone.to_bytes(), intent.log_from, move |b| {
                WithdrawLeaf::parse(b).is_ok_and(|l| l.id == id_)
            })
            .await?;
        let record = Withdrawal {
            reason: intent.reason.clone(),
            replacement: intent.replacement,
            leaf,
            at: intent.at,
        };
        let bytes = Bytes::from(serde_json::to_vec(&record).expect("serialises"));
        match self.store.create(&keys::act_withdrawal(id), bytes).await {
            Ok(()) | Err(StoreError::AlreadyExists(_)) => {}
            Err(e) => return Err(e.into()),
        }
        self.log_pending.notify_one();
        Ok(self.withdrawal(id).await?.unwrap_or(record))
    }

    /// The withdrawal of act `id`, if it was withdrawn.
    pub(super) async fn withdrawal(&self, id: &ActId) -> Result<Option<Withdrawal>, ServiceError> {
        let Some(bytes) = self.store.get(&keys::act_withdrawal(id)).await? else { return Ok(None) };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| ServiceError::Corrupt(format!("withdrawal record of {id}: {e}")))
    }
}

/// `Ok` when the request (`reason`, `replacement`) is the one recorded.
fn same_request(
    recorded: &str,
    recorded_replacement: Option<ActId>,
    reason: WithdrawReason,
    replacement: Option<ActId>,
) -> Result<(), ServiceError> {
    if recorded == reason.code() && recorded_replacement == replacement {
        Ok(())
    } else {
        Err(ServiceError::AlreadyWithdrawn(recorded.to_owned()))
    }
}
