//! Turning Typst diagnostics into `file:line:col: message` lines, with the
//! call trace, so a template author can find the faulty line at once.

use typst::World;
use typst::WorldExt;
use typst::diag::{Severity, SourceDiagnostic};
use typst::syntax::DiagSpan;

use super::world::DocWorld;

/// Prefix Typst gives the message of `panic("…")`.
const PANIC_PREFIX: &str = "panicked with: ";

/// What a template's `panic` refuses.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Refusal {
    /// The request's data: the fields named (JSON pointers under `/data`,
    /// none when the rule concerns the act as a whole).
    Data(Vec<String>),
    /// The collectivité's profile lacks `field` (a pointer under
    /// `/collectivite`, e.g. `/collectivite/mediateur`).
    Profile(String),
}

/// When the first error is a template's `panic` with a text, what it refuses
/// and the message. The text may start with the JSON pointers of the faulty
/// fields, comma-separated, then ` : ` (`/data/a,/data/b : message`); a
/// pointer under `/collectivite` names a missing part of the profile.
pub(super) fn refusal(diags: &[SourceDiagnostic]) -> Option<(Refusal, String)> {
    let first = diags.iter().find(|d| d.severity == Severity::Error)?;
    let text = first.message.strip_prefix(PANIC_PREFIX)?.to_owned();
    let Some((head, message)) = text.split_once(" : ").filter(|(head, _)| !head.contains(' ')) else {
        return Some((Refusal::Data(Vec::new()), text));
    };
    if head.starts_with("/collectivite/") && !head.contains(',') {
        return Some((Refusal::Profile(head.to_owned()), message.to_owned()));
    }
    let paths: Vec<String> = head.split(',').map(str::to_owned).collect();
    if paths.iter().all(|p| p == "/data" || p.starts_with("/data/")) {
        Some((Refusal::Data(paths), message.to_owned()))
    } else {
        Some((Refusal::Data(Vec::new()), text))
    }
}

/// One line per error (warnings are dropped), each followed by its trace.
pub(super) fn format(world: &DocWorld<'_>, diags: &[SourceDiagnostic]) -> Vec<String> {
    let mut out = Vec::new();
    for d in diags.iter().filter(|d| d.severity == Severity::Error) {
        out.push(format!("{}: {}", locate(world, d.span), d.message));
        for t in &d.trace {
            let span = DiagSpan::from(t.span);
            out.push(format!("  trace: {} at {}", t.v, locate(world, span)));
        }
        for h in &d.hints {
            out.push(format!("  hint: {}", h.v));
        }
    }
    out
}

fn locate(world: &DocWorld<'_>, span: DiagSpan) -> String {
    let Some(id) = span.id() else { return "<unknown>".into() };
    let path = id.get().vpath().get_with_slash().to_owned();
    let Some(range) = world.range(span) else { return path };
    // Spans may point into non-source files such as /data.json.
    let position = match world.source(id) {
        Ok(source) => source.lines().byte_to_line_column(range.start),
        Err(_) => world
            .file(id)
            .ok()
            .and_then(|b| std::str::from_utf8(&b).ok().map(|s| typst::syntax::Lines::new(s.to_owned())))
            .and_then(|lines| lines.byte_to_line_column(range.start)),
    };
    match position {
        Some((line, col)) => format!("{path}:{}:{}", line + 1, col + 1),
        None => path,
    }
}
