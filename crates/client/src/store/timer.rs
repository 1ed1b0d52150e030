//! Timer transitions and entries. Each transition writes the new state and its outbox mutation
//! in one transaction.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};
use stint_api::is_control_text;
use stint_api::rest::{Assignee, Entry, User};
use stint_api::sync::{Intent, TaskProgress};
use stint_domain::{
    EntryFlag, EntrySource, EntryStatus, Review, Reviewer, Segment, Stopper, TaskStatus, Timer,
};
use uuid::Uuid;

use super::{
    int_setting, keys, put_setting, save_task, task, text_setting, time_settings, LocalStore,
};
use crate::error::{DeskError, StoreError};

/// The running or paused timer on this device.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveTimer {
    pub id: Uuid,
    pub task_id: Uuid,
    pub timer: Timer,
}

impl LocalStore {
    pub fn active_timer(&self) -> Result<Option<ActiveTimer>, StoreError> {
        active_timer(&self.conn())
    }

    /// T1 and T2: stops the running timer (its entry stays a draft), starts one on `task_id`,
    /// and shows the task as assigned to `me` and in progress until the server says otherwise.
    /// Returns the entry of the stopped timer, if there was one.
    pub fn start_timer(
        &self,
        timer_id: Uuid,
        task_id: Uuid,
        at: DateTime<Utc>,
        me: Option<&User>,
        who: Reviewer,
    ) -> Result<Option<Entry>, DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(StoreError::from)?;
        let mut task = task(&tx, task_id)?.ok_or(DeskError::UnknownTask(task_id))?;
        let stopped = match active_timer(&tx)? {
            Some(active) => {
                let at = at.max(last_change(&tx)?);
                Some(stop_active(&tx, active, at, me, who, Stopper::Switch)?)
            }
            None => None,
        };
        let timer = Timer::start(at);
        tx.execute(
            "INSERT INTO timer (slot, id, task_id, segments) VALUES (1, ?1, ?2, ?3)",
            params![
                timer_id.to_string(),
                task_id.to_string(),
                segments_json(&timer)?
            ],
        )
        .map_err(StoreError::from)?;
        enqueue(
            &tx,
            &Intent::StartTimer {
                timer_id,
                task_id,
                at,
            },
        )?;
        if let Some(me) = me {
            if !task.assignees.iter().any(|a| a.user_id == me.id) {
                task.assignees.push(Assignee {
                    user_id: me.id,
                    name: me.name.clone(),
                });
            }
        }
        task.status = task.status.after_start_work();
        save_task(&tx, &task)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(stopped)
    }

    pub fn pause_timer(&self, at: DateTime<Utc>) -> Result<ActiveTimer, DeskError> {
        self.change_timer(None, at, |timer, at| timer.pause(at), pause_intent)
    }

    pub fn resume_timer(&self, at: DateTime<Utc>) -> Result<ActiveTimer, DeskError> {
        self.change_timer(None, at, |timer, at| timer.resume(at), resume_intent)
    }

    /// Pauses the timer `timer_id` if it is still the active one (`NoTimer` otherwise): for
    /// changes decided a moment before, such as a Pomodoro's break.
    pub fn pause_timer_of(
        &self,
        timer_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<ActiveTimer, DeskError> {
        self.change_timer(
            Some(timer_id),
            at,
            |timer, at| timer.pause(at),
            pause_intent,
        )
    }

    /// Resumes the timer `timer_id` if it is still the active one, as `pause_timer_of`.
    pub fn resume_timer_of(
        &self,
        timer_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<ActiveTimer, DeskError> {
        self.change_timer(
            Some(timer_id),
            at,
            |timer, at| timer.resume(at),
            resume_intent,
        )
    }

    fn change_timer(
        &self,
        expected: Option<Uuid>,
        at: DateTime<Utc>,
        change: impl FnOnce(&mut Timer, DateTime<Utc>) -> Result<(), stint_domain::TimerError>,
        intent: impl FnOnce(Uuid, DateTime<Utc>) -> Intent,
    ) -> Result<ActiveTimer, DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(StoreError::from)?;
        let mut active = active_timer(&tx)?
            .filter(|active| expected.is_none_or(|id| id == active.id))
            .ok_or(DeskError::NoTimer)?;
        let at = not_before_last_change(&active, at);
        change(&mut active.timer, at)?;
        tx.execute(
            "UPDATE timer SET segments = ?1",
            params![segments_json(&active.timer)?],
        )
        .map_err(StoreError::from)?;
        enqueue(&tx, &intent(active.id, at))?;
        tx.commit().map_err(StoreError::from)?;
        Ok(active)
    }

    /// The user's own Stop: the timer becomes an entry, a draft or submitted as T4 and T5 say
    /// for `who`.
    pub fn stop_timer(
        &self,
        at: DateTime<Utc>,
        me: Option<&User>,
        who: Reviewer,
    ) -> Result<Entry, DeskError> {
        self.stop_timer_by(at, me, who, Stopper::Own)
    }

    /// A stop of the user's own timer made on this device: their Stop, or their answer to the
    /// idle prompt (T9).
    pub fn stop_timer_by(
        &self,
        at: DateTime<Utc>,
        me: Option<&User>,
        who: Reviewer,
        stopper: Stopper,
    ) -> Result<Entry, DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(StoreError::from)?;
        let active = active_timer(&tx)?.ok_or(DeskError::NoTimer)?;
        let at = not_before_last_change(&active, at);
        let entry = stop_active(&tx, active, at, me, who, stopper)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(entry)
    }

    /// T4: keeps the review dialog's answer for an entry of the user's (a draft, or one
    /// returned to them) and queues it for the server.
    pub fn review_entry(
        &self,
        entry_id: Uuid,
        review: &EntryReview,
        at: DateTime<Utc>,
        who: Reviewer,
    ) -> Result<Entry, DeskError> {
        if is_control_text(&review.description) {
            return Err(DeskError::InvalidInput(
                "the description holds a control character; type it again".into(),
            ));
        }
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(StoreError::from)?;
        let mut entry = entry(&tx, entry_id)?;
        let settings = time_settings(&tx)?;
        let answer = Review {
            duration_secs: review.duration_secs,
            description: &review.description,
            billable: review.billable,
            submit: review.submit,
        };
        entry.status = who
            .review(
                &settings,
                (entry.status, entry.duration_secs, entry.billable),
                &answer,
            )
            .map_err(|refusal| DeskError::InvalidInput(refusal.to_string()))?;
        if let Some(progress) = review.task {
            if progress.task_id != entry.task_id {
                return Err(DeskError::InvalidInput(
                    "a review changes the entry's own task only".into(),
                ));
            }
            who.task_progress(&settings, progress.percent_complete)
                .map_err(|refusal| DeskError::InvalidInput(refusal.to_string()))?;
            set_task_progress(
                &tx,
                progress.task_id,
                progress.status,
                progress.percent_complete,
            )?;
        }
        entry.flag = answer.flag_after(entry.flag);
        entry.duration_secs = review.duration_secs;
        entry.description = review.description.clone();
        entry.billable = review.billable;
        save_entry(&tx, &entry, false)?;
        enqueue(
            &tx,
            &Intent::ReviewEntry {
                entry_id,
                duration_secs: entry.duration_secs,
                description: entry.description.clone(),
                billable: entry.billable,
                submit: review.submit,
                task: review.task,
                at,
            },
        )?;
        tx.commit().map_err(StoreError::from)?;
        Ok(entry)
    }

    /// T4: throws a draft (or returned) entry of the user's away, and tells the server.
    pub fn discard_entry(
        &self,
        entry_id: Uuid,
        at: DateTime<Utc>,
        who: Reviewer,
    ) -> Result<(), DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(StoreError::from)?;
        who.discard(&time_settings(&tx)?, entry(&tx, entry_id)?.status)
            .map_err(|refusal| DeskError::InvalidInput(refusal.to_string()))?;
        tx.execute(
            "DELETE FROM entries WHERE id = ?1",
            params![entry_id.to_string()],
        )
        .map_err(StoreError::from)?;
        enqueue(&tx, &Intent::DiscardEntry { entry_id, at })?;
        tx.commit().map_err(StoreError::from)?;
        Ok(())
    }

    /// One of the user's entries, with whether the server has it; `None` once it is gone.
    pub fn find_entry(&self, entry_id: Uuid) -> Result<Option<(Entry, bool)>, StoreError> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                &format!("SELECT {ENTRY_COLUMNS}, synced FROM entries WHERE id = ?1"),
                params![entry_id.to_string()],
                |r| Ok((entry_from_row(r)?, r.get::<_, bool>(14)?)),
            )
            .optional()?)
    }

    /// The user's entries that started in `[from, to)`, oldest first, with whether the server
    /// has them.
    pub fn entries_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(Entry, bool)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {ENTRY_COLUMNS}, synced FROM entries \
             WHERE started_at >= ?1 AND started_at < ?2 ORDER BY started_at"
        ))?;
        let rows = stmt.query_map(
            params![from.timestamp_millis(), to.timestamp_millis()],
            |r| Ok((entry_from_row(r)?, r.get::<_, bool>(14)?)),
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Stops the active timer into its entry — by the user's own Stop or by a start of another
/// (T1) — with the rules the server applies to the same stop: T7 rounding, the
/// billable default, and the status T4 and T5 give it (a *timer access only* user's own Stop
/// completes the task too), with the settings the last sync brought.
fn stop_active(
    tx: &Transaction<'_>,
    active: ActiveTimer,
    at: DateTime<Utc>,
    me: Option<&User>,
    who: Reviewer,
    stopper: Stopper,
) -> Result<Entry, DeskError> {
    let stopped = active.timer.stop(at)?;
    let settings = time_settings(tx)?;
    let rule = who.stop(&settings, stopper);
    if rule.completes_task {
        set_task_progress(tx, active.task_id, TaskStatus::Completed, 100)?;
    }
    let entry = Entry {
        id: Uuid::now_v7(),
        user_id: me.map(|u| u.id).unwrap_or_default(),
        task_id: active.task_id,
        timer_id: Some(active.id),
        team_id: None,
        started_at: stopped.started_at,
        ended_at: stopped.ended_at,
        duration_secs: settings.round_stopped(stopped.duration_secs),
        raw_duration_secs: stopped.duration_secs,
        billable: settings.default_billable,
        flag: rule.flag,
        status: rule.status,
        source: EntrySource::Timer,
        description: String::new(),
    };
    save_entry(tx, &entry, false)?;
    tx.execute("DELETE FROM timer", [])
        .map_err(StoreError::from)?;
    enqueue(
        tx,
        &Intent::StopTimer {
            timer_id: active.id,
            entry_id: entry.id,
            at,
            switch: stopper == Stopper::Switch,
            idle: stopper == Stopper::Idle,
        },
    )?;
    Ok(entry)
}

fn pause_intent(timer_id: Uuid, at: DateTime<Utc>) -> Intent {
    Intent::PauseTimer { timer_id, at }
}

fn resume_intent(timer_id: Uuid, at: DateTime<Utc>) -> Intent {
    Intent::ResumeTimer { timer_id, at }
}

/// The task's status and % complete on this device (a review's, T4; a completion, T5).
fn set_task_progress(
    tx: &Transaction<'_>,
    task_id: Uuid,
    status: TaskStatus,
    percent_complete: u8,
) -> Result<(), StoreError> {
    if let Some(mut task) = task(tx, task_id)? {
        task.status = status;
        task.percent_complete = percent_complete;
        save_task(tx, &task)?;
    }
    Ok(())
}

/// What the review dialog answers for an entry (T4).
#[derive(Debug, Clone, PartialEq)]
pub struct EntryReview {
    pub duration_secs: i64,
    pub description: String,
    pub billable: bool,
    /// Submitted for approval; otherwise kept as a draft.
    pub submit: bool,
    /// The entry's task as the dialog leaves it, when the user changed it there.
    pub task: Option<TaskProgress>,
}

/// The user's entry with this id.
fn entry(tx: &Transaction<'_>, entry_id: Uuid) -> Result<Entry, DeskError> {
    tx.query_row(
        &format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE id = ?1"),
        params![entry_id.to_string()],
        entry_from_row,
    )
    .optional()
    .map_err(StoreError::from)?
    .ok_or_else(|| DeskError::InvalidInput(format!("there is no entry {entry_id} on this device")))
}

/// What the `entries` columns hold, in the order `entry_from_row` reads them.
pub(super) const ENTRY_COLUMNS: &str = "id, user_id, task_id, timer_id, team_id, started_at, \
     ended_at, duration_secs, raw_duration_secs, billable, status, source, description, flag";

pub(super) fn save_entry(
    tx: &Transaction<'_>,
    entry: &Entry,
    synced: bool,
) -> Result<(), StoreError> {
    save_entries(tx, std::slice::from_ref(entry), synced)
}

/// Saves entries, replacing what the store holds under their ids.
pub(super) fn save_entries(
    tx: &Transaction<'_>,
    entries: &[Entry],
    synced: bool,
) -> Result<(), StoreError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO entries (id, user_id, task_id, timer_id, team_id, started_at, ended_at, \
             duration_secs, raw_duration_secs, billable, status, source, description, flag, \
             synced) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) \
         ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, task_id = excluded.task_id, \
             timer_id = excluded.timer_id, team_id = excluded.team_id, \
             started_at = excluded.started_at, ended_at = excluded.ended_at, \
             duration_secs = excluded.duration_secs, \
             raw_duration_secs = excluded.raw_duration_secs, billable = excluded.billable, \
             status = excluded.status, \
             source = excluded.source, description = excluded.description, \
             flag = excluded.flag, synced = excluded.synced",
    )?;
    // Ids are written as text from buffers on the stack: pulled pages hold thousands of
    // entries, and a `String` per id was a good part of the time spent writing them.
    let mut texts = [[0u8; 36]; 5];
    for entry in entries {
        let [id, user, task, timer, team] = &mut texts;
        insert.execute(params![
            entry.id.as_hyphenated().encode_lower(id) as &str,
            entry.user_id.as_hyphenated().encode_lower(user) as &str,
            entry.task_id.as_hyphenated().encode_lower(task) as &str,
            entry
                .timer_id
                .map(|t| &*t.as_hyphenated().encode_lower(timer)),
            entry
                .team_id
                .map(|t| &*t.as_hyphenated().encode_lower(team)),
            entry.started_at.timestamp_millis(),
            entry.ended_at.timestamp_millis(),
            entry.duration_secs,
            entry.raw_duration_secs,
            entry.billable,
            entry.status.as_str(),
            entry.source.as_str(),
            entry.description,
            entry.flag.map(EntryFlag::as_str),
            synced
        ])?;
    }
    Ok(())
}

/// An entry from a row that starts with `ENTRY_COLUMNS`.
pub(super) fn entry_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    fn corrupt(column: usize, what: &str) -> rusqlite::Error {
        rusqlite::Error::FromSqlConversionFailure(
            column,
            rusqlite::types::Type::Text,
            format!("not {what}").into(),
        )
    }
    let uuid = |column: usize| -> rusqlite::Result<Uuid> {
        let text: String = row.get(column)?;
        Uuid::parse_str(&text).map_err(|_| corrupt(column, "an id"))
    };
    let optional_uuid = |column: usize| -> rusqlite::Result<Option<Uuid>> {
        let text: Option<String> = row.get(column)?;
        text.map(|t| Uuid::parse_str(&t).map_err(|_| corrupt(column, "an id")))
            .transpose()
    };
    let instant = |column: usize| -> rusqlite::Result<DateTime<Utc>> {
        DateTime::from_timestamp_millis(row.get(column)?)
            .ok_or_else(|| corrupt(column, "an instant"))
    };
    let status: String = row.get(10)?;
    let source: String = row.get(11)?;
    let flag: Option<String> = row.get(13)?;
    Ok(Entry {
        id: uuid(0)?,
        user_id: uuid(1)?,
        task_id: uuid(2)?,
        timer_id: optional_uuid(3)?,
        team_id: optional_uuid(4)?,
        started_at: instant(5)?,
        ended_at: instant(6)?,
        duration_secs: row.get(7)?,
        raw_duration_secs: row.get(8)?,
        billable: row.get(9)?,
        status: EntryStatus::parse(&status).ok_or_else(|| corrupt(10, "a status"))?,
        source: EntrySource::parse(&source).ok_or_else(|| corrupt(11, "a source"))?,
        description: row.get(12)?,
        flag: flag
            .map(|flag| EntryFlag::parse(&flag).ok_or_else(|| corrupt(13, "a flag")))
            .transpose()?,
    })
}

pub(super) fn active_timer(conn: &rusqlite::Connection) -> Result<Option<ActiveTimer>, StoreError> {
    let row: Option<(String, String, String)> = conn
        .query_row("SELECT id, task_id, segments FROM timer", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((id, task_id, segments)) = row else {
        return Ok(None);
    };
    let parse =
        |text: &str| Uuid::parse_str(text).map_err(|_| StoreError::Corrupt("timer id".into()));
    let timer = Timer::from_segments(serde_json::from_str::<Vec<Segment>>(&segments)?)
        .ok_or_else(|| StoreError::Corrupt("timer segments".into()))?;
    Ok(Some(ActiveTimer {
        id: parse(&id)?,
        task_id: parse(&task_id)?,
        timer,
    }))
}

pub(super) fn replace_timer(
    tx: &Transaction<'_>,
    timer: Option<&ActiveTimer>,
) -> Result<(), StoreError> {
    tx.execute("DELETE FROM timer", [])?;
    if let Some(active) = timer {
        tx.execute(
            "INSERT INTO timer (slot, id, task_id, segments) VALUES (1, ?1, ?2, ?3)",
            params![
                active.id.to_string(),
                active.task_id.to_string(),
                segments_json(&active.timer)?
            ],
        )?;
    }
    Ok(())
}

/// A clock that went back (an NTP correction, a corrected offset) must not lock the user out
/// of their own timer: a change dated before the timer's last one happens at that one.
fn not_before_last_change(active: &ActiveTimer, at: DateTime<Utc>) -> DateTime<Utc> {
    at.max(active.timer.last_change())
}

/// The instant of the active timer's last change, or the epoch when there is none.
fn last_change(conn: &rusqlite::Connection) -> Result<DateTime<Utc>, StoreError> {
    Ok(active_timer(conn)?
        .map(|a| a.timer.last_change())
        .unwrap_or_default())
}

fn segments_json(timer: &Timer) -> Result<String, StoreError> {
    Ok(serde_json::to_string(timer.segments())?)
}

/// Appends a mutation to the outbox with the stream's next sequence number and the fingerprint
/// of its content. The intent's instant is corrected by the learned clock offset; the device's
/// own clock at that moment is kept beside it, for the record.
pub(super) fn enqueue(tx: &Transaction<'_>, intent: &Intent) -> Result<i64, StoreError> {
    let seq = int_setting(tx, keys::LAST_SEQ)?.unwrap_or(0) + 1;
    if text_setting(tx, keys::STREAM_ID)?.is_none() {
        put_setting(tx, keys::STREAM_ID, &Uuid::now_v7().to_string())?;
    }
    let offset = int_setting(tx, keys::CLOCK_OFFSET_MS)?.unwrap_or(0);
    let at = intent.at().timestamp_millis();
    tx.prepare_cached(
        "INSERT INTO outbox (seq, intent, fingerprint, device_time, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        seq,
        serde_json::to_string(intent)?,
        intent.fingerprint(),
        at - offset,
        at
    ])?;
    put_setting(tx, keys::LAST_SEQ, &seq.to_string())?;
    Ok(seq)
}
