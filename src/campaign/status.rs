//! A campaign's status: each row made (with its number), to make, or failed
//! at the last run, read from the store (the acts themselves are the truth:
//! a row is made when its act's seal record exists), plus the live progress
//! when this process is running it.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use serde::Serialize;

use super::record::{self, Campaign, CampaignId};
use super::{CampaignError, RunRecord, run};
use crate::domain::ActId;
use crate::service::Acta;

/// A campaign's status.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Status {
    /// The campaign.
    pub campagne: Campaign,
    /// Rows to make in all.
    pub lignes: usize,
    /// Rows made.
    pub faites: usize,
    /// Rows not made yet (failed ones included).
    pub a_faire: usize,
    /// Rows that failed at the last run and are not made.
    pub en_echec: usize,
    /// Live progress, while this process runs the campaign.
    pub en_cours: Option<Live>,
    /// Every run, oldest first.
    pub runs: Vec<RunRecord>,
    /// Every row.
    pub rows: Vec<RowStatus>,
}

/// Live progress.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Live {
    /// Rows to make.
    pub total: usize,
    /// Rows done.
    pub faites: usize,
    /// Rows failed.
    pub echecs: usize,
    /// Whether a cancel was asked.
    pub annulation: bool,
}

/// One row.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RowStatus {
    /// Line in the source file.
    pub ligne: usize,
    /// Row key.
    pub cle: String,
    /// Its act.
    #[schema(value_type = String)]
    pub acte: ActId,
    /// The act's number, once made.
    pub numero: Option<String>,
    /// Why the last run failed to make it.
    pub message: Option<String>,
}

/// The status of campaign `id`.
pub async fn status(acta: &Acta, id: &CampaignId) -> Result<Status, CampaignError> {
    let campagne = record::load(acta.store(), id).await?;
    let rows = record::rows(acta.store(), id).await?;
    let runs = record::runs(acta.store(), id).await?;
    let failed: HashMap<usize, String> = runs
        .last()
        .map(|r| r.failures.iter().map(|f| (f.ligne, f.message.clone())).collect())
        .unwrap_or_default();
    // Boxed futures: see `run.rs` (a handler's future must be provably `Send`).
    let lookups: Vec<BoxFuture<'_, Result<Option<String>, CampaignError>>> =
        rows.iter().map(|row| number_of(acta, row.act).boxed()).collect();
    let numbers: Vec<_> = futures::stream::iter(lookups).buffered(32).collect().await;
    let mut out = Vec::with_capacity(rows.len());
    for (row, number) in rows.iter().zip(numbers) {
        let numero = number?;
        let message = if numero.is_none() { failed.get(&row.line).cloned() } else { None };
        out.push(RowStatus { ligne: row.line, cle: row.key.clone(), acte: row.act, numero, message });
    }
    let faites = out.iter().filter(|r| r.numero.is_some()).count();
    let en_echec = out.iter().filter(|r| r.message.is_some()).count();
    let en_cours = run::running(id).map(|p| Live {
        total: p.total.load(Ordering::Relaxed),
        faites: p.done.load(Ordering::Relaxed),
        echecs: p.failed.load(Ordering::Relaxed),
        annulation: p.cancelled(),
    });
    Ok(Status {
        campagne,
        lignes: out.len(),
        faites,
        a_faire: out.len() - faites,
        en_echec,
        en_cours,
        runs,
        rows: out,
    })
}

async fn number_of(acta: &Acta, act: ActId) -> Result<Option<String>, CampaignError> {
    Ok(acta.made(&act).await?.map(|m| m.number().to_string()))
}
