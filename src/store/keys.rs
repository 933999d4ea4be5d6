//! The key layout. Keys are built here only, from parsed identifiers, so no
//! request can name an arbitrary key.

use crate::domain::{ActId, Series, Siren};

/// The draft record (request, metadata) of an act.
pub fn draft(id: &ActId) -> String {
    format!("acts/{id}/draft.json")
}

/// The sealed PDF of an act.
pub fn sealed_pdf(id: &ActId) -> String {
    format!("acts/{id}/sealed.pdf")
}

/// The copy of an act's register entry, written right after the number is
/// allocated, so that a sealing retried after a failure finds its number
/// instead of taking a second one.
pub fn act_register_entry(id: &ActId) -> String {
    format!("acts/{id}/register.json")
}

/// The seal record of an act: written last, its presence means "sealed".
pub fn sealed_record(id: &ActId) -> String {
    format!("acts/{id}/sealed.json")
}

/// Prefix of one register (a collectivité's series for a year).
pub fn register_prefix(siren: &Siren, series: &Series, year: i32) -> String {
    format!("registers/{siren}/{series}/{year:04}/")
}

/// Prefix of every register.
pub const REGISTERS: &str = "registers/";

/// One register entry; zero-padded so that keys sort in number order.
pub fn register_entry(siren: &Siren, series: &Series, year: i32, seq: u64) -> String {
    format!("{}{seq:010}.json", register_prefix(siren, series, year))
}

/// Prefix of the objects the capability probe writes (never act data).
pub const PROBE_PREFIX: &str = "_probe/";

/// Prefix of the objects `acta bench store` writes (never act data).
pub const BENCH_PREFIX: &str = "_bench/";
