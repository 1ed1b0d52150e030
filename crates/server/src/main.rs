//! `stint-server`: serve the workspace API, or create the demo workspace.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use std::sync::Arc;

use stint_server::service::demo;
use stint_server::Passwords;
use stint_storage::Storage;

#[derive(Parser)]
#[command(name = "stint-server", version, about = "Stint's workspace server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the REST and sync API.
    Serve {
        #[arg(long, default_value = "127.0.0.1:7420")]
        listen: SocketAddr,
        #[command(flatten)]
        database: Database,
    },
    /// Create the demo workspace (again: nothing changes) and print its users.
    Demo {
        #[command(flatten)]
        database: Database,
    },
}

#[derive(Args)]
#[group(multiple = false)]
struct Database {
    /// Keep the SQLite database `stint.db` in this folder (the default: ./stint-data).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Use PostgreSQL instead: postgres://user:password@host/db
    #[arg(long)]
    database_url: Option<String>,
    /// PostgreSQL connections this instance may hold.
    #[arg(long, default_value_t = stint_server::DEFAULT_POSTGRES_CONNECTIONS)]
    max_connections: u32,
}

impl Database {
    async fn open(&self) -> anyhow::Result<Arc<dyn Storage>> {
        match (&self.database_url, &self.data_dir) {
            (Some(url), _) => stint_server::connect(url, self.max_connections)
                .await
                .context("connecting to the database"),
            (None, dir) => {
                let dir = dir.clone().unwrap_or_else(|| PathBuf::from("stint-data"));
                stint_server::open_sqlite_dir(&dir)
                    .await
                    .with_context(|| format!("opening the database in {}", dir.display()))
            }
        }
    }
}

/// Ctrl+C or SIGTERM (systemd, container stop): finish the requests under way, then exit.
async fn shutdown_signal() {
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = sigterm() => {}
    }
}

#[cfg(unix)]
async fn sigterm() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut signal) => {
            signal.recv().await;
        }
        Err(_) => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn sigterm() {
    std::future::pending().await
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    match Cli::parse().command {
        Command::Serve { listen, database } => {
            let storage = database.open().await?;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("listening on {listen}"))?;
            tracing::info!(
                backend = storage.backend(),
                "stint-server listening on http://{}",
                listener.local_addr()?
            );
            stint_server::serve(listener, storage, shutdown_signal()).await?;
        }
        Command::Demo { database } => {
            let storage = database.open().await?;
            let demo = demo::seed(&*storage, &Passwords::new()).await?;
            println!("Demo workspace \"{}\" ({})", demo.name, demo.workspace_id);
            for (email, name, role) in &demo.users {
                println!("  {email:<24} {name:<12} {role}");
            }
            println!("Password for all: {}", demo.password);
        }
    }
    Ok(())
}
