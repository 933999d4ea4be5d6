//! `acta archive export | reply`: SEDA transfers from the command line, the
//! same use cases as `POST /api/v1/transfers` and `…/{id}/reply`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use time::Date;

use super::CliError;
use crate::config::Settings;
use crate::domain::{ActId, Siren};
use crate::seda::Profile;
use crate::service::Acta;
use crate::service::archive::{TransferId, TransferSpec, TransferStatus, TransferView};

/// Transfers to electronic archiving.
#[derive(Debug, Subcommand)]
pub enum ArchiveCommand {
    /// Write a SEDA 2.2 SIP of sealed acts into `--out`, keep it in the store
    /// and record the transfer (its id is the SIP's MessageIdentifier).
    Export {
        /// SIREN of the collectivité.
        #[arg(long, value_name = "SIREN")]
        collectivite: Siren,
        /// First sealing day, YYYY-MM-DD (inclusive).
        #[arg(long, value_name = "DATE", value_parser = parse_day)]
        from: Option<Date>,
        /// Last sealing day, YYYY-MM-DD (inclusive).
        #[arg(long, value_name = "DATE", value_parser = parse_day)]
        to: Option<Date>,
        /// A template id or register series (repeatable).
        #[arg(long = "kind", value_name = "KIND")]
        kinds: Vec<String>,
        /// A séance: its day, YYYY-MM-DD (convocation, délibérations and minutes).
        #[arg(long, value_name = "DAY")]
        seance: Option<String>,
        /// An act id (repeatable): exactly these acts.
        #[arg(long = "act", value_name = "ID")]
        acts: Vec<ActId>,
        /// Target archive system: vitam or asalae [default: the configured one].
        #[arg(long, value_parser = parse_profile)]
        profile: Option<Profile>,
        /// Where to write the SIP (zip).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Ingest the archive's reply (Acknowledgement or ArchiveTransferReply).
    Reply {
        /// The transfer the reply answers.
        transfer: String,
        /// The reply (XML).
        file: PathBuf,
    },
}

/// Run an archive command.
pub(super) async fn run(settings: &Settings, what: ArchiveCommand) -> Result<ExitCode, CliError> {
    let mut acta = Acta::open(settings)?;
    acta.check_store(settings.single_writer).await.map_err(crate::service::OpenError::Store)?;
    match what {
        ArchiveCommand::Export { collectivite, from, to, kinds, seance, acts, profile, out } => {
            let spec = TransferSpec { collectivite, from, to, kinds, seance, acts, profile, comment: None };
            export(&acta, spec, &out).await
        }
        ArchiveCommand::Reply { transfer, file } => reply(&acta, &transfer, &file).await,
    }
}

async fn export(acta: &Acta, spec: TransferSpec, out: &Path) -> Result<ExitCode, CliError> {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {bar:40} {pos}/{len} actes ({per_sec}, reste {eta})")
            .expect("valid template"),
    );
    bar.set_message("sélection");
    let shown = bar.clone();
    let progress = Arc::new(move |packed: u64, total: u64| {
        shown.set_length(total);
        shown.set_position(packed);
    });
    let result = acta.create_transfer(spec, Some(out), Some(progress)).await;
    bar.finish_and_clear();
    let transfer = result?;
    println!(
        "transfert {} : {} acte(s), {} objet(s), {:.1} Mo écrits dans {}",
        transfer.id,
        transfer.acts.len(),
        transfer.sip.objects,
        transfer.sip.size as f64 / 1e6,
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

async fn reply(acta: &Acta, transfer: &str, file: &Path) -> Result<ExitCode, CliError> {
    let id: TransferId =
        transfer.parse().map_err(|_| CliError::Service(crate::service::ServiceError::TransferNotFound))?;
    let xml = std::fs::read(file).map_err(|source| CliError::File { path: file.to_owned(), source })?;
    let transfer = acta.ingest_reply(&id, &xml).await?;
    print_status(&transfer);
    Ok(ExitCode::SUCCESS)
}

fn print_status(t: &TransferView) {
    let status = match t.status {
        TransferStatus::Sent => "envoyé, en attente de la réponse définitive",
        TransferStatus::Accepted => "accepté",
        TransferStatus::Rejected => "refusé",
    };
    println!("transfert {} : {status}", t.id);
    if let Some(o) = &t.outcome {
        println!(
            "code de réponse {} ; {} acte(s) avec identifiants d'archive",
            o.reply_code, o.archived_acts
        );
        for reason in &o.reasons {
            println!("  - {reason}");
        }
    }
}

fn parse_day(s: &str) -> Result<Date, String> {
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| format!("date attendue au format AAAA-MM-JJ : {s}"))
}

fn parse_profile(s: &str) -> Result<Profile, String> {
    match s {
        "vitam" => Ok(Profile::Vitam),
        "asalae" => Ok(Profile::Asalae),
        other => Err(format!("profil inconnu « {other} » (vitam ou asalae)")),
    }
}
