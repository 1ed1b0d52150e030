//! Commands, system packages and tools.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context};

/// What building the desktop app needs (see shared/LINUX-DESKTOP-TESTING.md).
pub const BUILD_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "libssl-dev",
    "libwebkit2gtk-4.1-dev",
    "libjavascriptcoregtk-4.1-dev",
    "libsoup-3.0-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "libxdo-dev",
    "libdbus-1-dev",
    // T9: X11's screen-saver extension, the idle time on X11 desktops.
    "libxss-dev",
    "curl",
];

/// What the tests need besides: a display, a session bus with a keyring, WebDriver, Chromium,
/// screenshots.
pub const TEST_PACKAGES: &[&str] = &[
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "dbus",
    "dbus-x11",
    "gnome-keyring",
    "at-spi2-core",
    "imagemagick",
    "x11-utils",
    "xdotool",
    // tests/e2e/grab-key.py: another app holding a global shortcut.
    "python3",
    "chromium",
    "chromium-driver",
];

/// Runs a command, failing with its name when it fails.
pub fn run(command: &mut Command) -> anyhow::Result<()> {
    let status = command
        .status()
        .with_context(|| format!("starting {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed: {status}");
    }
    Ok(())
}

pub fn cargo(args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<()> {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.args(args).current_dir(crate::root());
    for (key, value) in env {
        command.env(key, value);
    }
    run(&mut command)
}

pub fn npm(dir: &Path, args: &[&str]) -> anyhow::Result<()> {
    run(Command::new("npm").args(args).current_dir(dir))
}

pub fn has_command(name: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {name} >/dev/null 2>&1")])
        .status()
        .is_ok_and(|s| s.success())
}

pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

/// Installs the Debian/Ubuntu packages that are missing (apt-get update first).
pub fn ensure_packages(packages: &[&str]) -> anyhow::Result<()> {
    if !has_command("dpkg-query") {
        bail!(
            "this set-up knows Debian and Ubuntu; install the equivalents of {packages:?} by hand"
        );
    }
    let missing: Vec<&str> = packages.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!("xtask: installing {}", missing.join(" "));
    let sudo: &[&str] = if is_root() { &[] } else { &["sudo"] };
    let apt = |args: &[&str]| {
        let mut command = Command::new(sudo.first().copied().unwrap_or("apt-get"));
        if !sudo.is_empty() {
            command.arg("apt-get");
        }
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        run(&mut command)
    };
    apt(&["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend(&missing);
    apt(&args)
}

/// Node.js with npm, new enough for Vite (20.19+).
pub fn ensure_node() -> anyhow::Result<()> {
    if !has_command("node") || !has_command("npm") {
        ensure_packages(&["nodejs", "npm"])?;
    }
    let version = Command::new("node").arg("--version").output()?;
    let version = String::from_utf8_lossy(&version.stdout);
    let major: u32 = version
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()
        .unwrap_or("0")
        .parse()
        .unwrap_or(0);
    if major < 20 {
        bail!("Node.js {version} is too old for the UI build: install Node.js 20.19 or newer");
    }
    Ok(())
}

/// `npm ci` when node_modules is missing or older than the lock file.
pub fn npm_install(dir: &Path) -> anyhow::Result<()> {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let lock = modified(&dir.join("package-lock.json"));
    let installed = modified(&dir.join("node_modules/.package-lock.json"));
    if installed.is_none() || installed < lock {
        npm(dir, &["ci", "--no-audit", "--no-fund"])?;
    }
    Ok(())
}

pub fn build_ui() -> anyhow::Result<()> {
    ensure_node()?;
    let ui = crate::root().join("ui");
    npm_install(&ui)?;
    npm(&ui, &["run", "build"])
}

pub fn ensure_cargo_tool(binary: &str, krate: &str) -> anyhow::Result<()> {
    if !has_command(binary) {
        cargo(&["install", krate, "--locked"], &[])?;
    }
    Ok(())
}
