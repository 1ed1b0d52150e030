//! PostgreSQL errors in storage's words, and the few conversions native types still need.

use stint_storage::StorageError;

pub fn storage_error(error: sqlx::Error) -> StorageError {
    match error {
        sqlx::Error::RowNotFound => StorageError::NotFound,
        sqlx::Error::PoolTimedOut => StorageError::Busy("no database connection free".into()),
        // The connection broke (a restart, a network hiccup): trying again may well work.
        sqlx::Error::Io(_) | sqlx::Error::PoolClosed | sqlx::Error::Tls(_) => {
            StorageError::Busy(error.to_string())
        }
        sqlx::Error::Database(db) => match db.code().as_deref() {
            // deadlock_detected, serialization_failure, lock_not_available (lock_timeout),
            // query_canceled, admin/crash shutdown, cannot_connect_now
            Some("40P01" | "40001" | "55P03" | "57014" | "57P01" | "57P02" | "57P03") => {
                StorageError::Busy(db.message().to_string())
            }
            // connection_exception and insufficient_resources (too many connections, disk full)
            Some(code) if code.starts_with("08") || code.starts_with("53") => {
                StorageError::Busy(db.message().to_string())
            }
            // integrity_constraint_violation and its subclasses
            Some(code) if code.starts_with("23") => StorageError::Conflict {
                constraint: db.constraint().unwrap_or(db.message()).to_string(),
            },
            _ => StorageError::Other(db.message().to_string()),
        },
        other => StorageError::Other(other.to_string()),
    }
}
