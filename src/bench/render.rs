//! `acta bench render`: what rendering costs over the template library.
//!
//! Terms:
//! - a *fixture* is one request body of `fixtures/acts/` (one per template
//!   today); its *pages* are those of its rendering, counted once before any
//!   timing;
//! - a *one-page fixture* renders to one page; the others (procès-verbal,
//!   tableau des effectifs…) are *multi-page*;
//! - a *run* renders a list of distinct documents ([`super::vary`]) taken
//!   round-robin over some fixtures, on 1 or 2 threads that pull the next
//!   document from a shared counter (as render slots do);
//! - **one-page acts over the whole library**: the run over every one-page
//!   fixture, the figure of the rendering target (≥ 200 acts/s on 2 threads);
//! - the **library mix**: the run over every fixture, multi-page ones
//!   included, reported in documents/s *and* pages/s;
//! - *per template*: each template's share of the library mix on 1 thread,
//!   as documents/s and pages/s of its own renders (1 / mean latency).
//!
//! Order: the cold render (first of the process), one render of each fixture
//! (page counts, warm-up), the one-page runs (1 then 2 threads; peak RSS
//! read after them), then the library runs.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use time::OffsetDateTime;

use super::{BenchError, Mix, ms, peak_rss_mb, vary};
use crate::service::{Acta, ServiceError};

/// One template's share of the library mix (1 thread).
#[derive(Debug, Clone)]
pub struct TemplateRate {
    /// Template name.
    pub template: String,
    /// Documents of this template rendered in the run.
    pub renders: usize,
    /// Mean pages per document.
    pub pages: f64,
    /// Documents per second (1 / mean latency).
    pub docs_per_sec: f64,
    /// Pages per second.
    pub pages_per_sec: f64,
}

/// Throughput of one run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Throughput {
    /// Documents per second (wall clock).
    pub docs_per_sec: f64,
    /// Pages per second (wall clock).
    pub pages_per_sec: f64,
    /// CPU time of the process per document, ms (Linux only): unlike the
    /// wall clock, barely affected by other processes on the machine.
    pub cpu_ms_per_doc: Option<f64>,
    /// CPU time over wall time: the cores the run kept busy.
    pub cores: Option<f64>,
}

/// Figures of one render benchmark.
#[derive(Debug, Clone)]
pub struct RenderReport {
    /// Number of fixtures rendered.
    pub fixtures: usize,
    /// Templates whose fixture is not one page, with its page count.
    pub multi_page: Vec<(String, usize)>,
    /// What changed from one document to the next.
    pub mix: Mix,
    /// Documents per run.
    pub docs: usize,
    /// First render of the process, milliseconds.
    pub cold_ms: f64,
    /// One-page acts, 1 thread: latency median and 95th percentile (ms).
    pub warm_p50_ms: f64,
    /// 95th percentile.
    pub warm_p95_ms: f64,
    /// One-page acts over the whole library, on 1 and 2 threads.
    pub one_page: [Throughput; 2],
    /// Peak resident memory after the one-page runs (MB).
    pub one_page_peak_rss_mb: Option<f64>,
    /// Every fixture, on 1 and 2 threads.
    pub library: [Throughput; 2],
    /// Per template, from the library run on 1 thread, by name.
    pub per_template: Vec<TemplateRate>,
    /// Peak resident memory of the whole benchmark (MB), from /proc.
    pub peak_rss_mb: Option<f64>,
    /// Average PDF size of one-page acts (bytes).
    pub avg_pdf_bytes: usize,
}

/// One rendered document of a run.
struct Sample {
    fixture: usize,
    latency: Duration,
    pages: usize,
    bytes: usize,
}

/// What a run measured.
struct Run {
    wall: Duration,
    cpu: Option<Duration>,
    samples: Vec<Sample>,
}

impl Run {
    fn throughput(&self) -> Throughput {
        let secs = self.wall.as_secs_f64();
        let pages: usize = self.samples.iter().map(|s| s.pages).sum();
        Throughput {
            docs_per_sec: self.samples.len() as f64 / secs,
            pages_per_sec: pages as f64 / secs,
            cpu_ms_per_doc: self.cpu.map(|cpu| ms(cpu) / self.samples.len().max(1) as f64),
            cores: self.cpu.map(|cpu| cpu.as_secs_f64() / secs),
        }
    }
}

/// CPU time used by the process so far, all threads (user + system), from
/// `/proc/self/stat` (Linux only; in clock ticks of 10 ms).
fn process_cpu() -> Option<Duration> {
    const TICKS_PER_SEC: u64 = 100;
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces): state is the
    // first, utime the 12th, stime the 13th.
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let ticks: u64 = fields.next()?.parse::<u64>().ok()? + fields.next()?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 1000 / TICKS_PER_SEC))
}

/// A document to render: its fixture and its body.
type Doc = (usize, Value);

/// Render `docs` documents per run over `fixtures`. `mix` says what changes
/// from one document to the next.
pub fn render(acta: &Acta, fixtures: &[Value], docs: usize, mix: Mix) -> Result<RenderReport, BenchError> {
    if fixtures.is_empty() {
        return Err(BenchError::Fixtures("no fixture".into()));
    }
    // For each fixture, the collectivités of the same kind as its own: a
    // convocation of a CdG instance cannot be issued by a commune.
    let sirens: Vec<Vec<String>> = fixtures.iter().map(|f| same_kind(acta, f)).collect();
    // Every document of the benchmark is distinct: `next` numbers them.
    let next = AtomicUsize::new(0);
    let doc = |fixture: usize| -> Doc {
        let i = next.fetch_add(1, Ordering::Relaxed);
        (fixture, vary::variant(&fixtures[fixture], i, mix, &sirens[fixture]))
    };
    let at = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or_else(|_| OffsetDateTime::now_utc());

    let cold_body = doc(0);
    let start = Instant::now();
    preview(acta, &cold_body.1, at)?;
    let cold = start.elapsed();

    let mut pages = Vec::with_capacity(fixtures.len());
    for f in 0..fixtures.len() {
        pages.push(preview(acta, &doc(f).1, at)?.1);
    }
    let one_page_fixtures: Vec<usize> = (0..fixtures.len()).filter(|&f| pages[f] == 1).collect();
    if one_page_fixtures.is_empty() {
        return Err(BenchError::Fixtures("no fixture renders to one page".into()));
    }
    let round_robin = |over: &[usize]| -> Vec<Doc> { (0..docs).map(|i| doc(over[i % over.len()])).collect() };

    let one_page_1 = run(acta, &round_robin(&one_page_fixtures), 1, at)?;
    let one_page_2 = run(acta, &round_robin(&one_page_fixtures), 2, at)?;
    let one_page_peak_rss_mb = peak_rss_mb();
    let all: Vec<usize> = (0..fixtures.len()).collect();
    let library_1 = run(acta, &round_robin(&all), 1, at)?;
    let library_2 = run(acta, &round_robin(&all), 2, at)?;

    let mut latencies: Vec<Duration> = one_page_1.samples.iter().map(|s| s.latency).collect();
    latencies.sort();
    let pct = |p: f64| ms(latencies[((latencies.len() as f64 - 1.0) * p) as usize]);
    let bytes: usize = one_page_1.samples.iter().map(|s| s.bytes).sum();
    let name = |f: usize| fixtures[f]["template"].as_str().unwrap_or("?").to_owned();
    Ok(RenderReport {
        fixtures: fixtures.len(),
        multi_page: (0..fixtures.len()).filter(|&f| pages[f] != 1).map(|f| (name(f), pages[f])).collect(),
        mix,
        docs,
        cold_ms: ms(cold),
        warm_p50_ms: pct(0.5),
        warm_p95_ms: pct(0.95),
        one_page: [one_page_1.throughput(), one_page_2.throughput()],
        one_page_peak_rss_mb,
        library: [library_1.throughput(), library_2.throughput()],
        per_template: per_template(&library_1.samples, name),
        peak_rss_mb: peak_rss_mb(),
        avg_pdf_bytes: bytes / one_page_1.samples.len().max(1),
    })
}

/// Render `docs` on `threads` threads, each taking the next document.
fn run(acta: &Acta, docs: &[Doc], threads: usize, at: OffsetDateTime) -> Result<Run, BenchError> {
    let next = AtomicUsize::new(0);
    let work = || -> Result<Vec<Sample>, BenchError> {
        let mut samples = Vec::new();
        while let Some((fixture, body)) = docs.get(next.fetch_add(1, Ordering::Relaxed)) {
            let t = Instant::now();
            let (pdf, pages) = preview(acta, body, at)?;
            samples.push(Sample { fixture: *fixture, latency: t.elapsed(), pages, bytes: pdf.len() });
        }
        Ok(samples)
    };
    let (start, cpu) = (Instant::now(), process_cpu());
    let parts = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads).map(|_| s.spawn(work)).collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| BenchError::Fixtures("render thread panicked".into()))?)
            .collect::<Result<Vec<_>, _>>()
    })?;
    let cpu = cpu.zip(process_cpu()).map(|(before, after)| after.saturating_sub(before));
    Ok(Run { wall: start.elapsed(), cpu, samples: parts.into_iter().flatten().collect() })
}

/// Each template's documents/s and pages/s in `samples`, by name.
fn per_template(samples: &[Sample], name: impl Fn(usize) -> String) -> Vec<TemplateRate> {
    let mut by_name: BTreeMap<String, (usize, usize, Duration)> = BTreeMap::new();
    for s in samples {
        let e = by_name.entry(name(s.fixture)).or_default();
        *e = (e.0 + 1, e.1 + s.pages, e.2 + s.latency);
    }
    by_name
        .into_iter()
        .map(|(template, (renders, pages, time))| TemplateRate {
            template,
            renders,
            pages: pages as f64 / renders as f64,
            docs_per_sec: renders as f64 / time.as_secs_f64(),
            pages_per_sec: pages as f64 / time.as_secs_f64(),
        })
        .collect()
}

/// [`Acta::preview_counted`], naming the template and the fields of a refused request.
fn preview(acta: &Acta, body: &Value, at: OffsetDateTime) -> Result<(Vec<u8>, usize), BenchError> {
    acta.preview_counted(body, at).map_err(|e| match e {
        ServiceError::Invalid(fields) => BenchError::Invalid(format!(
            "{} refused: {}",
            body["template"],
            fields.iter().map(|f| format!("{} : {}", f.path, f.message)).collect::<Vec<_>>().join("; ")
        )),
        other => other.into(),
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

impl std::fmt::Display for RenderReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mix = match self.mix {
            Mix::Agents => "the people",
            Mix::Collectivites => "the people and the collectivité",
        };
        let cpu = |t: &Throughput| match (t.cpu_ms_per_doc, t.cores) {
            (Some(ms), Some(cores)) => format!(" ({ms:.1} ms CPU/doc, {cores:.2} cores)"),
            _ => String::new(),
        };
        let rss = |mb: Option<f64>| mb.map_or("n/a".to_owned(), |mb| format!("{mb:.0} MB"));
        writeln!(f, "templates rendered      {}", self.fixtures)?;
        writeln!(f, "each document changes   {mix}")?;
        writeln!(f, "documents per run       {}", self.docs)?;
        writeln!(f, "cold first render       {:.1} ms", self.cold_ms)?;
        let one_page = self.fixtures - self.multi_page.len();
        writeln!(f, "one-page acts over the whole library ({one_page} templates, round-robin):")?;
        writeln!(f, "  render p50 / p95      {:.1} / {:.1} ms", self.warm_p50_ms, self.warm_p95_ms)?;
        for (threads, t) in [(1, self.one_page[0]), (2, self.one_page[1])] {
            let s = if threads == 1 { " " } else { "s" };
            writeln!(f, "  one-page acts, {threads} thread{s} {:.0} acts/s{}", t.docs_per_sec, cpu(&t))?;
        }
        writeln!(f, "  average PDF size      {:.1} KB", self.avg_pdf_bytes as f64 / 1024.0)?;
        writeln!(f, "  peak RSS              {}", rss(self.one_page_peak_rss_mb))?;
        let multi: Vec<String> = self.multi_page.iter().map(|(t, p)| format!("{t} {p} p.")).collect();
        writeln!(f, "library mix ({} templates; multi-page: {}):", self.fixtures, multi.join(", "))?;
        for (threads, t) in [(1, self.library[0]), (2, self.library[1])] {
            let s = if threads == 1 { " " } else { "s" };
            writeln!(
                f,
                "  throughput, {threads} thread{s}  {:.0} docs/s, {:.0} pages/s{}",
                t.docs_per_sec,
                t.pages_per_sec,
                cpu(&t)
            )?;
        }
        writeln!(f, "  peak RSS              {}", rss(self.peak_rss_mb))?;
        writeln!(f, "per template (library mix, 1 thread):")?;
        writeln!(f, "  {:<36} {:>6} {:>8} {:>8}", "template", "pages", "docs/s", "pages/s")?;
        for t in &self.per_template {
            writeln!(
                f,
                "  {:<36} {:>6.1} {:>8.0} {:>8.0}",
                t.template, t.pages, t.docs_per_sec, t.pages_per_sec
            )?;
        }
        Ok(())
    }
}
