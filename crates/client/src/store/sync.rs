//! What the sync engine reads from and writes to the local store.

use rusqlite::params;
use stint_api::sync::{EntityKind, Intent, Mutation, MutationResult, Outcome, PullResponse};
use stint_domain::Timer;

use super::timer::{active_timer, replace_timer, save_entry, ActiveTimer};
use super::{keys, save_task, LocalStore};
use crate::error::StoreError;

/// What a pull changed locally.
#[derive(Debug, Default, PartialEq)]
pub struct PullApplied {
    pub tasks: usize,
    pub entries: usize,
    /// Whether the local timer was replaced by the server's (a stop or start made elsewhere).
    pub timer_changed: bool,
}

impl LocalStore {
    /// The outbox, oldest first.
    pub fn outbox(&self) -> Result<Vec<Mutation>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT seq, intent FROM outbox ORDER BY seq")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        rows.map(|row| {
            let (seq, intent) = row?;
            Ok(Mutation {
                seq,
                intent: serde_json::from_str::<Intent>(&intent)?,
            })
        })
        .collect()
    }

    pub fn pending_count(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))?)
    }

    pub fn rejected_count(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM rejected", [], |r| r.get(0))?)
    }

    /// Removes what the server acknowledged. Rejected mutations move to the `rejected` list
    /// with the server's reason, so the user sees them.
    pub fn acknowledge(
        &self,
        results: &[MutationResult],
        last_applied_seq: i64,
    ) -> Result<(), StoreError> {
        let now = chrono::Utc::now().timestamp_millis();
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for result in results.iter().filter(|r| r.outcome == Outcome::Rejected) {
            let reason = result.reason.clone().unwrap_or_else(|| {
                stint_api::ErrorBody::new(
                    stint_api::ErrorCode::Rejected,
                    "the server refused this change",
                )
            });
            tx.execute(
                "INSERT OR REPLACE INTO rejected (seq, intent, code, message, rejected_at) \
                 SELECT seq, intent, ?2, ?3, ?4 FROM outbox WHERE seq = ?1",
                params![result.seq, reason.code.to_string(), reason.message, now],
            )?;
        }
        tx.execute(
            "DELETE FROM outbox WHERE seq <= ?1",
            params![last_applied_seq],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Applies a pull. The server's timer replaces the local one only when no local change is
    /// waiting: until then the device's own view is the newer one.
    pub fn apply_pull(&self, pull: &PullResponse) -> Result<PullApplied, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for task in &pull.tasks {
            save_task(&tx, task)?;
        }
        for entry in &pull.entries {
            save_entry(&tx, entry, true)?;
        }
        for tombstone in &pull.removed {
            let delete = match tombstone.entity {
                EntityKind::Task => "DELETE FROM tasks WHERE id = ?1",
                // Only synced copies: an entry still waiting in the outbox is the device's own.
                EntityKind::Entry => "DELETE FROM entries WHERE id = ?1 AND synced = 1",
            };
            tx.execute(delete, params![tombstone.id.to_string()])?;
        }
        let pending: i64 = tx.query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))?;
        let mut timer_changed = false;
        if pending == 0 {
            let server_timer = match &pull.timer {
                Some(snapshot) => Some(ActiveTimer {
                    id: snapshot.id,
                    task_id: snapshot.task_id,
                    timer: Timer::from_segments(snapshot.segments.clone())
                        .ok_or_else(|| StoreError::Corrupt("server sent broken segments".into()))?,
                }),
                None => None,
            };
            if active_timer(&tx)? != server_timer {
                replace_timer(&tx, server_timer.as_ref())?;
                timer_changed = true;
            }
        }
        tx.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![keys::CURSOR, pull.cursor.to_string()],
        )?;
        tx.commit()?;
        Ok(PullApplied {
            tasks: pull.tasks.len(),
            entries: pull.entries.len(),
            timer_changed,
        })
    }
}
