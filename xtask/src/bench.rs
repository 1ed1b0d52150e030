//! `cargo xtask bench`: the desktop app's footprint, measured on a release build (a debug build's
//! numbers say little about what users get). Prints numbers; no targets yet.

use crate::display::VirtualDisplay;
use crate::system::{self, build_ui, cargo, ensure_packages, npm_install, run};
use crate::{root, target_dir};

pub fn bench() -> anyhow::Result<()> {
    let mut packages = system::BUILD_PACKAGES.to_vec();
    packages.extend(system::TEST_PACKAGES);
    ensure_packages(&packages)?;
    build_ui()?;
    let e2e = root().join("tests/e2e");
    npm_install(&e2e)?;
    cargo(
        &[
            "build",
            "--release",
            "-p",
            "stint-server",
            "-p",
            "stint-desktop",
        ],
        &[],
    )?;
    let display = VirtualDisplay::start()?;
    let mut command = display.command("node");
    command
        .arg("bench.mjs")
        .current_dir(&e2e)
        .env("STINT_BIN_DIR", target_dir().join("release"));
    run(&mut command)
}
