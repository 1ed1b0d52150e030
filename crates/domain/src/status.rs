use serde::{Deserialize, Serialize};

/// Where a task is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum TaskStatus {
    Open,
    InProgress,
    Completed,
}

impl TaskStatus {
    /// T2: starting work on an open task moves it to *In progress*; other states stay.
    pub fn after_start_work(self) -> TaskStatus {
        match self {
            TaskStatus::Open => TaskStatus::InProgress,
            other => other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Completed => "completed",
        }
    }

    pub fn parse(s: &str) -> Option<TaskStatus> {
        [
            TaskStatus::Open,
            TaskStatus::InProgress,
            TaskStatus::Completed,
        ]
        .into_iter()
        .find(|status| status.as_str() == s)
    }
}

/// An entry's approval state (A1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum EntryStatus {
    Draft,
    Submitted,
    Approved,
    Rejected,
}

impl EntryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryStatus::Draft => "draft",
            EntryStatus::Submitted => "submitted",
            EntryStatus::Approved => "approved",
            EntryStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<EntryStatus> {
        [
            EntryStatus::Draft,
            EntryStatus::Submitted,
            EntryStatus::Approved,
            EntryStatus::Rejected,
        ]
        .into_iter()
        .find(|status| status.as_str() == s)
    }
}

/// Why an entry waits for its author's attention, set when something other than their own Stop
/// made it (T8, T11) and cleared by their review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum EntryFlag {
    /// The runaway watchdog stopped its timer at the workspace's threshold (T8): check the hours.
    Runaway,
    /// Stopped by a switch or an admin while the workspace requires a description to submit
    /// (T11): it waits as a draft until its author describes it.
    NeedsDescription,
}

impl EntryFlag {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryFlag::Runaway => "runaway",
            EntryFlag::NeedsDescription => "needs_description",
        }
    }

    pub fn parse(s: &str) -> Option<EntryFlag> {
        [EntryFlag::Runaway, EntryFlag::NeedsDescription]
            .into_iter()
            .find(|flag| flag.as_str() == s)
    }
}

/// Where an entry came from (T13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum EntrySource {
    Timer,
    Manual,
    Imported,
    Api,
}

impl EntrySource {
    pub fn as_str(self) -> &'static str {
        match self {
            EntrySource::Timer => "timer",
            EntrySource::Manual => "manual",
            EntrySource::Imported => "imported",
            EntrySource::Api => "api",
        }
    }

    pub fn parse(s: &str) -> Option<EntrySource> {
        [
            EntrySource::Timer,
            EntrySource::Manual,
            EntrySource::Imported,
            EntrySource::Api,
        ]
        .into_iter()
        .find(|source| source.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_work_moves_only_open_tasks_to_in_progress() {
        assert_eq!(TaskStatus::Open.after_start_work(), TaskStatus::InProgress);
        assert_eq!(
            TaskStatus::InProgress.after_start_work(),
            TaskStatus::InProgress
        );
        assert_eq!(
            TaskStatus::Completed.after_start_work(),
            TaskStatus::Completed
        );
    }

    #[test]
    fn names_round_trip() {
        for status in [
            TaskStatus::Open,
            TaskStatus::InProgress,
            TaskStatus::Completed,
        ] {
            assert_eq!(TaskStatus::parse(status.as_str()), Some(status));
        }
        for status in [
            EntryStatus::Draft,
            EntryStatus::Submitted,
            EntryStatus::Approved,
        ] {
            assert_eq!(EntryStatus::parse(status.as_str()), Some(status));
        }
        for source in [EntrySource::Timer, EntrySource::Manual, EntrySource::Api] {
            assert_eq!(EntrySource::parse(source.as_str()), Some(source));
        }
        assert_eq!(TaskStatus::parse("bogus"), None);
    }
}
