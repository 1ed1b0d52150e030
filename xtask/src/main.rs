//! `cargo xtask <command>`: everything a newcomer or CI needs, from a fresh Debian/Ubuntu
//! machine. Each command installs what it is missing, then does its job.
//!
//! - `run`   — build, start a demo workspace server and open the desktop app signed in to it
//! - `test`  — every test: Rust (both database backends), UI unit tests, browser and desktop e2e
//! - `bench` — the desktop app's memory and start-up time, and the server under load on both
//!   database backends (`bench server` or `bench desktop` runs one part)
//! - `gen`   — regenerate the UI's TypeScript types from the Rust wire types
//! - `contract` — the API contract step of `test` alone: schemathesis against the server
//! - `sqlx-prepare` — refresh the storage crates' offline query metadata (`.sqlx/`)

mod bench;
mod contract;
mod display;
mod postgres;
mod run;
mod server_bench;
mod sqlx_data;
mod sync_bench;
mod system;
mod test;

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("run") => run::run(),
        Some("test") => test::test(),
        Some("bench") => bench::bench(args.get(1).map(String::as_str)),
        Some("contract") => contract::command(),
        Some("sqlx-prepare") => sqlx_data::prepare(&postgres::Postgres::start()?, false),
        Some("gen") => system::cargo(
            &["test", "-p", "stint-api", "--test", "typescript_fresh"],
            &[("STINT_WRITE_GENERATED", "1")],
        ),
        _ => {
            eprintln!(
                "usage: cargo xtask run | test | bench [server | desktop] | gen | contract | \
                 sqlx-prepare"
            );
            std::process::exit(2);
        }
    }
}

/// The repository's top folder. Read at run time (cargo sets CARGO_MANIFEST_DIR for `cargo run`):
/// a binary built from another checkout sharing the target directory must not act on that one.
pub fn root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .parent()
        .expect("xtask lives in the repository")
        .to_path_buf()
}

/// Where cargo puts binaries for this run.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}
