//! Rows as the queries read them, and their records in storage's types.

use chrono::{DateTime, Utc};
use stint_domain::{EntryFlag, EntrySource, EntryStatus, Segment, TimerHead};
use stint_storage::{
    parse_stored, EntryRecord, Held, Result, StorageError, TimerRecord, WorkspaceScope,
};
use uuid::Uuid;

/// An `entries` or `secured_entries` row as read.
pub struct EntryRow {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub user_id: Uuid,
    pub task_id: Uuid,
    pub timer_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub duration_secs: i64,
    pub raw_duration_secs: i64,
    pub billable: bool,
    pub flag: Option<String>,
    pub status: String,
    pub source: String,
    pub description: String,
}

pub fn entry_record(row: EntryRow) -> Result<EntryRecord> {
    Ok(EntryRecord {
        id: row.id,
        user_id: row.user_id,
        task_id: row.task_id,
        timer_id: row.timer_id,
        team_id: row.team_id,
        started_at: row.started_at,
        ended_at: row.ended_at,
        duration_secs: row.duration_secs,
        raw_duration_secs: row.raw_duration_secs,
        billable: row.billable,
        flag: row
            .flag
            .as_deref()
            .map(|flag| parse_stored(flag, EntryFlag::parse, "entry flag"))
            .transpose()?,
        status: parse_stored(&row.status, EntryStatus::parse, "entry status")?,
        source: parse_stored(&row.source, EntrySource::parse, "entry source")?,
        description: row.description,
    })
}

/// A `timers` row as read.
pub struct TimerRow {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub user_id: Uuid,
    pub task_id: Uuid,
    pub state: String,
    pub started_at: DateTime<Utc>,
    pub closed_millis: i64,
    pub segment_count: i64,
    pub last_start: DateTime<Utc>,
    pub last_end: Option<DateTime<Utc>>,
}

pub fn timer_record(row: TimerRow) -> Result<TimerRecord> {
    let stopped = TimerRecord::is_stopped(&row.state)?;
    Ok(TimerRecord {
        id: row.id,
        user_id: row.user_id,
        task_id: row.task_id,
        head: TimerHead {
            started_at: row.started_at,
            closed_millis: row.closed_millis,
            segment_count: u32::try_from(row.segment_count)
                .map_err(|_| StorageError::Corrupt("segment count".into()))?,
            last: Segment {
                start: row.last_start,
                end: row.last_end,
            },
        },
        stopped,
    })
}

/// A row found by a device-made id, and who holds it: `(id, workspace, user)`.
pub trait FoundRow {
    fn holder(&self) -> (Uuid, Uuid, Uuid);
}

impl FoundRow for TimerRow {
    fn holder(&self) -> (Uuid, Uuid, Uuid) {
        (self.id, self.workspace_id, self.user_id)
    }
}

impl FoundRow for EntryRow {
    fn holder(&self) -> (Uuid, Uuid, Uuid) {
        (self.id, self.workspace_id, self.user_id)
    }
}

/// The scope's own rows as records; anyone else's as a taken id.
pub fn held<R: FoundRow, T>(
    scope: &WorkspaceScope,
    rows: Vec<R>,
    record: fn(R) -> Result<T>,
) -> Result<Vec<Held<T>>> {
    rows.into_iter()
        .map(|row| {
            let (id, workspace, user) = row.holder();
            if scope.owns(workspace, user) {
                record(row).map(Held::Own)
            } else {
                Ok(Held::Taken(id))
            }
        })
        .collect()
}
