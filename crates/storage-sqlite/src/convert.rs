//! Between SQLite's columns (UUID text, UTC milliseconds) and the domain's types.

use chrono::{DateTime, Utc};
use stint_storage::{Result, StorageError};
use uuid::Uuid;

pub fn storage_error(error: sqlx::Error) -> StorageError {
    match error {
        sqlx::Error::RowNotFound => StorageError::NotFound,
        sqlx::Error::PoolTimedOut => StorageError::Busy("no database connection free".into()),
        sqlx::Error::Io(_) => StorageError::Busy(error.to_string()),
        sqlx::Error::Database(db) => {
            // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes (low byte).
            let primary = db
                .code()
                .and_then(|code| code.parse::<i32>().ok())
                .map(|code| code & 0xff);
            if matches!(primary, Some(5 | 6)) {
                return StorageError::Busy(db.message().to_string());
            }
            if matches!(
                db.kind(),
                sqlx::error::ErrorKind::UniqueViolation
                    | sqlx::error::ErrorKind::ForeignKeyViolation
                    | sqlx::error::ErrorKind::NotNullViolation
                    | sqlx::error::ErrorKind::CheckViolation
            ) {
                // SQLite names the columns, not the constraint: "UNIQUE constraint failed: t.c".
                return StorageError::Conflict {
                    constraint: db.message().to_string(),
                };
            }
            StorageError::Other(db.message().to_string())
        }
        other => StorageError::Other(other.to_string()),
    }
}

pub fn id(text: &str) -> Result<Uuid> {
    Uuid::parse_str(text).map_err(|_| StorageError::Corrupt(format!("{text:?} is not a UUID")))
}

pub fn instant(millis: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(millis)
        .ok_or_else(|| StorageError::Corrupt(format!("instant {millis} is out of range")))
}

pub fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// Ids as a JSON array, for `IN (SELECT value FROM json_each($n))`: SQLite has no arrays.
pub fn json_ids(ids: &[Uuid]) -> String {
    serde_json::Value::from(ids.iter().map(Uuid::to_string).collect::<Vec<_>>()).to_string()
}
