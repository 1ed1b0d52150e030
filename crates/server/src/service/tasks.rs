//! Tasks as members see them.

use stint_api::rest::{Assignee, Task};
use stint_storage::{may, Capability, Storage, TaskRecord};

use crate::error::ApiError;

pub async fn all(
    storage: &dyn Storage,
    read: Capability<'_, may::Read>,
) -> Result<Vec<Task>, ApiError> {
    Ok(storage
        .tasks(read.scope(), None)
        .await?
        .into_iter()
        .map(task)
        .collect())
}

pub fn task(record: TaskRecord) -> Task {
    Task {
        id: record.id,
        title: record.title,
        status: record.status,
        project_id: record.project_id,
        project_name: record.project_name,
        project_color: record.project_color,
        assignees: record
            .assignees
            .into_iter()
            .map(|(user_id, name)| Assignee { user_id, name })
            .collect(),
    }
}
