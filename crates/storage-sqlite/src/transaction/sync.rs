//! Device streams and the mutations recorded on them.

use async_trait::async_trait;
use chrono::Utc;
use sqlx::QueryBuilder;
use stint_storage::{
    parse_stored, MutationOutcome, MutationRecord, RecordedMutation, Result, StorageError,
    SyncWrites, WorkspaceScope,
};
use uuid::Uuid;

use super::{SqliteTransaction, ROWS_PER_STATEMENT};
use crate::convert::{millis, storage_error};
use crate::reads;
use crate::rows::reason;

#[async_trait]
impl SyncWrites for SqliteTransaction {
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn lock_stream(
        &mut self,
        scope: &WorkspaceScope,
        stream_id: Uuid,
    ) -> Result<Option<i64>> {
        // The one writer holds the lock already (`BEGIN IMMEDIATE`). A stream seen before is
        // one read; a new one is made, then read.
        if let Some(last) = reads::stream_seq(self.conn(), scope, stream_id).await? {
            return Ok(Some(last));
        }
        let (stream, device) = (stream_id.to_string(), scope.device_id().to_string());
        let workspace = scope.workspace_id().to_string();
        let now = millis(Utc::now());
        sqlx::query!(
            "INSERT INTO streams (id, device_id, workspace_id, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
            stream,
            device,
            workspace,
            now
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        reads::stream_seq(self.conn(), scope, stream_id).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn set_stream_seq(&mut self, stream_id: Uuid, seq: i64) -> Result<()> {
        let stream = stream_id.to_string();
        sqlx::query!(
            "UPDATE streams SET last_applied_seq = $1 WHERE id = $2",
            seq,
            stream
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn recorded_mutations(
        &mut self,
        stream_id: Uuid,
        from: i64,
        to: i64,
    ) -> Result<Vec<RecordedMutation>> {
        let stream = stream_id.to_string();
        let rows = sqlx::query!(
            "SELECT seq, fingerprint, outcome, reason_code, reason_message, reason_details \
             FROM mutations WHERE stream_id = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq",
            stream,
            from,
            to
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)?;
        rows.into_iter()
            .map(|row| {
                Ok(RecordedMutation {
                    seq: row.seq,
                    fingerprint: row.fingerprint,
                    outcome: parse_stored(&row.outcome, MutationOutcome::parse, "outcome")?,
                    reason: reason(row.reason_code, row.reason_message, row.reason_details)?,
                })
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn lock_user_timers(&mut self, scope: &WorkspaceScope) -> Result<()> {
        // `BEGIN IMMEDIATE` on the one writer: nothing else writes until this commits. A member
        // deactivated before it began no longer changes anything here.
        let (workspace, user) = (
            scope.workspace_id().to_string(),
            scope.user_id().to_string(),
        );
        sqlx::query_scalar!(
            "SELECT user_id FROM memberships WHERE workspace_id = $1 AND user_id = $2 AND active = 1",
            workspace,
            user
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?
        .ok_or(StorageError::NotFound)?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn record_mutations(
        &mut self,
        scope: &WorkspaceScope,
        mutations: &[MutationRecord],
    ) -> Result<()> {
        let workspace = scope.workspace_id().to_string();
        for chunk in mutations.chunks(ROWS_PER_STATEMENT) {
            let mut insert = QueryBuilder::new(
                "INSERT INTO mutations (stream_id, seq, workspace_id, fingerprint, name, args, \
                                        device_time, outcome, reason_code, reason_message, \
                                        reason_details, received_at) ",
            );
            insert.push_values(chunk, |mut row, m| {
                let reason = m.reason.as_ref();
                row.push_bind(m.stream_id.to_string())
                    .push_bind(m.seq)
                    .push_bind(workspace.clone())
                    .push_bind(m.fingerprint.as_str())
                    .push_bind(m.name.as_str())
                    .push_bind(m.args.as_str())
                    .push_bind(millis(m.device_time))
                    .push_bind(m.outcome.as_str())
                    .push_bind(reason.map(|r| r.code.clone()))
                    .push_bind(reason.map(|r| r.message.clone()))
                    .push_bind(
                        reason
                            .and_then(|r| r.details.as_ref())
                            .map(|d| d.to_string()),
                    )
                    .push_bind(millis(m.received_at));
            });
            insert
                .build()
                .execute(self.conn())
                .await
                .map_err(storage_error)?;
        }
        Ok(())
    }
}
