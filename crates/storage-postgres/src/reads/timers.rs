//! Timers across users: a workspace's running ones for its admins (T6), and those anywhere
//! whose counted time reached their workspace's runaway threshold (T8).

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use stint_storage::{Result, RunawayTimer, TimerRecord, TimerStopRecord, WorkspaceScope};

use crate::convert::storage_error;
use crate::rls;
use crate::rows::{timer_record, TimerRow};

pub async fn running_timers(pool: &PgPool, scope: &WorkspaceScope) -> Result<Vec<TimerRecord>> {
    let mut read = rls::read_in(pool, scope.workspace_id()).await?;
    sqlx::query_as!(
        TimerRow,
        "SELECT id, workspace_id, user_id, task_id, state, started_at, closed_millis, \
                segment_count, last_start, last_end \
         FROM timers WHERE workspace_id = $1 AND state <> 'stopped' ORDER BY started_at",
        scope.workspace_id()
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)?
    .into_iter()
    .map(timer_record)
    .collect()
}

/// Across workspaces: as `stint_lookup`, which may read only the columns this needs.
pub async fn runaway_timers(
    pool: &PgPool,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<RunawayTimer>> {
    let mut read = rls::lookup(pool).await?;
    let rows = sqlx::query!(
        "SELECT t.id, t.workspace_id, t.user_id \
         FROM timers t JOIN time_settings s ON s.workspace_id = t.workspace_id \
              JOIN memberships m ON m.workspace_id = t.workspace_id AND m.user_id = t.user_id \
                                AND m.active \
         WHERE t.state = 'running' AND s.runaway_auto_stop \
           AND t.last_start + make_interval(hours => s.runaway_timer_hours) \
               - make_interval(secs => t.closed_millis / 1000.0) <= $1 \
         ORDER BY t.last_start - make_interval(secs => t.closed_millis / 1000.0) LIMIT $2",
        now,
        limit as i64
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)?;
    Ok(rows
        .into_iter()
        .map(|row| RunawayTimer {
            timer_id: row.id,
            workspace_id: row.workspace_id,
            user_id: row.user_id,
        })
        .collect())
}

/// The latest stop of the scope's user's timers that was not their own doing.
pub async fn last_timer_stop(
    pool: &PgPool,
    scope: &WorkspaceScope,
) -> Result<Option<TimerStopRecord>> {
    let mut read = rls::read_in(pool, scope.workspace_id()).await?;
    let row = sqlx::query!(
        "SELECT timer_id, by_words, at FROM timer_stops \
         WHERE workspace_id = $1 AND user_id = $2 ORDER BY at DESC, timer_id DESC LIMIT 1",
        scope.workspace_id(),
        scope.user_id()
    )
    .fetch_optional(&mut *read)
    .await
    .map_err(storage_error)?;
    Ok(row.map(|row| TimerStopRecord {
        timer_id: row.timer_id,
        by: row.by_words,
        at: row.at,
    }))
}
