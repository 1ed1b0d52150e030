//! The *Sync issues* list: every change of this device the server refused or decided otherwise
//! about, in plain words, to retry or dismiss.

use chrono::{DateTime, Local, Utc};
use stint_api::desk::{SyncIssue, SyncIssueKind, SyncStatus};
use stint_api::sync::Intent;
use stint_api::ErrorCode;

use super::Desk;
use crate::error::DeskError;
use crate::store::{server_entry, StoredIssue};

impl Desk {
    pub fn sync_issues(&self) -> Result<Vec<SyncIssue>, DeskError> {
        Ok(self.store.issues()?.iter().map(describe).collect())
    }

    /// Sends the issue's change again, as a new change, and drops the issue.
    pub fn retry_sync_issue(&self, id: i64) -> Result<SyncStatus, DeskError> {
        let issue = self.issue(id)?;
        if !can_retry(&issue) {
            return Err(DeskError::InvalidInput(
                "this change cannot succeed as it is; dismiss it instead".into(),
            ));
        }
        self.store.retry_issue(id)?;
        self.after_local_change();
        self.sync_status()
    }

    /// Drops the issue. A refused stop or entry also leaves the week: the server never took it.
    pub fn dismiss_sync_issue(&self, id: i64) -> Result<SyncStatus, DeskError> {
        self.issue(id)?;
        self.store.dismiss_issue(id)?;
        self.changed();
        self.sync_status()
    }

    fn issue(&self, id: i64) -> Result<StoredIssue, DeskError> {
        self.store
            .issues()?
            .into_iter()
            .find(|issue| issue.id == id)
            .ok_or_else(|| DeskError::InvalidInput(format!("there is no sync issue {id}")))
    }
}

fn can_retry(issue: &StoredIssue) -> bool {
    issue.kind == SyncIssueKind::Rejected && issue.code != ErrorCode::IdConflict
}

fn describe(issue: &StoredIssue) -> SyncIssue {
    let task = match &issue.task_title {
        Some(title) => format!("“{title}”"),
        None => "a task".to_string(),
    };
    let change = match &issue.intent {
        Intent::StartTimer { at, .. } => format!("Start work on {task} at {}", when(*at)),
        Intent::PauseTimer { at, .. } => format!("Pause {task} at {}", when(*at)),
        Intent::ResumeTimer { at, .. } => format!("Resume {task} at {}", when(*at)),
        Intent::StopTimer { at, .. } => format!("Stop work on {task} at {}", when(*at)),
        Intent::RecordEntry {
            started_at,
            ended_at,
            duration_secs,
            ..
        } => format!(
            "Entry on {task}, {} to {} ({})",
            when(*started_at),
            clock(*ended_at),
            duration(*duration_secs)
        ),
        Intent::ReviewEntry {
            duration_secs,
            submit,
            at,
            ..
        } => format!(
            "{} the entry on {task} ({}) at {}",
            if *submit { "Submit" } else { "Save as a draft" },
            duration(*duration_secs),
            when(*at)
        ),
        Intent::DiscardEntry { at, .. } => {
            format!("Throw away the entry on {task} at {}", when(*at))
        }
    };
    let server_has = issue
        .server_has
        .as_ref()
        .and_then(|details| details.get("server_entry"))
        .and_then(|entry| server_entry(entry).ok())
        .map(|entry| {
            format!(
                "The server's entry: {} to {} ({})",
                when(entry.started_at),
                clock(entry.ended_at),
                duration(entry.duration_secs)
            )
        });
    SyncIssue {
        id: issue.id,
        kind: issue.kind,
        change,
        code: issue.code,
        reason: issue.message.clone(),
        server_has,
        made_at: issue.made_at,
        can_retry: can_retry(issue),
    }
}

/// "Tue 24 Nov 10:42", in the device's time zone.
fn when(at: DateTime<Utc>) -> String {
    at.with_timezone(&Local)
        .format("%a %-d %b %H:%M")
        .to_string()
}

fn clock(at: DateTime<Utc>) -> String {
    at.with_timezone(&Local).format("%H:%M").to_string()
}

/// "1 h 05 min", "12 min", "40 s".
fn duration(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}
