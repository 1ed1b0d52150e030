//! `cargo xtask bench server`: `stint-server` under load, on SQLite and on PostgreSQL in one run
//! so the two compare. The load generator is the `server-bench` binary of the tests crate
//! (`tests/src/bin/server-bench/`); this builds it and the server in release mode, starts a
//! throwaway PostgreSQL with a fresh database, and hands both to it. The server processes are
//! the load generator's children and die with it; PostgreSQL is stopped when this returns.

use std::process::Command;

use crate::postgres::Postgres;
use crate::system::{cargo, ensure_packages, run};
use crate::target_dir;

/// What building the server and the load generator needs (the tests crate links stint-client,
/// whose keyring talks D-Bus).
pub const PACKAGES: &[&str] = &["build-essential", "pkg-config", "libdbus-1-dev"];

/// The release binaries `run` uses, as cargo arguments.
pub const BINARIES: &[&str] = &[
    "-p",
    "stint-server",
    "-p",
    "stint-tests",
    "--bin",
    "stint-server",
    "--bin",
    "server-bench",
];

/// Builds the binaries, then runs the bench.
pub fn build_and_run() -> anyhow::Result<()> {
    ensure_packages(PACKAGES)?;
    let mut build = vec!["build", "--release"];
    build.extend(BINARIES);
    cargo(&build, &[])?;
    run_built()
}

/// Runs the bench on binaries built by this run (see `BINARIES`).
pub fn run_built() -> anyhow::Result<()> {
    let postgres = Postgres::start()?;
    let database_url = postgres.create_database("stint_bench")?;
    let release = target_dir().join("release");
    run(Command::new(release.join("server-bench"))
        .arg(release.join("stint-server"))
        .arg(&database_url))
}
