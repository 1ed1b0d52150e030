//! The timer: start, pause, resume, stop, and what the UI shows of it.

use stint_api::desk::{CurrentTimer, ReviewAsk, Stopped};
use stint_api::rest::Entry;
use stint_api::TimerState;
use uuid::Uuid;

use super::Desk;
use crate::error::{DeskError, StoreError};
use crate::store::{keys, ActiveTimer};

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
        self.stop_asking(false)
    }

    /// Stops the timer from the tray or the global shortcut, where no dialog can ask: the
    /// review the stop asks for (T4) waits for the window (`review_waiting`, which the shell
    /// opens the window for; `asked_review`, which the window asks).
    pub fn stop_outside_window(&self) -> Result<Stopped, DeskError> {
        self.stop_asking(true)
    }

    fn stop_asking(&self, in_window_later: bool) -> Result<Stopped, DeskError> {
        let me = self.me()?;
        let entry = self
            .store
            .stop_timer(self.now(), me.as_ref(), self.reviewer()?)?;
        let review = self.ask_after_stop()?;
        // Kept before the change is told, so whoever hears of it finds the question waiting.
        if in_window_later && review != ReviewAsk::Nothing {
            let json = serde_json::to_string(&(review, &entry)).map_err(StoreError::from)?;
            self.store.set_setting(keys::ASKED_REVIEW, &json)?;
        }
        self.after_local_change();
        Ok(Stopped {
            entry: self.week_entry(entry, false)?,
            review,
        })
    }

    /// The entry whose review waits for the window, if one does.
    pub fn review_waiting(&self) -> Result<Option<Uuid>, DeskError> {
        Ok(self.waiting_review()?.map(|(_, entry)| entry.id))
    }

    /// The review a stop outside the window asks for, once, while its entry is as the stop
    /// left it (not reviewed, kept with notes, discarded or changed on another device since).
    pub fn asked_review(&self) -> Result<Option<Stopped>, DeskError> {
        let Some((review, stopped)) = self.waiting_review()? else {
            return Ok(None);
        };
        self.store.delete_setting(keys::ASKED_REVIEW)?;
        let as_stopped = |entry: &Entry| {
            (
                entry.status,
                entry.duration_secs,
                entry.billable,
                entry.description.clone(),
            )
        };
        match self.store.find_entry(stopped.id)? {
            Some((entry, synced)) if as_stopped(&entry) == as_stopped(&stopped) => {
                Ok(Some(Stopped {
                    entry: self.week_entry(entry, synced)?,
                    review,
                }))
            }
            _ => Ok(None),
        }
    }

    fn waiting_review(&self) -> Result<Option<(ReviewAsk, Entry)>, DeskError> {
        Ok(self
            .store
            .setting(keys::ASKED_REVIEW)?
            .and_then(|json| serde_json::from_str(&json).ok()))
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
