//! The lexer on well-formed values, and its bounds on hostile ones.

use super::*;
use crate::seal::limits::{MAX_VALUES, MAX_WORK};

fn read(src: &[u8]) -> std::result::Result<Node, SyntaxError> {
    Lexer::at(src, 0, &Budget::default()).value()
}

fn parse(s: &str) -> Node {
    read(s.as_bytes()).unwrap()
}

fn limit_of(src: &[u8]) -> Option<Limit> {
    match read(src) {
        Err(SyntaxError::Limit { limit, .. }) => Some(limit),
        _ => None,
    }
}

#[test]
fn dictionaries_keep_references_integers_and_spans() {
    let src = "<< /Type /Page /Parent 2 0 R /Annots [5 0 R 6 0 R] /N 12 /T (a\\)b) /R 1.5 >>";
    let d = parse(src);
    assert_eq!(d.get_ref(b"Parent"), Some((2, 0)));
    assert_eq!(d.get_int(b"N"), Some(12));
    assert!(d.name_is(b"Type", b"Page", src.as_bytes()));
    let annots = d.get(b"Annots").unwrap();
    assert_eq!(&src[annots.span.clone()], "[5 0 R 6 0 R]");
    assert_eq!(d.get(b"T").unwrap().obj, Obj::Str(b"a)b".to_vec()));
}

#[test]
fn text_strings_are_escaped_or_utf16() {
    assert_eq!(text_string("a (b)"), "(a \\(b\\))");
    assert_eq!(text_string("n°"), "<FEFF006E00B0>");
}

#[test]
fn nesting_is_bounded_instead_of_exhausting_the_stack() {
    let deep = |open: &str, n: usize| open.repeat(n).into_bytes();
    assert_eq!(limit_of(&deep("[", 100_000)), Some(Limit::Depth));
    assert_eq!(limit_of(&deep("<</a ", 100_000)), Some(Limit::Depth));
    assert_eq!(limit_of(&deep("[<</k ", 50_000)), Some(Limit::Depth));
    let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert!(read(ok.as_bytes()).is_ok());
    let over = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    assert_eq!(limit_of(over.as_bytes()), Some(Limit::Depth));
}

#[test]
fn values_strings_and_work_are_bounded() {
    let many = format!("[{}]", "0 ".repeat(MAX_VALUES + 1));
    assert_eq!(limit_of(many.as_bytes()), Some(Limit::Values));
    let long = format!("({})", "a".repeat(MAX_STRING_BYTES + 1));
    assert_eq!(limit_of(long.as_bytes()), Some(Limit::StringBytes));
    let hex = format!("<{}", "a".repeat(MAX_STRING_BYTES + 10));
    assert_eq!(limit_of(hex.as_bytes()), Some(Limit::StringBytes));
    let name = format!("/{}", "n".repeat(MAX_STRING_BYTES + 1));
    assert_eq!(limit_of(name.as_bytes()), Some(Limit::StringBytes));
    // White space is work too: a reading stops once its budget is spent.
    let budget = Budget::default();
    let blank = vec![b' '; 1 << 20];
    for _ in 0..MAX_WORK / (1 << 20) {
        let _ = Lexer::at(&blank, 0, &budget).value();
    }
    assert!(budget.spent() >= MAX_WORK - (1 << 20));
    assert!(matches!(
        Lexer::at(&blank, 0, &budget).value(),
        Err(SyntaxError::Limit { limit: Limit::Work, .. })
    ));
}

#[test]
fn offsets_past_the_end_and_truncated_values_are_errors_not_panics() {
    let budget = Budget::default();
    let src = b"<< /A [1 2";
    assert!(Lexer::at(src, usize::MAX, &budget).value().is_err());
    assert!(Lexer::at(src, 1_000, &budget).object_header().is_err());
    assert!(Lexer::at(src, 1_000, &budget).token().unwrap().is_empty());
    for end in 0..src.len() {
        assert!(read(&src[..end]).is_err(), "{end}");
    }
    for bad in [&b"(abc"[..], b"<abc", b"<< /A 1", b"<< 1 2 >>", b")", b"12 0", b"1 99999999999 R"] {
        let _ = read(bad);
    }
    assert_eq!(parse("1 99999999999 R").obj, Obj::Int(1));
    assert_eq!(parse("-5").obj, Obj::Int(-5));
    assert_eq!(parse("99999999999999999999").obj, Obj::Other);
}
