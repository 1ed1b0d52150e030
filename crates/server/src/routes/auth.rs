//! Sign-in: email and password for a device token, sent afterwards as `Authorization: Bearer`.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use chrono::Duration;
use stint_api::rest::{TokenRequest, TokenResponse};
use stint_api::{ErrorBody, ErrorCode};

use super::AppState;
use crate::error::{ApiError, Json};
use crate::store::Caller;

/// Device tokens last 90 days; signing in again issues a new one.
const TOKEN_TTL_DAYS: i64 = 90;

#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", request_body = TokenRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 400, body = ErrorBody, description = "Malformed request"),
        (status = 401, body = ErrorBody, description = "Wrong email or password"),
        (status = 409, body = ErrorBody, description = "The device id belongs to another user"),
    ))]
pub async fn create_token(
    State(state): State<AppState>,
    Json(request): Json<TokenRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let device_name = request.device_name.trim();
    if device_name.is_empty() || device_name.chars().count() > 100 {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidRequest,
            "device_name must be 1 to 100 characters",
        ));
    }
    let user = state
        .store
        .check_password(&request.email, &request.password)
        .await?
        .ok_or_else(|| {
            ApiError::unauthorized(ErrorCode::InvalidCredentials, "wrong email or password")
        })?;
    let issued = state
        .store
        .issue_token(
            user.id,
            request.device_id,
            device_name,
            Duration::days(TOKEN_TTL_DAYS),
        )
        .await?;
    let workspaces = state.store.workspaces_of(user.id).await?;
    Ok(Json(TokenResponse {
        token: issued.token,
        device_id: issued.device_id,
        user,
        workspaces,
    }))
}

#[utoipa::path(delete, path = "/api/v1/auth/token", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "The token no longer works"),
              (status = 401, body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    bearer: Bearer,
) -> Result<StatusCode, ApiError> {
    state.store.caller_for_token(&bearer.0).await?;
    state.store.revoke_token(&bearer.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The raw bearer token of a request.
pub struct Bearer(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Bearer, ApiError> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                ApiError::unauthorized(ErrorCode::MissingToken, "sign in first: no bearer token")
            })?;
        value
            .strip_prefix("Bearer ")
            .map(|token| Bearer(token.trim().to_string()))
            .ok_or_else(|| {
                ApiError::unauthorized(
                    ErrorCode::InvalidToken,
                    "expected `Authorization: Bearer <token>`",
                )
            })
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let bearer = Bearer::from_request_parts(parts, state).await?;
        state.store.caller_for_token(&bearer.0).await
    }
}
