//! Login throttling: too many failed logins for one account, or from one
//! address, within a window, and further attempts are refused without
//! checking the password until the oldest failure leaves the window.
//!
//! Two counters, because they stop two attacks: *per account* stops guessing
//! one person's password from many addresses; *per address* stops trying a
//! few common passwords on many accounts from one address. The account limit
//! is low (a person mistyping does not fail ten times in a quarter of an
//! hour); the address limit is higher (a town hall's agents share one
//! address). Counters live in the memory of the process: a restart forgets
//! them, which only gives an attacker one more window.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most keys tracked per counter; beyond, expired keys are dropped first,
/// then the whole counter (an attacker flooding it only resets it).
const MAX_KEYS: usize = 100_000;

/// The limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Failures allowed per account within `window`.
    pub per_account: usize,
    /// Failures allowed per address within `window`.
    pub per_address: usize,
    /// The window.
    pub window: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self { per_account: 5, per_address: 50, window: Duration::from_secs(15 * 60) }
    }
}

/// Failures by key, each a queue of failure instants within the window.
#[derive(Debug, Default)]
struct Counter(HashMap<String, VecDeque<Instant>>);

impl Counter {
    /// When the key may try again, if it is over `limit`.
    fn blocked_until(&mut self, key: &str, limit: usize, window: Duration, now: Instant) -> Option<Instant> {
        let q = self.0.get_mut(key)?;
        while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
            q.pop_front();
        }
        if q.len() >= limit { q.front().map(|t| *t + window) } else { None }
    }

    fn fail(&mut self, key: &str, window: Duration, now: Instant) {
        if self.0.len() >= MAX_KEYS {
            self.0.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
            if self.0.len() >= MAX_KEYS {
                self.0.clear();
            }
        }
        self.0.entry(key.to_owned()).or_default().push_back(now);
    }
}

/// The login throttle of a process.
#[derive(Debug, Default)]
pub struct Throttle {
    limits: Limits,
    accounts: Mutex<Counter>,
    addresses: Mutex<Counter>,
}

/// Why an attempt is refused before the password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    /// Too many failures for this account; whole minutes to wait.
    Account(u64),
    /// Too many failures from this address; whole minutes to wait.
    Address(u64),
}

impl Throttle {
    /// A throttle with `limits`.
    pub fn new(limits: Limits) -> Self {
        Self { limits, ..Self::default() }
    }

    /// Whether `account` may try to log in from `address` now.
    pub fn check(&self, account: &str, address: &str) -> Result<(), Blocked> {
        self.check_at(account, address, Instant::now())
    }

    fn check_at(&self, account: &str, address: &str, now: Instant) -> Result<(), Blocked> {
        let l = self.limits;
        let minutes = |until: Instant| until.saturating_duration_since(now).as_secs().div_ceil(60).max(1);
        if let Some(t) =
            self.addresses.lock().expect("lock").blocked_until(address, l.per_address, l.window, now)
        {
            return Err(Blocked::Address(minutes(t)));
        }
        if let Some(t) =
            self.accounts.lock().expect("lock").blocked_until(account, l.per_account, l.window, now)
        {
            return Err(Blocked::Account(minutes(t)));
        }
        Ok(())
    }

    /// Count a failed attempt.
    pub fn failed(&self, account: &str, address: &str) {
        self.failed_at(account, address, Instant::now());
    }

    fn failed_at(&self, account: &str, address: &str, now: Instant) {
        let w = self.limits.window;
        self.accounts.lock().expect("lock").fail(account, w, now);
        self.addresses.lock().expect("lock").fail(address, w, now);
    }

    /// A successful login clears the account's failures (not the address's).
    pub fn succeeded(&self, account: &str) {
        self.accounts.lock().expect("lock").0.remove(account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_blocked_after_its_limit_then_freed_by_time() {
        let t = Throttle::new(Limits { per_account: 3, per_address: 100, window: Duration::from_secs(60) });
        let start = Instant::now();
        for i in 0..3 {
            assert_eq!(t.check_at("marie", "10.0.0.1", start), Ok(()), "attempt {i}");
            t.failed_at("marie", &format!("10.0.0.{i}"), start);
        }
        assert_eq!(t.check_at("marie", "10.0.0.9", start), Err(Blocked::Account(1)));
        assert_eq!(t.check_at("paul", "10.0.0.9", start), Ok(()), "other accounts are not blocked");
        assert_eq!(t.check_at("marie", "10.0.0.9", start + Duration::from_secs(61)), Ok(()));
    }

    #[test]
    fn an_address_is_blocked_across_accounts_and_success_clears_only_the_account() {
        let t = Throttle::new(Limits { per_account: 10, per_address: 4, window: Duration::from_secs(900) });
        let now = Instant::now();
        for i in 0..4 {
            t.failed_at(&format!("user{i}"), "192.0.2.7", now);
        }
        assert_eq!(t.check_at("someone", "192.0.2.7", now), Err(Blocked::Address(15)));
        assert_eq!(t.check_at("someone", "192.0.2.8", now), Ok(()));
        t.succeeded("user0");
        assert!(t.check_at("user0", "192.0.2.7", now).is_err(), "the address stays blocked");
    }
}
