//! The timer rules, applied to one pushed intent inside the push's transaction:
//! T1 (one running timer per user, in the order of the instants: a start stops the running one
//! into a draft, and a start that arrives late but happened earlier closes where the next one
//! began), T2 (Start Work assigns the user and moves an open task to *In progress*) and T3
//! (segments: pause, resume, stop into an entry), with the arithmetic of
//! `stint_domain::TimerHead`.
//!
//! The rules work on the push's `Batch` (its view of the user's timers, entries and tasks) and
//! never wait on the database. Each intent checks every rule, reading only, before it writes:
//! an intent refused leaves the batch as it was.

use chrono::{DateTime, Utc};
use serde_json::json;
use stint_api::sync::Intent;
use stint_api::{ErrorBody, ErrorCode};
use stint_domain::{
    EntryFlag, EntrySource, EntryStatus, Review, Stopper, TimerError, TimerHead, TimerState,
    MAX_ENTRY_SECS, MAX_ROUNDING_MINUTES,
};
use stint_storage::{EntryRecord, TimerRecord, WorkspaceScope};
use uuid::Uuid;

use crate::service::batch::Batch;
use crate::service::review;
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

/// Why an intent was not applied: refused by the rules, or decided otherwise by the server
/// first. Both are recorded and the batch goes on.
pub enum ApplyError {
    Rejected(ErrorBody),
    Reconciled(ErrorBody),
}

pub(super) fn rejected(code: ErrorCode, message: impl Into<String>) -> ApplyError {
    ApplyError::Rejected(ErrorBody::new(code, message))
}

fn transition_refused(error: TimerError) -> ApplyError {
    let code = match error {
        TimerError::TooManySegments { .. } => ErrorCode::TooManySegments,
        _ => ErrorCode::InvalidTransition,
    };
    rejected(code, error.to_string())
}

/// Applies one intent to the batch. The batch was read under the user's timer lock
/// (`lock_user_timers`), held until it is written.
pub fn apply(
    batch: &mut Batch,
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
        } => start(batch, scope, timer_id, task_id, at),
        Intent::PauseTimer { timer_id, .. } => {
            let mut timer = own_active_timer(batch, timer_id)?;
            // Paused already (by an admin, T6, before this device's pause arrived): it stays
            // paused from the earlier instant.
            if timer.head.state() == TimerState::Paused {
                return Ok(already());
            }
            timer.head.pause(at).map_err(transition_refused)?;
            batch.save_timer(timer);
            Ok(Applied::default())
        }
        Intent::ResumeTimer { timer_id, .. } => {
            let mut timer = own_active_timer(batch, timer_id)?;
            timer.head.resume(at).map_err(transition_refused)?;
            batch.save_timer(timer);
            Ok(Applied::default())
        }
        Intent::StopTimer {
            timer_id,
            entry_id,
            switch,
            idle,
            ..
        } => {
            if let Some(entry) = batch.own_entry(entry_id) {
                if entry.timer_id == Some(timer_id) {
                    return Ok(already());
                }
            }
            let stopper = match (switch, idle) {
                (true, _) => Stopper::Switch,
                (false, true) => Stopper::Idle,
                (false, false) => Stopper::Own,
            };
            if let Some(earlier) = earlier_stop(batch, scope, timer_id, at, entry_id, stopper)? {
                batch.discard_entry(earlier.replaces);
                write_stop(batch, earlier.stop);
                batch.stopped_by_owner(timer_id);
                return Ok(Applied::default());
            }
            let timer = own_active_timer(batch, timer_id)?;
            // The idle prompt stops back where the user left (T9); a pause or resume another
            // device or an admin made since then, which this device had not heard of, moves the
            // stop to it rather than refusing the answer.
            let at = if stopper == Stopper::Idle {
                at.max(timer.head.last_change())
            } else {
                at
            };
            let stop = plan_stop(batch, scope, timer, at, entry_id, stopper)?;
            write_stop(batch, stop);
            Ok(Applied::default())
        }
        Intent::ReviewEntry {
            entry_id,
            duration_secs,
            ref description,
            billable,
            submit,
            task,
            ..
        } => review::review(
            batch,
            scope,
            entry_id,
            Review {
                duration_secs,
                description,
                billable,
                submit,
            },
            task,
        ),
        Intent::DiscardEntry { entry_id, .. } => review::discard(batch, scope, entry_id),
        Intent::RecordEntry {
            entry_id,
            task_id,
            timer_id,
            started_at,
            ended_at: _,
            duration_secs,
            raw_duration_secs,
            billable,
            status,
            ref description,
        } => {
            let entry = EntryRecord {
                id: entry_id,
                user_id: scope.user_id(),
                task_id,
                timer_id,
                team_id: None,
                started_at: time::to_millis(started_at),
                ended_at: at,
                duration_secs,
                raw_duration_secs: raw_duration_secs.unwrap_or(duration_secs),
                billable,
                flag: None,
                // Only a draft or a submission comes back from a device: what a manager did
                // to it on the server is not the device's to restore.
                status: match status {
                    Some(EntryStatus::Draft) | None => EntryStatus::Draft,
                    Some(_) => EntryStatus::Submitted,
                },
                source: EntrySource::Timer,
                description: description.clone(),
            };
            record_entry(batch, scope, entry, now)
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
fn start(
    batch: &mut Batch,
    scope: &WorkspaceScope,
    timer_id: Uuid,
    task_id: Uuid,
    at: DateTime<Utc>,
) -> Result<Applied, ApplyError> {
    if batch.task_status(task_id).is_none() {
        return Err(rejected(
            ErrorCode::UnknownTask,
            format!("there is no task {task_id} in this workspace"),
        ));
    }
    if batch.timer_taken(timer_id) {
        // The same start sent again (on a new stream) is not a conflict.
        return match batch.own_timer(timer_id) {
            Some(timer) if timer.task_id == task_id && timer.head.started_at == at => Ok(already()),
            _ => Err(rejected(
                ErrorCode::IdConflict,
                format!("timer id {timer_id} is already taken"),
            )),
        };
    }
    // T1 in time order: a timer of this user that started later means this start arrived late;
    // it ran until then, and the newer timer is left alone.
    let timer = TimerRecord {
        id: timer_id,
        user_id: scope.user_id(),
        task_id,
        head: TimerHead::start(at),
        stopped: false,
    };
    let (timer, stop) = match batch.next_timer_start(at) {
        Some(next) => {
            let stop = plan_stop(batch, scope, timer, next, Uuid::now_v7(), Stopper::Switch)?;
            (stop.timer, Some(stop.entry))
        }
        None => (timer, None),
    };
    // The timer that ran at this instant but was stopped later (by a newer start, on another
    // device, by someone else) ends here instead, unless a person acted on its entry
    // meanwhile: no time is counted twice.
    let cut = match batch.timer_before(at) {
        Some(before) => earlier_stop(batch, scope, before.id, at, Uuid::now_v7(), Stopper::Switch)?,
        None => None,
    };
    let running_stop = match (&stop, batch.active_timer()) {
        (None, Some(mut running)) => {
            // Paused after this instant while running at it: in the order of the instants this
            // start stopped it first, and the pause never happened. A resume after this instant
            // is a change the stop cannot go before: it stops there.
            if running.head.state() == TimerState::Paused && at >= running.head.last.start {
                running.head.last.end = None;
            }
            let stop_at = at.max(running.head.last_change());
            Some(plan_stop(
                batch,
                scope,
                running,
                stop_at,
                Uuid::now_v7(),
                Stopper::Switch,
            )?)
        }
        _ => None,
    };

    // Every rule holds: write.
    let stopped_timer = running_stop.as_ref().map(|s| s.timer.id);
    if let Some(stop) = running_stop {
        write_stop(batch, stop);
    }
    if let Some(earlier) = cut {
        end_earlier(batch, earlier);
    }
    batch.save_timer(timer);
    if let Some(entry) = stop {
        batch.add_entry(entry);
    }
    batch.start_work(task_id);
    Ok(Applied {
        already: false,
        stopped_timer,
    })
}

/// An entry the device holds and the server may lack (re-sent after a restore). When its timer
/// is still running here, this is that timer's stop.
fn record_entry(
    batch: &mut Batch,
    scope: &WorkspaceScope,
    mut entry: EntryRecord,
    now: DateTime<Utc>,
) -> Result<Applied, ApplyError> {
    time::check(entry.started_at, now).map_err(ApplyError::Rejected)?;
    if let Some(existing) = batch.own_entry(entry.id) {
        return if *existing == entry {
            Ok(already())
        } else {
            Err(reconciled(
                "the server has this entry with other values",
                existing,
            ))
        };
    }
    let span = (entry.ended_at - entry.started_at).num_seconds();
    let (counted, rounded) = (entry.raw_duration_secs, entry.duration_secs);
    if span < 0 || counted < 0 || counted > span {
        return Err(rejected(
            ErrorCode::InvalidTransition,
            "an entry must end after it starts and count no more than its span",
        ));
    }
    // Hours a review may set (T4); without a review, only what rounding makes of the counted
    // time (T5).
    let reviews = review::reviewer(scope).reviews(batch.settings());
    let off_by = (rounded - counted).abs();
    if !(0..=MAX_ENTRY_SECS).contains(&rounded) || (!reviews && off_by >= MAX_ROUNDING_MINUTES * 60)
    {
        return Err(rejected(
            ErrorCode::InvalidTransition,
            "an entry holds 0 to 24 hours, within one rounding step of its counted time unless \
             its hours were reviewed",
        ));
    }
    if batch.entry_taken(entry.id) {
        return Err(rejected(
            ErrorCode::IdConflict,
            format!("entry id {} is already taken", entry.id),
        ));
    }
    if batch.task_status(entry.task_id).is_none() {
        return Err(rejected(
            ErrorCode::UnknownTask,
            format!("there is no task {} in this workspace", entry.task_id),
        ));
    }
    if let Some(timer_id) = entry.timer_id {
        match batch.own_timer(timer_id) {
            Some(timer) if !timer.stopped => {
                let mut stop =
                    plan_stop(batch, scope, timer, entry.ended_at, entry.id, Stopper::Own)?;
                // The device's text stays with it (the timer knows none).
                stop.entry.description = entry.description;
                write_stop(batch, stop);
                return Ok(Applied::default());
            }
            Some(_) => {
                if let Some(server_entry) = batch.entry_of_timer(timer_id) {
                    return Err(reconciled(
                        "the server stopped this timer into another entry",
                        server_entry,
                    ));
                }
            }
            // The timer is gone with what the server lost: the entry stands alone.
            None => entry.timer_id = None,
        }
    }
    batch.add_entry(entry);
    Ok(Applied::default())
}

/// T6 and T8: stops the user's running or paused timer for someone else (`stopper`: an admin,
/// the runaway watchdog; `by` names them in the owner's words) at `at` — or at its last change,
/// if that came later — into a new entry, which it returns.
pub fn stop_for_owner(
    batch: &mut Batch,
    owner: &WorkspaceScope,
    timer_id: Uuid,
    at: DateTime<Utc>,
    stopper: Stopper,
    by: &str,
) -> Result<EntryRecord, ApplyError> {
    let timer = own_active_timer(batch, timer_id)?;
    let at = time::to_millis(at).max(timer.head.last_change());
    let stop = plan_stop(batch, owner, timer, at, Uuid::now_v7(), stopper)?;
    let entry = stop.entry.clone();
    write_stop(batch, stop);
    batch.stopped_by(timer_id, by, at);
    Ok(entry)
}

/// T6: pauses the user's running timer for an admin, at `at` or at its last change.
pub fn pause_for_owner(
    batch: &mut Batch,
    timer_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), ApplyError> {
    let mut timer = own_active_timer(batch, timer_id)?;
    let at = time::to_millis(at).max(timer.head.last_change());
    timer.head.pause(at).map_err(transition_refused)?;
    batch.save_timer(timer);
    Ok(())
}

/// A stop that comes before the one the server made, and the entry of that one it replaces.
struct EarlierStop {
    stop: Stop,
    replaces: Uuid,
}

/// T1 in the order of the instants, for a timer the server stopped already: the user stopped it
/// at `at` (or started another timer then) on a device that could not tell the server yet, and
/// meanwhile the server stopped it later for them (an admin, the runaway watchdog, a start on
/// another device). The earlier stop holds, as if it had arrived first: the server's entry gives
/// way to one ending at `at` — unless a person has acted on that entry since (described it,
/// changed its hours or billable, logged it to a team, or submitted it themselves), or the timer
/// ran again after `at` (a resume). `None`: the server's stop stands.
fn earlier_stop(
    batch: &Batch,
    scope: &WorkspaceScope,
    timer_id: Uuid,
    at: DateTime<Utc>,
    entry_id: Uuid,
    stopper: Stopper,
) -> Result<Option<EarlierStop>, ApplyError> {
    let Some(mut timer) = batch.own_timer(timer_id).filter(|timer| timer.stopped) else {
        return Ok(None);
    };
    let Some(server_entry) = batch.entry_of_timer(timer_id) else {
        return Ok(None);
    };
    let settings = batch.settings();
    let submitted_unseen =
        server_entry.status == EntryStatus::Submitted && !review::reviewer(scope).reviews(settings);
    let untouched = (server_entry.status == EntryStatus::Draft || submitted_unseen)
        && server_entry.team_id.is_none()
        && server_entry.description.is_empty()
        && server_entry.billable == settings.default_billable
        && server_entry.duration_secs == settings.round_stopped(server_entry.raw_duration_secs);
    if !untouched || at >= server_entry.ended_at || at < timer.head.last.start {
        return Ok(None);
    }
    // The timer as it was at `at`: running in its last segment.
    timer.stopped = false;
    timer.head.last.end = None;
    let replaces = server_entry.id;
    let stop = plan_stop(batch, scope, timer, at, entry_id, stopper)?;
    Ok(Some(EarlierStop { stop, replaces }))
}

/// A start's earlier end of the timer that ran before it: its entry keeps its status, notes
/// and flag (no longer a runaway: it stopped before the limit) and ends at the start. Devices
/// may hold it, so it takes a new id: a review they send of the old one, with hours chosen for
/// the longer span, is refused in words (*Sync issues*) rather than applied. One made in this
/// same push keeps its id. Whoever stopped the timer later did not stop it after all.
fn end_earlier(batch: &mut Batch, earlier: EarlierStop) {
    let Some(entry) = batch.own_entry(earlier.replaces).cloned() else {
        return;
    };
    let ended = earlier.stop.entry;
    let cut = EntryRecord {
        id: if batch.is_new_entry(entry.id) {
            entry.id
        } else {
            ended.id
        },
        ended_at: ended.ended_at,
        duration_secs: ended.duration_secs,
        raw_duration_secs: ended.raw_duration_secs,
        flag: entry.flag.filter(|flag| *flag != EntryFlag::Runaway),
        ..entry
    };
    if cut.id == earlier.replaces {
        batch.change_entry(cut, Vec::new());
    } else {
        batch.discard_entry(earlier.replaces);
        batch.add_entry(cut);
    }
    let timer_id = earlier.stop.timer.id;
    batch.save_timer(earlier.stop.timer);
    batch.stopped_by_owner(timer_id);
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
fn own_active_timer(batch: &Batch, timer_id: Uuid) -> Result<TimerRecord, ApplyError> {
    let timer = batch.own_timer(timer_id).ok_or_else(|| {
        rejected(
            ErrorCode::UnknownTimer,
            format!("there is no timer {timer_id}"),
        )
    })?;
    if timer.stopped {
        // Stopped here first (T1 from another device, an admin): the device takes the server's
        // entry, and its own version goes to *Sync issues*.
        return Err(match batch.entry_of_timer(timer_id) {
            Some(entry) => reconciled(
                "the timer had already been stopped (work was started on another device, or \
                 someone stopped it)",
                entry,
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
    /// T5: a *timer access only* user's own Stop completes the task.
    completes_task: bool,
}

/// T3: checks that the timer can become an entry of its counted time at `at`, rounded to the
/// workspace's granularity (T7, once: the counted time is kept beside it), a draft or
/// submitted as T4 and T5 say for who stopped it.
fn plan_stop(
    batch: &Batch,
    scope: &WorkspaceScope,
    mut timer: TimerRecord,
    at: DateTime<Utc>,
    entry_id: Uuid,
    stopper: Stopper,
) -> Result<Stop, ApplyError> {
    if batch.entry_taken(entry_id) {
        return Err(rejected(
            ErrorCode::IdConflict,
            format!("entry id {entry_id} is already taken"),
        ));
    }
    let stopped = timer.head.stop(at).map_err(transition_refused)?;
    let rule = review::reviewer(scope).stop(batch.settings(), stopper);
    let entry = EntryRecord {
        id: entry_id,
        user_id: timer.user_id,
        task_id: timer.task_id,
        timer_id: Some(timer.id),
        team_id: None,
        started_at: stopped.started_at,
        ended_at: stopped.ended_at,
        duration_secs: batch.settings().round_stopped(stopped.duration_secs),
        raw_duration_secs: stopped.duration_secs,
        billable: batch.settings().default_billable,
        flag: rule.flag,
        status: rule.status,
        source: EntrySource::Timer,
        description: String::new(),
    };
    timer.head.last = stopped.last;
    timer.stopped = true;
    Ok(Stop {
        timer,
        entry,
        completes_task: rule.completes_task,
    })
}

fn write_stop(batch: &mut Batch, stop: Stop) {
    if stop.completes_task {
        batch.complete_task(stop.timer.task_id);
    }
    batch.add_entry(stop.entry);
    batch.save_timer(stop.timer);
}
