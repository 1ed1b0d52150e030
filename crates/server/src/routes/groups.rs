//! Groups and filters (P3): groups and members' filter settings for holders of
//! `time:settings`, and every member's own pages and filters.

use axum::extract::State;
use axum::http::StatusCode;
use stint_api::rest::{Group, GroupRequest, MemberFilters, MyPages};
use stint_api::ErrorBody;
use stint_storage::may;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use crate::error::{ApiError, Json, Path};
use crate::policy;
use crate::service::accounts::Caller;
use crate::service::groups;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(update, delete))
        .routes(routes!(member_filters, set_member_filters))
        .routes(routes!(my_pages))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/groups", tag = "groups",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path)),
    responses(
        (status = 200, body = Vec<Group>, description = "By name"),
        (status = 400, body = ErrorBody, description = "workspace_id is not a UUID"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "Not a member of that workspace"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace_id): Path<Uuid>,
) -> Result<Json<Vec<Group>>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    Ok(Json(groups::list(&*state.storage, settings).await?))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspace_id}/groups", tag = "groups",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path)),
    request_body = GroupRequest,
    responses(
        (status = 201, body = Group),
        (status = 400, body = ErrorBody, description = "Not this shape, a name that is not 1 to 100 characters, or two overrules of one page"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "Not a member of that workspace"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 409, body = ErrorBody, description = "Another group has that name (`name_taken`)"),
        (status = 413, body = ErrorBody, description = "The body is over 64 KiB"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace_id): Path<Uuid>,
    Json(request): Json<GroupRequest>,
) -> Result<(StatusCode, Json<Group>), ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    let group = groups::create(&*state.storage, settings, &request).await?;
    Ok((StatusCode::CREATED, Json(group)))
}

#[utoipa::path(put, path = "/api/v1/workspaces/{workspace_id}/groups/{group_id}", tag = "groups",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("group_id" = Uuid, Path)),
    request_body = GroupRequest,
    responses(
        (status = 200, body = Group),
        (status = 400, body = ErrorBody, description = "Not this shape, a name that is not 1 to 100 characters, or two overrules of one page"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "No such group in a workspace of the caller's"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 409, body = ErrorBody, description = "Another group has that name (`name_taken`)"),
        (status = 413, body = ErrorBody, description = "The body is over 64 KiB"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, group_id)): Path<(Uuid, Uuid)>,
    Json(request): Json<GroupRequest>,
) -> Result<Json<Group>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    Ok(Json(
        groups::update(&*state.storage, settings, group_id, &request).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspace_id}/groups/{group_id}", tag = "groups",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("group_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, body = ErrorBody, description = "An id is not a UUID"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "No such group in a workspace of the caller's"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 409, body = ErrorBody, description = "Members are in it (`group_not_empty`)"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, group_id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    groups::delete(&*state.storage, settings, group_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/members/{user_id}/filters",
    tag = "groups", security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses(
        (status = 200, body = MemberFilters),
        (status = 400, body = ErrorBody, description = "An id is not a UUID"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "No such member in a workspace of the caller's"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn member_filters(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, user_id)): Path<(Uuid, Uuid)>,
) -> Result<Json<MemberFilters>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    Ok(Json(
        groups::member_filters(&*state.storage, settings, user_id).await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/workspaces/{workspace_id}/members/{user_id}/filters",
    tag = "groups", security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("user_id" = Uuid, Path)),
    request_body = MemberFilters,
    responses(
        (status = 200, body = MemberFilters),
        (status = 400, body = ErrorBody, description = "Not this shape, or two overrules of one page"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`, and everything the member's roles grant"),
        (status = 404, body = ErrorBody, description = "No such member, or no such group, in a workspace of the caller's"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 413, body = ErrorBody, description = "The body is over 64 KiB"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn set_member_filters(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, user_id)): Path<(Uuid, Uuid)>,
    Json(request): Json<MemberFilters>,
) -> Result<Json<MemberFilters>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    Ok(Json(
        groups::set_member_filters(&*state.storage, settings, user_id, &request).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/pages", tag = "groups",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path)),
    responses(
        (status = 200, body = MyPages, description = "The caller's group, and on each page that has a filter whether they may open it and which filter applies"),
        (status = 400, body = ErrorBody, description = "workspace_id is not a UUID"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 404, body = ErrorBody, description = "Not a member of that workspace"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn my_pages(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace_id): Path<Uuid>,
) -> Result<Json<MyPages>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    Ok(Json(groups::my_pages(&*state.storage, &scope).await?))
}
