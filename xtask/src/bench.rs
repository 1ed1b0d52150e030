//! `cargo xtask bench [server | desktop | sync]`: numbers measured on release builds (a debug
//! build's numbers say little about what users get). Prints numbers; no targets are asserted.
//! - `desktop` — the desktop app's footprint (`tests/e2e/bench.mjs`, under Xvfb)
//! - `server`  — `stint-server` under load on both backends (see `server_bench`)
//! - `sync`    — sync against TimeTagger's, side by side (see `sync_bench`)
//!
//! Without a part, all run, desktop first.

use anyhow::bail;

use crate::display::VirtualDisplay;
use crate::server_bench;
use crate::sync_bench;
use crate::system::{self, build_ui, cargo, ensure_packages, npm_install, run};
use crate::{root, target_dir};

pub fn bench(part: Option<&str>) -> anyhow::Result<()> {
    match part {
        Some("server") => server_bench::build_and_run(),
        Some("sync") => sync_bench::build_and_run(),
        Some("desktop") => {
            prepare_desktop()?;
            build_release(&["-p", "stint-server", "-p", "stint-desktop"])?;
            desktop()
        }
        None => {
            prepare_desktop()?;
            // One build for both parts: separate builds would compile shared crates twice.
            let mut binaries = vec!["-p", "stint-desktop", "--bin", "stint"];
            binaries.extend(server_bench::BINARIES);
            build_release(&binaries)?;
            let desktop = desktop();
            if let Err(error) = &desktop {
                eprintln!("xtask: desktop bench failed: {error:#}");
            }
            server_bench::run_built()?;
            sync_bench::build_and_run()?;
            desktop
        }
        Some(other) => bail!("unknown bench {other:?}: expected `server`, `desktop` or `sync`"),
    }
}

fn build_release(binaries: &[&str]) -> anyhow::Result<()> {
    let mut args = vec!["build", "--release"];
    args.extend(binaries);
    cargo(&args, &[])
}

/// Packages, the built UI (the desktop binary embeds it) and the e2e tests' node modules.
fn prepare_desktop() -> anyhow::Result<()> {
    let mut packages = system::BUILD_PACKAGES.to_vec();
    packages.extend(system::TEST_PACKAGES);
    ensure_packages(&packages)?;
    build_ui()?;
    npm_install(&root().join("tests/e2e"))
}

/// The desktop app's footprint: start-up time to tray-ready, resident memory, idle CPU.
fn desktop() -> anyhow::Result<()> {
    let display = VirtualDisplay::start()?;
    let mut command = display.command("node");
    command
        .arg("bench.mjs")
        .current_dir(root().join("tests/e2e"))
        .env("STINT_BIN_DIR", target_dir().join("release"));
    run(&mut command)
}
