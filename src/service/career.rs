//! The next act of a career starts from the last one: the agent's latest
//! sealed act (found by matricule, within the caller's scope) gives the data
//! a new draft is prefilled with.

use serde_json::Value;
use time::OffsetDateTime;

use super::{Acta, ServiceError};
use crate::domain::{ActId, ActNumber, Siren, TemplateId};
use crate::search::{Scope, SearchRequest, Sort};

/// An agent's latest sealed act.
#[derive(Debug, Clone)]
pub struct LastAct {
    /// The act.
    pub id: ActId,
    /// Its template.
    pub template: TemplateId,
    /// Its number.
    pub number: ActNumber,
    /// When it was sealed.
    pub sealed_at: OffsetDateTime,
    /// Its data.
    pub data: Value,
}

/// Most acts of one agent looked at.
const MAX_ACTS: usize = 50;

impl Acta {
    /// The latest sealed act of collectivité `siren` whose agent has
    /// `matricule` (exactly, letter case aside), among what `scope` may
    /// find; `None` when there is none.
    pub async fn last_act_of_agent(
        &self,
        siren: &Siren,
        matricule: &str,
        scope: Scope,
    ) -> Result<Option<LastAct>, ServiceError> {
        let matricule = matricule.trim();
        // A matricule is 1 to 20 letters, digits or dashes (the templates'
        // rule): anything else is no matricule, and never query syntax.
        let shape = (1..=20).contains(&matricule.len())
            && matricule.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !shape || !scope.personal_data() {
            return Ok(None);
        }
        let mut req = SearchRequest {
            text: matricule.to_owned(),
            sort: Sort::DateDesc,
            limit: MAX_ACTS,
            ..SearchRequest::default()
        };
        req.filters.collectivites.insert(siren.clone());
        req.filters.status = Some("sealed".into());
        let results = self.search(req, scope).await?;
        let mut best: Option<LastAct> = None;
        for hit in results.hits {
            let same = hit
                .agent
                .as_ref()
                .and_then(|a| a.matricule.as_deref())
                .is_some_and(|m| m.eq_ignore_ascii_case(matricule));
            let Ok(id) = hit.id.parse::<ActId>() else { continue };
            if !same {
                continue;
            }
            let Some(sealed) = self.load_sealed(&id).await? else { continue };
            if best.as_ref().is_some_and(|b| b.sealed_at >= sealed.sealed_at) {
                continue;
            }
            let draft = self.load_draft(&id).await?;
            best = Some(LastAct {
                id,
                template: draft.template,
                number: sealed.number,
                sealed_at: sealed.sealed_at,
                data: draft.data,
            });
        }
        Ok(best)
    }
}
