//! The key layout. Keys are built here only, from parsed identifiers, so no
//! request can name an arbitrary key.

use crate::domain::{ActId, Series, Sha256Digest, Siren};

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

/// Where an act's leaf sits in the register log (its index), written once the
/// leaf is appended so that a retry never appends a second leaf.
pub fn act_leaf(id: &ActId) -> String {
    format!("acts/{id}/leaf.json")
}

/// The withdrawal record of a sealed act (the tombstone leaf's index, reason).
pub fn act_withdrawal(id: &ActId) -> String {
    format!("acts/{id}/withdrawn.json")
}

/// The marker of a discarded draft (deleted, or replaced by an edit).
pub fn act_discarded(id: &ActId) -> String {
    format!("acts/{id}/discarded.json")
}

/// A withdrawal in progress: written before its tombstone leaf is appended.
pub fn act_withdrawal_intent(id: &ActId) -> String {
    format!("acts/{id}/withdrawing.json")
}

/// Prefix of the act's copies of its audit entries.
pub fn act_audit_prefix(id: &ActId) -> String {
    format!("acts/{id}/audit/")
}

/// The act's copy of audit entry `entry` (its id).
pub fn act_audit_entry(id: &ActId, entry: &uuid::Uuid) -> String {
    format!("{}{entry}.json", act_audit_prefix(id))
}

/// Which act a sealed PDF is: the lookup `acta verify` starts from.
pub fn by_sha256(sha256: &Sha256Digest) -> String {
    format!("hashes/sha256/{sha256}.json")
}

/// A number of a register declared void: it was allocated twice to one act
/// (two processes sealing the same draft at the same instant), the act kept
/// the other one. Voids are listed by audits, so the number is not a silent gap.
pub fn void_entry(siren: &Siren, series: &Series, year: i32, seq: u64) -> String {
    format!("voids/{siren}/{series}/{year:04}/{seq:010}.json")
}

/// Prefix of every void number.
pub const VOIDS: &str = "voids/";

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
