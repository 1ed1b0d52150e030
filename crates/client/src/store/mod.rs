//! The device's local store: one SQLite file (WAL) behind one mutex, so there is exactly one
//! writer. Every timer transition commits (with `synchronous = FULL`) together with its outbox
//! mutation before the caller hears "done": a crash right after loses nothing acknowledged.

mod issues;
mod schema;
mod sync;
mod timer;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension};
use stint_api::rest::{Task, TimeSettings};
use uuid::Uuid;

use crate::error::StoreError;

pub use issues::StoredIssue;
pub(crate) use sync::server_entry;
pub use sync::{PullApplied, Stream};
pub use timer::{ActiveTimer, EntryReview};

pub struct LocalStore {
    conn: Mutex<Connection>,
}

/// Keys of the `settings` table.
pub mod keys {
    pub const DEVICE_ID: &str = "device_id";
    pub const SESSION: &str = "session";
    pub const CURSOR: &str = "sync_cursor";
    /// The stream the outbox is numbered on (one per device, workspace and epoch).
    pub const STREAM_ID: &str = "stream_id";
    /// The last seq handed out on the stream.
    pub const LAST_SEQ: &str = "last_seq";
    /// The highest seq of the stream the server has acknowledged: a server answering lower
    /// lost what it acknowledged (restored from a backup).
    pub const ACKED_SEQ: &str = "acked_seq";
    /// Set while a snapshot pull runs (its pages confirm what the server has).
    pub const SNAPSHOT: &str = "snapshot_running";
    /// Server clock minus device clock, in milliseconds, learned at each sync.
    pub const CLOCK_OFFSET_MS: &str = "clock_offset_ms";
    /// "Your timer was stopped: …" (`timer_notice`), from the event stream or a pull, until the
    /// user acts on the timer.
    pub const TIMER_NOTICE: &str = "timer_notice";
    /// T9: since when the user is away from the running timer (RFC 3339), while they are.
    pub const AWAY_SINCE: &str = "idle_away_since";
    /// T9: the time away to ask about (JSON `Away` with the timer's id), until answered.
    pub const IDLE_PROMPT: &str = "idle_prompt";
    /// T9: the user was told that this desktop shows no idle time.
    pub const NO_IDLE_SOURCE_TOLD: &str = "no_idle_source_told";
    /// T10: the running timer's Pomodoro (JSON: its timer's id and `stint_domain::Pomodoro`).
    pub const POMODORO: &str = "pomodoro";
    /// T4: a stop made in the tray or by the shortcut whose review the window has yet to ask
    /// (JSON: what to ask, and the entry as the stop left it).
    pub const ASKED_REVIEW: &str = "asked_review";
    /// D5: the global shortcut ("off" when turned off; unset: `DEFAULT_SHORTCUT`).
    pub const SHORTCUT: &str = "shortcut";
    /// D5: why the shortcut was turned off by the shell.
    pub const SHORTCUT_PROBLEM: &str = "shortcut_problem";
    pub const LAST_SYNCED_AT: &str = "last_synced_at";
    pub const OFFLINE_SINCE: &str = "offline_since";
    pub const LAST_ERROR: &str = "last_sync_error";
    /// The user's teams as the last pull said (a JSON array of ids).
    pub const MY_TEAMS: &str = "my_team_ids";
    /// The workspace's time settings as the last pull brought them (JSON).
    pub const TIME_SETTINGS: &str = "time_settings";
    /// `user id:workspace id` of the last workspace chosen: the next sign-in of that user
    /// opens it again (kept through signing out).
    pub const LAST_WORKSPACE: &str = "last_workspace";
}

impl LocalStore {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<LocalStore, StoreError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError::Corrupt(format!("creating {}: {e}", parent.display())))?;
        }
        let mut conn = Connection::open(path)?;
        // For a new store only (an existing one keeps its size): a snapshot writes 100,000
        // entries, and larger pages took a sixth less time to write them.
        conn.pragma_update(None, "page_size", 16384)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        schema::migrate(&mut conn)?;
        let store = LocalStore {
            conn: Mutex::new(conn),
        };
        if store.setting(keys::DEVICE_ID)?.is_none() {
            store.set_setting(keys::DEVICE_ID, &Uuid::now_v7().to_string())?;
        }
        Ok(store)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves no half-done transaction (SQLite rolls back),
        // so the connection is still good; it may have panicked in a write that does not wait
        // for the disk (`sync::without_waiting_for_disk`), so local changes wait for it again.
        self.conn.lock().unwrap_or_else(|poisoned| {
            let conn = poisoned.into_inner();
            if let Err(error) = conn.pragma_update(None, "synchronous", "FULL") {
                tracing::error!(%error, "could not restore synchronous = FULL");
            }
            self.conn.clear_poison();
            conn
        })
    }

    pub fn device_id(&self) -> Result<Uuid, StoreError> {
        let text = self.setting(keys::DEVICE_ID)?.unwrap_or_default();
        Uuid::parse_str(&text).map_err(|_| StoreError::Corrupt("device id".into()))
    }

    /// The id the server gave this installation for the user signing in (only once nothing of
    /// the previous user waits to be pushed).
    pub fn set_device_id(&self, id: Uuid) -> Result<(), StoreError> {
        self.set_setting(keys::DEVICE_ID, &id.to_string())
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        text_setting(&self.conn(), key)
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        put_setting(&self.conn(), key, value)
    }

    pub fn delete_setting(&self, key: &str) -> Result<(), StoreError> {
        self.conn()
            .execute("DELETE FROM settings WHERE key = ?1", params![key])?;
        Ok(())
    }

    /// Replaces or adds tasks in the local cache.
    pub fn save_tasks(&self, tasks: &[Task]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for task in tasks {
            save_task(&tx, task)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// All cached tasks, by title.
    pub fn tasks(&self) -> Result<Vec<Task>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT json FROM tasks ORDER BY title COLLATE NOCASE")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|json| Ok(serde_json::from_str(&json?)?)).collect()
    }

    /// The user's teams as the last pull said.
    pub fn my_team_ids(&self) -> Result<Vec<Uuid>, StoreError> {
        match text_setting(&self.conn(), keys::MY_TEAMS)? {
            Some(json) => Ok(serde_json::from_str(&json)?),
            None => Ok(Vec::new()),
        }
    }

    /// The workspace's time settings as the last sync brought them; the spec's defaults before.
    pub fn time_settings(&self) -> Result<TimeSettings, StoreError> {
        time_settings(&self.conn())
    }

    /// Keeps the settings the server answered a change with (the next pull brings them too).
    pub fn set_time_settings(&self, settings: &TimeSettings) -> Result<(), StoreError> {
        put_setting(
            &self.conn(),
            keys::TIME_SETTINGS,
            &serde_json::to_string(settings)?,
        )
    }

    /// The tasks of the timer and of the latest entries (the last 200: the list is read at
    /// every refresh of the window), latest first.
    pub fn recent_task_ids(&self, limit: usize) -> Result<Vec<Uuid>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT task_id FROM ( \
                 SELECT task_id, 1 AS timer, 0 AS started_at FROM timer \
                 UNION ALL \
                 SELECT task_id, 0, started_at \
                 FROM (SELECT task_id, started_at FROM entries ORDER BY started_at DESC LIMIT 200)) \
             GROUP BY task_id ORDER BY max(timer) DESC, max(started_at) DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map(params![limit as i64], |r| r.get::<_, String>(0))?;
        rows.map(|id| {
            let id = id?;
            Uuid::parse_str(&id).map_err(|_| StoreError::Corrupt(format!("task id {id:?}")))
        })
        .collect()
    }

    pub fn task(&self, id: Uuid) -> Result<Option<Task>, StoreError> {
        task(&self.conn(), id)
    }

    /// Forgets everything of the signed-in user (tasks, time, outbox), keeping the device id.
    pub fn clear_user_data(&self) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for table in [
            "timer",
            "entries",
            "outbox",
            "sync_issues",
            "tasks",
            "snapshot_tasks",
        ] {
            tx.execute(&format!("DELETE FROM {table}"), [])?;
        }
        for key in [
            keys::SESSION,
            keys::CURSOR,
            keys::STREAM_ID,
            keys::LAST_SEQ,
            keys::ACKED_SEQ,
            keys::SNAPSHOT,
            keys::TIMER_NOTICE,
            keys::LAST_SYNCED_AT,
            keys::OFFLINE_SINCE,
            keys::LAST_ERROR,
            keys::MY_TEAMS,
            keys::TIME_SETTINGS,
            keys::AWAY_SINCE,
            keys::IDLE_PROMPT,
            keys::POMODORO,
            keys::ASKED_REVIEW,
        ] {
            tx.execute("DELETE FROM settings WHERE key = ?1", params![key])?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// What the user is told when someone else stopped or paused (`what`) their timer, `by` naming
/// who ("by Ada Admin").
pub fn timer_notice(what: &str, by: &str) -> String {
    format!("Your timer was {what}: {by}.")
}

fn time_settings(conn: &Connection) -> Result<TimeSettings, StoreError> {
    match text_setting(conn, keys::TIME_SETTINGS)? {
        Some(json) => Ok(serde_json::from_str(&json)?),
        None => Ok(TimeSettings::default()),
    }
}

/// A setting, read inside whatever transaction `conn` is in.
fn text_setting(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row(params![key], |r| r.get(0))
        .optional()?)
}

fn int_setting(conn: &Connection, key: &str) -> Result<Option<i64>, StoreError> {
    text_setting(conn, key)?
        .map(|v| {
            v.parse()
                .map_err(|_| StoreError::Corrupt(format!("setting {key} is {v:?}")))
        })
        .transpose()
}

fn put_setting(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}

fn task(conn: &Connection, id: Uuid) -> Result<Option<Task>, StoreError> {
    let json: Option<String> = conn
        .query_row(
            "SELECT json FROM tasks WHERE id = ?1",
            params![id.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    json.map(|json| Ok(serde_json::from_str(&json)?))
        .transpose()
}

fn save_task(conn: &Connection, task: &Task) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO tasks (id, title, json) VALUES (?1, ?2, ?3) \
         ON CONFLICT (id) DO UPDATE SET title = excluded.title, json = excluded.json",
    )?
    .execute(params![
        task.id.to_string(),
        task.title,
        serde_json::to_string(task)?
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests;
