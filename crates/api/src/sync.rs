//! The sync protocol (D3), version 2. A device pushes named intents in bounded batches on a
//! *stream*: one per (device, workspace) and epoch, numbered 1, 2, 3 … without gaps, each
//! mutation with a fingerprint of its content. It pulls in bounded pages after an opaque cursor
//! that names the server database's epoch, so a restored server is noticed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::rest::{Entry, Task, TimerSnapshot};
use crate::{ErrorBody, TaskStatus};

/// The protocol version this build speaks. The server refuses versions it does not speak.
pub const PROTOCOL_VERSION: u32 = 2;

/// The most mutations one push may carry; a device with more sends them in several pushes.
pub const MAX_MUTATIONS_PER_PUSH: usize = 1_000;

/// The most bytes of mutations a device puts in one push (the server takes up to 2 MiB).
pub const PUSH_BATCH_BYTES: usize = 512 * 1024;

/// How far ahead of the server's clock an instant may be: device clocks are corrected by the
/// offset learned at each sync, so more than this is a clock that jumped.
pub const FUTURE_TOLERANCE_SECS: i64 = 120;

/// A timer change proposed by a device. Ids are made by the device (UUIDv7), so a retried push
/// cannot create a second timer or entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[serde(tag = "name", content = "args", rename_all = "snake_case")]
pub enum Intent {
    StartTimer {
        timer_id: Uuid,
        task_id: Uuid,
        #[serde(with = "crate::instant")]
        #[ts(type = "string")]
        at: DateTime<Utc>,
    },
    PauseTimer {
        timer_id: Uuid,
        #[serde(with = "crate::instant")]
        #[ts(type = "string")]
        at: DateTime<Utc>,
    },
    ResumeTimer {
        timer_id: Uuid,
        #[serde(with = "crate::instant")]
        #[ts(type = "string")]
        at: DateTime<Utc>,
    },
    StopTimer {
        timer_id: Uuid,
        entry_id: Uuid,
        #[serde(with = "crate::instant")]
        #[ts(type = "string")]
        at: DateTime<Utc>,
        /// Stopped by starting another timer on the device (T1), not by the user's Stop: the
        /// entry is kept as T1 and T5 say for a switch. Left out when false.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        switch: bool,
        /// Stopped where the user went away, by their answer to the idle prompt (T9): the entry
        /// is kept as for a stop they did not make (T5). Left out when false.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        idle: bool,
    },
    /// An entry the device holds that the server lacks: re-pushed after the server was restored
    /// from a backup. Skipped when the server has it already.
    RecordEntry {
        entry_id: Uuid,
        task_id: Uuid,
        /// The timer it was stopped from; left out (never null) for an entry made without one.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "crate::present"
        )]
        #[schema(nullable = false)]
        #[ts(optional)]
        timer_id: Option<Uuid>,
        #[serde(with = "crate::instant")]
        #[ts(type = "string")]
        started_at: DateTime<Utc>,
        #[serde(with = "crate::instant")]
        #[ts(type = "string")]
        ended_at: DateTime<Utc>,
        /// Counted time (pauses left out), rounded when the timer stopped (T7): within one
        /// rounding granularity of `raw_duration_secs`.
        #[ts(type = "number")]
        duration_secs: i64,
        /// Counted time before rounding, at most `ended_at - started_at`; left out, the same as
        /// `duration_secs`.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "crate::present"
        )]
        #[schema(nullable = false)]
        #[ts(optional, type = "number")]
        raw_duration_secs: Option<i64>,
        /// Left out when not billable.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        billable: bool,
        /// `submitted` for an entry the device had submitted; left out for a draft. (An entry
        /// approved or returned on the server comes back submitted.)
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schema(nullable = false)]
        #[ts(optional)]
        status: Option<crate::EntryStatus>,
        /// Text without control characters other than tab, line feed and carriage return.
        #[schema(pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$")]
        description: String,
    },
    /// T4: the user's review of an entry of theirs (after a stop): its hours, notes and
    /// billable, kept as a draft or submitted for approval. A draft or a returned entry only.
    ReviewEntry {
        entry_id: Uuid,
        /// 0 to 24 hours.
        #[ts(type = "number")]
        duration_secs: i64,
        /// Text without control characters other than tab, line feed and carriage return.
        #[schema(pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$")]
        description: String,
        billable: bool,
        /// Submitted for approval; otherwise kept as a draft in the user's week.
        submit: bool,
        /// The entry's task as the dialog leaves it (its status and % complete), when the user
        /// changed it there.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schema(nullable = false)]
        #[ts(optional)]
        task: Option<TaskProgress>,
        #[serde(with = "crate::instant")]
        #[ts(type = "string")]
        at: DateTime<Utc>,
    },
    /// T4: a draft (or returned) entry of the user's thrown away.
    DiscardEntry {
        entry_id: Uuid,
        #[serde(with = "crate::instant")]
        #[ts(type = "string")]
        at: DateTime<Utc>,
    },
}

/// T4: a task's status and % complete, as a review leaves them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct TaskProgress {
    pub task_id: Uuid,
    pub status: TaskStatus,
    #[schema(minimum = 0, maximum = 100)]
    pub percent_complete: u8,
}

impl Intent {
    pub fn name(&self) -> &'static str {
        match self {
            Intent::StartTimer { .. } => "start_timer",
            Intent::PauseTimer { .. } => "pause_timer",
            Intent::ResumeTimer { .. } => "resume_timer",
            Intent::StopTimer { .. } => "stop_timer",
            Intent::RecordEntry { .. } => "record_entry",
            Intent::ReviewEntry { .. } => "review_entry",
            Intent::DiscardEntry { .. } => "discard_entry",
        }
    }

    /// When the device says the change happened.
    pub fn at(&self) -> DateTime<Utc> {
        match *self {
            Intent::StartTimer { at, .. }
            | Intent::PauseTimer { at, .. }
            | Intent::ResumeTimer { at, .. }
            | Intent::StopTimer { at, .. }
            | Intent::ReviewEntry { at, .. }
            | Intent::DiscardEntry { at, .. } => at,
            Intent::RecordEntry { ended_at, .. } => ended_at,
        }
    }
}

impl Intent {
    /// SHA-256 (hex) of the intent's JSON: what a mutation's content is known by. The same seq
    /// arriving with another fingerprint is a divergence, never a retry.
    pub fn fingerprint(&self) -> String {
        fingerprint_of(&serde_json::to_vec(self).expect("an intent always serializes"))
    }
}

/// The fingerprint of an intent whose JSON is `json` (see `Intent::fingerprint`).
pub fn fingerprint_of(json: &[u8]) -> String {
    hex::encode(Sha256::digest(json))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Mutation {
    /// 1, 2, 3 … per stream, without gaps.
    #[ts(type = "number")]
    #[schema(minimum = 1)]
    pub seq: i64,
    /// `Intent::fingerprint` of this mutation's intent: 64 lowercase hex digits.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub fingerprint: String,
    /// The device's own clock when the change was made, for the record; the intent's instant
    /// is already corrected by the device's learned offset to the server's clock.
    #[serde(with = "crate::instant")]
    #[ts(type = "string")]
    pub device_time: DateTime<Utc>,
    #[serde(flatten)]
    pub intent: Intent,
}

impl Mutation {
    pub fn new(seq: i64, intent: Intent, device_time: DateTime<Utc>) -> Mutation {
        Mutation {
            seq,
            fingerprint: intent.fingerprint(),
            device_time,
            intent,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
pub struct PushRequest {
    #[schema(minimum = 2, maximum = 2)]
    pub protocol_version: u32,
    /// The device's stream for this workspace, made by the device (UUIDv7). A new epoch of the
    /// device (after a divergence or a restore) is a new stream.
    pub stream_id: Uuid,
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
    /// Refused by the rules; recorded with its reason, never dropped silently. A retry gets
    /// the same rejection back.
    Rejected,
    /// Not applied because the server decided otherwise first (the timer was stopped
    /// elsewhere): the device adopts the server's version and lists its own in *Sync issues*.
    /// `reason.details.server_entry` holds the server's entry when there is one.
    Reconciled,
    /// The server holds this seq with other content (the device's store went back in time, or
    /// was copied): the device renumbers this and the rest onto a new stream and pushes again.
    Diverged,
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
    /// One per mutation up to where the batch halted (all of them when it did not).
    pub results: Vec<MutationResult>,
    /// The stream's last seq the server has applied or recorded.
    #[ts(type = "number")]
    pub last_applied_seq: i64,
    /// Why the batch stopped early: `sequence_gap` (details.expected) or `diverged`. What came
    /// before is committed and in `results`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub halted: Option<ErrorBody>,
    /// Server time, so the device can learn its clock offset.
    #[serde(with = "crate::instant")]
    #[ts(type = "string")]
    pub server_time: DateTime<Utc>,
}

/// The most changes one pull page reads from the change log, and the most rows a snapshot
/// page carries: a device loops while `more` is true.
pub const PULL_PAGE_SIZE: usize = 5_000;
pub const SNAPSHOT_PAGE_SIZE: usize = 5_000;

/// One page of what changed after `cursor` that the caller may see. `timer` is always the
/// caller's current timer (or none), so a device learns about stops it did not make.
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
pub struct PullResponse {
    /// Opaque: send it back as the next pull's `cursor`. It names the database's epoch.
    pub cursor: String,
    /// More pages wait: pull again with `cursor` right away.
    pub more: bool,
    /// This page starts a full snapshot: the device's cursor was missing, or from an epoch this
    /// database does not know (a restored backup). The device confirms what the snapshot's
    /// pages bring and, after the last, re-pushes what it holds that the server lacks.
    pub snapshot: bool,
    pub tasks: Vec<Task>,
    pub entries: Vec<Entry>,
    /// Tasks and entries deleted since the cursor: devices remove their copies.
    #[serde(default)]
    pub removed: Vec<Tombstone>,
    #[serde(default)]
    pub timer: Option<TimerSnapshot>,
    /// The latest stop of the caller's timers that someone else made (T6, T8), if any: a device
    /// whose timer it was and that did not hear of it live tells its user who stopped it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub timer_stop: Option<crate::rest::TimerStop>,
    /// The last of the stream's mutations that the server has applied or recorded (0 for a
    /// stream it does not know).
    #[ts(type = "number")]
    pub last_applied_seq: i64,
    /// Server time, so the device can learn its clock offset.
    #[serde(with = "crate::instant")]
    #[ts(type = "string")]
    pub server_time: DateTime<Utc>,
    /// The teams the caller is a member of now: tasks assigned to one are theirs too.
    #[serde(default)]
    pub my_team_ids: Vec<Uuid>,
    /// The workspace's time settings, with the last page (`more` false): devices keep a copy
    /// so the timer's rules hold offline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub time_settings: Option<crate::rest::TimeSettings>,
    /// The caller's timesheet permission level (T5), with the last page: an admin may change
    /// it while the device is signed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub timesheet_access: Option<crate::TimesheetAccess>,
    /// What the caller may do in the workspace now (the union of their roles' permissions),
    /// with the last page: an admin may give or take roles while the device is signed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub permissions: Option<Vec<crate::Permission>>,
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
