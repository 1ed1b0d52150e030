use axum::extract::{Path, State};
use serde::Deserialize;
use stint_api::sync::{PullResponse, PushRequest, PushResponse, PROTOCOL_VERSION};
use stint_api::{ErrorBody, ErrorCode};
use utoipa::IntoParams;
use uuid::Uuid;

use super::AppState;
use crate::error::{ApiError, Json, Query};
use crate::policy;
use crate::store::Caller;

fn check_protocol(version: u32) -> Result<(), ApiError> {
    if version == PROTOCOL_VERSION {
        return Ok(());
    }
    Err(ApiError::bad_request(
        ErrorCode::UnsupportedProtocol,
        format!("this server speaks sync protocol {PROTOCOL_VERSION}, not {version}; update Stint"),
    ))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspace_id}/sync/push", tag = "sync",
    security(("bearer" = [])), params(("workspace_id" = Uuid, Path)), request_body = PushRequest,
    responses((status = 200, body = PushResponse), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "A gap in the mutation sequence")))]
pub async fn push(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace_id): Path<Uuid>,
    Json(request): Json<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    check_protocol(request.protocol_version)?;
    let scope = policy::member_of(&state.store, &caller, workspace_id).await?;
    Ok(Json(state.store.push(&scope, &request.mutations).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct PullParams {
    /// The `cursor` of the last pull; 0 for everything.
    #[serde(default)]
    cursor: i64,
    protocol_version: u32,
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/sync/pull", tag = "sync",
    security(("bearer" = [])), params(("workspace_id" = Uuid, Path), PullParams),
    responses((status = 200, body = PullResponse), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn pull(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace_id): Path<Uuid>,
    Query(params): Query<PullParams>,
) -> Result<Json<PullResponse>, ApiError> {
    check_protocol(params.protocol_version)?;
    let scope = policy::member_of(&state.store, &caller, workspace_id).await?;
    Ok(Json(state.store.pull(&scope, params.cursor).await?))
}
