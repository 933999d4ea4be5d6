//! `acta users create | list | disable | enable | reset`: the accounts of the
//! web application, kept in the configured object store (a running server
//! sees a change within seconds).

use std::io::{BufRead, Write};
use std::process::ExitCode;

use clap::Subcommand;

use super::CliError;
use super::tokens::open_store;
use crate::auth::{AuditEntry, AuditLog, Login, NewUser, Password, Role, UserError, Users};
use crate::collectivite::Collectivites;
use crate::config::Settings;
use crate::domain::Siren;
use crate::service::OpenError;

/// Account operations.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create an account. Prints a generated initial password once, unless
    /// `--password-stdin` reads one from standard input.
    Create {
        /// What the person types to log in (e.g. marie.dupont).
        #[arg(long)]
        login: Login,
        /// Display name (e.g. "Marie Dupont").
        #[arg(long)]
        name: String,
        /// admin, gestionnaire, secretaire, archiviste or lecteur.
        #[arg(long)]
        role: Role,
        /// A collectivité the account acts for (SIREN; repeatable). Exactly
        /// one for secretaire and lecteur; none for admin; none for a
        /// gestionnaire or archiviste of every collectivité.
        #[arg(long = "collectivite", value_name = "SIREN")]
        collectivites: Vec<Siren>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the accounts: login, role, collectivités, state, name.
    List,
    /// Disable an account: it cannot log in, and its sessions end.
    Disable {
        /// The account.
        login: Login,
    },
    /// Enable a disabled account again.
    Enable {
        /// The account.
        login: Login,
    },
    /// Set a new password: generated and printed once, unless
    /// `--password-stdin` reads one from standard input.
    Reset {
        /// The account.
        login: Login,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// Run an account command.
pub(super) async fn run(settings: &Settings, what: UsersCommand) -> Result<ExitCode, CliError> {
    let store = open_store(settings).await?;
    let users = Users::new(store.clone());
    let audit = AuditLog::new(store);
    let mut out = std::io::stdout().lock();
    match what {
        UsersCommand::Create { login, name, role, collectivites, password_stdin } => {
            let served =
                Collectivites::load(settings.collectivites_file.as_deref()).map_err(OpenError::from)?;
            let (password, generated) = password(password_stdin)?;
            let new =
                NewUser { login, display_name: name, role, collectivites, password: Some(password.clone()) };
            let account = users.create(new, |s| served.get(s).is_some(), "cli").await.map_err(explain)?;
            record(&audit, "user.create", &account.login).await?;
            let _ = writeln!(
                out,
                "compte {} créé : {}, rôle {}",
                account.login, account.display_name, account.role
            );
            if generated {
                let _ = writeln!(out, "Mot de passe initial (affiché une seule fois) :");
                let _ = writeln!(out, "{}", password.expose());
            }
        }
        UsersCommand::List => {
            for u in users.list().await? {
                let scope = if u.collectivites.is_empty() {
                    "toutes les collectivités".to_owned()
                } else {
                    u.collectivites.iter().map(Siren::as_str).collect::<Vec<_>>().join(",")
                };
                let state = u.state_label();
                let _ = writeln!(out, "{}\t{}\t{}\t{}\t{}", u.login, u.role, scope, state, u.display_name);
            }
        }
        UsersCommand::Disable { login } => {
            users.set_disabled(&login, true, "cli").await.map_err(explain)?;
            record(&audit, "user.disable", &login).await?;
            let _ = writeln!(out, "compte {login} désactivé");
        }
        UsersCommand::Enable { login } => {
            users.set_disabled(&login, false, "cli").await.map_err(explain)?;
            record(&audit, "user.enable", &login).await?;
            let _ = writeln!(out, "compte {login} réactivé");
        }
        UsersCommand::Reset { login, password_stdin } => {
            let (password, generated) = password(password_stdin)?;
            users.set_password(&login, password.clone(), "cli").await.map_err(explain)?;
            record(&audit, "user.reset", &login).await?;
            let _ = writeln!(out, "nouveau mot de passe enregistré pour {login}");
            if generated {
                let _ = writeln!(out, "Mot de passe (affiché une seule fois) :");
                let _ = writeln!(out, "{}", password.expose());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The password read from stdin, or a generated one (and whether generated).
fn password(from_stdin: bool) -> Result<(Password, bool), CliError> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|source| CliError::File { path: "<stdin>".into(), source })?;
        return Ok((Password::new(line.trim_end_matches(['\r', '\n'])), false));
    }
    Ok((Password::generate(), true))
}

/// A refusal as the person at the console should read it.
fn explain(e: UserError) -> CliError {
    match e {
        UserError::Invalid { message, .. } => CliError::Refused(message),
        UserError::LoginTaken(l) => CliError::Refused(format!("un compte « {l} » existe déjà")),
        UserError::Unknown(l) => CliError::Refused(format!("aucun compte « {l} »")),
        other => CliError::Users(other),
    }
}

async fn record(audit: &AuditLog, action: &str, login: &Login) -> Result<(), CliError> {
    let entry = AuditEntry { target: Some(login.to_string()), ..AuditEntry::new("cli", Role::Admin, action) };
    audit.record(&entry).await.map_err(CliError::Auth)
}
