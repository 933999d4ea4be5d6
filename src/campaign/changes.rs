//! The change table: what each act of a reclassement or promotion campaign
//! changes for its agent (grade, échelon, indices brut and majoré, before →
//! after, and the date d'effet), for the gestionnaire to review before
//! anything is made.
//!
//! The table is read from the rows' data by field names the career templates
//! share (`/agent`, `/grade` → `/grade_nouveau`, `/echelon/ancien` →
//! `/echelon/nouveau`, `/classement/…`, `/ancienne_situation/…` →
//! `/nouvelle_situation/…` (the reclassement), `/situation_ancienne/…` →
//! `/situation_nouvelle/…`, `/date_effet`); a mapping's `changes` member
//! points a column elsewhere. A column no row fills is left empty.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One row of the change table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Change {
    /// Line of the row in the source file.
    pub ligne: usize,
    /// SIREN of the collectivité.
    pub collectivite: String,
    /// The agent: civilité, first and last name.
    pub agent: String,
    /// Matricule.
    pub matricule: Option<String>,
    /// Grade before.
    pub grade_ancien: Option<String>,
    /// Grade after (the same as before for an avancement d'échelon).
    pub grade_nouveau: Option<String>,
    /// Échelon before.
    pub echelon_ancien: Option<String>,
    /// Échelon after.
    pub echelon_nouveau: Option<String>,
    /// Indice brut before.
    pub indice_brut_ancien: Option<String>,
    /// Indice brut after.
    pub indice_brut_nouveau: Option<String>,
    /// Indice majoré before.
    pub indice_majore_ancien: Option<String>,
    /// Indice majoré after.
    pub indice_majore_nouveau: Option<String>,
    /// Date d'effet (JJ/MM/AAAA).
    pub date_effet: Option<String>,
}

/// Where each column is looked for, in order.
const DEFAULTS: [(&str, &[&str]); 9] = [
    (
        "grade_ancien",
        &[
            "/ancienne_situation/grade",
            "/situation_ancienne/grade",
            "/ancien/grade",
            "/grade_ancien",
            "/grade",
        ],
    ),
    (
        "grade_nouveau",
        &["/nouvelle_situation/grade", "/situation_nouvelle/grade", "/nouveau/grade", "/grade_nouveau"],
    ),
    (
        "echelon_ancien",
        &[
            "/ancienne_situation/echelon",
            "/situation_ancienne/echelon",
            "/ancien/echelon",
            "/echelon/ancien",
            "/echelon_actuel",
            "/echelon_ancien",
        ],
    ),
    (
        "echelon_nouveau",
        &[
            "/nouvelle_situation/echelon",
            "/situation_nouvelle/echelon",
            "/nouveau/echelon",
            "/echelon/nouveau",
            "/classement/echelon",
            "/echelon_nouveau",
        ],
    ),
    (
        "indice_brut_ancien",
        &[
            "/ancienne_situation/indice_brut",
            "/situation_ancienne/indice_brut",
            "/ancien/indice_brut",
            "/indice_brut_ancien",
        ],
    ),
    (
        "indice_brut_nouveau",
        &[
            "/nouvelle_situation/indice_brut",
            "/situation_nouvelle/indice_brut",
            "/nouveau/indice_brut",
            "/echelon/indice_brut",
            "/classement/indice_brut",
        ],
    ),
    (
        "indice_majore_ancien",
        &[
            "/ancienne_situation/indice_majore",
            "/situation_ancienne/indice_majore",
            "/ancien/indice_majore",
            "/indice_majore_ancien",
        ],
    ),
    (
        "indice_majore_nouveau",
        &[
            "/nouvelle_situation/indice_majore",
            "/situation_nouvelle/indice_majore",
            "/nouveau/indice_majore",
            "/echelon/indice_majore",
            "/classement/indice_majore",
        ],
    ),
    ("date_effet", &["/date_effet"]),
];

/// The change-table row of one request body.
pub fn of(line: usize, body: &Value, overrides: &BTreeMap<String, String>) -> Change {
    let data = body.get("data").unwrap_or(&Value::Null);
    let text = |p: &str| match data.pointer(p)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let field = |name: &str| match overrides.get(name) {
        Some(p) => text(p),
        None => DEFAULTS.iter().find(|(n, _)| *n == name).and_then(|(_, ps)| ps.iter().find_map(|p| text(p))),
    };
    let agent = ["/agent/civilite", "/agent/prenom", "/agent/nom"]
        .iter()
        .filter_map(|p| text(p))
        .collect::<Vec<_>>()
        .join(" ");
    let grade_ancien = field("grade_ancien");
    Change {
        ligne: line,
        collectivite: body.get("collectivite").and_then(Value::as_str).unwrap_or_default().to_owned(),
        agent,
        matricule: text("/agent/matricule"),
        grade_nouveau: field("grade_nouveau").or_else(|| grade_ancien.clone()),
        grade_ancien,
        echelon_ancien: field("echelon_ancien"),
        echelon_nouveau: field("echelon_nouveau"),
        indice_brut_ancien: field("indice_brut_ancien"),
        indice_brut_nouveau: field("indice_brut_nouveau"),
        indice_majore_ancien: field("indice_majore_ancien"),
        indice_majore_nouveau: field("indice_majore_nouveau"),
        date_effet: field("date_effet").map(|d| french_day(&d)),
    }
}

fn french_day(iso: &str) -> String {
    match iso.split('-').collect::<Vec<_>>().as_slice() {
        [y, m, d] => format!("{d}/{m}/{y}"),
        _ => iso.to_owned(),
    }
}

/// The change table as CSV for a spreadsheet (UTF-8 with BOM, `;`).
pub fn to_csv(changes: &[Change]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(b"\xEF\xBB\xBF".to_vec());
    let _ = w.write_record([
        "ligne",
        "collectivité",
        "agent",
        "matricule",
        "grade ancien",
        "grade nouveau",
        "échelon ancien",
        "échelon nouveau",
        "IB ancien",
        "IB nouveau",
        "IM ancien",
        "IM nouveau",
        "date d’effet",
    ]);
    for c in changes {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        let _ = w.write_record(super::spreadsheet::record([
            c.ligne.to_string(),
            c.collectivite.clone(),
            c.agent.clone(),
            o(&c.matricule),
            o(&c.grade_ancien),
            o(&c.grade_nouveau),
            o(&c.echelon_ancien),
            o(&c.echelon_nouveau),
            o(&c.indice_brut_ancien),
            o(&c.indice_brut_nouveau),
            o(&c.indice_majore_ancien),
            o(&c.indice_majore_nouveau),
            o(&c.date_effet),
        ]));
    }
    w.into_inner().unwrap_or_default()
}
