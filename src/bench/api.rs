//! `acta bench api`: the per-act pipeline as API clients drive it — `clients`
//! gestionnaires each creating a one-page arrêté (`POST /api/v1/acts`) then
//! sealing it (`POST /api/v1/acts/{id}/seal`), over real HTTP against the
//! real service, started in this process ([`Application::build`](crate::startup::Application::build)) on an
//! ephemeral port with a throw-away data directory (local store).
//!
//! Every act is distinct (other agent, [`vary`]). A few acts warm the
//! service first (templates compiled, registers read), untimed. Reported:
//! acts/s over the timed run, p50 / p99 of each call, and the process's
//! resident memory (the server plus this small client): before the run, its
//! peak (sampled every 20 ms), the median of the samples of the run's second
//! half (steady), and after a few idle seconds. The run is then checked:
//! every act sealed under consecutive numbers with one leaf each, and the
//! store's audit clean.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::fairness::{client, pct, rss_mb};
use super::{BenchError, ms, vary};
use crate::config::Settings;

/// Acts made before timing.
const WARM_UP: usize = 12;
/// Idle seconds before the last memory reading.
const SETTLE_SECS: u64 = 3;

/// Figures of one run.
#[derive(Debug, Clone, Default)]
pub struct ApiReport {
    /// Acts timed, and concurrent clients.
    pub acts: usize,
    /// Concurrent clients.
    pub clients: usize,
    /// Duration of the timed run (s).
    pub seconds: f64,
    /// `POST /api/v1/acts`: p50, p99 (ms).
    pub create: (f64, f64),
    /// `POST /api/v1/acts/{id}/seal`: p50, p99 (ms).
    pub seal: (f64, f64),
    /// Resident memory (MB): before, peak, steady (median of the second
    /// half), after settling.
    pub rss: (f64, f64, f64, f64),
    /// Register entries, leaves and sealed acts the audit found, and its problems.
    pub audit: (usize, u64, usize, usize),
    /// Whether the numbers handed out are 1..=n with no gap or repeat.
    pub consecutive: bool,
}

/// Run the benchmark: `acts` timed acts made by `clients` concurrent clients
/// from the one-page request `fixture`.
pub async fn api(
    base: &Settings,
    fixture: &Value,
    acts: usize,
    clients: usize,
) -> Result<ApiReport, BenchError> {
    super::in_scratch_dir("api", |dir| async move { run(base, &dir, fixture, acts, clients.max(1)).await })
        .await
}

async fn run(
    base: &Settings,
    dir: &std::path::Path,
    fixture: &Value,
    acts: usize,
    clients: usize,
) -> Result<ApiReport, BenchError> {
    let err = |e: &dyn std::fmt::Display| BenchError::Invalid(e.to_string());
    let (url, acta) = super::serve_here(super::scratch_settings(base, dir)).await?;
    let client = client(acta.store()).await?;
    let body = {
        let fixture = fixture.clone();
        move |i: usize| vary::variant(&fixture, i, vary::Mix::Agents, &[])
    };
    for i in 0..WARM_UP {
        make(&client, &url, &body(i)).await?;
    }
    let rss = || rss_mb(None).unwrap_or(0.0);
    let before = rss();

    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = Arc::clone(&done);
        tokio::spawn(async move {
            let mut samples = Vec::new();
            while !done.load(Ordering::Relaxed) {
                samples.push(rss());
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            samples
        })
    };
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (client, url, next, body) = (client.clone(), url.clone(), Arc::clone(&next), body.clone());
            tokio::spawn(async move {
                let mut took = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= acts {
                        return Ok::<_, BenchError>(took);
                    }
                    took.push(make(&client, &url, &body(WARM_UP + i)).await?);
                }
            })
        })
        .collect();
    let (mut create, mut seal) = (Vec::with_capacity(acts), Vec::with_capacity(acts));
    for task in tasks {
        for (c, s) in task.await.map_err(|e| err(&e))?? {
            create.push(c);
            seal.push(s);
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let samples = sampler.await.map_err(|e| err(&e))?;
    let peak = samples.iter().copied().fold(before, f64::max);
    let mut second_half = samples[samples.len() / 2..].to_vec();
    let steady = pct(&mut second_half, 0.5);
    tokio::time::sleep(Duration::from_secs(SETTLE_SECS)).await;
    let after = rss();

    let audit = acta.audit().await.map_err(|e| err(&e))?;
    for p in &audit.problems {
        tracing::error!(code = p.code, subject = %p.subject, "{}", p.message);
    }
    let mut seqs: Vec<u64> = crate::register::all_entries(acta.store())
        .await
        .map_err(|e| err(&e))?
        .iter()
        .map(|e| e.seq)
        .collect();
    seqs.sort_unstable();
    let consecutive = seqs.iter().copied().eq(1..=(acts + WARM_UP) as u64);
    Ok(ApiReport {
        acts,
        clients,
        seconds,
        create: (pct(&mut create, 0.5), pct(&mut create, 0.99)),
        seal: (pct(&mut seal, 0.5), pct(&mut seal, 0.99)),
        rss: (before, peak, steady, after),
        audit: (audit.entries, audit.log_size, audit.sealed, audit.problems.len()),
        consecutive,
    })
}

/// Create then seal one act; the latency of each call (ms).
async fn make(client: &reqwest::Client, url: &str, body: &Value) -> Result<(f64, f64), BenchError> {
    let fail = |what: &str, e: &dyn std::fmt::Display| BenchError::Invalid(format!("{what}: {e}"));
    let start = Instant::now();
    let response = client
        .post(format!("{url}/api/v1/acts"))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| fail("POST /api/v1/acts", &e))?;
    let status = response.status().as_u16();
    let created = response.bytes().await.map_err(|e| fail("POST /api/v1/acts", &e))?;
    let created: Value = serde_json::from_slice(&created).map_err(|e| fail("POST /api/v1/acts", &e))?;
    if status != 201 {
        return Err(BenchError::Invalid(format!("POST /api/v1/acts answered {status}: {created}")));
    }
    let create = ms(start.elapsed());
    let id = created["id"].as_str().unwrap_or_default();
    let start = Instant::now();
    let response = client
        .post(format!("{url}/api/v1/acts/{id}/seal"))
        .send()
        .await
        .map_err(|e| fail("POST …/seal", &e))?;
    let status = response.status().as_u16();
    let sealed = response.bytes().await.map_err(|e| fail("POST …/seal", &e))?;
    if status != 200 {
        return Err(BenchError::Invalid(format!(
            "POST …/seal answered {status}: {}",
            String::from_utf8_lossy(&sealed)
        )));
    }
    Ok((create, ms(start.elapsed())))
}

impl std::fmt::Display for ApiReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "acts (create + seal)    {} by {} clients", self.acts, self.clients)?;
        writeln!(
            f,
            "throughput              {:.1} acts/s ({:.1} s)",
            self.acts as f64 / self.seconds,
            self.seconds
        )?;
        writeln!(f, "create p50 / p99        {:.1} / {:.1} ms", self.create.0, self.create.1)?;
        writeln!(f, "seal p50 / p99          {:.1} / {:.1} ms", self.seal.0, self.seal.1)?;
        let (before, peak, steady, after) = self.rss;
        writeln!(f, "RSS before the run      {before:.0} MB")?;
        writeln!(f, "RSS steady (2nd half)   {steady:.0} MB")?;
        writeln!(f, "peak RSS                {peak:.0} MB")?;
        writeln!(f, "RSS after {SETTLE_SECS} s idle      {after:.0} MB")?;
        let (entries, leaves, sealed, problems) = self.audit;
        writeln!(f, "numbers consecutive     {}", if self.consecutive { "yes" } else { "NO" })?;
        writeln!(
            f,
            "audit                   {entries} entries, {leaves} leaves, {sealed} PDFs, {problems} problems"
        )
    }
}
