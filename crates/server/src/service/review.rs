//! T4 inside a push: a user reviews an entry of theirs after a stop — its hours, notes and
//! billable — and keeps it as a draft or submits it for approval, or throws a draft away. Only
//! drafts and returned entries change: a submitted or approved one is locked. *Require
//! description* (T11) holds for submitting, not for drafts. Users without a review (*timer
//! access only*, T5, or members when reviews are off) may add the description and submit,
//! nothing more. The rules are `stint_domain::Reviewer`'s.

use serde_json::json;
use stint_api::sync::TaskProgress;
use stint_api::{ErrorBody, ErrorCode};
use stint_domain::{ActivityKind, EntryStatus, Permission, Review, ReviewRefusal, Reviewer};
use stint_storage::{EntryRecord, WorkspaceScope};
use uuid::Uuid;

use crate::service::batch::Batch;
use crate::service::sync;
use crate::service::timers::{rejected, Applied, ApplyError};

pub fn review(
    batch: &mut Batch,
    scope: &WorkspaceScope,
    entry_id: Uuid,
    review: Review<'_>,
    task: Option<TaskProgress>,
) -> Result<Applied, ApplyError> {
    let entry = own_entry(batch, entry_id)?;
    if let Some(progress) = task {
        if progress.task_id != entry.task_id {
            return Err(rejected(
                ErrorCode::InvalidEntry,
                "a review changes the entry's own task only",
            ));
        }
        reviewer(scope)
            .task_progress(batch.settings(), progress.percent_complete)
            .map_err(|refusal| refused(refusal, &entry))?;
    }
    // The same review again (re-sent on a new stream), after it was applied: nothing to do.
    // On a draft it may be a new answer that changes the task alone; a submitted or approved
    // entry's task is not changed through it (its review was settled).
    let same_values = (
        entry.duration_secs,
        entry.description.as_str(),
        entry.billable,
    ) == (review.duration_secs, review.description, review.billable);
    let same_status = match review.submit {
        true => !matches!(entry.status, EntryStatus::Draft | EntryStatus::Rejected),
        false => entry.status == EntryStatus::Draft,
    };
    if same_values && same_status && review.flag_after(entry.flag) == entry.flag {
        let open = matches!(entry.status, EntryStatus::Draft | EntryStatus::Rejected);
        if open && task.is_some() {
            set_progress(batch, task);
            return Ok(Applied::default());
        }
        return Ok(Applied {
            already: true,
            stopped_timer: None,
        });
    }
    let status = reviewer(scope)
        .review(
            batch.settings(),
            (entry.status, entry.duration_secs, entry.billable),
            &review,
        )
        .map_err(|refusal| refused(refusal, &entry))?;
    let reviewed = EntryRecord {
        duration_secs: review.duration_secs,
        description: review.description.to_string(),
        billable: review.billable,
        status,
        flag: review.flag_after(entry.flag),
        ..entry.clone()
    };
    let activity: Vec<ActivityKind> = [
        (reviewed.duration_secs != entry.duration_secs).then_some(ActivityKind::HoursEdited),
        (reviewed.billable != entry.billable).then_some(ActivityKind::BillableToggled),
        (reviewed.status != entry.status).then_some(ActivityKind::StatusChanged),
    ]
    .into_iter()
    .flatten()
    .collect();
    batch.change_entry(reviewed, activity);
    set_progress(batch, task);
    Ok(Applied::default())
}

/// T4: the task as the review left it (it was checked with the review).
fn set_progress(batch: &mut Batch, task: Option<TaskProgress>) {
    if let Some(progress) = task {
        batch.set_task_progress(progress.task_id, progress.status, progress.percent_complete);
    }
}

pub fn discard(
    batch: &mut Batch,
    scope: &WorkspaceScope,
    entry_id: Uuid,
) -> Result<Applied, ApplyError> {
    // Gone already (thrown away before, then re-sent): what the user wanted holds.
    if batch.own_entry(entry_id).is_none() {
        return Ok(Applied {
            already: true,
            stopped_timer: None,
        });
    }
    let entry = own_entry(batch, entry_id)?;
    reviewer(scope)
        .discard(batch.settings(), entry.status)
        .map_err(|refusal| refused(refusal, &entry))?;
    batch.discard_entry(entry_id);
    Ok(Applied::default())
}

/// Who the scope's caller is to T4 and T5.
pub fn reviewer(scope: &WorkspaceScope) -> Reviewer {
    Reviewer {
        access: scope.timesheet_access(),
        admin: scope.permissions().contains(Permission::Settings),
    }
}

fn own_entry(batch: &Batch, entry_id: Uuid) -> Result<EntryRecord, ApplyError> {
    batch.own_entry(entry_id).cloned().ok_or_else(|| {
        rejected(
            ErrorCode::UnknownEntry,
            format!("there is no entry {entry_id} of yours"),
        )
    })
}

/// A refused review or discard: the server keeps its entry, and the device takes it back
/// (its own version goes to *Sync issues* with the reason).
fn refused(refusal: ReviewRefusal, server_entry: &EntryRecord) -> ApplyError {
    let code = match refusal {
        ReviewRefusal::Locked(_) => ErrorCode::EntryLocked,
        ReviewRefusal::Hours => ErrorCode::InvalidEntry,
        ReviewRefusal::DescriptionRequired => ErrorCode::DescriptionRequired,
        ReviewRefusal::Percent => ErrorCode::InvalidEntry,
        ReviewRefusal::DescriptionOnly | ReviewRefusal::Discard | ReviewRefusal::TaskReadOnly => {
            ErrorCode::Forbidden
        }
    };
    ApplyError::Reconciled(
        ErrorBody::new(code, refusal.to_string())
            .with_details(json!({ "server_entry": sync::entry(server_entry.clone()) })),
    )
}
