//! Failed sign-ins slow down the next ones, so that passwords cannot be guessed at speed.
//!
//! Failures are counted under three keys, each with a number of free failures, after which
//! every further failure blocks that key for twice as long as the one before (1 s, 2 s, 4 s …)
//! up to a cap; a blocked key is answered `429` with `Retry-After` before any password is
//! hashed. A try counts as failed from the moment it is let through until it succeeds, so that
//! tries sent all at once are held back too. A key is forgotten `FORGET_AFTER` its last
//! failure.
//!
//! - the account from one client address: 5 free, capped at 15 minutes — one guesser, one
//!   account;
//! - the client address: 20 free, capped at 15 minutes — one guesser spraying many accounts;
//! - the account from anywhere: 20 free, capped at one minute — many addresses guessing one
//!   account get one try a minute between them, while the real user, who signs in from an
//!   address of their own, waits at most a minute.
//!
//! A successful sign-in clears its account's keys but not its address's (an attacker signing
//! in to an account of their own must not reset their count). The counts live in this
//! instance's memory: each instance of a PostgreSQL deployment counts on its own, and a
//! restart forgets them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::service::accounts::MAX_EMAIL_CHARS;

/// After this long without a failure, a key starts again from nothing. Longer than the longest
/// block, so that a guesser who waits one out is blocked again at once.
const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// Keys held before the forgotten ones are swept out; a full map then drops its oldest keys,
/// so that a flood of addresses cannot grow the server's memory without end.
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    AccountFrom(String, IpAddr),
    Address(IpAddr),
    Account(String),
}

impl Key {
    /// Free failures, and the longest block.
    fn rule(&self) -> (u32, Duration) {
        match self {
            Key::AccountFrom(..) => (5, Duration::from_secs(15 * 60)),
            Key::Address(_) => (20, Duration::from_secs(15 * 60)),
            Key::Account(_) => (20, Duration::from_secs(60)),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    blocked_until: Instant,
}

#[derive(Debug, Default)]
pub struct SignInLimits {
    keys: Mutex<HashMap<Key, Failures>>,
}

impl SignInLimits {
    pub fn new() -> SignInLimits {
        SignInLimits::default()
    }

    /// Whether a sign-in may be tried now; else how long it must wait. One that may is counted
    /// as failed until `succeeded` says otherwise: so many tries sent at once are counted as
    /// they arrive, not as their passwords are checked.
    pub fn attempt(
        &self,
        email: &str,
        address: Option<IpAddr>,
        now: Instant,
    ) -> Result<(), Duration> {
        let mut keys = self.lock();
        if let Some(wait) = wait(&keys, email, address, now) {
            return Err(wait);
        }
        count_failure(&mut keys, email, address, now);
        Ok(())
    }

    /// A sign-in that succeeded: its account starts again from nothing, and its address's
    /// count forgets this try.
    pub fn succeeded(&self, email: &str, address: Option<IpAddr>) {
        let mut keys = self.lock();
        for key in keys_of(email, address) {
            if !matches!(key, Key::Address(_)) {
                keys.remove(&key);
                continue;
            }
            let (free, _) = key.rule();
            if let Some(failures) = keys.get_mut(&key) {
                failures.count = failures.count.saturating_sub(1);
                if failures.count <= free {
                    failures.blocked_until = failures.last;
                }
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Failures>> {
        // The map holds only counts: one left half-updated by a panic is still usable.
        self.keys
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// How long a sign-in must wait, if it may not be tried now.
fn wait(
    keys: &HashMap<Key, Failures>,
    email: &str,
    address: Option<IpAddr>,
    now: Instant,
) -> Option<Duration> {
    keys_of(email, address)
        .iter()
        .filter_map(|key| keys.get(key))
        .filter(|failures| now.duration_since(failures.last) < FORGET_AFTER)
        .map(|failures| failures.blocked_until.saturating_duration_since(now))
        .filter(|wait| !wait.is_zero())
        .max()
}

/// Counts a failed sign-in under each of its keys.
fn count_failure(
    keys: &mut HashMap<Key, Failures>,
    email: &str,
    address: Option<IpAddr>,
    now: Instant,
) {
    if keys.len() >= MAX_KEYS {
        make_room(keys, now);
    }
    for key in keys_of(email, address) {
        let (free, cap) = key.rule();
        let failures = keys.entry(key).or_insert(Failures {
            count: 0,
            last: now,
            blocked_until: now,
        });
        if now.duration_since(failures.last) >= FORGET_AFTER {
            failures.count = 0;
        }
        failures.count += 1;
        failures.last = now;
        if failures.count > free {
            let doublings = (failures.count - free - 1).min(20);
            let block = Duration::from_secs(1u64 << doublings).min(cap);
            failures.blocked_until = now + block;
        }
    }
}

/// The keys a sign-in is counted under: the email as typed by anyone (case and surrounding
/// spaces aside; unknown emails count too, so the answer says nothing about who exists).
/// An email longer than anyone's is cut, so that keys stay small.
fn keys_of(email: &str, address: Option<IpAddr>) -> Vec<Key> {
    let account: String = email
        .trim()
        .to_lowercase()
        .chars()
        .take(MAX_EMAIL_CHARS)
        .collect();
    let mut keys = vec![Key::Account(account.clone())];
    if let Some(address) = address {
        keys.push(Key::AccountFrom(account, address));
        keys.push(Key::Address(address));
    }
    keys
}

fn make_room(keys: &mut HashMap<Key, Failures>, now: Instant) {
    keys.retain(|_, failures| now.duration_since(failures.last) < FORGET_AFTER);
    if keys.len() >= MAX_KEYS {
        let mut lasts: Vec<Instant> = keys.values().map(|failures| failures.last).collect();
        lasts.sort();
        let keep_after = lasts[lasts.len() / 2];
        keys.retain(|_, failures| failures.last > keep_after);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANA: &str = "ana@example.test";

    /// The counting alone, without `attempt`'s check.
    impl SignInLimits {
        fn failed(&self, email: &str, address: Option<IpAddr>, now: Instant) {
            count_failure(&mut self.lock(), email, address, now);
        }

        fn wait(&self, email: &str, address: Option<IpAddr>, now: Instant) -> Option<Duration> {
            wait(&self.lock(), email, address, now)
        }
    }

    #[test]
    fn tries_sent_at_once_are_counted_as_they_arrive() {
        let limits = SignInLimits::new();
        let now = Instant::now();
        // A hundred guesses in flight together: six get their password checked, the five free
        // ones and the one whose count starts the block.
        let let_through = (0..100)
            .filter(|_| limits.attempt(ANA, address(1), now).is_ok())
            .count();
        assert_eq!(let_through, 6);
        assert_eq!(
            limits.attempt(ANA, address(1), now),
            Err(Duration::from_secs(1))
        );
    }

    #[test]
    fn a_success_is_not_a_failure_of_its_address() {
        let limits = SignInLimits::new();
        let now = Instant::now();
        // Twenty-five colleagues behind one address sign in, each at the first try.
        for n in 0..25 {
            let email = format!("user{n}@example.test");
            assert_eq!(limits.attempt(&email, address(1), now), Ok(()), "{email}");
            limits.succeeded(&email, address(1));
        }
        assert_eq!(limits.attempt("late@example.test", address(1), now), Ok(()));
    }

    fn address(last: u8) -> Option<IpAddr> {
        Some(IpAddr::from([192, 0, 2, last]))
    }

    fn fail(limits: &SignInLimits, email: &str, from: Option<IpAddr>, times: u32, at: Instant) {
        for _ in 0..times {
            limits.failed(email, from, at);
        }
    }

    #[test]
    fn one_guesser_on_one_account_waits_longer_after_each_failure_up_to_the_cap() {
        let limits = SignInLimits::new();
        let now = Instant::now();
        fail(&limits, ANA, address(1), 5, now);
        assert_eq!(limits.wait(ANA, address(1), now), None, "five are free");
        let mut blocks = vec![];
        let mut at = now;
        for _ in 0..12 {
            limits.failed(ANA, address(1), at);
            let wait = limits.wait(ANA, address(1), at).expect("blocked");
            blocks.push(wait.as_secs());
            at += wait;
            assert_eq!(
                limits.wait(ANA, address(1), at),
                None,
                "free again after the wait"
            );
        }
        assert_eq!(blocks, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]);
    }

    #[test]
    fn the_real_user_from_their_own_address_is_held_back_at_most_a_minute() {
        let limits = SignInLimits::new();
        let now = Instant::now();
        // Sixty addresses, a few guesses each.
        for last in 0..60 {
            fail(&limits, ANA, address(last), 3, now);
        }
        let wait = limits
            .wait(ANA, address(200), now)
            .expect("the account is slowed");
        assert_eq!(wait, Duration::from_secs(60));
        assert_eq!(limits.wait(ANA, address(200), now + wait), None);
        // Each guessing address is slowed on the account only: other accounts are open to it.
        assert_eq!(limits.wait("ben@example.test", address(1), now), None);
    }

    #[test]
    fn one_address_spraying_many_accounts_is_blocked_on_all_of_them() {
        let limits = SignInLimits::new();
        let now = Instant::now();
        for n in 0..21 {
            limits.failed(&format!("user{n}@example.test"), address(1), now);
        }
        assert_eq!(
            limits.wait("someone-else@example.test", address(1), now),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            limits.wait("someone-else@example.test", address(2), now),
            None
        );
    }

    #[test]
    fn success_clears_the_account_but_not_the_address_and_quiet_time_forgets() {
        let limits = SignInLimits::new();
        let now = Instant::now();
        fail(&limits, ANA, address(1), 6, now);
        assert_eq!(
            limits.attempt(ANA, address(1), now),
            Err(Duration::from_secs(1))
        );
        // After the wait, the right password: the account's counts go, the address's stay
        // (six failures; the successful try itself is not one).
        let now = now + Duration::from_secs(1);
        assert_eq!(limits.attempt(ANA, address(1), now), Ok(()));
        limits.succeeded(ANA, address(1));
        assert_eq!(limits.wait(ANA, address(1), now), None);
        // 15 more failures on other accounts block the address.
        for n in 0..15 {
            limits.failed(&format!("user{n}@example.test"), address(1), now);
        }
        assert!(limits.wait("x@example.test", address(1), now).is_some());
        // Counting starts again after a quiet spell.
        let later = now + FORGET_AFTER;
        assert_eq!(limits.wait("x@example.test", address(1), later), None);
        limits.failed("x@example.test", address(1), later);
        assert_eq!(limits.wait("x@example.test", address(1), later), None);
    }

    #[test]
    fn the_email_counts_whatever_its_case_and_spaces() {
        let limits = SignInLimits::new();
        let now = Instant::now();
        fail(&limits, " Ana@Example.TEST ", address(1), 6, now);
        assert!(limits.wait(ANA, address(1), now).is_some());
    }

    #[test]
    fn a_full_map_makes_room_instead_of_growing() {
        let limits = SignInLimits::new();
        let now = Instant::now();
        for n in 0..(MAX_KEYS as u32 / 2 + 10) {
            let from = Some(IpAddr::from(n.to_be_bytes()));
            limits.failed(ANA, from, now + Duration::from_millis(u64::from(n)));
        }
        assert!(limits.lock().len() <= MAX_KEYS);
    }
}
