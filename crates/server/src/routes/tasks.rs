//! Tasks: listed for members who may read time (assigned to me, recent, search), managed by
//! holders of `time:settings`.

use axum::extract::State;
use axum::http::StatusCode;
use stint_api::rest::{NewTaskRequest, Task, TaskAssignees, TaskChange, TaskList, TaskListQuery};
use stint_api::ErrorBody;
use stint_storage::may;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use crate::error::{ApiError, Json, Path, Query};
use crate::policy;
use crate::service::accounts::Caller;
use crate::service::tasks;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(update, delete))
        .routes(routes!(set_assignees))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/tasks", tag = "tasks",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), TaskListQuery),
    responses(
        (status = 200, body = TaskList, description = "By title; with `recent`, the latest used first"),
        (status = 400, body = ErrorBody, description = "workspace_id is not a UUID, or a query value out of range"),
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
    Query(query): Query<TaskListQuery>,
) -> Result<Json<TaskList>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let read = scope.require::<may::Read>()?;
    Ok(Json(tasks::list(&*state.storage, read, &query).await?))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspace_id}/tasks", tag = "tasks",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path)),
    request_body = NewTaskRequest,
    responses(
        (status = 201, body = Task),
        (status = 400, body = ErrorBody, description = "Not this shape, a title that is not 1 to 100 characters, % complete over 100, or a project not of this workspace"),
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
    Json(request): Json<NewTaskRequest>,
) -> Result<(StatusCode, Json<Task>), ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    let task = tasks::create(&*state.storage, settings, &request).await?;
    Ok((StatusCode::CREATED, Json(task)))
}

#[utoipa::path(patch, path = "/api/v1/workspaces/{workspace_id}/tasks/{task_id}", tag = "tasks",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("task_id" = Uuid, Path)),
    request_body = TaskChange,
    responses(
        (status = 200, body = Task),
        (status = 400, body = ErrorBody, description = "Not this shape, a title that is not 1 to 100 characters, % complete over 100, or a project not of this workspace"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "No such task in a workspace of the caller's"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 413, body = ErrorBody, description = "The body is over 64 KiB"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, task_id)): Path<(Uuid, Uuid)>,
    Json(change): Json<TaskChange>,
) -> Result<Json<Task>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    Ok(Json(
        tasks::update(&*state.storage, settings, task_id, &change).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspace_id}/tasks/{task_id}", tag = "tasks",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("task_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, body = ErrorBody, description = "An id is not a UUID"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "No such task in a workspace of the caller's"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 409, body = ErrorBody, description = "Time was logged to it or a timer runs on it (`task_in_use`)"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, task_id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    tasks::delete(&*state.storage, settings, task_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/api/v1/workspaces/{workspace_id}/tasks/{task_id}/assignees",
    tag = "tasks", security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("task_id" = Uuid, Path)),
    request_body = TaskAssignees,
    responses(
        (status = 200, body = Task),
        (status = 400, body = ErrorBody, description = "Not this shape, an id named twice, someone not an active member, or a team not of this workspace"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "No such task in a workspace of the caller's"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 413, body = ErrorBody, description = "The body is over 64 KiB"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn set_assignees(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, task_id)): Path<(Uuid, Uuid)>,
    Json(request): Json<TaskAssignees>,
) -> Result<Json<Task>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    Ok(Json(
        tasks::set_assignees(&*state.storage, settings, task_id, &request).await?,
    ))
}
