//! Projects: what tasks belong to, with a colour and a leader (whose project-leader filter
//! shows them their projects' time, P3). Members who may read time list them; holders of
//! `time:settings` make, change and delete them.

use stint_api::rest::{NewProjectRequest, Project, ProjectChange};
use stint_api::ErrorCode;
use stint_storage::{may, Capability, ProjectRecord, ProjectUpdate, Storage, StorageError};
use uuid::Uuid;

use crate::error::ApiError;
use crate::service::accounts::short_name;

type Settings<'s> = Capability<'s, may::ChangeSettings>;

/// The workspace's projects, by name.
pub async fn list(
    storage: &dyn Storage,
    read: Capability<'_, may::Read>,
) -> Result<Vec<Project>, ApiError> {
    let projects = storage.projects(read.scope()).await?;
    Ok(projects.into_iter().map(project).collect())
}

pub async fn create(
    storage: &dyn Storage,
    settings: Settings<'_>,
    request: &NewProjectRequest,
) -> Result<Project, ApiError> {
    let record = ProjectRecord {
        id: Uuid::now_v7(),
        name: short_name("name", &request.name)?.to_string(),
        color: color(&request.color)?,
        leader_id: request.leader_id,
    };
    if let Some(leader) = record.leader_id {
        active_member(storage, settings, leader).await?;
    }
    let mut tx = storage.begin().await?;
    tx.insert_project(settings, &record).await?;
    tx.commit().await?;
    Ok(project(record))
}

/// Changes what is sent of a project; its tasks' devices hear of a new name or colour.
pub async fn update(
    storage: &dyn Storage,
    settings: Settings<'_>,
    project_id: Uuid,
    change: &ProjectChange,
) -> Result<Project, ApiError> {
    let update = ProjectUpdate {
        id: project_id,
        name: match &change.name {
            Some(name) => Some(short_name("name", name)?.to_string()),
            None => None,
        },
        color: change.color.as_deref().map(color).transpose()?,
        leader_id: change.leader_id,
    };
    if let Some(Some(leader)) = update.leader_id {
        active_member(storage, settings, leader).await?;
    }
    // Nothing to change: nothing for devices to hear of either.
    if *change != ProjectChange::default() {
        let mut tx = storage.begin().await?;
        if !tx.update_project(settings, &update).await? {
            return Err(no_such_project());
        }
        tx.commit().await?;
    }
    storage
        .projects(settings.scope())
        .await?
        .into_iter()
        .find(|project| project.id == project_id)
        .map(project)
        // Deleted between the commit and this read.
        .ok_or_else(no_such_project)
}

/// Deletes a project without tasks.
pub async fn delete(
    storage: &dyn Storage,
    settings: Settings<'_>,
    project_id: Uuid,
) -> Result<(), ApiError> {
    let mut tx = storage.begin().await?;
    let deleted = tx
        .delete_project(settings, project_id)
        .await
        .map_err(|error| match error {
            StorageError::Conflict { constraint } if constraint == "project_has_tasks" => {
                ApiError::new(
                    ErrorCode::ProjectHasTasks,
                    "this project has tasks: delete them or move them to another project first",
                )
            }
            other => other.into(),
        })?;
    if !deleted {
        return Err(no_such_project());
    }
    tx.commit().await?;
    Ok(())
}

fn project(record: ProjectRecord) -> Project {
    Project {
        id: record.id,
        name: record.name,
        color: record.color,
        leader_id: record.leader_id,
    }
}

/// `#rrggbb`, kept as sent.
fn color(sent: &str) -> Result<String, ApiError> {
    let digits = sent.strip_prefix('#').unwrap_or("");
    if digits.len() != 6 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ApiError::invalid("color", "color is #rrggbb"));
    }
    Ok(sent.to_string())
}

async fn active_member(
    storage: &dyn Storage,
    settings: Settings<'_>,
    user_id: Uuid,
) -> Result<(), ApiError> {
    let scope = settings.scope();
    match storage.membership(user_id, scope.workspace_id()).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::invalid(
            "leader_id",
            "the leader must be an active member of this workspace",
        )),
    }
}

fn no_such_project() -> ApiError {
    ApiError::not_found("no such project")
}
