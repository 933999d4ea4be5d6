//! Rendering an act within its limits, fairly between collectivités.
//!
//! Every render of the service (draft creation, draft PDF, sealing,
//! recovery) goes through [`Acta::render`]:
//! 1. the data's [`Weight`] is measured: a document that must have more than
//!    `max_pages` pages is refused before any layout; otherwise its likely
//!    page count chooses the lane (light, or heavy from `heavy_pages`);
//! 2. the collectivité waits for a slot of the fair [`Scheduler`] (its own
//!    queue per lane; heavy renders never take every slot);
//! 3. the render runs on the blocking pool *holding the slot*; the caller
//!    waits for it at most `time_budget_ms`. Typst cannot be cancelled, so
//!    a render over budget is abandoned: the caller gets `render_too_long`,
//!    the thread finishes and discards its result, and since it keeps its
//!    slot until then, abandoned work never exceeds the slots;
//! 4. the laid-out document is refused above `max_pages` before its PDF is
//!    written ([`Engine::with_max_pages`](crate::render::Engine::with_max_pages)).

use std::sync::Arc;

use serde_json::Value;
use time::OffsetDateTime;

use super::{Acta, ServiceError, document, utc};
use crate::act::Draft;
use crate::collectivite::Profile;
use crate::domain::{ActNumber, Siren};
use crate::render::schedule::{Capacity, Lane, Scheduler};
use crate::render::{RenderJob, RenderSettings, Weight};

/// Pixels per point of the « Aperçu » images: 1.5 (an A4 page is 893 ×
/// 1263 pixels, sharp on a laptop screen, about 100 KB).
const PNG_PIXEL_PER_PT: f32 = 1.5;

/// The scheduler `settings` describe.
pub(super) fn scheduler(settings: &RenderSettings) -> Arc<Scheduler<Siren>> {
    Scheduler::new(Capacity {
        slots: settings.slots(),
        heavy_slots: settings.heavy_slots(),
        heavy_per_tenant: settings.heavy_per_collectivite,
        queue_per_tenant: settings.queue_per_collectivite,
    })
}

impl Acta {
    /// The lane of `draft`'s render, or its refusal when its text alone
    /// cannot fit in `max_pages` pages.
    pub(super) fn lane(&self, draft: &Draft) -> Result<Lane, ServiceError> {
        let weight = Weight::of(&draft.data);
        let max = self.render_limits.max_pages;
        if weight.min_pages() > max {
            return Err(ServiceError::TooManyPages { pages: None, max });
        }
        Ok(if weight.likely_pages() >= self.render_limits.heavy_pages { Lane::Heavy } else { Lane::Light })
    }

    /// Renders running, heavy ones among them, and renders waiting.
    pub fn render_load(&self) -> (usize, usize, usize) {
        self.scheduler.load()
    }

    /// Most pages an act may have (`render.max_pages`): what bounds the
    /// largest PDF acta produces.
    pub fn max_pages(&self) -> usize {
        self.render_limits.max_pages
    }

    /// Render a document that is not an act (a campaign's bordereau,
    /// `crate::campaign::bordereau`): the Typst file `<template>.typ` of the
    /// templates, which needs no schema, with `data` as `/data.json`, through
    /// the fair scheduler on `collectivite`'s share and within the page limit
    /// and time budget of an act. Nothing is stored.
    pub async fn render_document(
        &self,
        template: crate::domain::TemplateId,
        data: &serde_json::Value,
        collectivite: Siren,
        title: String,
        author: String,
        at: OffsetDateTime,
    ) -> Result<Vec<u8>, ServiceError> {
        let weight = Weight::of(data);
        let max = self.render_limits.max_pages;
        if weight.min_pages() > max {
            return Err(ServiceError::TooManyPages { pages: None, max });
        }
        let lane =
            if weight.likely_pages() >= self.render_limits.heavy_pages { Lane::Heavy } else { Lane::Light };
        let bytes = serde_json::to_vec(data).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let permit = self
            .scheduler
            .acquire(collectivite, lane)
            .await
            .map_err(|full| ServiceError::RenderQueueFull { waiting: full.0 })?;
        let engine = Arc::clone(&self.engine);
        let ident = format!("{template}/{title}");
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let job = RenderJob {
                template: &template,
                data: &bytes,
                timestamp: utc(at),
                ident: &ident,
                title: &title,
                author: &author,
            };
            engine.render(&job)
        });
        let budget = self.render_limits.time_budget();
        match tokio::time::timeout(budget, task).await {
            Ok(joined) => Ok(joined.map_err(|e| ServiceError::Internal(format!("render task: {e}")))??),
            Err(_) => Err(ServiceError::RenderTooLong {
                budget_ms: u64::try_from(budget.as_millis()).unwrap_or(u64::MAX),
            }),
        }
    }

    /// Render `draft` as a draft ("PROJET", dated and identified by its
    /// creation) or, with its `number`, as the final act sealed `at`.
    pub(super) async fn render(
        &self,
        draft: &Draft,
        profile: &Profile,
        number: Option<&ActNumber>,
        at: OffsetDateTime,
    ) -> Result<Vec<u8>, ServiceError> {
        self.render_with(draft, profile, number, at, |engine, job| engine.render(job)).await
    }

    /// Page `page` (from 0) of the draft `id`'s "PROJET" rendering as a PNG,
    /// and the number of pages: the « Aperçu » images.
    pub async fn draft_page_png(
        &self,
        id: &crate::domain::ActId,
        page: usize,
    ) -> Result<(Vec<u8>, usize), ServiceError> {
        let draft = self.load_draft(id).await?;
        let profile = self.profile_of(&draft)?;
        let at = draft.created_at;
        self.render_with(&draft, profile, None, at, move |engine, job| {
            engine.render_png(job, page, PNG_PIXEL_PER_PT)
        })
        .await
    }

    /// Page `page` (from 0) of the "PROJET" rendering of a request that is
    /// not stored, and the number of pages: the live « Aperçu » of a form
    /// being typed. The request is checked as [`Acta::create_draft`] checks
    /// it (schema, text rules, business rules, the corrected act) and
    /// rendered through the same scheduler and limits; nothing is written.
    pub async fn unsaved_page_png(
        &self,
        body: &Value,
        page: usize,
    ) -> Result<(Vec<u8>, usize), ServiceError> {
        let at = super::now();
        let (mut draft, profile, corrects) = self.new_draft(body, at)?;
        if let Some((act, nature)) = corrects {
            draft.corrects = Some(self.correction(&draft.collectivite, act, nature).await?);
        }
        self.render_with(&draft, profile, None, at, move |engine, job| {
            engine.render_png(job, page, PNG_PIXEL_PER_PT)
        })
        .await
    }

    /// [`Acta::render`], the document exported by `export`.
    async fn render_with<T: Send + 'static>(
        &self,
        draft: &Draft,
        profile: &Profile,
        number: Option<&ActNumber>,
        at: OffsetDateTime,
        export: impl FnOnce(&crate::render::Engine, &RenderJob<'_>) -> Result<T, crate::render::RenderError>
        + Send
        + 'static,
    ) -> Result<T, ServiceError> {
        let lane = self.lane(draft)?;
        let data = document::data(draft, profile, number);
        let ident = number.map_or_else(|| draft.id.to_string(), ToString::to_string);
        let (template, title, author) = (draft.template.clone(), draft.title.clone(), profile.nom.clone());
        let permit = self
            .scheduler
            .acquire(draft.collectivite.clone(), lane)
            .await
            .map_err(|full| ServiceError::RenderQueueFull { waiting: full.0 })?;
        let engine = Arc::clone(&self.engine);
        let task = tokio::task::spawn_blocking(move || {
            // The slot is held by the render itself, not by its caller: a
            // render abandoned over budget keeps it until it really ends.
            let _permit = permit;
            let job = RenderJob {
                template: &template,
                data: &data,
                timestamp: utc(at),
                ident: &ident,
                title: &title,
                author: &author,
            };
            export(&engine, &job)
        });
        let budget = self.render_limits.time_budget();
        match tokio::time::timeout(budget, task).await {
            Ok(joined) => Ok(joined.map_err(|e| ServiceError::Internal(format!("render task: {e}")))??),
            Err(_) => {
                let budget_ms = u64::try_from(budget.as_millis()).unwrap_or(u64::MAX);
                tracing::warn!(act = %draft.id, collectivite = %draft.collectivite, ?lane, budget_ms,
                    "render over its time budget abandoned");
                Err(ServiceError::RenderTooLong { budget_ms })
            }
        }
    }
}
