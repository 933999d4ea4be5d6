//! The text analysers.
//!
//! `fr` (titles, content, collectivité names): split on non-alphanumerics, drop
//! overlong tokens, lower-case, drop French stop words, fold accents ("arrêté" →
//! "arrete") and stem ("disponibilités" → "disponibilit"). Stop words are
//! removed *before* folding because the list is spelt with accents ("été", "où").
//!
//! `noms` (agents' names): the same without stop words nor stemming, so that
//! "Le Goff" or "Des Roches" keep every word and "Martin" never finds "Martine".

use tantivy::Index;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter,
    TextAnalyzer,
};

/// Name the French analyser is registered under.
pub const FRENCH: &str = "fr";
/// Name the analyser of people's names is registered under.
pub const NAMES: &str = "noms";
/// Tokens longer than this (bytes) are dropped: they are never words.
const MAX_TOKEN_BYTES: usize = 40;

/// The French analyser.
pub fn french() -> TextAnalyzer {
    let mut builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .dynamic();
    if let Some(stop) = StopWordFilter::new(Language::French) {
        builder = builder.filter_dynamic(stop);
    }
    builder.filter_dynamic(AsciiFoldingFilter).filter_dynamic(Stemmer::new(Language::French)).build()
}

/// Register the analysers on `index`.
pub fn register(index: &Index) {
    index.tokenizers().register(FRENCH, french());
    let names = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build();
    index.tokenizers().register(NAMES, names);
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
