//! How a person proves who they are: the seam between *authentication*
//! (password today, OpenID Connect with ProConnect later) and everything
//! after it.
//!
//! An [`Authenticator`] turns what a person presents (a login and a password;
//! later an OpenID Connect callback) into an [`Identity`]: an account login
//! and the method used. The pages never look further: a successful
//! authenticator hands its identity to [`super::Web::sign_in`], which opens a
//! fresh session; every later request resolves that session to the account's
//! current [`crate::auth::Caller`], the type the API's token gate produces,
//! so one policy decides access whatever the login method.
//!
//! Adding ProConnect means: an `Authenticator` whose credentials are the
//! callback's code and state, its two routes (start, callback), an
//! [`Method::ProConnect`] variant, and a link to an account (the identity
//! provider's subject kept on the account). No page changes.

use std::net::IpAddr;

use crate::auth::throttle::{Blocked, Throttle};
use crate::auth::{Login, Password, UserError, UserRecord, Users};

/// How an identity was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Login and password.
    Password,
    /// The first-run link printed on the console.
    FirstRun,
}

/// Who a session is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The account.
    pub login: Login,
    /// How it was proved.
    pub method: Method,
}

impl Identity {
    /// An identity proved by a password.
    pub fn password(login: Login) -> Self {
        Self { login, method: Method::Password }
    }
}

/// Why a login is refused.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown login, wrong password, disabled account or no password set:
    /// one answer for all, so that nobody learns which logins exist.
    #[error("identifiant ou mot de passe incorrect")]
    Refused,
    /// Too many failures for the account or the address.
    #[error("too many attempts")]
    Throttled(Blocked),
    /// The accounts could not be read.
    #[error(transparent)]
    Users(#[from] UserError),
}

/// A way to establish an [`Identity`].
pub trait Authenticator {
    /// What the person presents.
    type Credentials;

    /// Check `credentials` presented from `from`.
    fn authenticate(
        &self,
        credentials: Self::Credentials,
        from: IpAddr,
    ) -> impl Future<Output = Result<(Identity, UserRecord), LoginError>> + Send;
}

/// Login and password, checked against the accounts, throttled.
#[derive(Debug)]
pub struct PasswordLogin<'a> {
    /// The accounts.
    pub users: &'a Users,
    /// The throttle.
    pub throttle: &'a Throttle,
}

impl Authenticator for PasswordLogin<'_> {
    /// What was typed in the login form (the login as typed, unparsed).
    type Credentials = (String, Password);

    async fn authenticate(
        &self,
        (typed, password): (String, Password),
        from: IpAddr,
    ) -> Result<(Identity, UserRecord), LoginError> {
        let account = typed.trim().to_lowercase();
        let address = from.to_string();
        self.throttle.check(&account, &address).map_err(LoginError::Throttled)?;
        let record = match account.parse::<Login>() {
            Ok(login) => self.users.check_password(&login, password).await?,
            Err(_) => None,
        };
        match record {
            Some(r) => {
                self.throttle.succeeded(&account);
                Ok((Identity::password(r.login.clone()), r))
            }
            None => {
                self.throttle.failed(&account, &address);
                Err(LoginError::Refused)
            }
        }
    }
}
