//! Timers changed by someone other than their owner: a workspace admin's *Team now* (T6: who
//! is tracking what, and pausing or stopping anyone's timer) and the runaway watchdog (T8: a
//! timer past its workspace's threshold is stopped there when *runaway auto-stop* is on).
//!
//! Each change is made in the owner's scope, under their timer lock, by the rules their own
//! devices' changes meet (`timers`): the entry is what the owner's rules make of a stop they did
//! not make (T4, T5, T11), and what a device still sends about the timer afterwards is
//! reconciled like a stop from another device (T1). The owner's devices hear of it at once
//! (`timer_stopped` / `timer_paused`, naming who) and pull.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use stint_api::rest::{Assignee, Entry, RunningTimer, TeamNow};
use stint_api::sync::Intent;
use stint_domain::Stopper;
use stint_storage::{
    may, Capability, RunawayTimer, Storage, TimerRecord, Transaction, WorkspaceScope,
};
use uuid::Uuid;

use crate::error::ApiError;
use crate::events::{Event, Events};
use crate::policy;
use crate::service::batch::Batch;
use crate::service::sync;
use crate::service::timers::{self, ApplyError};
use crate::time;

/// Runaway timers stopped per sweep at most; the next sweep takes the rest.
const RUNAWAY_SWEEP_LIMIT: usize = 500;

/// Everyone's running and paused timers, with who and on what.
pub async fn team_now(
    storage: &dyn Storage,
    control: Capability<'_, may::ChangeSettings>,
    now: DateTime<Utc>,
) -> Result<TeamNow, ApiError> {
    let timers = storage.running_timers(control).await?;
    let names = member_names(storage, control).await?;
    let task_ids: Vec<Uuid> = timers.iter().map(|timer| timer.task_id).collect();
    let tasks: HashMap<_, _> = storage
        .tasks(control.scope(), Some(&task_ids))
        .await?
        .into_iter()
        .map(|task| (task.id, task))
        .collect();
    let timers = timers
        .into_iter()
        .map(|timer| {
            let task = tasks.get(&timer.task_id);
            RunningTimer {
                timer_id: timer.id,
                user: Assignee {
                    user_id: timer.user_id,
                    name: names.get(&timer.user_id).cloned().unwrap_or_default(),
                },
                task_id: timer.task_id,
                task_title: task.map(|t| t.title.clone()).unwrap_or_default(),
                project_name: task.map(|t| t.project_name.clone()).unwrap_or_default(),
                state: timer.head.state(),
                started_at: timer.head.started_at,
                counted_secs: timer.head.counted_secs(now),
            }
        })
        .collect();
    Ok(TeamNow {
        timers,
        server_time: now,
    })
}

/// T6: an admin stops a member's running or paused timer (their own too) now. The entry is
/// what the owner's rules make of a stop they did not make: a member's draft, a *timer access
/// only* user's submission.
pub async fn stop(
    storage: &dyn Storage,
    events: &Events,
    control: Capability<'_, may::ChangeSettings>,
    timer_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Entry, ApiError> {
    let timer = running_timer(storage, control, timer_id).await?;
    let owner = policy::timer_owner(storage, control, timer.user_id).await?;
    let by = admin_words(storage, control).await?;
    let entry = in_owner_batch(storage, &owner, timer_id, now, |batch| {
        timers::stop_for_owner(batch, &owner, timer_id, now, Stopper::Admin, &by)
    })
    .await?;
    tell_stopped(events, &owner, timer_id, &by).await;
    Ok(sync::entry(entry))
}

/// T6: an admin pauses a member's running timer now.
pub async fn pause(
    storage: &dyn Storage,
    events: &Events,
    control: Capability<'_, may::ChangeSettings>,
    timer_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let timer = running_timer(storage, control, timer_id).await?;
    let owner = policy::timer_owner(storage, control, timer.user_id).await?;
    let by = admin_words(storage, control).await?;
    in_owner_batch(storage, &owner, timer_id, now, |batch| {
        timers::pause_for_owner(batch, timer_id, now)
    })
    .await?;
    events
        .publish(Event::timer_paused_by(&owner, timer_id, &by))
        .await;
    events.publish(Event::changed(&owner)).await;
    Ok(())
}

/// T8: stops every running timer whose counted time reached its workspace's runaway threshold
/// where auto-stop is on, at the instant it did, flagged for its owner's review, and tells the
/// owner. Several server instances may sweep at once: each stop reads the timer again under its
/// owner's lock, so a timer is stopped once and the other sweeps find it stopped. Answers how
/// many this sweep stopped.
pub async fn stop_runaways(
    storage: &dyn Storage,
    events: &Events,
    now: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let mut stopped = 0;
    for runaway in storage.runaway_timers(now, RUNAWAY_SWEEP_LIMIT).await? {
        match stop_runaway(storage, events, &runaway, now).await {
            Ok(true) => stopped += 1,
            Ok(false) => {}
            // One timer's failure (its owner left the workspace, a busy database) does not
            // hold up the others; the next sweep tries it again.
            Err(error) => tracing::warn!(timer = %runaway.timer_id, ?error, "runaway stop failed"),
        }
    }
    Ok(stopped)
}

/// Sweeps for runaway timers every `every`, for as long as the server runs.
pub async fn watch_runaways(storage: Arc<dyn Storage>, events: Events, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        ticks.tick().await;
        match stop_runaways(&*storage, &events, time::now()).await {
            Ok(0) => {}
            Ok(stopped) => tracing::info!(stopped, "runaway timers stopped"),
            Err(error) => tracing::warn!(?error, "the runaway sweep failed"),
        }
    }
}

async fn stop_runaway(
    storage: &dyn Storage,
    events: &Events,
    runaway: &RunawayTimer,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let owner = policy::runaway_owner(storage, runaway).await?;
    let timer_id = runaway.timer_id;
    let by = in_owner_batch(storage, &owner, timer_id, now, |batch| {
        // As it stands now: stopped or paused by another sweep, its owner or an admin
        // meanwhile; or the settings changed since it was found.
        let (hours, auto_stop) = (
            batch.settings().runaway_timer_hours,
            batch.settings().runaway_auto_stop,
        );
        let reached = batch
            .own_timer(timer_id)
            .filter(|timer| !timer.stopped)
            .and_then(|timer| timer.head.reaches(chrono::Duration::hours(hours)));
        match reached {
            Some(at) if auto_stop && at <= now => {
                let by = format!("it reached this workspace's {hours}-hour limit; check its hours");
                timers::stop_for_owner(batch, &owner, timer_id, at, Stopper::Runaway, &by)?;
                Ok(Some(by))
            }
            _ => Ok(None),
        }
    })
    .await?;
    let Some(by) = by else {
        return Ok(false);
    };
    tell_stopped(events, &owner, timer_id, &by).await;
    Ok(true)
}

/// Applies `change` to the owner's timer `timer_id` in one transaction under their timer lock,
/// and writes what it did.
async fn in_owner_batch<T>(
    storage: &dyn Storage,
    owner: &WorkspaceScope,
    timer_id: Uuid,
    now: DateTime<Utc>,
    change: impl FnOnce(&mut Batch) -> Result<T, ApplyError>,
) -> Result<T, ApiError> {
    let mut tx = storage.begin_in(owner).await?;
    let done = owner_batch(tx.as_mut(), owner, timer_id, now, change).await?;
    tx.commit().await?;
    Ok(done)
}

/// `change` to the owner's timer `timer_id` (and their running one) in `tx`, under their timer
/// lock, written.
async fn owner_batch<T>(
    tx: &mut dyn Transaction,
    owner: &WorkspaceScope,
    timer_id: Uuid,
    now: DateTime<Utc>,
    change: impl FnOnce(&mut Batch) -> Result<T, ApplyError>,
) -> Result<T, ApiError> {
    tx.lock_user_timers(owner).await?;
    // What a stop of the timer reads: the timer, the user's active one and the settings.
    let reads = Intent::StopTimer {
        timer_id,
        entry_id: Uuid::nil(),
        at: now,
        switch: false,
        idle: false,
    };
    let mut batch = Batch::load(tx, owner, std::iter::once(&reads)).await?;
    let done = change(&mut batch).map_err(|error| match error {
        ApplyError::Rejected(body) | ApplyError::Reconciled(body) => {
            ApiError::new(body.code, body.message)
        }
    })?;
    batch.write(tx, owner, now).await?;
    Ok(done)
}

/// T6: a member who is deactivated stops tracking. Their running or paused timer is stopped now
/// as an admin's stop (`by` names the admin), in the deactivation's own transaction `tx`, before
/// the deactivation is written (their timer lock then holds off a push of theirs until it
/// commits, after which they change nothing here); a deactivation refused stops nothing.
/// `owner` is their scope, read while they were active. Answers the timer stopped, for
/// `tell_stopped` once the transaction commits.
pub async fn stop_for_deactivation(
    tx: &mut dyn Transaction,
    owner: &WorkspaceScope,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, ApiError> {
    owner_batch(tx, owner, Uuid::nil(), now, |batch| {
        let Some(timer) = batch.active_timer() else {
            return Ok(None);
        };
        timers::stop_for_owner(batch, owner, timer.id, now, Stopper::Admin, by)?;
        Ok(Some(timer.id))
    })
    .await
}

/// Tells the owner's devices that their timer `timer_id` was stopped `by` someone else, and
/// everyone that something changed. After the stop commits.
pub async fn tell_stopped(events: &Events, owner: &WorkspaceScope, timer_id: Uuid, by: &str) {
    events
        .publish(Event::timer_stopped_by(owner, timer_id, by))
        .await;
    events.publish(Event::changed(owner)).await;
}

/// The workspace's running or paused timer with this id; 404 for any other.
async fn running_timer(
    storage: &dyn Storage,
    control: Capability<'_, may::ChangeSettings>,
    timer_id: Uuid,
) -> Result<TimerRecord, ApiError> {
    storage
        .running_timers(control)
        .await?
        .into_iter()
        .find(|timer| timer.id == timer_id)
        .ok_or_else(|| ApiError::not_found(format!("no running or paused timer {timer_id} here")))
}

async fn member_names(
    storage: &dyn Storage,
    control: Capability<'_, may::ChangeSettings>,
) -> Result<HashMap<Uuid, String>, ApiError> {
    Ok(storage
        .members(control)
        .await?
        .into_iter()
        .map(|member| (member.user_id, member.name))
        .collect())
}

/// Who did it, as the owner's device words it ("Your timer was stopped: by Ann Admin.").
pub async fn admin_words(
    storage: &dyn Storage,
    control: Capability<'_, may::ChangeSettings>,
) -> Result<String, ApiError> {
    let names = member_names(storage, control).await?;
    let name = names
        .get(&control.scope().user_id())
        .map_or("an admin", String::as_str);
    Ok(format!("by {name}"))
}
