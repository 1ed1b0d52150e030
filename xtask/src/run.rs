//! `cargo xtask run`: a local workspace server on SQLite with the demo workspace, and the desktop
//! app signed in to it as a demo member. Data stays in `.stint/` for the next run.

use std::process::{Command, Stdio};

use anyhow::{bail, Context};

use crate::system::{self, build_ui, cargo, ensure_packages, run as run_command};
use crate::{root, target_dir};

const DEMO_EMAIL: &str = "ana@demo.stint.test";
const DEMO_PASSWORD: &str = "stint-demo";

pub fn run() -> anyhow::Result<()> {
    ensure_packages(system::BUILD_PACKAGES)?;
    build_ui()?;
    // The same build as `cargo xtask test`, so switching between the two rebuilds nothing.
    cargo(&["build", "--workspace", "--bins"], &[])?;
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        bail!(
            "no desktop session (DISPLAY / WAYLAND_DISPLAY unset): run this from a graphical login"
        );
    }
    let bin = target_dir().join("debug");
    let data = root().join(".stint");
    let server_dir = data.join("server");
    run_command(
        Command::new(bin.join("stint-server"))
            .arg("demo")
            .arg("--data-dir")
            .arg(&server_dir),
    )?;

    let port = free_port_from(7420)?;
    let url = format!("http://127.0.0.1:{port}");
    let mut server = Command::new(bin.join("stint-server"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(&server_dir)
        .stdout(Stdio::null())
        .spawn()
        .context("starting stint-server")?;
    println!(
        "xtask: workspace server at {url}; signing in as {DEMO_EMAIL} (password {DEMO_PASSWORD})"
    );
    let app = Command::new(bin.join("stint"))
        .arg("--data-dir")
        .arg(data.join("desktop"))
        .args(["--server", &url, "--sign-in-email", DEMO_EMAIL])
        .env("STINT_PASSWORD", DEMO_PASSWORD)
        .status();
    let _ = server.kill();
    let _ = server.wait();
    let status = app.context("starting the desktop app")?;
    if !status.success() {
        bail!("the desktop app exited with {status}");
    }
    Ok(())
}

/// 7420 when it is free, else the next free port above it.
fn free_port_from(first: u16) -> anyhow::Result<u16> {
    (first..first + 100)
        .find(|port| std::net::TcpListener::bind(("127.0.0.1", *port)).is_ok())
        .context("no free port between 7420 and 7519")
}
