//! Projects: listed for members who may read time, managed by holders of `time:settings`.

use axum::extract::State;
use axum::http::StatusCode;
use stint_api::rest::{NewProjectRequest, Project, ProjectChange};
use stint_api::ErrorBody;
use stint_storage::may;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use crate::error::{ApiError, Json, Path};
use crate::policy;
use crate::service::accounts::Caller;
use crate::service::projects;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(update, delete))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/projects", tag = "tasks",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path)),
    responses(
        (status = 200, body = Vec<Project>, description = "By name"),
        (status = 400, body = ErrorBody, description = "workspace_id is not a UUID"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:read`"),
        (status = 404, body = ErrorBody, description = "Not a member of that workspace"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace_id): Path<Uuid>,
) -> Result<Json<Vec<Project>>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let read = scope.require::<may::Read>()?;
    Ok(Json(projects::list(&*state.storage, read).await?))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspace_id}/projects", tag = "tasks",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path)),
    request_body = NewProjectRequest,
    responses(
        (status = 201, body = Project),
        (status = 400, body = ErrorBody, description = "Not this shape, a name that is not 1 to 100 characters, a colour that is not #rrggbb, or a leader who is not an active member"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "Not a member of that workspace"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 413, body = ErrorBody, description = "The body is over 64 KiB"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace_id): Path<Uuid>,
    Json(request): Json<NewProjectRequest>,
) -> Result<(StatusCode, Json<Project>), ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    let project = projects::create(&*state.storage, settings, &request).await?;
    Ok((StatusCode::CREATED, Json(project)))
}

#[utoipa::path(patch, path = "/api/v1/workspaces/{workspace_id}/projects/{project_id}",
    tag = "tasks", security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("project_id" = Uuid, Path)),
    request_body = ProjectChange,
    responses(
        (status = 200, body = Project),
        (status = 400, body = ErrorBody, description = "Not this shape, a name that is not 1 to 100 characters, a colour that is not #rrggbb, or a leader who is not an active member"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "No such project in a workspace of the caller's"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 413, body = ErrorBody, description = "The body is over 64 KiB"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, project_id)): Path<(Uuid, Uuid)>,
    Json(change): Json<ProjectChange>,
) -> Result<Json<Project>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    Ok(Json(
        projects::update(&*state.storage, settings, project_id, &change).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspace_id}/projects/{project_id}",
    tag = "tasks", security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("project_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, body = ErrorBody, description = "An id is not a UUID"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "No such project in a workspace of the caller's"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 409, body = ErrorBody, description = "It has tasks (`project_has_tasks`)"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, project_id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    projects::delete(&*state.storage, settings, project_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
