//! `cargo xtask sqlx-prepare`: refreshes the offline query metadata (`.sqlx/`) of the two storage
//! crates, so that they build without a database (CI, a newcomer). sqlx checks each `query!`
//! against a live database of its backend at compile time; this starts a throwaway PostgreSQL
//! and a temporary SQLite file, applies each crate's migrations, and rebuilds the crate against
//! them with `SQLX_OFFLINE_DIR` set, which makes sqlx write one file per query.
//!
//! `cargo xtask test` runs the same in check mode: the metadata it writes into a temporary
//! folder must equal the committed one, or the committed queries do not match the migrations.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use anyhow::{bail, Context};

use crate::postgres::Postgres;
use crate::root;
use crate::system::run;

struct StorageCrate {
    package: &'static str,
    dir: PathBuf,
}

fn storage_crates() -> [StorageCrate; 2] {
    let crates = root().join("crates");
    [
        StorageCrate {
            package: "stint-storage-sqlite",
            dir: crates.join("storage-sqlite"),
        },
        StorageCrate {
            package: "stint-storage-postgres",
            dir: crates.join("storage-postgres"),
        },
    ]
}

/// Writes fresh metadata into each crate's `.sqlx/` (check: into a temporary folder, compared).
pub fn prepare(postgres: &Postgres, check: bool) -> anyhow::Result<()> {
    let scratch = std::env::temp_dir().join(format!("stint-sqlx-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)?;
    let [sqlite, pg] = storage_crates();

    let sqlite_file = scratch.join("prepare.db");
    let connection = rusqlite::Connection::open(&sqlite_file)?;
    for migration in migrations(&sqlite.dir)? {
        connection
            .execute_batch(&std::fs::read_to_string(&migration)?)
            .with_context(|| format!("applying {}", migration.display()))?;
    }
    drop(connection);
    let sqlite_url = format!("sqlite://{}", sqlite_file.display());

    let pg_url = postgres.create_database("stint_sqlx_prepare")?;
    for migration in migrations(&pg.dir)? {
        postgres.psql_file(&pg_url, &migration)?;
    }

    let mut stale = Vec::new();
    for (krate, url) in [(&sqlite, &sqlite_url), (&pg, &pg_url)] {
        let out = if check {
            scratch.join(krate.package)
        } else {
            krate.dir.join(".sqlx")
        };
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out)?;
        // The macros run again only when cargo sees the source change.
        touch_all(&krate.dir.join("src"))?;
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        run(Command::new(cargo)
            .args(["check", "--quiet", "-p", krate.package])
            .current_dir(root())
            .env("DATABASE_URL", url)
            .env("SQLX_OFFLINE", "false")
            .env("SQLX_OFFLINE_DIR", &out))?;
        if check && file_set(&out)? != file_set(&krate.dir.join(".sqlx"))? {
            stale.push(krate.package);
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    if !stale.is_empty() {
        bail!(
            "the committed .sqlx metadata of {} does not match the queries and migrations; \
             run `cargo xtask sqlx-prepare` and commit the result",
            stale.join(", ")
        );
    }
    Ok(())
}

fn migrations(crate_dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(crate_dir.join("migrations"))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.sort();
    Ok(files)
}

/// (file name, contents) of every file in `dir`, sorted.
fn file_set(dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into();
        files.push((name, std::fs::read_to_string(&path)?));
    }
    files.sort();
    Ok(files)
}

/// Marks every file under `dir` (its subfolders too) modified now.
fn touch_all(dir: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            touch_all(&path)?;
        } else {
            std::fs::File::options()
                .append(true)
                .open(&path)?
                .set_modified(SystemTime::now())?;
        }
    }
    Ok(())
}
