//! Instants are stored as milliseconds since the epoch, in both backends.

use chrono::{DateTime, Utc};

use crate::error::ApiError;

pub fn now() -> DateTime<Utc> {
    from_millis(Utc::now().timestamp_millis()).expect("now is representable")
}

pub fn to_millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

pub fn from_millis(ms: i64) -> Result<DateTime<Utc>, ApiError> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| ApiError::Internal(format!("stored instant {ms} is out of range")))
}
