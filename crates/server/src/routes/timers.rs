//! T6: *Team now* — the workspace's running and paused timers, which its admins (holders of
//! `time:settings`) may pause or stop. The owner's devices hear of it at once.

use axum::extract::State;
use axum::http::StatusCode;
use stint_api::rest::{Entry, TeamNow};
use stint_api::ErrorBody;
use stint_storage::may;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use crate::error::{ApiError, Json, Path};
use crate::policy;
use crate::service::accounts::Caller;
use crate::service::control;
use crate::time::now;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(team_now))
        .routes(routes!(pause))
        .routes(routes!(stop))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/timers", tag = "timers",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path)),
    responses(
        (status = 200, body = TeamNow, description = "Who is tracking what, the longest running first"),
        (status = 400, body = ErrorBody, description = "workspace_id is not a UUID"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "Not a member of that workspace"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn team_now(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace_id): Path<Uuid>,
) -> Result<Json<TeamNow>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let control = scope.require::<may::ChangeSettings>()?;
    Ok(Json(
        control::team_now(&*state.storage, control, now()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspace_id}/timers/{timer_id}/pause",
    tag = "timers", security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("timer_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Paused; its owner's devices are told who paused it"),
        (status = 400, body = ErrorBody, description = "An id is not a UUID"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "No running or paused timer by that id in the workspace"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 422, body = ErrorBody, description = "Paused already (`invalid_transition`)"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn pause(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, timer_id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let control = scope.require::<may::ChangeSettings>()?;
    control::pause(&*state.storage, &state.events, control, timer_id, now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspace_id}/timers/{timer_id}/stop",
    tag = "timers", security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("timer_id" = Uuid, Path)),
    responses(
        (status = 200, body = Entry, description = "Stopped into this entry (a member's draft, a timer-only user's submission); its owner's devices are told who stopped it"),
        (status = 400, body = ErrorBody, description = "An id is not a UUID"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "No running or paused timer by that id in the workspace"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn stop(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, timer_id)): Path<(Uuid, Uuid)>,
) -> Result<Json<Entry>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let control = scope.require::<may::ChangeSettings>()?;
    let entry = control::stop(&*state.storage, &state.events, control, timer_id, now()).await?;
    Ok(Json(entry))
}
