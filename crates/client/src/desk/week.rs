//! The week's entries, in the device's time zone, from the workspace's first day of the week.

use chrono::Local;
use stint_api::desk::WeekEntry;
use stint_api::rest::Entry;

use super::Desk;
use crate::error::DeskError;

impl Desk {
    /// This week's entries (from the workspace's *week start* day, in the device's time zone),
    /// oldest first.
    pub fn week_entries(&self) -> Result<Vec<WeekEntry>, DeskError> {
        let week_start_day = self.store.time_settings()?.week_start_day;
        let now = self.now().with_timezone(&Local);
        let (from, to) = stint_domain::week_bounds(&now, week_start_day);
        self.store
            .entries_between(from, to)?
            .into_iter()
            .map(|(entry, synced)| self.week_entry(entry, synced))
            .collect()
    }

    pub(super) fn week_entry(&self, entry: Entry, synced: bool) -> Result<WeekEntry, DeskError> {
        let task = self.task_or_placeholder(entry.task_id)?;
        Ok(WeekEntry {
            entry,
            task_title: task.title,
            project_name: task.project_name,
            project_color: task.project_color,
            task_status: task.status,
            task_percent_complete: task.percent_complete,
            synced,
        })
    }
}
