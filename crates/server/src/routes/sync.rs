use axum::extract::State;
use serde::Deserialize;
use stint_api::sync::{Outcome, PullResponse, PushRequest, PushResponse, PROTOCOL_VERSION};
use stint_api::{ErrorBody, ErrorCode};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use crate::edge;
use crate::error::{ApiError, Json, Path, Query};
use crate::events::Event;
use crate::policy;
use crate::service::accounts::Caller;
use crate::service::sync;
use crate::time;
use stint_storage::may;

/// A push of the most mutations allowed fits comfortably (a mutation is ~200 bytes).
pub const PUSH_BODY_LIMIT: usize = 2 * 1024 * 1024;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(push))
        .layer(edge::body_limit(PUSH_BODY_LIMIT))
        .routes(routes!(pull))
}

fn check_protocol(version: u32) -> Result<(), ApiError> {
    if version == PROTOCOL_VERSION {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::UnsupportedProtocol,
        format!("this server speaks sync protocol {PROTOCOL_VERSION}, not {version}; update Stint"),
    ))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspace_id}/sync/push", tag = "sync",
    security(("bearer" = [])), params(("workspace_id" = Uuid, Path)), request_body = PushRequest,
    responses(
        (status = 200, body = PushResponse),
        (status = 400, body = ErrorBody,
            description = "Not JSON, not this shape, a control character in text, a sequence number below 1, or an unsupported protocol"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:write`, and a device's sign-in (not a personal access token)"),
        (status = 404, body = ErrorBody, description = "Not a member of that workspace"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 409, body = ErrorBody, description = "The stream belongs to another device or workspace (`stream_taken`)"),
        (status = 413, body = ErrorBody, description = "Over 2 MiB"),
        (status = 422, body = ErrorBody, description = "Over 1,000 mutations (`too_many_mutations`)"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn push(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace_id): Path<Uuid>,
    Json(request): Json<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    check_protocol(request.protocol_version)?;
    if caller.device_id.is_none() {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "pushing needs a device's sign-in: a personal access token has no device to number changes on",
        ));
    }
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let pushed = sync::push(
        &*state.storage,
        scope.require::<may::Write>()?,
        request.stream_id,
        &request.mutations,
        time::now(),
    )
    .await?;
    let applied = pushed
        .response
        .results
        .iter()
        .any(|r| r.outcome == Outcome::Applied);
    // Told after the answer is on its way: on PostgreSQL a NOTIFY is one more round trip, which
    // the pushing device need not wait for.
    let mut events = Vec::new();
    if applied {
        events.push(Event::changed(&scope));
    }
    for timer_id in pushed.stopped_timers {
        events.push(Event::timer_stopped(&scope, timer_id));
    }
    state.events.publish_in_background(events);
    Ok(Json(pushed.response))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PullParams {
    /// The `cursor` of the last pull; none (or one this server did not hand out) for a snapshot.
    #[serde(default)]
    cursor: Option<String>,
    /// The device's stream in this workspace: the answer says how far the server has it.
    #[serde(default)]
    stream_id: Option<Uuid>,
    #[param(minimum = 2, maximum = 2)]
    protocol_version: u32,
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/sync/pull", tag = "sync",
    security(("bearer" = [])), params(("workspace_id" = Uuid, Path), PullParams),
    responses(
        (status = 200, body = PullResponse),
        (status = 400, body = ErrorBody,
            description = "A query parameter missing or malformed, or an unsupported protocol"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:read`"),
        (status = 404, body = ErrorBody, description = "Not a member of that workspace"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn pull(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace_id): Path<Uuid>,
    Query(params): Query<PullParams>,
) -> Result<Json<PullResponse>, ApiError> {
    check_protocol(params.protocol_version)?;
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let response = sync::pull(
        &state.storage,
        &state.read_ahead,
        scope.require::<may::Read>()?,
        params.cursor.as_deref(),
        params.stream_id,
        time::now(),
    )
    .await?;
    Ok(Json(response))
}
