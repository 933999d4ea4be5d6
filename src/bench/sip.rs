//! `acta bench sip`: a SEDA SIP of many acts, written to local disk, in a
//! throw-away data directory: time, throughput, peak RSS.
//!
//! *Fixture shortcut*: sealing thousands of acts through rendering takes
//! minutes, so one act is drafted and sealed through the core (real PDF,
//! real seal record, real register-log leaf), then `count - 1` copies are
//! stored directly through the library: the same sealed PDF bytes under
//! fresh act ids, each with its own draft, seal record and register entry
//! (distinct numbers, sealing times one minute apart), all pointing to the
//! original's log leaf. The SIP therefore has `count` distinct units whose
//! PDFs are byte-identical — irrelevant to the writer, which neither
//! compresses nor deduplicates. These acts are not genuine: never do this
//! outside a benchmark.
//!
//! The measurement runs in a fresh child process (`--measure`) on the data
//! directory the parent prepared, so that its peak RSS is the SIP's alone
//! and not the renderer's. It selects the acts by date range (as `acta
//! archive export` does), then writes the SIP to a local file with the
//! streaming writer; the upload to the store is not part of the figure.

use std::path::Path;
use std::time::Instant;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use serde_json::Value;
use time::OffsetDateTime;

use super::{BenchError, peak_rss_mb, status_mb};
use crate::act::{Draft, Sealed};
use crate::config::Settings;
use crate::domain::{ActId, ActNumber};
use crate::register::Entry;
use crate::service::Acta;
use crate::service::archive::TransferSpec;
use crate::store::keys;

/// Objects written at once while generating the fixture.
const WRITES_IN_FLIGHT: usize = 32;

/// Figures of one SIP benchmark.
#[derive(Debug, Clone)]
pub struct SipReport {
    /// Acts in the SIP.
    pub acts: usize,
    /// Objects packed (PDFs and proofs).
    pub objects: usize,
    /// SIP size (bytes).
    pub bytes: u64,
    /// Selection from the store (s).
    pub select_s: f64,
    /// Writing the SIP, proofs and PDF reads included (s).
    pub write_s: f64,
    /// RSS once the core is open, before selecting (MB).
    pub open_rss_mb: Option<f64>,
    /// RSS after the selection (MB).
    pub selected_rss_mb: Option<f64>,
    /// Peak RSS of the measuring process (MB).
    pub peak_rss_mb: Option<f64>,
}

impl SipReport {
    /// Write throughput (MB/s, 10^6 bytes).
    pub fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.write_s.max(1e-9)
    }
}

impl std::fmt::Display for SipReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "acts / objects          {} / {}", self.acts, self.objects)?;
        writeln!(f, "SIP size                {:.1} MB", self.bytes as f64 / 1e6)?;
        writeln!(f, "selection               {:.2} s", self.select_s)?;
        writeln!(f, "SIP written in          {:.2} s", self.write_s)?;
        writeln!(f, "throughput              {:.0} MB/s", self.mb_per_s())?;
        let mb = |v: Option<f64>| v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.0} MB"));
        writeln!(f, "RSS core open           {}", mb(self.open_rss_mb))?;
        writeln!(f, "RSS after selection     {}", mb(self.selected_rss_mb))?;
        writeln!(f, "peak RSS                {}", mb(self.peak_rss_mb))
    }
}

fn fail(e: impl std::fmt::Display) -> BenchError {
    BenchError::Fixtures(e.to_string())
}

/// Prepare `count` sealed acts in `dir` (a fresh data directory) from the
/// request body `fixture`; returns the collectivité's SIREN.
pub async fn prepare(
    base: &Settings,
    dir: &Path,
    fixture: &Value,
    count: usize,
) -> Result<String, BenchError> {
    let settings = bench_settings(base, dir);
    let mut acta = Acta::open(&settings).map_err(fail)?;
    acta.check_store(false).await.map_err(fail)?;
    let view = acta.create_draft(fixture).await?;
    acta.seal(&view.id).await?;
    let store = acta.store().clone();
    let get = |key: String| {
        let store = store.clone();
        async move { store.get(&key).await.map_err(fail)?.ok_or_else(|| fail(format!("{key} missing"))) }
    };
    let draft: Draft = serde_json::from_slice(&get(keys::draft(&view.id)).await?).map_err(fail)?;
    let sealed: Sealed = serde_json::from_slice(&get(keys::sealed_record(&view.id)).await?).map_err(fail)?;
    let pdf = get(keys::sealed_pdf(&view.id)).await?;
    let start = sealed.sealed_at;
    futures::stream::iter(1..count)
        .map(|i| {
            let (store, pdf) = (store.clone(), pdf.clone());
            let (mut draft, mut sealed) = (draft.clone(), sealed.clone());
            async move {
                let id = ActId::generate();
                let seq = i as u64 + 1;
                let number = ActNumber::compose(sealed.year, &sealed.series, seq).map_err(fail)?;
                let sealed_at = start + time::Duration::minutes(i as i64);
                draft.id = id;
                (sealed.id, sealed.number, sealed.sealed_at) = (id, number.clone(), sealed_at);
                let entry = Entry {
                    number,
                    seq,
                    act_id: id,
                    siren: draft.collectivite.clone(),
                    series: sealed.series.clone(),
                    year: sealed.year,
                    sealed_at,
                    log_from: 0,
                };
                let key = keys::register_entry(&entry.siren, &entry.series, entry.year, seq);
                store.create(&key, json(&entry)).await.map_err(fail)?;
                store.create(&keys::draft(&id), json(&draft)).await.map_err(fail)?;
                store.create(&keys::sealed_pdf(&id), pdf).await.map_err(fail)?;
                store.create(&keys::sealed_record(&id), json(&sealed)).await.map_err(fail)?;
                Ok::<_, BenchError>(())
            }
        })
        .buffer_unordered(WRITES_IN_FLIGHT)
        .try_collect::<()>()
        .await?;
    Ok(draft.collectivite.to_string())
}

/// Select every act of `siren` sealed from the fixture's day on, and write
/// their SIP into `dir/sip.zip`.
pub async fn measure(base: &Settings, dir: &Path, siren: &str) -> Result<SipReport, BenchError> {
    let acta = Acta::open(&bench_settings(base, dir)).map_err(fail)?;
    let open_rss_mb = status_mb("VmRSS:");
    let t = Instant::now();
    let spec = TransferSpec {
        collectivite: siren.parse().map_err(fail)?,
        from: None,
        to: Some(OffsetDateTime::now_utc().date() + time::Duration::days(400)),
        kinds: Vec::new(),
        seance: None,
        acts: Vec::new(),
        profile: None,
        comment: None,
    };
    let prepared = acta.prepare_transfer(&spec).await.map_err(fail)?;
    let select_s = t.elapsed().as_secs_f64();
    let acts = prepared.acts.len();
    let selected_rss_mb = status_mb("VmRSS:");
    let t = Instant::now();
    let out = dir.join("sip.zip");
    let summary = acta.write_sip_file(prepared.request, &out, prepared.acts, None).await.map_err(fail)?;
    let write_s = t.elapsed().as_secs_f64();
    Ok(SipReport {
        acts,
        objects: summary.objects,
        bytes: summary.bytes_written,
        select_s,
        write_s,
        open_rss_mb,
        selected_rss_mb,
        peak_rss_mb: peak_rss_mb(),
    })
}

/// The bench's settings: everything in `dir`, test keys generated there.
pub fn bench_settings(base: &Settings, dir: &Path) -> Settings {
    Settings { data_dir: dir.to_owned(), store: None, seal: Default::default(), ..base.clone() }
}

fn json<T: serde::Serialize>(v: &T) -> Bytes {
    Bytes::from(serde_json::to_vec(v).expect("records serialise"))
}

/// Prepare `count` acts in a temporary directory, measure the SIP in a child
/// process (this executable with `bench sip --measure`), remove the
/// directory; returns the child's report.
pub async fn run(base: &Settings, fixture: &Value, count: usize) -> Result<String, BenchError> {
    let dir = std::env::temp_dir().join(format!("acta-bench-sip-{}", uuid::Uuid::now_v7()));
    let result = async {
        let t = Instant::now();
        let siren = prepare(base, &dir, fixture, count.max(1)).await?;
        eprintln!("fixture: {count} acts stored in {:.1} s", t.elapsed().as_secs_f64());
        let exe = std::env::current_exe().map_err(fail)?;
        let mut child = std::process::Command::new(exe);
        child.arg("--data-dir").arg(&dir).args(["bench", "sip", "--measure", &siren]);
        let out = tokio::task::spawn_blocking(move || child.output()).await.map_err(fail)?.map_err(fail)?;
        if !out.status.success() {
            return Err(fail(String::from_utf8_lossy(&out.stderr)));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}
