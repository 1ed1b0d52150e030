use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};
use stint_api::ErrorBody;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use crate::error::{ApiError, Path};
use crate::events::EventKind;
use crate::policy;
use crate::service::accounts::Caller;
use stint_storage::may;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// Live updates for the caller in a workspace, as server-sent events: `ready` once connected
/// (pull now: anything missed while away is in the pull), then `changed` (pull) and
/// `timer_stopped` (`{"timer_id", "by", "device_id"}`: your running timer was stopped by a change
/// from that device, or by `by` — an admin, the runaway watchdog — when the device is nil) and
/// `timer_paused` (`{"timer_id", "by"}`: an admin paused it), with a comment every 25 s so idle
/// connections stay open.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/events", tag = "sync",
    security(("bearer" = [])), params(("workspace_id" = Uuid, Path)),
    responses(
        (status = 200, content_type = "text/event-stream", body = String,
            description = "A stream of `ready`, `changed`, `timer_stopped` and `timer_paused` events"),
        (status = 400, body = ErrorBody, description = "A malformed workspace id"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:read`"),
        (status = 404, body = ErrorBody, description = "Not a member of that workspace"),
    ))]
async fn events(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace_id): Path<Uuid>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    // Subscribed before `ready` is sent: nothing published after it is missed.
    let subscription = state.events.subscribe(scope.require::<may::Read>()?);
    let ready = SseEvent::default().event("ready").data("{}");
    let events = futures_util::stream::unfold(subscription, |mut subscription| async move {
        let kind = subscription.next().await?;
        Some((Ok(to_sse(&kind)), subscription))
    });
    let stream = futures_util::stream::once(async { Ok(ready) }).chain(events);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(state.events.heartbeat)))
}

fn to_sse(kind: &EventKind) -> SseEvent {
    match kind {
        EventKind::Changed => SseEvent::default().event("changed").data("{}"),
        EventKind::TimerStopped {
            timer_id,
            by,
            device_id,
        } => SseEvent::default().event("timer_stopped").data(
            serde_json::json!({ "timer_id": timer_id, "by": by, "device_id": device_id })
                .to_string(),
        ),
        EventKind::TimerPaused { timer_id, by } => SseEvent::default()
            .event("timer_paused")
            .data(serde_json::json!({ "timer_id": timer_id, "by": by }).to_string()),
    }
}
