//! `cargo xtask test`: installs what the tests need, builds once, and runs every suite. Every
//! step runs even when an earlier one failed (except tests that need fresh binaries), so one run
//! shows everything that is broken.

use std::process::Command;
use std::time::Instant;

use crate::contract;
use crate::display::VirtualDisplay;
use crate::postgres::Postgres;
use crate::sqlx_data;
use crate::system::{
    self, cargo, ensure_cargo_tool, ensure_node, ensure_packages, npm, npm_install, run,
};
use crate::{root, target_dir};

/// The outcome of each step, in order.
#[derive(Default)]
struct Steps(Vec<(&'static str, anyhow::Result<()>)>);

impl Steps {
    fn record(&mut self, name: &'static str, result: anyhow::Result<()>) -> bool {
        let ok = result.is_ok();
        println!("xtask: {name}: {}", if ok { "ok" } else { "FAILED" });
        self.0.push((name, result));
        ok
    }

    fn finish(self, started: Instant) -> anyhow::Result<()> {
        let failed: Vec<_> = self
            .0
            .iter()
            .filter_map(|(name, r)| Some((name, r.as_ref().err()?)))
            .collect();
        for (name, error) in &failed {
            eprintln!("xtask: {name} failed: {error:#}");
        }
        println!(
            "xtask: finished in {} s; screenshots in {}",
            started.elapsed().as_secs(),
            root().join("target/e2e").display()
        );
        println!(
            "xtask: {} passed, {} failed",
            self.0.len() - failed.len(),
            failed.len()
        );
        if !failed.is_empty() {
            std::process::exit(1);
        }
        Ok(())
    }
}

pub fn test() -> anyhow::Result<()> {
    let started = Instant::now();
    let mut packages = system::BUILD_PACKAGES.to_vec();
    packages.extend(system::TEST_PACKAGES);
    ensure_packages(&packages)?;
    ensure_node()?;
    ensure_cargo_tool("tauri-driver", "tauri-driver")?;
    let ui = root().join("ui");
    let e2e = root().join("tests/e2e");
    npm_install(&ui)?;
    npm_install(&e2e)?;

    let mut steps = Steps::default();
    steps.record("UI type check", npm(&ui, &["run", "check"]));
    steps.record("UI unit tests", npm(&ui, &["test"]));
    // The desktop binary embeds the built UI, so the UI is built before cargo.
    let ui_built = steps.record("UI build", npm(&ui, &["run", "build"]));
    steps.record("rustfmt", cargo(&["fmt", "--all", "--check"], &[]));
    steps.record(
        "clippy",
        cargo(&["clippy", "--workspace", "--all-targets", "--quiet"], &[]),
    );
    let built = steps.record("build", cargo(&["build", "--workspace", "--bins"], &[]));
    match Postgres::start() {
        Ok(postgres) => {
            steps.record(
                "sqlx offline metadata matches the migrations",
                sqlx_data::prepare(&postgres, true),
            );
            steps.record("Rust tests (SQLite and PostgreSQL)", rust_tests(&postgres));
            let contract = if built {
                contract::contract(&postgres)
            } else {
                Err(anyhow::anyhow!("skipped: the build failed"))
            };
            steps.record(
                "API contract (schemathesis, SQLite and PostgreSQL)",
                contract,
            );
        }
        Err(error) => {
            steps.record("PostgreSQL for the tests", Err(error));
        }
    }

    if !(built && ui_built) {
        // Without fresh binaries the end-to-end tests would test stale code.
        steps.record(
            "end-to-end tests",
            Err(anyhow::anyhow!("skipped: the build failed")),
        );
        return steps.finish(started);
    }
    let bin_dir = target_dir().join("debug");
    let mut browser = Command::new("node");
    browser
        .args(["--test", "--test-force-exit", "browser.test.mjs"])
        .current_dir(&e2e)
        .env("STINT_BIN_DIR", &bin_dir);
    steps.record("browser e2e (Playwright + Chromium)", run(&mut browser));
    let desktop = VirtualDisplay::start().and_then(|display| {
        let mut command = display.command("node");
        command
            .args(["--test", "--test-force-exit", "desktop.test.mjs"])
            .current_dir(&e2e)
            .env("STINT_BIN_DIR", &bin_dir);
        run(&mut command)
    });
    steps.record("desktop e2e (tauri-driver + WebKit + tray)", desktop);
    steps.finish(started)
}

/// Every Rust test, with a throwaway PostgreSQL for the server's second backend.
fn rust_tests(postgres: &Postgres) -> anyhow::Result<()> {
    let env = [("STINT_TEST_DATABASE_URL", postgres.url.as_str())];
    if system::has_command("cargo-nextest") {
        cargo(&["nextest", "run", "--workspace", "--no-fail-fast"], &env)
    } else {
        cargo(&["test", "--workspace", "--no-fail-fast"], &env)
    }
}
