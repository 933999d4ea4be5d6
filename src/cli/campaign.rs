//! `acta campaign check | run | status | export | list | mapping`: thin calls
//! into [`crate::campaign`].

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};

use super::CliError;
use crate::campaign::{self, CampaignError, CampaignId, Mapping, Source, check, export, record, run};
use crate::config::Settings;
use crate::domain::{Siren, TemplateId};
use crate::service::{Acta, OpenError};

/// Campaign commands.
#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Check every row of a CSV, XLSX or JSON Lines file; when all are valid
    /// (or excluded), record the campaign and print its id. Exit code 3 and
    /// the problems by line and column otherwise.
    Check {
        /// The source file (.csv, .xlsx, .jsonl).
        file: PathBuf,
        /// Column mapping file (JSON) [default: the one saved for --template]
        #[arg(long, value_name = "FILE")]
        mapping: Option<PathBuf>,
        /// Template, to use its saved mapping.
        #[arg(long, value_name = "ID")]
        template: Option<TemplateId>,
        /// Lines to leave out (comma-separated line numbers of the file).
        #[arg(long, value_delimiter = ',', value_name = "LINES")]
        exclude: Vec<usize>,
        /// Write the problems here: CSV (ligne;colonne;champ;message), or XLSX
        /// when the name ends in .xlsx.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        /// Write the change table here as CSV.
        #[arg(long, value_name = "FILE")]
        changes: Option<PathBuf>,
        /// Check only: record no campaign even if every row is valid.
        #[arg(long)]
        dry_run: bool,
        /// Render a few valid rows (the first, the last and some between) as
        /// PROJET PDFs into this directory (`ligne-<N>.pdf`), to look at
        /// before launching.
        #[arg(long, value_name = "DIR")]
        samples: Option<PathBuf>,
    },
    /// Make every act of a campaign not made yet (resumable: run it again
    /// after a stop). Ctrl-C cancels: acts in progress finish, no new one starts.
    Run {
        /// Campaign id.
        id: String,
    },
    /// A campaign's rows: made (with their number), to make, failed.
    Status {
        /// Campaign id.
        id: String,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write one ZIP per collectivité: its sealed PDFs and a bordereau.
    Export {
        /// Campaign id.
        id: String,
        /// Directory to write `<SIREN>.zip` files into.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Only this collectivité.
        #[arg(long, value_name = "SIREN")]
        collectivite: Option<Siren>,
    },
    /// List the campaigns.
    List,
    /// Save a column mapping as its template's (a new version), or print one.
    Mapping {
        /// What to do.
        #[command(subcommand)]
        what: MappingCommand,
    },
}

/// Mapping commands.
#[derive(Debug, Subcommand)]
pub enum MappingCommand {
    /// Save the mapping file as its template's current mapping.
    Set {
        /// The mapping (JSON).
        file: PathBuf,
    },
    /// Print the template's current mapping.
    Show {
        /// Template id.
        template: TemplateId,
    },
}

/// Exit code when rows are invalid (as `acta render`).
const EXIT_INVALID: u8 = 3;

pub(super) async fn run(settings: &Settings, what: CampaignCommand) -> Result<ExitCode, CliError> {
    let mut acta = Acta::open(settings)?;
    acta.check_store(settings.single_writer).await.map_err(OpenError::Store)?;
    let acta = Arc::new(acta);
    match what {
        CampaignCommand::Check { file, mapping, template, exclude, report, changes, dry_run, samples } => {
            let options = CheckArgs {
                mapping,
                template,
                exclude: exclude.into_iter().collect(),
                report,
                changes,
                samples,
            };
            check_file(&acta, &file, options, dry_run).await
        }
        CampaignCommand::Run { id } => run_campaign(&acta, &parse_id(&id)?).await,
        CampaignCommand::Status { id, json } => status(&acta, &parse_id(&id)?, json).await,
        CampaignCommand::Export { id, out, collectivite } => {
            export_to(&acta, &parse_id(&id)?, &out, collectivite.as_ref()).await
        }
        CampaignCommand::List => {
            for c in record::list(acta.store()).await.map_err(refused)? {
                println!(
                    "{}\t{}\t{} acte(s)\t{}\t{}",
                    c.id,
                    c.created_at.date(),
                    c.rows,
                    c.template.map(|t| t.to_string()).unwrap_or_default(),
                    c.source
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        CampaignCommand::Mapping { what: MappingCommand::Set { file } } => {
            let mapping = Mapping::parse(&read(&file)?).map_err(refused)?;
            let template = acta
                .catalog()
                .get(&mapping.template)
                .ok_or_else(|| refused(CampaignError::UnknownTemplate(mapping.template.clone())))?;
            // Checked against the template now, not at the next campaign.
            let headers = mapping.columns.keys().chain([&mapping.collectivite]).cloned().collect();
            mapping
                .bind(template, &campaign::source::Table { headers, rows: Vec::new() })
                .map_err(refused)?;
            let version = mapping.save(acta.store()).await.map_err(refused)?;
            println!(
                "correspondance de colonnes du modèle {} enregistrée (version {version})",
                mapping.template
            );
            Ok(ExitCode::SUCCESS)
        }
        CampaignCommand::Mapping { what: MappingCommand::Show { template } } => {
            let mapping = Mapping::load(acta.store(), &template)
                .await
                .map_err(refused)?
                .ok_or_else(|| refused(CampaignError::NoMapping(template)))?;
            println!("{}", serde_json::to_string_pretty(&mapping).expect("mappings serialise"));
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn refused(e: CampaignError) -> CliError {
    match e {
        CampaignError::Service(s) => CliError::Service(s),
        CampaignError::NotFound => CliError::Refused("aucune campagne ne porte cet identifiant".into()),
        other => CliError::Refused(other.to_string()),
    }
}

fn parse_id(s: &str) -> Result<CampaignId, CliError> {
    s.parse().map_err(refused)
}

fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|source| CliError::File { path: path.to_owned(), source })
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    std::fs::write(path, bytes).map_err(|source| CliError::File { path: path.to_owned(), source })
}

struct CheckArgs {
    mapping: Option<PathBuf>,
    template: Option<TemplateId>,
    exclude: BTreeSet<usize>,
    report: Option<PathBuf>,
    changes: Option<PathBuf>,
    samples: Option<PathBuf>,
}

async fn check_file(
    acta: &Arc<Acta>,
    file: &Path,
    args: CheckArgs,
    dry_run: bool,
) -> Result<ExitCode, CliError> {
    let name = file.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let source = Source::read(&name, &read(file)?).map_err(refused)?;
    let mapping = match (&args.mapping, &args.template) {
        (Some(path), _) => Some(Mapping::parse(&read(path)?).map_err(refused)?),
        (None, Some(t)) => Some(
            Mapping::load(acta.store(), t)
                .await
                .map_err(refused)?
                .ok_or_else(|| refused(CampaignError::NoMapping(t.clone())))?,
        ),
        (None, None) => None,
    };
    let checker = Arc::clone(acta);
    let exclude = args.exclude.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let everywhere = |_: &Siren| true;
        let options = check::Options { mapping: mapping.as_ref(), exclude: &exclude, in_scope: &everywhere };
        check::check(&checker, &source, &options)
    })
    .await
    .map_err(|e| CliError::Refused(format!("vérification interrompue : {e}")))?
    .map_err(refused)?;
    let report = &checked.report;
    if let Some(path) = &args.report {
        let is_xlsx = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
        let bytes = if is_xlsx {
            campaign::report::xlsx(report).map_err(refused)?
        } else {
            check::errors_csv(report)
        };
        write(path, &bytes)?;
    }
    if let Some(path) = &args.changes {
        write(path, &campaign::changes::to_csv(&report.changements))?;
    }
    if let Some(dir) = &args.samples {
        let rows: Vec<(usize, &serde_json::Value)> = checked.rows.iter().map(|r| (r.line, &r.body)).collect();
        for path in campaign::sample::write_to(acta, &rows, dir).await.map_err(refused)? {
            eprintln!("exemple : {}", path.display());
        }
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "{} ligne(s) lue(s) : {} valide(s), {} à corriger, {} exclue(s) ; vérifiées en {:.1} s",
        report.lignes,
        report.valides,
        report.invalides,
        report.exclues.len(),
        report.duree_ms as f64 / 1000.0
    );
    for e in &report.erreurs {
        let column = e.colonne.as_ref().map_or_else(String::new, |c| format!("colonne « {c} », "));
        let _ = writeln!(err, "  ligne {} : {column}{} : {}", e.ligne, e.champ, e.message);
    }
    if !report.pret {
        let _ = writeln!(
            err,
            "Campagne refusée : aucun acte n’a été fait. Corrigez ou excluez (--exclude) ces lignes."
        );
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    if dry_run {
        return Ok(ExitCode::SUCCESS);
    }
    let c = record::create(acta.store(), &checked, &name, "cli").await.map_err(refused)?;
    let _ = writeln!(
        err,
        "Campagne prête : {} acte(s) pour {} collectivité(s). Lancez : acta campaign run {}",
        c.rows,
        c.collectivites.len(),
        c.id
    );
    println!("{}", c.id);
    Ok(ExitCode::SUCCESS)
}

async fn run_campaign(acta: &Arc<Acta>, id: &CampaignId) -> Result<ExitCode, CliError> {
    // Finish sealings a previous process left half-done (numbers never skipped).
    let finished = acta.recover().await?;
    if finished > 0 {
        eprintln!("{finished} scellement(s) interrompu(s) terminé(s)");
    }
    let progress = run::claim(id).map_err(refused)?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {bar:40} {pos}/{len} actes ({per_sec}, reste {eta}) {msg}")
            .expect("valid template"),
    );
    let shown = bar.clone();
    let watched = Arc::clone(&progress);
    let ticker = tokio::spawn(async move {
        loop {
            shown.set_length(watched.total.load(Ordering::Relaxed) as u64);
            shown.set_position(watched.done.load(Ordering::Relaxed) as u64);
            let failed = watched.failed.load(Ordering::Relaxed);
            if failed > 0 {
                shown.set_message(format!("{failed} échec(s)"));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let cancel = Arc::clone(&progress);
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.cancel();
        }
    });
    let result = run::run(acta, id, &progress).await;
    ticker.abort();
    ctrl_c.abort();
    run::release(id);
    bar.finish_and_clear();
    let r = result.map_err(refused)?;
    let s = &r.stages;
    println!(
        "{} acte(s) faits, {} déjà faits, {} échec(s){} ; fabrication {:.1} s, index {:.1} s, journal {:.1} s",
        r.made,
        r.already,
        r.failures.len(),
        if r.cancelled { ", campagne interrompue" } else { "" },
        s.make_ms as f64 / 1e3,
        s.index_ms as f64 / 1e3,
        s.integrate_ms as f64 / 1e3
    );
    for f in &r.failures {
        eprintln!("  ligne {} : {}", f.ligne, f.message);
    }
    Ok(if r.failures.is_empty() && !r.cancelled { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

async fn status(acta: &Acta, id: &CampaignId, json: bool) -> Result<ExitCode, CliError> {
    let status = campaign::status::status(acta, id).await.map_err(refused)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&status).expect("statuses serialise"));
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "campagne {} : {} ligne(s), {} faite(s), {} à faire, {} en échec",
        id, status.lignes, status.faites, status.a_faire, status.en_echec
    );
    for r in status.rows.iter().filter(|r| r.numero.is_none()) {
        println!("  ligne {} : {}", r.ligne, r.message.as_deref().unwrap_or("à faire"));
    }
    Ok(ExitCode::SUCCESS)
}

async fn export_to(
    acta: &Acta,
    id: &CampaignId,
    out: &Path,
    only: Option<&Siren>,
) -> Result<ExitCode, CliError> {
    std::fs::create_dir_all(out).map_err(|source| CliError::File { path: out.to_owned(), source })?;
    let mut failed = None;
    let deliver = |d: export::Delivery| {
        let path = out.join(format!("{}.zip", d.siren));
        if let Err(e) = write(&path, &d.zip) {
            failed = Some(e);
            return Err(CampaignError::Zip(format!("{} could not be written", path.display())));
        }
        let missing =
            if d.missing > 0 { format!(" ({} pas encore fait(s))", d.missing) } else { String::new() };
        println!("{} : {} acte(s){missing}", path.display(), d.acts);
        Ok(())
    };
    let result = export::export(acta, id, only, deliver).await;
    if let Some(e) = failed {
        return Err(e);
    }
    result.map_err(refused)?;
    Ok(ExitCode::SUCCESS)
}
