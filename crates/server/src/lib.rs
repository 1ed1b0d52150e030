//! Stint's workspace server: the REST API and sync endpoints over one storage (SQLite or
//! PostgreSQL, chosen at start-up). `main.rs` is the command line; everything else is here so
//! tests can start it. Layers, top to bottom: `routes` (HTTP) → `policy` (who may) → `service`
//! (the rules) → `stint_storage::Storage` (one interface, two databases).

pub mod edge;
pub mod error;
pub mod events;
mod json_check;
pub mod policy;
pub mod routes;
pub mod service;
mod time;

use std::path::Path;
use std::sync::Arc;

pub use edge::EdgeLimits;
pub use routes::{openapi, router, AppState};
pub use service::passwords::Passwords;
use stint_storage::{Storage, StorageError};
use stint_storage_postgres::PostgresStorage;
use stint_storage_sqlite::SqliteStorage;

/// How long start-up waits for the live-update hub to hear events before serving anyway.
const LISTEN_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

/// PostgreSQL connections per server instance unless `--postgres-pool-size` says otherwise.
pub const DEFAULT_POSTGRES_CONNECTIONS: u32 = 20;

/// Opens `stint.db` in `dir` (created if needed).
pub async fn open_sqlite_dir(dir: &Path) -> Result<Arc<dyn Storage>, StorageError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| StorageError::Other(format!("creating {}: {e}", dir.display())))?;
    Ok(Arc::new(SqliteStorage::open(&dir.join("stint.db")).await?))
}

/// Opens `sqlite://path/to/file.db` or connects to `postgres://…`, and brings the schema up to
/// date. This is the one place the backend is chosen.
pub async fn connect(
    url: &str,
    postgres_connections: u32,
) -> Result<Arc<dyn Storage>, StorageError> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap_or(path);
        return Ok(Arc::new(SqliteStorage::open(Path::new(path)).await?));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(
            PostgresStorage::connect(url, postgres_connections).await?,
        ));
    }
    Err(StorageError::Other(
        "unsupported database URL (use sqlite:// or postgres://)".into(),
    ))
}

/// The whole application: the routes with their state, wrapped in the edge's layers (timeouts,
/// request ids, logging, body limits, JSON errors), and the live-update hub it publishes to.
pub fn app(storage: Arc<dyn Storage>, limits: &EdgeLimits) -> (axum::Router, events::Events) {
    let events = events::Events::start(storage.clone(), limits.sse_heartbeat);
    let state = AppState {
        storage,
        passwords: Passwords::new(),
        sign_in_limits: Default::default(),
        events: events.clone(),
        read_ahead: Default::default(),
    };
    (edge::layers(router(state), limits), events)
}

/// Serves the API on `listener` with the default `EdgeLimits` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    storage: Arc<dyn Storage>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, storage, EdgeLimits::default(), shutdown).await
}

/// Serves the API on `listener` with these limits until `shutdown` resolves.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    storage: Arc<dyn Storage>,
    limits: EdgeLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (app, events) = app(storage.clone(), &limits);
    // On PostgreSQL, events reach even this instance's devices only once its LISTEN is in
    // place: wait for that (briefly; streams opened before it are told `changed` once it is).
    if tokio::time::timeout(LISTEN_PATIENCE, events.ready())
        .await
        .is_err()
    {
        tracing::warn!("not listening for live-update events yet; serving anyway");
    }
    let watchdog = tokio::spawn(service::control::watch_runaways(
        storage,
        events.clone(),
        limits.runaway_sweep,
    ));
    // Event streams never end by themselves: end them, so shutdown can wait for the rest.
    let shutdown = async move {
        shutdown.await;
        watchdog.abort();
        events.close();
    };
    edge::serve(listener, app, limits, shutdown).await
}
