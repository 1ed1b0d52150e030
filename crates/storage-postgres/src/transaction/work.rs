//! Projects and tasks.

use async_trait::async_trait;
use stint_domain::TaskStatus;
use stint_storage::{
    may, parse_stored, Capability, ChangeOp, Entity, ProjectRecord, ProjectUpdate, Result,
    StorageError, TaskFields, TaskUpdate, WorkWrites, WorkspaceScope,
};
use uuid::Uuid;

use super::PostgresTransaction;
use crate::convert::storage_error;

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
    async fn set_task_progress(
        &mut self,
        scope: &WorkspaceScope,
        task_id: Uuid,
        status: TaskStatus,
        percent_complete: u8,
    ) -> Result<()> {
        self.enter(scope).await?;
        let done = sqlx::query!(
            "UPDATE tasks SET status = $1, percent_complete = $2 \
             WHERE id = $3 AND workspace_id = $4 AND (status <> $1 OR percent_complete <> $2)",
            status.as_str(),
            i16::from(percent_complete),
            task_id,
            scope.workspace_id()
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if done.rows_affected() > 0 {
            self.log_change(scope, Entity::Task, task_id, ChangeOp::Upsert)
                .await?;
        }
        Ok(())
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
