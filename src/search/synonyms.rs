//! Synonyms and abbreviations ("CST" ↔ "comité social territorial"), expanded
//! at query time.
//!
//! A *group* is a set of equivalent *forms*, one line of `index/synonymes.txt`
//! (built into the binary; an instance may replace it with its own file). Each
//! form is compared through the French analyser, so case, accents, plurals and
//! stop words do not matter. In a parsed query, a run of plain words (or one
//! quoted phrase) spelling a form is replaced by "any form of its group", each
//! form searched as a phrase. Expanding the query rather than the index means a
//! changed list applies at once, without reindexing.
//!
//! A group may also name *broader* forms, after `>`: searching one of its
//! forms also looks for them, but searching a broader form does not look for
//! the group. "CLM | congé de longue maladie > congé de santé": the acts
//! whose content is covered by medical secrecy are indexed by their title
//! only ("Arrêté portant congé de santé"), and an archivist who types "CLM"
//! must find them; one who types "congé de santé" must not get only CLM.

use std::path::Path;

use tantivy::query_grammar::{Delimiter, Occur, UserInputAst, UserInputLeaf, UserInputLiteral};
use tantivy::tokenizer::TextAnalyzer;

use super::SearchError;
use super::analyzer;

/// The list built into the binary.
const BUILTIN: &str = include_str!("../../index/synonymes.txt");
/// Longest run of words looked at for one form.
const MAX_FORM_WORDS: usize = 16;

/// One form: as written, and as analysed.
#[derive(Debug, Clone)]
struct Form {
    text: String,
    tokens: Vec<String>,
}

/// One line of the list: equivalent forms, and the broader forms a search for
/// them also looks for.
#[derive(Debug, Clone)]
struct Group {
    forms: Vec<Form>,
    broader: Vec<Form>,
}

impl Group {
    /// Every form searched for a form of the group.
    fn searched(&self) -> impl Iterator<Item = &Form> {
        self.forms.iter().chain(&self.broader)
    }
}

/// Groups of equivalent forms.
#[derive(Debug, Clone, Default)]
pub struct Synonyms {
    groups: Vec<Group>,
}

impl Synonyms {
    /// The built-in list (`index/synonymes.txt`).
    pub fn builtin() -> Self {
        Self::parse(BUILTIN).expect("the built-in synonym list is valid (tested)")
    }

    /// `file` if it exists, else the built-in list.
    pub fn from_file_or_builtin(file: &Path) -> Result<Self, SearchError> {
        match std::fs::read_to_string(file) {
            Ok(text) => {
                Self::parse(&text).map_err(|e| SearchError::Synonyms(format!("{}: {e}", file.display())))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::builtin()),
            Err(e) => Err(SearchError::Synonyms(format!("{}: {e}", file.display()))),
        }
    }

    /// Parse a list: one group per line, forms separated by `|`, then
    /// optionally `>` and broader forms separated by `|`; `#` comments.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut analyzer = analyzer::french();
        let mut groups = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split('>');
            let (forms, broader) = (parts.next().unwrap_or_default(), parts.next());
            if parts.next().is_some() {
                return Err(format!("line {}: more than one « > »", n + 1));
            }
            let mut read = |list: &str| -> Result<Vec<Form>, String> {
                list.split('|')
                    .map(str::trim)
                    .map(|form| {
                        let tokens = analyzer::tokens(&mut analyzer, form);
                        if tokens.is_empty() {
                            return Err(format!("line {}: « {form} » has no searchable word", n + 1));
                        }
                        Ok(Form { text: form.to_owned(), tokens })
                    })
                    .collect()
            };
            let forms = read(forms)?;
            let broader = broader.map(&mut read).transpose()?.unwrap_or_default();
            if forms.len() + broader.len() < 2 {
                return Err(format!("line {}: a group needs at least two forms", n + 1));
            }
            groups.push(Group { forms, broader });
        }
        Ok(Self { groups })
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The longest form spelt by the first analysed `tokens`: (tokens used,
    /// its group).
    pub(super) fn longest_form(&self, tokens: &[String]) -> Option<(usize, usize)> {
        let words: Vec<Vec<String>> = tokens.iter().take(MAX_FORM_WORDS).map(|t| vec![t.clone()]).collect();
        self.longest_match(&words)
    }

    /// The analysed tokens of every form searched for `group` (its forms and
    /// broader forms).
    pub(super) fn form_tokens(&self, group: usize) -> impl Iterator<Item = &[String]> {
        self.groups[group].searched().map(|f| f.tokens.as_slice())
    }

    /// `ast` with every form of a group replaced by "any form of the group".
    pub(super) fn expand(&self, ast: UserInputAst) -> UserInputAst {
        if self.groups.is_empty() {
            return ast;
        }
        let mut analyzer = analyzer::french();
        self.expand_ast(ast, &mut analyzer)
    }

    fn expand_ast(&self, ast: UserInputAst, analyzer: &mut TextAnalyzer) -> UserInputAst {
        match ast {
            UserInputAst::Clause(items) => UserInputAst::Clause(self.expand_items(items, analyzer)),
            UserInputAst::Boost(inner, boost) => {
                UserInputAst::Boost(Box::new(self.expand_ast(*inner, analyzer)), boost)
            }
            leaf @ UserInputAst::Leaf(_) => {
                let mut items = self.expand_items(vec![(None, leaf)], analyzer);
                match items.as_slice() {
                    [(None, _)] => items.pop().expect("one item").1,
                    _ => UserInputAst::Clause(items),
                }
            }
        }
    }

    fn expand_items(
        &self,
        items: Vec<(Option<Occur>, UserInputAst)>,
        analyzer: &mut TextAnalyzer,
    ) -> Vec<(Option<Occur>, UserInputAst)> {
        let mut out = Vec::with_capacity(items.len());
        let mut rest = items.into_iter().peekable();
        let mut pending: Vec<(Option<Occur>, UserInputAst)> = Vec::new();
        loop {
            // Gather the next run of plain words sharing one occurrence.
            while let Some((occur, ast)) = rest.peek() {
                let same = pending.first().is_none_or(|(o, _)| o == occur);
                if plain_text(ast).is_some() && same && pending.len() < MAX_FORM_WORDS {
                    pending.push(rest.next().expect("peeked"));
                } else {
                    break;
                }
            }
            if pending.is_empty() {
                match rest.next() {
                    // A leaf here is no plain word: it stays as it is.
                    Some((occur, leaf @ UserInputAst::Leaf(_))) => out.push((occur, leaf)),
                    Some((occur, ast)) => out.push((occur, self.expand_ast(ast, analyzer))),
                    None => break,
                }
                continue;
            }
            self.rewrite_run(std::mem::take(&mut pending), analyzer, &mut out);
        }
        out
    }

    /// Replace the forms found in a run of plain words (left to right, longest
    /// form first) and copy the other words unchanged.
    fn rewrite_run(
        &self,
        run: Vec<(Option<Occur>, UserInputAst)>,
        analyzer: &mut TextAnalyzer,
        out: &mut Vec<(Option<Occur>, UserInputAst)>,
    ) {
        let words: Vec<Vec<String>> = run
            .iter()
            .map(|(_, ast)| analyzer::tokens(analyzer, plain_text(ast).map_or("", |(t, _)| t)))
            .collect();
        let quoted: Vec<bool> = run.iter().map(|(_, ast)| plain_text(ast).is_some_and(|(_, q)| q)).collect();
        let mut run = run.into_iter().map(Some).collect::<Vec<_>>();
        let mut i = 0;
        while i < run.len() {
            // A quoted phrase is a form only as a whole.
            let max_len = if quoted[i] { 1 } else { (i..run.len()).take_while(|&k| !quoted[k]).count() };
            match self.longest_match(&words[i..i + max_len]) {
                Some((len, group)) => {
                    let occur = run[i].as_ref().and_then(|(o, _)| *o);
                    out.push((occur, self.alternatives(group)));
                    i += len;
                }
                None => {
                    out.push(run[i].take().expect("each word is used once"));
                    i += 1;
                }
            }
        }
    }

    /// The longest form spelt by the first words: (words used, its group).
    fn longest_match(&self, words: &[Vec<String>]) -> Option<(usize, usize)> {
        let mut best: Option<(usize, usize)> = None;
        for (g, group) in self.groups.iter().enumerate() {
            for form in &group.forms {
                let mut joined: Vec<&str> = Vec::new();
                for (n, word) in words.iter().enumerate() {
                    joined.extend(word.iter().map(String::as_str));
                    if joined.len() > form.tokens.len()
                        || !form.tokens.iter().zip(&joined).all(|(a, b)| a == b)
                    {
                        break;
                    }
                    if joined.len() == form.tokens.len() && !word.is_empty() {
                        if best.is_none_or(|(len, _)| n + 1 > len) {
                            best = Some((n + 1, g));
                        }
                        break;
                    }
                }
            }
        }
        best
    }

    fn alternatives(&self, group: usize) -> UserInputAst {
        let forms = self.groups[group]
            .searched()
            .map(|f| {
                let literal = UserInputLiteral {
                    field_name: None,
                    phrase: f.text.clone(),
                    delimiter: Delimiter::DoubleQuotes,
                    slop: 0,
                    prefix: false,
                };
                (Some(Occur::Should), UserInputAst::Leaf(Box::new(UserInputLeaf::Literal(literal))))
            })
            .collect();
        UserInputAst::Clause(forms)
    }
}

/// The text of a literal on the default fields that is not a prefix (`arr*`),
/// and whether it was quoted.
fn plain_text(ast: &UserInputAst) -> Option<(&str, bool)> {
    let UserInputAst::Leaf(leaf) = ast else { return None };
    let UserInputLeaf::Literal(l) = leaf.as_ref() else { return None };
    if l.field_name.is_some() || l.prefix || l.slop > 0 {
        return None;
    }
    Some((l.phrase.as_str(), l.delimiter != Delimiter::None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expanded(s: &Synonyms, q: &str) -> String {
        format!("{:?}", s.expand(tantivy::query_grammar::parse_query(q).unwrap()))
    }

    #[test]
    fn the_builtin_list_parses_and_every_form_has_words() {
        let s = Synonyms::builtin();
        assert!(s.len() >= 30, "{}", s.len());
    }

    #[test]
    fn an_abbreviation_and_its_long_form_expand_to_the_same_alternatives() {
        let s = Synonyms::parse("CST | comité social territorial").unwrap();
        let short = expanded(&s, "avis CST");
        let long = expanded(&s, "avis comites sociaux territoriaux");
        assert!(short.contains("\"comité social territorial\""), "{short}");
        assert!(short.contains("\"CST\""), "{short}");
        assert_eq!(short, long);
        assert_eq!(expanded(&s, "\"comité social territorial\""), expanded(&s, "cst"));
    }

    #[test]
    fn words_that_are_no_form_or_are_fielded_stay_as_they_are() {
        let s = Synonyms::parse("CST | comité social territorial").unwrap();
        let q = "comité title:cst social -territorial";
        assert_eq!(expanded(&s, q), format!("{:?}", tantivy::query_grammar::parse_query(q).unwrap()));
    }

    #[test]
    fn a_broader_form_is_searched_for_the_group_but_does_not_search_it() {
        let s = Synonyms::parse("CLM | congé de longue maladie > congé de santé").unwrap();
        let clm = expanded(&s, "CLM");
        assert!(clm.contains("\"congé de santé\"") && clm.contains("\"congé de longue maladie\""), "{clm}");
        assert!(expanded(&s, "conges de longue maladie").contains(&clm), "{clm}");
        let broad = expanded(&s, "congé de santé");
        assert!(!broad.contains("CLM") && !broad.contains("maladie"), "{broad}");
        assert!(Synonyms::parse("a > b > c").unwrap_err().contains("line 1"));
        assert!(Synonyms::parse("CLM > ").unwrap_err().contains("no searchable word"));
    }

    #[test]
    fn a_bad_list_is_refused_with_its_line() {
        assert!(Synonyms::parse("# x\nCST").unwrap_err().contains("line 2"));
        // A form made of function words only searches nothing ("CET", in
        // capitals, is an abbreviation the analyser keeps; "DU" is not).
        assert!(Synonyms::parse("DU | diplôme universitaire").unwrap_err().contains("DU"));
        assert!(Synonyms::parse("CET | compte épargne-temps").is_ok());
    }
}
