//! The server's storage: one `Store` over SQLite (default, one file) or PostgreSQL, through
//! sqlx's `Any` driver so every query is written once. Queries use `$1`-style parameters, which
//! both backends accept; column types stick to TEXT and BIGINT. Each backend has its own
//! migrations folder, so backend-only features (RLS on PostgreSQL) can be added where they belong.

mod accounts;
mod demo;
mod sync;
mod tasks;

use std::path::Path;
use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, ConnectOptions};
use uuid::Uuid;

pub use accounts::{Caller, IssuedToken};
pub use demo::{DemoWorkspace, DEMO_PASSWORD};

use crate::error::ApiError;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// Opens (creating if needed) `stint.db` in `dir`.
    pub async fn open_sqlite_dir(dir: &Path) -> anyhow::Result<Store> {
        std::fs::create_dir_all(dir)?;
        let url = format!("sqlite://{}?mode=rwc", dir.join("stint.db").display());
        Store::connect(&url).await
    }

    /// Connects to `sqlite://…` or `postgres://…` and brings the schema up to date.
    pub async fn connect(url: &str) -> anyhow::Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            anyhow::bail!("unsupported database URL (use sqlite:// or postgres://)");
        };
        let options =
            AnyConnectOptions::from_str(url)?.log_statements(tracing::log::LevelFilter::Trace);
        let pool = AnyPoolOptions::new()
            // SQLite has one writer anyway; a small pool keeps readers off the writer's back.
            .max_connections(if backend == Backend::Sqlite { 4 } else { 10 })
            .connect_with(options)
            .await?;
        match backend {
            Backend::Sqlite => {
                // WAL lets readers run beside the writer; it is persistent in the file.
                sqlx::query("PRAGMA journal_mode = WAL")
                    .execute(&pool)
                    .await?;
                SQLITE_MIGRATIONS.run(&pool).await?;
            }
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        Ok(Store { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }
}

pub(crate) fn parse_id(text: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(text)
        .map_err(|_| ApiError::Internal(format!("stored id {text:?} is not a UUID")))
}

/// Bumps the workspace's change counter and returns the new change number. Call it first in a
/// writing transaction: the row lock it takes orders commits (and on SQLite takes the write lock
/// up front instead of failing to upgrade a read lock later).
pub(crate) async fn next_change(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    workspace_id: Uuid,
) -> Result<i64, ApiError> {
    let change: i64 = sqlx::query_scalar(
        "UPDATE workspaces SET last_change = last_change + 1 WHERE id = $1 RETURNING last_change",
    )
    .bind(workspace_id.to_string())
    .fetch_one(&mut **tx)
    .await?;
    Ok(change)
}
