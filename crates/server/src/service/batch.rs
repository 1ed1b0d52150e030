//! A pushed batch's view of the pushing user's tasks, timers and entries: read in a few queries
//! before the batch is decided, changed in memory as each mutation is applied, and written in a
//! few statements at the end, whatever the batch's size.
//!
//! The timer rules check everything a mutation needs before they change anything here, so a
//! refused mutation leaves no trace: this is where each mutation's "savepoint" lives, and the
//! database sees only what was applied.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use stint_api::sync::Intent;
use stint_domain::{ActivityKind, Segment, TaskStatus, TimeSettings};
use stint_storage::{EntryRecord, Held, SegmentRecord, TimerRecord, Transaction, WorkspaceScope};
use uuid::Uuid;

use crate::error::ApiError;
use crate::time;

#[derive(Default)]
pub struct Batch {
    /// Tasks of the workspace the batch names: their status when read, and now.
    tasks: HashMap<Uuid, (TaskStatus, TaskStatus)>,
    /// The user's timers the batch names, and the one running or paused, as they stand now.
    timers: HashMap<Uuid, TimerRecord>,
    active: Option<Uuid>,
    /// When the user's timers started, from the one running at the batch's earliest start on
    /// (T1 in time order).
    starts: BTreeSet<(DateTime<Utc>, Uuid)>,
    /// The user's entries the batch names by id or by timer.
    entries: HashMap<Uuid, EntryRecord>,
    entry_of_timer: HashMap<Uuid, Uuid>,
    /// Timer and entry ids of other users (device-made ids are unique across the server).
    taken: HashSet<Uuid>,
    /// The workspace's settings, read when the batch may stop a timer (T7 rounds the stop, T4
    /// and T5 give it its status) or reviews an entry.
    settings: TimeSettings,

    /// What to write: timers (each once, as it ends up), their touched segments, new entries,
    /// reviewed entries (with what their feeds record) and thrown-away ones, and the tasks the
    /// user started work on.
    saved_timers: BTreeSet<Uuid>,
    segments: HashMap<(Uuid, u32), Segment>,
    new_entries: Vec<EntryRecord>,
    reviewed: BTreeMap<Uuid, Vec<ActivityKind>>,
    discarded: BTreeSet<Uuid>,
    /// Tasks whose status and % complete were set (T4 reviews, T5 completions), as they end.
    progress: BTreeMap<Uuid, (TaskStatus, u8)>,
    worked_on: BTreeSet<Uuid>,
    /// Timers stopped for their owner by someone else: who, in the owner's words, and when; and
    /// timers whose such stop gave way to the owner's own earlier one.
    stopped_by: Vec<(Uuid, String, DateTime<Utc>)>,
    stopped_by_owner: Vec<Uuid>,
}

impl Batch {
    /// Reads what `intents` need to be decided.
    pub async fn load<'a>(
        tx: &mut dyn Transaction,
        scope: &WorkspaceScope,
        intents: impl Iterator<Item = &'a Intent>,
    ) -> Result<Batch, ApiError> {
        let mut task_ids = BTreeSet::new();
        let mut timer_ids = BTreeSet::new();
        let mut entry_ids = BTreeSet::new();
        let mut earliest_start: Option<DateTime<Utc>> = None;
        let mut follows_settings = false;
        for intent in intents {
            follows_settings |= matches!(
                intent,
                Intent::StartTimer { .. }
                    | Intent::StopTimer { .. }
                    | Intent::RecordEntry { .. }
                    | Intent::ReviewEntry { .. }
            );
            match *intent {
                Intent::StartTimer {
                    timer_id, task_id, ..
                } => {
                    task_ids.insert(task_id);
                    timer_ids.insert(timer_id);
                    let at = time::to_millis(intent.at());
                    earliest_start = Some(earliest_start.map_or(at, |e| e.min(at)));
                }
                Intent::PauseTimer { timer_id, .. } | Intent::ResumeTimer { timer_id, .. } => {
                    timer_ids.insert(timer_id);
                }
                Intent::StopTimer {
                    timer_id, entry_id, ..
                } => {
                    timer_ids.insert(timer_id);
                    entry_ids.insert(entry_id);
                }
                Intent::RecordEntry {
                    entry_id,
                    task_id,
                    timer_id,
                    ..
                } => {
                    task_ids.insert(task_id);
                    entry_ids.insert(entry_id);
                    timer_ids.extend(timer_id);
                }
                Intent::ReviewEntry { entry_id, task, .. } => {
                    entry_ids.insert(entry_id);
                    task_ids.extend(task.map(|progress| progress.task_id));
                }
                Intent::DiscardEntry { entry_id, .. } => {
                    entry_ids.insert(entry_id);
                }
            }
        }
        let (task_ids, timer_ids, entry_ids) = (
            Vec::from_iter(task_ids),
            Vec::from_iter(timer_ids),
            Vec::from_iter(entry_ids),
        );

        let mut batch = Batch::default();
        if follows_settings {
            // Settings never made are the defaults (made on their first read elsewhere).
            batch.settings = tx.time_settings(scope).await?.unwrap_or_default();
        }
        for (id, status) in tx.task_statuses(scope, &task_ids).await? {
            batch.tasks.insert(id, (status, status));
        }
        for timer in tx.timers_with_ids(scope, &timer_ids).await? {
            match timer {
                Held::Own(timer) => {
                    batch.timers.insert(timer.id, timer);
                }
                Held::Taken(id) => {
                    batch.taken.insert(id);
                }
            }
        }
        if let Some(active) = tx.own_active_timer(scope).await? {
            batch.active = Some(active.id);
            batch.timers.insert(active.id, active);
        }
        // Only a stopped timer has an entry: a backlog of new timers asks for none (and a table
        // just filled, whose statistics lag, is not scanned for them; nor for an empty list,
        // which a reused query plan cannot tell apart).
        let mut stopped_timer_ids: Vec<Uuid> = batch
            .timers
            .values()
            .filter(|timer| timer.stopped)
            .map(|timer| timer.id)
            .collect();
        if let Some(earliest) = earliest_start {
            for timer in tx.own_timers_from(scope, earliest).await? {
                batch.starts.insert((timer.head.started_at, timer.id));
                // Stopped after a start of the batch, it may end at that start instead (T1): its
                // entry is needed. (A stopped timer's last segment ends where it stopped.)
                let ended_after = timer.head.last.end.is_some_and(|end| end > earliest);
                if timer.stopped && ended_after && !batch.timers.contains_key(&timer.id) {
                    stopped_timer_ids.push(timer.id);
                }
                batch.timers.entry(timer.id).or_insert(timer);
            }
        }
        let mut entries = tx.entries_with_ids(scope, &entry_ids).await?;
        if !stopped_timer_ids.is_empty() {
            entries.extend(tx.entries_of_timers(scope, &stopped_timer_ids).await?);
        }
        for entry in entries {
            match entry {
                Held::Own(entry) => batch.remember_entry(entry),
                Held::Taken(id) => {
                    batch.taken.insert(id);
                }
            }
        }
        Ok(batch)
    }

    /// Writes what the applied mutations changed.
    pub async fn write(
        self,
        tx: &mut dyn Transaction,
        scope: &WorkspaceScope,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), ApiError> {
        // Stopped timers first: the user never holds two active timers in between.
        let mut timers: Vec<TimerRecord> =
            self.saved_timers.iter().map(|id| self.timers[id]).collect();
        timers.sort_by_key(|timer| !timer.stopped);
        let segments: Vec<SegmentRecord> = self
            .segments
            .iter()
            .map(|(&(timer_id, n), &segment)| SegmentRecord {
                timer_id,
                n,
                segment,
            })
            .collect();
        tx.save_timers(scope, &timers, &segments).await?;
        tx.insert_entries(scope, &self.new_entries, now).await?;
        let reviewed: Vec<(EntryRecord, Vec<ActivityKind>)> = self
            .reviewed
            .into_iter()
            .map(|(id, activity)| (self.entries[&id].clone(), activity))
            .collect();
        tx.update_own_entries(scope, &reviewed, now, scope.user_id())
            .await?;
        let discarded: Vec<Uuid> = self.discarded.into_iter().collect();
        tx.delete_own_entries(scope, &discarded).await?;
        for &task_id in &self.worked_on {
            if self.settings.unassign_others_on_start {
                tx.unassign_others(scope, task_id).await?;
            }
            tx.assign(scope, task_id, scope.user_id()).await?;
            let (read, now) = self.tasks[&task_id];
            if now != read {
                // Only if nobody moved it meanwhile (a concurrent start, a completion).
                tx.change_task_status(scope, task_id, read, now).await?;
            }
        }
        for (&task_id, &(status, percent_complete)) in &self.progress {
            tx.set_task_progress(scope, task_id, status, percent_complete)
                .await?;
        }
        for (timer_id, by, at) in &self.stopped_by {
            tx.record_timer_stop(scope, *timer_id, by, *at).await?;
        }
        for &timer_id in &self.stopped_by_owner {
            tx.forget_timer_stop(scope, timer_id).await?;
        }
        Ok(())
    }

    fn remember_entry(&mut self, entry: EntryRecord) {
        if let Some(timer_id) = entry.timer_id {
            self.entry_of_timer.insert(timer_id, entry.id);
        }
        self.entries.insert(entry.id, entry);
    }

    pub fn task_status(&self, task_id: Uuid) -> Option<TaskStatus> {
        self.tasks.get(&task_id).map(|&(_, now)| now)
    }

    /// Whether a timer has this id, the user's or anyone's.
    pub fn timer_taken(&self, timer_id: Uuid) -> bool {
        self.timers.contains_key(&timer_id) || self.taken.contains(&timer_id)
    }

    /// The user's timer with this id.
    pub fn own_timer(&self, timer_id: Uuid) -> Option<TimerRecord> {
        self.timers.get(&timer_id).copied()
    }

    /// The user's timer that is running or paused.
    pub fn active_timer(&self) -> Option<TimerRecord> {
        self.active.and_then(|id| self.own_timer(id))
    }

    /// The earliest start of the user's timers after `at`.
    pub fn next_timer_start(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        use std::ops::Bound::{Excluded, Unbounded};
        let after = (Excluded((at, Uuid::max())), Unbounded);
        self.starts.range(after).next().map(|&(start, _)| start)
    }

    /// The user's timer that started last before `at`.
    pub fn timer_before(&self, at: DateTime<Utc>) -> Option<TimerRecord> {
        let (_, id) = self.starts.range(..(at, Uuid::nil())).next_back()?;
        self.own_timer(*id)
    }

    pub fn entry_taken(&self, entry_id: Uuid) -> bool {
        self.entries.contains_key(&entry_id) || self.taken.contains(&entry_id)
    }

    pub fn settings(&self) -> &TimeSettings {
        &self.settings
    }

    /// The user's entry with this id.
    pub fn own_entry(&self, entry_id: Uuid) -> Option<&EntryRecord> {
        self.entries.get(&entry_id)
    }

    /// Whether the entry is made by this batch (not yet written).
    pub fn is_new_entry(&self, entry_id: Uuid) -> bool {
        self.new_entries.iter().any(|entry| entry.id == entry_id)
    }

    /// The user's entry this timer was stopped into.
    pub fn entry_of_timer(&self, timer_id: Uuid) -> Option<&EntryRecord> {
        self.entry_of_timer
            .get(&timer_id)
            .and_then(|id| self.entries.get(id))
    }

    /// A new or changed timer of the user, with its last segment (every segment is the last one
    /// when it opens and when it closes, so none is missed).
    pub fn save_timer(&mut self, timer: TimerRecord) {
        self.saved_timers.insert(timer.id);
        self.segments
            .insert((timer.id, timer.head.segment_count), timer.head.last);
        if timer.stopped {
            if self.active == Some(timer.id) {
                self.active = None;
            }
        } else {
            self.active = Some(timer.id);
        }
        self.starts.insert((timer.head.started_at, timer.id));
        self.timers.insert(timer.id, timer);
    }

    pub fn add_entry(&mut self, entry: EntryRecord) {
        self.new_entries.push(entry.clone());
        self.remember_entry(entry);
    }

    /// A reviewed entry of the user's (T4), and what its feed records. One made in this batch
    /// is inserted as reviewed, and its feed still records the review.
    pub fn change_entry(&mut self, entry: EntryRecord, activity: Vec<ActivityKind>) {
        if let Some(new) = self.new_entries.iter_mut().find(|e| e.id == entry.id) {
            *new = entry.clone();
        }
        self.reviewed.entry(entry.id).or_default().extend(activity);
        self.remember_entry(entry);
    }

    /// T5: the task is completed (after any start of work in this batch moved it).
    pub fn complete_task(&mut self, task_id: Uuid) {
        self.set_task_progress(task_id, TaskStatus::Completed, 100);
    }

    /// The task's status and % complete (T4: a review; after any start of work in this batch
    /// moved it).
    pub fn set_task_progress(&mut self, task_id: Uuid, status: TaskStatus, percent_complete: u8) {
        if let Some((_, now)) = self.tasks.get_mut(&task_id) {
            *now = status;
        }
        self.progress.insert(task_id, (status, percent_complete));
    }

    /// A draft of the user's thrown away (T4). One made in this batch is never written.
    pub fn discard_entry(&mut self, entry_id: Uuid) {
        let Some(entry) = self.entries.remove(&entry_id) else {
            return;
        };
        if let Some(timer_id) = entry.timer_id {
            self.entry_of_timer.remove(&timer_id);
        }
        self.reviewed.remove(&entry_id);
        // Its id stays taken: a later mutation of the batch cannot make it anew.
        self.taken.insert(entry_id);
        let before = self.new_entries.len();
        self.new_entries.retain(|e| e.id != entry_id);
        if self.new_entries.len() == before {
            self.discarded.insert(entry_id);
        }
    }

    /// T6, T8: the timer was stopped at `at` for its owner by someone else, whom `by` names in
    /// the owner's words; their devices that were offline learn it with their next pull.
    pub fn stopped_by(&mut self, timer_id: Uuid, by: &str, at: DateTime<Utc>) {
        self.stopped_by.push((timer_id, by.to_string(), at));
    }

    /// T1: the owner's own stop, made earlier, replaced someone else's stop of the timer.
    pub fn stopped_by_owner(&mut self, timer_id: Uuid) {
        self.stopped_by_owner.push(timer_id);
    }

    /// T2: the user is assigned to the task (the only one, when the workspace un-assigns the
    /// others), and an open task moves to *In progress*.
    pub fn start_work(&mut self, task_id: Uuid) {
        if let Some((_, now)) = self.tasks.get_mut(&task_id) {
            *now = now.after_start_work();
        }
        // A review earlier in the batch left the task at a status: the start moves it on too.
        if let Some((status, _)) = self.progress.get_mut(&task_id) {
            *status = status.after_start_work();
        }
        self.worked_on.insert(task_id);
    }
}
