//! Bounds on reading PDF syntax. The public verification endpoint and
//! `acta verify` read files anyone can send, so every reading of PDF bytes is
//! bounded: how deep values nest, how many values are built, how long a
//! string is, and how much scanning one reading may do in all (its *work*,
//! counted in bytes scanned plus values built, across every cursor of one
//! verification or one preparation).
//!
//! A file beyond a bound is refused with a [`Limit`], which says which bound
//! and is reported to people in French. Real documents stay far below every
//! bound: each constant says why its value.

use std::cell::Cell;

/// Deepest nesting of arrays and dictionaries. A signature dictionary nests
/// 2 levels, a page with its resources 4 or 5; no producer writes more than a
/// dozen. The reader recurses once per level (well under 1 KiB of stack each,
/// even unoptimised), so 64 levels stay far below the 2 MiB stack of a
/// blocking thread, where 100 000 levels once killed the process.
pub const MAX_DEPTH: usize = 64;

/// Most values one reading builds. A signature dictionary holds about ten, a
/// catalog or a page a few dozen, a page's `/Annots` as many as it has links.
/// At about 100 bytes a value (node, key, vector slot), 100 000 values bound
/// the memory of one reading to about 10 MB.
pub const MAX_VALUES: usize = 100_000;

/// Longest string, name or hex string, in bytes as written. The largest
/// string a seal holds is its `/Contents`: 32 KiB of hex for acta's 16 KiB
/// placeholder, and rarely over 100 KiB for other signers (long chains,
/// revocation data). 1 MiB leaves room for them all.
pub const MAX_STRING_BYTES: usize = 1 << 20;

/// Most work (bytes scanned plus values built) of one reading. A verification
/// reads one dictionary; preparing a seal reads the xref tables and a few
/// objects, about 20 bytes per object of the file. 64 Mi units cover an
/// xref table of a million objects scanned twice (the lexer looks ahead),
/// and keep a hostile file to a fraction of a second of scanning.
pub const MAX_WORK: u64 = 64 << 20;

/// Most cross-reference entries one preparation keeps (about 40 bytes each
/// in its map). acta's PDFs have about ten objects a page: a million covers
/// any act, at about 40 MB at worst.
pub const MAX_XREF_ENTRIES: u64 = 1 << 20;

/// Most cross-reference sections followed through `/Prev`. Each incremental
/// update adds one; a document signed and amended a few times has a handful.
pub const MAX_XREF_SECTIONS: usize = 64;

/// Which bound a file exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Limit {
    /// Arrays and dictionaries nest deeper than [`MAX_DEPTH`].
    #[error("values nest deeper than {MAX_DEPTH} levels")]
    Depth,
    /// More than [`MAX_VALUES`] values.
    #[error("more than {MAX_VALUES} values")]
    Values,
    /// A string, name or hex string longer than [`MAX_STRING_BYTES`].
    #[error("a string is longer than {MAX_STRING_BYTES} bytes")]
    StringBytes,
    /// More than [`MAX_WORK`] units of work.
    #[error("reading takes more than {MAX_WORK} units of work")]
    Work,
    /// More than [`MAX_XREF_ENTRIES`] cross-reference entries.
    #[error("more than {MAX_XREF_ENTRIES} cross-reference entries")]
    XrefEntries,
    /// More than [`MAX_XREF_SECTIONS`] cross-reference sections.
    #[error("more than {MAX_XREF_SECTIONS} cross-reference sections")]
    XrefSections,
}

impl Limit {
    /// What was exceeded, in French, for people.
    pub fn french(self) -> String {
        match self {
            Self::Depth => format!("des objets y sont imbriqués sur plus de {MAX_DEPTH} niveaux"),
            Self::Values => format!("il contient plus de {} valeurs", french_number(MAX_VALUES as u64)),
            Self::StringBytes => "une de ses chaînes dépasse 1 Mio".to_owned(),
            Self::Work => "sa lecture demanderait un travail excessif".to_owned(),
            Self::XrefEntries => {
                format!("sa table de références compte plus de {} entrées", french_number(MAX_XREF_ENTRIES))
            }
            Self::XrefSections => {
                format!("il compte plus de {MAX_XREF_SECTIONS} sections de références croisées")
            }
        }
    }
}

/// `100000` as `100 000` (French thousands separator, a narrow no-break space).
fn french_number(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202F}');
        }
        out.push(d);
    }
    out
}

/// What is left of one reading's allowance, shared by all its cursors.
#[derive(Debug)]
pub(crate) struct Budget {
    work: Cell<u64>,
    values: Cell<usize>,
}

impl Default for Budget {
    fn default() -> Self {
        Self { work: Cell::new(MAX_WORK), values: Cell::new(MAX_VALUES) }
    }
}

impl Budget {
    /// Spend `units` of work.
    pub fn spend(&self, units: usize) -> Result<(), Limit> {
        let units = u64::try_from(units).unwrap_or(u64::MAX);
        let left = self.work.get().checked_sub(units).ok_or(Limit::Work)?;
        self.work.set(left);
        Ok(())
    }

    /// Count one more value built.
    pub fn value(&self) -> Result<(), Limit> {
        let left = self.values.get().checked_sub(1).ok_or(Limit::Values)?;
        self.values.set(left);
        self.spend(1)
    }

    /// Work spent so far (for tests that check the bound holds).
    #[cfg(test)]
    pub fn spent(&self) -> u64 {
        MAX_WORK - self.work.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_refuses_once_spent_and_numbers_read_the_french_way() {
        let b = Budget::default();
        assert_eq!(b.spend(usize::try_from(MAX_WORK).unwrap()), Ok(()));
        assert_eq!(b.spend(1), Err(Limit::Work));
        assert_eq!(french_number(100_000), "100\u{202F}000");
        assert_eq!(french_number(1_048_576), "1\u{202F}048\u{202F}576");
        assert!(Limit::Values.french().contains("100\u{202F}000 valeurs"));
    }
}
