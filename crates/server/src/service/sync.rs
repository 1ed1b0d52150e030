//! Sync push and pull (D3).
//!
//! Push applies a batch in one transaction, together with the device's `last_applied_seq`: a
//! retried push skips what was applied, a crash loses nothing (the whole batch is retried), and
//! one commit (one fsync) covers the batch. A mutation the rules refuse writes nothing, is
//! recorded as rejected with its reason, and still advances the sequence.
//!
//! Pull reads the change log after the device's cursor and returns the current state of each
//! task and entry that changed — or a tombstone when it is gone — and the caller's timer.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use stint_api::rest::{Entry, TimerSnapshot};
use stint_api::sync::{
    EntityKind, Mutation, MutationResult, Outcome, PullResponse, PushResponse, Tombstone,
    MAX_MUTATIONS_PER_PUSH,
};
use stint_api::ErrorCode;
use stint_storage::{Entity, EntryRecord, MutationRecord, Storage, WorkspaceScope};
use uuid::Uuid;

use crate::error::ApiError;
use crate::service::tasks;
use crate::service::timers::{self, ApplyError};

pub async fn push(
    storage: &dyn Storage,
    scope: &WorkspaceScope,
    mutations: &[Mutation],
    now: DateTime<Utc>,
) -> Result<PushResponse, ApiError> {
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
    // Below 1 would read as "already applied" and be answered `skipped`: a device's bug would
    // pass as success while its change is lost.
    if let Some(index) = mutations.iter().position(|mutation| mutation.seq < 1) {
        return Err(ApiError::invalid(
            &format!("mutations[{index}].seq"),
            format!("sequence numbers start at 1, got {}", mutations[index].seq),
        ));
    }
    // A batch that failed (a PostgreSQL deadlock, a lock or pool timeout, a client-made id that
    // another push took a moment earlier) left nothing behind: trying it again is safe, and the
    // second try usually succeeds or turns the id clash into a recorded rejection.
    let mut attempt: u32 = 0;
    loop {
        match push_batch(storage, scope, mutations, now).await {
            Err(error) if error.retryable && attempt < BUSY_RETRIES => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(5 << attempt)).await;
            }
            result => return result,
        }
    }
}

/// Tries again of a push that failed for a passing reason, before answering its error.
const BUSY_RETRIES: u32 = 4;

async fn push_batch(
    storage: &dyn Storage,
    scope: &WorkspaceScope,
    mutations: &[Mutation],
    now: DateTime<Utc>,
) -> Result<PushResponse, ApiError> {
    let mut tx = storage.begin().await?;
    // On PostgreSQL this locks the device's row: two pushes of one device take turns.
    let mut last = tx.last_applied_seq(scope.device_id()).await?;
    // Every intent of a push is about the pushing user's timers (T1 holds per user).
    tx.lock_user_timers(scope).await?;
    let mut results = Vec::with_capacity(mutations.len());
    for mutation in mutations {
        if mutation.seq <= last {
            results.push(MutationResult {
                seq: mutation.seq,
                outcome: Outcome::Skipped,
                reason: None,
            });
            continue;
        }
        if mutation.seq != last + 1 {
            // Nothing of this batch is committed: the device re-sends from `last + 1`.
            return Err(ApiError::new(
                ErrorCode::SequenceGap,
                format!("expected mutation {} next, got {}", last + 1, mutation.seq),
            )
            .with_details(serde_json::json!({ "expected": last + 1 })));
        }
        // A rejected intent wrote nothing (`timers` checks every rule before writing).
        let reason = match timers::apply(tx.as_mut(), scope, &mutation.intent, now).await {
            Ok(()) => None,
            Err(ApplyError::Rejected(reason)) => Some(reason),
            Err(ApplyError::Failed(error)) => return Err(error),
        };
        tx.record_mutation(
            scope,
            &MutationRecord {
                seq: mutation.seq,
                name: mutation.intent.name().to_string(),
                args: serde_json::to_value(&mutation.intent)
                    .map_err(|e| ApiError::internal(e.to_string()))?["args"]
                    .take(),
                rejection: reason
                    .as_ref()
                    .map(|r| (r.code.to_string(), r.message.clone())),
                received_at: now,
            },
        )
        .await?;
        results.push(MutationResult {
            seq: mutation.seq,
            outcome: if reason.is_some() {
                Outcome::Rejected
            } else {
                Outcome::Applied
            },
            reason,
        });
        last = mutation.seq;
    }
    tx.set_last_applied_seq(scope.device_id(), last).await?;
    tx.commit().await?;
    Ok(PushResponse {
        results,
        last_applied_seq: last,
    })
}

pub async fn pull(
    storage: &dyn Storage,
    scope: &WorkspaceScope,
    cursor: i64,
    now: DateTime<Utc>,
) -> Result<PullResponse, ApiError> {
    let page = storage.changes_since(scope, cursor).await?;
    // What changed, by id; the order of a page is not commit order, so what counts is what
    // exists now: its current state, or a tombstone when it is gone.
    let mut task_ids = HashSet::new();
    let mut entry_ids = HashSet::new();
    for change in &page.changes {
        match change.entity {
            Entity::Task => task_ids.insert(change.entity_id),
            Entity::Entry => entry_ids.insert(change.entity_id),
            // Projects travel inside their tasks; the timer is sent whole below.
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
    let timer = storage.active_timer(scope).await?.map(|t| TimerSnapshot {
        id: t.timer.id,
        task_id: t.timer.task_id,
        state: t.timer.head.state(),
        segments: t.segments,
    });
    Ok(PullResponse {
        cursor: page.cursor,
        tasks: tasks.into_iter().map(tasks::task).collect(),
        entries: entries.into_iter().map(entry).collect(),
        removed,
        timer,
        last_applied_seq: storage.last_applied_seq(scope.device_id()).await?,
        server_time: now,
    })
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

fn entry(record: EntryRecord) -> Entry {
    Entry {
        id: record.id,
        user_id: record.user_id,
        task_id: record.task_id,
        timer_id: record.timer_id,
        started_at: record.started_at,
        ended_at: record.ended_at,
        duration_secs: record.duration_secs,
        status: record.status,
        source: record.source,
        description: record.description,
    }
}
