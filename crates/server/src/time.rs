//! The server's clock and the window of instants it believes.

use chrono::{DateTime, Duration, TimeZone, Utc};

/// Now, at the millisecond precision devices and storage use.
pub fn now() -> DateTime<Utc> {
    to_millis(Utc::now())
}

/// `at` without its sub-millisecond part: both databases keep milliseconds.
pub fn to_millis(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap_or(at)
}

/// How far ahead of the server's clock a device's instant may be (clocks differ a little; a day
/// ahead is a wrong clock or a forged request).
pub const FUTURE_TOLERANCE: Duration = Duration::days(1);

/// Whether `at` is an instant a time tracker can mean: not before 2000, not beyond a day ahead.
/// Everything stored is inside this window, so every instant served is RFC 3339 (years 2000 to
/// 9999, never "+10000-…").
pub fn plausible(at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    let earliest = Utc
        .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .single()
        .expect("a fixed valid date");
    earliest <= at && at <= now + FUTURE_TOLERANCE
}
