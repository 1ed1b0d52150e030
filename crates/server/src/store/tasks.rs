//! Tasks with their projects and assignees.

use std::collections::HashMap;

use stint_api::rest::{Assignee, Task};
use stint_domain::TaskStatus;
use uuid::Uuid;

use super::{parse_id, Store};
use crate::error::ApiError;
use crate::policy::WorkspaceScope;

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: String,
    title: String,
    status: String,
    project_id: String,
    project_name: String,
    project_color: String,
}

impl Store {
    /// The tasks of the scope's workspace changed after `since` (0: all), oldest change first.
    pub async fn tasks_changed_since(
        &self,
        scope: &WorkspaceScope,
        since: i64,
    ) -> Result<Vec<Task>, ApiError> {
        let workspace = scope.workspace_id().to_string();
        let rows: Vec<TaskRow> = sqlx::query_as(
            "SELECT t.id, t.title, t.status, p.id AS project_id, p.name AS project_name, \
                    p.color AS project_color \
             FROM tasks t JOIN projects p ON p.id = t.project_id \
             WHERE t.workspace_id = $1 AND t.change_no > $2 ORDER BY t.change_no",
        )
        .bind(&workspace)
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        let assignee_rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT a.task_id, u.id, u.name FROM task_assignees a \
             JOIN tasks t ON t.id = a.task_id JOIN users u ON u.id = a.user_id \
             WHERE t.workspace_id = $1 AND t.change_no > $2 ORDER BY u.name",
        )
        .bind(&workspace)
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        let mut assignees: HashMap<String, Vec<Assignee>> = HashMap::new();
        for (task_id, user_id, name) in assignee_rows {
            assignees.entry(task_id).or_default().push(Assignee {
                user_id: parse_id(&user_id)?,
                name,
            });
        }
        rows.into_iter()
            .map(|row| {
                Ok(Task {
                    id: parse_id(&row.id)?,
                    status: TaskStatus::parse(&row.status).ok_or_else(|| {
                        ApiError::Internal(format!("unknown task status {:?}", row.status))
                    })?,
                    assignees: assignees.remove(&row.id).unwrap_or_default(),
                    title: row.title,
                    project_id: parse_id(&row.project_id)?,
                    project_name: row.project_name,
                    project_color: row.project_color,
                })
            })
            .collect()
    }

    /// The status of a task in the workspace, or `None` when there is no such task there.
    pub(crate) async fn task_status(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        workspace_id: Uuid,
        task_id: Uuid,
    ) -> Result<Option<TaskStatus>, ApiError> {
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM tasks WHERE id = $1 AND workspace_id = $2")
                .bind(task_id.to_string())
                .bind(workspace_id.to_string())
                .fetch_optional(&mut **tx)
                .await?;
        Ok(status.and_then(|s| TaskStatus::parse(&s)))
    }
}
