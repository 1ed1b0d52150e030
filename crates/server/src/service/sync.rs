//! Sync push and pull (D3), protocol version 2.
//!
//! Push applies a batch in one transaction (one commit, one fsync), together with its stream's
//! `last_applied_seq`: what the batch needs is read first, each mutation is decided in memory
//! (`Batch`; a refused one changes nothing there), and what was applied is written in a few
//! statements. A seq the stream already holds (or
//! this batch holds: a batch may repeat one) is compared by fingerprint: the same content is a retry (answered as it was the first time,
//! rejections included), other content is a divergence that halts the batch. A mutation the
//! rules refuse is rolled back alone, recorded with its reason, and the batch goes on.
//!
//! Pull is paged. An incremental page reads the change log after the cursor's position and
//! returns the current state of each task and entry that changed, or a tombstone when it is
//! gone. A cursor from an epoch this database does not know (a restored backup), or no cursor,
//! starts a snapshot: every task and the caller's entries, by id, a page at a time, and then the
//! changes since the snapshot began.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use stint_api::rest::{Entry, TimerSnapshot, TimerStop};
use stint_api::sync::{
    fingerprint_of, EntityKind, Intent, Mutation, MutationResult, Outcome, PullResponse,
    PushResponse, Tombstone, MAX_MUTATIONS_PER_PUSH, PULL_PAGE_SIZE, SNAPSHOT_PAGE_SIZE,
};
use stint_api::{ErrorBody, ErrorCode};
use stint_storage::{
    may, Capability, Entity, EntryRecord, MutationOutcome, MutationRecord, Reason,
    RecordedMutation, Storage, WorkspaceScope,
};
use uuid::Uuid;

use crate::error::ApiError;
use crate::service::batch::Batch;
use crate::service::read_ahead::ReadAhead;
use crate::service::timers::{self, ApplyError};
use crate::service::{settings, tasks};

/// A push's answer, and what the server should tell the user's other devices.
pub struct Pushed {
    pub response: PushResponse,
    /// Running timers that starts in this push stopped (T1).
    pub stopped_timers: Vec<Uuid>,
}

pub async fn push(
    storage: &dyn Storage,
    write: Capability<'_, may::Write>,
    stream_id: Uuid,
    mutations: &[Mutation],
    now: DateTime<Utc>,
) -> Result<Pushed, ApiError> {
    let scope = write.scope();
    check_batch(mutations)?;
    // A batch that failed (a PostgreSQL deadlock, a lock or pool timeout) left nothing behind:
    // trying it again is safe.
    let mut attempt: u32 = 0;
    let (arrived, mut looks) = (tokio::time::Instant::now(), 0);
    loop {
        let may_wait = arrived.elapsed() < AHEAD_WAIT;
        match push_batch(storage, scope, stream_id, mutations, now, may_wait).await {
            Ok(Some(pushed)) => return Ok(pushed),
            Ok(None) => {
                // Soon at first (the batch before it is usually being written), then less often:
                // a real gap costs a few transactions, not hundreds.
                looks += 1;
                tokio::time::sleep(AHEAD_POLL * looks.min(20)).await;
            }
            Err(error) if error.retryable && attempt < BUSY_RETRIES => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(5 << attempt)).await;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Tries again of a push that failed for a passing reason, before answering its error.
const BUSY_RETRIES: u32 = 4;

/// A device keeps two batches on their way, and the second may overtake the first: a batch
/// that begins past its stream's end looks again (after 5 ms, 10 ms … at most 100 ms) for this
/// long before it is answered as a gap.
const AHEAD_WAIT: Duration = Duration::from_secs(1);
const AHEAD_POLL: Duration = Duration::from_millis(5);

/// What is wrong with a batch as sent, before anything is read or written.
fn check_batch(mutations: &[Mutation]) -> Result<(), ApiError> {
    if mutations.len() > MAX_MUTATIONS_PER_PUSH {
        return Err(ApiError::new(
            ErrorCode::TooManyMutations,
            format!(
                "at most {MAX_MUTATIONS_PER_PUSH} mutations per push, got {}",
                mutations.len()
            ),
        )
        .with_details(serde_json::json!({ "limit": MAX_MUTATIONS_PER_PUSH })));
    }
    // Below 1 would read as "already applied": a device's bug would pass as success.
    if let Some(index) = mutations.iter().position(|mutation| mutation.seq < 1) {
        return Err(ApiError::invalid(
            &format!("mutations[{index}].seq"),
            format!("sequence numbers start at 1, got {}", mutations[index].seq),
        ));
    }
    // A fingerprint of the wrong shape is a broken client, not a damaged change.
    let well_formed = |fingerprint: &str| {
        fingerprint.len() == 64
            && fingerprint
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    };
    if let Some(index) = mutations.iter().position(|m| !well_formed(&m.fingerprint)) {
        return Err(ApiError::invalid(
            &format!("mutations[{index}].fingerprint"),
            "a fingerprint is 64 lowercase hex digits",
        ));
    }
    Ok(())
}

/// One try at a batch. None when it begins past the stream's end and `may_wait`: the batch
/// before it may still be on its way.
async fn push_batch(
    storage: &dyn Storage,
    scope: &WorkspaceScope,
    stream_id: Uuid,
    mutations: &[Mutation],
    now: DateTime<Utc>,
    may_wait: bool,
) -> Result<Option<Pushed>, ApiError> {
    let mut tx = storage.begin_in(scope).await?;
    // Locks the stream: two pushes on one stream take turns.
    let Some(mut last) = tx.lock_stream(scope, stream_id).await? else {
        return Err(ApiError::new(
            ErrorCode::StreamTaken,
            format!("stream {stream_id} belongs to another device or workspace"),
        ));
    };
    if may_wait && mutations.first().is_some_and(|m| m.seq > last + 1) {
        // Overtook the batch before it on the way, or a gap: left for `push` to decide.
        return Ok(None);
    }
    // Every intent of a push is about the pushing user's timers (T1 holds per user).
    tx.lock_user_timers(scope).await?;
    // What the stream holds already, to compare a seq sent again with; this batch's own
    // mutations join it as they are decided (a batch may repeat a seq).
    let lowest = mutations.iter().map(|m| m.seq).min().unwrap_or(1);
    let mut recorded: HashMap<i64, RecordedMutation> = if lowest <= last {
        tx.recorded_mutations(stream_id, lowest, last)
            .await?
            .into_iter()
            .map(|r| (r.seq, r))
            .collect()
    } else {
        HashMap::new()
    };
    let mut batch = Batch::load(tx.as_mut(), scope, mutations.iter().map(|m| &m.intent)).await?;
    let mut records = Vec::with_capacity(mutations.len());
    let mut results = Vec::with_capacity(mutations.len());
    let mut stopped_timers = Vec::new();
    let mut halted = None;
    for mutation in mutations {
        if mutation.seq <= last {
            match recorded.get(&mutation.seq) {
                Some(earlier) if earlier.fingerprint == mutation.fingerprint => {
                    results.push(answer_again(earlier));
                    continue;
                }
                // Other content under a number the stream used, or a number whose record is
                // gone: the device's numbering went back in time.
                _ => {
                    results.push(MutationResult {
                        seq: mutation.seq,
                        outcome: Outcome::Diverged,
                        reason: None,
                    });
                    halted = Some(ErrorBody::new(
                        ErrorCode::Diverged,
                        format!(
                            "this stream's mutation {} had other content; continue on a new stream",
                            mutation.seq
                        ),
                    ));
                    break;
                }
            }
        }
        if mutation.seq != last + 1 {
            halted = Some(
                ErrorBody::new(
                    ErrorCode::SequenceGap,
                    format!("expected mutation {} next, got {}", last + 1, mutation.seq),
                )
                .with_details(serde_json::json!({ "expected": last + 1 })),
            );
            break;
        }
        let (json, args) = intent_json(&mutation.intent)?;
        let (outcome, reason) = if mutation.fingerprint == fingerprint_of(json.as_bytes()) {
            apply_one(&mut batch, scope, mutation, now, &mut stopped_timers)
        } else {
            // Damaged on the way, or a device's bug: not applied, and shown to the user.
            let reason = ErrorBody::new(
                ErrorCode::FingerprintMismatch,
                "the change arrived damaged (its fingerprint does not match its content)",
            );
            (Outcome::Rejected, Some(reason))
        };
        let record = record(stream_id, mutation, args, outcome, &reason, now);
        recorded.insert(
            mutation.seq,
            RecordedMutation {
                seq: record.seq,
                fingerprint: record.fingerprint.clone(),
                outcome: record.outcome,
                reason: record.reason.clone(),
            },
        );
        records.push(record);
        results.push(MutationResult {
            seq: mutation.seq,
            outcome,
            reason,
        });
        last = mutation.seq;
    }
    batch.write(tx.as_mut(), scope, now).await?;
    tx.record_mutations(scope, &records).await?;
    tx.set_stream_seq(stream_id, last).await?;
    tx.commit().await?;
    Ok(Some(Pushed {
        response: PushResponse {
            results,
            last_applied_seq: last,
            halted,
            server_time: now,
        },
        stopped_timers,
    }))
}

/// Applies one mutation to the batch; a refusal is answered with its reason.
fn apply_one(
    batch: &mut Batch,
    scope: &WorkspaceScope,
    mutation: &Mutation,
    now: DateTime<Utc>,
    stopped_timers: &mut Vec<Uuid>,
) -> (Outcome, Option<ErrorBody>) {
    match timers::apply(batch, scope, &mutation.intent, now) {
        Ok(applied) => {
            stopped_timers.extend(applied.stopped_timer);
            let outcome = if applied.already {
                Outcome::Skipped
            } else {
                Outcome::Applied
            };
            (outcome, None)
        }
        Err(ApplyError::Rejected(reason)) => (Outcome::Rejected, Some(reason)),
        Err(ApplyError::Reconciled(reason)) => (Outcome::Reconciled, Some(reason)),
    }
}

/// A mutation sent again with the same content gets the answer it got the first time.
fn answer_again(earlier: &RecordedMutation) -> MutationResult {
    let outcome = match earlier.outcome {
        MutationOutcome::Applied => Outcome::Skipped,
        MutationOutcome::Rejected => Outcome::Rejected,
        MutationOutcome::Reconciled => Outcome::Reconciled,
    };
    let reason = earlier.reason.as_ref().map(|reason| ErrorBody {
        code: reason.code.parse().unwrap_or(ErrorCode::Unknown),
        message: reason.message.clone(),
        details: reason.details.clone(),
    });
    MutationResult {
        seq: earlier.seq,
        outcome,
        reason,
    }
}

/// An intent's JSON (what its fingerprint is the hash of) and the `args` part of it (what its
/// record keeps), from one serialization.
fn intent_json(intent: &Intent) -> Result<(String, String), ApiError> {
    let json = serde_json::to_string(intent).map_err(|e| ApiError::internal(e.to_string()))?;
    // Adjacently tagged: the tag, then the content, and nothing else.
    let head = format!("{{\"name\":\"{}\",\"args\":", intent.name());
    let args = json
        .strip_prefix(&head)
        .and_then(|rest| rest.strip_suffix('}'))
        .ok_or_else(|| ApiError::internal(format!("an intent's JSON is {json}")))?
        .to_string();
    Ok((json, args))
}

fn record(
    stream_id: Uuid,
    mutation: &Mutation,
    args: String,
    outcome: Outcome,
    reason: &Option<ErrorBody>,
    now: DateTime<Utc>,
) -> MutationRecord {
    let outcome = match outcome {
        Outcome::Rejected => MutationOutcome::Rejected,
        Outcome::Reconciled => MutationOutcome::Reconciled,
        _ => MutationOutcome::Applied,
    };
    MutationRecord {
        stream_id,
        seq: mutation.seq,
        fingerprint: mutation.fingerprint.clone(),
        name: mutation.intent.name().to_string(),
        args,
        device_time: mutation.device_time,
        outcome,
        reason: reason.as_ref().map(|r| Reason {
            code: r.code.to_string(),
            message: r.message.clone(),
            details: r.details.clone(),
        }),
        received_at: now,
    }
}

/// Where a pull stands: reading the change log after a position, or paging a snapshot (which
/// continues with the change log from the position it began at).
#[derive(Debug, Clone, PartialEq)]
enum Cursor {
    Changes {
        epoch: Uuid,
        position: i64,
    },
    Snapshot {
        epoch: Uuid,
        position: i64,
        phase: SnapshotPhase,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum SnapshotPhase {
    Tasks { after: Option<Uuid> },
    Entries { after: Option<Uuid> },
}

impl Cursor {
    /// `<epoch>.<position>` or `<epoch>.<position>.<t|e>.<last id or ->`.
    fn parse(text: &str) -> Option<Cursor> {
        let parts: Vec<&str> = text.split('.').collect();
        let epoch = Uuid::parse_str(parts.first()?).ok()?;
        let position = parts.get(1)?.parse().ok()?;
        match parts[2..] {
            [] => Some(Cursor::Changes { epoch, position }),
            [phase, after] => {
                let after = match after {
                    "-" => None,
                    id => Some(Uuid::parse_str(id).ok()?),
                };
                let phase = match phase {
                    "t" => SnapshotPhase::Tasks { after },
                    "e" => SnapshotPhase::Entries { after },
                    _ => return None,
                };
                Some(Cursor::Snapshot {
                    epoch,
                    position,
                    phase,
                })
            }
            _ => None,
        }
    }

    /// The page this cursor asks for.
    fn next(&self) -> Next {
        match *self {
            Cursor::Changes { position, .. } => Next::Changes(position),
            Cursor::Snapshot {
                position, phase, ..
            } => Next::Snapshot(position, phase),
        }
    }

    fn epoch_and_position(&self) -> (Uuid, i64) {
        match *self {
            Cursor::Changes { epoch, position }
            | Cursor::Snapshot {
                epoch, position, ..
            } => (epoch, position),
        }
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cursor::Changes { epoch, position } => write!(f, "{epoch}.{position}"),
            Cursor::Snapshot {
                epoch,
                position,
                phase,
            } => {
                let (letter, after) = match phase {
                    SnapshotPhase::Tasks { after } => ("t", after),
                    SnapshotPhase::Entries { after } => ("e", after),
                };
                let after = after.map_or("-".to_string(), |id| id.to_string());
                write!(f, "{epoch}.{position}.{letter}.{after}")
            }
        }
    }
}

/// Pull pages read ahead of the device's request for them.
pub type PageReadAhead = ReadAhead<Result<Page, ApiError>>;

pub async fn pull(
    storage: &Arc<dyn Storage>,
    read_ahead: &PageReadAhead,
    read: Capability<'_, may::Read>,
    cursor: Option<&str>,
    stream_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<PullResponse, ApiError> {
    let scope = read.scope();
    // A cursor this server cannot read was not handed out by it (or by this version): like one
    // from a restored backup, it starts a snapshot.
    let parsed = cursor.and_then(|text| Some((text, Cursor::parse(text)?)));
    let valid = match parsed {
        Some((text, cursor)) => {
            let (epoch, position) = cursor.epoch_and_position();
            // A cursor from a timeline this database does not have (a restored backup) starts
            // over with a snapshot.
            storage
                .cursor_valid(epoch, position)
                .await?
                .then_some((text, cursor))
        }
        None => None,
    };
    // Only the device's own cursor, once valid, takes a page read ahead for it: a snapshot that
    // starts over must not continue where one read before a restore left off.
    let (asked, cursor) = match valid {
        Some((text, cursor)) => (Some(text), cursor),
        None => (
            None,
            Cursor::Snapshot {
                epoch: storage.epoch().await?,
                position: storage.head_position().await?,
                phase: SnapshotPhase::Tasks { after: None },
            },
        ),
    };
    let ahead = match asked {
        Some(text) => read_ahead.take(scope, text).await,
        None => None,
    };
    let mut page = match ahead {
        // The last page, which tells the device it is up to date, is read on request: a pull
        // asked for after a change (its event, say) must bring it.
        Some(Ok(page)) if page.more => page,
        // Not read ahead (or that failed): read it now.
        _ => read_page(storage.as_ref(), scope, cursor.next()).await?,
    };
    let epoch = storage.epoch().await?;
    page.cursor = match page.next {
        Next::Changes(position) => Cursor::Changes { epoch, position },
        Next::Snapshot(position, phase) => Cursor::Snapshot {
            epoch,
            position,
            phase,
        },
    }
    .to_string();
    // The next page is read while this one travels and the device writes it. A page read a
    // moment early is as good as one read on request: whatever changes after it was read comes
    // again, further on in the change log.
    if page.more {
        let (storage, scope, next) = (storage.clone(), *scope, page.next);
        read_ahead.start(&scope, &page.cursor, async move {
            read_page(storage.as_ref(), &scope, next).await
        });
    }
    let timer = storage.active_timer(scope).await?.map(|t| TimerSnapshot {
        id: t.timer.id,
        task_id: t.timer.task_id,
        state: t.timer.head.state(),
        segments: t.segments,
    });
    let timer_stop = storage.last_timer_stop(scope).await?.map(|stop| TimerStop {
        timer_id: stop.timer_id,
        by: stop.by,
    });
    let last_applied_seq = match stream_id {
        Some(stream_id) => storage.stream_seq(scope, stream_id).await?,
        None => 0,
    };
    let my_team_ids = storage.my_team_ids(scope).await?;
    // With the last page the device is up to date: its copy of the settings too.
    let time_settings = match page.more {
        true => None,
        false => Some(settings::read(storage.as_ref(), scope).await?),
    };
    Ok(PullResponse {
        cursor: page.cursor,
        more: page.more,
        snapshot: page.snapshot,
        tasks: page.tasks,
        entries: page.entries,
        removed: page.removed,
        timer,
        timer_stop,
        last_applied_seq,
        server_time: now,
        my_team_ids,
        time_settings,
        timesheet_access: (!page.more).then_some(scope.timesheet_access()),
        permissions: (!page.more).then(|| scope.permissions().to_vec()),
    })
}

/// What one page holds, before the timer and stream are added.
pub struct Page {
    tasks: Vec<stint_api::rest::Task>,
    entries: Vec<Entry>,
    removed: Vec<Tombstone>,
    more: bool,
    snapshot: bool,
    next: Next,
    cursor: String,
}

#[derive(Clone, Copy)]
enum Next {
    Changes(i64),
    Snapshot(i64, SnapshotPhase),
}

async fn read_page(
    storage: &dyn Storage,
    scope: &WorkspaceScope,
    at: Next,
) -> Result<Page, ApiError> {
    match at {
        Next::Changes(position) => changes_page(storage, scope, position).await,
        Next::Snapshot(position, phase) => snapshot_page(storage, scope, position, phase).await,
    }
}

async fn changes_page(
    storage: &dyn Storage,
    scope: &WorkspaceScope,
    position: i64,
) -> Result<Page, ApiError> {
    let page = storage
        .changes_since(scope, position, PULL_PAGE_SIZE)
        .await?;
    // What changed, by id; the order of a page is not commit order, so what counts is what
    // exists now: its current state, or a tombstone when it is gone.
    let mut task_ids = HashSet::new();
    let mut entry_ids = HashSet::new();
    for change in &page.changes {
        match change.entity {
            Entity::Task => task_ids.insert(change.entity_id),
            Entity::Entry => entry_ids.insert(change.entity_id),
            // Projects travel inside their tasks; the timer is sent whole.
            Entity::Project | Entity::Timer => false,
        };
    }
    let task_ids: Vec<Uuid> = task_ids.into_iter().collect();
    let entry_ids: Vec<Uuid> = entry_ids.into_iter().collect();
    let tasks = if task_ids.is_empty() {
        vec![]
    } else {
        storage.tasks(scope, Some(&task_ids)).await?
    };
    let entries = if entry_ids.is_empty() {
        vec![]
    } else {
        storage.own_entries(scope, &entry_ids).await?
    };
    let mut removed = gone(EntityKind::Task, &task_ids, tasks.iter().map(|t| t.id));
    removed.extend(gone(
        EntityKind::Entry,
        &entry_ids,
        entries.iter().map(|e| e.id),
    ));
    Ok(Page {
        tasks: tasks.into_iter().map(tasks::task).collect(),
        entries: entries.into_iter().map(entry).collect(),
        removed,
        more: page.more,
        snapshot: false,
        next: Next::Changes(page.position),
        cursor: String::new(),
    })
}

/// A page of a snapshot: tasks by id, then the caller's entries by id; after the last, the
/// change log from where the snapshot began (whatever changed meanwhile comes again from it).
async fn snapshot_page(
    storage: &dyn Storage,
    scope: &WorkspaceScope,
    position: i64,
    phase: SnapshotPhase,
) -> Result<Page, ApiError> {
    let mut page = Page {
        tasks: vec![],
        entries: vec![],
        removed: vec![],
        more: true,
        snapshot: true,
        next: Next::Changes(position),
        cursor: String::new(),
    };
    let entries_after = match phase {
        SnapshotPhase::Tasks { after } => {
            let tasks = storage.tasks_page(scope, after, SNAPSHOT_PAGE_SIZE).await?;
            let full = tasks.len() == SNAPSHOT_PAGE_SIZE;
            // The page is by id; `tasks_page` returns it by title.
            let last = tasks.iter().map(|t| t.id).max();
            page.tasks = tasks.into_iter().map(tasks::task).collect();
            if full {
                page.next = Next::Snapshot(position, SnapshotPhase::Tasks { after: last });
                return Ok(page);
            }
            None
        }
        SnapshotPhase::Entries { after } => after,
    };
    let entries = storage
        .own_entries_page(scope, entries_after, SNAPSHOT_PAGE_SIZE)
        .await?;
    if entries.len() == SNAPSHOT_PAGE_SIZE {
        let last = entries.last().map(|e| e.id);
        page.next = Next::Snapshot(position, SnapshotPhase::Entries { after: last });
    }
    page.entries = entries.into_iter().map(entry).collect();
    Ok(page)
}

/// Tombstones for the ids that changed but no longer exist.
fn gone(entity: EntityKind, changed: &[Uuid], found: impl Iterator<Item = Uuid>) -> Vec<Tombstone> {
    let found: HashSet<Uuid> = found.collect();
    changed
        .iter()
        .filter(|id| !found.contains(id))
        .map(|&id| Tombstone { entity, id })
        .collect()
}

pub fn entry(record: EntryRecord) -> Entry {
    Entry {
        id: record.id,
        user_id: record.user_id,
        task_id: record.task_id,
        timer_id: record.timer_id,
        team_id: record.team_id,
        started_at: record.started_at,
        ended_at: record.ended_at,
        duration_secs: record.duration_secs,
        raw_duration_secs: record.raw_duration_secs,
        billable: record.billable,
        flag: record.flag,
        status: record.status,
        source: record.source,
        description: record.description,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_intents_args_are_cut_from_its_json_whole() {
        let (at, id) = (Utc::now(), Uuid::now_v7);
        // Every kind of intent: one whose JSON is not name and args fails every push of it.
        for intent in [
            Intent::StartTimer {
                timer_id: id(),
                task_id: id(),
                at,
            },
            Intent::PauseTimer { timer_id: id(), at },
            Intent::ResumeTimer { timer_id: id(), at },
            Intent::StopTimer {
                timer_id: id(),
                entry_id: id(),
                at,
                switch: true,
                idle: false,
            },
            Intent::RecordEntry {
                entry_id: id(),
                task_id: id(),
                timer_id: Some(id()),
                started_at: at,
                ended_at: at,
                duration_secs: 0,
                raw_duration_secs: None,
                billable: false,
                status: Some(stint_domain::EntryStatus::Submitted),
                description: String::new(),
            },
            Intent::DiscardEntry { entry_id: id(), at },
            Intent::ReviewEntry {
                entry_id: Uuid::now_v7(),
                duration_secs: 60,
                description: "a \"quoted\" } brace".into(),
                billable: true,
                submit: false,
                task: Some(stint_api::sync::TaskProgress {
                    task_id: Uuid::now_v7(),
                    status: stint_domain::TaskStatus::InProgress,
                    percent_complete: 40,
                }),
                at,
            },
        ] {
            let (json, args) = intent_json(&intent).unwrap();
            assert_eq!(fingerprint_of(json.as_bytes()), intent.fingerprint());
            let args: serde_json::Value = serde_json::from_str(&args).unwrap();
            assert_eq!(args, serde_json::to_value(&intent).unwrap()["args"]);
        }
    }

    #[test]
    fn cursors_read_back_as_written() {
        let epoch = Uuid::now_v7();
        let id = Uuid::now_v7();
        for cursor in [
            Cursor::Changes {
                epoch,
                position: 42,
            },
            Cursor::Snapshot {
                epoch,
                position: 7,
                phase: SnapshotPhase::Tasks { after: None },
            },
            Cursor::Snapshot {
                epoch,
                position: 7,
                phase: SnapshotPhase::Entries { after: Some(id) },
            },
        ] {
            assert_eq!(Cursor::parse(&cursor.to_string()), Some(cursor));
        }
        for garbage in [
            "",
            "12",
            "x.1",
            &format!("{epoch}.x"),
            &format!("{epoch}.1.q.-"),
        ] {
            assert_eq!(Cursor::parse(garbage), None, "{garbage}");
        }
    }

    /// A snapshot's pages of a user's entries take them from both tables (secured teams' are
    /// kept apart, P4), in id order, each once, and no one else's.
    #[tokio::test]
    async fn entry_pages_take_both_tables_in_id_order() {
        use sqlx::sqlite::SqliteConnectOptions;
        use sqlx::ConnectOptions;

        let dir = tempfile::tempdir().unwrap();
        let storage = crate::open_sqlite_dir(dir.path()).await.unwrap();
        // Rows written straight in, foreign keys off: the pages read these two tables only.
        let mut conn = SqliteConnectOptions::new()
            .filename(dir.path().join("stint.db"))
            .foreign_keys(false)
            .connect()
            .await
            .unwrap();
        let (workspace, user) = (Uuid::now_v7(), Uuid::now_v7());
        let mut expected = Vec::new();
        for n in 0..13 {
            let id = Uuid::now_v7();
            let (table, owner) = match n % 4 {
                0 => ("secured_entries", user),
                1 => ("entries", Uuid::now_v7()),
                _ => ("entries", user),
            };
            if owner == user {
                expected.push(id);
            }
            sqlx::query(&format!(
                "INSERT INTO {table} (id, workspace_id, user_id, task_id, team_id, started_at, \
                                      ended_at, duration_secs, status, source) \
                 VALUES (?, ?, ?, ?, ?, 0, 60000, 60, 'draft', 'timer')"
            ))
            .bind(id.to_string())
            .bind(workspace.to_string())
            .bind(owner.to_string())
            .bind(Uuid::now_v7().to_string())
            .bind(Uuid::now_v7().to_string())
            .execute(&mut conn)
            .await
            .unwrap();
        }
        expected.sort();
        let scope = crate::policy::seeding(workspace, user);
        let (mut read, mut after) = (Vec::new(), None);
        loop {
            let page = storage.own_entries_page(&scope, after, 3).await.unwrap();
            read.extend(page.iter().map(|entry| entry.id));
            if page.len() < 3 {
                break;
            }
            after = page.last().map(|entry| entry.id);
        }
        assert_eq!(read, expected);
    }
}
