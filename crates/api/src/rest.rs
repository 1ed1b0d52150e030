//! Payloads of the workspace server's REST API.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{EntrySource, EntryStatus, Segment, TaskStatus, TimerState};

#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
pub struct TokenRequest {
    pub email: String,
    pub password: String,
    pub device_name: String,
    /// The device's own id (UUIDv7, made once per installation). The server makes one when it
    /// is absent; the sync protocol numbers each device's mutations.
    #[serde(default)]
    #[ts(optional)]
    pub device_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
pub struct TokenResponse {
    /// Opaque bearer token; the server keeps only its hash.
    pub token: String,
    pub device_id: Uuid,
    pub user: User,
    pub workspaces: Vec<Workspace>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Workspace {
    pub id: Uuid,
    pub name: String,
    /// The caller's role in it: `admin`, `manager`, `finance` or `member`.
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Assignee {
    pub user_id: Uuid,
    pub name: String,
}

/// A task with its project, as the caller may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Task {
    pub id: Uuid,
    pub title: String,
    pub status: TaskStatus,
    pub project_id: Uuid,
    pub project_name: String,
    /// `#rrggbb`, shown as a small chip.
    pub project_color: String,
    pub assignees: Vec<Assignee>,
}

/// One time entry ("timesheet" in OneDesk's words).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Entry {
    pub id: Uuid,
    pub user_id: Uuid,
    pub task_id: Uuid,
    #[serde(default)]
    pub timer_id: Option<Uuid>,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    #[ts(type = "number")]
    pub duration_secs: i64,
    pub status: EntryStatus,
    pub source: EntrySource,
    pub description: String,
}

/// The caller's running or paused timer, as the server knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct TimerSnapshot {
    pub id: Uuid,
    pub task_id: Uuid,
    pub state: TimerState,
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
pub struct Health {
    pub status: String,
    pub version: String,
}
