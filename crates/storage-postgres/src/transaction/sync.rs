//! Device streams and the mutations recorded on them.

use async_trait::async_trait;
use stint_storage::{
    parse_stored, MutationOutcome, MutationRecord, Reason, RecordedMutation, Result, StorageError,
    SyncWrites, WorkspaceScope,
};
use uuid::Uuid;

use super::PostgresTransaction;
use crate::convert::storage_error;

impl PostgresTransaction {
    /// The stream's last seq, if it is this device's in this workspace; locked until commit, so
    /// two pushes on one stream take turns instead of both applying the same sequence numbers.
    async fn stream_seq(&mut self, scope: &WorkspaceScope, stream_id: Uuid) -> Result<Option<i64>> {
        sqlx::query_scalar!(
            "SELECT last_applied_seq FROM streams \
             WHERE id = $1 AND device_id = $2 AND workspace_id = $3 FOR NO KEY UPDATE",
            stream_id,
            scope.device_id(),
            scope.workspace_id()
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)
    }
}

#[async_trait]
impl SyncWrites for PostgresTransaction {
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn lock_stream(
        &mut self,
        scope: &WorkspaceScope,
        stream_id: Uuid,
    ) -> Result<Option<i64>> {
        self.enter(scope).await?;
        // A stream seen before is one read; a new one is made, then read.
        if let Some(last) = self.stream_seq(scope, stream_id).await? {
            return Ok(Some(last));
        }
        sqlx::query!(
            "INSERT INTO streams (id, device_id, workspace_id, created_at) \
             VALUES ($1, $2, $3, now()) ON CONFLICT (id) DO NOTHING",
            stream_id,
            scope.device_id(),
            scope.workspace_id()
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        self.stream_seq(scope, stream_id).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn set_stream_seq(&mut self, stream_id: Uuid, seq: i64) -> Result<()> {
        // The stream was locked through a scope, in this transaction's workspace. Written at
        // commit, with the mutations recorded on it.
        self.entered()?;
        self.stream_seq = Some((stream_id, seq));
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn recorded_mutations(
        &mut self,
        stream_id: Uuid,
        from: i64,
        to: i64,
    ) -> Result<Vec<RecordedMutation>> {
        let workspace = self.entered()?;
        let rows = sqlx::query!(
            "SELECT seq, fingerprint, outcome, reason_code, reason_message, reason_details \
             FROM mutations \
             WHERE stream_id = $1 AND seq BETWEEN $2 AND $3 AND workspace_id = $4 ORDER BY seq",
            stream_id,
            from,
            to,
            workspace
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
                    reason: row.reason_code.map(|code| Reason {
                        code,
                        message: row.reason_message.unwrap_or_default(),
                        details: row.reason_details,
                    }),
                })
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn lock_user_timers(&mut self, scope: &WorkspaceScope) -> Result<()> {
        self.enter(scope).await?;
        // Two devices of one user starting timers at once would both see "no timer running" and
        // the second insert would break `one_active_timer`; this row lock makes them take turns.
        // Other users' writes do not wait. A member deactivated meanwhile (their deactivation
        // holds this row until it commits) no longer changes anything here.
        sqlx::query!(
            "SELECT user_id FROM memberships \
             WHERE workspace_id = $1 AND user_id = $2 AND active FOR UPDATE",
            scope.workspace_id(),
            scope.user_id()
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
        self.enter(scope).await?;
        let workspace = scope.workspace_id();
        self.mutations
            .extend(mutations.iter().map(|m| (workspace, m.clone())));
        Ok(())
    }
}
