//! Timers and the entries they stop into, read and written a pushed batch at a time.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use stint_domain::{ActivityKind, EntryFlag};
use stint_storage::{
    ChangeOp, Entity, EntryRecord, Held, Result, SegmentRecord, StorageError, TimerRecord,
    TimerWrites, WorkspaceScope,
};
use uuid::Uuid;

use super::PostgresTransaction;
use crate::convert::storage_error;
use crate::rows::{entry_record, held, timer_record, EntryRow, TimerRow};

#[async_trait]
impl TimerWrites for PostgresTransaction {
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn own_active_timer(&mut self, scope: &WorkspaceScope) -> Result<Option<TimerRecord>> {
        self.enter(scope).await?;
        let workspace = scope.workspace_id();
        let user = scope.user_id();
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
        self.enter(scope).await?;
        let rows = sqlx::query_as!(
            TimerRow,
            "SELECT id, workspace_id, user_id, task_id, state, started_at, closed_millis, \
                    segment_count, last_start, last_end \
             FROM timers WHERE id = ANY($1)",
            ids
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)?;
        let elsewhere = sqlx::query_scalar!(
            r#"SELECT taken AS "id!" FROM stint_timer_ids_elsewhere($1) AS taken"#,
            ids
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(with_taken(held(scope, rows, timer_record)?, elsewhere))
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn own_timers_from(
        &mut self,
        scope: &WorkspaceScope,
        at: DateTime<Utc>,
    ) -> Result<Vec<TimerRecord>> {
        self.enter(scope).await?;
        let rows = sqlx::query_as!(
            TimerRow,
            // Two ranges of the user's start index (one condition over both would be planned,
            // once generic on PostgreSQL, as a scan of all the user's timers).
            r#"SELECT id AS "id!", workspace_id AS "workspace_id!", user_id AS "user_id!",
                      task_id AS "task_id!", state AS "state!", started_at AS "started_at!",
                      closed_millis AS "closed_millis!", segment_count AS "segment_count!",
                      last_start AS "last_start!", last_end
               FROM (SELECT * FROM timers
                     WHERE workspace_id = $1 AND user_id = $2 AND started_at < $3
                     ORDER BY started_at DESC LIMIT 1) AS latest_before
               UNION ALL
               SELECT id, workspace_id, user_id, task_id, state, started_at, closed_millis,
                      segment_count, last_start, last_end
               FROM timers WHERE workspace_id = $1 AND user_id = $2 AND started_at >= $3"#,
            scope.workspace_id(),
            scope.user_id(),
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
        self.enter(scope).await?;
        let rows = sqlx::query_as!(
            EntryRow,
            r#"SELECT id AS "id!", workspace_id AS "workspace_id!", user_id AS "user_id!",
                      task_id AS "task_id!", timer_id, team_id, started_at AS "started_at!",
                      ended_at AS "ended_at!", duration_secs AS "duration_secs!",
                      raw_duration_secs AS "raw_duration_secs!", billable AS "billable!", flag,
                      status AS "status!", source AS "source!", description AS "description!"
               FROM entries WHERE id = ANY($1)
               UNION ALL
               SELECT id, workspace_id, user_id, task_id, timer_id, team_id, started_at, ended_at,
                      duration_secs, raw_duration_secs, billable, flag, status, source, description
               FROM secured_entries WHERE id = ANY($1)"#,
            ids
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)?;
        let elsewhere = sqlx::query_scalar!(
            r#"SELECT taken AS "id!" FROM stint_entry_ids_elsewhere($1) AS taken"#,
            ids
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(with_taken(held(scope, rows, entry_record)?, elsewhere))
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn entries_of_timers(
        &mut self,
        scope: &WorkspaceScope,
        ids: &[Uuid],
    ) -> Result<Vec<Held<EntryRecord>>> {
        self.enter(scope).await?;
        let rows = sqlx::query_as!(
            EntryRow,
            r#"SELECT id AS "id!", workspace_id AS "workspace_id!", user_id AS "user_id!",
                      task_id AS "task_id!", timer_id, team_id, started_at AS "started_at!",
                      ended_at AS "ended_at!", duration_secs AS "duration_secs!",
                      raw_duration_secs AS "raw_duration_secs!", billable AS "billable!", flag,
                      status AS "status!", source AS "source!", description AS "description!"
               FROM entries WHERE timer_id = ANY($1)
               UNION ALL
               SELECT id, workspace_id, user_id, task_id, timer_id, team_id, started_at, ended_at,
                      duration_secs, raw_duration_secs, billable, flag, status, source, description
               FROM secured_entries WHERE timer_id = ANY($1)"#,
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
        self.enter(scope).await?;
        if timers.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = timers.iter().map(|t| t.id).collect();
        let tasks: Vec<Uuid> = timers.iter().map(|t| t.task_id).collect();
        let states: Vec<&str> = timers.iter().map(|t| t.state_name()).collect();
        let started: Vec<DateTime<Utc>> = timers.iter().map(|t| t.head.started_at).collect();
        let closed: Vec<i64> = timers.iter().map(|t| t.head.closed_millis).collect();
        let counts: Vec<i64> = timers
            .iter()
            .map(|t| i64::from(t.head.segment_count))
            .collect();
        let last_starts: Vec<DateTime<Utc>> = timers.iter().map(|t| t.head.last.start).collect();
        let last_ends: Vec<Option<DateTime<Utc>>> =
            timers.iter().map(|t| t.head.last.end).collect();
        // A row of another user under the same id is not overwritten; it is counted as missing.
        let done = sqlx::query!(
            "INSERT INTO timers (id, workspace_id, user_id, task_id, state, started_at, \
                                 closed_millis, segment_count, last_start, last_end) \
             SELECT t.id, $1, $2, t.task, t.state, t.started, t.closed, t.count, t.ls, t.le \
             FROM UNNEST($3::uuid[], $4::uuid[], $5::text[], $6::timestamptz[], $7::bigint[], \
                         $8::bigint[], $9::timestamptz[], $10::timestamptz[]) \
                  WITH ORDINALITY AS t (id, task, state, started, closed, count, ls, le, n) \
             WHERE EXISTS (SELECT 1 FROM tasks WHERE id = t.task AND workspace_id = $1) \
             ORDER BY t.n \
             ON CONFLICT (id) DO UPDATE SET state = excluded.state, \
                 closed_millis = excluded.closed_millis, \
                 segment_count = excluded.segment_count, \
                 last_start = excluded.last_start, last_end = excluded.last_end \
             WHERE timers.workspace_id = excluded.workspace_id \
               AND timers.user_id = excluded.user_id",
            scope.workspace_id(),
            scope.user_id(),
            &ids,
            &tasks,
            &states as &[&str],
            &started,
            &closed,
            &counts,
            &last_starts,
            &last_ends as &[Option<DateTime<Utc>>]
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if done.rows_affected() != timers.len() as u64 {
            // Read a moment ago as free: another push took an id, or a task went.
            return Err(StorageError::Conflict {
                constraint: "a timer's id or task changed meanwhile".into(),
            });
        }
        let timer_ids: Vec<Uuid> = segments.iter().map(|s| s.timer_id).collect();
        let ns: Vec<i64> = segments.iter().map(|s| i64::from(s.n)).collect();
        let starts: Vec<DateTime<Utc>> = segments.iter().map(|s| s.segment.start).collect();
        let ends: Vec<Option<DateTime<Utc>>> = segments.iter().map(|s| s.segment.end).collect();
        sqlx::query!(
            "INSERT INTO timer_segments (timer_id, n, started_at, ended_at) \
             SELECT * FROM UNNEST($1::uuid[], $2::bigint[], $3::timestamptz[], \
                                  $4::timestamptz[]) \
             ON CONFLICT (timer_id, n) DO UPDATE SET ended_at = excluded.ended_at",
            &timer_ids,
            &ns,
            &starts,
            &ends as &[Option<DateTime<Utc>>]
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        for id in ids {
            self.log_change(scope, Entity::Timer, id, ChangeOp::Upsert)
                .await?;
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_entries(
        &mut self,
        scope: &WorkspaceScope,
        entries: &[EntryRecord],
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.enter(scope).await?;
        if entries.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = entries.iter().map(|e| e.id).collect();
        let tasks: Vec<Uuid> = entries.iter().map(|e| e.task_id).collect();
        let timers: Vec<Option<Uuid>> = entries.iter().map(|e| e.timer_id).collect();
        let started: Vec<DateTime<Utc>> = entries.iter().map(|e| e.started_at).collect();
        let ended: Vec<DateTime<Utc>> = entries.iter().map(|e| e.ended_at).collect();
        let durations: Vec<i64> = entries.iter().map(|e| e.duration_secs).collect();
        let raw_durations: Vec<i64> = entries.iter().map(|e| e.raw_duration_secs).collect();
        let billable: Vec<bool> = entries.iter().map(|e| e.billable).collect();
        let flags: Vec<Option<&str>> = entries
            .iter()
            .map(|e| e.flag.map(EntryFlag::as_str))
            .collect();
        let statuses: Vec<&str> = entries.iter().map(|e| e.status.as_str()).collect();
        let sources: Vec<&str> = entries.iter().map(|e| e.source.as_str()).collect();
        let descriptions: Vec<&str> = entries.iter().map(|e| e.description.as_str()).collect();
        let done = sqlx::query!(
            "INSERT INTO entries (id, workspace_id, user_id, task_id, timer_id, started_at, \
                                  ended_at, duration_secs, raw_duration_secs, billable, flag, status, source, description) \
             SELECT e.id, $1, $2, e.task, e.timer, e.started, e.ended, e.duration, e.raw, \
                    e.billable, e.flag, e.status, e.source, e.description \
             FROM UNNEST($3::uuid[], $4::uuid[], $5::uuid[], $6::timestamptz[], \
                         $7::timestamptz[], $8::bigint[], $9::bigint[], $10::boolean[], \
                         $11::text[], $12::text[], $13::text[], $14::text[]) \
                  AS e (id, task, timer, started, ended, duration, raw, billable, flag, status, \
                        source, description) \
             WHERE EXISTS (SELECT 1 FROM tasks WHERE id = e.task AND workspace_id = $1)",
            scope.workspace_id(),
            scope.user_id(),
            &ids,
            &tasks,
            &timers as &[Option<Uuid>],
            &started,
            &ended,
            &durations,
            &raw_durations,
            &billable,
            &flags as &[Option<&str>],
            &statuses as &[&str],
            &sources as &[&str],
            &descriptions as &[&str]
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if done.rows_affected() != entries.len() as u64 {
            return Err(StorageError::Conflict {
                constraint: "an entry's task was deleted meanwhile".into(),
            });
        }
        sqlx::query!(
            "INSERT INTO entry_activity (workspace_id, entry_id, at, actor_id, kind) \
             SELECT $1, unnest($2::uuid[]), $3, $4, $5",
            scope.workspace_id(),
            &ids,
            at,
            scope.user_id(),
            ActivityKind::Created.as_str()
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        for id in ids {
            self.log_change(scope, Entity::Entry, id, ChangeOp::Upsert)
                .await?;
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn record_timer_stop(
        &mut self,
        scope: &WorkspaceScope,
        timer_id: Uuid,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.enter(scope).await?;
        sqlx::query!(
            "INSERT INTO timer_stops (timer_id, workspace_id, user_id, by_words, at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (timer_id) DO UPDATE SET by_words = excluded.by_words, at = excluded.at",
            timer_id,
            scope.workspace_id(),
            scope.user_id(),
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
        self.enter(scope).await?;
        sqlx::query!(
            "DELETE FROM timer_stops WHERE timer_id = $1 AND workspace_id = $2",
            timer_id,
            scope.workspace_id()
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(())
    }
}

/// Ids are made by devices and unique across workspaces, but row level security shows this
/// workspace's rows only: the ids another workspace holds (asked of `stint_lookup` through
/// the migration's `stint_*_ids_elsewhere`, which answer ids and nothing more) are taken too.
fn with_taken<T>(mut held: Vec<Held<T>>, elsewhere: Vec<Uuid>) -> Vec<Held<T>> {
    held.extend(elsewhere.into_iter().map(Held::Taken));
    held
}
