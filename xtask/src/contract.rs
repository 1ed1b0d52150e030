//! The API contract: schemathesis (PyPI) against the real `stint-server serve`, once on SQLite
//! and once on PostgreSQL, with all its checks. It sends what the OpenAPI document at
//! `/api/openapi.json` says is valid and what it says is not, and fails on any answer the
//! document does not describe: a status, a content type, a body, a 500.
//!
//! schemathesis lives in a virtualenv outside the clone (`~/.cache/stint/venv`), reused while it
//! holds the pinned version. A pinned version: a newer one may bring new checks, which should
//! arrive as a change to this file, not as a red CI run out of nowhere.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::postgres::Postgres;
use crate::system::{self, ensure_packages, run};
use crate::target_dir;

const SCHEMATHESIS_VERSION: &str = "4.32.5";

/// Test cases per operation and phase: a minute or two per backend on a two-core machine. At
/// 150, a negative `cursor` that the server took was found in one run of two; at 300, in three
/// of three.
const MAX_EXAMPLES: &str = "300";

/// A run that takes longer has hung; it is killed and counts as a failure. A whole run took
/// 450–520 s per backend on CI's two cores with 59 operations, and passed 600 s with 61 (each
/// operation is fuzzed for about 10–20 s): the deadline is a guard against a hang, not a budget.
const RUN_DEADLINE: Duration = Duration::from_secs(20 * 60);

/// The demo workspace (`stint-server demo`), its admin, and its members Ana and Ben.
const DEMO_WORKSPACE: &str = "01900000-0000-7000-8000-000000000001";
const DEMO_ADMIN: &str = "admin@demo.stint.test";
const DEMO_EMAIL: &str = "ana@demo.stint.test";
const DEMO_BEN_ID: &str = "01900000-0000-7000-8000-000000000103";
const DEMO_ANA_ID: &str = "01900000-0000-7000-8000-000000000102";
/// The demo's public team, led by Ana, Ben a member: the team operations act on it (deleting
/// it is left to ids of no team, so that the others keep reaching it).
const DEMO_TEAM: &str = "01900000-0000-7000-8000-000000000401";
const DEMO_PASSWORD: &str = "stint-demo";

/// `cargo xtask contract`: builds the server and runs the contract step alone.
pub fn command() -> anyhow::Result<()> {
    system::cargo(&["build", "-p", "stint-server"], &[])?;
    contract(&Postgres::start()?)
}

/// The contract step on both backends. Both run even when the first fails.
pub fn contract(postgres: &Postgres) -> anyhow::Result<()> {
    let schemathesis = install_schemathesis()?;
    let scratch = std::env::temp_dir().join(format!("stint-contract-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)?;

    let sqlite_dir = scratch.join("sqlite");
    let sqlite_dir = sqlite_dir.to_string_lossy();
    let sqlite = check_backend(
        "SQLite",
        &schemathesis,
        &scratch.join("on-sqlite"),
        &["--data-dir", &sqlite_dir],
    );
    let postgresql = postgres.create_database("stint_contract").and_then(|url| {
        check_backend(
            "PostgreSQL",
            &schemathesis,
            &scratch.join("on-postgres"),
            &["--database-url", &url],
        )
    });

    if std::env::var_os("STINT_KEEP_CONTRACT").is_none() {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    match (sqlite, postgresql) {
        (Ok(()), Ok(())) => Ok(()),
        (sqlite, postgresql) => {
            let outcome = |result: anyhow::Result<()>| match result {
                Ok(()) => "ok".to_string(),
                Err(error) => format!("{error:#}"),
            };
            bail!(
                "the API does not keep its contract. SQLite: {}. PostgreSQL: {}",
                outcome(sqlite),
                outcome(postgresql)
            )
        }
    }
}

/// The schemathesis command in the virtualenv, installed there when missing or another version.
fn install_schemathesis() -> anyhow::Result<PathBuf> {
    let venv = cache_dir().join("venv");
    let schemathesis = venv.join("bin/schemathesis");
    if has_version(&schemathesis) {
        return Ok(schemathesis);
    }
    println!(
        "xtask: installing schemathesis {SCHEMATHESIS_VERSION} into {}",
        venv.display()
    );
    // Debian's python3 makes virtualenvs only with python3-venv.
    let has_venv = Command::new("python3")
        .args(["-c", "import ensurepip, venv"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !has_venv {
        ensure_packages(&["python3", "python3-venv"])?;
    }
    // A virtualenv left by another Python or a broken install is made anew.
    let _ = std::fs::remove_dir_all(&venv);
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    run(Command::new(venv.join("bin/pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        &format!("schemathesis=={SCHEMATHESIS_VERSION}"),
    ]))?;
    if !has_version(&schemathesis) {
        bail!(
            "{} is not schemathesis {SCHEMATHESIS_VERSION} after installing it",
            schemathesis.display()
        );
    }
    Ok(schemathesis)
}

fn cache_dir() -> PathBuf {
    let home = std::env::var_os("HOME").map_or_else(std::env::temp_dir, PathBuf::from);
    home.join(".cache/stint")
}

fn has_version(schemathesis: &Path) -> bool {
    Command::new(schemathesis)
        .arg("--version")
        .output()
        .is_ok_and(|output| {
            output.status.success()
                && String::from_utf8_lossy(&output.stdout)
                    .trim()
                    .ends_with(&format!("version {SCHEMATHESIS_VERSION}"))
        })
}

/// One backend: a fresh demo workspace, a server on a free loopback port, schemathesis against it.
fn check_backend(
    backend: &str,
    schemathesis: &Path,
    dir: &Path,
    database: &[&str],
) -> anyhow::Result<()> {
    println!("xtask: the API contract on {backend}");
    std::fs::create_dir_all(dir)?;
    let server_bin = target_dir().join("debug/stint-server");
    run(Command::new(&server_bin)
        .arg("demo")
        .args(database)
        .stdout(Stdio::null()))?;
    let server = Server::start(&server_bin, database, &dir.join("server.log"))?;
    let result = run_schemathesis(schemathesis, dir, server.addr);
    if result.is_err() {
        server.print_log_problems();
    }
    result
}

fn run_schemathesis(schemathesis: &Path, dir: &Path, addr: SocketAddr) -> anyhow::Result<()> {
    // Signing out (DELETE /auth/token) revokes the token it is sent: that operation gets a token
    // of its own, so the others stay signed in. The event stream never ends by design, so each
    // generated request would wait out the timeout: it is left out here, and its answers
    // (stream, 401, 404) are tested in crates/server/tests/events.rs.
    //
    // The admin's personal access token reaches every endpoint, and outlives whatever the run
    // does to devices (signing them out, signing in again on one of the admin's, whose ids the
    // run learns from `GET /devices`). Pushing needs a device: Ana's, whose id the run never
    // sees. An admin signing a member out, and role and member changes, act on Ben, so that
    // the admin keeps the admin role.
    let admin_device_token = sign_in(addr, DEMO_ADMIN)?;
    let token = personal_token(addr, &admin_device_token)?;
    let push_token = sign_in(addr, DEMO_EMAIL)?;
    let sign_out_token = sign_in(addr, DEMO_EMAIL)?;
    // Every request names the demo workspace, so that it gets past the membership check to the
    // handler (another workspace answers 404, tested in crates/server/tests). A plain value, not
    // a dictionary mixed with generated ones: the coverage phase, which probes every boundary,
    // ignores dictionaries. Ana's credentials in half of the sign-ins, so that their answers
    // are checked too.
    let teams = team_operations();
    let references_checked = references_checked_operations();
    let config = format!(
        r#"headers = {{ Authorization = "Bearer {token}" }}
# A body over its endpoint's size limit is refused with 413 before it is read: no body that
# fits the schema is that large.
checks.negative_data_rejection.expected-statuses = {REJECTED}

[dictionaries]
email = {{ values = ["{DEMO_EMAIL}"] }}
password = {{ values = ["{DEMO_PASSWORD}"] }}

[parameters]
"path.workspace_id" = "{DEMO_WORKSPACE}"
"body.email" = {{ dictionary = "email", probability = 0.5 }}
"body.password" = {{ dictionary = "password", probability = 0.5 }}

[[operations]]
include-name = "DELETE /api/v1/auth/token"
headers = {{ Authorization = "Bearer {sign_out_token}" }}

[[operations]]
include-name = "POST /api/v1/workspaces/{{workspace_id}}/sync/push"
headers = {{ Authorization = "Bearer {push_token}" }}

[[operations]]
include-name = "DELETE /api/v1/workspaces/{{workspace_id}}/members/{{user_id}}/devices"
parameters = {{ "path.user_id" = "{DEMO_BEN_ID}" }}
phases.stateful.enabled = false

[[operations]]
include-name = "PUT /api/v1/workspaces/{{workspace_id}}/members/{{user_id}}/roles"
parameters = {{ "path.user_id" = "{DEMO_BEN_ID}" }}
checks.positive_data_acceptance.expected-statuses = {REFERENCES_CHECKED}

[[operations]]
include-name = "PATCH /api/v1/workspaces/{{workspace_id}}/members/{{user_id}}"
parameters = {{ "path.user_id" = "{DEMO_BEN_ID}" }}
checks.positive_data_acceptance.expected-statuses = {REFERENCES_CHECKED}

[[operations]]
include-name = "PATCH /api/v1/workspaces/{{workspace_id}}/time/settings"
checks.positive_data_acceptance.expected-statuses = {SETTINGS_CHECKED}

{teams}{references_checked}[[operations]]
include-name = "GET /api/v1/workspaces/{{workspace_id}}/members/{{user_id}}/filters"
parameters = {{ "path.user_id" = "{DEMO_BEN_ID}" }}

[[operations]]
include-name = "PUT /api/v1/workspaces/{{workspace_id}}/members/{{user_id}}/filters"
parameters = {{ "path.user_id" = "{DEMO_BEN_ID}" }}
checks.positive_data_acceptance.expected-statuses = {REFERENCES_CHECKED}

[[operations]]
include-name = "GET /api/v1/workspaces/{{workspace_id}}/events"
enabled = false
"#
    );
    let config_file = dir.join("schemathesis.toml");
    std::fs::write(&config_file, config)?;
    let started = Instant::now();
    let mut child = Command::new(schemathesis)
        .arg("--config-file")
        .arg(&config_file)
        .args(["run", &format!("http://{addr}/api/openapi.json")])
        .args(["--checks", "all", "--max-examples", MAX_EXAMPLES])
        .args(["--request-timeout", "30"])
        // Its example database and cache go here, not into the clone.
        .current_dir(dir)
        .spawn()
        .context("starting schemathesis")?;
    let status = wait_until(&mut child, started + RUN_DEADLINE)?;
    println!("xtask: schemathesis took {} s", started.elapsed().as_secs());
    match status {
        Some(status) if status.success() => Ok(()),
        Some(status) => bail!("schemathesis found failures ({status})"),
        None => bail!(
            "schemathesis did not finish in {} s",
            RUN_DEADLINE.as_secs()
        ),
    }
}

/// Waits for `child` until `deadline`; past it, kills it and answers `None`.
fn wait_until(child: &mut Child, deadline: Instant) -> anyhow::Result<Option<ExitStatus>> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The team operations act on the demo team, a member's on Ben; making a team names Ana as its
/// lead. Their bodies refer to ids a schema cannot check. Deleting a team gets ids of no team:
/// in the stateful phase it would learn the demo team's id from a listing and delete it, and
/// the other operations would find no team from then on.
fn team_operations() -> String {
    let team = format!(r#""path.team_id" = "{DEMO_TEAM}""#);
    let ben = format!(r#"{team}, "path.user_id" = "{DEMO_BEN_ID}""#);
    let operations = [
        (
            "POST /teams",
            format!(r#""body.lead_id" = "{DEMO_ANA_ID}""#),
        ),
        ("PATCH /teams/{team_id}", team.clone()),
        ("POST /teams/{team_id}/roles", team.clone()),
        ("PUT /teams/{team_id}/roles/{role_id}", team.clone()),
        ("DELETE /teams/{team_id}/roles/{role_id}", team.clone()),
        ("PUT /teams/{team_id}/members/{user_id}", ben.clone()),
        ("DELETE /teams/{team_id}/members/{user_id}", ben),
    ];
    let prefix = "/api/v1/workspaces/{workspace_id}";
    let mut config = format!(
        "[[operations]]\ninclude-name = \"GET {prefix}/teams/{{team_id}}\"\nparameters = {{ {team} }}\n\n\
         [[operations]]\ninclude-name = \"DELETE {prefix}/teams/{{team_id}}\"\n\
         phases.stateful.enabled = false\n\
         checks.positive_data_acceptance.expected-statuses = {REFERENCES_CHECKED}\n\n"
    );
    for (operation, parameters) in operations {
        let (method, path) = operation.split_once(' ').unwrap();
        config += &format!(
            "[[operations]]\ninclude-name = \"{method} {prefix}{path}\"\nparameters = {{ {parameters} }}\n\
             checks.positive_data_acceptance.expected-statuses = {REFERENCES_CHECKED}\n\n"
        );
    }
    config
}

/// The operations whose bodies refer to other objects, with nothing else to set: 400 is a
/// valid answer to them (`REFERENCES_CHECKED`).
fn references_checked_operations() -> String {
    let operations = [
        "POST /api/v1/tokens",
        "POST {prefix}/invitations",
        "POST {prefix}/groups",
        "PUT {prefix}/groups/{group_id}",
        "DELETE {prefix}/groups/{group_id}",
        "PUT {prefix}/entries/{entry_id}/team",
        "POST {prefix}/projects",
        "PATCH {prefix}/projects/{project_id}",
        "POST {prefix}/tasks",
        "PATCH {prefix}/tasks/{task_id}",
        "PUT {prefix}/tasks/{task_id}/assignees",
    ];
    let mut config = String::new();
    for operation in operations {
        let operation = operation.replace("{prefix}", "/api/v1/workspaces/{workspace_id}");
        config += &format!(
            "[[operations]]\ninclude-name = \"{operation}\"\n\
             checks.positive_data_acceptance.expected-statuses = {REFERENCES_CHECKED}\n\n"
        );
    }
    config
}

/// What schemathesis accepts for well-formed requests (its default), plus 400 for operations
/// whose body refers to other objects or instants that a schema cannot check: a role id that is
/// not the workspace's, a manager who is not a member, an expiry in the past, an email without
/// an `@`, a team lead who is not a member, a secured team while the workspace allows none,
/// a team to log an entry to that does not exist, two overrules of one page, a group with
/// members deleted, a project or project leader that is not the workspace's, one assignee named
/// twice.
const REFERENCES_CHECKED: &str =
    r#"["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]"#;

/// What schemathesis accepts for well-formed time settings, plus 422 for the values a schema
/// range cannot single out: a rounding of 7 minutes (only 0, 5, 6, 15 and 30 are taken), an
/// automatic status of `draft`.
const SETTINGS_CHECKED: &str =
    r#"["2xx", "3xx", "400", "401", "403", "404", "409", "422", "429", "5xx"]"#;

/// What schemathesis accepts for malformed requests (its default), plus 413 for a body too large.
const REJECTED: &str = r#"["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]"#;

/// A bearer token for a demo user, from `POST /api/v1/auth/token`.
fn sign_in(addr: SocketAddr, email: &str) -> anyhow::Result<String> {
    let body = serde_json::json!({
        "email": email,
        "password": DEMO_PASSWORD,
        "device_name": "xtask contract",
    });
    token_from(addr, "/api/v1/auth/token", None, &body)
}

/// A personal access token of the user `token` signs in.
fn personal_token(addr: SocketAddr, token: &str) -> anyhow::Result<String> {
    let body = serde_json::json!({ "name": "xtask contract" });
    token_from(addr, "/api/v1/tokens", Some(token), &body)
}

/// POSTs `body` to `path` and answers the `token` of the JSON answer.
fn token_from(
    addr: SocketAddr,
    path: &str,
    bearer: Option<&str>,
    body: &serde_json::Value,
) -> anyhow::Result<String> {
    let body = body.to_string();
    let authorization = bearer
        .map(|token| format!("Authorization: Bearer {token}\r\n"))
        .unwrap_or_default();
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         {authorization}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .with_context(|| format!("POST {path}: no HTTP answer"))?;
    if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.1 201") {
        bail!("POST {path} failed: {head} {body}");
    }
    let answer: serde_json::Value =
        serde_json::from_str(body).with_context(|| format!("POST {path}: not JSON"))?;
    answer["token"]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("POST {path}: no token in the answer"))
}

/// A `stint-server serve` of ours, killed when dropped (also when the step fails).
struct Server {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Server {
    fn start(bin: &Path, database: &[&str], log: &Path) -> anyhow::Result<Server> {
        let addr = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let log_file = std::fs::File::create(log)?;
        let child = Command::new(bin)
            .args(["serve", "--listen", &addr.to_string()])
            .args(database)
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut server = Server {
            child,
            addr,
            log: log.to_path_buf(),
        };
        server.wait_until_listening()?;
        Ok(server)
    }

    /// The server listens once its migrations have run.
    fn wait_until_listening(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if TcpStream::connect(self.addr).is_ok() {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                self.print_log_problems();
                bail!("stint-server exited before listening: {status}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.print_log_problems();
        bail!("stint-server did not listen on {} within 60 s", self.addr)
    }

    /// The server's warnings and errors: where the cause of a 500 is.
    fn print_log_problems(&self) {
        const LINES: usize = 40;
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let problems: Vec<&str> = log
            .lines()
            .filter(|line| line.contains("ERROR") || line.contains("WARN"))
            .collect();
        println!("xtask: warnings and errors in {}:", self.log.display());
        for line in &problems[problems.len().saturating_sub(LINES)..] {
            println!("  {line}");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
