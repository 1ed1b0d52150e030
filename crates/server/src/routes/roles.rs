//! Workspace roles and members' roles (P1), for holders of `time:settings`.

use axum::extract::State;
use axum::http::StatusCode;
use stint_api::rest::{Member, MemberChange, MemberRoles, Role, RoleRequest};
use stint_api::ErrorBody;
use stint_storage::may;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use crate::error::{ApiError, Json, Path};
use crate::policy;
use crate::service::accounts::Caller;
use crate::service::{roles, tokens};
use crate::time::now;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(update, delete))
        .routes(routes!(members))
        .routes(routes!(set_member_roles))
        .routes(routes!(update_member))
        .routes(routes!(sign_out_member))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/roles", tag = "roles",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path)),
    responses(
        (status = 200, body = Vec<Role>, description = "Default roles first, then by name"),
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
) -> Result<Json<Vec<Role>>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    Ok(Json(roles::list(&*state.storage, settings).await?))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspace_id}/roles", tag = "roles",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path)),
    request_body = RoleRequest,
    responses(
        (status = 201, body = Role),
        (status = 400, body = ErrorBody, description = "Not this shape, or a name that is not 1 to 100 characters"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "Not a member of that workspace"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 409, body = ErrorBody, description = "Another role has that name (`name_taken`)"),
        (status = 413, body = ErrorBody, description = "The body is over 64 KiB"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace_id): Path<Uuid>,
    Json(request): Json<RoleRequest>,
) -> Result<(StatusCode, Json<Role>), ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    let role = roles::create(&*state.storage, settings, &request).await?;
    Ok((StatusCode::CREATED, Json(role)))
}

#[utoipa::path(put, path = "/api/v1/workspaces/{workspace_id}/roles/{role_id}", tag = "roles",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("role_id" = Uuid, Path)),
    request_body = RoleRequest,
    responses(
        (status = 200, body = Role),
        (status = 400, body = ErrorBody, description = "Not this shape, or a name that is not 1 to 100 characters"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "No such role in a workspace of the caller's"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 409, body = ErrorBody, description = "A default role (`role_fixed`), or another role has that name (`name_taken`)"),
        (status = 413, body = ErrorBody, description = "The body is over 64 KiB"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, role_id)): Path<(Uuid, Uuid)>,
    Json(request): Json<RoleRequest>,
) -> Result<Json<Role>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    Ok(Json(
        roles::update(&*state.storage, settings, role_id, &request).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspace_id}/roles/{role_id}", tag = "roles",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("role_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Deleted; its holders no longer hold it"),
        (status = 400, body = ErrorBody, description = "An id is not a UUID"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "No such role in a workspace of the caller's"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 409, body = ErrorBody, description = "A default role (`role_fixed`)"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, role_id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    roles::delete(&*state.storage, settings, role_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/members", tag = "roles",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path)),
    responses(
        (status = 200, body = Vec<Member>, description = "By name"),
        (status = 400, body = ErrorBody, description = "workspace_id is not a UUID"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "Not a member of that workspace"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn members(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace_id): Path<Uuid>,
) -> Result<Json<Vec<Member>>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    Ok(Json(roles::members(&*state.storage, settings).await?))
}

#[utoipa::path(put, path = "/api/v1/workspaces/{workspace_id}/members/{user_id}/roles",
    tag = "roles", security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("user_id" = Uuid, Path)),
    request_body = MemberRoles,
    responses(
        (status = 200, body = Member),
        (status = 400, body = ErrorBody, description = "Not this shape, or a role that is not the workspace's"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "No such member in a workspace of the caller's"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 409, body = ErrorBody, description = "Nobody would hold the admin role any more (`last_admin`)"),
        (status = 413, body = ErrorBody, description = "The body is over 64 KiB"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn set_member_roles(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, user_id)): Path<(Uuid, Uuid)>,
    Json(request): Json<MemberRoles>,
) -> Result<Json<Member>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    Ok(Json(
        roles::set_member_roles(&*state.storage, settings, user_id, &request).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspace_id}/members/{user_id}/devices",
    tag = "roles", security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Every device of the member is signed out, and their personal access tokens revoked"),
        (status = 400, body = ErrorBody, description = "An id is not a UUID"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "No such member in a workspace of the caller's"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn sign_out_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, user_id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    tokens::sign_out_member(&*state.storage, settings, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(patch, path = "/api/v1/workspaces/{workspace_id}/members/{user_id}",
    tag = "roles", security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("user_id" = Uuid, Path)),
    request_body = MemberChange,
    responses(
        (status = 200, body = Member),
        (status = 400, body = ErrorBody, description = "Not this shape, a manager who is not another member, or weekly hours outside 0 to 168"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "No such member in a workspace of the caller's"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 409, body = ErrorBody, description = "No active member would hold the admin role any more (`last_admin`)"),
        (status = 413, body = ErrorBody, description = "The body is over 64 KiB"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn update_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, user_id)): Path<(Uuid, Uuid)>,
    Json(change): Json<MemberChange>,
) -> Result<Json<Member>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    Ok(Json(
        roles::update_member(
            &*state.storage,
            &state.events,
            settings,
            user_id,
            &change,
            now(),
        )
        .await?,
    ))
}
