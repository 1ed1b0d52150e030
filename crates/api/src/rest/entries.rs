//! Entries and the running timer.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    ActivityKind, EntryFlag, EntrySource, EntryStatus, Filter, FilterSource, Segment, TimerState,
};

use super::Assignee;

/// One time entry ("timesheet" in OneDesk's words).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Entry {
    pub id: Uuid,
    pub user_id: Uuid,
    pub task_id: Uuid,
    #[serde(default)]
    pub timer_id: Option<Uuid>,
    /// The team it is logged to; left out for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub team_id: Option<Uuid>,
    #[serde(with = "crate::instant")]
    #[ts(type = "string")]
    pub started_at: DateTime<Utc>,
    #[serde(with = "crate::instant")]
    #[ts(type = "string")]
    pub ended_at: DateTime<Utc>,
    /// Counted time (pauses left out), rounded to the workspace's granularity when a timer
    /// stopped (T7).
    #[ts(type = "number")]
    pub duration_secs: i64,
    /// Counted time before rounding: the same as `duration_secs` when nothing was rounded.
    #[ts(type = "number")]
    pub raw_duration_secs: i64,
    pub billable: bool,
    /// Why it waits for its author's review (T8, T11); left out for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub flag: Option<EntryFlag>,
    pub status: EntryStatus,
    pub source: EntrySource,
    pub description: String,
}

/// Which of the visible entries to list, newest first.
#[derive(
    Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema, utoipa::IntoParams,
)]
#[into_params(parameter_in = Query)]
pub struct EntryListQuery {
    /// Only this person's.
    #[serde(default)]
    #[param(nullable = false)]
    pub user_id: Option<Uuid>,
    /// Only this team's.
    #[serde(default)]
    #[param(nullable = false)]
    pub team_id: Option<Uuid>,
    /// Only those started at or after this instant.
    #[serde(default)]
    #[param(nullable = false)]
    pub from: Option<DateTime<Utc>>,
    /// Only those started before this instant.
    #[serde(default)]
    #[param(nullable = false)]
    pub to: Option<DateTime<Utc>>,
    /// At most this many (1 to 1,000; 100 when left out).
    #[serde(default)]
    #[param(nullable = false, minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// Entries the caller may see, and what decided it (P1, P4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct EntryList {
    /// Newest first.
    pub entries: Vec<Entry>,
    /// Every public entry of the workspace is visible (`time:read_all`); otherwise only the
    /// caller's own and those of `team_ids`.
    pub all_public: bool,
    /// The teams whose entries, public and secured, a team role lets the caller view.
    pub team_ids: Vec<Uuid>,
    /// The filter the list got (the timesheets page's, P3), and where it was set.
    pub filter: Filter,
    pub filter_source: FilterSource,
}

/// One event of an entry's activity feed (E1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct EntryActivity {
    pub at: DateTime<Utc>,
    /// Who did it.
    pub actor: Assignee,
    pub kind: ActivityKind,
    /// For `moved`: the team it left, left out for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub from_team_id: Option<Uuid>,
    /// For `moved`: the team it went to, left out for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub to_team_id: Option<Uuid>,
}

/// The team an entry is to be logged to; `null` for none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct EntryTeam {
    #[schema(nullable = true)]
    pub team_id: Option<Uuid>,
}

/// T6: what an admin changes of a submitted entry; fields left out stay as they are. Each change
/// is recorded in the entry's activity feed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct EntryEdit {
    /// 0 to 24 hours.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false, minimum = 0, maximum = 86400)]
    #[ts(optional, type = "number")]
    pub duration_secs: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub billable: Option<bool>,
}

/// The caller's running or paused timer, as the server knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct TimerSnapshot {
    pub id: Uuid,
    pub task_id: Uuid,
    pub state: TimerState,
    pub segments: Vec<Segment>,
}

/// T6, T8: the latest stop of the caller's timers that was not their own doing (an admin, the
/// runaway watchdog), so a device that was offline then can say who stopped its timer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct TimerStop {
    pub timer_id: Uuid,
    /// Who or what stopped it, in words for the user ("by Ada Admin").
    pub by: String,
}

/// T6: someone's running or paused timer, for the workspace's admins (*Team now*).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct RunningTimer {
    pub timer_id: Uuid,
    pub user: Assignee,
    pub task_id: Uuid,
    pub task_title: String,
    pub project_name: String,
    pub state: TimerState,
    pub started_at: DateTime<Utc>,
    /// Counted time at `server_time` (pauses left out).
    #[ts(type = "number")]
    pub counted_secs: i64,
}

/// Who is tracking what in the workspace right now, the longest running first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct TeamNow {
    pub timers: Vec<RunningTimer>,
    pub server_time: DateTime<Utc>,
}
