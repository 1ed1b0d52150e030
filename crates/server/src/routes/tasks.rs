use axum::extract::{Path, State};
use stint_api::rest::Task;
use stint_api::ErrorBody;
use uuid::Uuid;

use super::AppState;
use crate::error::{ApiError, Json};
use crate::policy;
use crate::store::Caller;

#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/tasks", tag = "tasks",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path)),
    responses((status = 200, body = Vec<Task>), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody, description = "Not a member of that workspace")))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace_id): Path<Uuid>,
) -> Result<Json<Vec<Task>>, ApiError> {
    let scope = policy::member_of(&state.store, &caller, workspace_id).await?;
    Ok(Json(state.store.tasks_changed_since(&scope, 0).await?))
}
