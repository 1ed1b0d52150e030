//! The workspace's own settings and its teams (P2): listed by every member, made and deleted by
//! holders of `time:settings`, changed by whoever manages the team (`policy::team_management`).

use axum::extract::State;
use axum::http::StatusCode;
use stint_api::rest::{
    NewTeamRequest, Team, TeamChange, TeamDeleted, TeamDeletion, TeamMemberRoles, TeamRoleRequest,
    WorkspaceChange, WorkspaceSettings,
};
use stint_api::ErrorBody;
use stint_storage::may;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use crate::error::{ApiError, Json, Path, Query};
use crate::policy;
use crate::service::accounts::Caller;
use crate::service::teams;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(workspace, change_workspace))
        .routes(routes!(list, create))
        .routes(routes!(get, change, delete))
        .routes(routes!(create_role))
        .routes(routes!(update_role, delete_role))
        .routes(routes!(set_member_roles, remove_member))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}", tag = "teams",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path)),
    responses(
        (status = 200, body = WorkspaceSettings),
        (status = 400, body = ErrorBody, description = "workspace_id is not a UUID"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 404, body = ErrorBody, description = "Not a member of that workspace"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn workspace(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace_id): Path<Uuid>,
) -> Result<Json<WorkspaceSettings>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    Ok(Json(teams::workspace(&*state.storage, &scope).await?))
}

#[utoipa::path(patch, path = "/api/v1/workspaces/{workspace_id}", tag = "teams",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path)),
    request_body = WorkspaceChange,
    responses(
        (status = 200, body = WorkspaceSettings),
        (status = 400, body = ErrorBody, description = "Not this shape"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "Not a member of that workspace"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 413, body = ErrorBody, description = "The body is over 64 KiB"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn change_workspace(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace_id): Path<Uuid>,
    Json(change): Json<WorkspaceChange>,
) -> Result<Json<WorkspaceSettings>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    Ok(Json(
        teams::change_workspace(&*state.storage, settings, &change).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/teams", tag = "teams",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path)),
    responses(
        (status = 200, body = Vec<Team>, description = "By name"),
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
) -> Result<Json<Vec<Team>>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let read = scope.require::<may::Read>()?;
    Ok(Json(teams::list(&*state.storage, read).await?))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspace_id}/teams", tag = "teams",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path)),
    request_body = NewTeamRequest,
    responses(
        (status = 201, body = Team),
        (status = 400, body = ErrorBody, description = "Not this shape, a name that is not 1 to 100 characters, or a lead who is not an active member"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "Not a member of that workspace"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 409, body = ErrorBody, description = "Another team has that name (`name_taken`), or secured teams are off (`secured_teams_off`)"),
        (status = 413, body = ErrorBody, description = "The body is over 64 KiB"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace_id): Path<Uuid>,
    Json(request): Json<NewTeamRequest>,
) -> Result<(StatusCode, Json<Team>), ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    let team = teams::create(&*state.storage, settings, &request).await?;
    Ok((StatusCode::CREATED, Json(team)))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/teams/{team_id}", tag = "teams",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("team_id" = Uuid, Path)),
    responses(
        (status = 200, body = Team),
        (status = 400, body = ErrorBody, description = "An id is not a UUID"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:read`"),
        (status = 404, body = ErrorBody, description = "No such team in a workspace of the caller's"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, team_id)): Path<(Uuid, Uuid)>,
) -> Result<Json<Team>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let read = scope.require::<may::Read>()?;
    Ok(Json(teams::get(&*state.storage, read, team_id).await?))
}

#[utoipa::path(patch, path = "/api/v1/workspaces/{workspace_id}/teams/{team_id}", tag = "teams",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("team_id" = Uuid, Path)),
    request_body = TeamChange,
    responses(
        (status = 200, body = Team),
        (status = 400, body = ErrorBody, description = "Not this shape, or a name that is not 1 to 100 characters"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs the team's `manage_team` (or, for a public team, `time:settings`)"),
        (status = 404, body = ErrorBody, description = "No such team in a workspace of the caller's"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 409, body = ErrorBody, description = "Another team has that name (`name_taken`), or another work-log visibility was asked for (`work_logs_fixed`)"),
        (status = 413, body = ErrorBody, description = "The body is over 64 KiB"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn change(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, team_id)): Path<(Uuid, Uuid)>,
    Json(request): Json<TeamChange>,
) -> Result<Json<Team>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    Ok(Json(
        teams::change(&*state.storage, &scope, team_id, &request).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspace_id}/teams/{team_id}", tag = "teams",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("team_id" = Uuid, Path), TeamDeletion),
    responses(
        (status = 200, body = TeamDeleted, description = "Deleted, with its roles and memberships; its public entries belong to no team now"),
        (status = 400, body = ErrorBody, description = "An id is not a UUID, or a secured team without `entries` and `confirm=irreversible`"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "No such team in a workspace of the caller's"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, team_id)): Path<(Uuid, Uuid)>,
    Query(deletion): Query<TeamDeletion>,
) -> Result<Json<TeamDeleted>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    Ok(Json(
        teams::delete(&*state.storage, settings, team_id, &deletion).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspace_id}/teams/{team_id}/roles",
    tag = "teams", security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("team_id" = Uuid, Path)),
    request_body = TeamRoleRequest,
    responses(
        (status = 201, body = Team),
        (status = 400, body = ErrorBody, description = "Not this shape, or a name that is not 1 to 100 characters"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs the team's `manage_team` (or, for a public team, `time:settings`), and every permission given"),
        (status = 404, body = ErrorBody, description = "No such team in a workspace of the caller's"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 409, body = ErrorBody, description = "Another role of the team has that name (`name_taken`)"),
        (status = 413, body = ErrorBody, description = "The body is over 64 KiB"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn create_role(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, team_id)): Path<(Uuid, Uuid)>,
    Json(request): Json<TeamRoleRequest>,
) -> Result<(StatusCode, Json<Team>), ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let team = teams::create_role(&*state.storage, &scope, team_id, &request).await?;
    Ok((StatusCode::CREATED, Json(team)))
}

#[utoipa::path(put, path = "/api/v1/workspaces/{workspace_id}/teams/{team_id}/roles/{role_id}",
    tag = "teams", security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("team_id" = Uuid, Path), ("role_id" = Uuid, Path)),
    request_body = TeamRoleRequest,
    responses(
        (status = 200, body = Team),
        (status = 400, body = ErrorBody, description = "Not this shape, or a name that is not 1 to 100 characters"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs the team's `manage_team` (or, for a public team, `time:settings`), and every permission given or taken"),
        (status = 404, body = ErrorBody, description = "No such team or team role"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 409, body = ErrorBody, description = "A default role (`role_fixed`), a name another role has (`name_taken`), or nobody left to manage the team (`last_team_manager`)"),
        (status = 413, body = ErrorBody, description = "The body is over 64 KiB"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn update_role(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, team_id, role_id)): Path<(Uuid, Uuid, Uuid)>,
    Json(request): Json<TeamRoleRequest>,
) -> Result<Json<Team>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    Ok(Json(
        teams::update_role(&*state.storage, &scope, team_id, role_id, &request).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspace_id}/teams/{team_id}/roles/{role_id}",
    tag = "teams", security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("team_id" = Uuid, Path), ("role_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Deleted; its holders no longer hold it"),
        (status = 400, body = ErrorBody, description = "An id is not a UUID"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs the team's `manage_team` (or, for a public team, `time:settings`), and every permission the role has"),
        (status = 404, body = ErrorBody, description = "No such team or team role"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 409, body = ErrorBody, description = "A default role (`role_fixed`), or nobody left to manage the team (`last_team_manager`)"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn delete_role(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, team_id, role_id)): Path<(Uuid, Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    teams::delete_role(&*state.storage, &scope, team_id, role_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/api/v1/workspaces/{workspace_id}/teams/{team_id}/members/{user_id}",
    tag = "teams", security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("team_id" = Uuid, Path), ("user_id" = Uuid, Path)),
    request_body = TeamMemberRoles,
    responses(
        (status = 200, body = Team, description = "The member is in the team, holding exactly these roles"),
        (status = 400, body = ErrorBody, description = "Not this shape, or a role that is not the team's"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs the team's `manage_team` (or, for a public team, `time:settings`), and every permission given or taken"),
        (status = 404, body = ErrorBody, description = "No such team, or the user is not an active member of the workspace"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 409, body = ErrorBody, description = "Nobody left to manage the team (`last_team_manager`)"),
        (status = 413, body = ErrorBody, description = "The body is over 64 KiB"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn set_member_roles(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, team_id, user_id)): Path<(Uuid, Uuid, Uuid)>,
    Json(request): Json<TeamMemberRoles>,
) -> Result<Json<Team>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    Ok(Json(
        teams::set_member_roles(&*state.storage, &scope, team_id, user_id, &request).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspace_id}/teams/{team_id}/members/{user_id}",
    tag = "teams", security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("team_id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses(
        (status = 204, description = "No longer a member of the team"),
        (status = 400, body = ErrorBody, description = "An id is not a UUID"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs the team's `manage_team` (or, for a public team, `time:settings`), and every permission the member holds there"),
        (status = 404, body = ErrorBody, description = "No such team, or the user is not in it"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 409, body = ErrorBody, description = "Nobody left to manage the team (`last_team_manager`)"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, team_id, user_id)): Path<(Uuid, Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    teams::remove_member(&*state.storage, &scope, team_id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
