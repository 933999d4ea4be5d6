//! Selections from the store: which sealed acts a [`TransferSpec`] names, and
//! their descriptions for the SIP.
//!
//! Candidates come from the collectivité's registers
//! (`registers/<siren>/<series>/<year>/…`), so only numbered acts are seen;
//! an act counts once its seal record exists and carries the register
//! entry's number (a voided duplicate number is skipped). Filters:
//! - *date range*: the sealing day in Paris, `from` and `to` inclusive;
//! - *kinds*: template ids or register series;
//! - *séance*: acts whose data has `seance.date` equal to the séance's day.
//!   The séance is identified by that day within the collectivité: two
//!   meetings of one collectivité on the same day would share one unit.
//!   Convocations (`convocation-*` templates) and the minutes
//!   (`proces-verbal-*`) take their slots; every other act of the séance
//!   (délibérations, the list of délibérations) is a délibération-level child.
//!   Extra convocations or minutes (a corrected one) are added among them.

use std::collections::HashMap;

use futures::{StreamExt, TryStreamExt};
use serde_json::Value;
use time::{Date, OffsetDateTime, Time};

use super::error::ArchiveError;
use super::record::TransferSpec;
use crate::act::{Draft, Sealed};
use crate::collectivite::Profile as Collectivite;
use crate::domain::{ActId, Siren};
use crate::register::{Entry, day_in_paris};
use crate::seda::{ArchivedAct, Seance, Selection};
use crate::service::{Acta, ServiceError};

/// Store reads in flight while selecting.
const READS_IN_FLIGHT: usize = 16;

/// A selected act: its description plus what grouping needs.
struct Candidate {
    act: ArchivedAct,
    series: String,
    seance: Option<Date>,
    leaf: Option<u64>,
}

impl Candidate {
    /// The act, its leaf noted in `leaves`.
    fn keep(self, leaves: &mut HashMap<ActId, u64>) -> ArchivedAct {
        if let Some(leaf) = self.leaf {
            leaves.insert(self.act.id, leaf);
        }
        self.act
    }
}

/// What a selection found.
pub(super) struct Selected {
    /// The acts, grouped.
    pub selection: Selection,
    /// The séance unit's id, for a séance.
    pub seance: Option<String>,
    /// The register-log leaf of each act that has one.
    pub leaves: HashMap<ActId, u64>,
}

impl Acta {
    /// The selection `spec` describes (and the séance id, for a séance).
    pub(super) async fn select(
        &self,
        spec: &TransferSpec,
        profile: &Collectivite,
    ) -> Result<Selected, ArchiveError> {
        self.check_kinds(&spec.kinds)?;
        one_form(spec)?;
        let mut leaves = HashMap::new();
        if !spec.acts.is_empty() {
            let acts = self.explicit(spec, profile, &mut leaves).await?;
            return Ok(Selected { selection: Selection::Acts(acts), seance: None, leaves });
        }
        if let Some(raw) = &spec.seance {
            let day = parse_day(raw).ok_or_else(|| {
                ArchiveError::field("/seance", "attendu : le jour de la séance, AAAA-MM-JJ")
            })?;
            let years = day.year()..=day.year() + 1;
            let found = self.candidates(&profile.siren, Some(years), |_| true, profile).await?;
            let acts =
                found.into_iter().filter(|c| c.seance == Some(day)).map(|c| c.keep(&mut leaves)).collect();
            let seance = seance(acts, day, profile)?;
            let id = Some(seance.id.clone());
            return Ok(Selected { selection: Selection::Seance(Box::new(seance)), seance: id, leaves });
        }
        let (from, to) = (spec.from, spec.to);
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(ArchiveError::field("/to", "la date de fin précède la date de début"));
        }
        let years = match (from, to) {
            (None, None) => None,
            (f, t) => Some(f.map_or(i32::MIN, |d| d.year())..=t.map_or(i32::MAX, |d| d.year())),
        };
        let in_range = |e: &Entry| {
            let day = day_in_paris(e.sealed_at);
            from.is_none_or(|f| day >= f) && to.is_none_or(|t| day <= t)
        };
        let found = self.candidates(&profile.siren, years, in_range, profile).await?;
        let acts: Vec<_> =
            found.into_iter().filter(|c| kind_matches(&spec.kinds, c)).map(|c| c.keep(&mut leaves)).collect();
        if acts.is_empty() {
            return Err(ArchiveError::EmptySelection);
        }
        Ok(Selected { selection: Selection::Acts(acts), seance: None, leaves })
    }

    fn check_kinds(&self, kinds: &[String]) -> Result<(), ArchiveError> {
        for (i, kind) in kinds.iter().enumerate() {
            let known = self.catalog.iter().any(|t| t.id.as_str() == kind || t.series.as_str() == kind);
            if !known {
                return Err(ArchiveError::field(
                    &format!("/kinds/{i}"),
                    format!("« {kind} » n'est ni un modèle d'acte ni une série de registre"),
                ));
            }
        }
        Ok(())
    }

    /// The acts named by `spec.acts`, in that order.
    async fn explicit(
        &self,
        spec: &TransferSpec,
        profile: &Collectivite,
        leaves: &mut HashMap<ActId, u64>,
    ) -> Result<Vec<ArchivedAct>, ArchiveError> {
        let mut out = Vec::with_capacity(spec.acts.len());
        let mut seen = std::collections::HashSet::new();
        for (i, id) in spec.acts.iter().enumerate() {
            let refused = || {
                ArchiveError::field(
                    &format!("/acts/{i}"),
                    format!("l'acte {id} n'est pas un acte scellé de la collectivité {}", profile.siren),
                )
            };
            if !seen.insert(*id) {
                return Err(ArchiveError::field(
                    &format!("/acts/{i}"),
                    format!("l'acte {id} est cité deux fois"),
                ));
            }
            let draft = match self.load_draft(id).await {
                Err(ServiceError::ActNotFound) => return Err(refused()),
                other => other?,
            };
            let sealed = self.load_sealed(id).await?.ok_or_else(refused)?;
            if draft.collectivite != profile.siren {
                return Err(refused());
            }
            out.push(self.describe(&draft, &sealed, profile).keep(leaves));
        }
        Ok(out)
    }

    /// Every sealed act of `siren` in the register years `years` (all when
    /// `None`) whose register entry passes `keep`, in register order.
    async fn candidates(
        &self,
        siren: &Siren,
        years: Option<std::ops::RangeInclusive<i32>>,
        keep: impl Fn(&Entry) -> bool,
        profile: &Collectivite,
    ) -> Result<Vec<Candidate>, ArchiveError> {
        let keys = self.store.list(&format!("{}{siren}/", crate::store::keys::REGISTERS)).await?;
        let keys: Vec<String> = keys
            .into_iter()
            .filter(|k| {
                let year = k.split('/').nth(3).and_then(|y| y.parse::<i32>().ok());
                years.as_ref().is_none_or(|r| year.is_some_and(|y| r.contains(&y)))
            })
            .collect();
        let entries: Vec<Option<Entry>> = futures::stream::iter(keys)
            .map(|key| async move {
                let Some(bytes) = self.store.get(&key).await? else { return Ok(None) };
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| ServiceError::Corrupt(format!("register entry {key}: {e}")))
            })
            .buffered(READS_IN_FLIGHT)
            .try_collect()
            .await?;
        let wanted: Vec<Entry> = entries.into_iter().flatten().filter(|e| keep(e)).collect();
        let found: Vec<Option<Candidate>> = futures::stream::iter(wanted)
            .map(|entry| async move {
                let Some(sealed) = self.load_sealed(&entry.act_id).await? else { return Ok(None) };
                if sealed.number != entry.number {
                    return Ok(None); // a number voided in favour of another
                }
                let draft = self.load_draft(&entry.act_id).await?;
                Ok::<_, ServiceError>(Some(self.describe(&draft, &sealed, profile)))
            })
            .buffered(READS_IN_FLIGHT)
            .try_collect()
            .await?;
        Ok(found.into_iter().flatten().collect())
    }

    /// The SEDA description of a sealed act.
    fn describe(&self, draft: &Draft, sealed: &Sealed, profile: &Collectivite) -> Candidate {
        let template = self.catalog.get(&draft.template);
        let data_matiere = draft.data.pointer("/matiere").and_then(Value::as_str);
        let act = ArchivedAct {
            id: draft.id,
            number: sealed.number.clone(),
            title: draft.title.clone(),
            description: None,
            template: draft.template.to_string(),
            document_type: template.map_or_else(|| draft.template.to_string(), |t| t.title.clone()),
            nature: template.map_or(6, |t| t.nature),
            matiere: template
                .map(|t| t.matiere_of(&draft.data))
                .or_else(|| data_matiere.map(str::to_owned))
                .unwrap_or_else(|| "9.1".into()),
            personal: names_an_agent(&draft.data),
            medical: template.is_some_and(|t| t.secret_medical),
            siren: draft.collectivite.clone(),
            collectivite: profile.nom.clone(),
            created_at: draft.created_at,
            sealed_at: sealed.sealed_at,
            published_at: day_at(&draft.data, crate::service::document::PUBLICATION_DATE),
            transmission: None,
            sha512: sealed.hashes.sha512.clone(),
            size: sealed.hashes.size,
        };
        Candidate {
            act,
            series: sealed.series.to_string(),
            leaf: sealed.leaf,
            seance: draft.data.pointer("/seance/date").and_then(Value::as_str).and_then(parse_day),
        }
    }
}

/// Refuse a spec that mixes the forms of selection (a list of acts, a
/// séance, dates and kinds): only one would be used, and the caller would
/// transfer other acts than the ones meant.
fn one_form(spec: &TransferSpec) -> Result<(), ArchiveError> {
    let by_dates = spec.from.is_some() || spec.to.is_some() || !spec.kinds.is_empty();
    let mixed = match (!spec.acts.is_empty(), spec.seance.is_some(), by_dates) {
        (true, true, _) => Some("/seance"),
        (true, false, true) | (false, true, true) => Some(if !spec.kinds.is_empty() {
            "/kinds"
        } else if spec.from.is_some() {
            "/from"
        } else {
            "/to"
        }),
        _ => None,
    };
    match mixed {
        None => Ok(()),
        Some(path) => Err(ArchiveError::field(
            path,
            "une sélection est soit une liste d'actes (acts), soit une séance (seance), soit des dates et \
             des types (from, to, kinds) : ne les combinez pas",
        )),
    }
}

/// Whether `act` is of one of `kinds` (template id or series); all when empty.
fn kind_matches(kinds: &[String], c: &Candidate) -> bool {
    kinds.is_empty() || kinds.iter().any(|k| *k == c.act.template || *k == c.series)
}

/// The séance of `day` from its acts.
fn seance(acts: Vec<ArchivedAct>, day: Date, profile: &Collectivite) -> Result<Seance, ArchiveError> {
    if acts.is_empty() {
        return Err(ArchiveError::EmptySelection);
    }
    let (mut convocation, mut proces_verbal, mut others) = (None, None, Vec::new());
    for act in acts {
        if act.template.starts_with("convocation") && convocation.is_none() {
            convocation = Some(act);
        } else if act.template.starts_with("proces-verbal") && proces_verbal.is_none() {
            proces_verbal = Some(act);
        } else {
            others.push(act);
        }
    }
    others.sort_by(|a, b| (a.sealed_at, a.number.as_str()).cmp(&(b.sealed_at, b.number.as_str())));
    Ok(Seance {
        id: format!("{}-{day}", profile.siren),
        title: format!("Séance du {} — {}", french_date(day), profile.nom),
        date: day,
        convocation,
        deliberations: others,
        proces_verbal,
    })
}

fn parse_day(s: &str) -> Option<Date> {
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// A `YYYY-MM-DD` member of `data` as an instant (midnight UTC).
fn day_at(data: &Value, pointer: &str) -> Option<OffsetDateTime> {
    let day = parse_day(data.pointer(pointer)?.as_str()?)?;
    Some(day.with_time(Time::MIDNIGHT).assume_utc())
}

/// "1er mars 2026", "12 mars 2026": a day as acts and archive titles write it.
pub(crate) fn french_date(d: Date) -> String {
    use crate::domain::text::MONTHS;
    let day = if d.day() == 1 { "1er".to_owned() } else { d.day().to_string() };
    format!("{day} {} {}", MONTHS[d.month() as usize - 1], d.year())
}

/// Whether an act's data names an agent (`/agent`, as every career template
/// has): the same test that keeps the agent's name from those who may not
/// see personal data.
fn names_an_agent(data: &Value) -> bool {
    data.get("agent").is_some_and(Value::is_object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_dates_read_as_in_acts() {
        assert_eq!(french_date(time::macros::date!(2026 - 03 - 01)), "1er mars 2026");
        assert_eq!(french_date(time::macros::date!(2026 - 12 - 12)), "12 décembre 2026");
    }
}
