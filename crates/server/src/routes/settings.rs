//! A workspace's time settings (S): read by every member, changed by holders of
//! `time:settings`. A change tells the workspace's devices to pull (they keep a copy).

use axum::extract::State;
use stint_api::rest::{TimeSettings, TimeSettingsChange};
use stint_api::ErrorBody;
use stint_storage::may;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use crate::error::{ApiError, Json, Path};
use crate::events::Event;
use crate::policy;
use crate::service::accounts::Caller;
use crate::service::settings;
use crate::time::now;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get, change))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/time/settings", tag = "settings",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path)),
    responses(
        (status = 200, body = TimeSettings, description = "The spec's defaults until changed"),
        (status = 400, body = ErrorBody, description = "workspace_id is not a UUID"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 404, body = ErrorBody, description = "Not a member of that workspace"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace_id): Path<Uuid>,
) -> Result<Json<TimeSettings>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    Ok(Json(settings::read(&*state.storage, &scope).await?))
}

#[utoipa::path(patch, path = "/api/v1/workspaces/{workspace_id}/time/settings", tag = "settings",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path)),
    request_body = TimeSettingsChange,
    responses(
        (status = 200, body = TimeSettings, description = "The settings as changed"),
        (status = 400, body = ErrorBody, description = "Not this shape"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "Not a member of that workspace"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 413, body = ErrorBody, description = "The body is over 64 KiB"),
        (status = 422, body = ErrorBody, description = "A value out of its range (`invalid_setting`, `details.field` names it); nothing changed"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn change(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace_id): Path<Uuid>,
    Json(change): Json<TimeSettingsChange>,
) -> Result<Json<TimeSettings>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let allowed = scope.require::<may::ChangeSettings>()?;
    let changed = settings::change(&*state.storage, allowed, &change, now()).await?;
    state.events.publish(Event::changed(&scope)).await;
    Ok(Json(changed))
}
