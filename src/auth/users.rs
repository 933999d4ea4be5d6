//! User accounts: the people who log in to the web application.
//!
//! An *account* has a *login* (what the person types), a display name, a
//! [`Role`] and the collectivités it acts for — the same role and scope as an
//! API token, so one [`Caller`] and one policy decide what either may do.
//!
//! Accounts are kept create-only like everything else: every change (creation,
//! new password, disabling) writes a new *version*,
//! `users/<login>/<version, 10 digits>.json`, and the account is its latest
//! version. Two writers racing on one version cannot both win (the second
//! create fails and retries on the new latest), and the history of an account
//! is kept for audits.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::caller::Caller;
use super::password::{Password, PasswordHash};
use super::role::Role;
use crate::domain::Siren;
use crate::search::Collectivites;
use crate::store::{Store, StoreError};

/// Prefix of every account version.
const USERS: &str = "users/";
/// How long a read account is trusted before the store is asked again: a
/// change made by another process (`acta users disable`) applies within it.
const CACHE_TTL: Duration = Duration::from_secs(2);
/// Writers racing on one account retry this many times.
const RETRIES: usize = 5;

/// What a person types to log in: 2 to 64 characters among lowercase
/// letters, digits, `.`, `-`, `_` and `@` (an e-mail address fits), starting
/// with a letter or a digit. Parsing lowercases, so logins ignore case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Login(String);

/// A string that is not a login (French reason).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "identifiant invalide : 2 à 64 caractères parmi lettres minuscules sans accent, chiffres, « . », « - », « _ » et « @ », commençant par une lettre ou un chiffre"
)]
pub struct LoginError;

impl FromStr for Login {
    type Err = LoginError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase();
        let ok = (2..=64).contains(&s.len())
            && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-@".contains(&b));
        if ok { Ok(Self(s)) } else { Err(LoginError) }
    }
}

impl TryFrom<String> for Login {
    type Error = LoginError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Login> for String {
    fn from(l: Login) -> Self {
        l.0
    }
}

impl AsRef<str> for Login {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One version of an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// Login.
    pub login: Login,
    /// Version number, from 1.
    pub version: u64,
    /// Name shown in the pages and the audit trail (« Marie Dupont »).
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Collectivités acted for; empty means every collectivité.
    pub collectivites: Vec<Siren>,
    /// Password hash; `None` until a password is set.
    pub password: Option<PasswordHash>,
    /// A disabled account cannot log in, and its open sessions end.
    pub disabled: bool,
    /// When this version was written.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who wrote it: a login, `cli` or `setup`.
    pub by: String,
    /// What this version changed: `create`, `password`, `disable`, `enable`.
    pub change: String,
}

impl UserRecord {
    /// The account's state as people read it: « actif », « désactivé », or
    /// « sans mot de passe » (created, password not set yet).
    pub fn state_label(&self) -> &'static str {
        match (self.disabled, self.password.is_some()) {
            (true, _) => "désactivé",
            (false, true) => "actif",
            (false, false) => "sans mot de passe",
        }
    }

    /// The caller this account acts as.
    pub fn caller(&self) -> Caller {
        let collectivites = if self.collectivites.is_empty() {
            Collectivites::All
        } else {
            Collectivites::Only(self.collectivites.iter().cloned().collect())
        };
        Caller::for_user(self.login.clone(), self.role, collectivites)
    }
}

/// What a new account is.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login.
    pub login: Login,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Collectivités (see [`Role::collectivites_allowed`]).
    pub collectivites: Vec<Siren>,
    /// Initial password, if any.
    pub password: Option<Password>,
}

/// An account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// The request cannot be honoured; the field (`login`, `display_name`,
    /// `role`, `collectivites`, `password`) and the French reason.
    #[error("invalid account ({field}): {message}")]
    Invalid {
        /// The form field at fault.
        field: &'static str,
        /// What is wrong, in French.
        message: String,
    },
    /// An account with this login exists.
    #[error("login {0} is taken")]
    LoginTaken(Login),
    /// No account has this login.
    #[error("no account {0}")]
    Unknown(Login),
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] super::password::HashError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored version is unreadable.
    #[error("corrupt account record {0}")]
    Corrupt(String),
}

impl UserError {
    fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid { field, message: message.into() }
    }
}

/// The accounts of a store.
#[derive(Debug)]
pub struct Users {
    store: Store,
    cache: Mutex<HashMap<Login, (Instant, UserRecord)>>,
}

fn version_key(login: &Login, version: u64) -> String {
    format!("{USERS}{login}/{version:010}.json")
}

fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(0).unwrap_or(t)
}

impl Users {
    /// The accounts kept in `store`.
    pub fn new(store: Store) -> Self {
        Self { store, cache: Mutex::default() }
    }

    /// Whether any account exists (an empty instance offers its first-run setup).
    pub async fn any(&self) -> Result<bool, UserError> {
        Ok(!self.store.list(USERS).await?.is_empty())
    }

    /// Check `new` (display name, role and collectivités, each `served`,
    /// password policy) and store it as version 1.
    pub async fn create(
        &self,
        new: NewUser,
        served: impl Fn(&Siren) -> bool,
        by: &str,
    ) -> Result<UserRecord, UserError> {
        let display_name = new.display_name.trim().to_owned();
        if display_name.is_empty() || display_name.chars().count() > 100 {
            return Err(UserError::invalid(
                "display_name",
                "Indiquez le nom de la personne (100 caractères au plus)",
            ));
        }
        // Shown in every page's header, the accounts list and the audit
        // journal: one line, and no character that reorders or hides text.
        if display_name.contains('\n') {
            return Err(UserError::invalid("display_name", "Le nom doit tenir sur une seule ligne"));
        }
        crate::domain::text::check(&display_name)
            .map_err(|m| UserError::invalid("display_name", format!("Le nom {m}")))?;
        let collectivites = check_scope(new.role, &new.collectivites, served)?;
        let password = match &new.password {
            Some(p) => {
                p.check_policy(new.login.as_ref()).map_err(|m| UserError::invalid("password", m))?;
                Some(hash(p.clone()).await?)
            }
            None => None,
        };
        let record = UserRecord {
            login: new.login,
            version: 1,
            display_name,
            role: new.role,
            collectivites,
            password,
            disabled: false,
            at: now(),
            by: by.to_owned(),
            change: "create".into(),
        };
        match self.write(&record).await {
            Err(UserError::Store(StoreError::AlreadyExists(_))) => Err(UserError::LoginTaken(record.login)),
            other => other.map(|()| record),
        }
    }

    /// The latest version of account `login`, if any.
    pub async fn get(&self, login: &Login) -> Result<Option<UserRecord>, UserError> {
        if let Some((at, r)) = self.cache.lock().expect("cache lock").get(login)
            && at.elapsed() < CACHE_TTL
        {
            return Ok(Some(r.clone()));
        }
        let prefix = format!("{USERS}{login}/");
        let Some(key) = self.store.list(&prefix).await?.pop() else { return Ok(None) };
        let record = self.read(&key).await?;
        if let Some(r) = &record {
            self.remember(r);
        }
        Ok(record)
    }

    /// Every account (latest versions), by login.
    pub async fn list(&self) -> Result<Vec<UserRecord>, UserError> {
        let mut latest: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
        for key in self.store.list(USERS).await? {
            if let Some((login, _)) = key.strip_prefix(USERS).and_then(|k| k.split_once('/')) {
                latest.insert(login.to_owned(), key.clone()); // keys are sorted: the last wins
            }
        }
        let mut out = Vec::new();
        for key in latest.values() {
            out.extend(self.read(key).await?);
        }
        Ok(out)
    }

    /// Set a new password (policy checked).
    pub async fn set_password(
        &self,
        login: &Login,
        password: Password,
        by: &str,
    ) -> Result<UserRecord, UserError> {
        password.check_policy(login.as_ref()).map_err(|m| UserError::invalid("password", m))?;
        let hashed = hash(password).await?;
        self.update(login, by, "password", |r| r.password = Some(hashed.clone())).await
    }

    /// Disable (or enable again) an account.
    pub async fn set_disabled(
        &self,
        login: &Login,
        disabled: bool,
        by: &str,
    ) -> Result<UserRecord, UserError> {
        let change = if disabled { "disable" } else { "enable" };
        self.update(login, by, change, |r| r.disabled = disabled).await
    }

    /// The account `login` if `password` is its password and it is enabled.
    /// An unknown login costs the same hashing time as a wrong password.
    pub async fn check_password(
        &self,
        login: &Login,
        password: Password,
    ) -> Result<Option<UserRecord>, UserError> {
        let record = self.get(login).await?;
        let hash = record.as_ref().and_then(|r| r.password.clone());
        let ok = hashing(move || match &hash {
            Some(h) => h.matches(&password),
            None => PasswordHash::decoy().matches(&password),
        })
        .await
        .unwrap_or(false);
        Ok(record.filter(|r| ok && r.password.is_some() && !r.disabled))
    }

    /// Write the next version of `login`, made by `change` from the latest.
    async fn update(
        &self,
        login: &Login,
        by: &str,
        change: &str,
        apply: impl Fn(&mut UserRecord),
    ) -> Result<UserRecord, UserError> {
        for _ in 0..RETRIES {
            self.forget(login);
            let mut record = self.get(login).await?.ok_or_else(|| UserError::Unknown(login.clone()))?;
            apply(&mut record);
            record.version += 1;
            record.at = now();
            by.clone_into(&mut record.by);
            change.clone_into(&mut record.change);
            match self.write(&record).await {
                Err(UserError::Store(StoreError::AlreadyExists(_))) => continue,
                other => return other.map(|()| record),
            }
        }
        Err(UserError::Store(StoreError::Conflict(format!("{USERS}{login}"))))
    }

    async fn write(&self, record: &UserRecord) -> Result<(), UserError> {
        let bytes = serde_json::to_vec_pretty(record).expect("records serialise");
        self.store.create(&version_key(&record.login, record.version), Bytes::from(bytes)).await?;
        self.remember(record);
        Ok(())
    }

    async fn read(&self, key: &str) -> Result<Option<UserRecord>, UserError> {
        let Some(bytes) = self.store.get(key).await? else { return Ok(None) };
        serde_json::from_slice(&bytes).map(Some).map_err(|e| UserError::Corrupt(format!("{key}: {e}")))
    }

    fn remember(&self, r: &UserRecord) {
        let mut cache = self.cache.lock().expect("cache lock");
        if cache.len() > 10_000 {
            cache.clear();
        }
        cache.insert(r.login.clone(), (Instant::now(), r.clone()));
    }

    fn forget(&self, login: &Login) {
        self.cache.lock().expect("cache lock").remove(login);
    }
}

/// Argon2 computations running at once, all accounts and logins together.
/// Each holds 19 MiB for tens of milliseconds: unbounded, 48 login forms
/// posted at once (no account needed) took the server from 110 MB to 960 MB,
/// and a few hundred from several addresses would exhaust its memory. The
/// others wait their turn (a login takes a little longer under such load).
pub const HASHING_AT_ONCE: usize = 4;

static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(HASHING_AT_ONCE);

#[cfg(test)]
static HASHING_PEAK: (std::sync::atomic::AtomicUsize, std::sync::atomic::AtomicUsize) =
    (std::sync::atomic::AtomicUsize::new(0), std::sync::atomic::AtomicUsize::new(0));

/// Run `f` (an Argon2 computation) off the async runtime, once a hashing
/// slot is free.
async fn hashing<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    let _slot = HASHING.acquire().await.expect("the hashing semaphore is never closed");
    #[cfg(test)]
    let f = {
        use std::sync::atomic::Ordering::SeqCst;
        move || {
            let now = HASHING_PEAK.0.fetch_add(1, SeqCst) + 1;
            HASHING_PEAK.1.fetch_max(now, SeqCst);
            let out = f();
            HASHING_PEAK.0.fetch_sub(1, SeqCst);
            out
        }
    };
    tokio::task::spawn_blocking(f).await
}

async fn hash(password: Password) -> Result<PasswordHash, UserError> {
    hashing(move || PasswordHash::new(&password))
        .await
        .map_err(|e| UserError::Hash(super::password::HashError::from_join(&e)))?
        .map_err(UserError::Hash)
}

/// The collectivités of a role, checked as for tokens: none for an
/// administrator, exactly one for a secrétaire or a lecteur, each served.
fn check_scope(
    role: Role,
    collectivites: &[Siren],
    served: impl Fn(&Siren) -> bool,
) -> Result<Vec<Siren>, UserError> {
    let set: BTreeSet<Siren> = collectivites.iter().cloned().collect();
    let (min, max) = role.collectivites_allowed();
    if set.len() < min || set.len() > max {
        let why = match (min, max) {
            (0, 0) => {
                "Un administrateur agit pour toutes les collectivités : n'en choisissez aucune".to_owned()
            }
            (1, 1) => format!(
                "Un compte {} agit pour exactement une collectivité : choisissez-en une",
                role.label()
            ),
            _ => "Nombre de collectivités invalide pour ce rôle".to_owned(),
        };
        return Err(UserError::invalid("collectivites", why));
    }
    if let Some(s) = set.iter().find(|s| !served(s)) {
        return Err(UserError::invalid(
            "collectivites",
            format!("La collectivité {s} n'est pas servie par cette instance"),
        ));
    }
    Ok(set.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users() -> (tempfile::TempDir, Users) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::local(dir.path()).unwrap();
        (dir, Users::new(store))
    }

    fn marie() -> NewUser {
        NewUser {
            login: "Marie.Dupont".parse().unwrap(),
            display_name: " Marie Dupont ".into(),
            role: Role::Secretaire,
            collectivites: vec!["216295105".parse().unwrap()],
            password: Some(Password::new("une phrase de passe")),
        }
    }

    #[test]
    fn logins_ignore_case_and_refuse_paths() {
        assert_eq!("Marie.Dupont@Mairie.fr".parse::<Login>().unwrap().as_ref(), "marie.dupont@mairie.fr");
        for bad in ["", "a", "../x", ".x", "a/b", "é", "a b", &"x".repeat(65)] {
            assert!(bad.parse::<Login>().is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn every_change_is_a_new_version_and_the_latest_decides() {
        let (_dir, users) = users();
        assert!(!users.any().await.unwrap());
        let created = users.create(marie(), |_| true, "cli").await.unwrap();
        assert_eq!((created.version, created.display_name.as_str()), (1, "Marie Dupont"));
        assert!(users.any().await.unwrap());
        assert!(matches!(users.create(marie(), |_| true, "cli").await, Err(UserError::LoginTaken(_))));
        let login = created.login.clone();
        let pw = || Password::new("une phrase de passe");
        assert!(users.check_password(&login, pw()).await.unwrap().is_some());
        assert!(users.check_password(&login, Password::new("une autre phrase")).await.unwrap().is_none());
        users.set_disabled(&login, true, "admin").await.unwrap();
        assert!(users.check_password(&login, pw()).await.unwrap().is_none(), "disabled");
        let back = users.set_disabled(&login, false, "admin").await.unwrap();
        assert_eq!((back.version, back.change.as_str()), (3, "enable"));
        let after =
            users.set_password(&login, Password::new("nouvelle phrase de passe"), "admin").await.unwrap();
        assert_eq!(after.version, 4);
        assert!(users.check_password(&login, pw()).await.unwrap().is_none(), "old password");
        let listed = users.list().await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].version, 4);
        let unknown: Login = "nobody".parse().unwrap();
        assert!(users.check_password(&unknown, pw()).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_scope_that_does_not_fit_the_role_names_the_field() {
        let (_dir, users) = users();
        let mut admin = marie();
        admin.role = Role::Admin;
        let e = users.create(admin, |_| true, "cli").await.unwrap_err();
        assert!(matches!(e, UserError::Invalid { field: "collectivites", .. }), "{e:?}");
        let mut weak = marie();
        weak.password = Some(Password::new("court"));
        let e = users.create(weak, |_| true, "cli").await.unwrap_err();
        assert!(matches!(e, UserError::Invalid { field: "password", .. }), "{e:?}");
        let e = users.create(marie(), |_| false, "cli").await.unwrap_err();
        assert!(matches!(e, UserError::Invalid { field: "collectivites", .. }), "{e:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_than_a_few_passwords_are_hashed_at_once() {
        let (_dir, users) = users();
        let users = std::sync::Arc::new(users);
        let tries: Vec<_> = (0..24)
            .map(|i| {
                let users = users.clone();
                tokio::spawn(async move {
                    let login: Login = format!("personne{i}").parse().unwrap();
                    users.check_password(&login, Password::new("une phrase de passe")).await.unwrap()
                })
            })
            .collect();
        for t in tries {
            assert!(t.await.unwrap().is_none());
        }
        let peak = HASHING_PEAK.1.load(std::sync::atomic::Ordering::SeqCst);
        assert!((1..=HASHING_AT_ONCE).contains(&peak), "{peak} Argon2 computations at once");
    }

    /// A display name is printed in every page's header and in the audit
    /// journal: `Marie\u{202E}Dupont` showed reversed, a line feed split it.
    #[tokio::test]
    async fn a_display_name_with_a_line_feed_or_a_bidi_control_is_refused_naming_it() {
        let (_dir, users) = users();
        for (name, says) in [
            ("Marie\u{202E}Dupont", "U+202E"),
            ("Marie\nDupont", "une seule ligne"),
            ("Ma\u{200B}rie", "U+200B"),
        ] {
            let mut m = marie();
            m.display_name = name.into();
            match users.create(m, |_| true, "cli").await {
                Err(UserError::Invalid { field: "display_name", message }) => {
                    assert!(message.contains(says), "{message}")
                }
                other => panic!("{name:?}: {other:?}"),
            }
        }
        assert!(!users.any().await.unwrap(), "a refused account was stored");
    }
}
