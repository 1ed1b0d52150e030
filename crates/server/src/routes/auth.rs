//! Sign-in: email and password for a device token, sent afterwards as `Authorization: Bearer`.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use stint_api::rest::{TokenRequest, TokenResponse};
use stint_api::{ErrorBody, ErrorCode};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::error::{ApiError, Json};
use crate::service::accounts::{self, Caller};
use crate::time;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_token, revoke_token))
}

#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", request_body = TokenRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 400, body = ErrorBody,
            description = "Not JSON, not this shape, a control character in text, or an invalid device_name"),
        (status = 401, body = ErrorBody, description = "Wrong email or password"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 409, body = ErrorBody, description = "The device id belongs to another user"),
        (status = 413, body = ErrorBody, description = "The body is over 64 KiB"),
        (status = 429, body = ErrorBody,
            description = "Too many failed sign-ins for this account or from this address (`too_many_attempts`); `Retry-After` says when to try again",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn create_token(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Json(request): Json<TokenRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let response = accounts::sign_in(
        &*state.storage,
        &state.passwords,
        &state.sign_in_limits,
        &request,
        address,
        time::now(),
    )
    .await?;
    Ok(Json(response))
}

#[utoipa::path(delete, path = "/api/v1/auth/token", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 204, description = "The token no longer works"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn revoke_token(
    State(state): State<AppState>,
    bearer: Bearer,
) -> Result<StatusCode, ApiError> {
    accounts::caller_for_token(&*state.storage, &bearer.0, time::now()).await?;
    accounts::revoke_token(&*state.storage, &bearer.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The address a request came from, as `edge::serve` tells it (none when the router is served
/// some other way).
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &S,
    ) -> Result<ClientAddress, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>();
        Ok(ClientAddress(peer.map(|ConnectInfo(peer)| peer.ip())))
    }
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
                ApiError::new(ErrorCode::MissingToken, "sign in first: no bearer token")
            })?;
        // The scheme is case-insensitive (RFC 9110): `bearer` and `BEARER` are `Bearer`.
        value
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| Bearer(token.trim().to_string()))
            .ok_or_else(|| {
                ApiError::new(
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
        accounts::caller_for_token(&*state.storage, &bearer.0, time::now()).await
    }
}
