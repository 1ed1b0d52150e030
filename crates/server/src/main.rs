//! `stint-server`: serve the workspace API, or create the demo workspace.

use std::net::SocketAddr;
use std::num::{NonZeroU64, NonZeroUsize};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};
use stint_server::service::demo;
use stint_server::{EdgeLimits, Passwords};
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
        #[command(flatten)]
        edge: Edge,
        /// `json` writes one JSON object per line, for a log collector.
        #[arg(long, value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,
    },
    /// Create the demo workspace (again: nothing changes) and print its users.
    Demo {
        #[command(flatten)]
        database: Database,
        /// Also add this many members (member001@demo.stint.test …), e.g. for load tests.
        #[arg(long, default_value_t = 0)]
        members: u32,
        /// Also add this many one-minute entries for ana@demo.stint.test, e.g. for the sync bench.
        #[arg(long, default_value_t = 0)]
        entries: u32,
        /// Also make a second workspace, "Demo Studio", with the admin and Ana in it: a user in
        /// two workspaces chooses one in the desktop app.
        #[arg(long)]
        second_workspace: bool,
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
    /// PostgreSQL connections this instance may hold (its pool size).
    #[arg(long, default_value_t = stint_server::DEFAULT_POSTGRES_CONNECTIONS)]
    postgres_pool_size: u32,
}

impl Database {
    async fn open(&self) -> anyhow::Result<Arc<dyn Storage>> {
        match (&self.database_url, &self.data_dir) {
            (Some(url), _) => stint_server::connect(url, self.postgres_pool_size)
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

/// What a client may take of the server; each flag defaults to `EdgeLimits::default()`.
#[derive(Args)]
struct Edge {
    /// Connections served at once (default 1024); more wait until one closes.
    #[arg(long)]
    max_connections: Option<NonZeroUsize>,
    /// Seconds a client has to send a request's headers (default 10); also the keep-alive idle time.
    #[arg(long, value_name = "SECONDS")]
    header_timeout: Option<NonZeroU64>,
    /// Seconds a request body may pause (default 30).
    #[arg(long, value_name = "SECONDS")]
    body_timeout: Option<NonZeroU64>,
    /// Seconds from a request's headers to its answer (default 60).
    #[arg(long, value_name = "SECONDS")]
    request_timeout: Option<NonZeroU64>,
}

impl Edge {
    fn limits(&self) -> EdgeLimits {
        let default = EdgeLimits::default();
        let seconds = |flag: Option<NonZeroU64>, default: Duration| {
            flag.map_or(default, |seconds| Duration::from_secs(seconds.get()))
        };
        EdgeLimits {
            max_connections: self
                .max_connections
                .map_or(default.max_connections, NonZeroUsize::get),
            header_read_timeout: seconds(self.header_timeout, default.header_read_timeout),
            body_read_timeout: seconds(self.body_timeout, default.body_read_timeout),
            request_timeout: seconds(self.request_timeout, default.request_timeout),
            sse_heartbeat: default.sse_heartbeat,
            runaway_sweep: default.runaway_sweep,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => logs.init(),
        // The request's span (method, route, request id, status, latency) on every line.
        LogFormat::Json => logs
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

/// Each connection is a file descriptor: the usual soft limit (1024) would be reached before
/// `max_connections` plus the database's files. The soft limit may be raised up to the hard one
/// without privileges.
fn raise_open_files_limit(limits: &EdgeLimits) {
    /// Descriptors besides connections: the listener, the database, logs.
    const RESERVE: u64 = 64;
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(open_files) if open_files < limits.max_connections as u64 + RESERVE => {
            tracing::warn!(
                open_files,
                max_connections = limits.max_connections,
                "the open files limit is below --max-connections; expect `Too many open files`"
            );
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "could not raise the open files limit"),
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
    match Cli::parse().command {
        Command::Serve {
            listen,
            database,
            edge,
            log_format,
        } => {
            init_logging(log_format);
            let limits = edge.limits();
            raise_open_files_limit(&limits);
            let storage = database.open().await?;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("listening on {listen}"))?;
            tracing::info!(
                backend = storage.backend(),
                "stint-server listening on http://{}",
                listener.local_addr()?
            );
            stint_server::serve_with(listener, storage, limits, shutdown_signal()).await?;
        }
        Command::Demo {
            database,
            members,
            entries,
            second_workspace,
        } => {
            init_logging(LogFormat::Text);
            let storage = database.open().await?;
            let passwords = Passwords::new();
            let demo = demo::seed(&*storage, &passwords).await?;
            demo::add_members(&*storage, &passwords, members).await?;
            demo::add_entries(&*storage, entries).await?;
            if second_workspace {
                let (id, name) = demo::add_second_workspace(&*storage).await?;
                println!("Demo workspace \"{name}\" ({id}): the admin and Ana");
            }
            println!("Demo workspace \"{}\" ({})", demo.name, demo.workspace_id);
            for (email, name, role) in &demo.users {
                println!("  {email:<24} {name:<12} {role}");
            }
            println!("Password for all: {}", demo.password);
        }
    }
    Ok(())
}
