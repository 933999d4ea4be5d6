//! Errors of the core. Variants above the line are the caller's fault and carry
//! what the caller needs to fix the request; the others are ours and are
//! reported as opaque failures, with their cause kept for the logs.

use crate::assets::AssetError;
use crate::catalog::{CatalogError, FieldError};
use crate::collectivite::CollectiviteError;
use crate::domain::{Siren, TemplateId};
use crate::register::RegisterError;
use crate::render::RenderError;
use crate::seal::SealError;
use crate::search::SearchError;
use crate::store::StoreError;
use crate::tlog::LogError;

/// A use case failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    // ---- the caller's fault ----
    /// The request or its data is invalid; every faulty field is listed.
    #[error("invalid request: {} field(s)", .0.len())]
    Invalid(Vec<FieldError>),
    /// No template with this id.
    #[error("unknown template {0}")]
    UnknownTemplate(TemplateId),
    /// This instance does not serve this collectivité.
    #[error("unknown collectivité {0}")]
    UnknownCollectivite(Siren),
    /// No act with this id.
    #[error("act not found")]
    ActNotFound,
    /// The search query cannot be parsed.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// The operation needs a sealed act and this one is a draft.
    #[error("the act is not sealed")]
    NotSealed,
    /// No transfer with this id (or not one the caller may see).
    #[error("transfer not found")]
    TransferNotFound,
    /// The act is sealed (or being sealed): a draft operation (edit,
    /// delete) no longer applies to it.
    #[error("the act is sealed")]
    ActSealed,
    /// The act named as replacement is not a sealed act of the same collectivité.
    #[error("the replacement is not a sealed act of the same collectivité")]
    BadReplacement,
    /// The act is already withdrawn, for this reason code, or with another
    /// replacement than the one asked.
    #[error("the act is already withdrawn ({0})")]
    AlreadyWithdrawn(String),
    /// The act needs a part of the collectivité's profile that it lacks
    /// (e.g. the mediator an MPO clause must name): the request is fine, the
    /// profile must be completed by whoever maintains the collectivités file.
    #[error("incomplete collectivité profile ({field}): {message}")]
    ProfileIncomplete {
        /// The missing part, e.g. `/collectivite/mediateur`.
        field: String,
        /// French explanation naming what is missing.
        message: String,
    },
    /// A PDF given for verification exceeds a bound of the reader: it is
    /// refused unread (see [`crate::seal::limits`]).
    #[error("the PDF exceeds a reading limit: {0}")]
    PdfTooComplex(crate::seal::Limit),
    /// The act would have more pages than allowed: `pages` once laid out, or
    /// `None` when its text alone cannot fit (refused before any layout).
    #[error("more than {max} pages")]
    TooManyPages {
        /// Pages of the laid-out document, if it was laid out.
        pages: Option<usize>,
        /// The limit.
        max: usize,
    },
    /// The render did not finish within its time budget (and was abandoned).
    #[error("render over its {budget_ms} ms budget")]
    RenderTooLong {
        /// The budget, in milliseconds.
        budget_ms: u64,
    },
    /// The collectivité already has this many renders waiting in this lane.
    #[error("{waiting} renders already waiting")]
    RenderQueueFull {
        /// Renders waiting.
        waiting: usize,
    },

    // ---- ours ----
    /// Rendering failed although the data was valid (a template bug).
    #[error(transparent)]
    Render(RenderError),
    /// The object store failed or is unreachable.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Numbering failed.
    #[error(transparent)]
    Register(RegisterError),
    /// The search index failed.
    #[error("search index failure: {0}")]
    Search(SearchError),
    /// The electronic seal could not be applied.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// The register log failed.
    #[error(transparent)]
    Log(LogError),
    /// Stored data is inconsistent (a record is missing or unreadable).
    #[error("corrupt store: {0}")]
    Corrupt(String),
    /// A verification did not finish within its time budget
    /// (`seal.verify_timeout_ms`): the verifiers are busy.
    #[error("verification did not finish within {} ms", .0.as_millis())]
    VerifyTimeout(std::time::Duration),
    /// Anything else that should not happen (a panicked task…).
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<RenderError> for ServiceError {
    fn from(e: RenderError) -> Self {
        match e {
            // A business rule of the template: the caller's data is at fault.
            RenderError::Refused { paths, message } if paths.is_empty() => {
                Self::Invalid(vec![FieldError { path: "/data".into(), message }])
            }
            RenderError::Refused { paths, message } => Self::Invalid(
                paths.into_iter().map(|path| FieldError { path, message: message.clone() }).collect(),
            ),
            RenderError::ProfileIncomplete { field, message } => Self::ProfileIncomplete { field, message },
            RenderError::TooManyPages { pages, max } => Self::TooManyPages { pages: Some(pages), max },
            other => Self::Render(other),
        }
    }
}

impl From<SearchError> for ServiceError {
    fn from(e: SearchError) -> Self {
        match e {
            SearchError::InvalidQuery(q) => Self::InvalidQuery(q),
            other => Self::Search(other),
        }
    }
}

impl From<LogError> for ServiceError {
    fn from(e: LogError) -> Self {
        match e {
            LogError::Store(s) => Self::Store(s),
            other => Self::Log(other),
        }
    }
}

impl From<RegisterError> for ServiceError {
    fn from(e: RegisterError) -> Self {
        match e {
            RegisterError::Store(s) => Self::Store(s),
            other => Self::Register(other),
        }
    }
}

/// The core could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Templates or schemas could not be read.
    #[error(transparent)]
    Assets(#[from] AssetError),
    /// The template catalogue is inconsistent.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The render engine could not start.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The collectivités file is unusable.
    #[error(transparent)]
    Collectivites(#[from] CollectiviteError),
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The search index could not be opened.
    #[error(transparent)]
    Search(#[from] SearchError),
    /// The seal or log keys could not be loaded.
    #[error(transparent)]
    Keys(#[from] crate::keys::KeyError),
    /// The archiving configuration is unusable.
    #[error(transparent)]
    Archive(#[from] super::archive::ArchiveConfigError),
    /// A setting is out of its range (the message names it).
    #[error("{0}")]
    Setting(String),
}
