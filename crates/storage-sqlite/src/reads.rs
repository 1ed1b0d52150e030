//! Reads on the reader pool: they never wait for the writer (WAL).

use std::collections::HashMap;

use sqlx::SqlitePool;
use stint_domain::{EntrySource, EntryStatus, Segment, TaskStatus};
use stint_storage::{
    parse_stored, Change, ChangeOp, ChangePage, Entity, EntryRecord, MembershipRecord, Result,
    TaskRecord, TimerWithSegments, TokenRecord, UserRecord, WorkspaceScope,
};
use uuid::Uuid;

use crate::convert::{id, instant, storage_error};
use crate::transaction::{timer_record, TimerRow};

pub async fn user_by_email(pool: &SqlitePool, email: &str) -> Result<Option<UserRecord>> {
    let row = sqlx::query!(
        "SELECT id, email, name, password_hash FROM users WHERE lower(email) = lower($1)",
        email
    )
    .fetch_optional(pool)
    .await
    .map_err(storage_error)?;
    row.map(|row| {
        Ok(UserRecord {
            id: id(&row.id)?,
            email: row.email,
            name: row.name,
            password_hash: row.password_hash,
        })
    })
    .transpose()
}

pub async fn token(pool: &SqlitePool, hash: &str) -> Result<Option<TokenRecord>> {
    let row = sqlx::query!(
        "SELECT hash, device_id, user_id, created_at, expires_at FROM tokens WHERE hash = $1",
        hash
    )
    .fetch_optional(pool)
    .await
    .map_err(storage_error)?;
    row.map(|row| {
        Ok(TokenRecord {
            hash: row.hash,
            device_id: id(&row.device_id)?,
            user_id: id(&row.user_id)?,
            created_at: instant(row.created_at)?,
            expires_at: instant(row.expires_at)?,
        })
    })
    .transpose()
}

/// The user's memberships, or only the one in `workspace_id`.
pub async fn memberships(
    pool: &SqlitePool,
    user_id: Uuid,
    workspace_id: Option<Uuid>,
) -> Result<Vec<MembershipRecord>> {
    let user = user_id.to_string();
    let workspace = workspace_id.map(|w| w.to_string());
    let rows = sqlx::query!(
        "SELECT m.workspace_id, w.name AS workspace_name, m.user_id, m.role \
         FROM memberships m JOIN workspaces w ON w.id = m.workspace_id \
         WHERE m.user_id = $1 AND ($2 IS NULL OR m.workspace_id = $2) ORDER BY w.name",
        user,
        workspace
    )
    .fetch_all(pool)
    .await
    .map_err(storage_error)?;
    rows.into_iter()
        .map(|row| {
            Ok(MembershipRecord {
                workspace_id: id(&row.workspace_id)?,
                workspace_name: row.workspace_name,
                user_id: id(&row.user_id)?,
                role: row.role,
            })
        })
        .collect()
}

/// Ids as a JSON array, for `IN (SELECT value FROM json_each($n))`: SQLite has no arrays.
fn json_ids(ids: &[Uuid]) -> String {
    serde_json::Value::from(ids.iter().map(Uuid::to_string).collect::<Vec<_>>()).to_string()
}

pub async fn tasks(
    pool: &SqlitePool,
    scope: &WorkspaceScope,
    ids: Option<&[Uuid]>,
) -> Result<Vec<TaskRecord>> {
    let workspace = scope.workspace_id().to_string();
    let ids = ids.map(json_ids);
    // One read transaction: the tasks and their assignees from the same moment.
    let mut read = pool.begin().await.map_err(storage_error)?;
    let rows = sqlx::query!(
        "SELECT t.id, t.title, t.status, p.id AS project_id, p.name AS project_name, \
                p.color AS project_color \
         FROM tasks t JOIN projects p ON p.id = t.project_id \
         WHERE t.workspace_id = $1 AND ($2 IS NULL OR t.id IN (SELECT value FROM json_each($2))) \
         ORDER BY t.title",
        workspace,
        ids
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)?;
    let assignee_rows = sqlx::query!(
        "SELECT a.task_id, u.id AS user_id, u.name \
         FROM task_assignees a JOIN tasks t ON t.id = a.task_id JOIN users u ON u.id = a.user_id \
         WHERE t.workspace_id = $1 AND ($2 IS NULL OR t.id IN (SELECT value FROM json_each($2))) \
         ORDER BY u.name",
        workspace,
        ids
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)?;
    let mut assignees: HashMap<String, Vec<(Uuid, String)>> = HashMap::new();
    for row in assignee_rows {
        assignees
            .entry(row.task_id)
            .or_default()
            .push((id(&row.user_id)?, row.name));
    }
    rows.into_iter()
        .map(|row| {
            Ok(TaskRecord {
                id: id(&row.id)?,
                status: parse_stored(&row.status, TaskStatus::parse, "task status")?,
                assignees: assignees.remove(&row.id).unwrap_or_default(),
                title: row.title,
                project_id: id(&row.project_id)?,
                project_name: row.project_name,
                project_color: row.project_color,
            })
        })
        .collect()
}

pub async fn own_entries(
    pool: &SqlitePool,
    scope: &WorkspaceScope,
    ids: &[Uuid],
) -> Result<Vec<EntryRecord>> {
    let workspace = scope.workspace_id().to_string();
    let user = scope.user_id().to_string();
    let ids = json_ids(ids);
    let rows = sqlx::query!(
        "SELECT id, user_id, task_id, timer_id, started_at, ended_at, duration_secs, status, \
                source, description \
         FROM entries WHERE workspace_id = $1 AND user_id = $2 \
                        AND id IN (SELECT value FROM json_each($3)) \
         ORDER BY started_at",
        workspace,
        user,
        ids
    )
    .fetch_all(pool)
    .await
    .map_err(storage_error)?;
    rows.into_iter()
        .map(|row| {
            Ok(EntryRecord {
                id: id(&row.id)?,
                user_id: id(&row.user_id)?,
                task_id: id(&row.task_id)?,
                timer_id: row.timer_id.as_deref().map(id).transpose()?,
                started_at: instant(row.started_at)?,
                ended_at: instant(row.ended_at)?,
                duration_secs: row.duration_secs,
                status: parse_stored(&row.status, EntryStatus::parse, "entry status")?,
                source: parse_stored(&row.source, EntrySource::parse, "entry source")?,
                description: row.description,
            })
        })
        .collect()
}

pub async fn active_timer(
    pool: &SqlitePool,
    scope: &WorkspaceScope,
) -> Result<Option<TimerWithSegments>> {
    let workspace = scope.workspace_id().to_string();
    let user = scope.user_id().to_string();
    // One read transaction: the head and its segments from the same moment.
    let mut read = pool.begin().await.map_err(storage_error)?;
    let row = sqlx::query_as!(
        TimerRow,
        "SELECT id, user_id, task_id, state, started_at, closed_millis, segment_count, \
                last_start, last_end \
         FROM timers WHERE workspace_id = $1 AND user_id = $2 AND state <> 'stopped'",
        workspace,
        user
    )
    .fetch_optional(&mut *read)
    .await
    .map_err(storage_error)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let segment_rows = sqlx::query!(
        "SELECT started_at, ended_at FROM timer_segments WHERE timer_id = $1 ORDER BY n",
        row.id
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)?;
    let segments = segment_rows
        .into_iter()
        .map(|s| {
            Ok(Segment {
                start: instant(s.started_at)?,
                end: s.ended_at.map(instant).transpose()?,
            })
        })
        .collect::<Result<_>>()?;
    Ok(Some(TimerWithSegments {
        timer: timer_record(row)?,
        segments,
    }))
}

pub async fn changes_since(
    pool: &SqlitePool,
    scope: &WorkspaceScope,
    cursor: i64,
) -> Result<ChangePage> {
    let newest =
        sqlx::query_scalar!(r#"SELECT coalesce(max(change_no), 0) AS "newest!: i64" FROM changes"#)
            .fetch_one(pool)
            .await
            .map_err(storage_error)?;
    let since = if cursor > newest { 0 } else { cursor.max(0) };
    let workspace = scope.workspace_id().to_string();
    let user = scope.user_id().to_string();
    let rows = sqlx::query!(
        "SELECT change_no AS \"change_no!\", entity, entity_id, op FROM changes \
         WHERE workspace_id = $1 AND change_no > $2 AND (owner_id IS NULL OR owner_id = $3) \
         ORDER BY change_no",
        workspace,
        since,
        user
    )
    .fetch_all(pool)
    .await
    .map_err(storage_error)?;
    let cursor = rows.last().map_or(since, |row| row.change_no);

    let changes = rows
        .into_iter()
        .map(|row| {
            Ok(Change {
                change_no: row.change_no,
                entity: parse_stored(&row.entity, Entity::parse, "entity")?,
                entity_id: id(&row.entity_id)?,
                op: parse_stored(&row.op, ChangeOp::parse, "change op")?,
            })
        })
        .collect::<Result<_>>()?;
    Ok(ChangePage { changes, cursor })
}

pub async fn last_applied_seq(pool: &SqlitePool, device_id: Uuid) -> Result<i64> {
    let device = device_id.to_string();
    sqlx::query_scalar!("SELECT last_applied_seq FROM devices WHERE id = $1", device)
        .fetch_one(pool)
        .await
        .map_err(storage_error)
}
