//! Entries over REST: the list of those the caller may see, and logging one's own entry to a
//! team (P1, P4).

use axum::extract::State;
use stint_api::rest::{Entry, EntryActivity, EntryEdit, EntryList, EntryListQuery, EntryTeam};
use stint_api::ErrorBody;
use stint_storage::may;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use crate::error::{ApiError, Json, Path, Query};
use crate::policy;
use crate::service::accounts::Caller;
use crate::service::entries;
use crate::time::now;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(move_to_team))
        .routes(routes!(edit_submitted))
        .routes(routes!(activity))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/entries", tag = "entries",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), EntryListQuery),
    responses(
        (status = 200, body = EntryList, description = "The caller's own entries; every public one with `time:read_all`; and those of the teams where a team role lets them view work logs. Secured entries only ever through their author or such a team role"),
        (status = 400, body = ErrorBody, description = "A query parameter malformed, or limit outside 1 to 1,000"),
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
    Query(query): Query<EntryListQuery>,
) -> Result<Json<EntryList>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let read = scope.require::<may::Read>()?;
    Ok(Json(entries::list(&*state.storage, read, &query).await?))
}

#[utoipa::path(put, path = "/api/v1/workspaces/{workspace_id}/entries/{entry_id}/team",
    tag = "entries", security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("entry_id" = Uuid, Path)),
    request_body = EntryTeam,
    responses(
        (status = 200, body = Entry, description = "The entry, logged to that team (or to none); moved between the public and the secured store when their visibility differs"),
        (status = 400, body = ErrorBody, description = "Not this shape, or no such team in this workspace"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:write`, and the team's `work_on_issues`"),
        (status = 404, body = ErrorBody, description = "No such entry of the caller's in that workspace"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 413, body = ErrorBody, description = "The body is over 64 KiB"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn move_to_team(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, entry_id)): Path<(Uuid, Uuid)>,
    Json(request): Json<EntryTeam>,
) -> Result<Json<Entry>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let write = scope.require::<may::Write>()?;
    Ok(Json(
        entries::move_to_team(&*state.storage, write, entry_id, request.team_id).await?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/workspaces/{workspace_id}/entries/{entry_id}",
    tag = "entries", security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("entry_id" = Uuid, Path)),
    request_body = EntryEdit,
    responses(
        (status = 200, body = Entry, description = "The entry as edited; its activity feed records each change as the caller's (T6)"),
        (status = 400, body = ErrorBody, description = "Not this shape, or hours outside 0 to 24"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "No such entry that the caller may see in that workspace"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 409, body = ErrorBody, description = "The entry is not submitted (`entry_locked`): a draft or a returned one is its author's, an approved one is settled"),
        (status = 413, body = ErrorBody, description = "The body is over 64 KiB"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn edit_submitted(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, entry_id)): Path<(Uuid, Uuid)>,
    Json(edit): Json<EntryEdit>,
) -> Result<Json<Entry>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    let read = scope.require::<may::Read>()?;
    Ok(Json(
        entries::edit_submitted(
            &*state.storage,
            &state.events,
            read,
            settings,
            entry_id,
            &edit,
            now(),
        )
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/entries/{entry_id}/activity",
    tag = "entries", security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("entry_id" = Uuid, Path)),
    responses(
        (status = 200, body = Vec<EntryActivity>, description = "Oldest first: made, moved between teams … with who and when (E1)"),
        (status = 400, body = ErrorBody, description = "An id is not a UUID"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:read`"),
        (status = 404, body = ErrorBody, description = "No entry by that id that the caller may see"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn activity(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, entry_id)): Path<(Uuid, Uuid)>,
) -> Result<Json<Vec<EntryActivity>>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let read = scope.require::<may::Read>()?;
    Ok(Json(
        entries::activity(&*state.storage, read, entry_id).await?,
    ))
}
