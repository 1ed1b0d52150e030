//! Every failure leaves the server as `{code, message, details?}`, with the HTTP status that
//! `status_of` gives its code — the one place codes meet statuses. So do the extractors'
//! rejections: `Json`, `Query` and `Path` here replace axum's, whose rejections are plain text.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use stint_api::{ErrorBody, ErrorCode};
use stint_storage::StorageError;

use crate::edge::BodyLimit;
use crate::json_check::{self, Finding};

/// An error as the API reports it. Services return it; only `IntoResponse` knows HTTP.
#[derive(Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Option<serde_json::Value>,
    /// The same request may well succeed a moment later (a busy database, a constraint that a
    /// concurrent writer tripped): a push tries its batch again.
    pub retryable: bool,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            details: None,
            retryable: false,
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

    pub fn malformed(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::MalformedRequest, message)
    }

    pub fn payload_too_large(limit_bytes: usize) -> ApiError {
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the request body is over this endpoint's limit of {limit_bytes} bytes"),
        )
        .with_details(json!({ "limit_bytes": limit_bytes }))
    }

    /// Too many failed sign-ins: try again in `wait` (whole seconds, rounded up).
    pub fn too_many_attempts(wait: std::time::Duration) -> ApiError {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        ApiError::new(
            ErrorCode::TooManyAttempts,
            format!("too many failed sign-ins; try again in {secs} s"),
        )
        .with_details(json!({ "retry_after_secs": secs }))
    }

    /// A field outside its allowed range: 400 `invalid_request` naming the field.
    pub fn invalid(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::InvalidRequest, message).with_details(json!({ "field": field }))
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
        StreamTaken | RoleFixed | NameTaken | LastAdmin | WorkLogsFixed | SecuredTeamsOff
        | LastTeamManager | GroupNotEmpty | EntryLocked | ProjectHasTasks | TaskInUse => {
            StatusCode::CONFLICT
        }
        PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
        Busy => StatusCode::SERVICE_UNAVAILABLE,
        Internal | Unknown => StatusCode::INTERNAL_SERVER_ERROR,
        // Rule codes reach devices inside push results; as a whole response they are a 422.
        // Over 1,000 mutations breaks the schema's `maxItems`, not the byte limit: also a 422.
        // A setting out of its range is well-formed but not allowed: a 422 as well.
        InvalidSetting | TooManyMutations | UnknownTask | UnknownTimer | UnknownEntry
        | TimerStopped | InvalidTransition | InvalidEntry | DescriptionRequired | IdConflict
        | TooManySegments | InstantOutOfRange | InstantInFuture | Rejected | SequenceGap
        | Diverged | FingerprintMismatch => StatusCode::UNPROCESSABLE_ENTITY,
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
                ApiError {
                    retryable: true,
                    ..ApiError::new(ErrorCode::Busy, "the server is busy; try again in a moment")
                }
            }
            // Two requests wrote the same thing at once (two accepts of one email, a role
            // deleted while given): trying again reads the winner's result and decides anew.
            StorageError::Conflict { constraint } => {
                tracing::info!(%constraint, "write collided with a concurrent one");
                ApiError {
                    retryable: true,
                    ..ApiError::new(
                        ErrorCode::Busy,
                        "another change collided with this one; try again in a moment",
                    )
                }
            }
            StorageError::Corrupt(_) | StorageError::Other(_) => {
                ApiError::internal(error.to_string())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(self.code);
        let retry_after = match status {
            // Busy for a moment: devices back off and try again.
            StatusCode::SERVICE_UNAVAILABLE => Some(1),
            StatusCode::TOO_MANY_REQUESTS => self
                .details
                .as_ref()
                .and_then(|details| details["retry_after_secs"].as_u64()),
            _ => None,
        };
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
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
        }
        if matches!(
            self.code,
            ErrorCode::PayloadTooLarge | ErrorCode::RequestTimeout
        ) {
            // The rest of the body is not read; the connection cannot carry another request.
            response.headers_mut().insert(
                header::CONNECTION,
                header::HeaderValue::from_static("close"),
            );
        }
        response
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        ApiError::malformed(rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> ApiError {
        use axum::extract::path::ErrorKind;
        let PathRejection::FailedToDeserializePathParams(failed) = rejection else {
            // Only a handler mounted without path parameters gets here: a programming error.
            return ApiError::internal(rejection.body_text());
        };
        let message = match failed.into_kind() {
            ErrorKind::ParseErrorAtKey {
                key, expected_type, ..
            } => {
                let short_type = expected_type.rsplit("::").next().unwrap_or(expected_type);
                format!("{key}: not a {short_type}")
            }
            ErrorKind::DeserializeError { key, message, .. } => format!("{key}: {message}"),
            ErrorKind::InvalidUtf8InPathParam { key } => format!("{key}: not UTF-8"),
            kind @ (ErrorKind::WrongNumberOfParameters { .. }
            | ErrorKind::UnsupportedType { .. }) => return ApiError::internal(kind.to_string()),
            kind => kind.to_string(),
        };
        ApiError::malformed(message)
    }
}

/// A JSON body, parsed with the route's body limit (`edge::body_limit`) and refused when any
/// string the endpoint reads, key or value, holds a control character other than tab, line feed
/// and carriage return: such text has no business in a time tracker, and PostgreSQL refuses NUL
/// outright. Fields the endpoint does not know are ignored whatever they hold, as the OpenAPI
/// document says (its objects allow other properties) and as a newer client needs.
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned + Serialize,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(mut request: Request, state: &S) -> Result<Json<T>, ApiError> {
        let limit_bytes = BodyLimit::of(&request);
        // Without `edge::layers` (a bare router) the default still holds, not axum's 2 MB.
        DefaultBodyLimit::max(limit_bytes).apply(&mut request);
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        if declared.is_some_and(|length| length > limit_bytes as u64) {
            return Err(ApiError::payload_too_large(limit_bytes));
        }
        let axum::Json(mut value) = axum::Json::<Value>::from_request(request, state)
            .await
            .map_err(|rejection| json_rejection(rejection, limit_bytes))?;
        integral_numbers_as_integers(&mut value);
        // Read once without tracking where: the path is worked out for a refusal only (tracking
        // it cost as much as the reading, on a push of a thousand changes).
        let body: T = T::deserialize(&value)
            .or_else(|_| serde_path_to_error::deserialize(&value))
            .map_err(|error| ApiError::malformed(error.to_string()))?;
        // What was read is checked beside what was sent, at the same JSON paths: the request's
        // fields without those serde ignored.
        match json_check::check(&body, &value) {
            Ok(()) => {}
            // serde reads a struct from an array of its fields in order; the schema says object.
            Err(Finding::ObjectSentAsArray(field)) => {
                return Err(ApiError::malformed(format!(
                    "`{field}` must be a JSON object"
                )));
            }
            Err(Finding::ControlText(field)) => {
                return Err(ApiError::new(
                    ErrorCode::InvalidText,
                    format!(
                        "text in `{field}` holds a control character \
                         (only tab, line feed and carriage return are allowed)"
                    ),
                )
                .with_details(json!({ "field": field })));
            }
            Err(Finding::Unwritable(message)) => return Err(ApiError::internal(message)),
        }
        Ok(Json(body))
    }
}

fn json_rejection(rejection: JsonRejection, limit_bytes: usize) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::payload_too_large(limit_bytes);
    }
    if caused_by_body_timeout(&rejection) {
        return ApiError::new(
            ErrorCode::RequestTimeout,
            "the request body stopped arriving",
        );
    }
    ApiError::malformed(rejection.body_text())
}

/// Whether the body read failed because `edge::layers`' body timeout ran out.
fn caused_by_body_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = error.source();
    }
    false
}

/// JSON has one number type: `1.0` is the integer 1 (JSON Schema agrees), but serde refuses it
/// for an integer field. So numbers without a fraction become integers before the body is read —
/// up to 2^53, where every integer is a float of its own: beyond it, an integer out of range
/// (`-9223372036854775809`, read as a float) would round into range and pass.
fn integral_numbers_as_integers(value: &mut Value) {
    const EXACT: f64 = (1u64 << 53) as f64;
    match value {
        Value::Number(number) => match number.as_f64() {
            Some(float) if number.is_f64() && float.fract() == 0.0 && float.abs() <= EXACT => {
                *value = Value::from(float as i64);
            }
            _ => {}
        },
        Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(integral_numbers_as_integers),
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

pub(crate) fn push_key(path: &mut String, key: &str) {
    if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        path.push('.');
        path.push_str(key);
    } else {
        // Keys that are not plain names are quoted, control characters escaped.
        path.push('[');
        path.push_str(&Value::from(key).to_string());
        path.push(']');
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Query` with the same error shape.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// `axum::extract::Path` whose rejection names the parameter: "workspace_id: UUID parsing
/// failed: …" as `malformed_request`.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_without_a_fraction_become_integers() {
        let mut read =
            json!({ "seq": 1.0, "list": [-3.0, 2.5, 7], "big": 1e300, "minus_zero": -0.0 });
        integral_numbers_as_integers(&mut read);
        assert_eq!(
            read,
            json!({ "seq": 1, "list": [-3, 2.5, 7], "big": 1e300, "minus_zero": 0 })
        );
        assert!(read["seq"].is_i64());
        // Exact up to 2^53, which takes correctly rounded parsing (serde_json's float_roundtrip).
        let mut read: Value = serde_json::from_str(r#"{ "seq": 3866557799310418.0 }"#).unwrap();
        integral_numbers_as_integers(&mut read);
        assert_eq!(read, json!({ "seq": 3866557799310418_i64 }));
        // An integer below i64::MIN reads as the float i64::MIN: it must stay out of range.
        let mut read: Value = serde_json::from_str(r#"{ "secs": -9223372036854775809 }"#).unwrap();
        integral_numbers_as_integers(&mut read);
        assert!(read["secs"].is_f64(), "{read}");
    }
}
