//! `acta bench seal`: the cost of the seal step and of a verification, in a
//! throw-away data directory (the configured store and log are never touched).
//!
//! *Seal step*: PAdES B-B with the P-256 test key over an already rendered
//! act, SHA-256/512 of the result, append of its leaf to the register log,
//! and one integration (tiles + signed checkpoint) every `batch` leaves — the
//! way the background integrator batches them. Rendering is measured by
//! `bench render`, storage by `bench store`.

use std::time::{Duration, Instant};

use serde_json::Value;
use time::OffsetDateTime;

use super::{BenchError, ms, peak_rss_mb};
use crate::config::Settings;
use crate::seal::Hashes;
use crate::service::Acta;
use crate::store::Store;
use crate::tlog::{Log, NoteSigner};

/// Figures of one seal benchmark.
#[derive(Debug, Clone)]
pub struct SealReport {
    /// Acts sealed.
    pub count: usize,
    /// Leaves per integration.
    pub batch: usize,
    /// PAdES B-B alone: median (ms).
    pub pades_p50_ms: f64,
    /// Leaf append alone: median (ms).
    pub append_p50_ms: f64,
    /// One integration of `batch` leaves: median (ms).
    pub integrate_p50_ms: f64,
    /// Whole seal step, amortised over all acts (ms per act).
    pub amortised_ms: f64,
    /// `verify_pdf` of a sealed act (seal, lookup, inclusion proof): median (ms).
    pub verify_p50_ms: f64,
    /// Sealed PDF size (bytes).
    pub pdf_bytes: usize,
    /// Peak RSS (MB).
    pub peak_rss_mb: Option<f64>,
}

impl std::fmt::Display for SealReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "acts sealed             {} (integration every {})", self.count, self.batch)?;
        writeln!(f, "PAdES B-B p50           {:.3} ms", self.pades_p50_ms)?;
        writeln!(f, "log append p50          {:.3} ms", self.append_p50_ms)?;
        writeln!(f, "integration p50         {:.3} ms per {} leaves", self.integrate_p50_ms, self.batch)?;
        writeln!(f, "seal step, amortised    {:.3} ms per act", self.amortised_ms)?;
        writeln!(f, "verify_pdf p50          {:.3} ms", self.verify_p50_ms)?;
        writeln!(f, "sealed PDF size         {:.1} KB", self.pdf_bytes as f64 / 1024.0)?;
        match self.peak_rss_mb {
            Some(mb) => writeln!(f, "peak RSS                {mb:.0} MB"),
            None => writeln!(f, "peak RSS                n/a"),
        }
    }
}

/// Seal `count` copies of the act `fixture` renders, in a temporary data
/// directory created under the system's temporary directory and removed after.
pub async fn seal(
    base: &Settings,
    fixture: &Value,
    count: usize,
    batch: usize,
) -> Result<SealReport, BenchError> {
    super::in_scratch_dir("seal", |dir| async move { run(base, &dir, fixture, count, batch.max(1)).await })
        .await
}

async fn run(
    base: &Settings,
    dir: &std::path::Path,
    fixture: &Value,
    count: usize,
    batch: usize,
) -> Result<SealReport, BenchError> {
    let settings =
        Settings { data_dir: dir.to_owned(), store: None, seal: Default::default(), ..base.clone() };
    let fail = |e: String| BenchError::Fixtures(e);
    let mut acta = Acta::open(&settings).map_err(|e| fail(e.to_string()))?;
    acta.check_store(false).await.map_err(|e| fail(e.to_string()))?;
    let pdf = acta.preview(fixture, OffsetDateTime::now_utc())?;
    let sealer = acta.sealer();
    let store = Store::local(&dir.join("bench-log")).map_err(|e| fail(e.to_string()))?;
    let log =
        Log::new(store, NoteSigner::generate("bench.acta.localhost/log").map_err(|e| fail(e.to_string()))?);
    let (mut pades, mut appends, mut integrations) = (Vec::new(), Vec::new(), Vec::new());
    let start = Instant::now();
    let at = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or_else(|_| OffsetDateTime::now_utc());
    let mut sealed = Vec::new();
    for i in 0..count {
        let t = Instant::now();
        sealed = sealer
            .seal_bb(&pdf, at + Duration::from_secs(i as u64), "bench")
            .map_err(|e| fail(e.to_string()))?;
        pades.push(t.elapsed());
        let hashes = Hashes::of(&sealed);
        let t = Instant::now();
        let leaf = format!("bench/v1\n{i}\n{}\n", hashes.sha256);
        log.append(leaf.as_bytes()).await.map_err(|e| fail(e.to_string()))?;
        appends.push(t.elapsed());
        if (i + 1) % batch == 0 || i + 1 == count {
            let t = Instant::now();
            log.integrate().await.map_err(|e| fail(e.to_string()))?;
            integrations.push(t.elapsed());
        }
    }
    let amortised_ms = ms(start.elapsed()) / count.max(1) as f64;
    // A real act for the verification: drafted and sealed through the core.
    let act = acta.create_draft(fixture).await?;
    acta.seal(&act.id).await?;
    let bytes = acta.sealed_bytes(&act.id).await?;
    let mut verifies = Vec::new();
    for _ in 0..100 {
        let t = Instant::now();
        let verdict = acta.verify_pdf(bytes.clone()).await?;
        verifies.push(t.elapsed());
        if !verdict.authentique {
            return Err(fail(format!("the bench act does not verify: {}", verdict.verdict)));
        }
    }
    Ok(SealReport {
        count,
        batch,
        pades_p50_ms: p50(&mut pades),
        append_p50_ms: p50(&mut appends),
        integrate_p50_ms: p50(&mut integrations),
        amortised_ms,
        verify_p50_ms: p50(&mut verifies),
        pdf_bytes: sealed.len(),
        peak_rss_mb: peak_rss_mb(),
    })
}

fn p50(v: &mut [Duration]) -> f64 {
    v.sort();
    v.get(v.len() / 2).map_or(0.0, |d| ms(*d))
}
