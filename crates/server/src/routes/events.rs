use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use stint_api::ErrorBody;
use tokio::sync::broadcast::error::RecvError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use crate::error::{ApiError, Path};
use crate::events::{Event, EventKind};
use crate::policy;
use crate::service::accounts::Caller;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// Live updates for the caller in a workspace, as server-sent events: `ready` once connected
/// (pull now: anything missed while away is in the pull), then `changed` (pull) and
/// `timer_stopped` (`{"timer_id", "by"}`: your running timer was stopped elsewhere), with a
/// comment every 25 s so idle connections stay open.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/events", tag = "sync",
    security(("bearer" = [])), params(("workspace_id" = Uuid, Path)),
    responses(
        (status = 200, content_type = "text/event-stream", body = String,
            description = "A stream of `ready`, `changed` and `timer_stopped` events"),
        (status = 400, body = ErrorBody, description = "A malformed workspace id"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 404, body = ErrorBody, description = "Not a member of that workspace"),
    ))]
async fn events(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace_id): Path<Uuid>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let user_id = scope.user_id();
    let (receiver, closing) = state.events.subscribe();
    let ready = SseEvent::default().event("ready").data("{}");
    let stream = futures_util::stream::unfold(
        (receiver, closing, Some(ready)),
        move |(mut receiver, mut closing, first)| async move {
            if let Some(ready) = first {
                return Some((Ok(ready), (receiver, closing, None)));
            }
            loop {
                let next = tokio::select! {
                    _ = closing.wait_for(|closing| *closing) => return None,
                    received = receiver.recv() => received,
                };
                let event = match next {
                    Ok(event) if event.is_for(workspace_id, user_id) => to_sse(&event),
                    Ok(_) => continue,
                    // This stream fell behind: a pull covers whatever it missed.
                    Err(RecvError::Lagged(_)) => SseEvent::default().event("changed").data("{}"),
                    Err(RecvError::Closed) => return None,
                };
                return Some((Ok(event), (receiver, closing, None)));
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(state.events.heartbeat)))
}

fn to_sse(event: &Event) -> SseEvent {
    match &event.kind {
        EventKind::Changed => SseEvent::default().event("changed").data("{}"),
        EventKind::TimerStopped { timer_id, by } => SseEvent::default()
            .event("timer_stopped")
            .data(serde_json::json!({ "timer_id": timer_id, "by": by }).to_string()),
    }
}
