//! T10: Pomodoro on the running timer. The phases follow `stint_domain::Pomodoro`; entering a
//! break pauses the timer and entering a focus resumes it, each stamped at the phase's own
//! start, so the entry holds the focus time only, also when the app was asleep at the change.
//! `run_pomodoro_loop` makes the changes as they come due and tells each to the user.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use stint_api::desk::{CurrentTimer, PomodoroNow};
use stint_api::TimerState;
use stint_domain::{Pomodoro, PomodoroLengths, PomodoroPhase, FOCUS_PER_LONG_BREAK};
use uuid::Uuid;

use super::Desk;
use crate::error::{DeskError, StoreError};
use crate::store::keys;

/// The Pomodoro kept in the store, with the timer it belongs to.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Kept {
    timer_id: Uuid,
    pomodoro: Pomodoro,
}

impl Desk {
    pub fn start_pomodoro(&self) -> Result<CurrentTimer, DeskError> {
        let active = self.store.active_timer()?.ok_or(DeskError::NoTimer)?;
        let now = self.now();
        if active.timer.state() == TimerState::Paused {
            self.store.resume_timer(now)?;
        }
        self.keep(Kept {
            timer_id: active.id,
            pomodoro: Pomodoro::start(now),
        })?;
        self.after_local_change();
        self.current_timer()?.ok_or(DeskError::NoTimer)
    }

    pub fn skip_pomodoro_phase(&self) -> Result<CurrentTimer, DeskError> {
        let kept = self.kept()?.ok_or_else(no_pomodoro)?;
        self.enter(kept.timer_id, kept.pomodoro.next(self.now()))?;
        self.after_local_change();
        self.current_timer()?.ok_or(DeskError::NoTimer)
    }

    pub fn end_pomodoro(&self) -> Result<CurrentTimer, DeskError> {
        self.kept()?.ok_or_else(no_pomodoro)?;
        self.store.delete_setting(keys::POMODORO)?;
        self.changed();
        self.current_timer()?.ok_or(DeskError::NoTimer)
    }

    /// Makes every phase change that came due, and says what to tell the user of the latest
    /// (one notification after a sleep that crossed several).
    pub fn pomodoro_tick(&self) -> Result<Option<String>, DeskError> {
        let Some(kept) = self.kept()? else {
            return Ok(None);
        };
        let lengths = self.pomodoro_lengths()?;
        let due = kept.pomodoro.due(self.now(), &lengths);
        let Some(latest) = due.last().copied() else {
            return Ok(None);
        };
        for phase in due {
            self.enter(kept.timer_id, phase)?;
        }
        self.after_local_change();
        let task = self
            .current_timer()?
            .map(|t| t.task.title)
            .unwrap_or_default();
        Ok(Some(words(&latest, &task, &lengths)))
    }

    /// Runs the Pomodoro's phase changes as they come due, telling each to `tell` (the shell's
    /// notifications). Sleeps until the next change (at most a minute: a machine that slept
    /// catches up then) or the next change of the desk. Runs until the process ends.
    pub async fn run_pomodoro_loop(self: Arc<Self>, tell: impl Fn(&str) + Send + 'static) {
        let mut changes = self.subscribe();
        loop {
            match self.pomodoro_tick() {
                Ok(Some(words)) => tell(&words),
                Ok(None) => {}
                Err(error) => tracing::warn!(%error, "changing the Pomodoro phase failed"),
            }
            let until_next = self
                .pomodoro_now()
                .ok()
                .flatten()
                .and_then(|now| (now.ends_at - self.now()).to_std().ok())
                .unwrap_or(Duration::MAX);
            tokio::select! {
                _ = tokio::time::sleep(until_next.min(Duration::from_secs(60))) => {}
                changed = changes.changed() => if changed.is_err() { return },
            }
        }
    }

    /// The running timer's Pomodoro phase, for the window and the tray.
    pub(super) fn pomodoro_now(&self) -> Result<Option<PomodoroNow>, DeskError> {
        let Some(kept) = self.kept()? else {
            return Ok(None);
        };
        Ok(Some(PomodoroNow {
            phase: kept.pomodoro.phase,
            ends_at: kept.pomodoro.ends_at(&self.pomodoro_lengths()?),
            focus_done: kept.pomodoro.focus_done,
        }))
    }

    /// Pauses the timer for a break and resumes it for a focus, at the phase's start; a timer
    /// the user already paused or resumed stays as it is.
    fn enter(&self, timer_id: Uuid, pomodoro: Pomodoro) -> Result<(), DeskError> {
        let state = self
            .store
            .active_timer()?
            .map(|active| active.timer.state());
        match (pomodoro.phase, state) {
            (PomodoroPhase::Focus, Some(TimerState::Paused)) => {
                self.store.resume_timer(pomodoro.phase_started)?;
            }
            (PomodoroPhase::ShortBreak | PomodoroPhase::LongBreak, Some(TimerState::Running)) => {
                self.store.pause_timer(pomodoro.phase_started)?;
            }
            _ => {}
        }
        self.keep(Kept { timer_id, pomodoro })
    }

    /// The kept Pomodoro while its timer is the active one; one of a timer since stopped is
    /// forgotten.
    fn kept(&self) -> Result<Option<Kept>, DeskError> {
        let Some(json) = self.store.setting(keys::POMODORO)? else {
            return Ok(None);
        };
        let kept = serde_json::from_str::<Kept>(&json).ok();
        let active = self.store.active_timer()?.map(|active| active.id);
        match kept {
            Some(kept) if Some(kept.timer_id) == active => Ok(Some(kept)),
            _ => {
                self.store.delete_setting(keys::POMODORO)?;
                Ok(None)
            }
        }
    }

    fn keep(&self, kept: Kept) -> Result<(), DeskError> {
        let json = serde_json::to_string(&kept).map_err(StoreError::from)?;
        Ok(self.store.set_setting(keys::POMODORO, &json)?)
    }

    fn pomodoro_lengths(&self) -> Result<PomodoroLengths, DeskError> {
        Ok(PomodoroLengths::of(&self.store.time_settings()?))
    }
}

fn no_pomodoro() -> DeskError {
    DeskError::InvalidInput("no Pomodoro runs on this timer".into())
}

/// What the user is told when a phase begins.
fn words(pomodoro: &Pomodoro, task: &str, lengths: &PomodoroLengths) -> String {
    let minutes = |at: DateTime<Utc>| (at - pomodoro.phase_started).num_minutes();
    let ends = minutes(pomodoro.ends_at(lengths));
    match pomodoro.phase {
        PomodoroPhase::Focus => format!("Break over: focus on “{task}” for {ends} min."),
        PomodoroPhase::ShortBreak => format!(
            "Focus {} of {FOCUS_PER_LONG_BREAK} done. Take a {ends}-minute break.",
            (pomodoro.focus_done - 1) % FOCUS_PER_LONG_BREAK + 1
        ),
        PomodoroPhase::LongBreak => {
            format!("{FOCUS_PER_LONG_BREAK} focus sessions done. Take a {ends}-minute break.")
        }
    }
}
