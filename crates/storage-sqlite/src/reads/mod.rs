//! Reads on the reader pool: they never wait for the writer (WAL).

mod entries;
mod groups;
mod settings;
mod teams;
mod timers;

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;
use stint_domain::{Segment, TaskStatus, TimesheetAccess};
use stint_storage::{
    parse_stored, stored_percent, Change, ChangeOp, ChangePage, DeviceRecord, Entity, EntryRecord,
    InvitationRecord, MemberRecord, MemberSettings, MembershipRecord, ProjectRecord, Result,
    RoleRecord, SignedInDevice, StorageError, TaskAssignees, TaskRecord, TimerWithSegments,
    TokenRecord, UserRecord, WorkspaceScope,
};
use uuid::Uuid;

use crate::convert::{id, instant, json_ids, millis, storage_error};
pub use entries::{entry_activity, task_totals, visible_entries};
pub use groups::{groups, member_filters};
pub use settings::time_settings;
pub use teams::{teams, workspace};
pub use timers::{last_timer_stop, runaway_timers, running_timers};

use crate::rows::{own_entry_record, timer_record, token_record, OwnEntryRow, TimerRow, TokenRow};

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
    let row = sqlx::query_as!(
        TokenRow,
        "SELECT id, hash, user_id, device_id, name, created_at, expires_at FROM tokens \
         WHERE hash = $1",
        hash
    )
    .fetch_optional(pool)
    .await
    .map_err(storage_error)?;
    row.map(token_record).transpose()
}

pub async fn personal_tokens(pool: &SqlitePool, user_id: Uuid) -> Result<Vec<TokenRecord>> {
    let user = user_id.to_string();
    let rows = sqlx::query_as!(
        TokenRow,
        "SELECT id, hash, user_id, device_id, name, created_at, expires_at FROM tokens \
         WHERE user_id = $1 AND device_id IS NULL ORDER BY created_at DESC, id DESC",
        user
    )
    .fetch_all(pool)
    .await
    .map_err(storage_error)?;
    rows.into_iter().map(token_record).collect()
}

pub async fn devices_of(
    pool: &SqlitePool,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<SignedInDevice>> {
    let (user, now) = (user_id.to_string(), millis(now));
    let rows = sqlx::query!(
        r#"SELECT d.id, d.name, d.created_at,
                  EXISTS (SELECT 1 FROM tokens t WHERE t.device_id = d.id AND t.expires_at > $2)
                      AS "signed_in!: bool"
           FROM devices d WHERE d.user_id = $1 ORDER BY d.created_at DESC, d.id DESC"#,
        user,
        now
    )
    .fetch_all(pool)
    .await
    .map_err(storage_error)?;
    rows.into_iter()
        .map(|row| {
            Ok(SignedInDevice {
                device: DeviceRecord {
                    id: id(&row.id)?,
                    user_id,
                    name: row.name,
                    created_at: instant(row.created_at)?,
                },
                signed_in: row.signed_in,
            })
        })
        .collect()
}

/// The user's memberships, or only the one in `workspace_id`.
pub async fn memberships(
    pool: &SqlitePool,
    user_id: Uuid,
    workspace_id: Option<Uuid>,
) -> Result<Vec<MembershipRecord>> {
    let user = user_id.to_string();
    let workspace = workspace_id.map(|w| w.to_string());
    // One statement (every request reads its caller's membership): a row per role held, or
    // one without a role, each membership's rows together.
    let rows = sqlx::query!(
        r#"SELECT m.workspace_id, w.name AS workspace_name, m.user_id, m.timesheet_access,
                  r.id AS "role_id?", r.name AS "role_name?", r.default_role,
                  (SELECT group_concat(p.permission) FROM role_permissions p
                   WHERE p.role_id = r.id) AS "permissions?: String"
           FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
                LEFT JOIN member_roles mr
                       ON mr.workspace_id = m.workspace_id AND mr.user_id = m.user_id
                LEFT JOIN roles r ON r.id = mr.role_id
           WHERE m.user_id = $1 AND ($2 IS NULL OR m.workspace_id = $2) AND m.active
           ORDER BY w.name, m.workspace_id, r.name"#,
        user,
        workspace
    )
    .fetch_all(pool)
    .await
    .map_err(storage_error)?;
    let mut memberships: Vec<MembershipRecord> = Vec::new();
    for row in rows {
        let workspace_id = id(&row.workspace_id)?;
        if memberships.last().map(|m| m.workspace_id) != Some(workspace_id) {
            memberships.push(MembershipRecord {
                workspace_id,
                roles: Vec::new(),
                workspace_name: row.workspace_name,
                user_id: id(&row.user_id)?,
                timesheet_access: parse_stored(
                    &row.timesheet_access,
                    TimesheetAccess::parse,
                    "timesheet access",
                )?,
            });
        }
        if let (Some(role_id), Some(name)) = (row.role_id, row.role_name) {
            let permissions = row.permissions.unwrap_or_default();
            let role = RoleRecord::from_stored(
                id(&role_id)?,
                name,
                row.default_role.as_deref(),
                permissions.split(',').filter(|p| !p.is_empty()),
            )?;
            if let Some(membership) = memberships.last_mut() {
                membership.roles.push(role);
            }
        }
    }
    Ok(memberships)
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
        "SELECT t.id, t.title, t.status, t.percent_complete, p.id AS project_id, \
                p.name AS project_name, p.color AS project_color \
         FROM tasks t JOIN projects p ON p.id = t.project_id \
         WHERE t.workspace_id = $1 AND ($2 IS NULL OR t.id IN (SELECT value FROM json_each($2))) \
         ORDER BY t.title",
        workspace,
        ids
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)?;
    // People and teams in one read: `is_team` tells them apart.
    let assignee_rows = sqlx::query!(
        r#"SELECT a.task_id AS "task_id!", u.id AS "id!", u.name AS "name!", 0 AS "is_team!: bool"
           FROM task_assignees a JOIN tasks t ON t.id = a.task_id JOIN users u ON u.id = a.user_id
           WHERE t.workspace_id = $1 AND ($2 IS NULL OR t.id IN (SELECT value FROM json_each($2)))
           UNION ALL
           SELECT a.task_id, m.id, m.name, 1
           FROM task_teams a JOIN teams m ON m.id = a.team_id
           WHERE a.workspace_id = $1
             AND ($2 IS NULL OR a.task_id IN (SELECT value FROM json_each($2)))
           ORDER BY 3"#,
        workspace,
        ids
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)?;
    let mut assignees = TaskAssignees::default();
    for row in assignee_rows {
        assignees.add(id(&row.task_id)?, row.is_team, id(&row.id)?, row.name);
    }
    rows.into_iter()
        .map(|row| {
            let task_id = id(&row.id)?;
            let (people, teams) = assignees.take(task_id);
            Ok(TaskRecord {
                id: task_id,
                status: parse_stored(&row.status, TaskStatus::parse, "task status")?,
                percent_complete: stored_percent(row.percent_complete)?,
                assignees: people,
                teams,
                title: row.title,
                project_id: id(&row.project_id)?,
                project_name: row.project_name,
                project_color: row.project_color,
            })
        })
        .collect()
}

/// The user's own entries are theirs to see in either store (P4).
pub async fn own_entries(
    pool: &SqlitePool,
    scope: &WorkspaceScope,
    ids: &[Uuid],
) -> Result<Vec<EntryRecord>> {
    let workspace = scope.workspace_id().to_string();
    let user = scope.user_id().to_string();
    let ids = json_ids(ids);
    // As one JSON array, like a snapshot page (see own_entries_page): a pull after a large
    // push brings thousands of them back.
    let page = sqlx::query_scalar!(
        "SELECT json_group_array(json_array(id, task_id, timer_id, team_id, started_at, \
                    ended_at, duration_secs, raw_duration_secs, billable, flag, status, source, \
                    description)) \
                AS \"page!: String\" \
         FROM (SELECT id, workspace_id, user_id, task_id, timer_id, team_id, started_at, \
                      ended_at, duration_secs, raw_duration_secs, billable, flag, status, source, description \
               FROM entries WHERE workspace_id = $1 AND user_id = $2 \
                              AND id IN (SELECT value FROM json_each($3)) \
               UNION ALL \
               SELECT id, workspace_id, user_id, task_id, timer_id, team_id, started_at, \
                      ended_at, duration_secs, raw_duration_secs, billable, flag, status, source, description \
               FROM secured_entries WHERE workspace_id = $1 AND user_id = $2 \
                                      AND id IN (SELECT value FROM json_each($3)))",
        workspace,
        user,
        ids
    )
    .fetch_one(pool)
    .await
    .map_err(storage_error)?;
    let mut entries = own_entry_records(scope, &page)?;
    entries.sort_by_key(|entry| entry.started_at);
    Ok(entries)
}

/// The user's entries in a JSON array of rows made by `json_group_array(json_array(…))`, in
/// `OwnEntryRow`'s order. sqlx hands SQLite rows over from its worker thread one at a time,
/// each value copied: for thousands of entries that took three times as long as building and
/// reading the JSON.
fn own_entry_records(scope: &WorkspaceScope, page: &str) -> Result<Vec<EntryRecord>> {
    let rows: Vec<OwnEntryRow> = serde_json::from_str(page)
        .map_err(|e| StorageError::Corrupt(format!("entry rows: {e}")))?;
    rows.into_iter()
        .map(|row| own_entry_record(row, scope.user_id()))
        .collect()
}

pub async fn own_entries_page(
    pool: &SqlitePool,
    scope: &WorkspaceScope,
    after: Option<Uuid>,
    limit: usize,
) -> Result<Vec<EntryRecord>> {
    let workspace = scope.workspace_id().to_string();
    let user = scope.user_id().to_string();
    let after = after.map(|a| a.to_string()).unwrap_or_default();
    let fetch = limit as i64;
    // A query per table, each in its index's order, in one snapshot: one query over both in id
    // order had SQLite merge them row by row, which cost more than reading them. Each is one
    // JSON array of rows (see own_entry_records).
    let mut read = pool.begin().await.map_err(storage_error)?;
    let plain = sqlx::query_scalar!(
        "SELECT json_group_array(json_array(id, task_id, timer_id, team_id, started_at, \
                    ended_at, duration_secs, raw_duration_secs, billable, flag, status, source, \
                    description)) \
                AS \"page!: String\" \
         FROM (SELECT * FROM entries WHERE workspace_id = $1 AND user_id = $2 AND id > $3 \
               ORDER BY id LIMIT $4)",
        workspace,
        user,
        after,
        fetch
    )
    .fetch_one(&mut *read)
    .await
    .map_err(storage_error)?;
    let secured = sqlx::query_scalar!(
        "SELECT json_group_array(json_array(id, task_id, timer_id, team_id, started_at, \
                    ended_at, duration_secs, raw_duration_secs, billable, flag, status, source, \
                    description)) \
                AS \"page!: String\" \
         FROM (SELECT * FROM secured_entries \
               WHERE workspace_id = $1 AND user_id = $2 AND id > $3 ORDER BY id LIMIT $4)",
        workspace,
        user,
        after,
        fetch
    )
    .fetch_one(&mut *read)
    .await
    .map_err(storage_error)?;
    read.commit().await.map_err(storage_error)?;
    let mut entries = own_entry_records(scope, &plain)?;
    entries.extend(own_entry_records(scope, &secured)?);
    // An aggregate's order is not promised; the rows came in order, in two runs, so this costs
    // a pass or two.
    entries.sort_by_key(|entry| entry.id);
    entries.truncate(limit);
    Ok(entries)
}

/// The teams the scope's user is a member of, by id.
pub async fn my_team_ids(pool: &SqlitePool, scope: &WorkspaceScope) -> Result<Vec<Uuid>> {
    let (workspace, me) = (
        scope.workspace_id().to_string(),
        scope.user_id().to_string(),
    );
    let rows = sqlx::query_scalar!(
        "SELECT team_id FROM team_members WHERE workspace_id = $1 AND user_id = $2 \
         ORDER BY team_id",
        workspace,
        me
    )
    .fetch_all(pool)
    .await
    .map_err(storage_error)?;
    rows.iter().map(|team| id(team)).collect()
}

/// The workspace's projects, by name.
pub async fn projects(pool: &SqlitePool, scope: &WorkspaceScope) -> Result<Vec<ProjectRecord>> {
    let workspace = scope.workspace_id().to_string();
    let rows = sqlx::query!(
        "SELECT id, name, color, leader_id FROM projects WHERE workspace_id = $1 ORDER BY name, id",
        workspace
    )
    .fetch_all(pool)
    .await
    .map_err(storage_error)?;
    rows.into_iter()
        .map(|row| {
            Ok(ProjectRecord {
                id: id(&row.id)?,
                name: row.name,
                color: row.color,
                leader_id: row.leader_id.as_deref().map(id).transpose()?,
            })
        })
        .collect()
}

/// The tasks the scope's user logged time to or ran a timer on, the latest start first.
pub async fn recent_tasks(
    pool: &SqlitePool,
    scope: &WorkspaceScope,
    limit: usize,
) -> Result<Vec<Uuid>> {
    let (workspace, me) = (
        scope.workspace_id().to_string(),
        scope.user_id().to_string(),
    );
    let limit = limit as i64;
    let rows = sqlx::query_scalar!(
        r#"SELECT task_id AS "task_id!" FROM (
               SELECT task_id, started_at AS at FROM entries WHERE workspace_id = $1 AND user_id = $2
               UNION ALL
               SELECT task_id, started_at FROM secured_entries WHERE workspace_id = $1 AND user_id = $2
               UNION ALL
               SELECT task_id, last_start FROM timers WHERE workspace_id = $1 AND user_id = $2)
           GROUP BY task_id ORDER BY max(at) DESC, task_id LIMIT $3"#,
        workspace,
        me,
        limit
    )
    .fetch_all(pool)
    .await
    .map_err(storage_error)?;
    rows.iter().map(|task| id(task)).collect()
}

/// The ids of a page of the workspace's tasks, by id.
pub async fn task_ids_page(
    pool: &SqlitePool,
    scope: &WorkspaceScope,
    after: Option<Uuid>,
    limit: usize,
) -> Result<Vec<Uuid>> {
    let workspace = scope.workspace_id().to_string();
    let after = after.map(|a| a.to_string()).unwrap_or_default();
    let limit = limit as i64;
    let rows = sqlx::query_scalar!(
        "SELECT id FROM tasks WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        workspace,
        after,
        limit
    )
    .fetch_all(pool)
    .await
    .map_err(storage_error)?;
    rows.iter().map(|text| id(text)).collect()
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
        "SELECT id, workspace_id, user_id, task_id, state, started_at, closed_millis, segment_count, \
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

pub async fn newest_change(pool: &SqlitePool) -> Result<i64> {
    sqlx::query_scalar!(r#"SELECT coalesce(max(change_no), 0) AS "newest!: i64" FROM changes"#)
        .fetch_one(pool)
        .await
        .map_err(storage_error)
}

pub async fn changes_since(
    pool: &SqlitePool,
    scope: &WorkspaceScope,
    position: i64,
    limit: usize,
) -> Result<ChangePage> {
    let workspace = scope.workspace_id().to_string();
    let user = scope.user_id().to_string();
    // One more than the page, to know whether more wait; as one JSON array of rows, like
    // entries (see own_entry_records): a page is thousands of rows.
    let fetch = (limit as i64).saturating_add(1);
    let page = sqlx::query_scalar!(
        "SELECT json_group_array(json_array(change_no, entity, entity_id, op)) \
                AS \"page!: String\" \
         FROM (SELECT change_no, entity, entity_id, op FROM changes \
               WHERE workspace_id = $1 AND change_no > $2 \
                 AND (owner_id IS NULL OR owner_id = $3) \
               ORDER BY change_no LIMIT $4)",
        workspace,
        position,
        user,
        fetch
    )
    .fetch_one(pool)
    .await
    .map_err(storage_error)?;
    let mut rows: Vec<(i64, &str, &str, &str)> = serde_json::from_str(&page)
        .map_err(|e| StorageError::Corrupt(format!("change rows: {e}")))?;
    // An aggregate promises no order.
    rows.sort_unstable_by_key(|&(change_no, ..)| change_no);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let position = rows.last().map_or(position, |&(change_no, ..)| change_no);
    let changes = rows
        .into_iter()
        .map(|(change_no, entity, entity_id, op)| {
            Ok(Change {
                change_no,
                entity: parse_stored(entity, Entity::parse, "entity")?,
                entity_id: id(entity_id)?,
                op: parse_stored(op, ChangeOp::parse, "change op")?,
            })
        })
        .collect::<Result<_>>()?;
    Ok(ChangePage {
        changes,
        position,
        more,
    })
}

/// The stream's last seq, if it is the scope's device's in the scope's workspace; on the reader
/// pool or inside the push's transaction.
pub async fn stream_seq<'e>(
    executor: impl sqlx::SqliteExecutor<'e>,
    scope: &WorkspaceScope,
    stream_id: Uuid,
) -> Result<Option<i64>> {
    let (stream, device) = (stream_id.to_string(), scope.device_id().to_string());
    let workspace = scope.workspace_id().to_string();
    sqlx::query_scalar!(
        "SELECT last_applied_seq FROM streams \
         WHERE id = $1 AND device_id = $2 AND workspace_id = $3",
        stream,
        device,
        workspace
    )
    .fetch_optional(executor)
    .await
    .map_err(storage_error)
}

/// Whether `position` could have been handed out in `epoch`: the epoch is known here, and the
/// position is not beyond where the epoch ended (where the next one began) or, for the
/// newest epoch, beyond the newest change.
pub async fn cursor_valid(pool: &SqlitePool, epoch: Uuid, position: i64) -> Result<bool> {
    let epoch = epoch.to_string();
    let end = sqlx::query_scalar!(
        r#"SELECT coalesce(
               (SELECT n.first_position FROM epochs n WHERE n.epoch_no > e.epoch_no
                ORDER BY n.epoch_no LIMIT 1),
               (SELECT coalesce(max(change_no), 0) FROM changes)) AS "end!: i64"
           FROM epochs e WHERE e.id = $1"#,
        epoch
    )
    .fetch_optional(pool)
    .await
    .map_err(storage_error)?;
    Ok(end.is_some_and(|end| position <= end))
}

pub async fn roles(pool: &SqlitePool, scope: &WorkspaceScope) -> Result<Vec<RoleRecord>> {
    let workspace = scope.workspace_id().to_string();
    let rows = sqlx::query!(
        r#"SELECT r.id, r.name, r.default_role,
                  group_concat(p.permission) AS "permissions?: String"
           FROM roles r LEFT JOIN role_permissions p ON p.role_id = r.id
           WHERE r.workspace_id = $1
           GROUP BY r.id ORDER BY r.default_role IS NULL, lower(r.name)"#,
        workspace
    )
    .fetch_all(pool)
    .await
    .map_err(storage_error)?;
    rows.into_iter()
        .map(|row| {
            let permissions = row.permissions.unwrap_or_default();
            RoleRecord::from_stored(
                id(&row.id)?,
                row.name,
                row.default_role.as_deref(),
                permissions.split(',').filter(|p| !p.is_empty()),
            )
        })
        .collect()
}

pub async fn members(pool: &SqlitePool, scope: &WorkspaceScope) -> Result<Vec<MemberRecord>> {
    let workspace = scope.workspace_id().to_string();
    let rows = sqlx::query!(
        r#"SELECT u.id, u.email, u.name, group_concat(mr.role_id) AS "role_ids?: String",
                  m.active AS "active: bool", m.manager_id, m.weekly_minutes, m.timesheet_access
           FROM memberships m JOIN users u ON u.id = m.user_id
                LEFT JOIN member_roles mr
                    ON mr.workspace_id = m.workspace_id AND mr.user_id = m.user_id
           WHERE m.workspace_id = $1
           GROUP BY u.id ORDER BY lower(u.name), u.id"#,
        workspace
    )
    .fetch_all(pool)
    .await
    .map_err(storage_error)?;
    rows.into_iter()
        .map(|row| {
            let role_ids = row.role_ids.unwrap_or_default();
            Ok(MemberRecord {
                user_id: id(&row.id)?,
                email: row.email,
                name: row.name,
                role_ids: role_ids
                    .split(',')
                    .filter(|r| !r.is_empty())
                    .map(id)
                    .collect::<Result<_>>()?,
                settings: MemberSettings {
                    active: row.active,
                    manager_id: row.manager_id.as_deref().map(id).transpose()?,
                    weekly_minutes: row.weekly_minutes,
                    timesheet_access: parse_stored(
                        &row.timesheet_access,
                        TimesheetAccess::parse,
                        "timesheet access",
                    )?,
                },
            })
        })
        .collect()
}

/// Open invitations by token hash, or the workspace's unaccepted ones: one query, two uses.
async fn invitation_rows(
    pool: &SqlitePool,
    token_hash: Option<&str>,
    workspace: Option<&WorkspaceScope>,
    open_at: Option<DateTime<Utc>>,
) -> Result<Vec<InvitationRecord>> {
    let workspace = workspace.map(|scope| scope.workspace_id().to_string());
    let open_at = open_at.map(millis);
    let rows = sqlx::query!(
        r#"SELECT i.id, i.workspace_id, i.email, i.name, i.token_hash, i.invited_by,
                  i.created_at, i.expires_at, group_concat(r.role_id) AS "role_ids?: String"
           FROM invitations i LEFT JOIN invitation_roles r ON r.invitation_id = i.id
           WHERE i.accepted_at IS NULL
             AND ($1 IS NULL OR i.token_hash = $1)
             AND ($2 IS NULL OR i.workspace_id = $2)
             AND ($3 IS NULL OR i.expires_at > $3)
           GROUP BY i.id ORDER BY i.created_at DESC, i.id DESC"#,
        token_hash,
        workspace,
        open_at
    )
    .fetch_all(pool)
    .await
    .map_err(storage_error)?;
    rows.into_iter()
        .map(|row| {
            let role_ids = row.role_ids.unwrap_or_default();
            Ok(InvitationRecord {
                id: id(&row.id)?,
                workspace_id: id(&row.workspace_id)?,
                email: row.email,
                name: row.name,
                token_hash: row.token_hash,
                invited_by: id(&row.invited_by)?,
                role_ids: role_ids
                    .split(',')
                    .filter(|r| !r.is_empty())
                    .map(id)
                    .collect::<Result<_>>()?,
                created_at: instant(row.created_at)?,
                expires_at: instant(row.expires_at)?,
            })
        })
        .collect()
}

pub async fn open_invitation(
    pool: &SqlitePool,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<InvitationRecord>> {
    Ok(invitation_rows(pool, Some(token_hash), None, Some(now))
        .await?
        .pop())
}

pub async fn invitations(
    pool: &SqlitePool,
    scope: &WorkspaceScope,
) -> Result<Vec<InvitationRecord>> {
    invitation_rows(pool, None, Some(scope), None).await
}
