//! The *Sync issues* list: changes of this device the server refused or decided otherwise
//! about. The sync engine records them (`record_issue`, inside the transaction that takes the
//! change out of the outbox); the window lists, retries and dismisses them.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};
use stint_api::desk::SyncIssueKind;
use stint_api::sync::Intent;
use stint_api::{ErrorBody, ErrorCode};

use super::timer::enqueue;
use super::LocalStore;
use crate::error::StoreError;

/// One issue as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredIssue {
    pub id: i64,
    pub kind: SyncIssueKind,
    pub intent: Intent,
    /// Stored as its wire text; a code this build does not know reads back as `Unknown`.
    pub code: ErrorCode,
    pub message: String,
    /// What the server has instead (the reason's `details`), when it said.
    pub server_has: Option<serde_json::Value>,
    pub task_title: Option<String>,
    pub made_at: DateTime<Utc>,
    pub noticed_at: DateTime<Utc>,
}

impl LocalStore {
    pub fn issue_count(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM sync_issues", [], |r| r.get(0))?)
    }

    /// The issues, oldest first.
    pub fn issues(&self) -> Result<Vec<StoredIssue>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, kind, intent, code, message, server_has, task_title, made_at, noticed_at \
             FROM sync_issues ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, i64>(7)?,
                r.get::<_, i64>(8)?,
            ))
        })?;
        rows.map(|row| {
            let (id, kind, intent, code, message, server_has, task_title, made_at, noticed_at) =
                row?;
            Ok(StoredIssue {
                id,
                kind: match kind.as_str() {
                    "rejected" => SyncIssueKind::Rejected,
                    "reconciled" => SyncIssueKind::Reconciled,
                    other => return Err(StoreError::Corrupt(format!("issue kind {other:?}"))),
                },
                intent: serde_json::from_str(&intent)?,
                code: code.parse().unwrap_or(ErrorCode::Unknown),
                message,
                server_has: server_has.map(|s| serde_json::from_str(&s)).transpose()?,
                task_title,
                made_at: instant(made_at)?,
                noticed_at: instant(noticed_at)?,
            })
        })
        .collect()
    }
}

impl LocalStore {
    /// Queues the issue's change again (a new seq, the same content) and drops the issue.
    pub fn retry_issue(&self, id: i64) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let intent: String = tx.query_row(
            "DELETE FROM sync_issues WHERE id = ?1 RETURNING intent",
            params![id],
            |r| r.get(0),
        )?;
        enqueue(&tx, &serde_json::from_str(&intent)?)?;
        tx.commit()?;
        Ok(())
    }

    /// Drops the issue; a refused stop or entry leaves the device too (it exists nowhere else).
    pub fn dismiss_issue(&self, id: i64) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let (kind, intent): (String, String) = tx.query_row(
            "DELETE FROM sync_issues WHERE id = ?1 RETURNING kind, intent",
            params![id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if kind == "rejected" {
            if let Intent::StopTimer { entry_id, .. } | Intent::RecordEntry { entry_id, .. } =
                serde_json::from_str(&intent)?
            {
                tx.execute(
                    "DELETE FROM entries WHERE id = ?1 AND synced = 0",
                    params![entry_id.to_string()],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

/// Adds an issue for `intent`, refused or reconciled with `reason`.
pub(super) fn record_issue(
    tx: &Transaction<'_>,
    kind: SyncIssueKind,
    intent: &Intent,
    reason: &ErrorBody,
    made_at: DateTime<Utc>,
    noticed_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let kind = match kind {
        SyncIssueKind::Rejected => "rejected",
        SyncIssueKind::Reconciled => "reconciled",
    };
    tx.execute(
        "INSERT INTO sync_issues \
         (kind, intent, code, message, server_has, task_title, made_at, noticed_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            kind,
            serde_json::to_string(intent)?,
            reason.code.to_string(),
            reason.message,
            reason.details.as_ref().map(|d| d.to_string()),
            task_title(tx, intent)?,
            made_at.timestamp_millis(),
            noticed_at.timestamp_millis(),
        ],
    )?;
    Ok(())
}

/// The title of the task the intent is about, as this device knows it.
fn task_title(tx: &Transaction<'_>, intent: &Intent) -> Result<Option<String>, StoreError> {
    let by_task = "SELECT title FROM tasks WHERE id = ?1";
    let title = match intent {
        Intent::StartTimer { task_id, .. } | Intent::RecordEntry { task_id, .. } => tx
            .query_row(by_task, params![task_id.to_string()], |r| r.get(0))
            .optional()?,
        Intent::PauseTimer { timer_id, .. }
        | Intent::ResumeTimer { timer_id, .. }
        | Intent::StopTimer { timer_id, .. } => tx
            .query_row(
                "SELECT title FROM tasks WHERE id IN ( \
                   SELECT task_id FROM timer WHERE id = ?1 \
                   UNION SELECT task_id FROM entries WHERE timer_id = ?1) LIMIT 1",
                params![timer_id.to_string()],
                |r| r.get(0),
            )
            .optional()?,
        Intent::ReviewEntry { entry_id, .. } | Intent::DiscardEntry { entry_id, .. } => tx
            .query_row(
                "SELECT title FROM tasks WHERE id IN (SELECT task_id FROM entries WHERE id = ?1)",
                params![entry_id.to_string()],
                |r| r.get(0),
            )
            .optional()?,
    };
    Ok(title)
}

fn instant(millis: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(millis).ok_or_else(|| StoreError::Corrupt("instant".into()))
}
