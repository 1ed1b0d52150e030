//! The HTTP edge: how connections are taken and how every request is bounded before a handler
//! sees it. It holds against clients that send half a request and keep the connection, open
//! thousands of connections, send bodies slowly or too big, and it answers every error as
//! `ErrorBody` JSON.
//!
//! - `serve` accepts at most `max_connections` at once and gives each `header_read_timeout` to
//!   send its headers (also the idle time allowed between keep-alive requests).
//! - `layers` wraps the finished router: request id, one span per request, request and body
//!   timeouts (both answered `408 request_timeout`: the client was too slow or the answer took
//!   too long, and either way it may retry), the default body limit, and JSON for error
//!   answers that are not JSON yet. The request timeout ends at an answer's head, not its body,
//!   so an event stream (`routes::events`) stays open; it still holds its connection slot.
//! - `body_limit` gives one route its own body limit.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Request};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use stint_api::{ErrorBody, ErrorCode};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::{Layer, Service, ServiceBuilder, ServiceExt};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::error::ApiError;

const X_REQUEST_ID: &str = "x-request-id";

/// The body limit of routes without their own `body_limit`.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// How long to wait before accepting again after a failure that is not about one connection
/// (out of file descriptors, say): retrying at once would spin, giving up would end the server.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// How much of a plain-text error body becomes the JSON error's message.
const ERROR_TEXT_LIMIT: usize = 1024;

/// The longest request id taken from a client; longer ones are replaced by one of ours.
const MAX_CLIENT_REQUEST_ID: usize = 128;

/// How much a client may take of the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeLimits {
    /// Connections served at once; at the limit the server stops accepting (new connections
    /// wait in the kernel's backlog) until one closes.
    pub max_connections: usize,
    /// Time to send a request's headers, counted from the connection's start or the end of the
    /// previous answer: so also how long an idle keep-alive connection stays open.
    pub header_read_timeout: Duration,
    /// Longest pause while the body arrives (it restarts with each piece of the body).
    pub body_read_timeout: Duration,
    /// Longest time from headers to answer, reading the body included: this is what stops a body
    /// that trickles in just fast enough to dodge `body_read_timeout`.
    pub request_timeout: Duration,
    /// How often an idle event stream gets a heartbeat comment.
    pub sse_heartbeat: Duration,
    /// How often the runaway watchdog looks for timers past their workspace's threshold (T8).
    pub runaway_sweep: Duration,
}

impl Default for EdgeLimits {
    fn default() -> EdgeLimits {
        EdgeLimits {
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            sse_heartbeat: Duration::from_secs(25),
            runaway_sweep: Duration::from_secs(60),
        }
    }
}

/// Serves `app` (wrapped by `layers`) on `listener` over HTTP/1.1 until `shutdown` resolves,
/// then stops accepting and waits for the requests under way. That wait is bounded: every
/// request is bounded by the timeouts, and idle connections close at once.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: EdgeLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    // Zero would never accept anything.
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        // A slot first, then a connection: at the limit, connections wait unaccepted.
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => {
                slot.expect("the connection semaphore is never closed")
            }
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = accept(&listener) => accepted,
        };
        // Handlers learn the client's address (`ConnectInfo`), as axum's own `serve` tells it.
        let service = app
            .clone()
            .map_request(move |mut request: axum::http::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let service = TowerToHyperService::new(service);
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                // A client that hung up or ran out of time; nothing the server can act on.
                tracing::debug!(%error, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

async fn accept(listener: &TcpListener) -> (TcpStream, SocketAddr) {
    loop {
        match listener.accept().await {
            Ok(accepted) => return accepted,
            // The client gave up before it was accepted: only that connection is lost.
            Err(error) if is_connection_error(&error) => {}
            Err(error) => {
                tracing::error!(%error, "accepting a connection failed; trying again shortly");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
}

fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionReset
    )
}

/// Wraps a finished router (all routes added, state given) in the edge's layers, and answers
/// unknown paths (404) and wrong methods (405) as `ErrorBody`. A route's own `body_limit`
/// overrides the default set here.
pub fn layers(router: Router, limits: &EdgeLimits) -> Router {
    // Outermost first: the id exists before the span that logs it; errors are JSON before
    // the id is copied onto them; the request timeout also covers reading the body.
    let edge = ServiceBuilder::new()
        .layer(axum::middleware::map_request(drop_unusable_request_id))
        .layer(SetRequestIdLayer::x_request_id(NewRequestId))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(record_answer)
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(axum::middleware::map_response(json_errors))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(RequestBodyTimeoutLayer::new(limits.body_read_timeout))
        .layer(body_limit(DEFAULT_BODY_LIMIT));
    router
        .fallback(no_such_endpoint)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(edge)
}

async fn no_such_endpoint() -> ApiError {
    ApiError::not_found("no such endpoint")
}

async fn method_not_allowed(method: Method) -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("this endpoint does not take {method}"),
    )
}

/// A client's request id goes into the log line of its request: kept only when it looks like
/// an id, else `SetRequestIdLayer` makes one.
async fn drop_unusable_request_id(mut request: Request) -> Request {
    let usable = request
        .headers()
        .get(X_REQUEST_ID)
        .is_none_or(|id| is_usable_request_id(id.as_bytes()));
    if !usable {
        request.headers_mut().remove(X_REQUEST_ID);
    }
    request
}

fn is_usable_request_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_CLIENT_REQUEST_ID
        && id
            .iter()
            .all(|&byte| byte.is_ascii_alphanumeric() || b"-_.:".contains(&byte))
}

/// Request ids are UUIDv7 like every other id here, so they sort by time in the logs.
#[derive(Debug, Clone, Copy)]
struct NewRequestId;

impl MakeRequestId for NewRequestId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let id = uuid::Uuid::now_v7().to_string();
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// One span per request. It names the matched route (`/api/v1/workspaces/{workspace_id}/tasks`),
/// not the path, so that ids do not make every request a log series of its own.
fn request_span(request: &Request) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    let request_id = request
        .headers()
        .get(X_REQUEST_ID)
        .and_then(|id| id.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %request.method(),
        route,
        request_id,
        status = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    )
}

fn record_answer(response: &Response, latency: Duration, span: &Span) {
    span.record("status", response.status().as_u16());
    span.record(
        "latency_ms",
        u64::try_from(latency.as_millis()).unwrap_or(u64::MAX),
    );
    tracing::info!("answered");
}

/// Error answers that are not JSON yet (axum's rejections, the request timeout, anything a
/// layer answers by itself) become `ErrorBody`, keeping their status and headers (`Allow`).
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, ERROR_TEXT_LIMIT)
        .await
        .ok()
        .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
        .filter(|text| !text.trim().is_empty());
    let message = match text {
        // The server's own failures stay in its log.
        Some(text) if status.is_client_error() => text,
        _ => status.canonical_reason().unwrap_or("error").to_lowercase(),
    };
    let json = axum::Json(ErrorBody::new(error_code(status), message)).into_response();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, json.into_body())
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"))
}

fn error_code(status: StatusCode) -> ErrorCode {
    match status {
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::REQUEST_TIMEOUT => ErrorCode::RequestTimeout,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => ErrorCode::Busy,
        status if status.is_client_error() => ErrorCode::MalformedRequest,
        _ => ErrorCode::Internal,
    }
}

/// A route's own body limit in place of `DEFAULT_BODY_LIMIT`, for example
/// `post(sync::push).layer(edge::body_limit(2 * 1024 * 1024))`. A larger body is answered
/// `413 payload_too_large` with `details.limit_bytes`, whether its `Content-Length` says so or
/// it runs over while arriving. Enforced where the body is read: by `error::Json`, and by
/// axum's own body extractors (`Bytes`, `String`), whose 413 has no `details`.
pub fn body_limit(limit_bytes: usize) -> BodyLimitLayer {
    BodyLimitLayer { limit_bytes }
}

/// The body limit in force for a request, as a request extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimit(pub usize);

impl BodyLimit {
    pub fn of<B>(request: &Request<B>) -> usize {
        request
            .extensions()
            .get::<BodyLimit>()
            .map_or(DEFAULT_BODY_LIMIT, |limit| limit.0)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct BodyLimitLayer {
    limit_bytes: usize,
}

impl<S> Layer<S> for BodyLimitLayer {
    type Service = BodyLimitService<S>;

    fn layer(&self, inner: S) -> BodyLimitService<S> {
        BodyLimitService {
            inner,
            limit_bytes: self.limit_bytes,
        }
    }
}

/// Sets the limit as the request passes; the innermost (the route's own) is set last and wins.
#[derive(Debug, Clone)]
pub struct BodyLimitService<S> {
    inner: S,
    limit_bytes: usize,
}

impl<S, B> Service<Request<B>> for BodyLimitService<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> S::Future {
        DefaultBodyLimit::max(self.limit_bytes).apply(&mut request);
        request.extensions_mut().insert(BodyLimit(self.limit_bytes));
        self.inner.call(request)
    }
}
