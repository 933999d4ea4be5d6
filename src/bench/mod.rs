//! Benchmarks run by `acta bench …` on the machine at hand; figures are printed,
//! never asserted (speed is measured, not tested). `seal` is in [`seal`],
//! the streaming store benchmark in [`stream`].
//!
//! The fairness of rendering between collectivités, under long drafts, is
//! measured over HTTP by [`fairness`].
//!
//! `render`: every fixture of `fixtures/acts/` rendered as a draft, first
//! cold (first render in the process), then warm on 1 and 2 threads. Each
//! render is a distinct document, other people in it ([`vary`]), as in real
//! use, so Typst's memoization serves only what acts really share (letterhead,
//! recours, fixed visas), never a whole document.

pub mod api;
pub mod campaign;
mod fairness;
mod seal;
pub mod sip;
mod stream;
mod vary;

pub use fairness::{External, FairnessOptions, FairnessReport, fairness, long_minutes};
pub use seal::{SealReport, seal};
pub use stream::{StreamReport, stream};
pub use vary::Mix;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;
use time::OffsetDateTime;

use crate::service::{Acta, ServiceError};

/// Figures of one store benchmark.
#[derive(Debug, Clone)]
pub struct StoreReport {
    /// Where the objects were written.
    pub location: String,
    /// Objects written.
    pub count: usize,
    /// Size of each, bytes.
    pub size: usize,
    /// Latency of one create-only write: median, 99th percentile (ms).
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
}

impl std::fmt::Display for StoreReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "store                   {}", self.location)?;
        writeln!(f, "objects x size          {} x {:.0} KiB", self.count, self.size as f64 / 1024.0)?;
        writeln!(f, "create-only put p50     {:.2} ms", self.p50_ms)?;
        writeln!(f, "create-only put p99     {:.2} ms", self.p99_ms)
    }
}

/// Write `count` objects of `size` bytes under `_bench/<run>/` (create-only,
/// like sealed acts). They are left in place: acta never deletes.
pub async fn store(
    store: &crate::store::Store,
    count: usize,
    size: usize,
) -> Result<StoreReport, BenchError> {
    let run = uuid::Uuid::now_v7();
    let payload = bytes::Bytes::from(vec![b'%'; size]);
    let mut latencies = Vec::with_capacity(count);
    for i in 0..count {
        let t = Instant::now();
        store
            .create(&format!("{}{run}/{i:06}.pdf", crate::store::keys::BENCH_PREFIX), payload.clone())
            .await
            .map_err(|e| BenchError::Service(e.into()))?;
        latencies.push(t.elapsed());
    }
    latencies.sort();
    let pct = |p: f64| ms(latencies[((latencies.len() as f64 - 1.0) * p) as usize]);
    Ok(StoreReport {
        location: store.location().to_owned(),
        count,
        size,
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
    })
}

/// Failure of a benchmark.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The fixtures cannot be read.
    #[error("fixtures: {0}")]
    Fixtures(String),
    /// A fixture (or its variant) is not a valid request.
    #[error("{0}")]
    Invalid(String),
    /// A render failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// [`Acta::preview`], naming the template and the fields of a refused request.
fn preview(acta: &Acta, body: &Value, at: OffsetDateTime) -> Result<Vec<u8>, BenchError> {
    acta.preview(body, at).map_err(|e| match e {
        ServiceError::Invalid(fields) => BenchError::Invalid(format!(
            "{} refused: {}",
            body["template"],
            fields.iter().map(|f| format!("{} : {}", f.path, f.message)).collect::<Vec<_>>().join("; ")
        )),
        other => other.into(),
    })
}

/// Figures of one render benchmark.
#[derive(Debug, Clone)]
pub struct RenderReport {
    /// Number of fixtures (templates) rendered.
    pub templates: usize,
    /// What changed from one document to the next.
    pub mix: Mix,
    /// First render of the process, milliseconds.
    pub cold_ms: f64,
    /// Warm single-render latencies, 1 thread: median and 95th percentile (ms).
    pub warm_p50_ms: f64,
    /// 95th percentile.
    pub warm_p95_ms: f64,
    /// Documents per second with 1 thread.
    pub docs_per_sec_1: f64,
    /// Documents per second with 2 threads.
    pub docs_per_sec_2: f64,
    /// Peak resident memory of the process (MB), from /proc.
    pub peak_rss_mb: Option<f64>,
    /// Average PDF size (bytes).
    pub avg_pdf_bytes: usize,
}

/// Read every `*.json` request body in `dir`, sorted by name.
pub fn load_fixtures(dir: &Path) -> Result<Vec<Value>, BenchError> {
    let err = |e: std::io::Error| BenchError::Fixtures(format!("{}: {e}", dir.display()));
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(err)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).map_err(err)?;
            serde_json::from_slice(&bytes).map_err(|e| BenchError::Fixtures(format!("{}: {e}", p.display())))
        })
        .collect()
}

/// Render `docs` documents per thread configuration over `fixtures`.
/// `mix` says what changes from one document to the next.
pub fn render(acta: &Acta, fixtures: &[Value], docs: usize, mix: Mix) -> Result<RenderReport, BenchError> {
    if fixtures.is_empty() {
        return Err(BenchError::Fixtures("no fixture".into()));
    }
    // For each fixture, the collectivités of the same kind as its own: a
    // convocation of a CdG instance cannot be issued by a commune.
    let sirens: Vec<Vec<String>> = fixtures.iter().map(|f| same_kind(acta, f)).collect();
    // Built before timing: documents 0..docs on one thread, docs..2 docs on
    // two, the cold one last; all distinct.
    let bodies: Vec<Value> = (0..=2 * docs)
        .map(|i| vary::variant(&fixtures[i % fixtures.len()], i, mix, &sirens[i % fixtures.len()]))
        .collect();
    let (one, rest) = bodies.split_at(docs);
    let (two, cold_body) = rest.split_at(docs);
    let at = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or_else(|_| OffsetDateTime::now_utc());
    let start = Instant::now();
    let first = preview(acta, &cold_body[0], at)?;
    let cold = start.elapsed();

    let mut latencies = Vec::with_capacity(docs);
    let mut bytes = first.len();
    for body in one {
        let t = Instant::now();
        bytes += preview(acta, body, at)?.len();
        latencies.push(t.elapsed());
    }
    let one_thread: Duration = latencies.iter().sum();
    latencies.sort();

    let start = Instant::now();
    std::thread::scope(|s| -> Result<(), BenchError> {
        let handles: Vec<_> = (0..2)
            .map(|k| {
                s.spawn(move || -> Result<(), BenchError> {
                    for body in two.iter().skip(k).step_by(2) {
                        preview(acta, body, at)?;
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join().map_err(|_| BenchError::Fixtures("render thread panicked".into()))??;
        }
        Ok(())
    })?;
    let two_threads = start.elapsed();

    let pct = |p: f64| ms(latencies[((latencies.len() as f64 - 1.0) * p) as usize]);
    Ok(RenderReport {
        templates: fixtures.len(),
        mix,
        cold_ms: ms(cold),
        warm_p50_ms: pct(0.5),
        warm_p95_ms: pct(0.95),
        docs_per_sec_1: docs as f64 / one_thread.as_secs_f64(),
        docs_per_sec_2: docs as f64 / two_threads.as_secs_f64(),
        peak_rss_mb: peak_rss_mb(),
        avg_pdf_bytes: bytes / (docs + 1),
    })
}

/// SIRENs of the collectivités of the same kind (commune, cdg…) as the one
/// `fixture` is issued by.
fn same_kind(acta: &Acta, fixture: &Value) -> Vec<String> {
    let profiles = acta.collectivites();
    let kind = fixture["collectivite"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .and_then(|siren| profiles.get(&siren))
        .map(|p| p.kind.clone());
    profiles.iter().filter(|p| Some(&p.kind) == kind.as_ref()).map(|p| p.siren.to_string()).collect()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A `kB` field of /proc/self/status (`VmHWM:`, `VmRSS:`…), in MB (Linux only).
pub fn status_mb(key: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status.lines().find(|l| l.starts_with(key))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Peak resident memory (`VmHWM`), in MB (Linux only).
pub fn peak_rss_mb() -> Option<f64> {
    status_mb("VmHWM:")
}

impl std::fmt::Display for RenderReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "templates rendered      {}", self.templates)?;
        let mix = match self.mix {
            Mix::Agents => "the people",
            Mix::Collectivites => "the people and the collectivité",
        };
        writeln!(f, "each document changes   {mix}")?;
        writeln!(f, "cold first render       {:.1} ms", self.cold_ms)?;
        writeln!(f, "warm render p50 / p95   {:.1} / {:.1} ms", self.warm_p50_ms, self.warm_p95_ms)?;
        writeln!(f, "throughput, 1 thread    {:.0} docs/s", self.docs_per_sec_1)?;
        writeln!(f, "throughput, 2 threads   {:.0} docs/s", self.docs_per_sec_2)?;
        writeln!(f, "average PDF size        {:.1} KB", self.avg_pdf_bytes as f64 / 1024.0)?;
        match self.peak_rss_mb {
            Some(mb) => writeln!(f, "peak RSS                {mb:.0} MB"),
            None => writeln!(f, "peak RSS                n/a"),
        }
    }
}
