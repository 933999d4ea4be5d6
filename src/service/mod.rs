//! The core of acta: [`Acta`] owns every part (catalogue, renderer, store,
//! registers, search index) and offers the use cases the HTTP API and the CLI
//! call: create a draft, seal it, read it, search.
//!
//! Blocking work (Typst rendering, tantivy commits) runs on Tokio's blocking
//! pool; renders are further scheduled fairly between collectivités, within
//! per-request limits (see `rendering.rs`).

pub mod archive;
mod audit;
mod batch;
mod career;
mod document;
mod drafts;
mod error;
#[cfg(test)]
mod fuzz;
mod immutable;
mod log;
mod pdf_cache;
mod rendering;
mod request;
mod sealing;
mod search;
mod verify;
mod view;
mod withdraw;

use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;
use time::OffsetDateTime;
use tokio::sync::{Mutex, Notify, Semaphore};

/// « 1er mars 2026 »: a day as acts, archive titles and pages write it.
pub(crate) use archive::select::french_date;
pub use audit::{AuditReport, Finding};
pub use batch::Made;
pub use career::LastAct;
pub use drafts::NextNumber;
pub use error::{OpenError, ServiceError};
pub use immutable::SealedFacts;
pub use log::Proof;
pub use request::NewAct;
pub(crate) use verify::french_date as french_moment;
pub use verify::{LogCheck, Problem, PublicAct, SealCheck, Verdict};
pub use view::{ActView, CollectiviteRef, Links, Pdf, PdfBody};
pub use withdraw::Withdrawal;

use crate::act::{self, Correction, CorrectionKind, Draft, Sealed};
use crate::assets::FileTree;
use crate::catalog::{Catalog, Template};
use crate::collectivite::{Collectivites, Profile};
use crate::config::Settings;
use crate::domain::ActId;
use crate::keys::TrustRoots;
use crate::register::Registers;
use crate::render::schedule::Scheduler;
use crate::render::{Engine, RenderJob, RenderSettings};
use crate::seal::Sealer;
use crate::search::{SearchIndex, Synonyms};
use crate::store::{Capabilities, GetRange, Store, StoreError, keys};
use crate::tlog::Log;

/// The `corrige` member of a request: the act to correct, and how.
type Correcting = (ActId, CorrectionKind);

/// Number of act locks; acts hash onto them. Bounded, unlike a lock per act.
const ACT_LOCK_STRIPES: usize = 64;

/// The application core; share it behind an `Arc`.
#[derive(Debug)]
pub struct Acta {
    store: Store,
    index: Arc<SearchIndex>,
    engine: Arc<Engine>,
    catalog: Catalog,
    collectivites: Collectivites,
    registers: Registers,
    sealer: Arc<Sealer>,
    trust: Arc<TrustRoots>,
    /// Seal verifications running at once (they read untrusted files): one
    /// per CPU, each within `verify_timeout`, queueing included.
    verify_slots: Arc<Semaphore>,
    verify_timeout: std::time::Duration,
    log: Log,
    /// The log's verifier key (signed-note vkey), published.
    log_vkey: String,
    /// SEDA transfers: profile, management rules, agencies.
    archive: archive::ArchiveConfig,
    /// Woken when leaves were appended, for the background integrator.
    log_pending: Arc<Notify>,
    /// Woken when index entries were staged, for the background committer.
    index_pending: Arc<Notify>,
    /// Whether that committer runs (a server): then writes only stage their
    /// entries (see [`crate::search`]); else each commits its own.
    index_committer: std::sync::atomic::AtomicBool,
    /// Where [`Acta::follow_log`] resumes.
    follow_cursor: Mutex<u64>,
    /// Acts this process indexed as sealed, not yet passed by the follower.
    indexed_here: std::sync::Mutex<std::collections::HashSet<ActId>>,
    /// Who renders next (see `rendering.rs`).
    scheduler: Arc<Scheduler<crate::domain::Siren>>,
    /// Per-request render limits.
    render_limits: RenderSettings,
    /// Largest campaign file accepted (`campaign_max_upload_bytes`).
    campaign_upload_limit: usize,
    /// Campaign files sent in the web pages (`<data_dir>/campaign-uploads`).
    campaign_uploads: crate::campaign::upload::Uploads,
    act_locks: Vec<Mutex<()>>,
    /// Numbers taken by sealings that have not reached their seal record yet
    /// (see `sealing.rs`): a retry in this process reuses them.
    pending: std::sync::Mutex<std::collections::HashMap<ActId, crate::register::Entry>>,
    /// Sealed acts' immutable facts (see `immutable.rs`).
    sealed_cache: immutable::SealedCache,
    /// Sealed PDFs held in memory (see `pdf_cache.rs`).
    pdf_cache: pdf_cache::PdfCache,
    /// API tokens: one per process, so that a revocation made here applies
    /// at once to every request (see [`crate::auth::Tokens`]).
    tokens: crate::auth::Tokens,
    /// Whether this process has made sure every transfer is in the
    /// transfers' summary index (see `archive/index.rs`).
    transfer_index_checked: tokio::sync::OnceCell<()>,
}

impl Acta {
    /// Open every part as `settings` say. Nothing is served yet.
    pub fn open(settings: &Settings) -> Result<Self, OpenError> {
        let templates =
            FileTree::from_dir_or(settings.templates_dir.as_deref(), FileTree::builtin_templates)?;
        let schemas = FileTree::from_dir_or(settings.schemas_dir.as_deref(), FileTree::builtin_schemas)?;
        let logos = FileTree::from_dir_or(settings.logos_dir.as_deref(), FileTree::builtin_logos)?;
        let catalog = Catalog::load(&schemas, &templates)?;
        let engine = Engine::with_logos(&templates, &logos)?
            .with_max_pages(settings.render.max_pages)
            .with_threads(settings.render.slots())?;
        let collectivites = Collectivites::load(settings.collectivites_file.as_deref())?;
        let archive = archive::ArchiveConfig::load(settings.archive_file.as_deref())?;
        collectivites.check_logos(&logos)?;
        let store = match &settings.store {
            Some(url) => Store::open(url, &settings.s3)?,
            None => Store::local(&settings.store_dir())?,
        };
        // An instance may replace the built-in synonym list with its own.
        let synonyms = Synonyms::from_file_or_builtin(&settings.data_dir.join(search::SYNONYMS_FILE))?;
        let index = SearchIndex::open(&settings.index_dir(), synonyms)?;
        let keys = crate::keys::load(settings)?;
        let recheck = std::time::Duration::from_millis(settings.http.token_revocation_recheck_ms);
        if recheck > crate::auth::MAX_REVOCATION_RECHECK {
            return Err(OpenError::Setting(format!(
                "http.token_revocation_recheck_ms must be at most {} ms, not {}",
                crate::auth::MAX_REVOCATION_RECHECK.as_millis(),
                settings.http.token_revocation_recheck_ms
            )));
        }
        if keys.test_pki {
            tracing::warn!("sealing with the TEST PKI: configure seal.p12 for real acts");
        }
        Ok(Self {
            store: store.clone(),
            index: Arc::new(index),
            engine: Arc::new(engine),
            catalog,
            collectivites,
            registers: Registers::default(),
            sealer: keys.sealer,
            log_vkey: keys.log_signer.verifier().vkey(),
            log: Log::new(store.clone(), keys.log_signer),
            trust: Arc::new(keys.trust),
            // Verifications of untrusted PDFs: one per CPU at a time.
            verify_slots: Arc::new(Semaphore::new(
                std::thread::available_parallelism().map_or(1, |n| n.get()),
            )),
            verify_timeout: std::time::Duration::from_millis(settings.seal.verify_timeout_ms),
            archive,
            log_pending: Arc::new(Notify::new()),
            index_pending: Arc::new(Notify::new()),
            index_committer: std::sync::atomic::AtomicBool::new(false),
            follow_cursor: Mutex::new(0),
            indexed_here: std::sync::Mutex::default(),
            scheduler: rendering::scheduler(&settings.render),
            render_limits: settings.render.clone(),
            campaign_upload_limit: settings.campaign_max_upload_bytes.max(settings.max_body_bytes),
            campaign_uploads: crate::campaign::upload::Uploads::new(
                settings.data_dir.join("campaign-uploads"),
                std::time::Duration::from_secs(settings.campaign_upload_retention_hours.saturating_mul(3600)),
            ),
            act_locks: (0..ACT_LOCK_STRIPES).map(|_| Mutex::new(())).collect(),
            pending: std::sync::Mutex::default(),
            sealed_cache: immutable::SealedCache::default(),
            transfer_index_checked: tokio::sync::OnceCell::new(),
            pdf_cache: pdf_cache::PdfCache::new(settings.http.pdf_cache_bytes),
            tokens: crate::auth::Tokens::with_recheck(store.clone(), recheck),
        })
    }

    /// Probe the store and refuse it if it cannot guarantee create-only
    /// writes (unless `single_writer`); see [`crate::store::probe`].
    pub async fn check_store(&mut self, single_writer: bool) -> Result<Capabilities, StoreError> {
        let (store, caps) = self.store.clone().check(single_writer).await?;
        self.store = store;
        // The log and the tokens write through the probed store too (its
        // write mode).
        self.log = self.log.on(self.store.clone());
        self.tokens = self.tokens.on(self.store.clone());
        Ok(caps)
    }

    /// Largest campaign file an upload may bring, in bytes
    /// (`campaign_max_upload_bytes`, never below `max_body_bytes`).
    pub fn campaign_upload_limit(&self) -> usize {
        self.campaign_upload_limit
    }

    /// The campaign files sent in the web pages.
    pub fn campaign_uploads(&self) -> &crate::campaign::upload::Uploads {
        &self.campaign_uploads
    }

    /// The sealer (for benchmarks).
    pub fn sealer(&self) -> &Sealer {
        &self.sealer
    }

    /// The stored bytes of sealed act `id`.
    pub async fn sealed_bytes(&self, id: &ActId) -> Result<Bytes, ServiceError> {
        self.store
            .get(&keys::sealed_pdf(id))
            .await?
            .ok_or_else(|| ServiceError::Corrupt(format!("sealed PDF of {id} is missing")))
    }

    /// The register log's verifier key, to publish (signed-note `vkey`).
    pub fn log_verifier_key(&self) -> &str {
        &self.log_vkey
    }

    /// The API tokens, shared by everything in this process that checks,
    /// makes or revokes them.
    pub fn tokens(&self) -> &crate::auth::Tokens {
        &self.tokens
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The template catalogue.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The collectivités served.
    pub fn collectivites(&self) -> &Collectivites {
        &self.collectivites
    }

    /// Check a request: known template and collectivité, valid data.
    pub fn check(&self, req: &NewAct) -> Result<(&Template, &Profile), ServiceError> {
        let template = self
            .catalog
            .get(&req.template)
            .ok_or_else(|| ServiceError::UnknownTemplate(req.template.clone()))?;
        let profile = self
            .collectivites
            .get(&req.collectivite)
            .ok_or_else(|| ServiceError::UnknownCollectivite(req.collectivite.clone()))?;
        template.validate(&req.data, "/data").map_err(ServiceError::Invalid)?;
        let unprintable = document::unprintable(&req.data, "/data", &|c| self.engine.can_print(c));
        if !unprintable.is_empty() {
            return Err(ServiceError::Invalid(unprintable));
        }
        Ok((template, profile))
    }

    /// Parse and check a request body into a draft created at `at` (not stored).
    /// A `corrige` member is returned unresolved (see [`Acta::create_draft`]).
    fn new_draft(
        &self,
        body: &Value,
        at: OffsetDateTime,
    ) -> Result<(Draft, &Profile, Option<Correcting>), ServiceError> {
        let req = NewAct::parse(body).map_err(ServiceError::Invalid)?;
        let (template, profile) = self.check(&req)?;
        let corrects = req.corrects;
        let draft = Draft {
            id: ActId::generate(),
            title: template.act_title(&req.data),
            data_sha256: act::fingerprint(&req.data),
            template: req.template,
            collectivite: req.collectivite,
            data: req.data,
            created_at: at,
            corrects: None,
        };
        Ok((draft, profile, corrects))
    }

    /// The correction a new act of `collectivite` makes to the sealed act
    /// `act`: refused unless that act is sealed and of the same collectivité.
    async fn correction(
        &self,
        collectivite: &crate::domain::Siren,
        act: ActId,
        nature: CorrectionKind,
    ) -> Result<Correction, ServiceError> {
        let refused = || {
            ServiceError::Invalid(vec![crate::catalog::FieldError {
                path: "/corrige/acte".into(),
                message: "l'acte corrigé doit être un acte scellé de la même collectivité".into(),
            }])
        };
        let draft = match self.load_draft(&act).await {
            Err(ServiceError::ActNotFound) => return Err(refused()),
            other => other?,
        };
        let sealed = self.load_sealed(&act).await?.ok_or_else(refused)?;
        if draft.collectivite != *collectivite {
            return Err(refused());
        }
        Ok(Correction { nature, act, number: sealed.number, sealed_at: sealed.sealed_at })
    }

    /// Validate a request body and store it as a new draft.
    pub async fn create_draft(&self, body: &Value) -> Result<ActView, ServiceError> {
        let (mut draft, profile, corrects) = self.new_draft(body, now())?;
        if let Some((act, nature)) = corrects {
            draft.corrects = Some(self.correction(&draft.collectivite, act, nature).await?);
        }
        // Render once now, so that a draft that cannot be rendered is refused
        // instead of failing at sealing time.
        self.render_draft(&draft, profile).await?;
        let bytes = serde_json::to_vec(&draft).expect("drafts always serialise");
        self.store.create(&keys::draft(&draft.id), Bytes::from(bytes)).await?;
        self.index(&draft, None).await;
        Ok(ActView::new(&draft, profile, None))
    }

    /// Render a request as a draft PDF ("PROJET", no number) without storing
    /// anything. `at` is the date written in the PDF metadata.
    pub fn preview(&self, body: &Value, at: OffsetDateTime) -> Result<Vec<u8>, ServiceError> {
        self.preview_counted(body, at).map(|(pdf, _)| pdf)
    }

    /// [`Acta::preview`], with the document's number of pages.
    pub fn preview_counted(
        &self,
        body: &Value,
        at: OffsetDateTime,
    ) -> Result<(Vec<u8>, usize), ServiceError> {
        // A `corrige` member is not resolved here (no store access): the
        // preview shows the act without its correction line.
        let (draft, profile, _) = self.new_draft(body, at)?;
        self.lane(&draft)?;
        let data = document::data(&draft, profile, None);
        // The ident is the data fingerprint, not the throw-away id, so that the
        // same request always gives the same bytes.
        let job = RenderJob {
            template: &draft.template,
            data: &data,
            timestamp: utc(at),
            ident: draft.data_sha256.as_str(),
            title: &draft.title,
            author: &profile.nom,
        };
        Ok(self.engine.render_counted(&job)?)
    }

    /// The act `id`, draft or sealed.
    pub async fn get(&self, id: &ActId) -> Result<ActView, ServiceError> {
        self.get_as(id, true).await
    }

    /// The act `id` as a caller sees it: without `personal_data` (archiviste,
    /// lecteur), an individual act's title does not name the agent, as in
    /// search results.
    pub async fn get_as(&self, id: &ActId, personal_data: bool) -> Result<ActView, ServiceError> {
        let draft = self.load_draft(id).await?;
        let sealed = self.load_sealed(id).await?;
        let mut view = ActView::new(&draft, self.profile_of(&draft)?, sealed.as_ref());
        if !personal_data {
            view.title = document::public_title(&draft, self.catalog.get(&draft.template));
        }
        if sealed.is_some() {
            view.retrait = self.withdrawal(id).await?;
            view.archives = self.act_archives(id).await?;
        }
        Ok(view)
    }

    /// The PDF of act `id`: the stored bytes once sealed (the whole PDF
    /// from memory once read, see `pdf_cache.rs`; or the byte `range` of
    /// them), a fresh "PROJET" rendering while it is a draft.
    pub async fn pdf(&self, id: &ActId, range: Option<GetRange>) -> Result<Pdf, ServiceError> {
        if let Some(facts) = self.sealed_facts(id).await? {
            let body = match range {
                None => self.whole_sealed_pdf(id, &facts.sha256).await?,
                Some(range) => PdfBody::Sealed(
                    self.store
                        .read(&keys::sealed_pdf(id), Some(range))
                        .await?
                        .ok_or_else(|| ServiceError::Corrupt(format!("sealed PDF of {id} is missing")))?,
                ),
            };
            return Ok(Pdf { body, filename: facts.filename.clone(), sha256: Some(facts.sha256.clone()) });
        }
        let draft = self.load_draft(id).await?;
        let bytes = self.render_draft(&draft, self.profile_of(&draft)?).await?;
        Ok(Pdf {
            body: PdfBody::Draft(Bytes::from(bytes)),
            filename: format!("projet-{id}.pdf"),
            sha256: None,
        })
    }

    /// The collectivité of act `id` and whether it is sealed, without
    /// rendering anything: what access checks need.
    pub async fn owner(&self, id: &ActId) -> Result<(crate::domain::Siren, bool), ServiceError> {
        if let Some(facts) = self.sealed_cache.get(id) {
            return Ok((facts.collectivite.clone(), true));
        }
        let draft = self.load_draft(id).await?;
        match self.load_sealed(id).await? {
            Some(sealed) => {
                self.sealed_cache.remember(id, SealedFacts::new(draft.collectivite.clone(), &sealed));
                Ok((draft.collectivite, true))
            }
            // A discarded draft is gone for everyone (the seal record wins).
            None if self.is_discarded(id).await? => Err(ServiceError::ActNotFound),
            None => Ok((draft.collectivite, false)),
        }
    }

    async fn load_draft(&self, id: &ActId) -> Result<Draft, ServiceError> {
        let bytes = self.store.get(&keys::draft(id)).await?.ok_or(ServiceError::ActNotFound)?;
        serde_json::from_slice(&bytes).map_err(|e| ServiceError::Corrupt(format!("draft of {id}: {e}")))
    }

    async fn load_sealed(&self, id: &ActId) -> Result<Option<Sealed>, ServiceError> {
        let Some(bytes) = self.store.get(&keys::sealed_record(id)).await? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| ServiceError::Corrupt(format!("seal record of {id}: {e}")))
    }

    fn profile_of(&self, draft: &Draft) -> Result<&Profile, ServiceError> {
        self.collectivites.get(&draft.collectivite).ok_or_else(|| {
            ServiceError::Corrupt(format!(
                "act {} belongs to collectivité {} which is no longer configured",
                draft.id, draft.collectivite
            ))
        })
    }

    async fn render_draft(&self, draft: &Draft, profile: &Profile) -> Result<Vec<u8>, ServiceError> {
        self.render(draft, profile, None, draft.created_at).await
    }

    /// Index an act. The index is derived data: a failure here must not undo or
    /// fail what is already stored, so it is logged and the act is picked up
    /// again by the next reindexing.
    ///
    /// With the background committer (a server), the entry is only staged:
    /// any search that follows commits it first, so the act is found as if
    /// committed here, and no creation or sealing waits for a commit.
    async fn index(&self, draft: &Draft, sealed: Option<&Sealed>) {
        let Some(profile) = self.collectivites.get(&draft.collectivite) else { return };
        let entry = document::search_entry(draft, profile, self.catalog.get(&draft.template), sealed);
        let index = Arc::clone(&self.index);
        let staged_only = self.index_committer.load(std::sync::atomic::Ordering::Relaxed);
        let task = tokio::task::spawn_blocking(move || {
            if staged_only { index.stage(&[entry]).map(drop) } else { index.upsert(&[entry]) }
        });
        if staged_only {
            self.index_pending.notify_one();
        }
        // Normally the act is searchable when the call returns; a slow index
        // never holds the caller longer than this (the commit goes on).
        match tokio::time::timeout(search::INDEX_WAIT, task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => tracing::error!(act = %draft.id, error = %e, "indexing failed"),
            Ok(Err(e)) => tracing::error!(act = %draft.id, error = %e, "indexing task failed"),
            Err(_) => tracing::warn!(act = %draft.id, "indexing is slow; the act will be searchable shortly"),
        }
    }

    fn act_lock(&self, id: &ActId) -> &Mutex<()> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        id.hash(&mut h);
        &self.act_locks[(h.finish() as usize) % ACT_LOCK_STRIPES]
    }
}

/// Now, truncated to whole seconds (what PDF dates and RFC 3339 records keep),
/// so a stored time always reproduces the same rendering.
fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(0).unwrap_or(t)
}

fn utc(t: OffsetDateTime) -> time::PrimitiveDateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    time::PrimitiveDateTime::new(t.date(), t.time())
}
