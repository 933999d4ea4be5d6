//! Reading a campaign's source file: CSV (`;` or `,`, UTF-8 or
//! Windows-1252, as French HR software exports it), XLSX (first sheet), or
//! JSON Lines (one request body of `POST /api/v1/acts` per line).
//!
//! The format is told by the file name's extension, else by the content: a
//! ZIP signature is an XLSX workbook, a first character `{` JSON Lines,
//! anything else CSV.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

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
            Ok(Self::Bodies(json_lines(&decode(bytes))?))
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

/// A source file's name as kept with the campaign and printed on its pages
/// and bordereau: its last path segment, without the characters the text
/// policy refuses (controls, line separators, bidirectional controls that
/// turn `evil\u{202E}gpj.csv` into `evilvsc.jpg` on screen, invisible ones),
/// at most 120 characters; `None` when nothing is left.
pub fn file_name(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String =
        base.chars().filter(|&c| c != '\n' && crate::domain::text::refused(c).is_none()).take(120).collect();
    let clean = clean.trim();
    (!clean.is_empty()).then(|| clean.to_owned())
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
        push(&mut table, line, cells)?;
    }
    finish(table)
}

/// Most bytes of a workbook once unzipped, all its parts together. A
/// 20,500-row campaign sheet is ~20 MB of XML; a « ZIP bomb » (a few MB that
/// inflate to gigabytes) is refused before anything is parsed.
pub const MAX_XLSX_UNZIPPED_BYTES: u64 = 128 * 1024 * 1024;

/// Last column a campaign sheet may use (a campaign has a few dozen).
pub const MAX_XLSX_COLUMNS: u32 = 1024;

fn xlsx(bytes: &[u8]) -> Result<Table, CampaignError> {
    let unreadable =
        |e: &dyn std::fmt::Display| CampaignError::Source(format!("classeur XLSX illisible : {e}"));
    unzipped_size(bytes)?;
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let first = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| CampaignError::Source("le classeur XLSX n’a aucune feuille".into()))?;
    // Cells are read one by one into sparse rows: the sheet's rectangle
    // (calamine's `Range`) is dense, and one cell at XFD1048576 made it 17
    // billion cells — a 1.5 kB file exhausted the server's memory.
    let mut reader = workbook.worksheet_cells_reader(&first).map_err(|e| unreadable(&e))?;
    let mut rows: BTreeMap<u32, BTreeMap<u32, String>> = BTreeMap::new();
    let mut first_column = u32::MAX;
    while let Some(c) = reader.next_cell().map_err(|e| unreadable(&e))? {
        let (row, column) = c.get_position();
        let value = Data::from(c.get_value().clone());
        if value == Data::Empty {
            continue;
        }
        if column >= MAX_XLSX_COLUMNS {
            return Err(CampaignError::Source(format!(
                "la feuille a une valeur à la ligne {} au-delà de la colonne {MAX_XLSX_COLUMNS} : \
                 supprimez les cellules hors du tableau",
                u64::from(row) + 1
            )));
        }
        first_column = first_column.min(column);
        rows.entry(row).or_default().insert(column, cell(&value));
    }
    let mut table = Table::default();
    for (row, cells) in rows {
        let last = cells.keys().next_back().copied().unwrap_or(first_column);
        let mut line = vec![String::new(); (last - first_column + 1) as usize];
        for (column, text) in cells {
            line[(column - first_column) as usize] = text;
        }
        push(&mut table, row as usize + 1, line)?;
    }
    finish(table)
}

/// The bytes a workbook's parts inflate to, counted by inflating them (the
/// sizes a ZIP declares may lie); refused past [`MAX_XLSX_UNZIPPED_BYTES`].
fn unzipped_size(bytes: &[u8]) -> Result<u64, CampaignError> {
    let unreadable =
        |e: &dyn std::fmt::Display| CampaignError::Source(format!("classeur XLSX illisible : {e}"));
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let mut total = 0u64;
    for i in 0..zip.len() {
        let part = zip.by_index(i).map_err(|e| unreadable(&e))?;
        let left = MAX_XLSX_UNZIPPED_BYTES - total;
        total += std::io::copy(&mut part.take(left + 1), &mut std::io::sink()).map_err(|e| unreadable(&e))?;
        if total > MAX_XLSX_UNZIPPED_BYTES {
            return Err(CampaignError::Source(format!(
                "le classeur XLSX dépasse {} Mo une fois décompressé : découpez la campagne",
                MAX_XLSX_UNZIPPED_BYTES / 1024 / 1024
            )));
        }
    }
    Ok(total)
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

/// The first non-empty line is the header; empty lines are skipped; past
/// [`MAX_ROWS`] rows the file is refused.
fn push(table: &mut Table, line: usize, cells: Vec<String>) -> Result<(), CampaignError> {
    if cells.iter().all(String::is_empty) {
        return Ok(());
    }
    if table.headers.is_empty() {
        table.headers = cells;
    } else if table.rows.len() >= MAX_ROWS {
        return Err(too_many_rows());
    } else {
        table.rows.push((line, cells));
    }
    Ok(())
}

/// Most rows of one campaign: a CdG's whole staff (~20,500 agents) fits
/// twice. Each row is checked and held with its request body and its
/// problems (a few kB): a 4 MB file of two million one-letter lines once
/// took 7 GB and the server down.
pub const MAX_ROWS: usize = 50_000;

fn too_many_rows() -> CampaignError {
    CampaignError::Source(format!("le fichier compte plus de {MAX_ROWS} lignes : découpez la campagne"))
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

/// Request bodies by line (see [`Source::Bodies`]).
type Bodies = Vec<(usize, Result<Value, String>)>;

fn json_lines(text: &str) -> Result<Bodies, CampaignError> {
    let lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    if lines.clone().nth(MAX_ROWS).is_some() {
        return Err(too_many_rows());
    }
    Ok(lines.map(|(i, l)| (i + 1, body(l))).collect())
}

/// One line read as `POST /api/v1/acts` reads its body: within the same
/// limits (depth, string length, items) and refusing a repeated member, so
/// that a body a campaign accepts is one the API accepts.
fn body(line: &str) -> Result<Value, String> {
    use crate::http::error::ApiError;
    use crate::http::input::{InputError, MAX_DEPTH, MAX_ITEMS, MAX_STRING_CHARS, parse};
    let at = |path: &str| if path.is_empty() { String::new() } else { format!(" (en {path})") };
    parse(line.as_bytes()).map_err(|e| match e {
        ApiError::Input(InputError::TooDeep) => {
            format!("ligne JSON imbriquée sur plus de {MAX_DEPTH} niveaux")
        }
        ApiError::Input(InputError::StringTooLong(p)) => {
            format!("un texte dépasse {MAX_STRING_CHARS} caractères{}", at(&p))
        }
        ApiError::Input(InputError::TooManyItems(p)) => {
            format!("une liste ou un objet dépasse {MAX_ITEMS} éléments{}", at(&p))
        }
        ApiError::Input(InputError::DuplicateMember(p)) => {
            format!(
                "un objet donne deux fois le même champ{} : chaque champ ne peut figurer qu'une fois",
                at(&p)
            )
        }
        _ => {
            let column = serde_json::from_str::<Value>(line).err().map_or(0, |e| e.column());
            format!("ligne JSON illisible (colonne {column}) : corps de requête attendu")
        }
    })
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
    fn a_json_line_is_held_to_the_limits_of_the_api_body() {
        let long = "x".repeat(crate::http::input::MAX_STRING_CHARS + 1);
        let text = format!(
            "{{\"template\":\"a\",\"template\":\"b\"}}\n{{\"data\":{{\"nom\":\"{long}\"}}}}\n{{\"ok\":1}}\n{{oops\n"
        );
        let Source::Bodies(rows) = Source::read("x.jsonl", text.as_bytes()).unwrap() else { panic!() };
        let messages: Vec<_> = rows.iter().map(|(line, r)| (*line, r.as_ref().err().cloned())).collect();
        assert!(
            messages[0].1.as_deref().is_some_and(|m| m.contains("deux fois") && m.contains("/template")),
            "{messages:?}"
        );
        assert!(
            messages[1].1.as_deref().is_some_and(|m| m.contains("caractères") && m.contains("/data/nom")),
            "{messages:?}"
        );
        assert_eq!(messages[2], (3, None));
        assert!(
            messages[3].1.as_deref().is_some_and(|m| m.starts_with("ligne JSON illisible (colonne 2)")),
            "{messages:?}"
        );
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

    /// A workbook whose first sheet is `sheet` (written by `write`).
    fn workbook(write: impl FnOnce(&mut dyn std::io::Write)) -> Vec<u8> {
        use zip::write::SimpleFileOptions;
        let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let o = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let parts = [
            (
                "[Content_Types].xml",
                r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
            ),
            (
                "_rels/.rels",
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
            ),
            (
                "xl/workbook.xml",
                r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Campagne" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
            ),
            (
                "xl/_rels/workbook.xml.rels",
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
            ),
        ];
        for (name, text) in parts {
            z.start_file(name, o).unwrap();
            std::io::Write::write_all(&mut z, text.as_bytes()).unwrap();
        }
        z.start_file("xl/worksheets/sheet1.xml", o.large_file(true)).unwrap();
        write(&mut z);
        z.finish().unwrap().into_inner()
    }

    const SHEET: &str = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;

    fn inline(at: &str, text: &str) -> String {
        format!(r#"<c r="{at}" t="inlineStr"><is><t>{text}</t></is></c>"#)
    }

    #[test]
    fn a_sheet_is_read_by_its_cells_from_its_first_column() {
        let xml = format!(
            "{SHEET}<row r=\"2\">{}{}</row><row r=\"4\">{}<c r=\"D4\"><v>430</v></c></row></sheetData></worksheet>",
            inline("B2", "Nom"),
            inline("C2", "Indice"),
            inline("B4", "Cœurdevey")
        );
        let bytes = workbook(|w| w.write_all(xml.as_bytes()).unwrap());
        let Source::Table(t) = Source::read("x.xlsx", &bytes).unwrap() else { panic!() };
        assert_eq!(t.headers, ["Nom", "Indice"]);
        assert_eq!(t.rows, [(4, vec!["Cœurdevey".to_owned(), String::new(), "430".into()])]);
    }

    /// One cell at the sheet's last address made calamine's dense range 17
    /// billion cells: a 1.5 kB upload killed the server (out of memory).
    #[test]
    fn a_cell_far_outside_the_table_is_refused_not_allocated() {
        let xml = format!(
            "{SHEET}<row r=\"1\">{}</row><row r=\"1048576\"><c r=\"XFD1048576\"><v>1</v></c></row></sheetData></worksheet>",
            inline("A1", "Nom")
        );
        let bytes = workbook(|w| w.write_all(xml.as_bytes()).unwrap());
        assert!(bytes.len() < 4096);
        let e = Source::read("x.xlsx", &bytes).unwrap_err().to_string();
        assert!(e.contains("ligne 1048576 au-delà de la colonne 1024"), "{e}");
    }

    /// 2 MB inflating to gigabytes held 6 GB of the server's memory for 50 s.
    #[test]
    fn a_workbook_that_inflates_past_the_limit_is_refused_before_it_is_parsed() {
        let bytes = workbook(|w| {
            w.write_all(format!("{SHEET}<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>").as_bytes())
                .unwrap();
            let chunk = vec![b'A'; 1 << 20];
            for _ in 0..=MAX_XLSX_UNZIPPED_BYTES >> 20 {
                w.write_all(&chunk).unwrap();
            }
            w.write_all(b"</t></is></c></row></sheetData></worksheet>").unwrap();
        });
        let e = Source::read("x.xlsx", &bytes).unwrap_err().to_string();
        assert!(e.contains("dépasse 128 Mo une fois décompressé"), "{e}");
    }

    #[test]
    fn a_file_of_more_rows_than_a_campaign_takes_is_refused_in_every_format() {
        let csv = format!("Nom\n{}", "a\n".repeat(MAX_ROWS + 1));
        let jsonl = "{}\n".repeat(MAX_ROWS + 1);
        for (name, bytes) in [("x.csv", csv.as_bytes()), ("x.jsonl", jsonl.as_bytes())] {
            let e = Source::read(name, bytes).unwrap_err().to_string();
            assert!(e.contains("plus de 50000 lignes"), "{name}: {e}");
        }
        let rows: String = (2..=MAX_ROWS + 2)
            .map(|r| format!("<row r=\"{r}\">{}</row>", inline(&format!("A{r}"), "a")))
            .collect();
        let xml = format!("{SHEET}<row r=\"1\">{}</row>{rows}</sheetData></worksheet>", inline("A1", "Nom"));
        let e = Source::read("x.xlsx", &workbook(|w| w.write_all(xml.as_bytes()).unwrap())).unwrap_err();
        assert!(e.to_string().contains("plus de 50000 lignes"), "{e}");
        // Exactly the limit passes.
        let csv = format!("Nom\n{}", "a\n".repeat(MAX_ROWS));
        assert_eq!(Source::read("x.csv", csv.as_bytes()).unwrap().len(), MAX_ROWS);
    }

    #[test]
    fn a_file_name_keeps_no_path_control_bidi_or_invisible_character() {
        assert_eq!(file_name("C:\\RH\\vague\u{202E}vsc.xlsx").as_deref(), Some("vaguevsc.xlsx"));
        assert_eq!(file_name("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(file_name("a\nb\u{200B}.csv").as_deref(), Some("ab.csv"));
        assert_eq!(file_name(&"x".repeat(500)).map(|n| n.chars().count()), Some(120));
        assert_eq!(file_name("\u{2066}\u{2069}"), None);
        assert_eq!(
            file_name("Promotions 2026 — Aubrecourt.xlsx").as_deref(),
            Some("Promotions 2026 — Aubrecourt.xlsx")
        );
    }

    #[test]
    fn a_header_named_twice_is_refused() {
        assert!(Source::read("x.csv", b"Nom;nom\na;b\n").is_err());
    }
}
