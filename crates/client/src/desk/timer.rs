//! The timer: start, pause, resume, stop, and what the UI shows of it.

use stint_api::desk::{CurrentTimer, Stopped};
use stint_api::TimerState;
use uuid::Uuid;

use super::Desk;
use crate::error::DeskError;
use crate::store::ActiveTimer;

impl Desk {
    /// T1, T2: starts work on a task (stopping any running timer first).
    pub fn start_work(&self, task_id: Uuid) -> Result<CurrentTimer, DeskError> {
        let me = self.me()?;
        self.store.start_timer(
            Uuid::now_v7(),
            task_id,
            self.now(),
            me.as_ref(),
            self.reviewer()?,
        )?;
        self.after_local_change();
        self.current_timer()?.ok_or(DeskError::NoTimer)
    }

    pub fn pause(&self) -> Result<CurrentTimer, DeskError> {
        let active = self.store.pause_timer(self.now())?;
        self.after_local_change();
        self.describe(active)
    }

    pub fn resume(&self) -> Result<CurrentTimer, DeskError> {
        let active = self.store.resume_timer(self.now())?;
        self.after_local_change();
        self.describe(active)
    }

    /// Stops the timer into a draft entry of the week, and says what to ask about it (T4).
    pub fn stop(&self) -> Result<Stopped, DeskError> {
        let me = self.me()?;
        let entry = self
            .store
            .stop_timer(self.now(), me.as_ref(), self.reviewer()?)?;
        let review = self.ask_after_stop()?;
        self.after_local_change();
        Ok(Stopped {
            entry: self.week_entry(entry, false)?,
            review,
        })
    }

    pub fn current_timer(&self) -> Result<Option<CurrentTimer>, DeskError> {
        self.store
            .active_timer()?
            .map(|active| self.describe(active))
            .transpose()
    }

    /// T8: when the running timer has counted the workspace's *runaway timer hours*, what to
    /// tell its owner (the shell shows it once per timer, as a desktop notification): its id
    /// and the words.
    pub fn runaway_notice(&self) -> Result<Option<(Uuid, String)>, DeskError> {
        let Some(timer) = self.current_timer()? else {
            return Ok(None);
        };
        let hours = self.store.time_settings()?.runaway_timer_hours;
        if timer.state != TimerState::Running || timer.elapsed_secs < hours * 3600 {
            return Ok(None);
        }
        let words = format!(
            "“{}” has run for {hours} hours. Stop it if you are done.",
            timer.task.title
        );
        Ok(Some((timer.timer_id, words)))
    }

    fn describe(&self, active: ActiveTimer) -> Result<CurrentTimer, DeskError> {
        let now = self.now();
        Ok(CurrentTimer {
            timer_id: active.id,
            task: self.task_or_placeholder(active.task_id)?,
            state: active.timer.state(),
            started_at: active.timer.started_at(),
            elapsed_secs: active.timer.elapsed_secs(now),
            as_of: now,
            segments: active.timer.segments().to_vec(),
            pomodoro: self.pomodoro_now()?,
        })
    }
}
