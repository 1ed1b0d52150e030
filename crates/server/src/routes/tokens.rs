//! The caller's personal access tokens and devices (I3).

use axum::extract::State;
use axum::http::StatusCode;
use stint_api::rest::{Device, NewPersonalToken, PersonalToken, PersonalTokenRequest};
use stint_api::ErrorBody;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use crate::error::{ApiError, Json, Path};
use crate::service::accounts::Caller;
use crate::service::tokens;
use crate::time;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(list_devices, sign_out_all_devices))
        .routes(routes!(sign_out_device))
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<PersonalToken>, description = "The caller's personal access tokens, newest first"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<PersonalToken>>, ApiError> {
    Ok(Json(tokens::list(&*state.storage, &caller).await?))
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", security(("bearer" = [])),
    request_body = PersonalTokenRequest,
    responses(
        (status = 201, body = NewPersonalToken, description = "The token, shown this once"),
        (status = 400, body = ErrorBody, description = "Not this shape, a name that is not 1 to 100 characters, or an expiry in the past"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 413, body = ErrorBody, description = "The body is over 64 KiB"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    Json(request): Json<PersonalTokenRequest>,
) -> Result<(StatusCode, Json<NewPersonalToken>), ApiError> {
    let made = tokens::create(&*state.storage, &caller, &request, time::now()).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{token_id}", tag = "tokens",
    security(("bearer" = [])), params(("token_id" = Uuid, Path)),
    responses(
        (status = 204, description = "The token no longer works"),
        (status = 400, body = ErrorBody, description = "token_id is not a UUID"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 404, body = ErrorBody, description = "The caller has no personal access token by that id"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(token_id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    tokens::revoke(&*state.storage, &caller, token_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/devices", tag = "tokens", security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<Device>, description = "The caller's devices, newest first"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn list_devices(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Device>>, ApiError> {
    Ok(Json(
        tokens::devices(&*state.storage, &caller, time::now()).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/devices", tag = "tokens", security(("bearer" = [])),
    responses(
        (status = 204, description = "Every device of the caller is signed out, this one too; personal access tokens stay"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn sign_out_all_devices(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<StatusCode, ApiError> {
    tokens::sign_out_devices(&*state.storage, &caller, None, time::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/devices/{device_id}", tag = "tokens",
    security(("bearer" = [])), params(("device_id" = Uuid, Path)),
    responses(
        (status = 204, description = "The device is signed out: its tokens no longer work"),
        (status = 400, body = ErrorBody, description = "device_id is not a UUID"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 404, body = ErrorBody, description = "The caller has no device by that id"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn sign_out_device(
    State(state): State<AppState>,
    caller: Caller,
    Path(device_id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    tokens::sign_out_devices(&*state.storage, &caller, Some(device_id), time::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
