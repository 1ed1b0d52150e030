//! Helpers for the cross-component tests: a real `stint-server` process on loopback.

pub mod fault_proxy;
pub mod live;

use std::ffi::OsString;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A binary built by this workspace, next to the running test's own `deps/` folder.
pub fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build the workspace first (cargo build --workspace)",
        path.display()
    );
    path
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Where a server process keeps its data.
pub enum Database {
    /// SQLite, `stint.db` in this folder (`--data-dir`).
    SqliteDir(PathBuf),
    /// PostgreSQL at this URL (`--database-url`).
    Url(String),
}

impl Database {
    fn args(&self) -> Vec<OsString> {
        match self {
            Database::SqliteDir(dir) => vec!["--data-dir".into(), dir.into()],
            Database::Url(url) => vec!["--database-url".into(), url.into()],
        }
    }
}

impl Database {
    /// The databases a cross-component test runs a server on: SQLite in a folder under `dir`,
    /// and a fresh PostgreSQL database on the server at STINT_TEST_DATABASE_URL (`cargo xtask
    /// test` starts one); without it the test fails unless STINT_SKIP_POSTGRES=1.
    pub fn each(dir: &Path) -> Vec<(&'static str, Database)> {
        let sqlite = dir.join("sqlite");
        std::fs::create_dir_all(&sqlite).unwrap();
        let mut databases = vec![("sqlite", Database::SqliteDir(sqlite))];
        match std::env::var("STINT_TEST_DATABASE_URL") {
            Ok(admin) => databases.push(("postgres", Database::Url(fresh_postgres(&admin)))),
            Err(_) if std::env::var("STINT_SKIP_POSTGRES").is_ok() => {
                eprintln!("STINT_SKIP_POSTGRES is set: PostgreSQL is NOT tested");
            }
            Err(_) => panic!(
                "set STINT_TEST_DATABASE_URL (cargo xtask test does) or STINT_SKIP_POSTGRES=1"
            ),
        }
        databases
    }

    /// Copies the database to `to` (the server stopped, for SQLite; `pg_dump` for PostgreSQL).
    pub fn backup(&self, to: &Path) {
        match self {
            Database::SqliteDir(dir) => copy_files(dir, to),
            Database::Url(url) => {
                let dump = to.join("dump");
                std::fs::create_dir_all(to).unwrap();
                run_tool(
                    Command::new("pg_dump")
                        .args(["-Fc", "-f"])
                        .arg(&dump)
                        .arg(url),
                );
            }
        }
    }

    /// Puts the database back as `backup` copied it (the server stopped): on PostgreSQL the
    /// database is dropped, created again and restored with `pg_restore`.
    pub fn restore(&self, from: &Path) {
        match self {
            Database::SqliteDir(dir) => {
                std::fs::remove_dir_all(dir).unwrap();
                copy_files(from, dir);
            }
            Database::Url(url) => {
                let (admin, name) = url.rsplit_once('/').unwrap();
                let admin = format!("{admin}/postgres");
                run_tool(Command::new("psql").args([
                    &admin,
                    "-qc",
                    &format!("DROP DATABASE {name}"),
                ]));
                run_tool(Command::new("psql").args([
                    &admin,
                    "-qc",
                    &format!("CREATE DATABASE {name}"),
                ]));
                run_tool(
                    Command::new("pg_restore")
                        .args(["-d", url])
                        .arg(from.join("dump")),
                );
            }
        }
    }
}

fn fresh_postgres(admin_url: &str) -> String {
    let name = format!("stint_e2e_{}", uuid::Uuid::now_v7().simple());
    run_tool(Command::new("psql").args([admin_url, "-qc", &format!("CREATE DATABASE {name}")]));
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("a database URL ends in /dbname");
    format!("{base}/{name}")
}

fn copy_files(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for file in std::fs::read_dir(from).unwrap() {
        let file = file.unwrap();
        std::fs::copy(file.path(), to.join(file.file_name())).unwrap();
    }
}

fn run_tool(command: &mut Command) {
    let output = command.output().expect("running a PostgreSQL tool");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `stint-server serve` on loopback, killed when dropped.
pub struct ServerProcess {
    child: Child,
    pub url: String,
}

impl ServerProcess {
    /// Creates the demo workspace in `data_dir` (idempotent) and serves it on `port`.
    pub fn start(data_dir: &Path, port: u16) -> anyhow::Result<ServerProcess> {
        let database = Database::SqliteDir(data_dir.to_path_buf());
        ServerProcess::start_on(&database, port)
    }

    /// Creates the demo workspace in `database` (idempotent) and serves it on `port`.
    pub fn start_on(database: &Database, port: u16) -> anyhow::Result<ServerProcess> {
        ServerProcess::start_binary(&workspace_binary("stint-server"), database, 0, port)
    }

    /// Like `start`, with a given `stint-server` binary (a release build for the bench), either
    /// backend, and `members` more demo members (`stint-server demo --members`).
    pub fn start_binary(
        server: &Path,
        database: &Database,
        members: u32,
        port: u16,
    ) -> anyhow::Result<ServerProcess> {
        let demo = ["--members".to_string(), members.to_string()];
        ServerProcess::start_with_demo(server, database, &demo, port)
    }

    /// Like `start_binary`, with any `stint-server demo` options (`--entries 100000` …).
    pub fn start_with_demo(
        server: &Path,
        database: &Database,
        demo_args: &[String],
        port: u16,
    ) -> anyhow::Result<ServerProcess> {
        let demo = Command::new(server)
            .arg("demo")
            .args(database.args())
            .args(demo_args)
            .stdout(Stdio::null())
            .status()?;
        anyhow::ensure!(demo.success(), "stint-server demo failed");
        let child = Command::new(server)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(database.args())
            // `STINT_SERVER_LOG` (a `RUST_LOG` filter) shows more when a test or bench needs it.
            .env(
                "RUST_LOG",
                std::env::var("STINT_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .spawn()?;
        let mut process = ServerProcess {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        process.wait_healthy()?;
        Ok(process)
    }

    fn wait_healthy(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                anyhow::bail!("stint-server exited early: {status}");
            }
            if std::net::TcpStream::connect(self.url.trim_start_matches("http://")).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        anyhow::bail!("stint-server did not start listening within 20 s")
    }

    /// The server's process id, to read its memory.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stop(mut self) {
        self.kill();
    }

    /// SIGKILL, keeping the handle (to start another server in its place).
    pub fn stop_now(&mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A `Desk` on `data_dir` that keeps its token in memory (no keyring in these tests).
pub fn open_desk(data_dir: &Path, device_name: &str) -> stint_client::Desk {
    open_desk_with_clock(data_dir, device_name, stint_client::Clock::system())
}

/// Like `open_desk`, with the device's own clock (one that is off, say).
pub fn open_desk_with_clock(
    data_dir: &Path,
    device_name: &str,
    clock: stint_client::Clock,
) -> stint_client::Desk {
    stint_client::Desk::open(stint_client::DeskConfig {
        data_dir: data_dir.to_path_buf(),
        use_keyring: false,
        device_name: device_name.into(),
        clock,
    })
    .expect("opening the local store")
}

/// Every demo user's password.
pub const DEMO_PASSWORD: &str = "stint-demo";

/// A user's entries as the server has them, read through the sync API by a fresh device: a
/// snapshot, page after page, then the change log until nothing more waits.
pub async fn entries_on_server(url: &str, email: &str) -> Vec<stint_api::rest::Entry> {
    use stint_api::sync::{PullResponse, PROTOCOL_VERSION};
    let http = reqwest::Client::new();
    let credentials =
        serde_json::json!({ "email": email, "password": DEMO_PASSWORD, "device_name": "checker" });
    let signed_in: serde_json::Value = http
        .post(format!("{url}/api/v1/auth/token"))
        .json(&credentials)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .expect("signing in as the checker")
        .json()
        .await
        .unwrap();
    let workspace = signed_in["workspaces"][0]["id"].as_str().unwrap();
    let token = signed_in["token"].as_str().unwrap();
    let mut entries = std::collections::BTreeMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("protocol_version", PROTOCOL_VERSION.to_string())];
        if let Some(cursor) = &cursor {
            query.push(("cursor", cursor.clone()));
        }
        let page: PullResponse = http
            .get(format!("{url}/api/v1/workspaces/{workspace}/sync/pull"))
            .query(&query)
            .bearer_auth(token)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("pulling")
            .json()
            .await
            .unwrap();
        for entry in page.entries {
            entries.insert(entry.id, entry);
        }
        for gone in page.removed {
            entries.remove(&gone.id);
        }
        cursor = Some(page.cursor);
        if !page.more {
            return entries.into_values().collect();
        }
    }
}
