//! Entries over REST: the list of those the caller may see (`policy::visibility`, applied by
//! the one storage read of other people's entries, narrowed by their timesheets filter), moving
//! one's own entry to a team or off it — between the public and the secured store when the
//! team's visibility differs (P4) — and an admin's edit of a submitted entry (T6).

use chrono::{DateTime, Utc};
use stint_api::rest::{Assignee, Entry, EntryActivity, EntryEdit, EntryList, EntryListQuery};
use stint_api::ErrorCode;
use stint_domain::{ActivityKind, EntryStatus, Filter, Page, TeamPermission, MAX_ENTRY_SECS};
use stint_storage::{
    may, Capability, EntryQuery, Held, Storage, StorageError, TeamRecord, WorkspaceScope,
};
use uuid::Uuid;

use crate::error::ApiError;
use crate::events::{Event, Events};
use crate::policy;
use crate::service::{groups, sync, teams};
use crate::time::now;

/// The most entries one list answers.
pub const MAX_ENTRIES_LISTED: u32 = 1_000;
const ENTRIES_LISTED: u32 = 100;

pub async fn list(
    storage: &dyn Storage,
    read: Capability<'_, may::Read>,
    query: &EntryListQuery,
) -> Result<EntryList, ApiError> {
    let limit = query.limit.unwrap_or(ENTRIES_LISTED);
    if !(1..=MAX_ENTRIES_LISTED).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            format!("limit is 1 to {MAX_ENTRIES_LISTED}"),
        ));
    }
    let scope = read.scope();
    // This list is the timesheets page: its filter narrows what visibility allows (P3).
    let (filter, filter_source) = groups::filter_for(storage, scope, Page::Timesheets).await?;
    let me = scope.user_id();
    let mut narrowed = EntryQuery {
        entry_id: None,
        user_id: query.user_id,
        team_id: query.team_id,
        managed_by: None,
        projects_led_by: None,
        from: query.from,
        to: query.to,
        limit: limit as usize,
    };
    let visibility = policy::visibility(storage, read).await?;
    let entries = if apply_filter(filter, me, &mut narrowed) {
        storage.visible_entries(&visibility, &narrowed).await?
    } else {
        Vec::new()
    };
    Ok(EntryList {
        entries: entries.into_iter().map(sync::entry).collect(),
        all_public: visibility.all_public(),
        team_ids: visibility.teams().to_vec(),
        filter,
        filter_source,
    })
}

/// Narrows `query` to the entries `filter` shows `me`; `false` when it shows none of them
/// (own hours only, and someone else's asked for).
pub fn apply_filter(filter: Filter, me: Uuid, query: &mut EntryQuery) -> bool {
    match filter {
        Filter::None => {}
        Filter::Manager => query.managed_by = Some(me),
        Filter::ProjectLeader => query.projects_led_by = Some(me),
        Filter::OwnHours => match query.user_id {
            Some(user) if user != me => return false,
            _ => query.user_id = Some(me),
        },
    }
    true
}

/// Logs one of the caller's draft or rejected entries to a team where they may work on issues
/// (and hold `time:write`), or to no team. Decided on the team as read, and again if the team
/// changed before the move was written.
pub async fn move_to_team(
    storage: &dyn Storage,
    write: Capability<'_, may::Write>,
    entry_id: Uuid,
    team_id: Option<Uuid>,
) -> Result<Entry, ApiError> {
    let scope = write.scope();
    teams::decided_again(|| async {
        let to = match team_id {
            None => None,
            Some(team_id) => Some(team_to_log_to(storage, scope, team_id).await?),
        };
        let mut tx = storage.begin().await?;
        // Taken by the move too; taken first here so the entry read below stays as read.
        tx.lock_user_timers(scope).await?;
        let Some(Held::Own(entry)) = tx.entries_with_ids(scope, &[entry_id]).await?.pop() else {
            return Err(ApiError::not_found("no such entry of yours"));
        };
        if matches!(entry.status, EntryStatus::Submitted | EntryStatus::Approved) {
            return Err(ApiError::new(
                ErrorCode::EntryLocked,
                "a submitted or approved entry stays in its team",
            ));
        }
        if entry.team_id == team_id {
            return Ok(sync::entry(entry));
        }
        tx.move_entry(write, &entry, to.as_ref(), now())
            .await
            .map_err(|error| match error {
                StorageError::NotFound => ApiError::not_found("no such entry of yours"),
                other => other.into(),
            })?;
        tx.commit().await?;
        storage
            .own_entries(scope, &[entry_id])
            .await?
            .pop()
            .map(sync::entry)
            .ok_or_else(|| ApiError::not_found("no such entry of yours"))
    })
    .await
}

/// T6: an admin edits the hours or billable of a submitted entry they may see. The change is
/// made in its author's scope, under their timer lock, on the entry as it is then; its feed
/// records each change as the admin's, and the author's devices get it with their next pull.
/// Drafts and returned entries are their author's to review; approved ones are settled.
pub async fn edit_submitted(
    storage: &dyn Storage,
    events: &Events,
    read: Capability<'_, may::Read>,
    settings: Capability<'_, may::ChangeSettings>,
    entry_id: Uuid,
    edit: &EntryEdit,
    now: DateTime<Utc>,
) -> Result<Entry, ApiError> {
    if edit
        .duration_secs
        .is_some_and(|secs| !(0..=MAX_ENTRY_SECS).contains(&secs))
    {
        return Err(ApiError::invalid(
            "duration_secs",
            "an entry holds 0 to 24 hours",
        ));
    }
    let visibility = policy::visibility(storage, read).await?;
    let this_entry = EntryQuery {
        entry_id: Some(entry_id),
        limit: 1,
        ..EntryQuery::default()
    };
    let Some(seen) = storage
        .visible_entries(&visibility, &this_entry)
        .await?
        .pop()
    else {
        return Err(ApiError::not_found("no such entry"));
    };
    let author = policy::timer_owner(storage, settings, seen.user_id).await?;
    let mut tx = storage.begin_in(&author).await?;
    tx.lock_user_timers(&author).await?;
    let Some(Held::Own(entry)) = tx.entries_with_ids(&author, &[entry_id]).await?.pop() else {
        return Err(ApiError::not_found("no such entry"));
    };
    if entry.status != EntryStatus::Submitted {
        return Err(ApiError::new(
            ErrorCode::EntryLocked,
            format!(
                "the entry is {}: only a submitted entry is an admin's to edit",
                entry.status.as_str()
            ),
        ));
    }
    let edited = stint_storage::EntryRecord {
        duration_secs: edit.duration_secs.unwrap_or(entry.duration_secs),
        billable: edit.billable.unwrap_or(entry.billable),
        ..entry.clone()
    };
    let activity: Vec<ActivityKind> = [
        (edited.duration_secs != entry.duration_secs).then_some(ActivityKind::HoursEdited),
        (edited.billable != entry.billable).then_some(ActivityKind::BillableToggled),
    ]
    .into_iter()
    .flatten()
    .collect();
    if activity.is_empty() {
        return Ok(sync::entry(entry));
    }
    let admin = settings.scope().user_id();
    tx.update_own_entries(&author, &[(edited.clone(), activity)], now, admin)
        .await?;
    tx.commit().await?;
    events.publish(Event::changed(&author)).await;
    Ok(sync::entry(edited))
}

/// A team of the workspace the caller may log time to.
async fn team_to_log_to(
    storage: &dyn Storage,
    scope: &WorkspaceScope,
    team_id: Uuid,
) -> Result<TeamRecord, ApiError> {
    let team = storage
        .teams(scope, Some(team_id))
        .await?
        .pop()
        .ok_or_else(|| ApiError::invalid("team_id", "no such team in this workspace"))?;
    if !policy::team_grants(scope, &team).contains(TeamPermission::WorkOnIssues) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "logging time to this team needs its `work_on_issues` permission",
        )
        .with_details(serde_json::json!({ "team_permission": TeamPermission::WorkOnIssues })));
    }
    Ok(team)
}

/// An entry's activity feed (E1), oldest first — only for whoever may see the entry: to
/// anyone else it does not exist.
pub async fn activity(
    storage: &dyn Storage,
    read: Capability<'_, may::Read>,
    entry_id: Uuid,
) -> Result<Vec<EntryActivity>, ApiError> {
    let visibility = policy::visibility(storage, read).await?;
    let this_entry = EntryQuery {
        entry_id: Some(entry_id),
        limit: 1,
        ..EntryQuery::default()
    };
    if storage
        .visible_entries(&visibility, &this_entry)
        .await?
        .is_empty()
    {
        return Err(ApiError::not_found("no such entry"));
    }
    Ok(storage
        .entry_activity(&visibility, entry_id)
        .await?
        .into_iter()
        .map(|event| EntryActivity {
            at: event.at,
            actor: Assignee {
                user_id: event.actor_id,
                name: event.actor_name,
            },
            kind: event.kind,
            from_team_id: event.from_team_id,
            to_team_id: event.to_team_id,
        })
        .collect())
}
