//! `cargo xtask bench sync`: Stint's sync against TimeTagger's, side by side in one run (the
//! `sync-bench` binary of the tests crate, `tests/src/bin/sync-bench/`). This installs TimeTagger
//! from PyPI, pinned, into a venv in the target folder, builds the server and the bench in
//! release mode, starts a throwaway PostgreSQL with a fresh database, and hands all three over.

use std::process::Command;

use crate::postgres::Postgres;
use crate::system::{cargo, ensure_packages, run};
use crate::target_dir;

/// The TimeTagger release compared against: pinned, so a run compares with the same thing.
const TIMETAGGER: &str = "timetagger==26.1.3";

const PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "libdbus-1-dev",
    "python3-venv",
];

pub fn build_and_run() -> anyhow::Result<()> {
    ensure_packages(PACKAGES)?;
    cargo(
        &[
            "build",
            "--release",
            "-p",
            "stint-server",
            "-p",
            "stint-tests",
            "--bin",
            "stint-server",
            "--bin",
            "sync-bench",
        ],
        &[],
    )?;
    let venv = target_dir().join("bench-venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    }
    run(Command::new(&python).args(["-m", "pip", "install", "--quiet", TIMETAGGER]))?;
    let postgres = Postgres::start()?;
    let database_url = postgres.create_database("stint_sync_bench")?;
    let release = target_dir().join("release");
    run(Command::new(release.join("sync-bench"))
        .arg(release.join("stint-server"))
        .arg(&python)
        .arg(&database_url))
}
