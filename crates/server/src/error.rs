//! Every failure leaves the server as `{code, message, details?}`, with the HTTP status that
//! `status_of` gives its code — the one place codes meet statuses.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use stint_api::{ErrorBody, ErrorCode};
use stint_storage::StorageError;

/// An error as the API reports it. Services return it; only `IntoResponse` knows HTTP.
#[derive(Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Option<serde_json::Value>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            details: None,
        }
    }

    pub fn with_details(mut self, details: serde_json::Value) -> ApiError {
        self.details = Some(details);
        self
    }

    /// A failure of the server itself: logged in full, reported without details.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::Internal, message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::NotFound, message)
    }

    /// A field outside its allowed range: 400 `invalid_request` naming the field.
    pub fn invalid(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::InvalidRequest, message)
            .with_details(serde_json::json!({ "field": field }))
    }
}

pub fn status_of(code: ErrorCode) -> StatusCode {
    use ErrorCode::*;
    match code {
        MissingToken | InvalidToken | TokenExpired | InvalidCredentials => StatusCode::UNAUTHORIZED,
        Forbidden => StatusCode::FORBIDDEN,
        NotFound => StatusCode::NOT_FOUND,
        MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        DeviceTaken | SequenceGap => StatusCode::CONFLICT,
        PayloadTooLarge | TooManyMutations => StatusCode::PAYLOAD_TOO_LARGE,
        Busy => StatusCode::SERVICE_UNAVAILABLE,
        Internal | Unknown => StatusCode::INTERNAL_SERVER_ERROR,
        // Rule codes reach devices inside push results; as a whole response they are a 422.
        UnknownTask | UnknownTimer | TimerStopped | InvalidTransition | IdConflict
        | TooManySegments | InstantOutOfRange | Rejected => StatusCode::UNPROCESSABLE_ENTITY,
        // The rest are requests the server cannot take as sent (and desk-only codes, which the
        // server never sends).
        _ => StatusCode::BAD_REQUEST,
    }
}

impl From<StorageError> for ApiError {
    fn from(error: StorageError) -> ApiError {
        match error {
            StorageError::NotFound => ApiError::not_found("no such object"),
            StorageError::Busy(reason) => {
                tracing::warn!(%reason, "database busy");
                ApiError::new(ErrorCode::Busy, "the server is busy; try again in a moment")
            }
            other => ApiError::internal(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(self.code);
        let body = if status == StatusCode::INTERNAL_SERVER_ERROR {
            // Details of internal failures go to the log, not to the caller.
            tracing::error!(error = %self.message, "request failed");
            ErrorBody::new(self.code, "internal server error")
        } else {
            ErrorBody {
                code: self.code,
                message: self.message,
                details: self.details,
            }
        };
        (status, axum::Json(body)).into_response()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::new(ErrorCode::PayloadTooLarge, rejection.body_text());
        }
        ApiError::new(ErrorCode::MalformedRequest, rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        ApiError::new(ErrorCode::MalformedRequest, rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> ApiError {
        ApiError::new(ErrorCode::MalformedRequest, rejection.body_text())
    }
}

/// `axum::Json` whose rejections are `{code, message}` like every other error.
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Query` with the same error shape.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// `axum::extract::Path` with the same error shape (a non-UUID id is a JSON 400).
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);
