//! The text analysers, and the one normalisation of words that the index,
//! the queries and the masking of personal data share.
//!
//! A *word* is a run of letters and digits in the text. Apostrophes (' and
//! ’) and hyphens separate words; an *elided* word before an apostrophe (`l'`,
//! `d'`, `qu'`, `jusqu'`…) is dropped, so "d’échelon" and "d'echelon" are
//! "echelon". [`fold`] is the normalisation of a word: lower case, accents
//! removed, ligatures and compatibility forms spelt out ("Œuvre" → "oeuvre",
//! "1ʳᵉ" → "1re"). [`words`] yields every word of a text with its place, and
//! is what both the index and [`super::mask`] read text with.
//!
//! `fr3` (titles, content, collectivité names): the words, folded, without
//! French function words ("de", "la", "en", "pour"…), ordinals written one way
//! ("1re", "1ère", "première", "premier" → "1e"; "2ème", "deuxième" → "2e"),
//! then stemmed ("disponibilités" → "disponibil"). Function words leave no
//! gap in positions, so "mise en disponibilité" and "mise disponibilité" are
//! the same phrase, at index and at query time. A function word typed in
//! capitals that is also a usual abbreviation ([`ABBREVIATIONS`]: "CET",
//! compte épargne-temps) is kept. The stemmer reads folded words, which it
//! was not written for: feminine "-ée" ("chargée", typed "chargee") is made
//! "-é" before it, and the plural "s" it leaves after "ai", "oi", "ui"
//! ("emplois", "délais") is dropped after it.
//!
//! `noms2` (agents' names): the same words and folding, every word kept, no
//! stemming, so that "Le Goff" keeps its "le" and "Martin" never finds
//! "Martine".

use std::borrow::Cow;
use std::ops::Range;

use tantivy::Index;
use tantivy::tokenizer::{Language, Stemmer, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Name the French analyser is registered under (a new name for each change
/// of analysis: an index analysed otherwise is rebuilt, see `SearchIndex::open`).
pub const FRENCH: &str = "fr3";
/// Name the analyser of people's names is registered under.
pub const NAMES: &str = "noms2";
/// Words longer than this (bytes, folded) are dropped: they are never words.
const MAX_WORD_BYTES: usize = 40;

/// Words elided before an apostrophe ("l'arrêté", "jusqu'au").
const ELIDED: [&str; 15] =
    ["l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu", "presqu", "quelqu"];

/// French function words, folded: never searched, at index and query time.
/// Civilités are here too: "Mme Tronquoy" searches "Tronquoy".
const STOP_WORDS: [&str; 78] = [
    "a", "au", "aux", "avec", "c", "ce", "ces", "cet", "cette", "d", "dans", "de", "des", "du", "elle",
    "elles", "en", "et", "eux", "il", "ils", "j", "je", "l", "la", "le", "les", "leur", "leurs", "lui", "m",
    "ma", "mais", "me", "mes", "moi", "mon", "n", "ne", "nos", "notre", "nous", "on", "ou", "par", "pour",
    "qu", "que", "qui", "s", "sa", "se", "ses", "son", "sur", "t", "ta", "te", "tes", "toi", "ton", "tu",
    "un", "une", "vos", "votre", "vous", "y", "jusqu", "lorsqu", "puisqu", "quoiqu", "presqu", "mme", "mlle",
    "mr", "monsieur", "madame",
];

/// Function words (folded) that, typed in capitals, are abbreviations: "CET"
/// is the compte épargne-temps, "cet" a determiner. They are searched (and
/// indexed) when every letter is a capital.
const ABBREVIATIONS: [&str; 1] = ["cet"];

/// Whether `c` is an apostrophe (typed or typographic).
fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02BC}' | '\u{2018}' | '`' | '\u{00B4}' | '\u{2032}')
}

/// A word is made of these.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// `word` in lower case, without accents, ligatures and compatibility forms
/// spelt out: the normalisation of every word the index and the masking see.
pub fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        for l in c.to_lowercase() {
            match l {
                'œ' => out.push_str("oe"),
                'æ' => out.push_str("ae"),
                'ß' => out.push_str("ss"),
                'ø' => out.push('o'),
                'đ' | 'ð' => out.push('d'),
                'ł' | 'ŀ' => out.push('l'),
                'ı' => out.push('i'),
                'þ' => out.push_str("th"),
                other => out.push(other),
            }
        }
    }
    out
}

/// One word of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Where it is in the text (bytes).
    pub span: Range<usize>,
    /// Its [`fold`]ed form.
    pub folded: String,
}

/// Every word of `text`, elided words ("l'", "qu'") left out, in order.
pub fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if !is_word_char(c) {
            continue;
        }
        let mut end = start + c.len_utf8();
        while let Some(&(i, c)) = chars.peek() {
            if !is_word_char(c) {
                break;
            }
            end = i + c.len_utf8();
            chars.next();
        }
        let folded = fold(&text[start..end]);
        // An elided word: an apostrophe, then a word, right after it.
        if let Some(&(i, c)) = chars.peek()
            && is_apostrophe(c)
            && text[i + c.len_utf8()..].chars().next().is_some_and(is_word_char)
            && ELIDED.contains(&folded.as_str())
        {
            continue;
        }
        out.push(Word { span: start..end, folded });
    }
    out
}

/// Whether a folded word is a French function word.
pub fn is_stop_word(folded: &str) -> bool {
    STOP_WORDS.contains(&folded)
}

/// Whether the French analyser leaves out the word written `raw` (folded
/// `folded`): a function word, unless it is an abbreviation typed in capitals
/// ("CET", not "cet").
pub fn is_function_word(raw: &str, folded: &str) -> bool {
    is_stop_word(folded)
        && !(ABBREVIATIONS.contains(&folded)
            && raw.chars().count() > 1
            && raw.chars().all(|c| c.is_uppercase()))
}

/// A folded word as the stemmer should read it: ordinals spelt one way, and
/// the feminine "-ée(s)" of a participle or noun folded to "-e", so that
/// "chargée" and "chargé" (typed "chargee", "charge") stem alike.
fn before_stem(folded: &str) -> Cow<'_, str> {
    let word = canonical(folded);
    let ee = word.strip_suffix('s').unwrap_or(&word);
    if ee.len() > 3 && ee.ends_with("ee") {
        let mut w = ee.to_owned();
        while w.len() > 3 && w.ends_with("ee") {
            w.pop();
        }
        return Cow::Owned(w);
    }
    word
}

/// A stem as the index keeps it: the stemmer leaves the plural "s" after "ai",
/// "oi", "ui" ("emplois", "délais", "appuis": it cannot tell them from "avis",
/// "mois"); drop it, the same way for every word, so "emplois" is "emploi".
fn after_stem(stem: &mut String) {
    if stem.len() > 4 && ["ais", "ois", "uis"].iter().any(|end| stem.ends_with(end)) {
        stem.pop();
    }
}

/// Ordinals spelt one way: "1re", "1ère", "premier", "première" → "1e";
/// "2e", "2ème", "2nde", "deuxième" → "2e"… (folded input).
fn ordinal(folded: &str) -> Option<String> {
    const WORDS: [(&str, u32); 10] = [
        ("premier", 1),
        ("deuxieme", 2),
        ("troisieme", 3),
        ("quatrieme", 4),
        ("cinquieme", 5),
        ("sixieme", 6),
        ("septieme", 7),
        ("huitieme", 8),
        ("neuvieme", 9),
        ("dixieme", 10),
    ];
    let singular = folded.strip_suffix('s').unwrap_or(folded);
    if matches!(singular, "premiere" | "1er" | "1re" | "1ere" | "1ier" | "1iere") {
        return Some("1e".into());
    }
    if let Some((_, n)) = WORDS.iter().find(|(w, _)| *w == singular) {
        return Some(format!("{n}e"));
    }
    let digits = singular.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    let (n, suffix) = singular.split_at(digits);
    matches!(suffix, "e" | "eme" | "ieme" | "nd" | "nde").then(|| format!("{}e", n.trim_start_matches('0')))
}

/// The word as the index keeps it: ordinals spelt one way, else as folded.
fn canonical(folded: &str) -> Cow<'_, str> {
    match ordinal(folded) {
        Some(o) => Cow::Owned(o),
        None => Cow::Borrowed(folded),
    }
}

/// The tokenizer of both analysers: [`words`], function words left out or
/// not, ordinals spelt one way; positions count only the words kept.
#[derive(Debug, Clone)]
pub struct WordTokenizer {
    /// The French analyser: leave out function words, ready words for the
    /// stemmer ([`before_stem`]).
    stop_words: bool,
    tokens: Vec<Token>,
}

impl WordTokenizer {
    fn new(stop_words: bool) -> Self {
        Self { stop_words, tokens: Vec::new() }
    }
}

/// The tokens of one text.
pub struct WordStream<'a> {
    tokens: &'a mut [Token],
    next: usize,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream<'a> {
        self.tokens.clear();
        for w in words(text) {
            if w.folded.len() > MAX_WORD_BYTES
                || (self.stop_words && is_function_word(&text[w.span.clone()], &w.folded))
            {
                continue;
            }
            let word = if self.stop_words { before_stem(&w.folded) } else { canonical(&w.folded) };
            self.tokens.push(Token {
                offset_from: w.span.start,
                offset_to: w.span.end,
                position: self.tokens.len(),
                text: word.into_owned(),
                position_length: 1,
            });
        }
        WordStream { tokens: &mut self.tokens, next: 0 }
    }
}

impl TokenStream for WordStream<'_> {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// The French analyser (`fr3`).
pub fn french() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer::new(true))
        .filter(Stemmer::new(Language::French))
        .filter(AfterStem)
        .build()
}

/// The token filter of [`after_stem`].
#[derive(Debug, Clone, Copy)]
struct AfterStem;

impl TokenFilter for AfterStem {
    type Tokenizer<T: Tokenizer> = AfterStemFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> AfterStemFilter<T> {
        AfterStemFilter(tokenizer)
    }
}

#[derive(Debug, Clone)]
struct AfterStemFilter<T>(T);

impl<T: Tokenizer> Tokenizer for AfterStemFilter<T> {
    type TokenStream<'a> = AfterStemStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        AfterStemStream(self.0.token_stream(text))
    }
}

struct AfterStemStream<S>(S);

impl<S: TokenStream> TokenStream for AfterStemStream<S> {
    fn advance(&mut self) -> bool {
        if !self.0.advance() {
            return false;
        }
        after_stem(&mut self.0.token_mut().text);
        true
    }

    fn token(&self) -> &Token {
        self.0.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.0.token_mut()
    }
}

/// The analyser of people's names (`noms2`).
pub fn names() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer::new(false)).build()
}

/// Folded words as the French analyser indexes them (stemmed).
pub struct Stems(TextAnalyzer);

impl Stems {
    /// A stemmer.
    pub fn new() -> Self {
        Self(
            TextAnalyzer::builder(tantivy::tokenizer::RawTokenizer::default())
                .filter(Stemmer::new(Language::French))
                .filter(AfterStem)
                .build(),
        )
    }

    /// The stem of a folded word.
    pub fn of(&mut self, folded: &str) -> String {
        tokens(&mut self.0, &before_stem(folded)).pop().unwrap_or_default()
    }
}

impl Default for Stems {
    fn default() -> Self {
        Self::new()
    }
}

/// Register the analysers on `index`.
pub fn register(index: &Index) {
    index.tokenizers().register(FRENCH, french());
    index.tokenizers().register(NAMES, names());
}

/// The tokens `analyzer` makes of `text`.
pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fr(text: &str) -> Vec<String> {
        tokens(&mut french(), text)
    }

    #[test]
    fn elisions_with_either_apostrophe_and_function_words_leave_the_words_that_matter() {
        let expected = fr("avancement echelon");
        assert_eq!(fr("avancement d'échelon"), expected);
        assert_eq!(fr("Avancement d’Échelon"), expected);
        assert_eq!(fr("mise en disponibilité"), fr("mise disponibilite"));
        assert_eq!(fr("jusqu'à l'arrêté qu’il prend"), fr("arrete prend"));
        assert_eq!(fr("conseil de discipline"), fr("conseil discipline"));
        // Positions count only the words kept: the phrase is the same.
        let mut a = french();
        let mut stream = a.token_stream("délégation de la signature");
        let mut positions = Vec::new();
        while stream.advance() {
            positions.push(stream.token().position);
        }
        assert_eq!(positions, [0, 1]);
        // An apostrophe that elides nothing only separates.
        assert_eq!(fr("aujourd'hui"), fr("aujourd hui"));
    }

    #[test]
    fn case_accents_ligatures_and_hyphens_fold_the_same_way() {
        assert_eq!(fold("Lefèvre-Œuvre"), "lefevre-oeuvre");
        assert_eq!(fold("ÉLÉONORE"), "eleonore");
        assert_eq!(fold("Œ"), "oe");
        assert_eq!(fold("Lætitia"), "laetitia");
        assert_eq!(fr("Sainte-Ombeline"), fr("sainte ombeline"));
        assert_eq!(fr("MI-TEMPS"), fr("mi temps"));
        let n: Vec<String> = words("Béatrice LEFÈVRE-ŒUVRE").into_iter().map(|w| w.folded).collect();
        assert_eq!(n, ["beatrice", "lefevre", "oeuvre"]);
    }

    #[test]
    fn ordinals_are_spelt_one_way() {
        let first = fr("1re classe");
        for spelling in
            ["1ère classe", "première classe", "1ʳᵉ classe", "1er classe", "premier classe", "1ERE CLASSE"]
        {
            assert_eq!(fr(spelling), first, "{spelling}");
        }
        assert_eq!(fr("2ème classe"), fr("2e classe"));
        assert_eq!(fr("deuxième classe"), fr("2e classe"));
        assert_ne!(fr("2e classe"), first);
        assert_eq!(fr("2026"), ["2026"]);
    }

    #[test]
    fn feminines_and_plurals_typed_without_accents_stem_like_the_masculine_singular() {
        for (a, b) in [
            ("chargée", "chargé"),
            ("chargee", "charge"),
            ("chargées", "chargés"),
            ("intéressée", "intéressé"),
            ("disponibilitée", "disponibilité"),
            ("emplois", "emploi"),
            ("délais", "délai"),
        ] {
            assert_eq!(fr(a), fr(b), "{a} / {b}");
        }
        let mut stems = Stems::new();
        assert_eq!(stems.of("chargee"), fr("chargé")[0]);
        assert_eq!(stems.of("emplois"), fr("emploi")[0]);
    }

    #[test]
    fn an_abbreviation_that_is_a_function_word_is_kept_in_capitals_only() {
        assert_eq!(fr("CET"), ["cet"]);
        assert_eq!(fr("solde du CET"), ["sold", "cet"]);
        assert!(fr("cet agent").iter().all(|t| t != "cet"));
        assert!(fr("Cet agent").iter().all(|t| t != "cet"));
        assert!(fr("DU CET").contains(&"cet".to_owned()) && !fr("DU CET").contains(&"du".to_owned()));
    }
}
