//! Masking the agent of an individual act in free text, for those who may
//! not see personal data (archiviste, lecteur).
//!
//! A text is read with exactly the words and the folding the index uses
//! ([`analyzer::words`], [`analyzer::fold`]): case, accents, ligatures,
//! hyphens, apostrophes and spacing cannot hide a name from the masking that
//! the index would then find. A word of the text is masked when it is, once
//! folded, a word of the name, the same word as the index stems it
//! ("Lefèvres"), or several consecutive words of the name written together
//! ("LefevreOeuvre", "Legoff"). Function words of a name ("Le" of "Le Goff")
//! are not masked alone: the index does not search them.

use std::collections::HashSet;

use super::analyzer;

/// What stands for a masked word.
pub const MASK: &str = "…";

/// `text` with every word naming the person of `parts` (first name, family
/// name, matricule…) replaced by [`MASK`].
pub fn mask_person(text: &str, parts: &[&str]) -> String {
    let name: Vec<String> = parts.iter().flat_map(|p| analyzer::words(p)).map(|w| w.folded).collect();
    let mut masked: HashSet<String> = HashSet::new();
    let mut stems: HashSet<String> = HashSet::new();
    let mut stem = analyzer::Stems::new();
    for w in &name {
        if w.chars().count() > 1 && !analyzer::is_stop_word(w) {
            masked.insert(w.clone());
            stems.insert(stem.of(w));
        }
    }
    // Consecutive words written together.
    for start in 0..name.len() {
        let mut joined = name[start].clone();
        for next in &name[start + 1..] {
            joined.push_str(next);
            masked.insert(joined.clone());
        }
    }
    if masked.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for w in analyzer::words(text) {
        if masked.contains(&w.folded) || stems.contains(&stem.of(&w.folded)) {
            out.push_str(&text[copied..w.span.start]);
            out.push_str(MASK);
            copied = w.span.end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGENT: [&str; 3] = ["Béatrice", "Lefèvre-Œuvre", "B-0042"];

    #[test]
    fn every_spelling_of_the_name_is_masked() {
        for text in [
            "dossier de Mme Beatrice Lefevre",
            "BEATRICE LEFÈVRE",
            "Lefevre-Oeuvre",
            "Lefèvre-Œuvre",
            "LEFEVRE OEUVRE",
            "lefèvre  -  œuvre",
            "LefevreOeuvre",
            "béatrice lefèvre‑œuvre (B-0042)",
            "les Lefèvres",
            "d’Œuvre, l'Œuvre",
        ] {
            let m = mask_person(text, &AGENT);
            let folded = analyzer::fold(&m);
            for part in ["beatrice", "lefevre", "oeuvre", "0042"] {
                assert!(!folded.contains(part), "{text} → {m}");
            }
        }
    }

    #[test]
    fn other_words_and_the_layout_stay() {
        assert_eq!(
            mask_person("suivi par Mme Béatrice LEFEVRE, le 3 mars", &AGENT),
            "suivi par Mme … …, le 3 mars"
        );
        assert_eq!(mask_person("Le Goff, le maire", &["Le Goff"]), "Le …, le maire");
        assert_eq!(mask_person("rien", &[]), "rien");
    }
}
