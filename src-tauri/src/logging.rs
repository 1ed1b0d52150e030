//! The desktop's log. A tray app has no console to look at after something went wrong, so it
//! writes one file a day into the OS log folder and keeps the last week; started from a
//! terminal, it writes to stderr as well. `RUST_LOG` picks the level (default `info`).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

const FILE_PREFIX: &str = "stint";
const FILE_SUFFIX: &str = "log";
const DAYS_KEPT: usize = 7;

/// Starts logging into `dir` (Tauri's `app_log_dir`). Without a usable folder the log goes to
/// stderr only, whether or not it is a terminal, rather than nowhere.
pub fn init(dir: Option<PathBuf>) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let appender = match &dir {
        Some(dir) => open_log_file(dir),
        None => Err("the OS gives no log folder for this user".to_string()),
    };
    let (file_layer, file_error) = match appender {
        Ok(appender) => (
            Some(fmt::layer().with_ansi(false).with_writer(appender)),
            None,
        ),
        Err(error) => (None, Some(error)),
    };
    let to_stderr = std::io::stderr().is_terminal() || file_error.is_some();
    let stderr_layer = to_stderr.then(|| fmt::layer().with_writer(std::io::stderr));
    // Fails only if a logger is already set; the first one stays.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(file_layer)
        .with(stderr_layer)
        .try_init();
    if let Some(error) = file_error {
        tracing::warn!(%error, "no log file; logging to stderr only");
    } else if let Some(dir) = dir {
        let pattern = format!("{FILE_PREFIX}.<YYYY-MM-DD>.{FILE_SUFFIX}");
        tracing::info!("logging to {}", dir.join(pattern).display());
    }
}

fn open_log_file(dir: &Path) -> Result<RollingFileAppender, String> {
    // tracing-appender looks for old files to remove before it creates the folder, and says so
    // on stderr at the first start: make the folder first.
    std::fs::create_dir_all(dir).map_err(|error| error.to_string())?;
    RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(FILE_PREFIX)
        .filename_suffix(FILE_SUFFIX)
        .max_log_files(DAYS_KEPT)
        .build(dir)
        .map_err(|error| error.to_string())
}
