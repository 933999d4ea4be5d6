//! Cells of the CSV files acta writes for spreadsheets (the check report, the
//! change table, the bordereau d'envoi). Their text comes from the campaign's
//! file — names, grades, any cell a gestionnaire or a commune typed — and a
//! spreadsheet opening the CSV reads a cell starting with `=`, `+`, `-` or
//! `@` (or a tab or carriage return before one) as a formula: `=HYPERLINK(…)`
//! or `=cmd|' /C calc'!A0` would run on the computer of whoever opens the
//! report. Such a cell is written after an apostrophe, which spreadsheets
//! show as text and do not display (OWASP, CSV injection).

/// Whether a spreadsheet would read `text` as a formula (full-width signs
/// included: some spreadsheets fold them).
pub fn is_formula_like(text: &str) -> bool {
    matches!(text.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r' | '＝' | '＋' | '－' | '＠'))
}

/// `text` as a CSV cell a spreadsheet shows as text, never evaluates.
pub fn cell(text: &str) -> String {
    if is_formula_like(text) { format!("'{text}") } else { text.to_owned() }
}

/// [`cell`] for every field of a record.
pub fn record<S: AsRef<str>>(fields: impl IntoIterator<Item = S>) -> Vec<String> {
    fields.into_iter().map(|f| cell(f.as_ref())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_a_spreadsheet_would_evaluate_is_written_as_text() {
        for hostile in ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "＝1+1"] {
            assert_eq!(cell(hostile), format!("'{hostile}"));
        }
        for plain in ["Mme Léonie Cœurdevey (A-00417)", "2026_ARR_00001", "15/04/2026", "", "a=b", "« =1 »"]
        {
            assert_eq!(cell(plain), plain);
        }
    }
}
