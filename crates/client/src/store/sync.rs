//! What the sync engine reads from and writes to the local store: the outbox and its stream,
//! acknowledgements, the *Sync issues* they produce, and pulled pages (snapshots included).

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, Transaction};
use stint_api::desk::SyncIssueKind;
use stint_api::rest::Entry;
use stint_api::sync::{EntityKind, Intent, Mutation, MutationResult, Outcome, PullResponse};
use stint_domain::{EntryStatus, Timer};
use uuid::Uuid;

use super::issues::record_issue;
use super::timer::{
    active_timer, enqueue, entry_from_row, replace_timer, save_entries, save_entry, ActiveTimer,
    ENTRY_COLUMNS,
};
use super::{int_setting, keys, put_setting, save_task, text_setting, LocalStore};
use crate::error::StoreError;

/// The stream the outbox is numbered on, and how far the server has acknowledged it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stream {
    pub id: Uuid,
    pub acked_seq: i64,
    /// The last seq handed out on it.
    pub last_seq: i64,
}

/// What an acknowledgement found.
#[derive(Debug, Default, PartialEq)]
pub struct Acknowledged {
    /// Mutations that left the outbox.
    pub done: usize,
    /// The server holds one of this stream's numbers with other content: the rest of the outbox
    /// was moved onto a new stream.
    pub diverged: bool,
}

/// What a pull page changed locally.
#[derive(Debug, Default, PartialEq)]
pub struct PullApplied {
    pub tasks: usize,
    pub entries: usize,
    /// Whether the local timer was replaced by the server's (a stop or start made elsewhere).
    pub timer_changed: bool,
    /// A snapshot ended with things the server lacked; they were queued to be pushed again.
    pub requeued: usize,
    /// Changes still waiting to be pushed: while there are any, the server's timer is not
    /// taken (this device's own changes to it are newer).
    pub pending: i64,
}

impl LocalStore {
    /// The outbox's stream (opening one when there is none yet).
    pub fn stream(&self) -> Result<Stream, StoreError> {
        let conn = self.conn();
        let id = match text_setting(&conn, keys::STREAM_ID)? {
            Some(text) => Uuid::parse_str(&text)
                .map_err(|_| StoreError::Corrupt(format!("stream id {text:?}")))?,
            None => {
                let id = Uuid::now_v7();
                put_setting(&conn, keys::STREAM_ID, &id.to_string())?;
                id
            }
        };
        Ok(Stream {
            id,
            acked_seq: int_setting(&conn, keys::ACKED_SEQ)?.unwrap_or(0),
            last_seq: int_setting(&conn, keys::LAST_SEQ)?.unwrap_or(0),
        })
    }

    /// The whole outbox, oldest first.
    pub fn outbox(&self) -> Result<Vec<Mutation>, StoreError> {
        self.outbox_batch(0, usize::MAX, usize::MAX)
    }

    /// The oldest waiting mutations after seq `after`, at most `max_count` of them and about
    /// `max_bytes` of JSON (at least one, whatever its size).
    pub fn outbox_batch(
        &self,
        after: i64,
        max_count: usize,
        max_bytes: usize,
    ) -> Result<Vec<Mutation>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT seq, intent, fingerprint, device_time FROM outbox WHERE seq > ?1 \
             ORDER BY seq LIMIT ?2",
        )?;
        let limit = i64::try_from(max_count).unwrap_or(i64::MAX);
        let mut rows = stmt.query(params![after, limit])?;
        let mut batch = Vec::new();
        let mut bytes = 0;
        while let Some(row) = rows.next()? {
            let intent_json: String = row.get(1)?;
            bytes += intent_json.len() + MUTATION_OVERHEAD_BYTES;
            if !batch.is_empty() && bytes > max_bytes {
                break;
            }
            let intent: Intent = serde_json::from_str(&intent_json)?;
            // A mutation queued by an older build has neither: derive them now.
            let fingerprint: Option<String> = row.get(2)?;
            let device_time: Option<i64> = row.get(3)?;
            batch.push(Mutation {
                seq: row.get(0)?,
                fingerprint: fingerprint.unwrap_or_else(|| intent.fingerprint()),
                device_time: device_time
                    .and_then(DateTime::from_timestamp_millis)
                    .unwrap_or_else(|| intent.at()),
                intent,
            });
        }
        Ok(batch)
    }

    pub fn pending_count(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))?)
    }

    /// Takes what the server decided out of the outbox, in one transaction: applied and skipped
    /// mutations leave; refused and reconciled ones leave into *Sync issues* (a reconciled stop
    /// also gives up the device's entry for the server's); a divergence moves the rest of the
    /// outbox onto a new stream.
    ///
    /// Committed without waiting for the disk, as a pulled page is: an acknowledgement lost to
    /// a power cut leaves its mutations in the outbox, and the server answers them again as it
    /// did (the same seq and fingerprint get the recorded answer). Except a divergence: its new
    /// stream is a new random id, and what is pushed on it must not be numbered again on another.
    pub fn acknowledge(
        &self,
        results: &[MutationResult],
        last_applied_seq: i64,
    ) -> Result<Acknowledged, StoreError> {
        let mut conn = self.conn();
        if results.iter().any(|r| r.outcome == Outcome::Diverged) {
            return acknowledge_in(&mut conn, results, last_applied_seq);
        }
        without_waiting_for_disk(&mut conn, |conn| {
            acknowledge_in(conn, results, last_applied_seq)
        })
    }

    /// The server lost what it had acknowledged (restored from a backup), or this store went
    /// back in time (restored, copied): number what waits on a new stream and pull a snapshot,
    /// whose end re-queues whatever of this device's the server lacks.
    pub fn start_over(&self) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        open_new_stream(&tx)?;
        tx.execute("DELETE FROM settings WHERE key = ?1", params![keys::CURSOR])?;
        tx.commit()?;
        Ok(())
    }

    /// Applies one pulled page and keeps its cursor, in one transaction. The server's timer
    /// replaces the local one only when no local change is waiting: until then the device's own
    /// view is the newer one.
    ///
    /// Committed without waiting for the disk (`synchronous = NORMAL`): a page lost to a power
    /// cut takes its cursor with it, so the next pull brings it again, and the write-ahead log
    /// keeps the store whole either way. The next local change, committed in full, makes the
    /// page durable too. That saves a flush per page, a few milliseconds each.
    pub fn apply_pull(&self, pull: &PullResponse) -> Result<PullApplied, StoreError> {
        without_waiting_for_disk(&mut self.conn(), |conn| apply_page(conn, pull))
    }
}

/// Runs `write` with `synchronous = NORMAL`: its commit does not wait for the disk. Only for
/// what the server gives again if a power cut loses it.
fn without_waiting_for_disk<T>(
    conn: &mut Connection,
    write: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let written = write(conn);
    // Whatever happened, local changes are again committed only once on disk.
    conn.pragma_update(None, "synchronous", "FULL")?;
    written
}

fn acknowledge_in(
    conn: &mut Connection,
    results: &[MutationResult],
    last_applied_seq: i64,
) -> Result<Acknowledged, StoreError> {
    let now = Utc::now();
    let tx = conn.transaction()?;
    let mut acknowledged = Acknowledged::default();
    for result in results {
        if result.outcome == Outcome::Diverged {
            open_new_stream(&tx)?;
            acknowledged.diverged = true;
            break;
        }
        let kind = match result.outcome {
            Outcome::Applied | Outcome::Skipped | Outcome::Diverged => {
                // Most of a batch of a thousand: only its place in the outbox is needed.
                acknowledged.done += tx
                    .prepare_cached("DELETE FROM outbox WHERE seq = ?1")?
                    .execute(params![result.seq])?;
                continue;
            }
            Outcome::Rejected => SyncIssueKind::Rejected,
            Outcome::Reconciled => SyncIssueKind::Reconciled,
        };
        let Some((intent, made_at)) = take_from_outbox(&tx, result.seq)? else {
            continue;
        };
        acknowledged.done += 1;
        let intent: Intent = serde_json::from_str(&intent)?;
        let reason = result.reason.clone().unwrap_or_else(|| {
            stint_api::ErrorBody::new(
                stint_api::ErrorCode::Rejected,
                "the server refused this change",
            )
        });
        // A refused review had set its task's status and % complete here already; the
        // server's stand only in a full pull (its change log has no change of the task).
        if matches!(intent, Intent::ReviewEntry { task: Some(_), .. }) {
            tx.execute("DELETE FROM settings WHERE key = ?1", params![keys::CURSOR])?;
        }
        if kind == SyncIssueKind::Reconciled {
            adopt_server_entry(&tx, &intent, reason.details.as_ref())?;
        }
        record_issue(&tx, kind, &intent, &reason, made_at, now)?;
    }
    if !acknowledged.diverged {
        let acked = int_setting(&tx, keys::ACKED_SEQ)?.unwrap_or(0);
        put_setting(
            &tx,
            keys::ACKED_SEQ,
            &acked.max(last_applied_seq).to_string(),
        )?;
    }
    tx.commit()?;
    Ok(acknowledged)
}

fn apply_page(conn: &mut Connection, pull: &PullResponse) -> Result<PullApplied, StoreError> {
    let tx = conn.transaction()?;
    let mut applied = PullApplied {
        tasks: pull.tasks.len(),
        entries: pull.entries.len(),
        ..PullApplied::default()
    };
    let snapshot_running = text_setting(&tx, keys::SNAPSHOT)?.is_some();
    if pull.snapshot && !snapshot_running {
        // Everything synced is unconfirmed until a snapshot page brings it again. How many
        // were is kept: with none (a fresh device), its end has nothing to look for.
        let unconfirmed = tx.execute("UPDATE entries SET synced = 2 WHERE synced = 1", [])?;
        tx.execute("DELETE FROM snapshot_tasks", [])?;
        put_setting(&tx, keys::SNAPSHOT, &unconfirmed.to_string())?;
    }
    for task in &pull.tasks {
        save_task(&tx, task)?;
        if pull.snapshot {
            tx.prepare_cached("INSERT OR IGNORE INTO snapshot_tasks (id) VALUES (?1)")?
                .execute(params![task.id.to_string()])?;
        }
    }
    save_entries(&tx, &pull.entries, true)?;
    for tombstone in &pull.removed {
        let delete = match tombstone.entity {
            EntityKind::Task => "DELETE FROM tasks WHERE id = ?1",
            // Only synced copies: an entry still waiting in the outbox is the device's own.
            EntityKind::Entry => "DELETE FROM entries WHERE id = ?1 AND synced <> 0",
        };
        tx.execute(delete, params![tombstone.id.to_string()])?;
    }
    if snapshot_running && !pull.snapshot {
        applied.requeued = finish_snapshot(&tx, pull)?;
    }
    applied.pending = tx.query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))?;
    if applied.pending == 0 {
        let server_timer = match &pull.timer {
            Some(snapshot) => Some(ActiveTimer {
                id: snapshot.id,
                task_id: snapshot.task_id,
                timer: Timer::from_segments(snapshot.segments.clone())
                    .ok_or_else(|| StoreError::Corrupt("server sent broken segments".into()))?,
            }),
            None => None,
        };
        let local_timer = active_timer(&tx)?;
        if local_timer != server_timer {
            // Stopped by someone else while this device did not hear of it live (offline):
            // the user is told who, as the live event would have.
            if let (Some(local), Some(stop)) = (&local_timer, &pull.timer_stop) {
                let replaced = server_timer.as_ref().is_none_or(|t| t.id != local.id);
                if replaced && stop.timer_id == local.id {
                    put_setting(
                        &tx,
                        keys::TIMER_NOTICE,
                        &super::timer_notice("stopped", &stop.by),
                    )?;
                }
            }
            replace_timer(&tx, server_timer.as_ref())?;
            applied.timer_changed = true;
        }
    }
    put_setting(&tx, keys::CURSOR, &pull.cursor)?;
    put_setting(
        &tx,
        keys::MY_TEAMS,
        &serde_json::to_string(&pull.my_team_ids)?,
    )?;
    if let Some(settings) = &pull.time_settings {
        put_setting(&tx, keys::TIME_SETTINGS, &serde_json::to_string(settings)?)?;
    }
    tx.commit()?;
    Ok(applied)
}

/// About what a mutation adds to the JSON of a push beyond its intent.
const MUTATION_OVERHEAD_BYTES: usize = 160;

/// Removes one mutation from the outbox: its intent (as JSON) and when it was made.
fn take_from_outbox(
    tx: &Transaction<'_>,
    seq: i64,
) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
    let mut delete =
        tx.prepare_cached("DELETE FROM outbox WHERE seq = ?1 RETURNING intent, created_at")?;
    let row: Option<(String, i64)> = rusqlite::OptionalExtension::optional(
        delete.query_row(params![seq], |r| Ok((r.get(0)?, r.get(1)?))),
    )?;
    row.map(|(intent, made_at)| {
        let made_at = DateTime::from_timestamp_millis(made_at)
            .ok_or_else(|| StoreError::Corrupt("outbox created_at".into()))?;
        Ok((intent, made_at))
    })
    .transpose()
}

/// Numbers what waits in the outbox 1, 2, 3 … on a new stream.
fn open_new_stream(tx: &Transaction<'_>) -> Result<(), StoreError> {
    // Through negative numbers: renumbering in place could collide with numbers not yet moved.
    tx.execute("UPDATE outbox SET seq = -seq", [])?;
    let old: Vec<i64> = {
        let mut stmt = tx.prepare("SELECT seq FROM outbox ORDER BY seq DESC")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut renumber = tx.prepare("UPDATE outbox SET seq = ?1 WHERE seq = ?2")?;
    for (index, seq) in old.iter().enumerate() {
        renumber.execute(params![index as i64 + 1, seq])?;
    }
    let last = old.len() as i64;
    put_setting(tx, keys::STREAM_ID, &Uuid::now_v7().to_string())?;
    put_setting(tx, keys::LAST_SEQ, &last.to_string())?;
    put_setting(tx, keys::ACKED_SEQ, "0")?;
    Ok(())
}

/// A reconciled change: the device takes the server's entry (`details.server_entry`) and drops
/// its own version of it.
fn adopt_server_entry(
    tx: &Transaction<'_>,
    intent: &Intent,
    details: Option<&serde_json::Value>,
) -> Result<(), StoreError> {
    let own = match intent {
        Intent::StopTimer { entry_id, .. } | Intent::RecordEntry { entry_id, .. } => {
            Some(*entry_id)
        }
        _ => None,
    };
    if let Some(own) = own {
        tx.execute(
            "DELETE FROM entries WHERE id = ?1 AND synced = 0",
            params![own.to_string()],
        )?;
    }
    let server_entry = details
        .and_then(|d| d.get("server_entry"))
        .map(server_entry)
        .transpose()?;
    if let Some(entry) = server_entry {
        save_entry(tx, &entry, true)?;
    }
    Ok(())
}

/// An entry a server answered with. One recorded before entries had `raw_duration_secs` and
/// `billable` (an old answer given again for a re-sent mutation) had counted its duration and
/// was not billable.
pub(crate) fn server_entry(value: &serde_json::Value) -> Result<Entry, serde_json::Error> {
    let mut value = value.clone();
    if let Some(fields) = value.as_object_mut() {
        if !fields.contains_key("raw_duration_secs") {
            let counted = fields.get("duration_secs").cloned().unwrap_or_default();
            fields.insert("raw_duration_secs".into(), counted);
        }
        fields.entry("billable").or_insert(false.into());
    }
    serde_json::from_value(value)
}

/// The end of a snapshot: tasks it did not bring are gone from the server; synced entries it did
/// not bring, and a timer the server does not have, are things the server lost (a restored
/// backup) and are queued again. Returns how many changes were queued.
fn finish_snapshot(tx: &Transaction<'_>, pull: &PullResponse) -> Result<usize, StoreError> {
    // Looking for them reads every entry: 35 ms after a fresh device's first sync of 100,000,
    // which had none.
    let unconfirmed_at_start = text_setting(tx, keys::SNAPSHOT)?
        .and_then(|count| count.parse::<i64>().ok())
        .unwrap_or(i64::MAX);
    tx.execute(
        "DELETE FROM tasks WHERE id NOT IN (SELECT id FROM snapshot_tasks) \
           AND id NOT IN (SELECT task_id FROM timer)",
        [],
    )?;
    tx.execute("DELETE FROM snapshot_tasks", [])?;
    tx.execute(
        "DELETE FROM settings WHERE key = ?1",
        params![keys::SNAPSHOT],
    )?;
    let mut queued = 0;
    if unconfirmed_at_start != 0 {
        let lost: Vec<Entry> = {
            let mut stmt = tx.prepare(&format!(
                "SELECT {ENTRY_COLUMNS} FROM entries WHERE synced = 2 ORDER BY started_at"
            ))?;
            let rows = stmt.query_map([], entry_from_row)?;
            rows.collect::<Result<_, _>>()?
        };
        for entry in lost {
            enqueue(
                tx,
                &Intent::RecordEntry {
                    entry_id: entry.id,
                    task_id: entry.task_id,
                    timer_id: entry.timer_id,
                    started_at: entry.started_at,
                    ended_at: entry.ended_at,
                    duration_secs: entry.duration_secs,
                    raw_duration_secs: Some(entry.raw_duration_secs),
                    billable: entry.billable,
                    status: (entry.status != EntryStatus::Draft).then_some(entry.status),
                    description: entry.description,
                },
            )?;
            queued += 1;
        }
        tx.execute("UPDATE entries SET synced = 0 WHERE synced = 2", [])?;
    }
    // The local timer, with nothing of it waiting, is not the server's: the server lost it or
    // stopped it. Send it again; a server that has it answers "skipped" and the next pull
    // brings its version.
    let pending: i64 = tx.query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))?;
    if let Some(local) = active_timer(tx)? {
        let server_has = pull.timer.as_ref().is_some_and(|t| t.id == local.id);
        if !server_has && pending == queued as i64 {
            for intent in timer_intents(&local) {
                enqueue(tx, &intent)?;
                queued += 1;
            }
        }
    }
    Ok(queued)
}

/// The intents that make a timer with these segments: a start, then a pause and a resume per
/// gap.
fn timer_intents(active: &ActiveTimer) -> Vec<Intent> {
    let timer_id = active.id;
    let mut intents = Vec::new();
    for (index, segment) in active.timer.segments().iter().enumerate() {
        intents.push(if index == 0 {
            Intent::StartTimer {
                timer_id,
                task_id: active.task_id,
                at: segment.start,
            }
        } else {
            Intent::ResumeTimer {
                timer_id,
                at: segment.start,
            }
        });
        if let Some(end) = segment.end {
            intents.push(Intent::PauseTimer { timer_id, at: end });
        }
    }
    intents
}
