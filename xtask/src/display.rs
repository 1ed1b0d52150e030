//! A virtual X display (Xvfb) and fresh XDG folders, for running the desktop app in tests and
//! benchmarks on a machine with no screen.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use anyhow::Context;

pub struct VirtualDisplay {
    xvfb: Child,
    pub display: String,
    home: PathBuf,
}

impl VirtualDisplay {
    pub fn start() -> anyhow::Result<VirtualDisplay> {
        // -displayfd: Xvfb picks a free display number and writes it to our pipe.
        let mut xvfb = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting Xvfb")?;
        let mut line = String::new();
        BufReader::new(xvfb.stdout.take().context("Xvfb's stdout")?).read_line(&mut line)?;
        let display = format!(":{}", line.trim());
        let home = std::env::temp_dir().join(format!("stint-xdg-{}", std::process::id()));
        for sub in ["runtime", "data", "config", "cache"] {
            std::fs::create_dir_all(home.join(sub))?;
        }
        run_quiet(Command::new("chmod").arg("700").arg(home.join("runtime")))?;
        Ok(VirtualDisplay {
            xvfb,
            display,
            home,
        })
    }

    /// `program` on this display, inside its own D-Bus session (keyring and tray calls hang
    /// without one).
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new("dbus-run-session");
        command
            .args(["--", program])
            .env("DISPLAY", &self.display)
            .env("XDG_RUNTIME_DIR", self.home.join("runtime"))
            .env("XDG_DATA_HOME", self.home.join("data"))
            .env("XDG_CONFIG_HOME", self.home.join("config"))
            .env("XDG_CACHE_HOME", self.home.join("cache"))
            .env_remove("WAYLAND_DISPLAY");
        command
    }
}

fn run_quiet(command: &mut Command) -> anyhow::Result<()> {
    crate::system::run(command.stdout(Stdio::null()))
}

impl Drop for VirtualDisplay {
    fn drop(&mut self) {
        let _ = self.xvfb.kill();
        let _ = self.xvfb.wait();
        let _ = std::fs::remove_dir_all(&self.home);
    }
}
