//! Timers and the entries they stop into, read and written a pushed batch at a time.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;
use stint_domain::{ActivityKind, EntryFlag};
use stint_storage::{
    Entity, EntryRecord, Held, Result, SegmentRecord, StorageError, TimerRecord, TimerWrites,
    WorkspaceScope,
};
use uuid::Uuid;

use super::{SqliteTransaction, ROWS_PER_STATEMENT};
use crate::convert::{json_ids, millis, storage_error};
use crate::rows::{entry_record, held, timer_record, EntryRow, TimerRow};

#[async_trait]
impl TimerWrites for SqliteTransaction {
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn own_active_timer(&mut self, scope: &WorkspaceScope) -> Result<Option<TimerRecord>> {
        let workspace = scope.workspace_id().to_string();
        let user = scope.user_id().to_string();
        let row = sqlx::query_as!(
            TimerRow,
            "SELECT id, workspace_id, user_id, task_id, state, started_at, closed_millis, segment_count, \
                    last_start, last_end \
             FROM timers WHERE workspace_id = $1 AND user_id = $2 AND state <> 'stopped'",
            workspace,
            user
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        row.map(timer_record).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn timers_with_ids(
        &mut self,
        scope: &WorkspaceScope,
        ids: &[Uuid],
    ) -> Result<Vec<Held<TimerRecord>>> {
        let ids = json_ids(ids);
        let rows = sqlx::query_as!(
            TimerRow,
            "SELECT id, workspace_id, user_id, task_id, state, started_at, closed_millis, \
                    segment_count, last_start, last_end \
             FROM timers WHERE id IN (SELECT value FROM json_each($1))",
            ids
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)?;
        held(scope, rows, timer_record)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn own_timers_from(
        &mut self,
        scope: &WorkspaceScope,
        at: DateTime<Utc>,
    ) -> Result<Vec<TimerRecord>> {
        let (workspace, user) = (
            scope.workspace_id().to_string(),
            scope.user_id().to_string(),
        );
        let at = millis(at);
        let rows = sqlx::query_as!(
            TimerRow,
            // Two ranges of the user's start index (one condition over both would be planned,
            // once generic on PostgreSQL, as a scan of all the user's timers).
            "SELECT * FROM (SELECT id, workspace_id, user_id, task_id, state, started_at, \
                    closed_millis, segment_count, last_start, last_end \
                 FROM timers WHERE workspace_id = $1 AND user_id = $2 AND started_at < $3 \
                 ORDER BY started_at DESC LIMIT 1) AS latest_before \
             UNION ALL \
             SELECT id, workspace_id, user_id, task_id, state, started_at, closed_millis, \
                    segment_count, last_start, last_end \
             FROM timers WHERE workspace_id = $1 AND user_id = $2 AND started_at >= $3",
            workspace,
            user,
            at
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)?;
        rows.into_iter().map(timer_record).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn entries_with_ids(
        &mut self,
        scope: &WorkspaceScope,
        ids: &[Uuid],
    ) -> Result<Vec<Held<EntryRecord>>> {
        let ids = json_ids(ids);
        let rows = sqlx::query_as!(
            EntryRow,
            "SELECT id, workspace_id, user_id, task_id, timer_id, team_id, started_at, ended_at, \
                    duration_secs, raw_duration_secs, billable, flag, status, source, description \
             FROM entries WHERE id IN (SELECT value FROM json_each($1)) \
             UNION ALL \
             SELECT id, workspace_id, user_id, task_id, timer_id, team_id, started_at, ended_at, \
                    duration_secs, raw_duration_secs, billable, flag, status, source, description \
             FROM secured_entries WHERE id IN (SELECT value FROM json_each($1))",
            ids
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)?;
        held(scope, rows, entry_record)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn entries_of_timers(
        &mut self,
        scope: &WorkspaceScope,
        ids: &[Uuid],
    ) -> Result<Vec<Held<EntryRecord>>> {
        // By the timer index alone: with the user's columns too, SQLite picks the user index
        // and reads all of their entries (milliseconds a push for a long history).
        let ids = json_ids(ids);
        let rows = sqlx::query_as!(
            EntryRow,
            "SELECT id, workspace_id, user_id, task_id, timer_id, team_id, started_at, ended_at, \
                    duration_secs, raw_duration_secs, billable, flag, status, source, description \
             FROM entries WHERE timer_id IN (SELECT value FROM json_each($1)) \
             UNION ALL \
             SELECT id, workspace_id, user_id, task_id, timer_id, team_id, started_at, ended_at, \
                    duration_secs, raw_duration_secs, billable, flag, status, source, description \
             FROM secured_entries WHERE timer_id IN (SELECT value FROM json_each($1))",
            ids
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)?;
        held(scope, rows, entry_record)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn save_timers(
        &mut self,
        scope: &WorkspaceScope,
        timers: &[TimerRecord],
        segments: &[SegmentRecord],
    ) -> Result<()> {
        let (workspace, user) = (
            scope.workspace_id().to_string(),
            scope.user_id().to_string(),
        );
        for chunk in timers.chunks(ROWS_PER_STATEMENT) {
            let mut upsert = QueryBuilder::new(
                "INSERT INTO timers (id, workspace_id, user_id, task_id, state, started_at, \
                                     closed_millis, segment_count, last_start, last_end) \
                 SELECT v.column1, ",
            );
            upsert.push_bind(workspace.clone()).push(", ");
            upsert.push_bind(user.clone()).push(
                ", v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8 \
                 FROM (",
            );
            upsert.push_values(chunk, |mut row, t| {
                row.push_bind(t.id.to_string())
                    .push_bind(t.task_id.to_string())
                    .push_bind(t.state_name())
                    .push_bind(millis(t.head.started_at))
                    .push_bind(t.head.closed_millis)
                    .push_bind(i64::from(t.head.segment_count))
                    .push_bind(millis(t.head.last.start))
                    .push_bind(t.head.last.end.map(millis));
            });
            upsert.push(
                ") AS v WHERE EXISTS (SELECT 1 FROM tasks WHERE id = v.column2 AND workspace_id = ",
            );
            // A row of another user under the same id is not overwritten; it is counted as
            // missing.
            upsert.push_bind(workspace.clone()).push(
                ") ON CONFLICT (id) DO UPDATE SET state = excluded.state, \
                     closed_millis = excluded.closed_millis, \
                     segment_count = excluded.segment_count, \
                     last_start = excluded.last_start, last_end = excluded.last_end \
                 WHERE timers.workspace_id = excluded.workspace_id \
                   AND timers.user_id = excluded.user_id",
            );
            let done = upsert
                .build()
                .execute(self.conn())
                .await
                .map_err(storage_error)?;
            if done.rows_affected() != chunk.len() as u64 {
                // Read a moment ago as free: another push took an id, or a task went.
                return Err(StorageError::Conflict {
                    constraint: "a timer's id or task changed meanwhile".into(),
                });
            }
        }
        for chunk in segments.chunks(ROWS_PER_STATEMENT) {
            let mut upsert = QueryBuilder::new(
                "INSERT INTO timer_segments (timer_id, n, started_at, ended_at) ",
            );
            upsert.push_values(chunk, |mut row, s| {
                row.push_bind(s.timer_id.to_string())
                    .push_bind(i64::from(s.n))
                    .push_bind(millis(s.segment.start))
                    .push_bind(s.segment.end.map(millis));
            });
            upsert.push(" ON CONFLICT (timer_id, n) DO UPDATE SET ended_at = excluded.ended_at");
            upsert
                .build()
                .execute(self.conn())
                .await
                .map_err(storage_error)?;
        }
        let ids: Vec<Uuid> = timers.iter().map(|t| t.id).collect();
        self.log_changes(scope, Entity::Timer, &ids).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_entries(
        &mut self,
        scope: &WorkspaceScope,
        entries: &[EntryRecord],
        at: DateTime<Utc>,
    ) -> Result<()> {
        let (workspace, user) = (
            scope.workspace_id().to_string(),
            scope.user_id().to_string(),
        );
        for chunk in entries.chunks(ROWS_PER_STATEMENT) {
            let mut insert = QueryBuilder::new(
                "INSERT INTO entries (id, workspace_id, user_id, task_id, timer_id, started_at, \
                                      ended_at, duration_secs, raw_duration_secs, billable, flag, status, source, description) \
                 SELECT v.column1, ",
            );
            insert.push_bind(workspace.clone()).push(", ");
            insert.push_bind(user.clone()).push(
                ", v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8, \
                   v.column9, v.column10, v.column11, v.column12 FROM (",
            );
            insert.push_values(chunk, |mut row, e| {
                row.push_bind(e.id.to_string())
                    .push_bind(e.task_id.to_string())
                    .push_bind(e.timer_id.map(|t| t.to_string()))
                    .push_bind(millis(e.started_at))
                    .push_bind(millis(e.ended_at))
                    .push_bind(e.duration_secs)
                    .push_bind(e.raw_duration_secs)
                    .push_bind(e.billable)
                    .push_bind(e.flag.map(EntryFlag::as_str))
                    .push_bind(e.status.as_str())
                    .push_bind(e.source.as_str())
                    .push_bind(e.description.clone());
            });
            insert.push(
                ") AS v WHERE EXISTS (SELECT 1 FROM tasks WHERE id = v.column2 AND workspace_id = ",
            );
            insert.push_bind(workspace.clone()).push(")");
            let done = insert
                .build()
                .execute(self.conn())
                .await
                .map_err(storage_error)?;
            if done.rows_affected() != chunk.len() as u64 {
                return Err(StorageError::Conflict {
                    constraint: "an entry's task was deleted meanwhile".into(),
                });
            }
        }
        let (at, created) = (millis(at), ActivityKind::Created.as_str());
        for chunk in entries.chunks(ROWS_PER_STATEMENT) {
            let mut insert = QueryBuilder::new(
                "INSERT INTO entry_activity (workspace_id, entry_id, at, actor_id, kind) ",
            );
            insert.push_values(chunk, |mut row, e| {
                row.push_bind(workspace.clone())
                    .push_bind(e.id.to_string())
                    .push_bind(at)
                    .push_bind(user.clone())
                    .push_bind(created);
            });
            insert
                .build()
                .execute(self.conn())
                .await
                .map_err(storage_error)?;
        }
        let ids: Vec<Uuid> = entries.iter().map(|e| e.id).collect();
        self.log_changes(scope, Entity::Entry, &ids).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn record_timer_stop(
        &mut self,
        scope: &WorkspaceScope,
        timer_id: Uuid,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let (timer, workspace, user, at) = (
            timer_id.to_string(),
            scope.workspace_id().to_string(),
            scope.user_id().to_string(),
            millis(at),
        );
        sqlx::query!(
            "INSERT INTO timer_stops (timer_id, workspace_id, user_id, by_words, at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (timer_id) DO UPDATE SET by_words = excluded.by_words, at = excluded.at",
            timer,
            workspace,
            user,
            by,
            at
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn forget_timer_stop(&mut self, scope: &WorkspaceScope, timer_id: Uuid) -> Result<()> {
        let (timer, workspace) = (timer_id.to_string(), scope.workspace_id().to_string());
        sqlx::query!(
            "DELETE FROM timer_stops WHERE timer_id = $1 AND workspace_id = $2",
            timer,
            workspace
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(())
    }
}
