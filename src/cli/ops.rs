//! Store, index and health commands: `doctor`, `store copy`, `search`, `reindex`.

use std::io::Write;
use std::process::ExitCode;

use super::CliError;
use crate::config::Settings;
use crate::search::Scope;
use crate::service::{Acta, OpenError, ServiceError};

pub(super) async fn store_copy(settings: &Settings, to: &str) -> Result<ExitCode, CliError> {
    let acta = Acta::open(settings)?;
    let target = crate::store::Store::open(to, &settings.s3).map_err(OpenError::Store)?;
    let (target, caps) = target.check(settings.single_writer).await.map_err(OpenError::Store)?;
    eprintln!("{} → {to} ({caps})", acta.store().location());
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} objets ({eta})")
            .expect("valid template"),
    );
    let progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let report = crate::store::copy::copy_all(acta.store(), &target, &progress).await?;
    bar.finish_and_clear();
    println!(
        "{} objet(s) copié(s) et vérifié(s) ({} octets), {} déjà présent(s)",
        report.copied, report.bytes, report.skipped
    );
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn search(
    acta: &Acta,
    query: &str,
    limit: usize,
    params: &[String],
    scope: Vec<crate::domain::Siren>,
    no_personal_data: bool,
    facets: bool,
) -> Result<ExitCode, CliError> {
    let limit = limit.to_string();
    let mut pairs = vec![("q", query), ("limit", limit.as_str())];
    pairs.extend(params.iter().map(|p| p.split_once('=').unwrap_or((p.as_str(), ""))));
    let req = crate::search::SearchRequest::from_params(pairs).map_err(ServiceError::from)?;
    let mut scope = if scope.is_empty() { Scope::all() } else { Scope::only(scope, true) };
    if no_personal_data {
        scope = scope.without_personal_data();
    }
    let results = acta.search(req, scope).await?;
    let mut out = std::io::stdout().lock();
    for h in &results.hits {
        let number = h.number.as_deref().unwrap_or("(projet)");
        let _ = writeln!(out, "{}\t{}\t{}\t{}\t{}", h.id, number, h.siren, h.date, h.title);
    }
    let _ = writeln!(out, "{} acte(s) trouvé(s)", results.total);
    if facets {
        for (name, values) in &results.facets {
            let counts: Vec<String> = values.iter().map(|v| format!("{}={}", v.value, v.count)).collect();
            let _ = writeln!(out, "{name}\t{}", counts.join(" "));
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn reindex(settings: &Settings) -> Result<ExitCode, CliError> {
    let acta = Acta::open(settings)?;
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} actes ({per_sec}, reste {eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let n = acta
        .reindex(&|done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .await?;
    bar.finish();
    println!("{n} acte(s) indexé(s)");
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn doctor(settings: &Settings) -> Result<ExitCode, CliError> {
    let mut acta = Acta::open(settings)?;
    println!("templates        {}", acta.catalog().iter().count());
    println!("collectivités    {}", acta.collectivites().iter().count());
    println!("search index     {}", settings.index_dir().display());
    println!("object store     {}", acta.store().location());
    match acta.check_store(settings.single_writer).await {
        Ok(caps) => {
            println!("store behaviour  {caps}");
            if caps.multi_writer_safe() {
                println!("verdict          OK: several acta processes may share this store");
            } else {
                println!("verdict          SINGLE-WRITER MODE: only this process may write to this store");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ crate::store::StoreError::UnsafeForMultiWriter(_)) => {
            println!("verdict          REFUSED: {e}");
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(CliError::Open(OpenError::Store(e))),
    }
}
