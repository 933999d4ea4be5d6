//! The search benchmark: `acta bench corpus` writes realistic fictitious acts
//! straight into an index (no HTTP, no store), `acta bench search` times
//! typical queries on it. Figures are printed, never asserted.
//!
//! The corpus is deterministic (a fixed seed): 1 200 collectivités, acts from
//! 2010 to 2026, two thirds individual career acts (with an agent: restricted
//! fields), the rest délibérations, police, convocations and procès-verbaux,
//! with French sentences drawn from the vocabulary of those acts.

use std::path::Path;
use std::time::{Duration, Instant};

mod data;
pub mod peer;

pub use data::siren;
use data::{NATURAL_QUERIES, QUERIES, Rng, act, pick, typical_params};

use super::{Scope, SearchError, SearchIndex, SearchRequest, Synonyms, WriterOptions};
use crate::bench::{peak_rss_mb, status_mb};

/// Collectivités of the corpus.
pub const COLLECTIVITES: u64 = 1_200;
/// Seed of the corpus (the peer export draws the same acts).
const CORPUS_SEED: u64 = 0x5eed_ac7a;
/// Seed of the query draws (the peer export draws the same).
const QUERY_SEED: u64 = 0x0b5e_55ed;
/// Queries run to warm caches before timing, per kind.
const WARM_UP: usize = 50;
/// Acts staged per batch.
const BATCH: usize = 5_000;
/// Slowest queries of each kind shown.
const SLOWEST: usize = 3;

/// Figures of one corpus build.
#[derive(Debug, Clone)]
pub struct CorpusReport {
    /// Acts indexed.
    pub count: usize,
    /// Generation + indexing + final commit.
    pub elapsed: Duration,
    /// Peak resident memory of the process (MB), file-backed pages included.
    pub peak_rss_mb: Option<f64>,
    /// Peak of the process's own memory (heap, `RssAnon`, MB), sampled.
    pub peak_anon_mb: f64,
    /// Peak of the index files' pages mapped in memory (`RssFile`, MB),
    /// sampled: page cache the kernel reclaims at will.
    pub peak_file_mb: f64,
    /// Size of the index directory (bytes).
    pub index_bytes: u64,
}

/// Latencies of one kind of query.
#[derive(Debug, Clone)]
pub struct Latency {
    /// What was asked.
    pub label: &'static str,
    /// Queries run.
    pub queries: usize,
    /// Median (ms).
    pub p50_ms: f64,
    /// 99th percentile (ms).
    pub p99_ms: f64,
    /// Mean number of matching acts.
    pub mean_total: f64,
    /// The slowest queries (ms, what was asked): what the p99 is made of.
    pub slowest: Vec<(f64, String)>,
}

/// Figures of one query benchmark.
#[derive(Debug, Clone)]
pub struct SearchReport {
    /// Acts in the index.
    pub acts: u64,
    /// One line per kind of query.
    pub latencies: Vec<Latency>,
}

/// Generate `count` acts into a fresh index at `dir`.
pub fn corpus(dir: &Path, count: usize, options: WriterOptions) -> Result<CorpusReport, SearchError> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .map_err(|e| SearchError::Directory(format!("{}: {e}", dir.display())))?;
    }
    let index = SearchIndex::open_with(dir, Synonyms::builtin(), options)?;
    let sampler = RssSampler::start();
    let start = Instant::now();
    let mut rng = Rng(CORPUS_SEED);
    let mut batch = Vec::with_capacity(BATCH);
    for k in 0..count {
        batch.push(act(&mut rng, k));
        if batch.len() == BATCH {
            index.stage_new(&batch)?;
            batch.clear();
        }
    }
    index.stage_new(&batch)?;
    index.commit()?;
    let elapsed = start.elapsed();
    let (peak_anon_mb, peak_file_mb) = sampler.stop();
    Ok(CorpusReport {
        count,
        elapsed,
        peak_rss_mb: peak_rss_mb(),
        peak_anon_mb,
        peak_file_mb,
        index_bytes: dir_size(dir),
    })
}

/// Time `queries` queries of each typical kind on the index at `dir`.
pub fn search(dir: &Path, queries: usize) -> Result<SearchReport, SearchError> {
    let index = SearchIndex::open(dir, Synonyms::builtin())?;
    let mut rng = Rng(QUERY_SEED);
    let typical = |rng: &mut Rng| {
        let params = typical_params(rng);
        SearchRequest::from_params(params.iter().map(|(k, v)| (*k, v.as_str())))
    };
    let words_only = |rng: &mut Rng| SearchRequest::from_params([("q", pick(rng, QUERIES))]);
    let natural = |rng: &mut Rng| SearchRequest::from_params([("q", pick(rng, NATURAL_QUERIES))]);
    let one_collectivite = |rng: &mut Rng| {
        let s = siren(rng.below(COLLECTIVITES));
        SearchRequest::from_params([("collectivite", s.as_str()), ("sort", "date_desc")])
    };
    let kinds: [(&'static str, &MakeRequest); 4] = [
        ("two words + collectivité + years + facets", &typical),
        ("two words, all collectivités + facets", &words_only),
        ("natural French, all collectivités + facets", &natural),
        ("no words, one collectivité by date + facets", &one_collectivite),
    ];
    let mut latencies = Vec::new();
    for (label, make) in kinds {
        // Warm the page cache and the searcher's caches first.
        for _ in 0..queries.min(WARM_UP) {
            index.search(&make(&mut rng)?, &Scope::all())?;
        }
        let mut times = Vec::with_capacity(queries);
        let mut total = 0usize;
        for _ in 0..queries {
            let req = make(&mut rng)?;
            let t = Instant::now();
            let found = index.search(&req, &Scope::all())?.total;
            times.push((t.elapsed(), req, found));
            total += found;
        }
        times.sort_by_key(|(t, _, _)| *t);
        let ms = |t: Duration| t.as_secs_f64() * 1000.0;
        let pct =
            |p: f64| times.get(((times.len() as f64 - 1.0) * p) as usize).map_or(0.0, |(t, _, _)| ms(*t));
        let slowest =
            times.iter().rev().take(SLOWEST).map(|(t, req, found)| (ms(*t), describe(req, *found))).collect();
        latencies.push(Latency {
            label,
            queries,
            p50_ms: pct(0.5),
            p99_ms: pct(0.99),
            mean_total: total as f64 / queries.max(1) as f64,
            slowest,
        });
    }
    Ok(SearchReport { acts: index.len(), latencies })
}

/// A request and its number of hits, in one line.
fn describe(req: &SearchRequest, found: usize) -> String {
    let f = &req.filters;
    let mut out = format!("« {} »", req.text);
    if !f.collectivites.is_empty() {
        out.push_str(&format!(" in {} collectivité(s)", f.collectivites.len()));
    }
    if let (Some(a), Some(b)) = (f.year_from, f.year_to) {
        out.push_str(&format!(" {a}–{b}"));
    }
    out.push_str(&format!(": {found} hits"));
    out
}

/// Draws one request of a kind.
type MakeRequest = dyn Fn(&mut Rng) -> Result<SearchRequest, SearchError>;

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten().filter_map(|e| e.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum()
        })
        .unwrap_or(0)
}

/// Samples `RssAnon` and `RssFile` every 50 ms and keeps their peaks.
struct RssSampler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    handle: std::thread::JoinHandle<(f64, f64)>,
}

impl RssSampler {
    fn start() -> Self {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = std::sync::Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            let mut peak = (0.0f64, 0.0f64);
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                if let (Some(a), Some(f)) = (status_mb("RssAnon:"), status_mb("RssFile:")) {
                    peak = (peak.0.max(a), peak.1.max(f));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            peak
        });
        Self { stop, handle }
    }

    fn stop(self) -> (f64, f64) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.handle.join().unwrap_or((0.0, 0.0))
    }
}

impl std::fmt::Display for CorpusReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.elapsed.as_secs_f64();
        writeln!(f, "acts indexed            {}", self.count)?;
        writeln!(f, "elapsed                 {secs:.1} s (generation + indexing + commit)")?;
        writeln!(f, "indexing rate           {:.0} acts/s", self.count as f64 / secs)?;
        match self.peak_rss_mb {
            Some(mb) => writeln!(f, "peak RSS (VmHWM)        {mb:.0} MB")?,
            None => writeln!(f, "peak RSS (VmHWM)        n/a")?,
        }
        writeln!(f, "  of which heap (anon)  {:.0} MB peak", self.peak_anon_mb)?;
        writeln!(f, "  mapped index files    {:.0} MB peak (page cache, reclaimable)", self.peak_file_mb)?;
        writeln!(f, "index size              {:.0} MB", self.index_bytes as f64 / 1e6)
    }
}

impl std::fmt::Display for SearchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "acts in index           {}", self.acts)?;
        for l in &self.latencies {
            writeln!(
                f,
                "{:<45} p50 {:>7.2} ms   p99 {:>7.2} ms   ({} queries, {:.0} hits on average)",
                l.label, l.p50_ms, l.p99_ms, l.queries, l.mean_total
            )?;
            for (ms, what) in &l.slowest {
                writeln!(f, "    slowest {ms:>8.2} ms  {what}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_sirens_are_valid_and_a_small_corpus_is_searchable() {
        for n in [0, 1, 599, COLLECTIVITES - 1] {
            assert!(siren(n).parse::<crate::domain::Siren>().is_ok(), "{}", siren(n));
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index");
        let report = corpus(&path, 2_000, WriterOptions::default()).unwrap();
        assert_eq!(report.count, 2_000);
        assert!(report.index_bytes > 0);
        let r = search(&path, 5).unwrap();
        assert_eq!(r.acts, 2_000);
        assert!(r.latencies.iter().any(|l| l.mean_total > 0.0), "{r}");
    }
}
