//! `acta audit`: walk the whole store and prove (or disprove) that nothing was
//! silently altered or removed.
//!
//! Checked: every number of every register, from 1 to the last, is present
//! (or declared void); every numbered act is sealed; every sealed PDF's bytes
//! match its recorded hashes and carry a valid seal; every sealed act has its
//! leaf in the log, with the same hash, and only one; the log itself (tiles, root, every
//! checkpoint kept) is consistent ([`crate::tlog::Log::audit`]).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::{Acta, ServiceError};
use crate::domain::ActId;
use crate::register::{self, Entry};
use crate::seal::{self, Hashes};
use crate::store::keys;
use crate::tlog::{SealLeaf, WithdrawLeaf};

/// What an audit found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AuditReport {
    /// Register entries checked.
    pub entries: usize,
    /// Sealed PDFs whose bytes were re-hashed.
    pub sealed: usize,
    /// Leaves in the log.
    pub log_size: u64,
    /// Every problem, precisely.
    pub problems: Vec<Finding>,
}

/// One problem.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Finding {
    /// Stable code.
    pub code: &'static str,
    /// The object or act concerned.
    pub subject: String,
    /// What is wrong (English, for operators).
    pub message: String,
}

impl AuditReport {
    fn problem(&mut self, code: &'static str, subject: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Finding { code, subject: subject.into(), message: message.into() });
    }
}

impl Acta {
    /// Audit the whole store. Problems are reported, never repaired.
    pub async fn audit(&self) -> Result<AuditReport, ServiceError> {
        let mut report = AuditReport::default();
        let voids: HashSet<_> =
            register::all_voids(&self.store).await?.into_iter().map(|v| v.entry.number).collect();
        let mut registers: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        let mut numbered: HashSet<(String, String)> = HashSet::new();
        for entry in register::all_entries(&self.store).await? {
            report.entries += 1;
            numbered.insert((entry.siren.to_string(), entry.number.to_string()));
            registers
                .entry(keys::register_prefix(&entry.siren, &entry.series, entry.year))
                .or_default()
                .push(entry.seq);
            if !voids.contains(&entry.number) {
                self.audit_entry(&entry, &mut report).await?;
            }
        }
        for (prefix, seqs) in registers {
            gaps(&prefix, seqs, &mut report);
        }
        self.audit_leaves(&numbered, &mut report).await?;
        let log = self.log.audit().await?;
        report.log_size = log.leaves;
        for problem in log.problems {
            report.problem("log_inconsistent", "log/", problem.to_string());
        }
        Ok(report)
    }

    /// A numbered act: sealed under that number, its PDF intact and validly
    /// sealed, its leaf describing it.
    async fn audit_entry(&self, entry: &Entry, report: &mut AuditReport) -> Result<(), ServiceError> {
        let (id, number) = (entry.act_id, entry.number.to_string());
        let Some(sealed) = self.load_sealed(&id).await? else {
            let message =
                format!("number allocated to act {id} but the act is not sealed (start acta to finish it)");
            report.problem("unfinished", number, message);
            return Ok(());
        };
        if sealed.number != entry.number {
            let message =
                format!("act {id} is sealed as {} but the register gives it {number}", sealed.number);
            report.problem("number_mismatch", &number, message);
        }
        let key = keys::sealed_pdf(&id);
        match self.store.get(&key).await? {
            None => report.problem("pdf_missing", &key, format!("the sealed PDF of {number} is missing")),
            Some(bytes) => {
                report.sealed += 1;
                if Hashes::of(&bytes) != sealed.hashes {
                    let message = format!(
                        "the stored PDF of {number} does not match its recorded SHA-256 {} (replaced or altered)",
                        sealed.hashes.sha256
                    );
                    report.problem("pdf_altered", &key, message);
                } else if let Err(e) = seal::verify(&bytes) {
                    report.problem(
                        "seal_invalid",
                        &key,
                        format!("the seal of {number} does not verify: {e}"),
                    );
                }
            }
        }
        let Some(index) = sealed.leaf else {
            report.problem("not_logged", number, format!("act {id} has no leaf in the register log"));
            return Ok(());
        };
        match self.log.leaf(index).await? {
            None => report.problem("leaf_missing", number, format!("leaf {index} of the log is missing")),
            Some(bytes) => {
                let describes = SealLeaf::parse(&bytes).is_ok_and(|leaf| {
                    leaf.id == id && leaf.sha256 == sealed.hashes.sha256 && leaf.acte == sealed.number
                });
                if !describes {
                    let message = format!(
                        "leaf {index} of the log does not describe act {id} with SHA-256 {}",
                        sealed.hashes.sha256
                    );
                    report.problem("leaf_mismatch", number, message);
                }
            }
        }
        Ok(())
    }

    /// Every sealing the log records must be in its register: a number
    /// removed from a register is caught here even if it was the last one.
    /// And every act is sealed once: two sealing leaves for one act are
    /// reported (the log is append-only, so the extra leaf stays; the act's
    /// seal record says which one its proofs use).
    async fn audit_leaves(
        &self,
        numbered: &HashSet<(String, String)>,
        report: &mut AuditReport,
    ) -> Result<(), ServiceError> {
        let mut first_leaf: HashMap<ActId, u64> = HashMap::new();
        let mut first_tombstone: HashMap<ActId, u64> = HashMap::new();
        let mut index = 0;
        while let Some(bytes) = self.log.leaf(index).await? {
            if let Ok(leaf) = SealLeaf::parse(&bytes) {
                if !numbered.contains(&(leaf.collectivite.to_string(), leaf.acte.to_string())) {
                    let message = format!(
                        "leaf {index} of the log records act {} of {} but its register has no entry for it",
                        leaf.id, leaf.collectivite
                    );
                    report.problem("unregistered", leaf.acte.to_string(), message);
                }
                if let Some(first) = first_leaf.insert(leaf.id, index) {
                    first_leaf.insert(leaf.id, first);
                    let message = format!(
                        "leaves {first} and {index} of the log both record the sealing of act {}: one act, one leaf",
                        leaf.id
                    );
                    report.problem("leaf_duplicate", leaf.acte.to_string(), message);
                }
            } else if let Ok(tombstone) = WithdrawLeaf::parse(&bytes)
                && let Some(first) = first_tombstone.insert(tombstone.id, index)
            {
                first_tombstone.insert(tombstone.id, first);
                let message = format!(
                    "leaves {first} and {index} of the log both record the withdrawal of act {}: one withdrawal, one leaf",
                    tombstone.id
                );
                report.problem("leaf_duplicate", tombstone.acte.to_string(), message);
            }
            index += 1;
        }
        Ok(())
    }
}

/// Report the ranks missing from a register (1 to its last entry).
fn gaps(prefix: &str, mut seqs: Vec<u64>, report: &mut AuditReport) {
    seqs.sort_unstable();
    let mut expected = 1;
    for seq in seqs {
        if seq > expected {
            let missing =
                if seq - expected == 1 { format!("{expected}") } else { format!("{expected}–{}", seq - 1) };
            report.problem("register_gap", prefix, format!("entries {missing} of the register are missing"));
        }
        expected = seq + 1;
    }
}
