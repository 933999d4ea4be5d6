//! Benchmarks run by `acta bench …` on the machine at hand; figures are printed,
//! never asserted (speed is measured, not tested). `seal` is in [`seal`],
//! the streaming store benchmark in [`stream`].
//!
//! The fairness of rendering between collectivités, under long drafts, is
//! measured over HTTP by [`fairness`].
//!
//! `render` ([`render`]): every fixture of `fixtures/acts/` rendered as a
//! draft, first cold (first render in the process), then warm on 1 and 2
//! threads: the one-page acts of the whole library, the whole library (pages/s
//! too) and each template. Each render is a distinct document, other people in
//! it ([`vary`]), as in real use, so Typst's memoization serves only what acts
//! really share (letterhead, recours, fixed visas), never a whole document.

pub mod api;
pub mod campaign;
mod fairness;
mod pages;
mod render;
mod seal;
pub mod sip;
mod stream;
pub mod transfers;
mod vary;

pub use fairness::{External, FairnessOptions, FairnessReport, fairness, long_minutes};
pub use pages::{PagesReport, pages};
pub use render::{RenderReport, TemplateRate, Throughput, render};
pub use seal::{SealReport, seal};
pub use stream::{StreamReport, stream};
pub use vary::Mix;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::service::ServiceError;

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

/// Run `bench` in a throw-away data directory named after it, under the
/// system's temporary directory, removed afterwards whatever the outcome.
async fn in_scratch_dir<T, Fut>(
    name: &str,
    bench: impl FnOnce(std::path::PathBuf) -> Fut,
) -> Result<T, BenchError>
where
    Fut: std::future::Future<Output = Result<T, BenchError>>,
{
    let dir = std::env::temp_dir().join(format!("acta-bench-{name}-{}", uuid::Uuid::now_v7()));
    let result = bench(dir.clone()).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// `base` with its data (local store, index) in `dir`, listening on an
/// ephemeral loopback port.
fn scratch_settings(base: &crate::config::Settings, dir: &Path) -> crate::config::Settings {
    let mut settings = base.clone();
    settings.data_dir = dir.to_owned();
    settings.store = None;
    settings.listen = ([127, 0, 0, 1], 0).into();
    settings
}

/// The service over `settings`, started in this process: its base URL and
/// its `Acta`.
async fn serve_here(
    settings: crate::config::Settings,
) -> Result<(String, std::sync::Arc<crate::service::Acta>), BenchError> {
    let app =
        crate::startup::Application::build(settings).await.map_err(|e| BenchError::Invalid(e.to_string()))?;
    let url = format!("http://{}", app.local_addr());
    let acta = app.acta();
    tokio::spawn(app.run_until_stopped());
    Ok((url, acta))
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
