//! What the campaign pages share: the change table and the sample links as
//! people read them, a campaign's state in French, and a sample PDF.

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::wording::collectivite_name;
use crate::campaign::changes::Change;
use crate::campaign::{Campaign, CampaignError, RunRecord, sample};
use crate::service::{Acta, ServiceError};
use crate::web::Web;
use crate::web::gate::Visit;
use crate::web::page::{error_page, internal_error};

/// One row of the change table: each column « before → after ».
pub struct ChangeRow {
    /// Line in the file.
    pub line: usize,
    /// Agent and matricule.
    pub agent: String,
    /// Collectivité's name.
    pub collectivite: String,
    /// Grade.
    pub grade: String,
    /// Échelon.
    pub echelon: String,
    /// Indice brut.
    pub brut: String,
    /// Indice majoré.
    pub majore: String,
    /// Date d'effet.
    pub date: String,
}

fn arrow(before: &Option<String>, after: &Option<String>) -> String {
    match (before, after) {
        (Some(b), Some(a)) if a == b => a.clone(),
        (Some(b), Some(a)) => format!("{b} → {a}"),
        (None, Some(a)) => format!("→ {a}"),
        (Some(b), None) => b.clone(),
        (None, None) => "—".into(),
    }
}

impl ChangeRow {
    /// The row of `c`.
    pub fn of(acta: &Acta, c: &Change) -> Self {
        Self {
            line: c.ligne,
            agent: match &c.matricule {
                Some(m) => format!("{} ({m})", c.agent),
                None => c.agent.clone(),
            },
            collectivite: collectivite_name(acta, &c.collectivite),
            grade: arrow(&c.grade_ancien, &c.grade_nouveau),
            echelon: arrow(&c.echelon_ancien, &c.echelon_nouveau),
            brut: arrow(&c.indice_brut_ancien, &c.indice_brut_nouveau),
            majore: arrow(&c.indice_majore_ancien, &c.indice_majore_nouveau),
            date: c.date_effet.clone().unwrap_or_else(|| "—".into()),
        }
    }
}

/// A sample act to open.
pub struct SampleLink {
    /// The PDF's address.
    pub href: String,
    /// What the link says.
    pub label: String,
}

impl SampleLink {
    /// The sample of line `line` with request `body`, at `href`.
    pub fn new(acta: &Acta, href: String, line: usize, body: &Value) -> Self {
        let siren = body.get("collectivite").and_then(Value::as_str).unwrap_or_default();
        let who = sample::agent(body).map(|a| format!("{a}, ")).unwrap_or_default();
        Self { href, label: format!("Ligne {line} : {who}{}", collectivite_name(acta, siren)) }
    }
}

/// A campaign's state in French, acts made and rows failed at the last run
/// (from its recorded runs: each act is made by exactly one run).
pub fn campaign_state(c: &Campaign, runs: &[RunRecord]) -> (&'static str, usize, usize) {
    let made: usize = runs.iter().map(|r| r.made).sum::<usize>().min(c.rows);
    let failed = runs.last().map_or(0, |r| r.failures.len());
    let state = if crate::campaign::run::running(&c.id).is_some() {
        "En cours"
    } else if runs.is_empty() {
        "Prête à lancer"
    } else if made == c.rows {
        "Terminée"
    } else if runs.last().is_some_and(|r| r.cancelled) {
        "Annulée avant la fin"
    } else if failed > 0 {
        "Terminée avec des échecs"
    } else {
        "Interrompue"
    };
    (state, made, failed)
}

/// Who made a campaign, as the API writes it.
pub fn who(visit: &Visit) -> String {
    visit.account.as_ref().map_or_else(|| "web".to_owned(), |a| format!("user {}", a.login))
}

/// Line `line`'s `body` rendered as a PROJET PDF, shown in the browser.
pub async fn sample_pdf(web: &Web, visit: &Visit, line: usize, body: Value) -> Response {
    match sample::render(&Arc::clone(&web.acta), body).await {
        Ok(pdf) => {
            let disposition = format!("inline; filename=\"exemple-ligne-{line}.pdf\"");
            (
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static("application/pdf")),
                    (
                        header::CONTENT_DISPOSITION,
                        HeaderValue::from_str(&disposition)
                            .unwrap_or_else(|_| HeaderValue::from_static("inline")),
                    ),
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                ],
                pdf,
            )
                .into_response()
        }
        Err(CampaignError::Service(ServiceError::Invalid(_))) => error_page(
            visit,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Exemple impossible",
            "Cette ligne n'est pas valide : corrigez-la d'abord (voir le rapport de contrôle).",
        ),
        Err(e) => internal_error(visit, &e),
    }
}
