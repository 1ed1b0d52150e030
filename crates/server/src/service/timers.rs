//! The timer rules, applied to one pushed intent inside the push's transaction:
//! T1 (one running timer per user: a start stops the running one into a draft), T2 (Start Work
//! assigns the user and moves an open task to *In progress*) and T3 (segments: pause, resume,
//! stop into an entry), with the arithmetic of `stint_domain::TimerHead`.
//!
//! Each intent first checks every rule, reading only, and then writes. So an intent the rules
//! reject has written nothing, and a push needs no savepoint per mutation (on PostgreSQL each
//! would cost a subtransaction, and more than 64 in one transaction slow every snapshot).

use chrono::{DateTime, Utc};
use stint_api::sync::Intent;
use stint_api::{ErrorBody, ErrorCode};
use stint_domain::{EntrySource, EntryStatus, TimerError, TimerHead};
use stint_storage::{EntryRecord, TimerRecord, Transaction, WorkspaceScope};
use uuid::Uuid;

use crate::error::ApiError;
use crate::time;

/// Why an intent was not applied: refused by the rules (recorded, sync goes on) or a failure of
/// the server itself (the push fails, nothing is recorded, the device retries).
pub enum ApplyError {
    Rejected(ErrorBody),
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
) -> Result<(), ApplyError> {
    // Both databases keep milliseconds: a finer instant would compare differently on each.
    let at = time::to_millis(intent.at());
    if !time::plausible(at, now) {
        return Err(rejected(
            ErrorCode::InstantOutOfRange,
            format!("{at} is before 2000 or more than a day ahead of the server's clock ({now})"),
        ));
    }
    match *intent {
        Intent::StartTimer {
            timer_id, task_id, ..
        } => start(tx, scope, timer_id, task_id, at).await,
        Intent::PauseTimer { timer_id, .. } => {
            let mut timer = own_active_timer(tx, scope, timer_id).await?;
            timer.head.pause(at).map_err(transition_refused)?;
            Ok(tx.update_timer(scope, &timer).await?)
        }
        Intent::ResumeTimer { timer_id, .. } => {
            let mut timer = own_active_timer(tx, scope, timer_id).await?;
            timer.head.resume(at).map_err(transition_refused)?;
            Ok(tx.update_timer(scope, &timer).await?)
        }
        Intent::StopTimer {
            timer_id, entry_id, ..
        } => {
            let timer = own_active_timer(tx, scope, timer_id).await?;
            let stop = plan_stop(tx, timer, at, entry_id).await?;
            Ok(write_stop(tx, scope, stop).await?)
        }
    }
}

/// T1 and T2.
async fn start(
    tx: &mut dyn Transaction,
    scope: &WorkspaceScope,
    timer_id: Uuid,
    task_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), ApplyError> {
    let Some(status) = tx.task_status(scope, task_id).await? else {
        return Err(rejected(
            ErrorCode::UnknownTask,
            format!("there is no task {task_id} in this workspace"),
        ));
    };
    if tx.timer_id_taken(timer_id).await? {
        return Err(rejected(
            ErrorCode::IdConflict,
            format!("timer id {timer_id} is already taken"),
        ));
    }
    let running_stop = match tx.own_active_timer(scope).await? {
        Some(running) => {
            // Device clocks differ: never stop a timer before its own last change.
            let stop_at = at.max(running.head.last_change());
            Some(plan_stop(tx, running, stop_at, Uuid::now_v7()).await?)
        }
        None => None,
    };

    // Every rule holds: write.
    if let Some(stop) = running_stop {
        write_stop(tx, scope, stop).await?;
    }
    tx.insert_timer(
        scope,
        &TimerRecord {
            id: timer_id,
            user_id: scope.user_id(),
            task_id,
            head: TimerHead::start(at),
            stopped: false,
        },
    )
    .await?;
    tx.assign(scope, task_id, scope.user_id()).await?;
    let after = status.after_start_work();
    if after != status {
        // Only if nobody moved it meanwhile (a concurrent start, a completion).
        tx.change_task_status(scope, task_id, status, after).await?;
    }
    Ok(())
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
        return Err(rejected(
            ErrorCode::TimerStopped,
            "the timer was already stopped",
        ));
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
