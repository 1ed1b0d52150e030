//! Stint's workspace server: the REST API and sync endpoints over one `Store` (SQLite or
//! PostgreSQL). `main.rs` is the command line; everything else is here so tests can start it.

pub mod error;
pub mod openapi;
pub mod policy;
pub mod routes;
pub mod store;
mod time;

pub use routes::router;
pub use store::Store;

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Store,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(store))
        .with_graceful_shutdown(shutdown)
        .await
}
