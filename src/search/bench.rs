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

use time::{Date, Month};

use super::{Dates, Entry, Person, Scope, SearchError, SearchIndex, SearchRequest, Synonyms, WriterOptions};

/// Collectivités of the corpus.
pub const COLLECTIVITES: u64 = 1_200;
/// Acts staged per batch.
const BATCH: usize = 5_000;

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
    let mut rng = Rng(0x5eed_ac7a);
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
    let mut rng = Rng(0x0b5e_55ed);
    let typical = |rng: &mut Rng| {
        let y = 2010 + rng.below(13);
        let (year_from, year_to) = (y.to_string(), (y + rng.below(4) + 1).to_string());
        let params = [
            ("q", pick(rng, QUERIES).to_owned()),
            ("collectivite", siren(rng.below(COLLECTIVITES))),
            ("year_from", year_from),
            ("year_to", year_to),
        ];
        SearchRequest::from_params(params.iter().map(|(k, v)| (*k, v.as_str())))
    };
    let words_only = |rng: &mut Rng| SearchRequest::from_params([("q", pick(rng, QUERIES))]);
    let one_collectivite = |rng: &mut Rng| {
        let s = siren(rng.below(COLLECTIVITES));
        SearchRequest::from_params([("collectivite", s.as_str()), ("sort", "date_desc")])
    };
    let kinds: [(&'static str, &MakeRequest); 3] = [
        ("two words + collectivité + years + facets", &typical),
        ("two words, all collectivités + facets", &words_only),
        ("no words, one collectivité by date + facets", &one_collectivite),
    ];
    let mut latencies = Vec::new();
    for (label, make) in kinds {
        // Warm the page cache and the searcher's caches first.
        for _ in 0..queries.min(50) {
            index.search(&make(&mut rng)?, &Scope::all())?;
        }
        let mut times = Vec::with_capacity(queries);
        let mut total = 0usize;
        for _ in 0..queries {
            let req = make(&mut rng)?;
            let t = Instant::now();
            total += index.search(&req, &Scope::all())?.total;
            times.push(t.elapsed());
        }
        times.sort();
        let pct = |p: f64| times[((times.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1000.0;
        latencies.push(Latency {
            label,
            queries,
            p50_ms: pct(0.5),
            p99_ms: pct(0.99),
            mean_total: total as f64 / queries.max(1) as f64,
        });
    }
    Ok(SearchReport { acts: index.len(), latencies })
}

/// Draws one request of a kind.
type MakeRequest = dyn Fn(&mut Rng) -> Result<SearchRequest, SearchError>;

const QUERIES: &[&str] = &[
    "arrêté disponibilité",
    "avancement échelon",
    "temps partiel",
    "budget primitif",
    "régime indemnitaire",
    "comité social territorial",
    "stationnement interdit",
    "nomination stagiaire",
    "tarifs cantine",
    "subvention association",
    "délégation signature",
    "travaux voirie",
];

/// A valid SIREN for collectivité `n` (Luhn check digit).
pub fn siren(n: u64) -> String {
    let base = format!("21{:06}", 100_000 + n);
    let digits: Vec<u32> = base.chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    format!("{base}{}", (10 - sum % 10) % 10)
}

const PLACES: &[&str] = &[
    "Aubre", "Marquen", "Ombel", "Hesdin", "Fressen", "Wimil", "Audres", "Bercq", "Canche", "Dunel",
    "Escaut", "Fruges", "Gravel", "Hucque", "Isber", "Lumbre",
];
const SUFFIXES: &[&str] = &[
    "court",
    "val-sur-Canche",
    "les-Dunes",
    "ville",
    "ghem",
    "bert",
    "sur-Authie",
    "en-Artois",
    "thun",
    "hove",
];
const FIRST: &[&str] = &[
    "Camille",
    "Léonie",
    "Eulalie",
    "Noé",
    "Théodric",
    "Aldric",
    "Bérengère",
    "Mélisande",
    "Gontran",
    "Apolline",
    "Sidoine",
    "Clothilde",
    "Hippolyte",
    "Ysaline",
    "Barnabé",
    "Philomène",
];
const LAST: &[&str] = &[
    "Durand",
    "Tronquoy",
    "Wattebled",
    "Cœurdevey",
    "Plouvenel",
    "Wimetz",
    "Caudrelier",
    "Pruvost",
    "Lefebvre",
    "Dezoteux",
    "Hocquinghem",
    "Tillequin",
    "Bracquemart",
    "Fouquerolle",
    "Amelinckx",
    "Dausseville",
];
const GRADES: &[&str] = &[
    "adjoint administratif principal de 2e classe",
    "rédacteur principal de 1re classe",
    "adjoint technique territorial",
    "agent de maîtrise principal",
    "attaché territorial",
    "technicien principal de 2e classe",
    "auxiliaire de puériculture",
    "agent territorial spécialisé des écoles maternelles",
];

/// (template, kind, series, nature, matière, title, individual, sentences)
type Model = (
    &'static str,
    &'static str,
    &'static str,
    u64,
    &'static str,
    &'static str,
    bool,
    &'static [&'static str],
);

const MODELS: &[Model] = &[
    (
        "arrete-disponibilite",
        "arrete",
        "ARR",
        3,
        "4.1",
        "Arrêté portant mise en disponibilité",
        true,
        &[
            "Vu la demande de l'agent tendant à être placé en disponibilité pour convenances personnelles",
            "Considérant que les nécessités du service ne s'opposent pas à cette mise en disponibilité",
            "L'agent est placé en disponibilité pour une durée d'un an renouvelable",
        ],
    ),
    (
        "arrete-avancement-echelon",
        "arrete",
        "ARR",
        3,
        "4.1",
        "Arrêté portant avancement d'échelon",
        true,
        &[
            "Vu le tableau d'avancement d'échelon établi au titre de l'année",
            "L'agent est promu à l'échelon supérieur de son grade avec une ancienneté conservée",
            "Le traitement sera calculé sur la base de l'indice brut correspondant",
        ],
    ),
    (
        "arrete-temps-partiel",
        "arrete",
        "ARR",
        3,
        "4.1",
        "Arrêté portant temps partiel",
        true,
        &[
            "Vu la demande d'exercice des fonctions à temps partiel sur autorisation",
            "L'agent est autorisé à exercer ses fonctions à temps partiel à quatre-vingts pour cent",
            "La rémunération est calculée au prorata de la durée de service accomplie",
        ],
    ),
    (
        "arrete-nomination-stagiaire",
        "arrete",
        "ARR",
        3,
        "4.1",
        "Arrêté portant nomination stagiaire",
        true,
        &[
            "Vu la déclaration de vacance d'emploi transmise au centre de gestion",
            "L'agent est nommé stagiaire pour une durée d'un an",
            "Le comité social territorial a été informé de cette nomination",
        ],
    ),
    (
        "deliberation",
        "deliberation",
        "DEL",
        1,
        "7.1",
        "Délibération du conseil municipal",
        false,
        &[
            "Le conseil municipal adopte le budget primitif de l'exercice à l'unanimité",
            "Après avis du CST, le régime indemnitaire tenant compte des fonctions est modifié",
            "Une subvention est attribuée à l'association sportive de la commune",
            "Les tarifs de la cantine scolaire et de la garderie périscolaire sont fixés",
            "Le maire est autorisé à signer la convention avec le centre de gestion",
        ],
    ),
    (
        "arrete-police-circulation",
        "arrete",
        "ARR",
        2,
        "6.1",
        "Arrêté de police de la circulation",
        false,
        &[
            "Pendant la durée des travaux de voirie, le stationnement est interdit rue de l'Église",
            "La circulation est alternée par feux tricolores au droit du chantier",
            "Une déviation est mise en place par la route départementale",
        ],
    ),
    (
        "convocation-conseil-municipal",
        "convocation",
        "CONV",
        6,
        "5.2",
        "Convocation du conseil municipal",
        false,
        &[
            "Les conseillers municipaux sont convoqués en séance publique à la salle du conseil",
            "Ordre du jour : approbation du procès-verbal, budget, tarifs, questions diverses",
        ],
    ),
    (
        "proces-verbal-seance",
        "proces-verbal",
        "PV",
        6,
        "5.2",
        "Procès-verbal de la séance",
        false,
        &[
            "La séance est ouverte sous la présidence du maire, le quorum étant atteint",
            "Le procès-verbal de la séance précédente est approuvé sans observation",
            "Les délibérations sont adoptées à la majorité des suffrages exprimés",
        ],
    ),
];

fn act(rng: &mut Rng, k: usize) -> Entry {
    // Two thirds individual acts, as in a Centre de gestion's flow.
    let m = if rng.below(3) < 2 { rng.below(4) } else { 4 + rng.below(4) };
    let (template, kind, series, nature, matiere, title, individual, sentences) = MODELS[m as usize];
    let c = rng.below(COLLECTIVITES);
    let year = 2010 + rng.below(17);
    let day = Date::from_calendar_date(
        year as i32,
        Month::try_from(1 + rng.below(12) as u8).unwrap_or(Month::January),
        1 + rng.below(28) as u8,
    )
    .unwrap_or(Date::MIN);
    let created = day.midnight().assume_utc();
    let sealed = rng.below(20) != 0;
    let mut body = String::with_capacity(600);
    for _ in 0..3 + rng.below(3) {
        body.push_str(pick(rng, sentences));
        body.push_str(". ");
    }
    let person = individual.then(|| {
        body.push_str("Grade : ");
        body.push_str(pick(rng, GRADES));
        body.push_str(". ");
        let name = format!(
            "{} {} {}",
            if rng.below(2) == 0 { "Mme" } else { "M." },
            pick(rng, FIRST),
            pick(rng, LAST)
        );
        Person {
            title: format!("{title} — {name}"),
            name,
            matricule: Some(format!("M-{:05}", rng.below(99_999))),
        }
    });
    body.push_str("Le présent acte peut faire l'objet d'un recours devant le tribunal administratif de Lille dans un délai de deux mois.");
    Entry {
        id: format!("bench-{k:08}"),
        siren: siren(c),
        collectivite: format!(
            "Commune de {}{}",
            PLACES[(c % 16) as usize],
            SUFFIXES[((c / 16) % 10) as usize]
        ),
        template: template.into(),
        kind: kind.into(),
        nature,
        matiere: matiere.into(),
        status: if sealed { "sealed" } else { "draft" }.into(),
        number: sealed.then(|| format!("{year}_{series}_{:05}", k % 100_000)),
        title: title.into(),
        body,
        person,
        dates: Dates {
            decision: Some(day),
            effect: individual.then(|| day.next_day().unwrap_or(day)),
            seance: (kind == "deliberation").then_some(day),
            created,
            sealed: sealed.then(|| created + time::Duration::days(1)),
        },
        year,
    }
}

fn pick<'a>(rng: &mut Rng, from: &[&'a str]) -> &'a str {
    from[rng.below(from.len() as u64) as usize]
}

/// SplitMix64: fast, deterministic, good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

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

fn status_mb(key: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status.lines().find(|l| l.starts_with(key))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// `VmHWM` of /proc/self/status, in MB (Linux only).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 =
        status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
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
