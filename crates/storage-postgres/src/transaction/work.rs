//! Projects, tasks, timers and entries.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use stint_domain::{ActivityKind, EntryFlag, TaskStatus, WorkLogs};
use stint_storage::{
    may, parse_stored, Capability, ChangeOp, Entity, EntryRecord, Held, ProjectRecord,
    ProjectUpdate, Result, SegmentRecord, StorageError, SyncWrites, TaskFields, TaskUpdate,
    TeamRecord, TimerRecord, WorkWrites, WorkspaceScope,
};
use uuid::Uuid;

use super::PostgresTransaction;
use crate::convert::storage_error;
use crate::rows::{entry_record, held, timer_record, EntryRow, TimerRow};

#[async_trait]
impl WorkWrites for PostgresTransaction {
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_project(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        project: &ProjectRecord,
    ) -> Result<bool> {
        let scope = settings.scope();
        self.enter(scope).await?;
        let (id, workspace) = (project.id, scope.workspace_id());
        let done = sqlx::query!(
            "INSERT INTO projects (id, workspace_id, name, color, leader_id) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            id,
            workspace,
            project.name,
            project.color,
            project.leader_id
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        let inserted = done.rows_affected() > 0;
        if inserted {
            self.log_change(scope, Entity::Project, project.id, ChangeOp::Upsert)
                .await?;
        }
        Ok(inserted)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn update_project(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        project: &ProjectUpdate,
    ) -> Result<bool> {
        let scope = settings.scope();
        self.enter(scope).await?;
        let workspace = scope.workspace_id();
        let done = sqlx::query!(
            "UPDATE projects SET name = COALESCE($3, name), color = COALESCE($4, color), \
                                 leader_id = CASE WHEN $5 THEN $6 ELSE leader_id END \
             WHERE id = $1 AND workspace_id = $2",
            project.id,
            workspace,
            project.name,
            project.color,
            project.leader_id.is_some(),
            project.leader_id.flatten()
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        self.log_change(scope, Entity::Project, project.id, ChangeOp::Upsert)
            .await?;
        // A task carries its project's name and colour (not its leader).
        if project.name.is_none() && project.color.is_none() {
            return Ok(true);
        }
        let tasks = sqlx::query_scalar!(
            "SELECT id FROM tasks WHERE project_id = $1 AND workspace_id = $2 ORDER BY id",
            project.id,
            workspace
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)?;
        for task_id in tasks {
            self.log_change(scope, Entity::Task, task_id, ChangeOp::Upsert)
                .await?;
        }
        Ok(true)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn delete_project(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        project_id: Uuid,
    ) -> Result<bool> {
        let scope = settings.scope();
        self.enter(scope).await?;
        // Locked first: a task made in it meanwhile waits, then finds it gone.
        let found = sqlx::query_scalar!(
            "SELECT id FROM projects WHERE id = $1 AND workspace_id = $2 FOR UPDATE",
            project_id,
            scope.workspace_id()
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        if found.is_none() {
            return Ok(false);
        }
        let has_tasks = sqlx::query_scalar!(
            "SELECT EXISTS (SELECT 1 FROM tasks WHERE project_id = $1) AS \"has_tasks!\"",
            project_id
        )
        .fetch_one(self.conn())
        .await
        .map_err(storage_error)?;
        if has_tasks {
            return Err(StorageError::Conflict {
                constraint: "project_has_tasks".into(),
            });
        }
        sqlx::query!("DELETE FROM projects WHERE id = $1", project_id)
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        self.log_change(scope, Entity::Project, project_id, ChangeOp::Delete)
            .await?;
        Ok(true)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_task(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        task: &TaskFields,
    ) -> Result<bool> {
        let scope = settings.scope();
        self.enter(scope).await?;
        let (id, workspace) = (task.id, scope.workspace_id());
        let (project, status) = (task.project_id, task.status.as_str());
        // The project must be in the same workspace (and not deleted meanwhile: shared lock).
        let done = sqlx::query!(
            "INSERT INTO tasks (id, workspace_id, project_id, title, status, percent_complete) \
             SELECT $1, $2, p.id, $4, $5, $6 \
             FROM (SELECT id FROM projects WHERE id = $3 AND workspace_id = $2 FOR SHARE) p \
             ON CONFLICT DO NOTHING",
            id,
            workspace,
            project,
            task.title,
            status,
            i16::from(task.percent_complete)
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        let inserted = done.rows_affected() > 0;
        if inserted {
            self.log_change(scope, Entity::Task, task.id, ChangeOp::Upsert)
                .await?;
        }
        Ok(inserted)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn update_task(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        task: &TaskUpdate,
    ) -> Result<bool> {
        let scope = settings.scope();
        self.enter(scope).await?;
        // A new project must be the workspace's (and is not deleted meanwhile: shared lock).
        let done = sqlx::query!(
            "UPDATE tasks SET project_id = COALESCE($3, project_id), title = COALESCE($4, title), \
                              status = COALESCE($5, status), \
                              percent_complete = COALESCE($6, percent_complete) \
             WHERE id = $1 AND workspace_id = $2 \
               AND ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM projects \
                                                WHERE id = $3 AND workspace_id = $2 FOR SHARE))",
            task.id,
            scope.workspace_id(),
            task.project_id,
            task.title,
            task.status.map(|status| status.as_str()),
            task.percent_complete.map(i16::from)
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        let changed = done.rows_affected() > 0;
        if changed {
            self.log_change(scope, Entity::Task, task.id, ChangeOp::Upsert)
                .await?;
        }
        Ok(changed)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn set_task_assignees(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        task_id: Uuid,
        user_ids: &[Uuid],
        team_ids: &[Uuid],
    ) -> Result<bool> {
        let scope = settings.scope();
        self.enter(scope).await?;
        let workspace = scope.workspace_id();
        // Locked: two replacements of one task's assignees happen one after the other.
        let found = sqlx::query_scalar!(
            "SELECT id FROM tasks WHERE id = $1 AND workspace_id = $2 FOR UPDATE",
            task_id,
            workspace
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        if found.is_none() {
            return Ok(false);
        }
        // The teams to assign, locked before any assignment row is: a team being deleted
        // (locked, then its assignment rows deleted) finishes first instead of deadlocking.
        let teams = sqlx::query_scalar!(
            "SELECT id FROM teams WHERE workspace_id = $1 AND id = ANY($2) ORDER BY id FOR SHARE",
            workspace,
            team_ids
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)?;
        sqlx::query!("DELETE FROM task_assignees WHERE task_id = $1", task_id)
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        sqlx::query!("DELETE FROM task_teams WHERE task_id = $1", task_id)
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        sqlx::query!(
            "INSERT INTO task_assignees (task_id, user_id) \
             SELECT DISTINCT $1::uuid, m.user_id FROM memberships m \
             WHERE m.workspace_id = $2 AND m.user_id = ANY($3)",
            task_id,
            workspace,
            user_ids
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        sqlx::query!(
            "INSERT INTO task_teams (workspace_id, task_id, team_id) \
             SELECT $2, $1, t FROM UNNEST($3::uuid[]) AS t",
            task_id,
            workspace,
            &teams
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        self.log_change(scope, Entity::Task, task_id, ChangeOp::Upsert)
            .await?;
        Ok(true)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn change_task_status(
        &mut self,
        scope: &WorkspaceScope,
        task_id: Uuid,
        from: TaskStatus,
        to: TaskStatus,
    ) -> Result<bool> {
        self.enter(scope).await?;
        // READ COMMITTED re-checks `status = from` after waiting for a concurrent writer.
        let done = sqlx::query!(
            "UPDATE tasks SET status = $1 WHERE id = $2 AND workspace_id = $3 AND status = $4",
            to.as_str(),
            task_id,
            scope.workspace_id(),
            from.as_str()
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        let changed = done.rows_affected() > 0;
        if changed {
            self.log_change(scope, Entity::Task, task_id, ChangeOp::Upsert)
                .await?;
        }
        Ok(changed)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn complete_task(&mut self, scope: &WorkspaceScope, task_id: Uuid) -> Result<()> {
        self.enter(scope).await?;
        sqlx::query!(
            "UPDATE tasks SET status = 'completed', percent_complete = 100 \
             WHERE id = $1 AND workspace_id = $2",
            task_id,
            scope.workspace_id()
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        self.log_change(scope, Entity::Task, task_id, ChangeOp::Upsert)
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn assign(
        &mut self,
        scope: &WorkspaceScope,
        task_id: Uuid,
        user_id: Uuid,
    ) -> Result<bool> {
        self.enter(scope).await?;
        let workspace = scope.workspace_id();
        let done = sqlx::query!(
            "INSERT INTO task_assignees (task_id, user_id) \
             SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM tasks WHERE id = $1 AND workspace_id = $3) \
                             AND EXISTS (SELECT 1 FROM memberships \
                                         WHERE workspace_id = $3 AND user_id = $2) \
             ON CONFLICT DO NOTHING",
            task_id,
            user_id,
            workspace
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        let assigned = done.rows_affected() > 0;
        if assigned {
            // Assignees travel with the task.
            self.log_change(scope, Entity::Task, task_id, ChangeOp::Upsert)
                .await?;
        }
        Ok(assigned)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn unassign_others(&mut self, scope: &WorkspaceScope, task_id: Uuid) -> Result<()> {
        self.enter(scope).await?;
        let (task, user, workspace) = (task_id, scope.user_id(), scope.workspace_id());
        let users = sqlx::query!(
            "DELETE FROM task_assignees WHERE task_id = $1 AND user_id <> $2 \
                 AND task_id IN (SELECT id FROM tasks WHERE workspace_id = $3)",
            task,
            user,
            workspace
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        let teams = sqlx::query!(
            "DELETE FROM task_teams WHERE task_id = $1 \
                 AND task_id IN (SELECT id FROM tasks WHERE workspace_id = $2)",
            task,
            workspace
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if users.rows_affected() + teams.rows_affected() > 0 {
            // Assignees travel with the task.
            self.log_change(scope, Entity::Task, task_id, ChangeOp::Upsert)
                .await?;
        }
        Ok(())
    }

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
    async fn task_statuses(
        &mut self,
        scope: &WorkspaceScope,
        ids: &[Uuid],
    ) -> Result<Vec<(Uuid, TaskStatus)>> {
        self.enter(scope).await?;
        let rows = sqlx::query!(
            "SELECT id, status FROM tasks WHERE workspace_id = $1 AND id = ANY($2)",
            scope.workspace_id(),
            ids
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)?;
        rows.into_iter()
            .map(|row| {
                let status = parse_stored(&row.status, TaskStatus::parse, "task status")?;
                Ok((row.id, status))
            })
            .collect()
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
    async fn own_timer_starts_after(
        &mut self,
        scope: &WorkspaceScope,
        at: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>> {
        self.enter(scope).await?;
        sqlx::query_scalar!(
            "SELECT started_at FROM timers \
             WHERE workspace_id = $1 AND user_id = $2 AND started_at > $3",
            scope.workspace_id(),
            scope.user_id(),
            at
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)
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
    async fn move_entry(
        &mut self,
        write: Capability<'_, may::Write>,
        entry: &EntryRecord,
        to: Option<&TeamRecord>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let scope = write.scope();
        self.enter(scope).await?;
        // The user's pushes take turns with this: none re-creates the entry in the store it
        // is leaving.
        self.lock_user_timers(scope).await?;
        if let Some(team) = to {
            // Held until commit: the team's roles cannot change, nor the team go, before the
            // entry is in it.
            let version = sqlx::query_scalar!(
                "SELECT version FROM teams WHERE id = $1 AND workspace_id = $2 FOR SHARE",
                team.id,
                scope.workspace_id()
            )
            .fetch_optional(self.conn())
            .await
            .map_err(storage_error)?;
            if version != Some(team.version) {
                return Err(StorageError::changed_meanwhile("team"));
            }
        }
        let found = sqlx::query!(
            r#"SELECT false AS "secured!", team_id FROM entries
                   WHERE id = $1 AND workspace_id = $2 AND user_id = $3
               UNION ALL
               SELECT true, team_id FROM secured_entries
                   WHERE id = $1 AND workspace_id = $2 AND user_id = $3"#,
            entry.id,
            scope.workspace_id(),
            scope.user_id()
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        let Some(found) = found else {
            return Err(StorageError::NotFound);
        };
        if found.team_id != entry.team_id {
            return Err(StorageError::changed_meanwhile("entry"));
        }
        let (entry_id, from_secured, from_team) = (entry.id, found.secured, entry.team_id);
        let team = to.map(|team| team.id);
        let to_secured = to.is_some_and(|team| team.work_logs == WorkLogs::Secured);
        // Each statement moves the entry only from where it was read: a team deletion that
        // committed in between (it locks its entries) leaves nothing to move, and the move is
        // decided again.
        let moved = match (from_secured, to_secured) {
            (false, false) => sqlx::query!(
                "UPDATE entries SET team_id = $1 WHERE id = $2 AND team_id IS NOT DISTINCT FROM $3",
                team,
                entry_id,
                from_team
            )
            .execute(self.conn())
            .await,
            (true, true) => sqlx::query!(
                "UPDATE secured_entries SET team_id = $1 WHERE id = $2 AND team_id = $3",
                team,
                entry_id,
                from_team
            )
            .execute(self.conn())
            .await,
            (false, true) => sqlx::query!(
                "WITH moved AS (DELETE FROM entries \
                                WHERE id = $2 AND team_id IS NOT DISTINCT FROM $3 RETURNING *) \
                 INSERT INTO secured_entries (id, workspace_id, user_id, task_id, timer_id, team_id, started_at, ended_at, duration_secs, raw_duration_secs, billable, flag, status, source, description) \
                 SELECT id, workspace_id, user_id, task_id, timer_id, $1, started_at, ended_at, duration_secs, raw_duration_secs, billable, flag, status, source, description FROM moved",
                team,
                entry_id,
                from_team
            )
            .execute(self.conn())
            .await,
            (true, false) => sqlx::query!(
                "WITH moved AS (DELETE FROM secured_entries \
                                WHERE id = $2 AND team_id = $3 RETURNING *) \
                 INSERT INTO entries (id, workspace_id, user_id, task_id, timer_id, team_id, started_at, ended_at, duration_secs, raw_duration_secs, billable, flag, status, source, description) \
                 SELECT id, workspace_id, user_id, task_id, timer_id, $1, started_at, ended_at, duration_secs, raw_duration_secs, billable, flag, status, source, description FROM moved",
                team,
                entry_id,
                from_team
            )
            .execute(self.conn())
            .await,
        }
        .map_err(storage_error)?;
        if moved.rows_affected() != 1 {
            return Err(StorageError::changed_meanwhile("entry"));
        }
        sqlx::query!(
            "INSERT INTO entry_activity \
                 (workspace_id, entry_id, at, actor_id, kind, from_team_id, to_team_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            scope.workspace_id(),
            entry_id,
            at,
            scope.user_id(),
            ActivityKind::Moved.as_str(),
            from_team,
            team
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        self.log_change(scope, Entity::Entry, entry_id, ChangeOp::Upsert)
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn delete_task(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        task_id: Uuid,
    ) -> Result<()> {
        let scope = settings.scope();
        self.enter(scope).await?;
        let (task, workspace) = (task_id, scope.workspace_id());
        // Locked: a timer or entry on it made meanwhile waits, then finds it gone. Another
        // workspace's task is unknown here, in use or not.
        let found = sqlx::query_scalar!(
            "SELECT id FROM tasks WHERE id = $1 AND workspace_id = $2 FOR UPDATE",
            task,
            workspace
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        if found.is_none() {
            return Err(StorageError::NotFound);
        }
        // Checked first, so a refused delete leaves everything as it was (assignees included).
        let in_use = sqlx::query_scalar!(
            "SELECT EXISTS (SELECT 1 FROM timers WHERE task_id = $1) \
                 OR EXISTS (SELECT 1 FROM entries WHERE task_id = $1) \
                 OR EXISTS (SELECT 1 FROM secured_entries WHERE task_id = $1) AS \"in_use!\"",
            task
        )
        .fetch_one(self.conn())
        .await
        .map_err(storage_error)?;
        if in_use {
            return Err(StorageError::Conflict {
                constraint: "task_in_use".into(),
            });
        }
        sqlx::query!(
            "DELETE FROM task_assignees WHERE task_id = $1 \
             AND EXISTS (SELECT 1 FROM tasks WHERE id = $1 AND workspace_id = $2)",
            task,
            workspace
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        sqlx::query!(
            "DELETE FROM task_teams WHERE task_id = $1 AND workspace_id = $2",
            task,
            workspace
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        let done = sqlx::query!(
            "DELETE FROM tasks WHERE id = $1 AND workspace_id = $2",
            task,
            workspace
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound);
        }
        self.log_change(scope, Entity::Task, task_id, ChangeOp::Delete)
            .await
    }
}

/// Ids are made by devices and unique across workspaces, but row level security shows this
/// workspace's rows only: the ids another workspace holds (asked of `stint_lookup` through
/// the migration's `stint_*_ids_elsewhere`, which answer ids and nothing more) are taken too.
fn with_taken<T>(mut held: Vec<Held<T>>, elsewhere: Vec<Uuid>) -> Vec<Held<T>> {
    held.extend(elsewhere.into_iter().map(Held::Taken));
    held
}
