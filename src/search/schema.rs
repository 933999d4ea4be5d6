//! The index schema: one tantivy document per act, built from an [`Entry`].
//!
//! *Public* fields may be searched and returned to anyone whose [`super::Scope`]
//! covers the act's collectivité. *Restricted* fields (the agent of an
//! individual act: name, matricule, and the full title that names them) are
//! searched and returned only to a scope allowed to see personal data.
//! Identifiers (SIREN, act number, template…) are indexed verbatim and matched
//! exactly; the facets read them from fast fields.

use tantivy::DateTime;
use tantivy::TantivyDocument;
use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions,
};
use time::{Date, OffsetDateTime};

use super::analyzer;
use super::request::{MAX_YEAR, MIN_YEAR};

/// What one act contributes to the index.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Act id.
    pub id: String,
    /// SIREN of the collectivité.
    pub siren: String,
    /// Name of the collectivité.
    pub collectivite: String,
    /// Template id.
    pub template: String,
    /// Kind of act (`arrete`, `deliberation`, `convocation`…).
    pub kind: String,
    /// @ctes nature code (1 délibération … 6 autres).
    pub nature: u64,
    /// @ctes matière code ("4.1").
    pub matiere: String,
    /// "draft" or "sealed".
    pub status: String,
    /// Act number, once sealed.
    pub number: Option<String>,
    /// Public title: never names the agent of an individual act.
    pub title: String,
    /// Text of the act's content, without the agent's name; empty when the
    /// content is covered by medical secrecy.
    pub body: String,
    /// The agent of an individual act (restricted).
    pub person: Option<Person>,
    /// Dates of the act.
    pub dates: Dates,
    /// Year of the act (register year once sealed, creation year for drafts).
    pub year: u64,
}

/// The agent an individual act is about: restricted data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// "Mme Camille Durand".
    pub name: String,
    /// Matricule, when the data carries one.
    pub matricule: Option<String>,
    /// Full title of the act, naming the agent.
    pub title: String,
}

/// The dates of an act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dates {
    /// Date of the decision (`/date_decision`), where the template has one.
    pub decision: Option<Date>,
    /// Date the act takes effect (`/date_effet`, else `/date_debut`).
    pub effect: Option<Date>,
    /// Date of the séance (`/seance/date`) for assembly acts.
    pub seance: Option<Date>,
    /// Date of publication or display (`/publication/date`), where known:
    /// with the transmission to the préfet, what makes an act exécutoire.
    pub publication: Option<Date>,
    /// Draft creation.
    pub created: OffsetDateTime,
    /// Sealing, once sealed.
    pub sealed: Option<OffsetDateTime>,
}

impl Dates {
    /// The act's own date, used for sorting and as the default date of
    /// ranges: decision, else séance, else sealing, else creation.
    pub fn act(&self) -> OffsetDateTime {
        self.decision
            .or(self.seance)
            .map(|d| d.midnight().assume_utc())
            .or(self.sealed)
            .unwrap_or(self.created)
    }
}

/// The fields of the schema.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fields {
    pub id: Field,
    pub siren: Field,
    pub collectivite: Field,
    pub template: Field,
    pub kind: Field,
    pub nature: Field,
    pub matiere: Field,
    pub status: Field,
    pub number: Field,
    pub title: Field,
    pub body: Field,
    pub person_title: Field,
    pub agent: Field,
    pub matricule: Field,
    pub date: Field,
    pub decision: Field,
    pub effect: Field,
    pub seance: Field,
    pub publication: Field,
    pub created: Field,
    pub sealed: Field,
    pub year: Field,
}

/// Names of the fast fields counted as facets (besides `year`).
pub(super) const STRING_FACETS: [&str; 5] = ["siren", "kind", "template", "status", "matiere"];

/// Fields anyone may name in a query (`title:budget`).
pub(super) const PUBLIC_FIELDS: [&str; 11] = [
    "title",
    "body",
    "collectivite",
    "number",
    "siren",
    "template",
    "kind",
    "nature",
    "matiere",
    "status",
    "year",
];
/// Fields only a scope allowed to see personal data may name.
pub(super) const RESTRICTED_FIELDS: [&str; 2] = ["agent", "matricule"];

pub(super) fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let french = text(analyzer::FRENCH);
    let exact = STRING | STORED | FAST;
    let date = DateOptions::from(INDEXED | STORED | FAST).set_precision(DateTimePrecision::Seconds);
    let fields = Fields {
        id: b.add_text_field("id", exact.clone()),
        siren: b.add_text_field("siren", exact.clone()),
        collectivite: b.add_text_field("collectivite", french.clone() | STORED),
        template: b.add_text_field("template", exact.clone()),
        kind: b.add_text_field("kind", exact.clone()),
        nature: b.add_u64_field("nature", INDEXED | STORED | FAST),
        matiere: b.add_text_field("matiere", exact.clone()),
        status: b.add_text_field("status", exact),
        number: b.add_text_field("number", STRING | STORED),
        title: b.add_text_field("title", french.clone() | STORED),
        body: b.add_text_field("body", french | STORED),
        person_title: b.add_text_field("person_title", STORED),
        agent: b.add_text_field("agent", text(analyzer::NAMES) | STORED),
        matricule: b.add_text_field("matricule", STRING | STORED),
        date: b.add_date_field("date", date.clone()),
        decision: b.add_date_field("decision", date.clone()),
        effect: b.add_date_field("effect", date.clone()),
        seance: b.add_date_field("seance", date.clone()),
        publication: b.add_date_field("publication", date.clone()),
        created: b.add_date_field("created", date.clone()),
        sealed: b.add_date_field("sealed", date),
        year: b.add_u64_field("year", INDEXED | STORED | FAST),
    };
    (b.build(), fields)
}

/// A calendar date as an index date (midnight UTC).
pub(super) fn day(d: Date) -> DateTime {
    DateTime::from_utc(d.midnight().assume_utc())
}

impl Fields {
    /// The tantivy document of an entry.
    pub(super) fn document(&self, e: &Entry) -> TantivyDocument {
        let mut d = TantivyDocument::default();
        d.add_text(self.id, &e.id);
        d.add_text(self.siren, &e.siren);
        d.add_text(self.collectivite, &e.collectivite);
        d.add_text(self.template, &e.template);
        d.add_text(self.kind, &e.kind);
        d.add_u64(self.nature, e.nature);
        d.add_text(self.matiere, &e.matiere);
        d.add_text(self.status, &e.status);
        if let Some(n) = &e.number {
            d.add_text(self.number, n);
        }
        d.add_text(self.title, &e.title);
        if !e.body.is_empty() {
            d.add_text(self.body, &e.body);
        }
        if let Some(p) = &e.person {
            d.add_text(self.person_title, &p.title);
            d.add_text(self.agent, &p.name);
            if let Some(m) = &p.matricule {
                d.add_text(self.matricule, m);
            }
        }
        d.add_date(self.date, DateTime::from_utc(e.dates.act()));
        for (field, value) in [
            (self.decision, e.dates.decision),
            (self.effect, e.dates.effect),
            (self.seance, e.dates.seance),
            (self.publication, e.dates.publication),
        ] {
            // A date the index cannot hold (tantivy clamps beyond 2262) is
            // left out rather than stored wrong; filters refuse such dates.
            if let Some(v) = value.filter(|v| (MIN_YEAR..=MAX_YEAR).contains(&v.year())) {
                d.add_date(field, day(v));
            }
        }
        d.add_date(self.created, DateTime::from_utc(e.dates.created));
        if let Some(s) = e.dates.sealed {
            d.add_date(self.sealed, DateTime::from_utc(s));
        }
        d.add_u64(self.year, e.year);
        d
    }
}
