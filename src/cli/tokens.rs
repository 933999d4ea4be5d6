//! `acta tokens create | list | revoke`: API tokens, kept in the configured
//! object store, so a running server sharing that store honours a token from
//! its next request on (and refuses a revoked one just as soon).

use std::io::Write;
use std::process::ExitCode;

use clap::Subcommand;
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, OffsetDateTime, Time};

use super::CliError;
use crate::auth::{AuditEntry, AuditLog, AuthError, Role, TokenId, TokenRequest, Tokens};
use crate::collectivite::Collectivites;
use crate::config::Settings;
use crate::domain::Siren;
use crate::service::OpenError;
use crate::store::Store;

/// Validity of a token created without `--expires`.
const DEFAULT_VALIDITY: Duration = Duration::days(365);

/// Token operations.
#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Create a token; prints its description, then the token alone on the
    /// last line (shown once: only its hash is kept).
    Create {
        /// admin, gestionnaire, secretaire, archiviste or lecteur.
        #[arg(long)]
        role: Role,
        /// A collectivité the token acts for (SIREN; repeatable). Exactly one
        /// for secretaire and lecteur; none for admin; none for a gestionnaire
        /// or archiviste of every collectivité.
        #[arg(long = "collectivite", value_name = "SIREN")]
        collectivites: Vec<Siren>,
        /// End of validity: YYYY-MM-DD (valid through that day, UTC) or an
        /// RFC 3339 date-time [default: in one year].
        #[arg(long, value_name = "DATE", value_parser = parse_expiry)]
        expires: Option<OffsetDateTime>,
    },
    /// List every token (id, role, collectivités, expiry, revocation).
    List,
    /// Revoke a token: refused from the next request on, by every server.
    Revoke {
        /// The token's id (the 16 hex digits after `acta_`).
        id: TokenId,
    },
}

fn parse_expiry(s: &str) -> Result<OffsetDateTime, String> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day =
        Date::parse(s, format).map_err(|_| format!("« {s} » : attendu AAAA-MM-JJ ou une date RFC 3339"))?;
    let next = day.next_day().ok_or("date hors limites")?;
    Ok(next.with_time(Time::MIDNIGHT).assume_utc())
}

/// Run a token command.
pub(super) async fn run(settings: &Settings, what: TokensCommand) -> Result<ExitCode, CliError> {
    let store = open_store(settings).await?;
    let tokens = Tokens::new(store.clone());
    let audit = AuditLog::new(store);
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or_else(|_| OffsetDateTime::now_utc());
    let mut out = std::io::stdout().lock();
    match what {
        TokensCommand::Create { role, collectivites, expires } => {
            let served =
                Collectivites::load(settings.collectivites_file.as_deref()).map_err(OpenError::from)?;
            let expires_at = expires.unwrap_or(now + DEFAULT_VALIDITY);
            let req = TokenRequest { role, collectivites, expires_at };
            let (record, token) = tokens.create(&req, |s| served.get(s).is_some(), now).await?;
            record_action(&audit, "token.create", &record.id).await?;
            let _ = writeln!(
                out,
                "jeton {} : rôle {}, {}, valable jusqu'au {}",
                record.id,
                record.role,
                describe(&record.collectivites),
                record.expires_at.format(&Rfc3339).unwrap_or_default()
            );
            let _ = writeln!(out, "Conservez-le : il ne sera plus jamais affiché.");
            let _ = writeln!(out, "{}", token.expose());
        }
        TokensCommand::List => {
            for t in tokens.list().await? {
                let revoked = t.revoked_at.map_or(String::new(), |r| format!("révoqué {}", fmt(r)));
                let expired = if t.expires_at <= now { "expiré" } else { "" };
                let _ = writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.role,
                    describe(&t.collectivites),
                    fmt(t.expires_at),
                    format!("{revoked} {expired}").trim()
                );
            }
        }
        TokensCommand::Revoke { id } => {
            tokens.revoke(&id, now).await?;
            record_action(&audit, "token.revoke", &id).await?;
            let _ = writeln!(out, "jeton {id} révoqué");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn open_store(settings: &Settings) -> Result<Store, CliError> {
    let store = match &settings.store {
        Some(url) => Store::open(url, &settings.s3),
        None => Store::local(&settings.store_dir()),
    }
    .map_err(OpenError::Store)?;
    let (store, _) = store.check(settings.single_writer).await.map_err(OpenError::Store)?;
    Ok(store)
}

async fn record_action(audit: &AuditLog, action: &str, id: &TokenId) -> Result<(), AuthError> {
    let entry = AuditEntry { target: Some(id.to_string()), ..AuditEntry::new("cli", Role::Admin, action) };
    audit.record(&entry).await
}

fn describe(collectivites: &[Siren]) -> String {
    if collectivites.is_empty() {
        "toutes les collectivités".into()
    } else {
        collectivites.iter().map(Siren::as_str).collect::<Vec<_>>().join(",")
    }
}

fn fmt(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_valid_through_its_end() {
        let t = parse_expiry("2027-01-31").unwrap();
        assert_eq!(fmt(t), "2027-02-01T00:00:00Z");
        assert_eq!(fmt(parse_expiry("2027-01-31T12:00:00+01:00").unwrap()), "2027-01-31T12:00:00+01:00");
        assert!(parse_expiry("31/01/2027").is_err());
    }
}
