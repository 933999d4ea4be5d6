//! Registers: the official, gap-free numbering of acts.
//!
//! A *register* is one numbering sequence: one collectivité, one series
//! (arrêtés, délibérations…), one year. Each number handed out is a *register
//! entry*, an object `registers/<siren>/<series>/<year>/<seq>.json` written
//! create-only: whoever creates the object owns the number, so two writers,
//! even in two processes sharing a store, can never hand out the same number.
//!
//! The entry is the commit point of sealing. It records everything needed to
//! finish the act (id, number, sealing time), so an act whose entry exists but
//! whose seal record does not (the process died in between) is completed by
//! [`crate::service::Acta::recover`] rather than leaving a hole.

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use time::{Date, Month, OffsetDateTime, UtcOffset, Weekday};

use crate::domain::{ActId, ActNumber, ActNumberError, NumberFormat, Series, Siren};
use crate::store::{Store, StoreError, keys};

/// One number handed out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The number.
    pub number: ActNumber,
    /// Its rank in the register, from 1.
    pub seq: u64,
    /// The act it was given to.
    pub act_id: ActId,
    /// Collectivité.
    pub siren: Siren,
    /// Series.
    pub series: Series,
    /// Year.
    pub year: i32,
    /// Sealing time, fixed here so that finishing the act later renders the
    /// same document.
    #[serde(with = "time::serde::rfc3339")]
    pub sealed_at: OffsetDateTime,
    /// Size of the register log when the number was taken: the act's leaf,
    /// appended later, has an index at least this, which bounds the search
    /// for it when an interrupted sealing is finished.
    #[serde(default)]
    pub log_from: u64,
}

/// A numbering operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The register is full for the year.
    #[error(transparent)]
    Number(#[from] ActNumberError),
    /// An entry in the store cannot be read back.
    #[error("register entry {key} is corrupt: {message}")]
    Corrupt {
        /// Its key.
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// Which register, and how its numbers look.
#[derive(Debug, Clone, Copy)]
pub struct Numbering<'a> {
    /// Collectivité.
    pub siren: &'a Siren,
    /// Series.
    pub series: &'a Series,
    /// Shape of the numbers (the collectivité's).
    pub format: &'a NumberFormat,
}

/// Hands out numbers. Keeps, per register, the next number it expects to be
/// free, so allocation is one create-only write in the common case.
#[derive(Debug, Default)]
pub struct Registers {
    next: Mutex<HashMap<String, u64>>,
}

impl Registers {
    /// Give `act_id` the next free number of its register. Callers must not
    /// allocate twice for the same act (they hold the act's lock and check that
    /// it is not sealed yet).
    pub async fn allocate(
        &self,
        store: &Store,
        numbering: Numbering<'_>,
        act_id: ActId,
        sealed_at: OffsetDateTime,
        log_from: u64,
    ) -> Result<Entry, RegisterError> {
        let Numbering { siren, series, format } = numbering;
        let year = year_in_paris(sealed_at);
        let prefix = keys::register_prefix(siren, series, year);
        let hinted = self.next.lock().unwrap_or_else(|p| p.into_inner()).get(&prefix).copied();
        let mut seq = match hinted {
            Some(n) => n,
            None => last_seq(store, &prefix).await? + 1,
        };
        loop {
            let entry = Entry {
                number: format.compose(year, series, seq)?,
                seq,
                act_id,
                siren: siren.clone(),
                series: series.clone(),
                year,
                sealed_at,
                log_from,
            };
            let key = keys::register_entry(siren, series, year, seq);
            let body = serde_json::to_vec(&entry).expect("entries always serialise");
            match store.create(&key, Bytes::from(body)).await {
                Ok(()) => {
                    self.next.lock().unwrap_or_else(|p| p.into_inner()).insert(prefix, seq + 1);
                    return Ok(entry);
                }
                // Another writer (maybe another process) took it: try the next.
                Err(StoreError::AlreadyExists(_)) => seq += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The number the next act of this register would take if it were
    /// allocated at `at` (reads the register: to show, not to allocate).
    pub async fn next_free(
        &self,
        store: &Store,
        numbering: Numbering<'_>,
        at: OffsetDateTime,
    ) -> Result<ActNumber, RegisterError> {
        let Numbering { siren, series, format } = numbering;
        let year = year_in_paris(at);
        let seq = last_seq(store, &keys::register_prefix(siren, series, year)).await? + 1;
        Ok(format.compose(year, series, seq)?)
    }

    /// The number an act of this register would get if it were allocated at
    /// `at`, when this process has already allocated in it (else unknown).
    pub fn predicted(&self, numbering: Numbering<'_>, at: OffsetDateTime) -> Option<ActNumber> {
        let Numbering { siren, series, format } = numbering;
        let year = year_in_paris(at);
        let prefix = keys::register_prefix(siren, series, year);
        let seq = self.next.lock().unwrap_or_else(|p| p.into_inner()).get(&prefix).copied()?;
        format.compose(year, series, seq).ok()
    }
}

async fn last_seq(store: &Store, prefix: &str) -> Result<u64, RegisterError> {
    let keys = store.list(prefix).await?;
    Ok(keys.iter().filter_map(|k| seq_of(k)).max().unwrap_or(0))
}

fn seq_of(key: &str) -> Option<u64> {
    key.rsplit('/').next()?.strip_suffix(".json")?.parse().ok()
}

/// Why a number was declared void.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Void {
    /// The entry declared void.
    pub entry: Entry,
    /// The number its act kept instead.
    pub kept: ActNumber,
    /// When it was declared.
    #[serde(with = "time::serde::rfc3339")]
    pub declared_at: OffsetDateTime,
}

/// Declare `entry` void because its act kept `kept` (idempotent).
///
/// This happens only when two processes seal the same draft at the same
/// instant, or when a process dies between taking a number and recording it
/// on the act and another one then seals that act: the act keeps one number,
/// the other is kept in the register as void rather than silently skipped.
pub async fn declare_void(store: &Store, entry: &Entry, kept: &ActNumber) -> Result<(), RegisterError> {
    let void = Void { entry: entry.clone(), kept: kept.clone(), declared_at: OffsetDateTime::now_utc() };
    let key = keys::void_entry(&entry.siren, &entry.series, entry.year, entry.seq);
    match store.create(&key, Bytes::from(serde_json::to_vec(&void).expect("voids serialise"))).await {
        Ok(()) | Err(StoreError::AlreadyExists(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Every void number (for audits and recovery).
pub async fn all_voids(store: &Store) -> Result<Vec<Void>, RegisterError> {
    let mut out = Vec::new();
    for key in store.list(keys::VOIDS).await? {
        let Some(bytes) = store.get(&key).await? else { continue };
        let void = serde_json::from_slice(&bytes)
            .map_err(|e| RegisterError::Corrupt { key: key.clone(), message: e.to_string() })?;
        out.push(void);
    }
    Ok(out)
}

/// Every entry of every register (for recovery and audits).
pub async fn all_entries(store: &Store) -> Result<Vec<Entry>, RegisterError> {
    let mut out = Vec::new();
    for key in store.list(keys::REGISTERS).await? {
        let Some(bytes) = store.get(&key).await? else { continue };
        let entry = serde_json::from_slice(&bytes)
            .map_err(|e| RegisterError::Corrupt { key: key.clone(), message: e.to_string() })?;
        out.push(entry);
    }
    Ok(out)
}

/// The civil year in metropolitan France at instant `t`. Registers follow the
/// local calendar whatever the server's time zone: an act sealed at 00:30 on
/// 1 January in Paris (23:30 UTC the day before) opens the new year's register.
pub fn year_in_paris(t: OffsetDateTime) -> i32 {
    t.to_offset(paris_offset(t)).year()
}

/// The civil day in metropolitan France at instant `t`.
pub fn day_in_paris(t: OffsetDateTime) -> Date {
    t.to_offset(paris_offset(t)).date()
}

/// Instant `t` in metropolitan France's local time (for people to read).
pub fn in_paris(t: OffsetDateTime) -> OffsetDateTime {
    t.to_offset(paris_offset(t))
}

/// UTC+1, or UTC+2 from the last Sunday of March 01:00 UTC to the last Sunday
/// of October 01:00 UTC (the EU rule since 1996).
fn paris_offset(t: OffsetDateTime) -> UtcOffset {
    let t = t.to_offset(UtcOffset::UTC);
    let switch = |month| {
        let last = last_sunday(t.year(), month);
        last.with_hms(1, 0, 0).expect("valid time").assume_utc()
    };
    let hours = if t >= switch(Month::March) && t < switch(Month::October) { 2 } else { 1 };
    UtcOffset::from_hms(hours, 0, 0).expect("valid offset")
}

fn last_sunday(year: i32, month: Month) -> Date {
    let mut d =
        Date::from_calendar_date(year, month, time::util::days_in_month(month, year)).expect("valid date");
    while d.weekday() != Weekday::Sunday {
        d = d.previous_day().expect("in range");
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn new_year_is_counted_in_paris_time() {
        assert_eq!(year_in_paris(datetime!(2026-12-31 23:30 UTC)), 2027);
        assert_eq!(year_in_paris(datetime!(2026-12-31 22:30 UTC)), 2026);
    }

    #[test]
    fn summer_time_follows_the_eu_rule() {
        assert_eq!(paris_offset(datetime!(2026-03-29 00:59 UTC)).whole_hours(), 1);
        assert_eq!(paris_offset(datetime!(2026-03-29 01:00 UTC)).whole_hours(), 2);
        assert_eq!(paris_offset(datetime!(2026-10-25 00:59 UTC)).whole_hours(), 2);
        assert_eq!(paris_offset(datetime!(2026-10-25 01:00 UTC)).whole_hours(), 1);
    }

    #[tokio::test]
    async fn numbers_are_consecutive_and_never_handed_out_twice() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::local(dir.path()).unwrap();
        let siren: Siren = "216295105".parse().unwrap();
        let series: Series = "ARR".parse().unwrap();
        let at = datetime!(2026-06-01 10:00 UTC);
        let format = NumberFormat::default();
        let numbering = Numbering { siren: &siren, series: &series, format: &format };
        // Two independent allocators on one store stand for two processes.
        let (a, b) = (Registers::default(), Registers::default());
        let mut numbers = Vec::new();
        for i in 0..6 {
            let r = if i % 2 == 0 { &a } else { &b };
            let e = r.allocate(&store, numbering, ActId::generate(), at, 0).await.unwrap();
            numbers.push(e.seq);
        }
        numbers.sort();
        assert_eq!(numbers, [1, 2, 3, 4, 5, 6]);
        assert_eq!(all_entries(&store).await.unwrap().len(), 6);
    }
}
