//! `acta bench transfers`: the transfers list (the *Transferts* page, `GET
//! /api/v1/transfers`) over many transfers, in a throw-away data directory.
//!
//! *Fixture shortcut*: `count` transfer records are stored directly through
//! the library (no SIP, no acts behind them: the list reads neither), one
//! in three with a verdict. They are spread over the configured
//! collectivités, but the first one — a small commune — has only
//! [`SMALL`] of them, the worst case for a list that scans: its archivist's
//! page must find its few transfers among thousands. Times are the median
//! of [`ROUNDS`] listings of one page (50 rows), after a first one.

use std::time::Instant;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use time::OffsetDateTime;

use super::{BenchError, in_scratch_dir, scratch_settings};
use crate::config::Settings;
use crate::domain::Siren;
use crate::search::Collectivites;
use crate::service::Acta;
use crate::service::archive::{
    ListQuery, OutcomeRecord, SipInfo, TransferId, TransferRecord, TransferSpec, TransferStatus, record,
};

/// Transfers of the small commune.
const SMALL: usize = 20;
/// Listings timed per case.
const ROUNDS: usize = 5;
/// Rows of one page.
const PAGE: usize = 50;

/// Figures of one transfers-list benchmark.
#[derive(Debug, Clone)]
pub struct TransfersReport {
    /// Transfers stored.
    pub count: usize,
    /// The first listing of the process, which indexes the transfers made
    /// before the index (all of them here) (ms).
    pub first_ms: f64,
    /// The first listing of the next process, the index complete (ms).
    pub restart_ms: f64,
    /// One page for an administrator (every collectivité), median (ms).
    pub all_ms: f64,
    /// One page for the small commune's archivist, median (ms).
    pub small_ms: f64,
    /// Rows on the small commune's page.
    pub small_rows: usize,
}

impl std::fmt::Display for TransfersReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "transfers stored        {}", self.count)?;
        writeln!(f, "first listing, indexing {:.1} ms", self.first_ms)?;
        writeln!(f, "first listing, restart  {:.1} ms", self.restart_ms)?;
        writeln!(f, "page, all collectivités {:.1} ms (median of {ROUNDS})", self.all_ms)?;
        writeln!(
            f,
            "page, one small commune {:.1} ms (median of {ROUNDS}, {} rows)",
            self.small_ms, self.small_rows
        )
    }
}

fn fail(e: impl std::fmt::Display) -> BenchError {
    BenchError::Fixtures(e.to_string())
}

/// Store `count` transfers in a throw-away data directory and time the list.
pub async fn run(base: &Settings, count: usize) -> Result<TransfersReport, BenchError> {
    in_scratch_dir("transfers", |dir| async move {
        let settings = scratch_settings(base, &dir);
        let sirens: Vec<Siren> = {
            let acta = Acta::open(&settings).map_err(fail)?;
            let sirens: Vec<Siren> = acta.collectivites().iter().map(|p| p.siren.clone()).collect();
            fill(&acta, &sirens, count).await?;
            sirens
        };
        // A fresh process's view: nothing cached from the filling.
        let acta = Acta::open(&settings).map_err(fail)?;
        let small = sirens[0].clone();
        let t = Instant::now();
        list(&acta, None).await?;
        let first_ms = ms(t);
        let mut all = Vec::new();
        let mut one = Vec::new();
        let mut small_rows = 0;
        for _ in 0..ROUNDS {
            let t = Instant::now();
            list(&acta, None).await?;
            all.push(ms(t));
            let t = Instant::now();
            small_rows = list(&acta, Some(&small)).await?;
            one.push(ms(t));
        }
        drop(acta);
        let acta = Acta::open(&settings).map_err(fail)?;
        let t = Instant::now();
        list(&acta, None).await?;
        let restart_ms = ms(t);
        Ok(TransfersReport {
            count,
            first_ms,
            restart_ms,
            all_ms: median(all),
            small_ms: median(one),
            small_rows,
        })
    })
    .await
}

/// One page of the list, for every collectivité or one; returns its rows.
async fn list(acta: &Acta, only: Option<&Siren>) -> Result<usize, BenchError> {
    let scope = match only {
        None => Collectivites::All,
        Some(s) => Collectivites::Only([s.clone()].into()),
    };
    let query = ListQuery { collectivite: None, before: None, limit: PAGE };
    Ok(acta.list_transfers(&scope, &query).await.map_err(fail)?.transfers.len())
}

async fn fill(acta: &Acta, sirens: &[Siren], count: usize) -> Result<(), BenchError> {
    let store = acta.store().clone();
    let now = OffsetDateTime::now_utc();
    let others = sirens.len().max(2) - 1;
    futures::stream::iter(0..count)
        .map(|i| {
            let store = store.clone();
            // The small commune's transfers are spread over the whole history.
            let siren = if i % (count / SMALL).max(1) == 0 {
                sirens[0].clone()
            } else {
                sirens[1 + i % others].clone()
            };
            async move {
                let id = TransferId::generate();
                let rec = TransferRecord {
                    id,
                    collectivite: siren.clone(),
                    created_at: now,
                    profile: crate::seda::Profile::Vitam,
                    spec: TransferSpec {
                        collectivite: siren,
                        from: None,
                        to: None,
                        kinds: Vec::new(),
                        seance: None,
                        acts: Vec::new(),
                        profile: None,
                        comment: None,
                    },
                    seance: None,
                    acts: Vec::new(),
                    sip: SipInfo { size: 1, objects: 1, sha256: "0".repeat(64) },
                };
                store.create(&record::transfer_key(&id), json(&rec)).await.map_err(fail)?;
                if i % 3 == 0 {
                    let outcome = OutcomeRecord {
                        status: TransferStatus::Accepted,
                        reply_code: "OK".into(),
                        warnings: false,
                        reasons: Vec::new(),
                        grant_date: None,
                        reply_identifier: None,
                        reply: 1,
                        reply_sha256: None,
                        archived_acts: 0,
                        received_at: now,
                    };
                    store.create(&record::outcome_key(&id), json(&outcome)).await.map_err(fail)?;
                    store
                        .create(&record::verdict_key(&id), Bytes::from_static(b"<x/>"))
                        .await
                        .map_err(fail)?;
                }
                Ok::<_, BenchError>(())
            }
        })
        .buffer_unordered(32)
        .try_collect::<()>()
        .await
}

fn json<T: serde::Serialize>(v: &T) -> Bytes {
    Bytes::from(serde_json::to_vec(v).expect("records serialise"))
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
