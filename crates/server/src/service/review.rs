//! T4 inside a push: a user reviews an entry of theirs after a stop — its hours, notes and
//! billable — and keeps it as a draft or submits it for approval, or throws a draft away. Only
//! drafts and returned entries change: a submitted or approved one is locked. *Require
//! description* (T11) holds for submitting, not for drafts.

use stint_api::ErrorCode;
use stint_domain::{check_discard, check_review, ActivityKind, EntryStatus, ReviewRefusal};
use stint_storage::EntryRecord;
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

pub fn review(batch: &mut Batch, entry_id: Uuid, review: Review) -> Result<Applied, ApplyError> {
    let entry = own_entry(batch, entry_id)?;
    check_review(
        entry.status,
        review.duration_secs,
        &review.description,
        review.submit,
        batch.settings(),
    )
    .map_err(refused)?;
    let reviewed = EntryRecord {
        duration_secs: review.duration_secs,
        description: review.description,
        billable: review.billable,
        status: match review.submit {
            true => EntryStatus::Submitted,
            false => EntryStatus::Draft,
        },
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
    };
    rejected(code, refusal.to_string())
}
