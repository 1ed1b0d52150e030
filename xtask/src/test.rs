//! `cargo xtask test`: installs what the tests need, builds once, and runs every suite. Every
//! step runs even when an earlier one failed, so one run shows everything that is broken.

use std::process::Command;
use std::time::Instant;

use crate::display::VirtualDisplay;
use crate::postgres::Postgres;
use crate::system::{
    self, cargo, ensure_cargo_tool, ensure_node, ensure_packages, npm, npm_install, run,
};
use crate::{root, target_dir};

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

    let mut results: Vec<(&str, anyhow::Result<()>)> = Vec::new();
    let mut step = |name: &'static str, result: anyhow::Result<()>| {
        println!(
            "xtask: {name}: {}",
            if result.is_ok() { "ok" } else { "FAILED" }
        );
        results.push((name, result));
    };

    step("UI type check", npm(&ui, &["run", "check"]));
    step("UI unit tests", npm(&ui, &["test"]));
    // The desktop binary embeds the built UI, so the UI is built before cargo.
    step("UI build", npm(&ui, &["run", "build"]));
    step("rustfmt", cargo(&["fmt", "--all", "--check"], &[]));
    step(
        "clippy",
        cargo(&["clippy", "--workspace", "--all-targets", "--quiet"], &[]),
    );
    step("build", cargo(&["build", "--workspace", "--bins"], &[]));

    let postgres = Postgres::start();
    let rust_tests = postgres
        .as_ref()
        .map_err(|e| anyhow::anyhow!("PostgreSQL: {e}"))
        .and_then(|pg| {
            let env = [("STINT_TEST_DATABASE_URL", pg.url.as_str())];
            if system::has_command("cargo-nextest") {
                cargo(&["nextest", "run", "--workspace", "--no-fail-fast"], &env)
            } else {
                cargo(&["test", "--workspace", "--no-fail-fast"], &env)
            }
        });
    step("Rust tests (SQLite and PostgreSQL)", rust_tests);
    drop(postgres);

    let bin_dir = target_dir().join("debug");
    let node_test = |file: &str| {
        let mut command = Command::new("node");
        command
            .args(["--test", file])
            .current_dir(&e2e)
            .env("STINT_BIN_DIR", &bin_dir);
        command
    };
    step(
        "browser e2e (Playwright + Chromium)",
        run(&mut node_test("browser.test.mjs")),
    );
    let desktop = VirtualDisplay::start().and_then(|display| {
        let mut command = display.command("node");
        command
            .args(["--test", "desktop.test.mjs"])
            .current_dir(&e2e)
            .env("STINT_BIN_DIR", &bin_dir);
        run(&mut command)
    });
    step("desktop e2e (tauri-driver + WebKit + tray)", desktop);

    let failed: Vec<_> = results.iter().filter(|(_, r)| r.is_err()).collect();
    for (name, result) in &failed {
        if let Err(error) = result {
            eprintln!("xtask: {name} failed: {error:#}");
        }
    }
    println!(
        "xtask: finished in {} s; screenshots in {}",
        started.elapsed().as_secs(),
        root().join("target/e2e").display()
    );
    println!(
        "xtask: {} passed, {} failed",
        results.len() - failed.len(),
        failed.len()
    );
    if !failed.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}
