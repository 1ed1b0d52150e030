//! T4 inside a push: a user reviews an entry of theirs after a stop — its hours, notes and
//! billable — and keeps it as a draft or submits it for approval, or throws a draft away. Only
//! drafts and returned entries change: a submitted or approved one is locked. *Require
//! description* (T11) holds for submitting, not for drafts. Users without a review (*timer
//! access only*, T5, or members when reviews are off) may add the description and submit,
//! nothing more. The rules are `stint_domain::Reviewer`'s.

use stint_api::ErrorCode;
use stint_domain::{check_discard, ActivityKind, Permission, ReviewRefusal, Reviewer};
use stint_storage::{EntryRecord, WorkspaceScope};
use uuid::Uuid;

use crate::service::batch::Batch;
use crate::service::timers::{rejected, Applied, ApplyError};

/// What the review dialog sends.
pub struct Review {
    pub duration_secs: i64,
    pub description: String,
    pub billable: bool,
    pub submit: bool,
}

pub fn review(
    batch: &mut Batch,
    scope: &WorkspaceScope,
    entry_id: Uuid,
    review: Review,
) -> Result<Applied, ApplyError> {
    let entry = own_entry(batch, entry_id)?;
    let status = reviewer(scope)
        .review(
            batch.settings(),
            (entry.status, entry.duration_secs, entry.billable),
            &stint_domain::Review {
                duration_secs: review.duration_secs,
                description: &review.description,
                billable: review.billable,
                submit: review.submit,
            },
        )
        .map_err(refused)?;
    let reviewed = EntryRecord {
        duration_secs: review.duration_secs,
        description: review.description,
        billable: review.billable,
        status,
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
    // The same review again (a retry on a new stream) changes nothing.
    if reviewed != entry {
        batch.change_entry(reviewed, activity);
    }
    Ok(Applied::default())
}

pub fn discard(batch: &mut Batch, entry_id: Uuid) -> Result<Applied, ApplyError> {
    // Gone already (thrown away before, then re-sent): what the user wanted holds.
    if batch.own_entry(entry_id).is_none() {
        return Ok(Applied {
            already: true,
            stopped_timer: None,
        });
    }
    check_discard(own_entry(batch, entry_id)?.status).map_err(refused)?;
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

fn refused(refusal: ReviewRefusal) -> ApplyError {
    let code = match refusal {
        ReviewRefusal::Locked(_) => ErrorCode::EntryLocked,
        ReviewRefusal::Hours => ErrorCode::InvalidEntry,
        ReviewRefusal::DescriptionRequired => ErrorCode::DescriptionRequired,
        ReviewRefusal::DescriptionOnly => ErrorCode::Forbidden,
    };
    rejected(code, refusal.to_string())
}
