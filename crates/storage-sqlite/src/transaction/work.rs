//! Projects, tasks, timers and entries.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;
use stint_domain::{ActivityKind, EntryFlag, TaskStatus, WorkLogs};
use stint_storage::{
    may, parse_stored, Capability, ChangeOp, Entity, EntryRecord, Held, ProjectRecord,
    ProjectUpdate, Result, SegmentRecord, StorageError, TaskFields, TaskUpdate, TeamRecord,
    TimerRecord, WorkWrites, WorkspaceScope,
};
use uuid::Uuid;

use super::{SqliteTransaction, ROWS_PER_STATEMENT};
use crate::convert::{id, instant, json_ids, millis, storage_error};
use crate::rows::{entry_record, held, timer_record, EntryRow, TimerRow};

#[async_trait]
impl WorkWrites for SqliteTransaction {
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_project(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        project: &ProjectRecord,
    ) -> Result<bool> {
        let scope = settings.scope();
        let (id, workspace) = (project.id.to_string(), scope.workspace_id().to_string());
        let leader = project.leader_id.map(|l| l.to_string());
        let done = sqlx::query!(
            "INSERT INTO projects (id, workspace_id, name, color, leader_id) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            id,
            workspace,
            project.name,
            project.color,
            leader
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
        let (id, workspace) = (project.id.to_string(), scope.workspace_id().to_string());
        let set_leader = project.leader_id.is_some();
        let leader = project.leader_id.flatten().map(|l| l.to_string());
        let done = sqlx::query!(
            "UPDATE projects SET name = COALESCE($3, name), color = COALESCE($4, color), \
                                 leader_id = CASE WHEN $5 THEN $6 ELSE leader_id END \
             WHERE id = $1 AND workspace_id = $2",
            id,
            workspace,
            project.name,
            project.color,
            set_leader,
            leader
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
            id,
            workspace
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)?;
        let tasks = tasks
            .iter()
            .map(|task| crate::convert::id(task))
            .collect::<Result<Vec<_>>>()?;
        self.log_changes(scope, Entity::Task, &tasks).await?;
        Ok(true)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn delete_project(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        project_id: Uuid,
    ) -> Result<bool> {
        let scope = settings.scope();
        let (id, workspace) = (project_id.to_string(), scope.workspace_id().to_string());
        let found = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM tasks WHERE project_id = $1) AS "has_tasks!: bool"
               FROM projects WHERE id = $1 AND workspace_id = $2"#,
            id,
            workspace
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        match found {
            None => return Ok(false),
            Some(true) => {
                return Err(StorageError::Conflict {
                    constraint: "project_has_tasks".into(),
                })
            }
            Some(false) => {}
        }
        sqlx::query!("DELETE FROM projects WHERE id = $1", id)
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
        let (id, workspace) = (task.id.to_string(), scope.workspace_id().to_string());
        let (project, status) = (task.project_id.to_string(), task.status.as_str());
        // The project must be in the same workspace: the foreign key alone would not say so.
        let done = sqlx::query!(
            "INSERT INTO tasks (id, workspace_id, project_id, title, status, percent_complete) \
             SELECT $1, $2, $3, $4, $5, $6 \
             WHERE EXISTS (SELECT 1 FROM projects WHERE id = $3 AND workspace_id = $2) \
             ON CONFLICT DO NOTHING",
            id,
            workspace,
            project,
            task.title,
            status,
            task.percent_complete
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
        let (id, workspace) = (task.id.to_string(), scope.workspace_id().to_string());
        let project = task.project_id.map(|p| p.to_string());
        let status = task.status.map(|status| status.as_str());
        // A new project must be the workspace's.
        let done = sqlx::query!(
            "UPDATE tasks SET project_id = COALESCE($3, project_id), title = COALESCE($4, title), \
                              status = COALESCE($5, status), \
                              percent_complete = COALESCE($6, percent_complete) \
             WHERE id = $1 AND workspace_id = $2 \
               AND ($3 IS NULL OR EXISTS (SELECT 1 FROM projects \
                                          WHERE id = $3 AND workspace_id = $2))",
            id,
            workspace,
            project,
            task.title,
            status,
            task.percent_complete
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
        let (task, workspace) = (task_id.to_string(), scope.workspace_id().to_string());
        let found = sqlx::query_scalar!(
            "SELECT id FROM tasks WHERE id = $1 AND workspace_id = $2",
            task,
            workspace
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        if found.is_none() {
            return Ok(false);
        }
        sqlx::query!("DELETE FROM task_assignees WHERE task_id = $1", task)
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        sqlx::query!("DELETE FROM task_teams WHERE task_id = $1", task)
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        let (users, teams) = (json_ids(user_ids), json_ids(team_ids));
        sqlx::query!(
            "INSERT INTO task_assignees (task_id, user_id) \
             SELECT DISTINCT $1, m.user_id FROM memberships m \
             WHERE m.workspace_id = $2 AND m.user_id IN (SELECT value FROM json_each($3))",
            task,
            workspace,
            users
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        sqlx::query!(
            "INSERT INTO task_teams (workspace_id, task_id, team_id) \
             SELECT $2, $1, t.id FROM teams t \
             WHERE t.workspace_id = $2 AND t.id IN (SELECT value FROM json_each($3))",
            task,
            workspace,
            teams
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
        let (task, workspace) = (task_id.to_string(), scope.workspace_id().to_string());
        let (from, to) = (from.as_str(), to.as_str());
        let done = sqlx::query!(
            "UPDATE tasks SET status = $1 WHERE id = $2 AND workspace_id = $3 AND status = $4",
            to,
            task,
            workspace,
            from
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
        let (task, workspace) = (task_id.to_string(), scope.workspace_id().to_string());
        sqlx::query!(
            "UPDATE tasks SET status = 'completed', percent_complete = 100 \
             WHERE id = $1 AND workspace_id = $2",
            task,
            workspace
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
        let (task, user) = (task_id.to_string(), user_id.to_string());
        let workspace = scope.workspace_id().to_string();
        let done = sqlx::query!(
            "INSERT INTO task_assignees (task_id, user_id) \
             SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM tasks WHERE id = $1 AND workspace_id = $3) \
                             AND EXISTS (SELECT 1 FROM memberships \
                                         WHERE workspace_id = $3 AND user_id = $2) \
             ON CONFLICT DO NOTHING",
            task,
            user,
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
        let (task, user) = (task_id.to_string(), scope.user_id().to_string());
        let workspace = scope.workspace_id().to_string();
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
    async fn task_statuses(
        &mut self,
        scope: &WorkspaceScope,
        ids: &[Uuid],
    ) -> Result<Vec<(Uuid, TaskStatus)>> {
        let (workspace, ids) = (scope.workspace_id().to_string(), json_ids(ids));
        let rows = sqlx::query!(
            "SELECT id, status FROM tasks \
             WHERE workspace_id = $1 AND id IN (SELECT value FROM json_each($2))",
            workspace,
            ids
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)?;
        rows.into_iter()
            .map(|row| {
                let status = parse_stored(&row.status, TaskStatus::parse, "task status")?;
                Ok((id(&row.id)?, status))
            })
            .collect()
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
    async fn own_timer_starts_after(
        &mut self,
        scope: &WorkspaceScope,
        at: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>> {
        let (workspace, user) = (
            scope.workspace_id().to_string(),
            scope.user_id().to_string(),
        );
        let at = millis(at);
        let starts = sqlx::query_scalar!(
            "SELECT started_at FROM timers \
             WHERE workspace_id = $1 AND user_id = $2 AND started_at > $3",
            workspace,
            user,
            at
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)?;
        starts.into_iter().map(instant).collect()
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
    async fn move_entry(
        &mut self,
        write: Capability<'_, may::Write>,
        entry: &EntryRecord,
        to: Option<&TeamRecord>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let scope = write.scope();
        let (workspace, user) = (
            scope.workspace_id().to_string(),
            scope.user_id().to_string(),
        );
        if let Some(team) = to {
            let team_id = team.id.to_string();
            let version = sqlx::query_scalar!(
                "SELECT version FROM teams WHERE id = $1 AND workspace_id = $2",
                team_id,
                workspace
            )
            .fetch_optional(self.conn())
            .await
            .map_err(storage_error)?;
            if version != Some(team.version) {
                return Err(StorageError::changed_meanwhile("team"));
            }
        }
        let entry_id = entry.id;
        let expected_team = entry.team_id.map(|team| team.to_string());
        let entry = entry_id.to_string();
        let public = sqlx::query_scalar!(
            "SELECT team_id FROM entries WHERE id = $1 AND workspace_id = $2 AND user_id = $3",
            entry,
            workspace,
            user
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        let secured = sqlx::query_scalar!(
            "SELECT team_id FROM secured_entries \
             WHERE id = $1 AND workspace_id = $2 AND user_id = $3",
            entry,
            workspace,
            user
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        let (from_secured, from_team) = match (public, secured) {
            (Some(team), _) => (false, team),
            (None, Some(team)) => (true, Some(team)),
            (None, None) => return Err(StorageError::NotFound),
        };
        if from_team != expected_team {
            return Err(StorageError::changed_meanwhile("entry"));
        }
        let team = to.map(|team| team.id.to_string());
        let to_secured = to.is_some_and(|team| team.work_logs == WorkLogs::Secured);
        match (from_secured, to_secured) {
            (false, false) => {
                sqlx::query!("UPDATE entries SET team_id = $1 WHERE id = $2", team, entry)
                    .execute(self.conn())
                    .await
                    .map_err(storage_error)?;
            }
            (true, true) => {
                sqlx::query!(
                    "UPDATE secured_entries SET team_id = $1 WHERE id = $2",
                    team,
                    entry
                )
                .execute(self.conn())
                .await
                .map_err(storage_error)?;
            }
            (false, true) => {
                sqlx::query!(
                    "INSERT INTO secured_entries (id, workspace_id, user_id, task_id, timer_id, team_id, started_at, ended_at, duration_secs, raw_duration_secs, billable, flag, status, source, description) \
                     SELECT id, workspace_id, user_id, task_id, timer_id, $1, started_at, ended_at, duration_secs, raw_duration_secs, billable, flag, status, source, description FROM entries WHERE id = $2",
                    team,
                    entry
                )
                .execute(self.conn())
                .await
                .map_err(storage_error)?;
                sqlx::query!("DELETE FROM entries WHERE id = $1", entry)
                    .execute(self.conn())
                    .await
                    .map_err(storage_error)?;
            }
            (true, false) => {
                sqlx::query!(
                    "INSERT INTO entries (id, workspace_id, user_id, task_id, timer_id, team_id, started_at, ended_at, duration_secs, raw_duration_secs, billable, flag, status, source, description) \
                     SELECT id, workspace_id, user_id, task_id, timer_id, $1, started_at, ended_at, duration_secs, raw_duration_secs, billable, flag, status, source, description FROM secured_entries WHERE id = $2",
                    team,
                    entry
                )
                .execute(self.conn())
                .await
                .map_err(storage_error)?;
                sqlx::query!("DELETE FROM secured_entries WHERE id = $1", entry)
                    .execute(self.conn())
                    .await
                    .map_err(storage_error)?;
            }
        }
        let (at, moved) = (millis(at), ActivityKind::Moved.as_str());
        sqlx::query!(
            "INSERT INTO entry_activity \
                 (workspace_id, entry_id, at, actor_id, kind, from_team_id, to_team_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            workspace,
            entry,
            at,
            user,
            moved,
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
        let (task, workspace) = (task_id.to_string(), scope.workspace_id().to_string());
        // Another workspace's task is unknown here, in use or not.
        let found = sqlx::query_scalar!(
            "SELECT id FROM tasks WHERE id = $1 AND workspace_id = $2",
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
                 OR EXISTS (SELECT 1 FROM secured_entries WHERE task_id = $1) AS \"in_use!: bool\"",
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
