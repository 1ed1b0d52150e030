use axum::extract::State;
use stint_api::rest::Task;
use stint_api::ErrorBody;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use crate::error::{ApiError, Json, Path};
use crate::policy;
use crate::service::accounts::Caller;
use crate::service::tasks;
use stint_storage::may;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/tasks", tag = "tasks",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path)),
    responses(
        (status = 200, body = Vec<Task>),
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
) -> Result<Json<Vec<Task>>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    Ok(Json(
        tasks::all(&*state.storage, scope.require::<may::Read>()?).await?,
    ))
}
