//! The week's entries, Monday to Sunday in the device's time zone.

use chrono::{DateTime, Datelike, Days, Local, NaiveTime, TimeZone, Utc};
use stint_api::desk::WeekEntry;
use stint_api::rest::Entry;

use super::Desk;
use crate::error::DeskError;

impl Desk {
    /// This week's entries (Monday to Sunday in the device's time zone), oldest first.
    pub fn week_entries(&self) -> Result<Vec<WeekEntry>, DeskError> {
        let (from, to) = week_bounds(self.now().with_timezone(&Local));
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
            synced,
        })
    }
}

/// The Monday 00:00 that starts the week of `now`, and the next one, as UTC instants.
fn week_bounds(now: DateTime<Local>) -> (DateTime<Utc>, DateTime<Utc>) {
    let monday = now.date_naive() - Days::new(u64::from(now.weekday().num_days_from_monday()));
    let start_of = |date: chrono::NaiveDate| {
        let midnight = date.and_time(NaiveTime::MIN);
        // A DST change at midnight can skip or repeat it: take the earliest real instant.
        Local
            .from_local_datetime(&midnight)
            .earliest()
            .unwrap_or_else(|| Local.from_utc_datetime(&midnight))
            .with_timezone(&Utc)
    };
    (start_of(monday), start_of(monday + Days::new(7)))
}
