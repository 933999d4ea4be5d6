//! Seal and register commands: `verify`, `audit`, `keys init`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::CliError;
use crate::config::Settings;
use crate::service::{Acta, ServiceError};

/// `acta verify <file>`: the French verdict on stderr, the JSON verdict on
/// stdout; exit code 0 only when the document is a genuine sealed act.
pub(super) async fn verify(settings: &Settings, file: &Path) -> Result<ExitCode, CliError> {
    let pdf = std::fs::read(file).map_err(|source| CliError::File { path: file.to_owned(), source })?;
    let acta = open(settings).await?;
    let verdict = match acta.verify_pdf(pdf.into()).await {
        Ok(verdict) => verdict,
        Err(ServiceError::PdfTooComplex(limit)) => {
            eprintln!("Document NON vérifiable : {}.", limit.french());
            return Ok(ExitCode::FAILURE);
        }
        Err(ServiceError::VerifyTimeout(budget)) => {
            eprintln!(
                "Document NON vérifiable : la vérification n'a pas abouti en {} ms (réglage seal.verify_timeout_ms).",
                budget.as_millis()
            );
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => return Err(e.into()),
    };
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", verdict.verdict);
    for p in verdict.problemes.iter().skip(1) {
        let _ = writeln!(err, "  - {} ({})", p.message, p.code);
    }
    let json = serde_json::to_string_pretty(&verdict).expect("verdicts serialise");
    let _ = writeln!(std::io::stdout().lock(), "{json}");
    Ok(if verdict.authentique { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// `acta audit`: every problem on its own line (or the JSON report); exit code
/// 0 only when nothing is wrong.
pub(super) async fn audit(settings: &Settings, json: bool) -> Result<ExitCode, CliError> {
    let acta = open(settings).await?;
    let report = acta.audit().await?;
    let mut out = std::io::stdout().lock();
    if json {
        let _ = writeln!(out, "{}", serde_json::to_string_pretty(&report).expect("reports serialise"));
    } else {
        for p in &report.problems {
            let _ = writeln!(out, "{}\t{}\t{}", p.code, p.subject, p.message);
        }
        let _ = writeln!(
            out,
            "{} numéro(s), {} PDF scellé(s) relu(s), {} inscription(s) au registre : {}",
            report.entries,
            report.sealed,
            report.log_size,
            if report.problems.is_empty() {
                "aucun problème".to_owned()
            } else {
                format!("{} PROBLÈME(S)", report.problems.len())
            }
        );
    }
    Ok(if report.problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// `acta keys init`: generate a test PKI and a log key; never overwrites.
pub(super) fn keys_init(settings: &Settings, dir: Option<PathBuf>) -> Result<ExitCode, CliError> {
    let dir = dir.unwrap_or_else(|| settings.keys_dir());
    let created = crate::keys::init(&dir, &settings.seal.log_origin)?;
    for path in &created.files {
        println!("{}", path.display());
    }
    println!("clé de vérification du registre : {}", created.verifier_key);
    Ok(ExitCode::SUCCESS)
}

/// Open the core without probing the store: verifying and auditing only
/// read (the probe would write test objects each time).
async fn open(settings: &Settings) -> Result<Acta, CliError> {
    Ok(Acta::open(settings)?)
}
