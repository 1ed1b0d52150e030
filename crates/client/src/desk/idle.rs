//! T9: the time a user was away from their running timer. The shell looks at the OS idle time
//! now and then while a timer runs and hands each look to `observe_idle`; once the user is back
//! after *idle minutes* or more, the window asks what to do with the period (`idle_prompt`,
//! `answer_idle`). Both the start of an absence and the question are kept in the store, so a
//! restart of the app does not lose them.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use stint_api::desk::{CurrentTimer, IdleAnswer, IdlePrompt};
use stint_api::TimerState;
use stint_domain::{Away, IdleLook, IdleWatch, Stopper};
use uuid::Uuid;

use super::Desk;
use crate::error::DeskError;
use crate::store::keys;

/// The question kept in the store until it is answered.
#[derive(Serialize, Deserialize)]
struct Asked {
    timer_id: Uuid,
    away: Away,
}

impl Desk {
    /// One look at the OS idle time (`idle_for` without input; a suspend counts). Returns the
    /// question when it is new: the shell then raises the window and notifies.
    pub fn observe_idle(&self, idle_for: Duration) -> Result<Option<IdlePrompt>, DeskError> {
        let running = self
            .store
            .active_timer()?
            .filter(|active| active.timer.state() == TimerState::Running);
        let Some(active) = running else {
            self.store.delete_setting(keys::AWAY_SINCE)?;
            return Ok(None);
        };
        let minutes = self.store.time_settings()?.idle_minutes;
        let threshold = chrono::Duration::minutes(minutes);
        let mut watch = IdleWatch {
            away_since: self.instant_setting(keys::AWAY_SINCE)?,
        };
        let idle_for = chrono::Duration::from_std(idle_for).unwrap_or(chrono::Duration::MAX);
        let look = watch.look(self.now(), idle_for, threshold);
        match watch.away_since {
            Some(since) => {
                self.store
                    .set_setting(keys::AWAY_SINCE, &since.to_rfc3339())?;
                self.end_pomodoro_for_absence()?;
            }
            None => self.store.delete_setting(keys::AWAY_SINCE)?,
        }
        let IdleLook::Back(away) = look else {
            return Ok(None);
        };
        // Only the time the timer ran counts: from its last start or resume.
        let since = away.since.max(active.timer.last_change());
        if away.back_at - since < threshold {
            return Ok(None);
        }
        let asked = Asked {
            timer_id: active.id,
            away: Away {
                since,
                back_at: away.back_at,
            },
        };
        self.store.set_setting(
            keys::IDLE_PROMPT,
            &serde_json::to_string(&asked).map_err(crate::error::StoreError::from)?,
        )?;
        self.changed();
        self.idle_prompt()
    }

    /// The question, while the timer it is about still runs unchanged since the user left.
    pub fn idle_prompt(&self) -> Result<Option<IdlePrompt>, DeskError> {
        let Some(asked) = self.asked()? else {
            return Ok(None);
        };
        let active = self.store.active_timer()?.filter(|active| {
            active.id == asked.timer_id
                && active.timer.state() == TimerState::Running
                && active.timer.last_change() <= asked.away.since
        });
        let Some(active) = active else {
            return Ok(None);
        };
        Ok(Some(IdlePrompt {
            timer_id: active.id,
            task: self.task_or_placeholder(active.task_id)?,
            since: asked.away.since,
            back_at: asked.away.back_at,
        }))
    }

    /// Keeps, discards or moves the time away, as the user answered. Closing the question
    /// without an answer is Keep.
    pub fn answer_idle(&self, answer: IdleAnswer) -> Result<Option<CurrentTimer>, DeskError> {
        let Some(prompt) = self.idle_prompt()? else {
            self.store.delete_setting(keys::IDLE_PROMPT)?;
            self.changed();
            return Err(DeskError::InvalidInput(
                "the timer changed since you came back; there is nothing to answer now".into(),
            ));
        };
        let (since, back_at, task_id) = (prompt.since, prompt.back_at, prompt.task.id);
        // Checked before anything changes: each answer but Keep starts a timer again.
        let known = |id: Uuid| -> Result<(), DeskError> {
            match self.store.task(id)? {
                Some(_) => Ok(()),
                None => Err(DeskError::UnknownTask(id)),
            }
        };
        let (me, who) = (self.me()?, self.reviewer()?);
        match answer {
            IdleAnswer::Keep => {}
            IdleAnswer::MoveTo { task_id: other } if other == task_id => {}
            IdleAnswer::Discard => {
                known(task_id)?;
                self.store
                    .stop_timer_by(since, me.as_ref(), who, Stopper::Idle)?;
                self.store
                    .start_timer(Uuid::now_v7(), task_id, back_at, me.as_ref(), who)?;
            }
            IdleAnswer::DiscardAndStop => {
                self.store
                    .stop_timer_by(since, me.as_ref(), who, Stopper::Idle)?;
            }
            IdleAnswer::MoveTo { task_id: other } => {
                known(task_id)?;
                known(other)?;
                // A start of the other task where the user left stops this timer there (a
                // switch); a start of this task again on their return stops the other one.
                self.store
                    .start_timer(Uuid::now_v7(), other, since, me.as_ref(), who)?;
                self.store
                    .start_timer(Uuid::now_v7(), task_id, back_at, me.as_ref(), who)?;
            }
        }
        self.store.delete_setting(keys::IDLE_PROMPT)?;
        self.after_local_change();
        self.current_timer()
    }

    /// Says once, in the window and as a notification, that this desktop shows no idle time
    /// (a suspend is still seen).
    pub fn no_idle_source(&self, why: &str) -> Result<(), DeskError> {
        if self.store.setting(keys::NO_IDLE_SOURCE_TOLD)?.is_some() {
            return Ok(());
        }
        tracing::warn!(why, "no idle time on this desktop");
        self.store.set_setting(keys::NO_IDLE_SOURCE_TOLD, "1")?;
        self.store.set_setting(
            keys::TIMER_NOTICE,
            "Stint cannot see idle time on this desktop: it asks about time away only after the computer slept.",
        )?;
        self.changed();
        Ok(())
    }

    fn asked(&self) -> Result<Option<Asked>, DeskError> {
        Ok(self
            .store
            .setting(keys::IDLE_PROMPT)?
            .and_then(|json| serde_json::from_str(&json).ok()))
    }

    fn instant_setting(&self, key: &str) -> Result<Option<DateTime<Utc>>, DeskError> {
        Ok(self
            .store
            .setting(key)?
            .and_then(|value| DateTime::parse_from_rfc3339(&value).ok())
            .map(|t| t.with_timezone(&Utc)))
    }
}
