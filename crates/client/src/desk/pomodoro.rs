//! T10: Pomodoro on the running timer. The phases follow `stint_domain::Pomodoro`; entering a
//! break pauses the timer and entering the next focus resumes it — only a pause the Pomodoro
//! made itself, never one of the user's, another device's or an admin's — each stamped at the
//! phase's own start, so the entry holds the focus time only. `run_pomodoro_loop` makes the
//! changes as they come due and tells each to the user. A phase end nobody saw (the computer
//! slept) ends the Pomodoro with the timer paused there, and so does the user going away (T9).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Local, Utc};
use serde::{Deserialize, Serialize};
use stint_api::desk::{CurrentTimer, PomodoroNow};
use stint_api::TimerState;
use stint_domain::{Pomodoro, PomodoroLengths, PomodoroPhase, PomodoroStep, FOCUS_PER_LONG_BREAK};
use uuid::Uuid;

use super::Desk;
use crate::error::{DeskError, StoreError};
use crate::store::keys;

/// The Pomodoro kept in the store, with the timer it belongs to.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Kept {
    timer_id: Uuid,
    pomodoro: Pomodoro,
    /// The timer is paused because this Pomodoro's break paused it: the next focus resumes it.
    #[serde(default)]
    paused_by_pomodoro: bool,
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
            paused_by_pomodoro: false,
        })?;
        self.after_local_change();
        self.current_timer()?.ok_or(DeskError::NoTimer)
    }

    pub fn skip_pomodoro_phase(&self) -> Result<CurrentTimer, DeskError> {
        let kept = self.kept()?.ok_or_else(no_pomodoro)?;
        self.enter(kept, kept.pomodoro.next(self.now()))?;
        self.after_local_change();
        self.current_timer()?.ok_or(DeskError::NoTimer)
    }

    pub fn end_pomodoro(&self) -> Result<CurrentTimer, DeskError> {
        self.kept()?.ok_or_else(no_pomodoro)?;
        self.store.delete_setting(keys::POMODORO)?;
        self.changed();
        self.current_timer()?.ok_or(DeskError::NoTimer)
    }

    /// Makes the phase change that came due, and says what to tell the user.
    pub fn pomodoro_tick(&self) -> Result<Option<String>, DeskError> {
        let Some(kept) = self.kept()? else {
            return Ok(None);
        };
        let lengths = self.pomodoro_lengths()?;
        let words = match kept.pomodoro.step(self.now(), &lengths) {
            PomodoroStep::Stay => return Ok(None),
            PomodoroStep::Next(next) => {
                self.enter(kept, next)?;
                let task = self
                    .current_timer()?
                    .map(|t| t.task.title)
                    .unwrap_or_default();
                words(&next, &task, &lengths)
            }
            PomodoroStep::Missed { ended_at } => {
                // Nobody followed it: the time since is not focus time.
                if kept.pomodoro.phase == PomodoroPhase::Focus {
                    self.pause_if_running(kept.timer_id, ended_at)?;
                }
                self.store.delete_setting(keys::POMODORO)?;
                format!(
                    "Your Pomodoro ended at {} while the computer slept or Stint was closed; \
                     the timer is paused from then.",
                    ended_at.with_timezone(&Local).format("%H:%M")
                )
            }
        };
        self.after_local_change();
        Ok(Some(words))
    }

    /// T9: the user went away; a Pomodoro needs them, so it ends (the timer as it is: a break
    /// keeps it paused). Says so in the window when they come back.
    pub(super) fn end_pomodoro_for_absence(&self) -> Result<(), DeskError> {
        if self.kept()?.is_some() {
            self.store.delete_setting(keys::POMODORO)?;
            self.store.set_setting(
                keys::TIMER_NOTICE,
                "Your Pomodoro ended while you were away.",
            )?;
            self.changed();
        }
        Ok(())
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

    /// Begins `next`: a break pauses the running timer, a focus resumes the timer if this
    /// Pomodoro paused it; a timer paused by someone else stays paused.
    fn enter(&self, kept: Kept, next: Pomodoro) -> Result<(), DeskError> {
        let paused_by_pomodoro = match next.phase {
            PomodoroPhase::Focus => {
                if kept.paused_by_pomodoro
                    && self.timer_state(kept.timer_id)? == Some(TimerState::Paused)
                {
                    self.store
                        .resume_timer_of(kept.timer_id, next.phase_started)?;
                }
                false
            }
            PomodoroPhase::ShortBreak | PomodoroPhase::LongBreak => {
                self.pause_if_running(kept.timer_id, next.phase_started)?
            }
        };
        self.keep(Kept {
            timer_id: kept.timer_id,
            pomodoro: next,
            paused_by_pomodoro,
        })
    }

    /// Pauses the timer `timer_id` at `at` if it runs; whether it did.
    fn pause_if_running(&self, timer_id: Uuid, at: DateTime<Utc>) -> Result<bool, DeskError> {
        if self.timer_state(timer_id)? != Some(TimerState::Running) {
            return Ok(false);
        }
        self.store.pause_timer_of(timer_id, at)?;
        Ok(true)
    }

    fn timer_state(&self, timer_id: Uuid) -> Result<Option<TimerState>, DeskError> {
        Ok(self
            .store
            .active_timer()?
            .filter(|active| active.id == timer_id)
            .map(|active| active.timer.state()))
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
