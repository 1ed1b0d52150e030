//! Projects and tasks.

use async_trait::async_trait;
use stint_domain::TaskStatus;
use stint_storage::{
    may, parse_stored, Capability, ChangeOp, Entity, ProjectRecord, ProjectUpdate, Result,
    StorageError, TaskFields, TaskUpdate, WorkWrites, WorkspaceScope,
};
use uuid::Uuid;

use super::SqliteTransaction;
use crate::convert::{id, json_ids, storage_error};

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
    async fn set_task_progress(
        &mut self,
        scope: &WorkspaceScope,
        task_id: Uuid,
        status: TaskStatus,
        percent_complete: u8,
    ) -> Result<()> {
        let (task, workspace) = (task_id.to_string(), scope.workspace_id().to_string());
        let (status, percent) = (status.as_str(), i64::from(percent_complete));
        let done = sqlx::query!(
            "UPDATE tasks SET status = $1, percent_complete = $2 \
             WHERE id = $3 AND workspace_id = $4 AND (status <> $1 OR percent_complete <> $2)",
            status,
            percent,
            task,
            workspace
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
