//! Checking every row of a campaign before any act is made.
//!
//! Each row becomes the request body of `POST /api/v1/acts` (through the
//! mapping for a spreadsheet), then goes through the same validation as a
//! draft ([`Acta::check_request`]): envelope, JSON Schema, printable
//! characters, and the template's business rules, by evaluating the
//! template with the row's data (no layout); the first row of each template
//! and collectivité is laid out too (without writing its PDF), for what only
//! a layout finds. Rows are checked on every core. The
//! report names each problem by line, column (for a spreadsheet) and field,
//! in French. Two rows for the same agent (matricule) of the same
//! collectivité, or two identical rows, are refused too: a wave makes one
//! act per agent.

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

use super::changes::{self, Change};
use super::mapping::{Bound, Mapping};
use super::source::Source;
use super::{CampaignError, mapping};
use crate::catalog::FieldError;
use crate::domain::{Siren, TemplateId};
use crate::service::{Acta, ServiceError};

/// One problem of one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CellError {
    /// Line in the source file (the header is line 1).
    pub ligne: usize,
    /// Column header, when the problem comes from a spreadsheet column.
    pub colonne: Option<String>,
    /// The field, as a JSON pointer of the request body (`/data/agent/nom`).
    pub champ: String,
    /// What is wrong, in French.
    pub message: String,
}

/// The result of a check.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CheckReport {
    /// Rows read.
    pub lignes: usize,
    /// Rows valid (excluded ones not counted).
    pub valides: usize,
    /// Rows with at least one problem.
    pub invalides: usize,
    /// Lines explicitly excluded (not checked, not made).
    pub exclues: Vec<usize>,
    /// Every problem, by line then column.
    pub erreurs: Vec<CellError>,
    /// The change table of the valid rows.
    pub changements: Vec<Change>,
    /// Whether the campaign can be made: no invalid row, at least one valid.
    pub pret: bool,
    /// Time the check took, in milliseconds.
    pub duree_ms: u64,
}

/// A valid row, ready to be made.
#[derive(Debug, Clone)]
pub struct ReadyRow {
    /// Line in the source file.
    pub line: usize,
    /// The request body.
    pub body: Value,
}

/// A checked source: the report, and the rows to make when it is ready.
#[derive(Debug)]
pub struct Checked {
    /// The report.
    pub report: CheckReport,
    /// The valid rows, in file order.
    pub rows: Vec<ReadyRow>,
    /// The template, when every row uses the same one.
    pub template: Option<TemplateId>,
}

/// What a check needs besides the file.
pub struct Options<'a> {
    /// The column mapping (spreadsheets only).
    pub mapping: Option<&'a Mapping>,
    /// Lines excluded by the gestionnaire.
    pub exclude: &'a BTreeSet<usize>,
    /// Whether the caller may act for a collectivité.
    pub in_scope: &'a (dyn Fn(&Siren) -> bool + Sync),
}

impl std::fmt::Debug for Options<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options").field("mapping", &self.mapping).field("exclude", &self.exclude).finish()
    }
}

struct Input<'a> {
    line: usize,
    body: Result<Value, String>,
    cells: Vec<mapping::CellProblem>,
    bound: Option<&'a Bound<'a>>,
}

/// Check every row of `source`. CPU-bound (a layout per row, on every
/// core): call it off the async runtime.
pub fn check(acta: &Acta, source: &Source, options: &Options<'_>) -> Result<Checked, CampaignError> {
    let started = Instant::now();
    let bound;
    let mut inputs = Vec::with_capacity(source.len());
    let mut excluded = Vec::new();
    match source {
        Source::Table(table) => {
            let mapping = options.mapping.ok_or_else(|| {
                CampaignError::Mapping("une correspondance de colonnes est nécessaire pour un tableur".into())
            })?;
            let template = acta
                .catalog()
                .get(&mapping.template)
                .ok_or_else(|| CampaignError::UnknownTemplate(mapping.template.clone()))?;
            bound = mapping.bind(template, table)?;
            for (line, cells) in &table.rows {
                if options.exclude.contains(line) {
                    excluded.push(*line);
                    continue;
                }
                let (body, problems) = bound.body(cells);
                inputs.push(Input { line: *line, body: Ok(body), cells: problems, bound: Some(&bound) });
            }
        }
        Source::Bodies(lines) => {
            for (line, body) in lines {
                if options.exclude.contains(line) {
                    excluded.push(*line);
                    continue;
                }
                inputs.push(Input { line: *line, body: body.clone(), cells: Vec::new(), bound: None });
            }
        }
    }
    let errors_by_row = check_all(acta, &inputs, options);
    let mut errors: Vec<CellError> = errors_by_row.iter().flatten().cloned().collect();
    errors.extend(duplicates(&inputs, &errors_by_row));
    errors.sort_by(|a, b| (a.ligne, &a.colonne, &a.champ).cmp(&(b.ligne, &b.colonne, &b.champ)));
    let bad: BTreeSet<usize> = errors.iter().map(|e| e.ligne).collect();
    let overrides = options.mapping.map(|m| m.changes.clone()).unwrap_or_default();
    let mut rows = Vec::new();
    let mut changements = Vec::new();
    let mut templates = BTreeSet::new();
    for input in inputs {
        if bad.contains(&input.line) {
            continue;
        }
        let Ok(body) = input.body else { continue };
        changements.push(changes::of(input.line, &body, &overrides));
        if let Some(t) = body.get("template").and_then(Value::as_str) {
            templates.insert(t.to_owned());
        }
        rows.push(ReadyRow { line: input.line, body });
    }
    let template = match templates.len() {
        1 => templates.into_iter().next().and_then(|t| t.parse().ok()),
        _ => None,
    };
    let report = CheckReport {
        lignes: source.len(),
        valides: rows.len(),
        invalides: bad.len(),
        exclues: excluded,
        erreurs: errors,
        changements,
        pret: bad.is_empty() && !rows.is_empty(),
        duree_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    };
    Ok(Checked { report, rows, template })
}

/// The (template, collectivité) pairs whose first row was laid out.
type LaidOut = std::sync::Mutex<std::collections::HashSet<(String, String)>>;

/// The problems of every row, checked on every core.
fn check_all(acta: &Acta, inputs: &[Input<'_>], options: &Options<'_>) -> Vec<Vec<CellError>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(inputs.len().max(1));
    let laid_out = LaidOut::default();
    let laid_out = &laid_out;
    let chunk = inputs.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = inputs
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter().map(|i| check_row(acta, i, options, laid_out)).collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}

fn check_row(acta: &Acta, input: &Input<'_>, options: &Options<'_>, laid_out: &LaidOut) -> Vec<CellError> {
    let column = |field: &str| input.bound.and_then(|b| b.column_of(field)).map(str::to_owned);
    let at = |field: &str, message: String| CellError {
        ligne: input.line,
        colonne: column(field),
        champ: field.to_owned(),
        message,
    };
    let body = match &input.body {
        Ok(body) => body,
        Err(message) => return vec![at("", message.clone())],
    };
    let mut errors: Vec<CellError> = input
        .cells
        .iter()
        .map(|p| CellError {
            ligne: input.line,
            colonne: Some(p.column.clone()),
            champ: p.field.clone(),
            message: p.message.clone(),
        })
        .collect();
    if let Some(siren) =
        body.get("collectivite").and_then(Value::as_str).and_then(|s| s.parse::<Siren>().ok())
        && !(options.in_scope)(&siren)
    {
        errors.push(at(
            "/collectivite",
            format!("la collectivité de SIREN {siren} n’est pas dans votre périmètre"),
        ));
        return errors;
    }
    let unreadable: BTreeSet<&str> = input.cells.iter().map(|p| p.field.as_str()).collect();
    let fields = |list: Vec<FieldError>| -> Vec<CellError> {
        list.into_iter()
            // A cell that could not be read is reported once, not again as missing.
            .filter(|f| !unreadable.contains(f.path.as_str()))
            .map(|f| {
                let message = match column(&f.path) {
                    None if f.message == "champ obligatoire manquant" && input.bound.is_some() => {
                        format!("{} (aucune colonne du fichier ne le renseigne)", f.message)
                    }
                    _ => f.message,
                };
                at(&f.path, message)
            })
            .collect()
    };
    // Every row is evaluated (the template's rules); the first row of each
    // template and collectivité is also laid out, for what only a layout
    // finds (show rules, the collectivité's profile in the page setup).
    let key = (
        body.get("template").and_then(Value::as_str).unwrap_or_default().to_owned(),
        body.get("collectivite").and_then(Value::as_str).unwrap_or_default().to_owned(),
    );
    let layout = laid_out.lock().unwrap_or_else(|p| p.into_inner()).insert(key);
    match acta.check_request(body, layout) {
        Ok(()) => {}
        Err(ServiceError::Invalid(list)) => errors.extend(fields(list)),
        Err(ServiceError::UnknownTemplate(t)) => {
            errors.push(at("/template", format!("aucun modèle d’acte « {t} »")))
        }
        Err(ServiceError::UnknownCollectivite(s)) => errors.push(at(
            "/collectivite",
            format!("aucune collectivité de SIREN {s} n’est servie par cette instance"),
        )),
        Err(ServiceError::ProfileIncomplete { field, message }) => {
            errors.push(at(&field, format!("profil de la collectivité incomplet : {message}")));
        }
        Err(ServiceError::TooManyPages { max, .. }) => {
            errors.push(at("/data", format!("l’acte dépasserait {max} pages")));
        }
        Err(e) => {
            tracing::error!(line = input.line, error = %e, "campaign row check failed");
            errors
                .push(at("", "vérification impossible (erreur interne, voir le journal du serveur)".into()));
        }
    }
    errors
}

/// Rows repeating another: the same agent (matricule) of the same
/// collectivité and template, or identical data.
fn duplicates(inputs: &[Input<'_>], errors: &[Vec<CellError>]) -> Vec<CellError> {
    let mut seen: HashMap<(String, String, String), usize> = HashMap::new();
    let mut out = Vec::new();
    for (input, errs) in inputs.iter().zip(errors) {
        let Ok(body) = &input.body else { continue };
        if !errs.is_empty() {
            continue;
        }
        let get = |p: &str| body.pointer(p).and_then(Value::as_str).unwrap_or_default().to_owned();
        let (siren, template) = (get("/collectivite"), get("/template"));
        let data = body.get("data").cloned().unwrap_or_default();
        let who = match data.pointer("/agent/matricule").and_then(Value::as_str) {
            Some(m) => format!("matricule:{m}"),
            None => format!("data:{}", crate::act::fingerprint(&data)),
        };
        if let Some(first) = seen.insert((siren, template, who.clone()), input.line) {
            let column = input.bound.and_then(|b| b.column_of("/data/agent/matricule")).map(str::to_owned);
            let message = match who.strip_prefix("matricule:") {
                Some(m) => {
                    format!("l’agent de matricule {m} figure déjà à la ligne {first} : un acte par agent")
                }
                None => format!("ligne identique à la ligne {first}"),
            };
            out.push(CellError {
                ligne: input.line,
                colonne: column,
                champ: "/data/agent/matricule".into(),
                message,
            });
        }
    }
    out
}

/// The report's problems as CSV for a spreadsheet (UTF-8 with BOM, `;`).
pub fn errors_csv(report: &CheckReport) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(b"\xEF\xBB\xBF".to_vec());
    let _ = w.write_record(["ligne", "colonne", "champ", "message"]);
    for e in &report.erreurs {
        let _ = w.write_record(super::spreadsheet::record([
            &e.ligne.to_string(),
            e.colonne.as_deref().unwrap_or(""),
            &e.champ,
            &e.message,
        ]));
    }
    w.into_inner().unwrap_or_default()
}
