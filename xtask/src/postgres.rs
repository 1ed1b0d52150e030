//! A throwaway PostgreSQL cluster for the tests, from the machine's packages, in its own
//! temporary data directory on a free loopback port. Stopped and removed when dropped.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

use crate::system::{ensure_packages, is_root, run};

pub struct Postgres {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    pub url: String,
}

/// The newest installed PostgreSQL's bin folder, installing the server package if none is.
fn bin_dir() -> anyhow::Result<PathBuf> {
    let newest = || -> Option<PathBuf> {
        let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok())
            .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
            .filter(|(_, bin)| bin.join("pg_ctl").exists())
            .collect();
        versions.sort();
        versions.pop().map(|(_, bin)| bin)
    };
    if let Some(bin) = newest() {
        return Ok(bin);
    }
    ensure_packages(&["postgresql"])?;
    newest().context("PostgreSQL was installed but pg_ctl is not under /usr/lib/postgresql/*/bin")
}

/// PostgreSQL refuses to run as root: as root, run its tools as the `postgres` user.
fn as_postgres(program: &Path) -> Command {
    let mut command = if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    };
    // Somewhere the postgres user may enter (not the caller's folder, which may be private).
    command.current_dir("/");
    command
}

impl Postgres {
    pub fn start() -> anyhow::Result<Postgres> {
        let bin = bin_dir()?;
        let dir = std::env::temp_dir().join(format!("stint-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        if is_root() {
            run(Command::new("chown").arg("postgres").arg(&dir))?;
        }
        let data = dir.join("data");
        run(as_postgres(&bin.join("initdb"))
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
            .arg(&data)
            .stdout(std::process::Stdio::null()))?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let options = format!(
            "-k {} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            dir.display()
        );
        run(as_postgres(&bin.join("pg_ctl"))
            .args(["-w", "-D"])
            .arg(&data)
            .args(["-o", &options, "-l"])
            .arg(dir.join("log"))
            .arg("start"))?;
        let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
        println!("xtask: PostgreSQL at {url}");
        if !data.exists() {
            bail!("PostgreSQL data directory {} is missing", data.display());
        }
        Ok(Postgres {
            bin,
            dir,
            port,
            url,
        })
    }
}

impl Postgres {
    /// Creates an empty database in the cluster; its URL.
    pub fn create_database(&self, name: &str) -> anyhow::Result<String> {
        run(as_postgres(&self.bin.join("createdb"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
            ])
            .arg(name))?;
        Ok(format!(
            "postgres://postgres@127.0.0.1:{}/{name}",
            self.port
        ))
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = as_postgres(&self.bin.join("pg_ctl"))
            .args(["-m", "immediate", "-D"])
            .arg(self.dir.join("data"))
            .arg("stop")
            .stdout(std::process::Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
