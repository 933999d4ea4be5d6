//! `acta bench campaign`: a promotion wave of `rows` one-page arrêtés
//! (avancement d'échelon over the demo communes) imported from a CSV as HR
//! software exports it, checked, recorded, then made — numbered, rendered,
//! sealed, stored, logged, indexed — through [`crate::campaign`], in a
//! throw-away data directory (or on the store given). Reports acts/s, the
//! time of each stage and peak RSS.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use super::{BenchError, peak_rss_mb};
use crate::campaign::{Mapping, Source, check, record, run};
use crate::config::Settings;
use crate::service::Acta;

/// The mapping of the generated file.
const MAPPING: &str = include_str!("../../fixtures/campaigns/arrete-avancement-echelon.mapping.json");
const SIRENS: [&str; 3] = ["216295105", "216296202", "216297309"];

/// Figures of one campaign benchmark.
#[derive(Debug, Clone)]
pub struct CampaignReport {
    /// Rows.
    pub rows: usize,
    /// Where the acts were stored.
    pub store: String,
    /// Reading the CSV (s).
    pub import_s: f64,
    /// Checking every row (s).
    pub check_s: f64,
    /// Recording the campaign (s).
    pub record_s: f64,
    /// The run's stages.
    pub stages: run::Stages,
    /// The whole run (s).
    pub run_s: f64,
    /// Acts made.
    pub made: usize,
    /// Rows failed.
    pub failed: usize,
    /// Peak RSS (MB).
    pub peak_rss_mb: Option<f64>,
}

impl std::fmt::Display for CampaignReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let total = self.import_s + self.check_s + self.record_s + self.run_s;
        writeln!(f, "rows                    {} (store {})", self.rows, self.store)?;
        writeln!(f, "import (CSV)            {:.2} s", self.import_s)?;
        writeln!(
            f,
            "check                   {:.2} s ({:.0} rows/s)",
            self.check_s,
            self.rows as f64 / self.check_s
        )?;
        writeln!(f, "record                  {:.2} s", self.record_s)?;
        writeln!(
            f,
            "run                     {:.2} s ({:.1} acts/s)",
            self.run_s,
            self.made as f64 / self.run_s
        )?;
        writeln!(f, "  load rows             {:.2} s", self.stages.load_ms as f64 / 1e3)?;
        writeln!(f, "  make (render, seal, store, log)  {:.2} s", self.stages.make_ms as f64 / 1e3)?;
        writeln!(f, "  index commits (overlapping)     {:.2} s", self.stages.index_ms as f64 / 1e3)?;
        writeln!(f, "  log integration       {:.2} s", self.stages.integrate_ms as f64 / 1e3)?;
        writeln!(f, "acts made / failed      {} / {}", self.made, self.failed)?;
        writeln!(f, "check + make, overall   {:.1} s, {:.1} acts/s", total, self.made as f64 / total)?;
        match self.peak_rss_mb {
            Some(mb) => writeln!(f, "peak RSS                {mb:.0} MB"),
            None => writeln!(f, "peak RSS                n/a"),
        }
    }
}

/// The generated wave: `rows` agents over three communes.
pub fn wave(rows: usize) -> String {
    let noms = ["Cœurdevey", "Thérouanne", "Hannequart", "Dufossé", "Wattebled", "Delattre", "Caron"];
    let prenoms = ["Léonie", "Sigebert", "Amélie", "Gérard", "Maëlle", "Noël", "Zoé", "Hervé"];
    let mut out = String::from(
        "SIREN employeur;Civilité;Prénom;Nom;Matricule;Grade;Échelon actuel;Nouvel échelon;IB;IM;\
         Reliquat années;Reliquat mois;Reliquat jours;Arrêté précédent;Date arrêté précédent;Date d'effet;\
         Date de signature\r\n",
    );
    for i in 0..rows {
        let e = 3 + i % 8;
        out.push_str(&format!(
            "{};{};{};{};A-{i:06};adjoint technique principal de 2e classe;{e};{};{};{};0;{};{};\
             n° 2024_ARR_{:05};12/02/2024;01/04/2026;02/03/2026\r\n",
            SIRENS[i % 3],
            if i % 2 == 0 { "Mme" } else { "M." },
            prenoms[i % prenoms.len()],
            noms[(i / prenoms.len()) % noms.len()],
            e + 1,
            400 + e * 10,
            360 + e * 9,
            i % 12,
            i % 28,
            i % 99_999 + 1
        ));
    }
    out
}

/// Run the benchmark; `store` is the object store URL (default: a local
/// store in a throw-away directory, removed after).
pub async fn campaign(
    base: &Settings,
    rows: usize,
    store: Option<String>,
) -> Result<CampaignReport, BenchError> {
    super::in_scratch_dir("campaign", |dir| async move { measure(base, &dir, rows, store).await }).await
}

async fn measure(
    base: &Settings,
    dir: &std::path::Path,
    rows: usize,
    store: Option<String>,
) -> Result<CampaignReport, BenchError> {
    let settings = Settings { data_dir: dir.to_owned(), store, seal: Default::default(), ..base.clone() };
    let fail = |e: &dyn std::fmt::Display| BenchError::Fixtures(e.to_string());
    let mut acta = Acta::open(&settings).map_err(|e| fail(&e))?;
    acta.check_store(settings.single_writer).await.map_err(|e| fail(&e))?;
    let acta = Arc::new(acta);
    let csv = wave(rows);
    let t = Instant::now();
    let source = Source::read("vague.csv", csv.as_bytes()).map_err(|e| fail(&e))?;
    let import_s = t.elapsed().as_secs_f64();
    drop(csv);
    let mapping = Mapping::parse(MAPPING.as_bytes()).map_err(|e| fail(&e))?;
    let t = Instant::now();
    let checker = Arc::clone(&acta);
    let checked = tokio::task::spawn_blocking(move || {
        let everywhere = |_: &crate::domain::Siren| true;
        let none = BTreeSet::new();
        let options = check::Options { mapping: Some(&mapping), exclude: &none, in_scope: &everywhere };
        check::check(&checker, &source, &options)
    })
    .await
    .map_err(|e| fail(&e))?
    .map_err(|e| fail(&e))?;
    let check_s = t.elapsed().as_secs_f64();
    if !checked.report.pret {
        return Err(BenchError::Invalid(format!(
            "the generated wave is refused: {:?}",
            checked.report.erreurs.first()
        )));
    }
    let t = Instant::now();
    let campaign =
        record::create(acta.store(), &checked, "vague.csv", "bench").await.map_err(|e| fail(&e))?;
    let record_s = t.elapsed().as_secs_f64();
    drop(checked);
    let progress = run::Progress::default();
    let t = Instant::now();
    let outcome = run::run(&acta, &campaign.id, &progress).await.map_err(|e| fail(&e))?;
    let run_s = t.elapsed().as_secs_f64();
    Ok(CampaignReport {
        rows,
        store: acta.store().location().to_owned(),
        import_s,
        check_s,
        record_s,
        stages: outcome.stages,
        run_s,
        made: outcome.made,
        failed: outcome.failures.len(),
        peak_rss_mb: peak_rss_mb(),
    })
}
