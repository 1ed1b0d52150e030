//! PostgreSQL errors in storage's words, and the few conversions native types still need.

use stint_storage::{Result, StorageError};

pub fn storage_error(error: sqlx::Error) -> StorageError {
    match error {
        sqlx::Error::RowNotFound => StorageError::NotFound,
        sqlx::Error::PoolTimedOut => StorageError::Busy("no database connection free".into()),
        sqlx::Error::Database(db) => match db.code().as_deref() {
            // deadlock_detected, serialization_failure, lock_not_available, too_many_connections
            Some("40P01" | "40001" | "55P03" | "53300") => {
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

pub fn parsed<T>(text: &str, parse: impl Fn(&str) -> Option<T>, what: &str) -> Result<T> {
    parse(text).ok_or_else(|| StorageError::Corrupt(format!("unknown {what} {text:?}")))
}
