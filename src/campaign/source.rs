//! Reading a campaign's source file: CSV (`;` or `,`, UTF-8 or
//! Windows-1252, as French HR software exports it), XLSX (first sheet), or
//! JSON Lines (one request body of `POST /api/v1/acts` per line).
//!
//! The format is told by the file name's extension, else by the content: a
//! ZIP signature is an XLSX workbook, a first character `{` JSON Lines,
//! anything else CSV.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use serde_json::Value;

use super::CampaignError;

/// What a source file holds.
#[derive(Debug, Clone)]
pub enum Source {
    /// A spreadsheet: a header line, then one row per act (mapped to request
    /// bodies by a [`super::Mapping`]).
    Table(Table),
    /// Request bodies, by line; a line that is not JSON keeps its parse error
    /// (in French), reported with the others.
    Bodies(Vec<(usize, Result<Value, String>)>),
}

/// A spreadsheet.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Column headers, trimmed.
    pub headers: Vec<String>,
    /// Rows: the line in the file (the header is line 1) and the cells.
    pub rows: Vec<(usize, Vec<String>)>,
}

/// Largest source file read (a 20,500-row campaign is a few MB).
pub const MAX_SOURCE_BYTES: usize = 64 * 1024 * 1024;

impl Source {
    /// Read `bytes`, named `name` (its extension tells the format).
    pub fn read(name: &str, bytes: &[u8]) -> Result<Self, CampaignError> {
        if bytes.len() > MAX_SOURCE_BYTES {
            return Err(CampaignError::Source(format!(
                "le fichier dépasse {} Mo : découpez la campagne",
                MAX_SOURCE_BYTES / 1024 / 1024
            )));
        }
        let lower = name.to_lowercase();
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if lower.ends_with(".xlsx") || bytes.starts_with(b"PK\x03\x04") {
            xlsx(bytes).map(Self::Table)
        } else if lower.ends_with(".jsonl") || lower.ends_with(".ndjson") || first == Some(&b'{') {
            Ok(Self::Bodies(json_lines(&decode(bytes))))
        } else {
            csv(&decode(bytes)).map(Self::Table)
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Self::Table(t) => t.rows.len(),
            Self::Bodies(b) => b.len(),
        }
    }

    /// Whether it has no row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The text of a file: UTF-8 (with or without BOM) when it is valid UTF-8,
/// else Windows-1252, what spreadsheet software on Windows writes as "CSV".
fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned(),
    }
}

/// `;` unless the header line has more commas than semicolons.
fn delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or_default();
    let count = |d: char| header.chars().filter(|&c| c == d).count();
    if count(',') > count(';') { b',' } else { b';' }
}

fn csv(text: &str) -> Result<Table, CampaignError> {
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter(text))
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut table = Table::default();
    // The line of a record, counted from its byte offset (a quoted cell may
    // span several lines, so records and lines differ).
    let (mut counted_to, mut line) = (0usize, 1usize);
    let mut line_at = |byte: usize| {
        let byte = byte.min(text.len());
        if byte > counted_to {
            line += text.as_bytes()[counted_to..byte].iter().filter(|&&b| b == b'\n').count();
            counted_to = byte;
        }
        line
    };
    let mut record = ::csv::StringRecord::new();
    loop {
        // The record starts where the previous one ended, after the line
        // ending the CSV parser leaves there (the `\n` of a `\r\n`).
        let mut start = (reader.position().byte() as usize).min(text.len());
        while text.as_bytes().get(start).is_some_and(|b| *b == b'\r' || *b == b'\n') {
            start += 1;
        }
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(CampaignError::Source(format!(
                    "fichier CSV illisible à la ligne {} : {e}",
                    line_at(start)
                )));
            }
        }
        let line = line_at(start);
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_owned()).collect();
        push(&mut table, line, cells);
    }
    finish(table)
}

fn xlsx(bytes: &[u8]) -> Result<Table, CampaignError> {
    let unreadable =
        |e: &dyn std::fmt::Display| CampaignError::Source(format!("classeur XLSX illisible : {e}"));
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| CampaignError::Source("le classeur XLSX n’a aucune feuille".into()))?
        .map_err(|e| unreadable(&e))?;
    let (first_row, _) = range.start().unwrap_or((0, 0));
    let mut table = Table::default();
    for (i, row) in range.rows().enumerate() {
        let line = first_row as usize + i + 1;
        push(&mut table, line, row.iter().map(cell).collect());
    }
    finish(table)
}

/// A cell as text: whole numbers without decimals, dates as `AAAA-MM-JJ`.
fn cell(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "oui" } else { "non" }.to_owned(),
        Data::DateTime(dt) => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            format!("{y:04}-{m:02}-{d:02}")
        }
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// The first non-empty line is the header; empty lines are skipped.
fn push(table: &mut Table, line: usize, cells: Vec<String>) {
    if cells.iter().all(String::is_empty) {
        return;
    }
    if table.headers.is_empty() {
        table.headers = cells;
    } else {
        table.rows.push((line, cells));
    }
}

fn finish(table: Table) -> Result<Table, CampaignError> {
    if table.headers.is_empty() {
        return Err(CampaignError::Source("le fichier est vide".into()));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(dup) = table.headers.iter().filter(|h| !h.is_empty()).find(|h| !seen.insert(h.to_lowercase()))
    {
        return Err(CampaignError::Source(format!("la colonne « {dup} » figure deux fois dans l’en-tête")));
    }
    Ok(table)
}

fn json_lines(text: &str) -> Vec<(usize, Result<Value, String>)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let parsed = serde_json::from_str(l).map_err(|e| {
                format!("ligne JSON illisible (colonne {}) : corps de requête attendu", e.column())
            });
            (i + 1, parsed)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(bytes: &[u8]) -> Table {
        match Source::read("x.csv", bytes).unwrap() {
            Source::Table(t) => t,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_windows_1252_csv_with_semicolons_is_read_with_its_accents() {
        let t = table(b"Nom;Pr\xe9nom;Indice\r\nC\x9curdevey;L\xe9onie;\"1 234,5\"\r\n\r\n");
        assert_eq!(t.headers, ["Nom", "Prénom", "Indice"]);
        assert_eq!(t.rows, [(2, vec!["Cœurdevey".to_owned(), "Léonie".into(), "1 234,5".into()])]);
        let t = table(b"a;b\n\"x\ny\";1\n2;3\n");
        assert_eq!(t.rows.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 4], "a quoted cell spans two lines");
    }

    #[test]
    fn a_utf8_csv_with_commas_and_a_bom_is_read() {
        let t = table("\u{feff}Nom,Prénom\nDurand,\"Anne, Marie\"\n".as_bytes());
        assert_eq!(t.headers, ["Nom", "Prénom"]);
        assert_eq!(t.rows[0].1, ["Durand", "Anne, Marie"]);
    }

    #[test]
    fn a_header_named_twice_is_refused() {
        assert!(Source::read("x.csv", b"Nom;nom\na;b\n").is_err());
    }
}
