//! Campaigns: the acts of a wave of promotions or of a pay-grid reform
//! (reclassements) made at once from a spreadsheet, checked before one is
//! made, resumable, delivered per collectivité (issue 16).
//!
//! Terms:
//! - **Campaign**: one source file turned into one act per row, all checked
//!   together, then made (numbered, sealed, stored, logged, indexed) by
//!   [`run::run`]. Its record lives in the store under `campaigns/<id>/`
//!   ([`record`]): what was imported, the rows' request bodies and act ids,
//!   the outcome of each run.
//! - **Row**: one line of the source file (a CSV or XLSX line, or a JSON Lines
//!   request body): one act. Rows are named by their line in the file, as
//!   the person who fixes the spreadsheet sees it (the header is line 1).
//! - **Row key**: `L<line>`, unique in a campaign. The act id of a row is
//!   derived from the campaign id and the row key, and written in the
//!   campaign's rows before anything is made: however often a campaign is
//!   killed and restarted, a row can only ever make that act ([`record`]).
//! - **Mapping**: how a spreadsheet's columns fill a template's data: column
//!   header → JSON pointer, plus the column naming the collectivité and values
//!   shared by every row ([`mapping::Mapping`]); saved per template in the
//!   store, editable from the CLI, the API and the web pages.
//! - **Check report**: every problem of every row, by line and column, in
//!   French ([`check::CheckReport`]), downloadable as CSV. A campaign is
//!   created only when every row is valid or explicitly excluded.
//! - **Change table**: for reclassements and promotions, what each act
//!   changes for its agent: grade, échelon and indices before → after, and
//!   the date d'effet ([`changes::Change`]), to review before launching.
//! - **Sample**: a few rows (the first, the last, some between) rendered as
//!   PROJET PDFs, nothing stored, to look at before launching ([`sample`]).
//! - **Upload**: a file sent in the web pages, kept for its account on the
//!   server that received it while the report is read and rows excluded,
//!   with the checks of that report, and deleted once its campaign is made
//!   or after its retention ([`upload`]); [`launch`] starts a run in the
//!   background of the server.

pub mod bordereau;
pub mod changes;
pub mod check;
pub mod export;
mod french;
pub mod launch;
pub mod mapping;
pub mod record;
pub mod report;
pub mod run;
pub mod sample;
pub mod source;
pub mod spreadsheet;
pub mod status;
pub mod upload;

use crate::domain::TemplateId;
use crate::service::ServiceError;
use crate::store::StoreError;

pub use check::{CellError, CheckReport, Checked};
pub use mapping::Mapping;
pub use record::{Campaign, CampaignId};
pub use run::{Progress, RunRecord};
pub use source::Source;

/// A campaign operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    /// The source file cannot be read as a table (French reason).
    #[error("{0}")]
    Source(String),
    /// The mapping is unusable for this file or template (French reason).
    #[error("{0}")]
    Mapping(String),
    /// No mapping is saved for this template and none was given.
    #[error("aucune correspondance de colonnes n’est enregistrée pour le modèle « {0} »")]
    NoMapping(TemplateId),
    /// No such template.
    #[error("aucun modèle d’acte « {0} »")]
    UnknownTemplate(TemplateId),
    /// No campaign with this id (or not one the caller may see).
    #[error("campaign not found")]
    NotFound,
    /// The campaign is already being run by this process.
    #[error("the campaign is already running")]
    Running,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The core failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// A campaign record cannot be read back.
    #[error("corrupt campaign record: {0}")]
    Corrupt(String),
    /// A ZIP could not be written.
    #[error("zip: {0}")]
    Zip(String),
}
