//! Helpers for the cross-component tests: a real `stint-server` process on loopback.

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

/// `stint-server serve` on loopback, killed when dropped.
pub struct ServerProcess {
    child: Child,
    pub url: String,
}

impl ServerProcess {
    /// Creates the demo workspace in `data_dir` (idempotent) and serves it on `port`.
    pub fn start(data_dir: &Path, port: u16) -> anyhow::Result<ServerProcess> {
        let database = Database::SqliteDir(data_dir.to_path_buf());
        ServerProcess::start_binary(&workspace_binary("stint-server"), &database, 0, port)
    }

    /// Like `start`, with a given `stint-server` binary (a release build for the bench), either
    /// backend, and `members` more demo members (`stint-server demo --members`).
    pub fn start_binary(
        server: &Path,
        database: &Database,
        members: u32,
        port: u16,
    ) -> anyhow::Result<ServerProcess> {
        let demo = Command::new(server)
            .arg("demo")
            .args(database.args())
            .args(["--members", &members.to_string()])
            .stdout(Stdio::null())
            .status()?;
        anyhow::ensure!(demo.success(), "stint-server demo failed");
        let child = Command::new(server)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(database.args())
            .env("RUST_LOG", "warn")
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

    pub fn stop(mut self) {
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
