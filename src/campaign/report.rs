//! The check report as a file for a spreadsheet: CSV (UTF-8 with BOM, `;`)
//! or XLSX, French headers, one row per problem (line, column, field,
//! message).
//!
//! Cells carry what the gestionnaire's file said (column headers, values
//! quoted in messages): a cell that a spreadsheet would read as a formula
//! (**formula injection**: starting with `=`, `+`, `-`, `@`, a tab or a
//! carriage return) is written as text — prefixed with `'` in CSV, a string
//! cell with Excel's « quote prefix » in XLSX — so that opening the report
//! never runs what a file smuggled in.

use rust_xlsxwriter::{Format, Workbook};

use super::CampaignError;
use super::check::CheckReport;
use super::spreadsheet::is_formula_like;

/// The report's column headers.
const HEADERS: [&str; 4] = ["ligne", "colonne", "champ", "message"];

/// MIME type of an XLSX workbook.
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn cells(report: &CheckReport) -> impl Iterator<Item = [String; 4]> + '_ {
    report.erreurs.iter().map(|e| {
        [e.ligne.to_string(), e.colonne.clone().unwrap_or_default(), e.champ.clone(), e.message.clone()]
    })
}

/// The report's problems as CSV (UTF-8 with BOM, `;`: opens in Excel).
pub fn csv(report: &CheckReport) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(b"\xEF\xBB\xBF".to_vec());
    let _ = w.write_record(HEADERS);
    for row in cells(report) {
        let _ = w.write_record(super::spreadsheet::record(row));
    }
    w.into_inner().unwrap_or_default()
}

/// The report's problems as an XLSX workbook: one sheet « Contrôle », the
/// header row bold and frozen, the line as a number, every other cell a
/// string (never a formula).
pub fn xlsx(report: &CheckReport) -> Result<Vec<u8>, CampaignError> {
    let fail = |e: rust_xlsxwriter::XlsxError| CampaignError::Corrupt(format!("xlsx: {e}"));
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Contrôle").map_err(fail)?;
    let bold = Format::new().set_bold();
    let text = Format::new().set_quote_prefix();
    for (col, h) in (0u16..).zip(HEADERS) {
        sheet.write_string_with_format(0, col, h, &bold).map_err(fail)?;
    }
    for (width, col) in [(8.0, 0u16), (24.0, 1), (32.0, 2), (80.0, 3)] {
        sheet.set_column_width(col, width).map_err(fail)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(fail)?;
    for (row, e) in (1u32..).zip(&report.erreurs) {
        sheet.write_number(row, 0, e.ligne as f64).map_err(fail)?;
        let values = [e.colonne.as_deref().unwrap_or(""), e.champ.as_str(), e.message.as_str()];
        for (col, v) in (1u16..).zip(values) {
            if is_formula_like(v) {
                sheet.write_string_with_format(row, col, v, &text).map_err(fail)?;
            } else {
                sheet.write_string(row, col, v).map_err(fail)?;
            }
        }
    }
    book.save_to_buffer().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::CellError;

    fn report() -> CheckReport {
        CheckReport {
            lignes: 2,
            valides: 0,
            invalides: 2,
            exclues: vec![],
            erreurs: vec![
                CellError {
                    ligne: 2,
                    colonne: Some("=HYPERLINK(\"http://x\")".into()),
                    champ: "/data/agent/nom".into(),
                    message: "champ obligatoire manquant".into(),
                },
                CellError {
                    ligne: 3,
                    colonne: Some("Nom".into()),
                    champ: "/data/agent/nom".into(),
                    message: "@SUM(1+1)".into(),
                },
            ],
            changements: vec![],
            pret: false,
            duree_ms: 1,
        }
    }

    #[test]
    fn a_cell_a_spreadsheet_would_compute_is_written_as_text_in_csv() {
        let text = String::from_utf8(csv(&report())).unwrap();
        assert!(text.starts_with("\u{feff}ligne;colonne;champ;message\n"), "{text}");
        assert!(text.contains("2;\"'=HYPERLINK(\"\"http://x\"\")\";/data/agent/nom;"), "{text}");
        assert!(text.contains("3;Nom;/data/agent/nom;'@SUM(1+1)"), "{text}");
    }

    #[test]
    fn the_xlsx_report_is_a_workbook_with_one_row_per_problem() {
        use calamine::{Data, Reader, Xlsx};
        let bytes = xlsx(&report()).unwrap();
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), vec!["Contrôle".to_owned()]);
        let range = book.worksheet_range("Contrôle").unwrap();
        let rows: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0][0], Data::String("ligne".into()));
        assert_eq!(rows[1][0], Data::Float(2.0));
        assert_eq!(rows[1][1], Data::String("=HYPERLINK(\"http://x\")".into()));
        assert_eq!(rows[2][3], Data::String("@SUM(1+1)".into()));
    }
}
