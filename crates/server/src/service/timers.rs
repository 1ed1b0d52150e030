//! The timer rules, applied to one pushed intent inside the push's transaction:
//! T1 (one running timer per user, in the order of the instants: a start stops the running one
//! into a draft, and a start that arrives late but happened earlier closes where the next one
//! began), T2 (Start Work assigns the user and moves an open task to *In progress*) and T3
//! (segments: pause, resume, stop into an entry), with the arithmetic of
//! `stint_domain::TimerHead`.
//!
//! Each intent checks every rule, reading only, before it writes; the push still runs each
//! under a savepoint, so a failure half-way through one (a client-made id taken a moment
//! earlier by another push) undoes that one alone.

use chrono::{DateTime, Utc};
use serde_json::json;
use stint_api::sync::Intent;
use stint_api::{ErrorBody, ErrorCode};
use stint_domain::{EntrySource, EntryStatus, TimerError, TimerHead};
use stint_storage::{EntryRecord, TimerRecord, Transaction, WorkspaceScope};
use uuid::Uuid;

use crate::error::ApiError;
use crate::service::sync;
use crate::time;

/// What an applied intent did.
#[derive(Debug, Default)]
pub struct Applied {
    /// The server held its effect already (an intent re-sent on a new stream after a restore or
    /// a divergence): nothing changed.
    pub already: bool,
    /// A running timer of the user that this start stopped (T1): its devices are told.
    pub stopped_timer: Option<Uuid>,
}

/// Why an intent was not applied: refused by the rules or decided otherwise by the server first
/// (both recorded, sync goes on), or a failure of the server itself (the push fails, nothing is
/// recorded, the device retries).
pub enum ApplyError {
    Rejected(ErrorBody),
    Reconciled(ErrorBody),
    Failed(ApiError),
}

impl<E: Into<ApiError>> From<E> for ApplyError {
    fn from(error: E) -> ApplyError {
        ApplyError::Failed(error.into())
    }
}

fn rejected(code: ErrorCode, message: impl Into<String>) -> ApplyError {
    ApplyError::Rejected(ErrorBody::new(code, message))
}

fn transition_refused(error: TimerError) -> ApplyError {
    let code = match error {
        TimerError::TooManySegments { .. } => ErrorCode::TooManySegments,
        _ => ErrorCode::InvalidTransition,
    };
    rejected(code, error.to_string())
}

/// Applies one intent. The caller holds the user's timer lock (`lock_user_timers`) for the
/// whole transaction.
pub async fn apply(
    tx: &mut dyn Transaction,
    scope: &WorkspaceScope,
    intent: &Intent,
    now: DateTime<Utc>,
) -> Result<Applied, ApplyError> {
    // Both databases keep milliseconds: a finer instant would compare differently on each.
    let at = time::to_millis(intent.at());
    time::check(at, now).map_err(ApplyError::Rejected)?;
    match *intent {
        Intent::StartTimer {
            timer_id, task_id, ..
        } => start(tx, scope, timer_id, task_id, at).await,
        Intent::PauseTimer { timer_id, .. } => {
            let mut timer = own_active_timer(tx, scope, timer_id).await?;
            timer.head.pause(at).map_err(transition_refused)?;
            tx.update_timer(scope, &timer).await?;
            Ok(Applied::default())
        }
        Intent::ResumeTimer { timer_id, .. } => {
            let mut timer = own_active_timer(tx, scope, timer_id).await?;
            timer.head.resume(at).map_err(transition_refused)?;
            tx.update_timer(scope, &timer).await?;
            Ok(Applied::default())
        }
        Intent::StopTimer {
            timer_id, entry_id, ..
        } => {
            if let Some(entry) = tx.own_entry(scope, entry_id).await? {
                if entry.timer_id == Some(timer_id) {
                    return Ok(already());
                }
            }
            let timer = own_active_timer(tx, scope, timer_id).await?;
            let stop = plan_stop(tx, timer, at, entry_id).await?;
            write_stop(tx, scope, stop).await?;
            Ok(Applied::default())
        }
        Intent::RecordEntry {
            entry_id,
            task_id,
            timer_id,
            started_at,
            ended_at: _,
            duration_secs,
            ref description,
        } => {
            let entry = EntryRecord {
                id: entry_id,
                user_id: scope.user_id(),
                task_id,
                timer_id,
                started_at: time::to_millis(started_at),
                ended_at: at,
                duration_secs,
                status: EntryStatus::Draft,
                source: EntrySource::Timer,
                description: description.clone(),
            };
            record_entry(tx, scope, entry, now).await
        }
    }
}

fn already() -> Applied {
    Applied {
        already: true,
        stopped_timer: None,
    }
}

/// T1 and T2.
async fn start(
    tx: &mut dyn Transaction,
    scope: &WorkspaceScope,
    timer_id: Uuid,
    task_id: Uuid,
    at: DateTime<Utc>,
) -> Result<Applied, ApplyError> {
    let Some(status) = tx.task_status(scope, task_id).await? else {
        return Err(rejected(
            ErrorCode::UnknownTask,
            format!("there is no task {task_id} in this workspace"),
        ));
    };
    if tx.timer_id_taken(timer_id).await? {
        // The same start sent again (on a new stream) is not a conflict.
        return match tx.own_timer(scope, timer_id).await? {
            Some(timer) if timer.task_id == task_id && timer.head.started_at == at => Ok(already()),
            _ => Err(rejected(
                ErrorCode::IdConflict,
                format!("timer id {timer_id} is already taken"),
            )),
        };
    }
    // T1 in time order: a timer of this user that started later means this start arrived late;
    // it ran until then, and the newer timer is left alone.
    let (timer, stop) = match tx.next_timer_start(scope, at).await? {
        Some(next) => {
            let timer = TimerRecord {
                id: timer_id,
                user_id: scope.user_id(),
                task_id,
                head: TimerHead::start(at),
                stopped: false,
            };
            let stop = plan_stop(tx, timer, next, Uuid::now_v7()).await?;
            (stop.timer, Some(stop.entry))
        }
        None => {
            let timer = TimerRecord {
                id: timer_id,
                user_id: scope.user_id(),
                task_id,
                head: TimerHead::start(at),
                stopped: false,
            };
            (timer, None)
        }
    };
    let running_stop = match (&stop, tx.own_active_timer(scope).await?) {
        (None, Some(running)) => {
            // Never stop a timer before its own last change (a pause that came later).
            let stop_at = at.max(running.head.last_change());
            Some(plan_stop(tx, running, stop_at, Uuid::now_v7()).await?)
        }
        _ => None,
    };

    // Every rule holds: write.
    let stopped_timer = running_stop.as_ref().map(|s| s.timer.id);
    if let Some(stop) = running_stop {
        write_stop(tx, scope, stop).await?;
    }
    tx.insert_timer(scope, &timer).await?;
    if let Some(entry) = stop {
        tx.insert_entry(scope, &entry).await?;
    }
    tx.assign(scope, task_id, scope.user_id()).await?;
    let after = status.after_start_work();
    if after != status {
        // Only if nobody moved it meanwhile (a concurrent start, a completion).
        tx.change_task_status(scope, task_id, status, after).await?;
    }
    Ok(Applied {
        already: false,
        stopped_timer,
    })
}

/// An entry the device holds and the server may lack (re-sent after a restore). When its timer
/// is still running here, this is that timer's stop.
async fn record_entry(
    tx: &mut dyn Transaction,
    scope: &WorkspaceScope,
    mut entry: EntryRecord,
    now: DateTime<Utc>,
) -> Result<Applied, ApplyError> {
    time::check(entry.started_at, now).map_err(ApplyError::Rejected)?;
    if let Some(existing) = tx.own_entry(scope, entry.id).await? {
        return if existing == entry {
            Ok(already())
        } else {
            Err(reconciled(
                "the server has this entry with other values",
                &existing,
            ))
        };
    }
    let span = (entry.ended_at - entry.started_at).num_seconds();
    if span < 0 || entry.duration_secs < 0 || entry.duration_secs > span {
        return Err(rejected(
            ErrorCode::InvalidTransition,
            "an entry must end after it starts and count no more than its span",
        ));
    }
    if tx.entry_id_taken(entry.id).await? {
        return Err(rejected(
            ErrorCode::IdConflict,
            format!("entry id {} is already taken", entry.id),
        ));
    }
    if tx.task_status(scope, entry.task_id).await?.is_none() {
        return Err(rejected(
            ErrorCode::UnknownTask,
            format!("there is no task {} in this workspace", entry.task_id),
        ));
    }
    if let Some(timer_id) = entry.timer_id {
        match tx.own_timer(scope, timer_id).await? {
            Some(timer) if !timer.stopped => {
                let mut stop = plan_stop(tx, timer, entry.ended_at, entry.id).await?;
                // The device's text stays with it (the timer knows none).
                stop.entry.description = entry.description;
                write_stop(tx, scope, stop).await?;
                return Ok(Applied::default());
            }
            Some(_) => {
                if let Some(server_entry) = tx.entry_of_timer(scope, timer_id).await? {
                    return Err(reconciled(
                        "the server stopped this timer into another entry",
                        &server_entry,
                    ));
                }
            }
            // The timer is gone with what the server lost: the entry stands alone.
            None => entry.timer_id = None,
        }
    }
    tx.insert_entry(scope, &entry).await?;
    Ok(Applied::default())
}

/// The server decided otherwise first; `server_entry` (a whole `Entry`) is what it has instead,
/// and what the device keeps.
fn reconciled(message: &str, server_entry: &EntryRecord) -> ApplyError {
    let entry = sync::entry(server_entry.clone());
    ApplyError::Reconciled(
        ErrorBody::new(ErrorCode::TimerStopped, message)
            .with_details(json!({ "server_entry": entry })),
    )
}

/// The caller's own timer that is still running or paused. Someone else's timer is reported as
/// unknown, the same as one that does not exist.
async fn own_active_timer(
    tx: &mut dyn Transaction,
    scope: &WorkspaceScope,
    timer_id: Uuid,
) -> Result<TimerRecord, ApplyError> {
    let timer = tx.own_timer(scope, timer_id).await?.ok_or_else(|| {
        rejected(
            ErrorCode::UnknownTimer,
            format!("there is no timer {timer_id}"),
        )
    })?;
    if timer.stopped {
        // Stopped here first (T1 from another device, an admin): the device takes the server's
        // entry, and its own version goes to *Sync issues*.
        return Err(match tx.entry_of_timer(scope, timer_id).await? {
            Some(entry) => reconciled(
                "the timer had already been stopped (work was started on another device, or \
                 someone stopped it)",
                &entry,
            ),
            None => rejected(ErrorCode::TimerStopped, "the timer was already stopped"),
        });
    }
    Ok(timer)
}

/// A stop that passed every check, ready to write: the stopped timer and its entry.
struct Stop {
    timer: TimerRecord,
    entry: EntryRecord,
}

/// T3: checks that the timer can become a draft entry of its counted time at `at`.
async fn plan_stop(
    tx: &mut dyn Transaction,
    mut timer: TimerRecord,
    at: DateTime<Utc>,
    entry_id: Uuid,
) -> Result<Stop, ApplyError> {
    if tx.entry_id_taken(entry_id).await? {
        return Err(rejected(
            ErrorCode::IdConflict,
            format!("entry id {entry_id} is already taken"),
        ));
    }
    let stopped = timer.head.stop(at).map_err(transition_refused)?;
    let entry = EntryRecord {
        id: entry_id,
        user_id: timer.user_id,
        task_id: timer.task_id,
        timer_id: Some(timer.id),
        started_at: stopped.started_at,
        ended_at: stopped.ended_at,
        duration_secs: stopped.duration_secs,
        status: EntryStatus::Draft,
        source: EntrySource::Timer,
        description: String::new(),
    };
    timer.head.last = stopped.last;
    timer.stopped = true;
    Ok(Stop { timer, entry })
}

async fn write_stop(
    tx: &mut dyn Transaction,
    scope: &WorkspaceScope,
    stop: Stop,
) -> Result<(), ApiError> {
    tx.insert_entry(scope, &stop.entry).await?;
    tx.update_timer(scope, &stop.timer).await?;
    Ok(())
}
