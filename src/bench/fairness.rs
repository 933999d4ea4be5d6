//! `acta bench fairness`: one collectivité sends a few very long drafts while
//! another creates one-page acts, over real HTTP against the real service.
//!
//! Collectivité A (the procès-verbal fixture's) posts `heavy` procès-verbaux
//! of about 300 pages each (60 affaires, long discussions; every paragraph
//! distinct, so that Typst's memoization cannot serve one from another) all
//! at once. Meanwhile collectivité B (the arrêté fixture's) creates one-page
//! arrêtés one after the other, with `light_clients` gestionnaires at work,
//! until every long draft is answered. Reported: B's latency alone first
//! (baseline) then during the burst (p50 / p99 / max), the long drafts'
//! latencies, the process's resident memory (peak, at the end of the burst,
//! then each second while idle for `settle_secs`), and when it fell under
//! 250 MB.
//!
//! The service is started in this process ([`Application::build`](crate::startup::Application::build), temporary
//! data directory) or, with `--url` and `--pid`, is a server already running
//! on `--data-dir` (to measure another build, e.g. before a change): the
//! bench then reads that process's memory from /proc.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{BenchError, ms, vary};
use crate::auth::{Role, TokenRequest, Tokens};
use crate::config::Settings;
use crate::store::Store;

/// Resident memory the process must fall under after the burst (MB).
const SETTLED_MB: f64 = 250.0;
/// Affaires of a long procès-verbal (the schema's maximum).
const AFFAIRES: usize = 60;
/// One-page acts timed before the burst.
const BASELINE: usize = 30;

/// What to run.
#[derive(Debug, Clone)]
pub struct FairnessOptions {
    /// Long drafts sent at once by collectivité A.
    pub heavy: usize,
    /// Discussion paragraphs (≈ 1 900 characters each) per affaire of a long
    /// draft: 14 make about 300 pages (a 1.8 MB request).
    pub discussions: usize,
    /// Collectivité B's gestionnaires creating one-page acts concurrently.
    pub light_clients: usize,
    /// Seconds of idle observation after the burst.
    pub settle_secs: u64,
    /// The procès-verbal request the long drafts are made from.
    pub pv_fixture: Value,
    /// The one-page request (its collectivité must differ from the PV's).
    pub light_fixture: Value,
    /// A server already running, instead of one started here.
    pub external: Option<External>,
}

/// A server run by someone else.
#[derive(Debug, Clone)]
pub struct External {
    /// Its base URL, e.g. `http://127.0.0.1:8080`.
    pub url: String,
    /// Its process id, for its resident memory.
    pub pid: u32,
}

/// Figures of one run.
#[derive(Debug, Clone, Default)]
pub struct FairnessReport {
    /// Long drafts sent, their size (KB) and pages (when rendered here).
    pub heavy: usize,
    /// Request size of one long draft (KB).
    pub heavy_kb: usize,
    /// Pages of one long draft (in-process runs only).
    pub heavy_pages: Option<usize>,
    /// Each long draft: (HTTP status, seconds).
    pub heavy_results: Vec<(u16, f64)>,
    /// One-page acts alone: p50, p99 (ms).
    pub baseline: (f64, f64),
    /// One-page acts during the burst: count, p50, p99, max (ms).
    pub light: (usize, f64, f64, f64),
    /// One-page acts not answered 201 during the burst.
    pub light_failures: usize,
    /// Resident memory (MB): before the burst, peak, end of the burst, after settling.
    pub rss: (f64, f64, f64, f64),
    /// Seconds after the burst when resident memory fell under 250 MB.
    pub settled_after: Option<u64>,
}

/// Run the benchmark.
pub async fn fairness(base: &Settings, opts: FairnessOptions) -> Result<FairnessReport, BenchError> {
    super::in_scratch_dir("fairness", |dir| async move { run(base, &dir, opts).await }).await
}

async fn run(
    base: &Settings,
    dir: &std::path::Path,
    opts: FairnessOptions,
) -> Result<FairnessReport, BenchError> {
    let err = |e: &dyn std::fmt::Display| BenchError::Invalid(e.to_string());
    let (url, pid, store, acta) = match &opts.external {
        Some(ext) => {
            let store = Store::local(&base.store_dir()).map_err(|e| err(&e))?;
            (ext.url.clone(), Some(ext.pid), store, None)
        }
        None => {
            let (url, acta) = super::serve_here(super::scratch_settings(base, dir)).await?;
            (url, None, acta.store().clone(), Some(acta))
        }
    };
    let client = client(&store).await?;
    let rss = move || rss_mb(pid).unwrap_or(0.0);
    let pv = opts.pv_fixture.clone();
    let heavy: Vec<Value> = (0..opts.heavy).map(|i| long_minutes(&pv, i, opts.discussions)).collect();
    let light_siren = opts.light_fixture["collectivite"].as_str().unwrap_or_default().to_owned();
    let light = move |i: usize| vary::variant(&opts.light_fixture, i, vary::Mix::Agents, &[]);
    let mut report = FairnessReport {
        heavy: opts.heavy,
        heavy_kb: heavy.first().map_or(0, |b| b.to_string().len() / 1024),
        ..FairnessReport::default()
    };
    if light_siren == pv["collectivite"].as_str().unwrap_or_default() {
        return Err(BenchError::Invalid("the two fixtures must be of two collectivités".into()));
    }

    let mut alone = Vec::with_capacity(BASELINE);
    for i in 0..BASELINE {
        let (status, took) = post(&client, &url, &light(i)).await?;
        if status != 201 {
            return Err(BenchError::Invalid(format!("one-page act answered {status}")));
        }
        alone.push(took);
    }
    report.baseline = (pct(&mut alone, 0.5), pct(&mut alone, 0.99));
    let rss_before = rss();

    let burst = burst(&client, &url, heavy, light, opts.light_clients, rss).await?;
    let mut during = burst.light;
    let end = rss();
    let max = during.iter().copied().fold(0.0, f64::max);
    report.light = (during.len(), pct(&mut during, 0.5), pct(&mut during, 0.99), max);
    report.light_failures = burst.light_failures;
    report.heavy_results = burst.heavy;

    report.settled_after = (end < SETTLED_MB).then_some(0);
    for second in 1..=opts.settle_secs {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if report.settled_after.is_none() && rss() < SETTLED_MB {
            report.settled_after = Some(second);
        }
    }
    report.rss = (rss_before, burst.peak_rss.max(rss_before).max(end), end, rss());
    if let Some(acta) = acta {
        // After the measurements: how long the long drafts were.
        let pages =
            acta.preview_counted(&long_minutes(&pv, 0, opts.discussions), time::OffsetDateTime::now_utc());
        report.heavy_pages = pages.ok().map(|(_, n)| n);
    }
    Ok(report)
}

/// What happened during the burst.
struct Burst {
    /// Each long draft: (HTTP status, seconds).
    heavy: Vec<(u16, f64)>,
    /// Latencies of the one-page acts answered 201 (ms).
    light: Vec<f64>,
    light_failures: usize,
    peak_rss: f64,
}

/// Send the long drafts at once and one-page acts from `clients` loops until
/// every long draft is answered, sampling resident memory every 20 ms.
async fn burst(
    client: &reqwest::Client,
    url: &str,
    heavy: Vec<Value>,
    light: impl Fn(usize) -> Value + Clone + Send + 'static,
    clients: usize,
    rss: impl Fn() -> f64 + Copy + Send + 'static,
) -> Result<Burst, BenchError> {
    let err = |e: &dyn std::fmt::Display| BenchError::Invalid(e.to_string());
    let peak = Arc::new(AtomicU64::new(0f64.to_bits()));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (Arc::clone(&peak), Arc::clone(&done));
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                let now = rss();
                if now > f64::from_bits(peak.load(Ordering::Relaxed)) {
                    peak.store(now.to_bits(), Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let heavy_tasks: Vec<_> = heavy
        .into_iter()
        .map(|body| {
            let (client, url) = (client.clone(), url.to_owned());
            tokio::spawn(async move { post(&client, &url, &body).await })
        })
        .collect();
    let light_tasks: Vec<_> = (0..clients.max(1))
        .map(|k| {
            let (client, url, done, light) =
                (client.clone(), url.to_owned(), Arc::clone(&done), light.clone());
            tokio::spawn(async move {
                let (mut took, mut failures) = (Vec::new(), 0);
                let mut i = BASELINE + k * 100_000;
                while !done.load(Ordering::Relaxed) {
                    match post(&client, &url, &light(i)).await {
                        Ok((201, t)) => took.push(t),
                        _ => failures += 1,
                    }
                    i += 1;
                }
                (took, failures)
            })
        })
        .collect();
    let mut out = Burst { heavy: Vec::new(), light: Vec::new(), light_failures: 0, peak_rss: 0.0 };
    for task in heavy_tasks {
        let (status, took) = task.await.map_err(|e| err(&e))??;
        out.heavy.push((status, took / 1000.0));
    }
    done.store(true, Ordering::Relaxed);
    for task in light_tasks {
        let (took, failures) = task.await.map_err(|e| err(&e))?;
        out.light.extend(took);
        out.light_failures += failures;
    }
    let _ = sampler.await;
    out.peak_rss = f64::from_bits(peak.load(Ordering::Relaxed));
    Ok(out)
}

/// A client sending a fresh administrator token of `store`.
pub(super) async fn client(store: &Store) -> Result<reqwest::Client, BenchError> {
    let now = time::OffsetDateTime::now_utc();
    let req = TokenRequest {
        role: Role::Admin,
        collectivites: Vec::new(),
        expires_at: now + time::Duration::days(1),
    };
    let (_, token) = Tokens::new(store.clone())
        .create(&req, |_| true, now)
        .await
        .map_err(|e| BenchError::Invalid(format!("token: {e}")))?;
    let mut headers = reqwest::header::HeaderMap::new();
    let bearer = reqwest::header::HeaderValue::from_str(&format!("Bearer {}", token.expose()))
        .map_err(|e| BenchError::Invalid(e.to_string()))?;
    headers.insert(reqwest::header::AUTHORIZATION, bearer);
    reqwest::Client::builder()
        .default_headers(headers)
        .timeout(Duration::from_secs(600))
        .build()
        .map_err(|e| BenchError::Invalid(e.to_string()))
}

/// POST a draft; its status and latency (ms).
async fn post(client: &reqwest::Client, url: &str, body: &Value) -> Result<(u16, f64), BenchError> {
    let start = Instant::now();
    let response = client
        .post(format!("{url}/api/v1/acts"))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| BenchError::Invalid(format!("POST /api/v1/acts: {e}")))?;
    let status = response.status().as_u16();
    let _ = response.bytes().await;
    Ok((status, ms(start.elapsed())))
}

/// The `p` percentile of `values` (sorted in place); 0 when empty.
pub(super) fn pct(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    values[((values.len() - 1) as f64 * p).round() as usize]
}

/// Resident memory (MB) of process `pid`, or of this one.
pub(super) fn rss_mb(pid: Option<u32>) -> Option<f64> {
    let path = pid.map_or_else(|| "/proc/self/status".to_owned(), |p| format!("/proc/{p}/status"));
    let status = std::fs::read_to_string(path).ok()?;
    let kb: f64 =
        status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Sentences of the discussions of a conseil municipal.
const SENTENCES: [&str; 10] = [
    "Le rapporteur rappelle que le projet a été examiné par la commission des finances, qui a émis un avis favorable.",
    "Une conseillère de l'opposition demande si le coût des travaux tient compte de la hausse des prix de l'énergie.",
    "Le maire répond que l'estimation a été actualisée au mois de janvier et qu'une marge de dix pour cent est prévue.",
    "Un conseiller souhaite que les riverains soient consultés avant le début du chantier, en particulier rue des Écoles.",
    "L'adjoint chargé de l'urbanisme précise que deux réunions publiques se tiendront en salle des fêtes au printemps.",
    "Il est demandé que le calendrier des travaux soit communiqué aux associations qui utilisent le gymnase le samedi.",
    "Le directeur général des services indique que la subvention départementale a été notifiée le 12 février dernier.",
    "Une conseillère s'interroge sur l'entretien des espaces verts et sur le recours à une entreprise d'insertion.",
    "Le maire rappelle que le budget primitif prévoit les crédits nécessaires au chapitre 23, immobilisations en cours.",
    "Après ces échanges, le président de séance propose de passer au vote, aucune autre demande de parole n'étant faite.",
];

/// A paragraph of about 1 900 characters (under the schema's 2 000), distinct for each `seed`.
fn paragraph(seed: usize) -> String {
    let mut p = format!("Intervention n° {seed}.");
    let mut k = seed;
    loop {
        let next = SENTENCES[k % SENTENCES.len()];
        if p.chars().count() + 1 + next.chars().count() > 1_950 {
            return p;
        }
        p.push(' ');
        p.push_str(next);
        k = k.wrapping_mul(7).wrapping_add(3);
    }
}

/// Procès-verbal `doc` of [`AFFAIRES`] affaires with `discussions` long
/// paragraphs each, made from `fixture` (whose affaires are repeated with new
/// numbers, reports and discussions).
pub fn long_minutes(fixture: &Value, doc: usize, discussions: usize) -> Value {
    let mut body = fixture.clone();
    let affaires: Vec<Value> = body["data"]["affaires"].as_array().cloned().unwrap_or_default();
    if affaires.is_empty() {
        return body;
    }
    let seed = |k: usize, j: usize| doc * 1_000_000 + k * 1_000 + j;
    let long: Vec<Value> = (0..AFFAIRES)
        .map(|k| {
            let mut a = affaires[k % affaires.len()].clone();
            a["numero"] = format!("2026_DEL_{:05}", 100 + k).into();
            a["rapport"] = paragraph(seed(k, 999)).into();
            a["discussions"] = (0..discussions).map(|j| Value::from(paragraph(seed(k, j)))).collect();
            a
        })
        .collect();
    body["data"]["affaires"] = Value::Array(long);
    body
}

impl std::fmt::Display for FairnessReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pages = self.heavy_pages.map_or_else(|| "? pages".to_owned(), |n| format!("{n} pages"));
        writeln!(f, "long drafts (A)         {} x {pages}, {} KB each", self.heavy, self.heavy_kb)?;
        let results: Vec<String> =
            self.heavy_results.iter().map(|(s, t)| format!("{s} in {t:.1} s")).collect();
        writeln!(f, "  answered              {}", results.join(", "))?;
        writeln!(
            f,
            "one-page acts (B) alone p50 / p99            {:.0} / {:.0} ms",
            self.baseline.0, self.baseline.1
        )?;
        let (n, p50, p99, max) = self.light;
        writeln!(f, "one-page acts (B) during the burst           {n} acts, {} failed", self.light_failures)?;
        writeln!(f, "  p50 / p99 / max       {p50:.0} / {p99:.0} / {max:.0} ms")?;
        let (before, peak, end, after) = self.rss;
        writeln!(f, "RSS before the burst    {before:.0} MB")?;
        writeln!(f, "peak RSS                {peak:.0} MB")?;
        writeln!(f, "RSS at end of burst     {end:.0} MB")?;
        writeln!(f, "RSS after settling      {after:.0} MB")?;
        match self.settled_after {
            Some(s) => writeln!(f, "under {SETTLED_MB:.0} MB after     {s} s"),
            None => writeln!(f, "under {SETTLED_MB:.0} MB after     never (within the observation)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_minutes_are_distinct_valid_sized_paragraphs() {
        let fixture = serde_json::json!({ "data": { "affaires": [{ "numero": "1", "discussions": [] }] } });
        let (a, b) = (long_minutes(&fixture, 0, 3), long_minutes(&fixture, 1, 3));
        let affaires = a["data"]["affaires"].as_array().unwrap();
        assert_eq!(affaires.len(), AFFAIRES);
        assert_eq!(affaires[59]["numero"], "2026_DEL_00159");
        let p = affaires[0]["discussions"][2].as_str().unwrap();
        assert!((1_700..=1_950).contains(&p.chars().count()), "{}", p.chars().count());
        assert_ne!(a["data"]["affaires"][0]["discussions"][0], b["data"]["affaires"][0]["discussions"][0]);
    }
}
