//! Timers across users: a workspace's running ones for its admins (T6), and those anywhere
//! whose counted time reached their workspace's runaway threshold (T8).

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;
use stint_storage::{Result, RunawayTimer, TimerRecord, TimerStopRecord, WorkspaceScope};

use crate::convert::{id, instant, millis, storage_error};
use crate::rows::{timer_record, TimerRow};

pub async fn running_timers(pool: &SqlitePool, scope: &WorkspaceScope) -> Result<Vec<TimerRecord>> {
    let workspace = scope.workspace_id().to_string();
    sqlx::query_as!(
        TimerRow,
        "SELECT id, workspace_id, user_id, task_id, state, started_at, closed_millis, \
                segment_count, last_start, last_end \
         FROM timers WHERE workspace_id = $1 AND state <> 'stopped' ORDER BY started_at",
        workspace
    )
    .fetch_all(pool)
    .await
    .map_err(storage_error)?
    .into_iter()
    .map(timer_record)
    .collect()
}

pub async fn runaway_timers(
    pool: &SqlitePool,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<RunawayTimer>> {
    let (now, limit) = (millis(now), limit as i64);
    let rows = sqlx::query!(
        "SELECT t.id, t.workspace_id, t.user_id \
         FROM timers t JOIN time_settings s ON s.workspace_id = t.workspace_id \
              JOIN memberships m ON m.workspace_id = t.workspace_id AND m.user_id = t.user_id \
                                AND m.active = 1 \
         WHERE t.state = 'running' AND s.runaway_auto_stop = 1 \
           AND t.last_start + s.runaway_timer_hours * 3600000 - t.closed_millis <= $1 \
         ORDER BY t.last_start - t.closed_millis LIMIT $2",
        now,
        limit
    )
    .fetch_all(pool)
    .await
    .map_err(storage_error)?;
    rows.into_iter()
        .map(|row| {
            Ok(RunawayTimer {
                timer_id: id(&row.id)?,
                workspace_id: id(&row.workspace_id)?,
                user_id: id(&row.user_id)?,
            })
        })
        .collect()
}

/// The latest stop of the scope's user's timers that was not their own doing.
pub async fn last_timer_stop(
    pool: &SqlitePool,
    scope: &WorkspaceScope,
) -> Result<Option<TimerStopRecord>> {
    let (workspace, user) = (
        scope.workspace_id().to_string(),
        scope.user_id().to_string(),
    );
    let row = sqlx::query!(
        "SELECT timer_id, by_words, at FROM timer_stops \
         WHERE workspace_id = $1 AND user_id = $2 ORDER BY at DESC, timer_id DESC LIMIT 1",
        workspace,
        user
    )
    .fetch_optional(pool)
    .await
    .map_err(storage_error)?;
    row.map(|row| {
        Ok(TimerStopRecord {
            timer_id: id(&row.timer_id)?,
            by: row.by_words,
            at: instant(row.at)?,
        })
    })
    .transpose()
}
