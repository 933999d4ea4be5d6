//! The French text analyser: split on non-alphanumerics, drop overlong tokens,
//! lower-case, drop French stop words, fold accents ("arrêté" → "arrete") and
//! stem ("disponibilités" → "disponibilit"). Stop words are removed *before*
//! folding because the list is spelt with accents ("été", "où").

use tantivy::Index;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter,
    TextAnalyzer,
};

/// Name the analyser is registered under.
pub const FRENCH: &str = "fr";
/// Tokens longer than this (bytes) are dropped: they are never words.
const MAX_TOKEN_BYTES: usize = 40;

/// Register the analyser on `index`.
pub fn register(index: &Index) {
    let mut builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .dynamic();
    if let Some(stop) = StopWordFilter::new(Language::French) {
        builder = builder.filter_dynamic(stop);
    }
    let analyzer =
        builder.filter_dynamic(AsciiFoldingFilter).filter_dynamic(Stemmer::new(Language::French)).build();
    index.tokenizers().register(FRENCH, analyzer);
}
