//! Stint's workspace server: the REST API and sync endpoints over one `Store` (SQLite or
//! PostgreSQL). `main.rs` is the command line; everything else is here so tests can start it.

pub mod edge;
pub mod error;
pub mod openapi;
pub mod policy;
pub mod routes;
pub mod store;
mod time;

pub use edge::EdgeLimits;
pub use routes::router;
pub use store::Store;

/// The whole application: the routes wrapped in the edge's layers (timeouts, request ids,
/// logging, body limits, JSON errors).
pub fn app(store: Store, limits: &EdgeLimits) -> axum::Router {
    edge::layers(router(store), limits)
}

/// Serves the API on `listener` with the default `EdgeLimits` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Store,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, store, EdgeLimits::default(), shutdown).await
}

/// Serves the API on `listener` with these limits until `shutdown` resolves.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    store: Store,
    limits: EdgeLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = app(store, &limits);
    edge::serve(listener, app, limits, shutdown).await
}
