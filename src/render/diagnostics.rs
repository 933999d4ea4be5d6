//! Turning Typst diagnostics into `file:line:col: message` lines, with the
//! call trace, so a template author can find the faulty line at once.

use typst::World;
use typst::WorldExt;
use typst::diag::{Severity, SourceDiagnostic};
use typst::syntax::DiagSpan;

use super::world::DocWorld;

/// Prefix Typst gives the message of `panic("…")`.
const PANIC_PREFIX: &str = "panicked with: ";

/// When the first error is a template's `panic` with a text, that text, split
/// into an optional leading JSON pointer (`/data/x : message`) and the message.
pub(super) fn refusal(diags: &[SourceDiagnostic]) -> Option<(Option<String>, String)> {
    let first = diags.iter().find(|d| d.severity == Severity::Error)?;
    let text = first.message.strip_prefix(PANIC_PREFIX)?.to_owned();
    match text.split_once(" : ") {
        Some((path, message)) if path.starts_with("/data") && !path.contains(' ') => {
            Some((Some(path.to_owned()), message.to_owned()))
        }
        _ => Some((None, text)),
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
