//! Sync push and pull (D3). Each pushed mutation is applied in its own transaction together with
//! the device's `last_applied_seq`, so a retried push skips what was applied and a crash between
//! mutations loses nothing. A mutation the rules refuse is recorded as rejected with its reason
//! and still advances the sequence.

use chrono::{DateTime, Utc};
use sqlx::{Any, Transaction};
use stint_api::rest::{Entry, TimerSnapshot};
use stint_api::sync::{Intent, Mutation, MutationResult, Outcome, PullResponse, PushResponse};
use stint_api::{ErrorBody, ErrorCode};
use stint_domain::{EntrySource, EntryStatus, Segment, Timer, TimerState};
use uuid::Uuid;

use super::{next_change, parse_id, Store};
use crate::error::ApiError;
use crate::policy::WorkspaceScope;
use crate::time::{from_millis, now, to_millis};

/// Why a mutation was not applied: refused by the rules (recorded, sync goes on) or a failure of
/// the server itself (nothing recorded, the device retries).
enum ApplyError {
    Rejected(ErrorBody),
    Failed(ApiError),
}

impl<E: Into<ApiError>> From<E> for ApplyError {
    fn from(error: E) -> ApplyError {
        ApplyError::Failed(error.into())
    }
}

fn rejected(code: ErrorCode, message: impl Into<String>) -> ApplyError {
    ApplyError::Rejected(ErrorBody::new(code, message))
}

#[derive(sqlx::FromRow)]
struct TimerRow {
    id: String,
    workspace_id: String,
    user_id: String,
    task_id: String,
    segments: String,
    state: String,
}

impl TimerRow {
    fn timer(&self) -> Result<Timer, ApiError> {
        serde_json::from_str::<Vec<Segment>>(&self.segments)
            .ok()
            .and_then(Timer::from_segments)
            .ok_or_else(|| ApiError::Internal(format!("timer {} has broken segments", self.id)))
    }

    fn snapshot(&self) -> Result<TimerSnapshot, ApiError> {
        let timer = self.timer()?;
        Ok(TimerSnapshot {
            id: parse_id(&self.id)?,
            task_id: parse_id(&self.task_id)?,
            state: timer.state(),
            segments: timer.segments().to_vec(),
        })
    }
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: String,
    user_id: String,
    task_id: String,
    timer_id: Option<String>,
    started_at: i64,
    ended_at: i64,
    duration_secs: i64,
    status: String,
    source: String,
    description: String,
}

impl EntryRow {
    fn into_entry(self) -> Result<Entry, ApiError> {
        Ok(Entry {
            id: parse_id(&self.id)?,
            user_id: parse_id(&self.user_id)?,
            task_id: parse_id(&self.task_id)?,
            timer_id: self.timer_id.as_deref().map(parse_id).transpose()?,
            started_at: from_millis(self.started_at)?,
            ended_at: from_millis(self.ended_at)?,
            duration_secs: self.duration_secs,
            status: EntryStatus::parse(&self.status).ok_or_else(|| {
                ApiError::Internal(format!("unknown entry status {}", self.status))
            })?,
            source: EntrySource::parse(&self.source).ok_or_else(|| {
                ApiError::Internal(format!("unknown entry source {}", self.source))
            })?,
            description: self.description,
        })
    }
}

const TIMER_COLUMNS: &str = "id, workspace_id, user_id, task_id, segments, state";

impl Store {
    pub async fn push(
        &self,
        scope: &WorkspaceScope,
        mutations: &[Mutation],
    ) -> Result<PushResponse, ApiError> {
        let mut last: i64 =
            sqlx::query_scalar("SELECT last_applied_seq FROM devices WHERE id = $1")
                .bind(scope.device_id().to_string())
                .fetch_one(&self.pool)
                .await?;
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
                return Err(ApiError::Conflict {
                    code: ErrorCode::SequenceGap,
                    message: format!("expected mutation {} next, got {}", last + 1, mutation.seq),
                });
            }
            results.push(self.apply_mutation(scope, mutation).await?);
            last = mutation.seq;
        }
        Ok(PushResponse {
            results,
            last_applied_seq: last,
        })
    }

    async fn apply_mutation(
        &self,
        scope: &WorkspaceScope,
        mutation: &Mutation,
    ) -> Result<MutationResult, ApiError> {
        let mut tx = self.pool.begin().await?;
        let change = next_change(&mut tx, scope.workspace_id()).await?;
        let reason = match apply_intent(&mut tx, scope, &mutation.intent, change).await {
            Ok(()) => None,
            Err(ApplyError::Rejected(reason)) => {
                // Undo whatever the intent wrote before it was refused; record only the refusal.
                tx.rollback().await?;
                tx = self.pool.begin().await?;
                Some(reason)
            }
            Err(ApplyError::Failed(error)) => return Err(error),
        };
        let advanced = sqlx::query(
            "UPDATE devices SET last_applied_seq = $1 WHERE id = $2 AND last_applied_seq = $3",
        )
        .bind(mutation.seq)
        .bind(scope.device_id().to_string())
        .bind(mutation.seq - 1)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if advanced == 0 {
            // A concurrent push from the same device applied it first.
            tx.rollback().await?;
            return Ok(MutationResult {
                seq: mutation.seq,
                outcome: Outcome::Skipped,
                reason: None,
            });
        }
        let args = serde_json::to_value(&mutation.intent)
            .map_err(|e| ApiError::Internal(e.to_string()))?["args"]
            .to_string();
        sqlx::query(
            "INSERT INTO mutations (device_id, seq, workspace_id, name, args, outcome, \
             reason_code, reason_message, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(scope.device_id().to_string())
        .bind(mutation.seq)
        .bind(scope.workspace_id().to_string())
        .bind(mutation.intent.name())
        .bind(args)
        .bind(if reason.is_some() {
            "rejected"
        } else {
            "applied"
        })
        .bind(reason.as_ref().map(|r| r.code.to_string()))
        .bind(reason.as_ref().map(|r| r.message.clone()))
        .bind(to_millis(now()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let outcome = if reason.is_some() {
            Outcome::Rejected
        } else {
            Outcome::Applied
        };
        Ok(MutationResult {
            seq: mutation.seq,
            outcome,
            reason,
        })
    }

    pub async fn pull(
        &self,
        scope: &WorkspaceScope,
        cursor: i64,
    ) -> Result<PullResponse, ApiError> {
        // Read the counter first: every change numbered up to it has committed, because numbers
        // are handed out under the counter's row lock.
        let last_change: i64 =
            sqlx::query_scalar("SELECT last_change FROM workspaces WHERE id = $1")
                .bind(scope.workspace_id().to_string())
                .fetch_one(&self.pool)
                .await?;
        // A cursor from the future (a restored database) means: start over.
        let since = if cursor > last_change {
            0
        } else {
            cursor.max(0)
        };
        let tasks = self.tasks_changed_since(scope, since).await?;
        let entries: Vec<EntryRow> = sqlx::query_as(
            "SELECT id, user_id, task_id, timer_id, started_at, ended_at, duration_secs, status, \
                    source, description \
             FROM entries WHERE workspace_id = $1 AND user_id = $2 AND change_no > $3 \
             ORDER BY change_no",
        )
        .bind(scope.workspace_id().to_string())
        .bind(scope.user_id().to_string())
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        let timer: Option<TimerRow> = sqlx::query_as(&format!(
            "SELECT {TIMER_COLUMNS} FROM timers \
             WHERE workspace_id = $1 AND user_id = $2 AND state <> 'stopped'"
        ))
        .bind(scope.workspace_id().to_string())
        .bind(scope.user_id().to_string())
        .fetch_optional(&self.pool)
        .await?;
        let last_applied_seq: i64 =
            sqlx::query_scalar("SELECT last_applied_seq FROM devices WHERE id = $1")
                .bind(scope.device_id().to_string())
                .fetch_one(&self.pool)
                .await?;
        Ok(PullResponse {
            cursor: last_change,
            tasks,
            entries: entries
                .into_iter()
                .map(EntryRow::into_entry)
                .collect::<Result<_, _>>()?,
            timer: timer.as_ref().map(TimerRow::snapshot).transpose()?,
            last_applied_seq,
            server_time: now(),
        })
    }
}

async fn apply_intent(
    tx: &mut Transaction<'_, Any>,
    scope: &WorkspaceScope,
    intent: &Intent,
    change: i64,
) -> Result<(), ApplyError> {
    match *intent {
        Intent::StartTimer {
            timer_id,
            task_id,
            at,
        } => start_timer(tx, scope, timer_id, task_id, at, change).await,
        Intent::PauseTimer { timer_id, at } => {
            let row = own_active_timer(tx, scope, timer_id).await?;
            let mut timer = row.timer()?;
            timer
                .pause(at)
                .map_err(|e| rejected(ErrorCode::InvalidTransition, e.to_string()))?;
            save_timer(tx, timer_id, &timer, change).await
        }
        Intent::ResumeTimer { timer_id, at } => {
            let row = own_active_timer(tx, scope, timer_id).await?;
            let mut timer = row.timer()?;
            timer
                .resume(at)
                .map_err(|e| rejected(ErrorCode::InvalidTransition, e.to_string()))?;
            save_timer(tx, timer_id, &timer, change).await
        }
        Intent::StopTimer {
            timer_id,
            entry_id,
            at,
        } => {
            let row = own_active_timer(tx, scope, timer_id).await?;
            stop_into_entry(tx, scope, &row, at, entry_id, change).await
        }
    }
}

/// T1 and T2: stops the user's running timer (its entry stays a draft), starts the new one,
/// assigns the user to the task and moves an open task to *In progress*.
async fn start_timer(
    tx: &mut Transaction<'_, Any>,
    scope: &WorkspaceScope,
    timer_id: Uuid,
    task_id: Uuid,
    at: DateTime<Utc>,
    change: i64,
) -> Result<(), ApplyError> {
    let Some(status) = Store::task_status(tx, scope.workspace_id(), task_id).await? else {
        return Err(rejected(
            ErrorCode::UnknownTask,
            format!("there is no task {task_id} in this workspace"),
        ));
    };
    if id_exists(tx, "timers", timer_id).await? {
        return Err(rejected(
            ErrorCode::IdConflict,
            format!("timer id {timer_id} is already taken"),
        ));
    }
    let active: Option<TimerRow> = sqlx::query_as(&format!(
        "SELECT {TIMER_COLUMNS} FROM timers WHERE workspace_id = $1 AND user_id = $2 AND state <> 'stopped'"
    ))
    .bind(scope.workspace_id().to_string())
    .bind(scope.user_id().to_string())
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(active) = active {
        // Device clocks differ: never stop a timer before its own last change.
        let stop_at = at.max(active.timer()?.last_change());
        stop_into_entry(tx, scope, &active, stop_at, Uuid::now_v7(), change).await?;
    }
    let timer = Timer::start(at);
    sqlx::query(
        "INSERT INTO timers (id, workspace_id, user_id, task_id, segments, state, change_no) \
         VALUES ($1, $2, $3, $4, $5, 'running', $6)",
    )
    .bind(timer_id.to_string())
    .bind(scope.workspace_id().to_string())
    .bind(scope.user_id().to_string())
    .bind(task_id.to_string())
    .bind(segments_json(&timer)?)
    .bind(change)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO task_assignees (task_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(task_id.to_string())
    .bind(scope.user_id().to_string())
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE tasks SET status = $1, change_no = $2 WHERE id = $3")
        .bind(status.after_start_work().as_str())
        .bind(change)
        .bind(task_id.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The caller's own timer that is still running or paused. Someone else's timer is reported as
/// unknown, the same as one that does not exist.
async fn own_active_timer(
    tx: &mut Transaction<'_, Any>,
    scope: &WorkspaceScope,
    timer_id: Uuid,
) -> Result<TimerRow, ApplyError> {
    let row: Option<TimerRow> =
        sqlx::query_as(&format!("SELECT {TIMER_COLUMNS} FROM timers WHERE id = $1"))
            .bind(timer_id.to_string())
            .fetch_optional(&mut **tx)
            .await?;
    let row = row
        .filter(|row| {
            row.workspace_id == scope.workspace_id().to_string()
                && row.user_id == scope.user_id().to_string()
        })
        .ok_or_else(|| {
            rejected(
                ErrorCode::UnknownTimer,
                format!("there is no timer {timer_id}"),
            )
        })?;
    if row.state == "stopped" {
        return Err(rejected(
            ErrorCode::TimerStopped,
            "the timer was already stopped",
        ));
    }
    Ok(row)
}

async fn stop_into_entry(
    tx: &mut Transaction<'_, Any>,
    scope: &WorkspaceScope,
    row: &TimerRow,
    at: DateTime<Utc>,
    entry_id: Uuid,
    change: i64,
) -> Result<(), ApplyError> {
    if id_exists(tx, "entries", entry_id).await? {
        return Err(rejected(
            ErrorCode::IdConflict,
            format!("entry id {entry_id} is already taken"),
        ));
    }
    let stopped = row
        .timer()?
        .stop(at)
        .map_err(|e| rejected(ErrorCode::InvalidTransition, e.to_string()))?;
    sqlx::query(
        "INSERT INTO entries (id, workspace_id, user_id, task_id, timer_id, started_at, ended_at, \
         duration_secs, status, source, description, change_no) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '', $11)",
    )
    .bind(entry_id.to_string())
    .bind(scope.workspace_id().to_string())
    .bind(&row.user_id)
    .bind(&row.task_id)
    .bind(&row.id)
    .bind(to_millis(stopped.started_at))
    .bind(to_millis(stopped.ended_at))
    .bind(stopped.duration_secs)
    .bind(EntryStatus::Draft.as_str())
    .bind(EntrySource::Timer.as_str())
    .bind(change)
    .execute(&mut **tx)
    .await?;
    let json =
        serde_json::to_string(&stopped.segments).map_err(|e| ApiError::Internal(e.to_string()))?;
    sqlx::query("UPDATE timers SET segments = $1, state = 'stopped', change_no = $2 WHERE id = $3")
        .bind(json)
        .bind(change)
        .bind(&row.id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn save_timer(
    tx: &mut Transaction<'_, Any>,
    timer_id: Uuid,
    timer: &Timer,
    change: i64,
) -> Result<(), ApplyError> {
    let state = match timer.state() {
        TimerState::Running => "running",
        TimerState::Paused => "paused",
    };
    sqlx::query("UPDATE timers SET segments = $1, state = $2, change_no = $3 WHERE id = $4")
        .bind(segments_json(timer)?)
        .bind(state)
        .bind(change)
        .bind(timer_id.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn segments_json(timer: &Timer) -> Result<String, ApiError> {
    serde_json::to_string(timer.segments()).map_err(|e| ApiError::Internal(e.to_string()))
}

/// Client-made ids are global: one taken anywhere (another user, another workspace) is refused.
async fn id_exists(tx: &mut Transaction<'_, Any>, table: &str, id: Uuid) -> Result<bool, ApiError> {
    let found: Option<String> =
        sqlx::query_scalar(&format!("SELECT id FROM {table} WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&mut **tx)
            .await?;
    Ok(found.is_some())
}
