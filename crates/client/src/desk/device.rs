//! Settings of this installation: the global shortcut (D5). The shell registers the shortcut
//! the desk holds and, when the desktop refuses it, turns it off here with the reason, which
//! the window shows beside the field.

use stint_api::desk::{DeviceSettings, DEFAULT_SHORTCUT};
use stint_api::is_control_text;

use super::Desk;
use crate::error::DeskError;
use crate::store::keys;

/// Stored for a shortcut the user turned off (unset means the default).
const OFF: &str = "off";

impl Desk {
    pub fn device_settings(&self) -> Result<DeviceSettings, DeskError> {
        let shortcut = match self.store.setting(keys::SHORTCUT)? {
            None => Some(DEFAULT_SHORTCUT.to_string()),
            Some(off) if off == OFF => None,
            Some(shortcut) => Some(shortcut),
        };
        Ok(DeviceSettings {
            shortcut,
            shortcut_problem: self.store.setting(keys::SHORTCUT_PROBLEM)?,
        })
    }

    pub fn set_shortcut(&self, shortcut: Option<String>) -> Result<DeviceSettings, DeskError> {
        let shortcut = shortcut
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        if let Some(shortcut) = &shortcut {
            if shortcut.chars().count() > 40 || is_control_text(shortcut) {
                return Err(DeskError::InvalidInput(
                    "type a shortcut like Ctrl+Alt+S".into(),
                ));
            }
        }
        self.store
            .set_setting(keys::SHORTCUT, shortcut.as_deref().unwrap_or(OFF))?;
        self.store.delete_setting(keys::SHORTCUT_PROBLEM)?;
        self.changed();
        self.device_settings()
    }

    /// The shell could not register `shortcut`: it is turned off, and the window says why.
    pub fn shortcut_refused(&self, shortcut: &str, why: &str) -> Result<(), DeskError> {
        tracing::warn!(shortcut, why, "the global shortcut is off");
        self.store.set_setting(keys::SHORTCUT, OFF)?;
        self.store.set_setting(keys::SHORTCUT_PROBLEM, why)?;
        self.changed();
        Ok(())
    }

    /// The global shortcut was pressed: stops the timer (its review waits for the window, as
    /// for a stop in the tray), or starts work on the task used latest. Says what it did, for a
    /// notification; `None` when there is no task to start (the shell opens the window instead).
    pub fn shortcut_pressed(&self) -> Result<Option<String>, DeskError> {
        if let Some(timer) = self.current_timer()? {
            let stopped = self.stop_outside_window()?;
            let hours = stint_domain::format_hm(stopped.entry.entry.duration_secs);
            return Ok(Some(format!("Stopped “{}” at {hours}.", timer.task.title)));
        }
        let (recent, _) = self.start_work_tasks()?;
        let Some(task) = recent.into_iter().next() else {
            return Ok(None);
        };
        self.start_work(task.id)?;
        Ok(Some(format!("Started “{}”.", task.title)))
    }
}
