//! Reads outside a transaction, each on a pooled connection.

mod entries;
mod groups;
mod settings;
mod teams;
mod timers;

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use stint_domain::{Segment, TaskStatus, TimesheetAccess};
use stint_storage::{
    parse_stored, stored_percent, Change, ChangeOp, ChangePage, DeviceRecord, Entity, EntryRecord,
    InvitationRecord, MemberRecord, MemberSettings, MembershipRecord, ProjectRecord, Result,
    RoleRecord, SignedInDevice, TaskAssignees, TaskRecord, TimerWithSegments, TokenRecord,
    UserRecord, WorkspaceScope,
};
use uuid::Uuid;

pub use entries::{entry_activity, task_totals, visible_entries};
pub use groups::{groups, member_filters};
pub use settings::time_settings;
pub use teams::{teams, workspace};
pub use timers::{last_timer_stop, runaway_timers, running_timers};

use crate::convert::storage_error;
use crate::rls;
use crate::rows::{entry_record, timer_record, EntryRow, TimerRow};

/// Signing in, before any workspace: password hashes are `stint_lookup`'s alone to read.
pub async fn user_by_email(pool: &PgPool, email: &str) -> Result<Option<UserRecord>> {
    let mut read = rls::lookup(pool).await?;
    let row = sqlx::query!(
        "SELECT id, email, name, password_hash FROM users WHERE lower(email) = lower($1)",
        email
    )
    .fetch_optional(&mut *read)
    .await
    .map_err(storage_error)?;
    Ok(row.map(|row| UserRecord {
        id: row.id,
        email: row.email,
        name: row.name,
        password_hash: row.password_hash,
    }))
}

/// Whose token this is, before anyone is known. Tokens belong to no workspace (no policy):
/// one statement, outside a transaction, on every request that carries one.
pub async fn token(pool: &PgPool, hash: &str) -> Result<Option<TokenRecord>> {
    sqlx::query_as!(
        TokenRecord,
        "SELECT id, hash, user_id, device_id, name, created_at, expires_at FROM tokens \
         WHERE hash = $1",
        hash
    )
    .fetch_optional(pool)
    .await
    .map_err(storage_error)
}

pub async fn personal_tokens(pool: &PgPool, user_id: Uuid) -> Result<Vec<TokenRecord>> {
    sqlx::query_as!(
        TokenRecord,
        "SELECT id, hash, user_id, device_id, name, created_at, expires_at FROM tokens \
         WHERE user_id = $1 AND device_id IS NULL ORDER BY created_at DESC, id DESC",
        user_id
    )
    .fetch_all(pool)
    .await
    .map_err(storage_error)
}

pub async fn devices_of(
    pool: &PgPool,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<SignedInDevice>> {
    let rows = sqlx::query!(
        r#"SELECT d.id, d.name, d.created_at,
                  EXISTS (SELECT 1 FROM tokens t WHERE t.device_id = d.id AND t.expires_at > $2)
                      AS "signed_in!"
           FROM devices d WHERE d.user_id = $1 ORDER BY d.created_at DESC, d.id DESC"#,
        user_id,
        now
    )
    .fetch_all(pool)
    .await
    .map_err(storage_error)?;
    Ok(rows
        .into_iter()
        .map(|row| SignedInDevice {
            device: DeviceRecord {
                id: row.id,
                user_id,
                name: row.name,
                created_at: row.created_at,
            },
            signed_in: row.signed_in,
        })
        .collect())
}

/// The user's memberships, or only the one in `workspace_id`.
pub async fn memberships(
    pool: &PgPool,
    user_id: Uuid,
    workspace_id: Option<Uuid>,
) -> Result<Vec<MembershipRecord>> {
    // Listing all of a user's workspaces crosses workspaces: only `stint_lookup` may.
    let mut read = match workspace_id {
        Some(workspace_id) => rls::read_in(pool, workspace_id).await?,
        None => rls::lookup(pool).await?,
    };
    // One statement (every request reads its caller's membership): a row per role held, or
    // one without a role, each membership's rows together.
    let rows = sqlx::query!(
        r#"SELECT m.workspace_id, w.name AS workspace_name, m.user_id, m.timesheet_access,
                  r.id AS "role_id?", r.name AS "role_name?", r.default_role,
                  array(SELECT p.permission FROM role_permissions p
                        WHERE p.role_id = r.id) AS "permissions!"
           FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
                LEFT JOIN member_roles mr
                       ON mr.workspace_id = m.workspace_id AND mr.user_id = m.user_id
                LEFT JOIN roles r ON r.id = mr.role_id
           WHERE m.user_id = $1 AND ($2::uuid IS NULL OR m.workspace_id = $2) AND m.active
           ORDER BY w.name, m.workspace_id, r.name"#,
        user_id,
        workspace_id
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)?;
    let mut memberships: Vec<MembershipRecord> = Vec::new();
    for row in rows {
        if memberships.last().map(|m| m.workspace_id) != Some(row.workspace_id) {
            memberships.push(MembershipRecord {
                workspace_id: row.workspace_id,
                roles: Vec::new(),
                workspace_name: row.workspace_name,
                user_id: row.user_id,
                timesheet_access: parse_stored(
                    &row.timesheet_access,
                    TimesheetAccess::parse,
                    "timesheet access",
                )?,
            });
        }
        if let (Some(role_id), Some(name)) = (row.role_id, row.role_name) {
            let role = RoleRecord::from_stored(
                role_id,
                name,
                row.default_role.as_deref(),
                row.permissions.iter().map(String::as_str),
            )?;
            if let Some(membership) = memberships.last_mut() {
                membership.roles.push(role);
            }
        }
    }
    Ok(memberships)
}

pub async fn tasks(
    pool: &PgPool,
    scope: &WorkspaceScope,
    ids: Option<&[Uuid]>,
) -> Result<Vec<TaskRecord>> {
    // One read transaction: the tasks and their assignees from the same moment.
    let mut read = rls::snapshot_in(pool, scope.workspace_id()).await?;
    let rows = sqlx::query!(
        "SELECT t.id, t.title, t.status, t.percent_complete, p.id AS project_id, \
                p.name AS project_name, p.color AS project_color \
         FROM tasks t JOIN projects p ON p.id = t.project_id \
         WHERE t.workspace_id = $1 AND ($2::uuid[] IS NULL OR t.id = ANY($2)) \
         ORDER BY t.title",
        scope.workspace_id(),
        ids as Option<&[Uuid]>
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)?;
    // People and teams in one read: `is_team` tells them apart.
    let assignee_rows = sqlx::query!(
        r#"SELECT a.task_id AS "task_id!", u.id AS "id!", u.name AS "name!", false AS "is_team!"
           FROM task_assignees a JOIN tasks t ON t.id = a.task_id JOIN users u ON u.id = a.user_id
           WHERE t.workspace_id = $1 AND ($2::uuid[] IS NULL OR t.id = ANY($2))
           UNION ALL
           SELECT a.task_id, m.id, m.name, true
           FROM task_teams a JOIN teams m ON m.id = a.team_id
           WHERE a.workspace_id = $1 AND ($2::uuid[] IS NULL OR a.task_id = ANY($2))
           ORDER BY 3"#,
        scope.workspace_id(),
        ids as Option<&[Uuid]>
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)?;
    let mut assignees = TaskAssignees::default();
    for row in assignee_rows {
        assignees.add(row.task_id, row.is_team, row.id, row.name);
    }
    rows.into_iter()
        .map(|row| {
            let (people, teams) = assignees.take(row.id);
            Ok(TaskRecord {
                id: row.id,
                status: parse_stored(&row.status, TaskStatus::parse, "task status")?,
                percent_complete: stored_percent(row.percent_complete.into())?,
                assignees: people,
                teams,
                title: row.title,
                project_id: row.project_id,
                project_name: row.project_name,
                project_color: row.project_color,
            })
        })
        .collect()
}

/// The user's own entries are theirs to see in either store (P4).
pub async fn own_entries(
    pool: &PgPool,
    scope: &WorkspaceScope,
    ids: &[Uuid],
) -> Result<Vec<EntryRecord>> {
    let mut read = rls::read_in(pool, scope.workspace_id()).await?;
    let rows = sqlx::query_as!(
        EntryRow,
        r#"SELECT id AS "id!", workspace_id AS "workspace_id!", user_id AS "user_id!",
                  task_id AS "task_id!", timer_id, team_id, started_at AS "started_at!",
                  ended_at AS "ended_at!", duration_secs AS "duration_secs!", raw_duration_secs AS "raw_duration_secs!", billable AS "billable!", flag, status AS "status!",
                  source AS "source!", description AS "description!"
           FROM entries WHERE workspace_id = $1 AND user_id = $2 AND id = ANY($3)
           UNION ALL
           SELECT id, workspace_id, user_id, task_id, timer_id, team_id, started_at, ended_at,
                  duration_secs, raw_duration_secs, billable, flag, status, source, description
           FROM secured_entries WHERE workspace_id = $1 AND user_id = $2 AND id = ANY($3)
           ORDER BY 7"#,
        scope.workspace_id(),
        scope.user_id(),
        ids
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)?;
    rows.into_iter().map(entry_record).collect()
}

pub async fn own_entries_page(
    pool: &PgPool,
    scope: &WorkspaceScope,
    after: Option<Uuid>,
    limit: usize,
) -> Result<Vec<EntryRecord>> {
    let Some(from) = first_id_after(after) else {
        return Ok(vec![]);
    };
    let mut read = rls::read_in(pool, scope.workspace_id()).await?;
    // Each table is read in id order up to the limit, and the two merged: with the limit only
    // outside, PostgreSQL sorted every entry after `after` for each page (44 ms a page of
    // 100,000, against 2 ms).
    let rows = sqlx::query_as!(
        EntryRow,
        r#"(SELECT id AS "id!", workspace_id AS "workspace_id!", user_id AS "user_id!",
                   task_id AS "task_id!", timer_id, team_id, started_at AS "started_at!",
                   ended_at AS "ended_at!", duration_secs AS "duration_secs!",
                   raw_duration_secs AS "raw_duration_secs!", billable AS "billable!", flag,
                   status AS "status!", source AS "source!", description AS "description!"
            FROM entries WHERE workspace_id = $1 AND user_id = $2 AND id >= $3
            ORDER BY id LIMIT $4)
           UNION ALL
           (SELECT id, workspace_id, user_id, task_id, timer_id, team_id, started_at, ended_at,
                   duration_secs, raw_duration_secs, billable, flag, status, source, description
            FROM secured_entries WHERE workspace_id = $1 AND user_id = $2 AND id >= $3
            ORDER BY id LIMIT $4)
           ORDER BY 1 LIMIT $4"#,
        scope.workspace_id(),
        scope.user_id(),
        from,
        limit as i64
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)?;
    rows.into_iter().map(entry_record).collect()
}

/// The first id a page that continues after `after` may hold (none after the largest id), as a
/// bound the index can start from, also for the first page: `id IS NULL OR id > $n` is not one,
/// and a device may have made the nil id. PostgreSQL orders uuids by their bytes, as `u128`.
fn first_id_after(after: Option<Uuid>) -> Option<Uuid> {
    match after {
        None => Some(Uuid::nil()),
        Some(id) => id.as_u128().checked_add(1).map(Uuid::from_u128),
    }
}

/// The teams the scope's user is a member of, by id.
pub async fn my_team_ids(pool: &PgPool, scope: &WorkspaceScope) -> Result<Vec<Uuid>> {
    let mut read = rls::read_in(pool, scope.workspace_id()).await?;
    sqlx::query_scalar!(
        "SELECT team_id FROM team_members WHERE workspace_id = $1 AND user_id = $2 \
         ORDER BY team_id",
        scope.workspace_id(),
        scope.user_id()
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)
}

/// The workspace's projects, by name.
pub async fn projects(pool: &PgPool, scope: &WorkspaceScope) -> Result<Vec<ProjectRecord>> {
    let mut read = rls::read_in(pool, scope.workspace_id()).await?;
    let rows = sqlx::query!(
        "SELECT id, name, color, leader_id FROM projects WHERE workspace_id = $1 ORDER BY name, id",
        scope.workspace_id()
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)?;
    Ok(rows
        .into_iter()
        .map(|row| ProjectRecord {
            id: row.id,
            name: row.name,
            color: row.color,
            leader_id: row.leader_id,
        })
        .collect())
}

/// The tasks the scope's user logged time to or ran a timer on, the latest start first.
pub async fn recent_tasks(
    pool: &PgPool,
    scope: &WorkspaceScope,
    limit: usize,
) -> Result<Vec<Uuid>> {
    let mut read = rls::read_in(pool, scope.workspace_id()).await?;
    sqlx::query_scalar!(
        r#"SELECT task_id AS "task_id!" FROM (
               SELECT task_id, started_at AS at FROM entries WHERE workspace_id = $1 AND user_id = $2
               UNION ALL
               SELECT task_id, started_at FROM secured_entries WHERE workspace_id = $1 AND user_id = $2
               UNION ALL
               SELECT task_id, last_start FROM timers WHERE workspace_id = $1 AND user_id = $2) used
           GROUP BY task_id ORDER BY max(at) DESC, task_id LIMIT $3"#,
        scope.workspace_id(),
        scope.user_id(),
        limit as i64
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)
}

/// The ids of a page of the workspace's tasks, by id.
pub async fn task_ids_page(
    pool: &PgPool,
    scope: &WorkspaceScope,
    after: Option<Uuid>,
    limit: usize,
) -> Result<Vec<Uuid>> {
    let Some(from) = first_id_after(after) else {
        return Ok(vec![]);
    };
    let mut read = rls::read_in(pool, scope.workspace_id()).await?;
    sqlx::query_scalar!(
        "SELECT id FROM tasks WHERE workspace_id = $1 AND id >= $2 ORDER BY id LIMIT $3",
        scope.workspace_id(),
        from,
        limit as i64
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)
}

pub async fn active_timer(
    pool: &PgPool,
    scope: &WorkspaceScope,
) -> Result<Option<TimerWithSegments>> {
    // One snapshot: the head and its segments from the same moment.
    let mut read = rls::snapshot_in(pool, scope.workspace_id()).await?;
    let row = sqlx::query_as!(
        TimerRow,
        "SELECT id, workspace_id, user_id, task_id, state, started_at, closed_millis, segment_count, \
                last_start, last_end \
         FROM timers WHERE workspace_id = $1 AND user_id = $2 AND state <> 'stopped'",
        scope.workspace_id(),
        scope.user_id()
    )
    .fetch_optional(&mut *read)
    .await
    .map_err(storage_error)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let segments = sqlx::query!(
        "SELECT started_at, ended_at FROM timer_segments WHERE timer_id = $1 ORDER BY n",
        row.id
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)?
    .into_iter()
    .map(|s| Segment {
        start: s.started_at,
        end: s.ended_at,
    })
    .collect();
    Ok(Some(TimerWithSegments {
        timer: timer_record(row)?,
        segments,
    }))
}

/// The cursor is a transaction-id horizon: every transaction below it had finished when the
/// previous pull was answered, so its changes were all visible then and were all delivered. This
/// pull returns the rows of transactions from that horizon up to its own snapshot's xmin (all
/// finished, so all visible) and hands that xmin out as the next cursor. A transaction that was
/// still running is at or above the xmin, so a later pull delivers it: nothing is skipped, however
/// late it commits, and no writer waits on a shared row. One statement, so the horizon and the
/// rows come from the same snapshot.
///
/// Read your writes: a transaction of someone else still running when a device's push committed
/// holds the horizon below that push, so its changes would come only with the next pull. The
/// pull waits a little (at most `HORIZON_WAIT`) for every transaction that began before it to
/// end, so a push followed by a pull sees its own changes.
pub async fn changes_since(
    pool: &PgPool,
    scope: &WorkspaceScope,
    position: i64,
    limit: usize,
) -> Result<ChangePage> {
    let began_before = xmax(pool).await?;
    let mut waited = Duration::ZERO;
    loop {
        let page = changes_page(pool, scope, position, limit).await?;
        if page.more || page.position >= began_before || waited >= HORIZON_WAIT {
            return Ok(page);
        }
        tokio::time::sleep(HORIZON_POLL).await;
        waited += HORIZON_POLL;
    }
}

/// The horizon a snapshot starts from, after waiting (briefly) for the transactions that began
/// before it, so a device sees its own pushes.
pub async fn head_position(pool: &PgPool) -> Result<i64> {
    let began_before = xmax(pool).await?;
    let mut waited = Duration::ZERO;
    loop {
        let horizon = horizon(pool).await?;
        if horizon >= began_before || waited >= HORIZON_WAIT {
            return Ok(horizon);
        }
        tokio::time::sleep(HORIZON_POLL).await;
        waited += HORIZON_POLL;
    }
}

/// Every transaction below this id has finished.
pub async fn horizon(pool: &PgPool) -> Result<i64> {
    sqlx::query_scalar!(r#"SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS "x!""#)
        .fetch_one(pool)
        .await
        .map_err(storage_error)
}

/// Transactions that began before now have ids below this.
async fn xmax(pool: &PgPool) -> Result<i64> {
    sqlx::query_scalar!(r#"SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS "x!""#)
        .fetch_one(pool)
        .await
        .map_err(storage_error)
}

/// How long a pull waits for transactions that began before it (see `changes_since`); past it,
/// what they wrote comes with a later pull.
const HORIZON_WAIT: Duration = Duration::from_millis(250);
const HORIZON_POLL: Duration = Duration::from_millis(5);

/// Whole transactions of changes from `position` up to the horizon, about `limit` rows: a page
/// ends on a transaction's boundary (one push writes at most a bounded number of changes), so
/// the next position is a transaction id again.
async fn changes_page(
    pool: &PgPool,
    scope: &WorkspaceScope,
    position: i64,
    limit: usize,
) -> Result<ChangePage> {
    let mut read = rls::read_in(pool, scope.workspace_id()).await?;
    let rows = sqlx::query!(
        r#"WITH horizon AS (
               SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin
           ),
           page AS (
               SELECT c.txid, c.change_no, c.entity, c.entity_id, c.op
               FROM changes c, horizon
               WHERE c.workspace_id = $1 AND c.txid >= $2 AND c.txid < horizon.xmin
                 AND (c.owner_id IS NULL OR c.owner_id = $3)
               ORDER BY c.txid, c.change_no
               LIMIT $4
           )
           SELECT horizon.xmin AS "horizon!", p.txid AS "txid?", p.change_no AS "change_no?",
                  p.entity AS "entity?", p.entity_id AS "entity_id?", p.op AS "op?"
           FROM horizon LEFT JOIN page p ON true
           ORDER BY p.txid, p.change_no"#,
        scope.workspace_id(),
        position,
        scope.user_id(),
        (limit as i64).saturating_add(1)
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)?;
    // Its connection goes back before `whole_transaction` takes one: a read holding one
    // connection while waiting for a second starves the pool under load.
    drop(read);
    let horizon = rows.first().map_or(position, |row| row.horizon);
    let mut page = Vec::with_capacity(rows.len());
    for row in rows {
        let (Some(txid), Some(change_no), Some(entity), Some(entity_id), Some(op)) =
            (row.txid, row.change_no, row.entity, row.entity_id, row.op)
        else {
            continue; // the one row of the horizon when there are no changes
        };
        let change = Change {
            change_no,
            entity: parse_stored(&entity, Entity::parse, "entity")?,
            entity_id,
            op: parse_stored(&op, ChangeOp::parse, "change op")?,
        };
        page.push((txid, change));
    }
    if page.len() <= limit {
        return Ok(ChangePage {
            changes: page.into_iter().map(|(_, change)| change).collect(),
            position: horizon.max(position),
            more: false,
        });
    }
    // The row past the page is in a transaction that is not (wholly) in it: stop before it,
    // unless the page is all one transaction, which then comes whole.
    let cut = page[limit].0;
    if page[0].0 == cut {
        let changes = whole_transaction(pool, scope, cut).await?;
        return Ok(ChangePage {
            changes,
            position: cut + 1,
            more: true,
        });
    }
    Ok(ChangePage {
        changes: page
            .into_iter()
            .take_while(|(txid, _)| *txid < cut)
            .map(|(_, change)| change)
            .collect(),
        position: cut,
        more: true,
    })
}

async fn whole_transaction(
    pool: &PgPool,
    scope: &WorkspaceScope,
    txid: i64,
) -> Result<Vec<Change>> {
    let mut read = rls::read_in(pool, scope.workspace_id()).await?;
    let rows = sqlx::query!(
        "SELECT change_no, entity, entity_id, op FROM changes \
         WHERE workspace_id = $1 AND txid = $2 AND (owner_id IS NULL OR owner_id = $3) \
         ORDER BY change_no",
        scope.workspace_id(),
        txid,
        scope.user_id()
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)?;
    rows.into_iter()
        .map(|row| {
            Ok(Change {
                change_no: row.change_no,
                entity: parse_stored(&row.entity, Entity::parse, "entity")?,
                entity_id: row.entity_id,
                op: parse_stored(&row.op, ChangeOp::parse, "change op")?,
            })
        })
        .collect()
}

pub async fn stream_seq(pool: &PgPool, scope: &WorkspaceScope, stream_id: Uuid) -> Result<i64> {
    let mut read = rls::read_in(pool, scope.workspace_id()).await?;
    let seq = sqlx::query_scalar!(
        "SELECT last_applied_seq FROM streams \
         WHERE id = $1 AND device_id = $2 AND workspace_id = $3",
        stream_id,
        scope.device_id(),
        scope.workspace_id()
    )
    .fetch_optional(&mut *read)
    .await
    .map_err(storage_error)?;
    Ok(seq.unwrap_or(0))
}

/// Whether `position` could have been handed out in `epoch`: the epoch is known here and the
/// position is not beyond the current horizon. A dump restored into another cluster forgets
/// the epochs after it and starts its transaction ids lower than the cursors handed out before.
pub async fn cursor_valid(pool: &PgPool, epoch: Uuid, position: i64) -> Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM epochs WHERE id = $1)
                  AND $2 <= pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS "valid!""#,
        epoch,
        position
    )
    .fetch_one(pool)
    .await
    .map_err(storage_error)
}

pub async fn roles(pool: &PgPool, scope: &WorkspaceScope) -> Result<Vec<RoleRecord>> {
    let mut read = rls::read_in(pool, scope.workspace_id()).await?;
    let rows = sqlx::query!(
        r#"SELECT r.id, r.name, r.default_role,
                  array_remove(array_agg(p.permission), NULL) AS "permissions!"
           FROM roles r LEFT JOIN role_permissions p ON p.role_id = r.id
           WHERE r.workspace_id = $1
           GROUP BY r.id ORDER BY r.default_role IS NULL, lower(r.name)"#,
        scope.workspace_id()
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)?;
    rows.into_iter()
        .map(|row| {
            RoleRecord::from_stored(
                row.id,
                row.name,
                row.default_role.as_deref(),
                row.permissions.iter().map(String::as_str),
            )
        })
        .collect()
}

pub async fn members(pool: &PgPool, scope: &WorkspaceScope) -> Result<Vec<MemberRecord>> {
    let mut read = rls::read_in(pool, scope.workspace_id()).await?;
    let rows = sqlx::query!(
        r#"SELECT u.id, u.email, u.name,
                  array_remove(array_agg(mr.role_id), NULL) AS "role_ids!",
                  m.active, m.manager_id, m.weekly_minutes, m.timesheet_access
           FROM memberships m JOIN users u ON u.id = m.user_id
                LEFT JOIN member_roles mr
                    ON mr.workspace_id = m.workspace_id AND mr.user_id = m.user_id
           WHERE m.workspace_id = $1
           GROUP BY u.id, m.workspace_id, m.user_id ORDER BY lower(u.name), u.id"#,
        scope.workspace_id()
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)?;
    rows.into_iter()
        .map(|row| {
            Ok(MemberRecord {
                user_id: row.id,
                email: row.email,
                name: row.name,
                role_ids: row.role_ids,
                settings: MemberSettings {
                    active: row.active,
                    manager_id: row.manager_id,
                    weekly_minutes: i64::from(row.weekly_minutes),
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
    read: &mut PgConnection,
    token_hash: Option<&str>,
    workspace: Option<&WorkspaceScope>,
    open_at: Option<DateTime<Utc>>,
) -> Result<Vec<InvitationRecord>> {
    let workspace = workspace.map(|scope| scope.workspace_id());
    sqlx::query_as!(
        InvitationRecord,
        r#"SELECT i.id, i.workspace_id, i.email, i.name, i.token_hash, i.invited_by,
                  i.created_at, i.expires_at,
                  array_remove(array_agg(r.role_id), NULL) AS "role_ids!"
           FROM invitations i LEFT JOIN invitation_roles r ON r.invitation_id = i.id
           WHERE i.accepted_at IS NULL
             AND ($1::text IS NULL OR i.token_hash = $1)
             AND ($2::uuid IS NULL OR i.workspace_id = $2)
             AND ($3::timestamptz IS NULL OR i.expires_at > $3)
           GROUP BY i.id ORDER BY i.created_at DESC, i.id DESC"#,
        token_hash,
        workspace,
        open_at
    )
    .fetch_all(read)
    .await
    .map_err(storage_error)
}

/// Before the invitee joins, the invitation's workspace is not known: by its token, as
/// `stint_lookup`.
pub async fn open_invitation(
    pool: &PgPool,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<InvitationRecord>> {
    let mut read = rls::lookup(pool).await?;
    Ok(
        invitation_rows(&mut read, Some(token_hash), None, Some(now))
            .await?
            .pop(),
    )
}

pub async fn invitations(pool: &PgPool, scope: &WorkspaceScope) -> Result<Vec<InvitationRecord>> {
    let mut read = rls::read_in(pool, scope.workspace_id()).await?;
    invitation_rows(&mut read, None, Some(scope), None).await
}
