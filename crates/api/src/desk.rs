//! The desktop command surface: what the UI sends to `Desk` (through Tauri IPC or the HTTP
//! bridge) and what it gets back.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::rest::{Entry, Task, User, Workspace};
use crate::{Segment, TimerState};

/// Every call the UI can make. Serialized as `{ "method": "...", "args": {...} }`.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "method", content = "args", rename_all = "snake_case")]
pub enum DeskCall {
    Session,
    SignIn {
        server_url: String,
        email: String,
        password: String,
    },
    SignOut,
    Tasks,
    StartWork {
        task_id: Uuid,
    },
    Pause,
    Resume,
    Stop,
    CurrentTimer,
    WeekEntries,
    SyncNow,
    SyncStatus,
}

/// Who is signed in, where, and where the device token is kept (D4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Session {
    pub server_url: String,
    pub user: User,
    pub workspace: Workspace,
    pub token_storage: TokenStorage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TokenStorage {
    /// The OS keyring (Secret Service, Keychain, Credential Manager).
    Keyring,
    /// No keyring service: the token lives in memory for this run only.
    Memory,
}

/// The running or paused timer with what the UI shows beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CurrentTimer {
    pub timer_id: Uuid,
    pub task: Task,
    pub state: TimerState,
    pub started_at: DateTime<Utc>,
    /// Counted seconds at `as_of`; the UI adds the time since while `state` is running.
    #[ts(type = "number")]
    pub elapsed_secs: i64,
    pub as_of: DateTime<Utc>,
    pub segments: Vec<Segment>,
}

/// An entry of the week with its task's title and project, for lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct WeekEntry {
    pub entry: Entry,
    pub task_title: String,
    pub project_name: String,
    pub project_color: String,
    /// Whether the server has acknowledged it.
    pub synced: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SyncStatus {
    /// Whether the last contact with the server succeeded.
    pub online: bool,
    /// Local changes waiting to be pushed.
    #[ts(type = "number")]
    pub pending: i64,
    /// Changes the server refused, kept for the *Sync issues* list.
    #[ts(type = "number")]
    pub rejected: i64,
    pub last_synced_at: Option<DateTime<Utc>>,
    /// Since when the server could not be reached.
    pub offline_since: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}
