//! The sync protocol (D3): devices push named intents in order, numbered per device, and pull
//! every change after a cursor.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::rest::{Entry, Task, TimerSnapshot};
use crate::ErrorBody;

/// The protocol version this build speaks. The server refuses versions it does not speak.
pub const PROTOCOL_VERSION: u32 = 1;

/// The most mutations one push may carry; a device with more sends them in several pushes.
pub const MAX_MUTATIONS_PER_PUSH: usize = 1_000;

/// A timer change proposed by a device. Ids are made by the device (UUIDv7), so a retried push
/// cannot create a second timer or entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[serde(tag = "name", content = "args", rename_all = "snake_case")]
pub enum Intent {
    StartTimer {
        timer_id: Uuid,
        task_id: Uuid,
        at: DateTime<Utc>,
    },
    PauseTimer {
        timer_id: Uuid,
        at: DateTime<Utc>,
    },
    ResumeTimer {
        timer_id: Uuid,
        at: DateTime<Utc>,
    },
    StopTimer {
        timer_id: Uuid,
        entry_id: Uuid,
        at: DateTime<Utc>,
    },
}

impl Intent {
    pub fn name(&self) -> &'static str {
        match self {
            Intent::StartTimer { .. } => "start_timer",
            Intent::PauseTimer { .. } => "pause_timer",
            Intent::ResumeTimer { .. } => "resume_timer",
            Intent::StopTimer { .. } => "stop_timer",
        }
    }

    /// When the device says the change happened.
    pub fn at(&self) -> DateTime<Utc> {
        match *self {
            Intent::StartTimer { at, .. }
            | Intent::PauseTimer { at, .. }
            | Intent::ResumeTimer { at, .. }
            | Intent::StopTimer { at, .. } => at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Mutation {
    /// 1, 2, 3 … per device, without gaps.
    #[ts(type = "number")]
    #[schema(minimum = 1)]
    pub seq: i64,
    #[serde(flatten)]
    pub intent: Intent,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
pub struct PushRequest {
    #[schema(minimum = 1, maximum = 1)]
    pub protocol_version: u32,
    #[schema(max_items = 1000)]
    pub mutations: Vec<Mutation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Applied now.
    Applied,
    /// Applied by an earlier push (a retry); nothing changed.
    Skipped,
    /// Refused by the rules; recorded with its reason, never dropped silently.
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct MutationResult {
    #[ts(type = "number")]
    pub seq: i64,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reason: Option<ErrorBody>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
pub struct PushResponse {
    pub results: Vec<MutationResult>,
    #[ts(type = "number")]
    pub last_applied_seq: i64,
}

/// Everything after `cursor` that the caller may see. `timer` is always the caller's current
/// timer (or none), so a device learns about stops it did not make.
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
pub struct PullResponse {
    #[ts(type = "number")]
    pub cursor: i64,
    pub tasks: Vec<Task>,
    pub entries: Vec<Entry>,
    /// Tasks and entries deleted since the cursor: devices remove their copies.
    #[serde(default)]
    pub removed: Vec<Tombstone>,
    #[serde(default)]
    pub timer: Option<TimerSnapshot>,
    /// The last of this device's mutations that the server has applied or recorded.
    #[ts(type = "number")]
    pub last_applied_seq: i64,
    /// Server time, so the device can learn its clock offset.
    pub server_time: DateTime<Utc>,
}

/// What a tombstone is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Task,
    Entry,
}

/// Something deleted on the server since the pull's cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Tombstone {
    pub entity: EntityKind,
    pub id: Uuid,
}
