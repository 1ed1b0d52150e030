//! The server's clock and the window of instants it believes.

use chrono::{DateTime, Duration, TimeZone, Utc};
use stint_api::sync::FUTURE_TOLERANCE_SECS;
use stint_api::{ErrorBody, ErrorCode};

/// Now, at the millisecond precision devices and storage use.
pub fn now() -> DateTime<Utc> {
    to_millis(Utc::now())
}

/// `at` without its sub-millisecond part: both databases keep milliseconds.
pub fn to_millis(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap_or(at)
}

/// Why an instant is not believed: before 2000 (no time tracker means that, and every instant
/// served stays RFC 3339), or further ahead of the server's clock than the sync protocol's
/// tolerance (device clocks are corrected by their learned offset; more is a clock that jumped
/// or a forged request).
pub fn check(at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), ErrorBody> {
    let earliest = Utc
        .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .single()
        .expect("a fixed valid date");
    if at < earliest {
        return Err(ErrorBody::new(
            ErrorCode::InstantOutOfRange,
            format!("{at} is before 2000"),
        ));
    }
    if at > now + Duration::seconds(FUTURE_TOLERANCE_SECS) {
        return Err(ErrorBody::new(
            ErrorCode::InstantInFuture,
            format!(
                "{at} is {} s ahead of the server's clock ({now}); at most {FUTURE_TOLERANCE_SECS} s is accepted",
                (at - now).num_seconds()
            ),
        ));
    }
    Ok(())
}
