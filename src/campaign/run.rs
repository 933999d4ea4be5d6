//! Running a campaign: every row's act made (drafted, numbered, sealed,
//! stored, logged), indexed in groups, with progress; resumable and
//! cancellable.
//!
//! Rows are made concurrently, a few per core, through [`Acta::make_act`]:
//! the same sealing as the API (register entry as commit point, create-only
//! writes, one log leaf per act, recovery of an interrupted sealing at the
//! next start), so every guarantee of a single act holds for each row. The
//! row's act id is fixed in the campaign record before the run, and
//! `make_act` returns an act already sealed as it is: running a campaign
//! again, after a kill at any instant, makes only what is missing. A failed
//! row is recorded and the others go on; the run is recorded
//! (`campaigns/<id>/runs/…`) with the outcome of every failed row.
//!
//! The batched part: search-index commits are grouped (one per
//! [`INDEX_BATCH`] acts instead of one per act) and the log's tiles and
//! signed checkpoint are integrated once at the end (and by the server's
//! background integrator meanwhile), not per act.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::CampaignError;
use super::record::{self, CampaignId, Row};
use crate::domain::ActId;
use crate::service::{Acta, Made, ServiceError};

/// Rows whose futures exist at once (of which a few per core run).
const WINDOW: usize = 256;

/// Acts indexed per search-index commit.
pub const INDEX_BATCH: usize = 512;

/// The live progress of a run in this process.
#[derive(Debug, Default)]
pub struct Progress {
    /// Rows to make.
    pub total: AtomicUsize,
    /// Rows done (made now or before).
    pub done: AtomicUsize,
    /// Rows failed.
    pub failed: AtomicUsize,
    cancel: AtomicBool,
}

impl Progress {
    /// Ask the run to stop: rows in progress finish, no new one starts.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }

    /// Whether a cancel was asked.
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }
}

/// One row that failed.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RowFailure {
    /// Line in the source file.
    pub ligne: usize,
    /// Row key.
    pub cle: String,
    /// The row's act.
    #[schema(value_type = String)]
    pub acte: ActId,
    /// What went wrong, in French.
    pub message: String,
}

/// The outcome of one run.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunRecord {
    /// Start.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String)]
    pub started_at: OffsetDateTime,
    /// End.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String)]
    pub ended_at: OffsetDateTime,
    /// Acts made by this run.
    pub made: usize,
    /// Rows found already made (by an earlier, interrupted run).
    pub already: usize,
    /// Rows that failed.
    pub failures: Vec<RowFailure>,
    /// Whether the run was cancelled before every row was tried.
    pub cancelled: bool,
    /// Time per stage, in milliseconds.
    pub stages: Stages,
}

/// Where a run's time went, in milliseconds.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Stages {
    /// Reading the campaign's rows from the store.
    pub load_ms: u64,
    /// Making the acts: draft, number, render, seal, store, log append (wall time).
    pub make_ms: u64,
    /// Index commits (overlapping the making, on the blocking pool).
    pub index_ms: u64,
    /// The final log integration (tiles, signed checkpoint).
    pub integrate_ms: u64,
}

/// Runs of this process, by campaign.
static RUNNING: LazyLock<Mutex<HashMap<CampaignId, Arc<Progress>>>> = LazyLock::new(Mutex::default);

/// The progress of campaign `id` if this process is running it.
pub fn running(id: &CampaignId) -> Option<Arc<Progress>> {
    RUNNING.lock().unwrap_or_else(|p| p.into_inner()).get(id).cloned()
}

/// Claim the run of campaign `id` in this process; refused while it runs.
pub fn claim(id: &CampaignId) -> Result<Arc<Progress>, CampaignError> {
    let mut running = RUNNING.lock().unwrap_or_else(|p| p.into_inner());
    if running.contains_key(id) {
        return Err(CampaignError::Running);
    }
    let progress = Arc::new(Progress::default());
    running.insert(*id, Arc::clone(&progress));
    Ok(progress)
}

/// Release the claim of [`claim`].
pub fn release(id: &CampaignId) {
    RUNNING.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Make every row of campaign `id` not made yet; record and return the run.
pub async fn run(acta: &Acta, id: &CampaignId, progress: &Progress) -> Result<RunRecord, CampaignError> {
    let started_at =
        OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or_else(|_| OffsetDateTime::now_utc());
    let t0 = Instant::now();
    record::load(acta.store(), id).await?;
    let stored = record::row_lines(acta.store(), id).await?;
    let rows: Vec<&[u8]> = stored.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
    progress.total.store(rows.len(), Ordering::SeqCst);
    let mut stages = Stages { load_ms: ms(t0.elapsed()), ..Stages::default() };
    let in_flight = std::thread::available_parallelism().map_or(2, |n| n.get()) * 4;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Made>(INDEX_BATCH * 2);
    let t1 = Instant::now();
    let making = async {
        let (mut made, mut already, mut failures) = (0, 0, Vec::new());
        // Boxed as a `Send` stream here: left to inference, the future of a
        // spawned run is not provably `Send` (rust-lang/rust#102211). Made a
        // window of rows at a time: a future per row made up front would hold
        // hundreds of MB for a large wave.
        for window in rows.chunks(WINDOW) {
            let attempts: Vec<BoxFuture<'_, Attempt>> =
                window.iter().map(|line| attempt(acta, line, progress).boxed()).collect();
            let mut results = futures::stream::iter(attempts).buffer_unordered(in_flight);
            while let Some((row, result)) = results.next().await {
                let (Some(row), Some(result)) = (row, result) else { continue };
                match result {
                    Ok(m) => {
                        if m.already {
                            already += 1
                        } else {
                            made += 1
                        }
                        let _ = tx.send(m).await;
                        progress.done.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(e) => {
                        tracing::error!(campaign = %id, line = row.line, act = %row.act, error = %e,
                            "campaign row failed");
                        failures.push(RowFailure {
                            ligne: row.line,
                            cle: row.key.clone(),
                            acte: row.act,
                            message: french(&e),
                        });
                        progress.failed.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        }
        drop(tx);
        (made, already, failures, ms(t1.elapsed()))
    };
    let indexing = async {
        let mut spent = Duration::ZERO;
        let mut batch = Vec::with_capacity(INDEX_BATCH);
        while rx.recv_many(&mut batch, INDEX_BATCH).await > 0 {
            // Fill the batch while acts keep coming, up to its size.
            while batch.len() < INDEX_BATCH {
                match tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
                    Ok(Some(m)) => batch.push(m),
                    _ => break,
                }
            }
            let t = Instant::now();
            acta.index_made(&batch).await;
            spent += t.elapsed();
            batch.clear();
        }
        ms(spent)
    };
    let ((made, already, mut failures, make_ms), index_ms) = tokio::join!(making, indexing);
    stages.make_ms = make_ms;
    stages.index_ms = index_ms;
    let t2 = Instant::now();
    if let Err(e) = acta.integrate_log().await {
        // Appended leaves are in the log; the next integration covers them.
        tracing::error!(campaign = %id, error = %e, "log integration after the campaign failed");
    }
    stages.integrate_ms = ms(t2.elapsed());
    failures.sort_by_key(|f| f.ligne);
    let tried = made + already + failures.len();
    let run = RunRecord {
        started_at,
        ended_at: OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or_else(|_| OffsetDateTime::now_utc()),
        made,
        already,
        failures,
        cancelled: tried < rows.len(),
        stages,
    };
    record::save_run(acta.store(), id, &run).await?;
    Ok(run)
}

/// A row and its outcome (`None`: not tried, the run was cancelled).
type Attempt = (Option<Row>, Option<Result<Made, ServiceError>>);

/// Make one stored row unless the run was cancelled.
async fn attempt(acta: &Acta, line: &[u8], progress: &Progress) -> Attempt {
    if progress.cancelled() {
        return (None, None);
    }
    let row = match record::parse_row(line) {
        Ok(row) => row,
        Err(e) => {
            tracing::error!(error = %e, "unreadable campaign row");
            return (None, None);
        }
    };
    let result = make(acta, &row).await;
    (Some(row), Some(result))
}

/// Make one row, waiting when its collectivité's render queue is full.
async fn make(acta: &Acta, row: &Row) -> Result<Made, ServiceError> {
    let mut wait = Duration::from_millis(50);
    loop {
        match acta.make_act(row.act, &row.body).await {
            Err(ServiceError::RenderQueueFull { .. }) if wait < Duration::from_secs(30) => {
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            other => return other,
        }
    }
}

/// A row's failure, for the gestionnaire.
pub fn french(e: &ServiceError) -> String {
    match e {
        ServiceError::Invalid(fields) => format!(
            "données refusées : {}",
            fields.iter().map(|f| format!("{} : {}", f.path, f.message)).collect::<Vec<_>>().join(" ; ")
        ),
        ServiceError::UnknownCollectivite(s) => format!("collectivité {s} inconnue de cette instance"),
        ServiceError::UnknownTemplate(t) => format!("modèle « {t} » inconnu"),
        ServiceError::ProfileIncomplete { message, .. } => {
            format!("profil de la collectivité incomplet : {message}")
        }
        ServiceError::TooManyPages { max, .. } => format!("l’acte dépasserait {max} pages"),
        ServiceError::RenderTooLong { budget_ms } => {
            format!("mise en page trop longue (plus de {budget_ms} ms)")
        }
        ServiceError::RenderQueueFull { .. } => "file de mise en page saturée : relancez la campagne".into(),
        ServiceError::Store(_) => "stockage indisponible : relancez la campagne".into(),
        _ => "erreur interne (voir le journal du serveur) : relancez la campagne".into(),
    }
}
