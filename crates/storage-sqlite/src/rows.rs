//! Rows as the queries read them, and their records in storage's types.

use std::borrow::Cow;

use stint_domain::{EntryFlag, EntrySource, EntryStatus, Segment, TimerHead};
use stint_storage::{
    parse_stored, EntryRecord, Held, Reason, Result, StorageError, TimerRecord, TokenRecord,
    WorkspaceScope,
};
use uuid::Uuid;

use crate::convert::{id, instant};

/// A `timers` row as read.
pub struct TimerRow {
    pub id: String,
    pub workspace_id: String,
    pub user_id: String,
    pub task_id: String,
    pub state: String,
    pub started_at: i64,
    pub closed_millis: i64,
    pub segment_count: i64,
    pub last_start: i64,
    pub last_end: Option<i64>,
}

pub fn timer_record(row: TimerRow) -> Result<TimerRecord> {
    let stopped = TimerRecord::is_stopped(&row.state)?;
    Ok(TimerRecord {
        id: id(&row.id)?,
        user_id: id(&row.user_id)?,
        task_id: id(&row.task_id)?,
        head: TimerHead {
            started_at: instant(row.started_at)?,
            closed_millis: row.closed_millis,
            segment_count: u32::try_from(row.segment_count)
                .map_err(|_| StorageError::Corrupt("segment count".into()))?,
            last: Segment {
                start: instant(row.last_start)?,
                end: row.last_end.map(instant).transpose()?,
            },
        },
        stopped,
    })
}

/// An `entries` or `secured_entries` row as read from its columns.
pub struct EntryRow {
    pub id: String,
    pub workspace_id: String,
    pub user_id: String,
    pub task_id: String,
    pub timer_id: Option<String>,
    pub team_id: Option<String>,
    pub started_at: i64,
    pub ended_at: i64,
    pub duration_secs: i64,
    pub raw_duration_secs: i64,
    /// 0 or 1: SQLite has no booleans.
    pub billable: i64,
    pub flag: Option<String>,
    pub status: String,
    pub source: String,
    pub description: String,
}

pub fn entry_record(row: EntryRow) -> Result<EntryRecord> {
    let own = OwnEntryRow {
        id: &row.id,
        task_id: &row.task_id,
        timer_id: row.timer_id.as_deref(),
        team_id: row.team_id.as_deref(),
        started_at: row.started_at,
        ended_at: row.ended_at,
        duration_secs: row.duration_secs,
        raw_duration_secs: row.raw_duration_secs,
        billable: row.billable,
        flag: row.flag.as_deref(),
        status: &row.status,
        source: &row.source,
        description: Cow::Borrowed(&row.description),
    };
    own_entry_record(own, id(&row.user_id)?)
}

/// One of a user's entries in a page of them read as one JSON array of rows, in this order
/// (see `reads::own_entries_page`). The workspace and user are the scope's, so they are left
/// out, and the text is borrowed from the page: pages hold thousands.
#[derive(serde::Deserialize)]
pub struct OwnEntryRow<'a> {
    id: &'a str,
    task_id: &'a str,
    timer_id: Option<&'a str>,
    team_id: Option<&'a str>,
    started_at: i64,
    ended_at: i64,
    duration_secs: i64,
    raw_duration_secs: i64,
    billable: i64,
    flag: Option<&'a str>,
    status: &'a str,
    source: &'a str,
    /// The only text that may hold escapes, which cannot be borrowed.
    #[serde(borrow)]
    description: Cow<'a, str>,
}

pub fn own_entry_record(row: OwnEntryRow<'_>, user_id: Uuid) -> Result<EntryRecord> {
    Ok(EntryRecord {
        id: id(row.id)?,
        user_id,
        task_id: id(row.task_id)?,
        timer_id: row.timer_id.map(id).transpose()?,
        team_id: row.team_id.map(id).transpose()?,
        started_at: instant(row.started_at)?,
        ended_at: instant(row.ended_at)?,
        duration_secs: row.duration_secs,
        raw_duration_secs: row.raw_duration_secs,
        billable: row.billable != 0,
        flag: row
            .flag
            .map(|flag| parse_stored(flag, EntryFlag::parse, "entry flag"))
            .transpose()?,
        status: parse_stored(row.status, EntryStatus::parse, "entry status")?,
        source: parse_stored(row.source, EntrySource::parse, "entry source")?,
        description: row.description.into_owned(),
    })
}

/// A recorded reason from its three columns.
pub fn reason(
    code: Option<String>,
    message: Option<String>,
    details: Option<String>,
) -> Result<Option<Reason>> {
    let Some(code) = code else { return Ok(None) };
    let details = details
        .map(|text| serde_json::from_str(&text))
        .transpose()
        .map_err(|e| StorageError::Corrupt(format!("reason details: {e}")))?;
    Ok(Some(Reason {
        code,
        message: message.unwrap_or_default(),
        details,
    }))
}

/// A row found by a device-made id, and who holds it: `(id, workspace, user)`.
pub trait FoundRow {
    fn holder(&self) -> Result<(Uuid, Uuid, Uuid)>;
}

impl FoundRow for TimerRow {
    fn holder(&self) -> Result<(Uuid, Uuid, Uuid)> {
        Ok((id(&self.id)?, id(&self.workspace_id)?, id(&self.user_id)?))
    }
}

impl FoundRow for EntryRow {
    fn holder(&self) -> Result<(Uuid, Uuid, Uuid)> {
        Ok((id(&self.id)?, id(&self.workspace_id)?, id(&self.user_id)?))
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
            let (id, workspace, user) = row.holder()?;
            if scope.owns(workspace, user) {
                record(row).map(Held::Own)
            } else {
                Ok(Held::Taken(id))
            }
        })
        .collect()
}

pub struct TokenRow {
    pub id: String,
    pub hash: String,
    pub user_id: String,
    pub device_id: Option<String>,
    pub name: Option<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

pub fn token_record(row: TokenRow) -> Result<TokenRecord> {
    Ok(TokenRecord {
        id: id(&row.id)?,
        hash: row.hash,
        user_id: id(&row.user_id)?,
        device_id: row.device_id.as_deref().map(id).transpose()?,
        name: row.name,
        created_at: instant(row.created_at)?,
        expires_at: row.expires_at.map(instant).transpose()?,
    })
}
