//! Changes the server refused (the future *Sync issues* list). `sync.rs` moves them here from
//! the outbox; this reads them back.

use chrono::{DateTime, Utc};
use stint_api::sync::Intent;
use stint_api::ErrorCode;

use super::LocalStore;
use crate::error::StoreError;

/// One refused change, with the server's reason.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedChange {
    pub seq: i64,
    pub intent: Intent,
    /// Stored as its wire text; a code this build does not know reads back as `Unknown`.
    pub code: ErrorCode,
    pub message: String,
    pub rejected_at: DateTime<Utc>,
}

impl LocalStore {
    /// The refused changes, oldest first.
    pub fn rejected_changes(&self) -> Result<Vec<RejectedChange>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT seq, intent, code, message, rejected_at FROM rejected ORDER BY seq")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        rows.map(|row| {
            let (seq, intent, code, message, rejected_at) = row?;
            Ok(RejectedChange {
                seq,
                intent: serde_json::from_str(&intent)?,
                code: code.parse().unwrap_or(ErrorCode::Unknown),
                message,
                rejected_at: DateTime::from_timestamp_millis(rejected_at)
                    .ok_or_else(|| StoreError::Corrupt("rejected_at".into()))?,
            })
        })
        .collect()
    }
}
