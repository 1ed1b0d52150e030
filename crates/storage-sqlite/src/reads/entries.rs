//! The one read of other people's entries: what a `Visibility` lets its caller see (P1, P4).

use sqlx::SqlitePool;
use stint_domain::ActivityKind;
use stint_storage::{parse_stored, ActivityRecord, EntryQuery, EntryRecord, Result, Visibility};
use uuid::Uuid;

use crate::convert::{id, instant, json_ids, millis, storage_error};
use crate::rows::{entry_record, EntryRow};

pub async fn visible_entries(
    pool: &SqlitePool,
    visibility: &Visibility<'_>,
    query: &EntryQuery,
) -> Result<Vec<EntryRecord>> {
    let Bound {
        workspace,
        me,
        all_public,
        teams,
        user,
        team,
        from,
        to,
        managed_by,
        led_by,
    } = bound(visibility, query);
    let entry = query.entry_id.map(|e| e.to_string());
    let limit = query.limit as i64;
    // Secured entries only ever through their author or a team that may view them.
    let rows = sqlx::query_as!(
        EntryRow,
        "SELECT id, workspace_id, user_id, task_id, timer_id, team_id, started_at, ended_at, \
                duration_secs, raw_duration_secs, billable, flag, status, source, description \
         FROM entries \
         WHERE workspace_id = $1 \
           AND (user_id = $2 OR $3 OR team_id IN (SELECT value FROM json_each($4))) \
           AND ($5 IS NULL OR user_id = $5) AND ($6 IS NULL OR team_id = $6) \
           AND ($12 IS NULL OR id = $12) \
           AND ($7 IS NULL OR started_at >= $7) AND ($8 IS NULL OR started_at < $8) \
           AND ($10 IS NULL OR user_id IN (SELECT user_id FROM memberships \
                                           WHERE workspace_id = $1 AND manager_id = $10)) \
           AND ($11 IS NULL OR task_id IN (SELECT t.id FROM tasks t \
                                           JOIN projects p ON p.id = t.project_id \
                                           WHERE p.leader_id = $11)) \
         UNION ALL \
         SELECT id, workspace_id, user_id, task_id, timer_id, team_id, started_at, ended_at, \
                duration_secs, raw_duration_secs, billable, flag, status, source, description \
         FROM secured_entries \
         WHERE workspace_id = $1 \
           AND (user_id = $2 OR team_id IN (SELECT value FROM json_each($4))) \
           AND ($5 IS NULL OR user_id = $5) AND ($6 IS NULL OR team_id = $6) \
           AND ($12 IS NULL OR id = $12) \
           AND ($7 IS NULL OR started_at >= $7) AND ($8 IS NULL OR started_at < $8) \
           AND ($10 IS NULL OR user_id IN (SELECT user_id FROM memberships \
                                           WHERE workspace_id = $1 AND manager_id = $10)) \
           AND ($11 IS NULL OR task_id IN (SELECT t.id FROM tasks t \
                                           JOIN projects p ON p.id = t.project_id \
                                           WHERE p.leader_id = $11)) \
         ORDER BY started_at DESC, id LIMIT $9",
        workspace,
        me,
        all_public,
        teams,
        user,
        team,
        from,
        to,
        limit,
        managed_by,
        led_by,
        entry
    )
    .fetch_all(pool)
    .await
    .map_err(storage_error)?;
    rows.into_iter().map(entry_record).collect()
}

/// An entry's feed, oldest first; the caller checked the entry is visible.
pub async fn entry_activity(
    pool: &SqlitePool,
    visibility: &Visibility<'_>,
    entry_id: Uuid,
) -> Result<Vec<ActivityRecord>> {
    let (workspace, entry) = (
        visibility.scope().workspace_id().to_string(),
        entry_id.to_string(),
    );
    let rows = sqlx::query!(
        "SELECT a.at, a.actor_id, u.name AS actor_name, a.kind, a.from_team_id, a.to_team_id \
         FROM entry_activity a JOIN users u ON u.id = a.actor_id \
         WHERE a.workspace_id = $1 AND a.entry_id = $2 ORDER BY a.at, a.id",
        workspace,
        entry
    )
    .fetch_all(pool)
    .await
    .map_err(storage_error)?;
    rows.into_iter()
        .map(|row| {
            Ok(ActivityRecord {
                at: instant(row.at)?,
                actor_id: id(&row.actor_id)?,
                actor_name: row.actor_name,
                kind: parse_stored(&row.kind, ActivityKind::parse, "activity kind")?,
                from_team_id: row.from_team_id.as_deref().map(id).transpose()?,
                to_team_id: row.to_team_id.as_deref().map(id).transpose()?,
            })
        })
        .collect()
}

/// The seconds on each task in the entries `visible_entries` would list for `query` (its
/// entry and limit aside): one sum per task, however many entries.
pub async fn task_totals(
    pool: &SqlitePool,
    visibility: &Visibility<'_>,
    query: &EntryQuery,
) -> Result<Vec<(Uuid, i64)>> {
    let Bound {
        workspace,
        me,
        all_public,
        teams,
        user,
        team,
        from,
        to,
        managed_by,
        led_by,
    } = bound(visibility, query);
    let rows = sqlx::query!(
        r#"SELECT task_id AS "task_id!", SUM(duration_secs) AS "secs!: i64"
           FROM (SELECT task_id, duration_secs FROM entries
                 WHERE workspace_id = $1
                   AND (user_id = $2 OR $3 OR team_id IN (SELECT value FROM json_each($4)))
                   AND ($5 IS NULL OR user_id = $5) AND ($6 IS NULL OR team_id = $6)
                   AND ($7 IS NULL OR started_at >= $7) AND ($8 IS NULL OR started_at < $8)
                   AND ($9 IS NULL OR user_id IN (SELECT user_id FROM memberships
                                                  WHERE workspace_id = $1 AND manager_id = $9))
                   AND ($10 IS NULL OR task_id IN (SELECT t.id FROM tasks t
                                                   JOIN projects p ON p.id = t.project_id
                                                   WHERE p.leader_id = $10))
                 UNION ALL
                 SELECT task_id, duration_secs FROM secured_entries
                 WHERE workspace_id = $1
                   AND (user_id = $2 OR team_id IN (SELECT value FROM json_each($4)))
                   AND ($5 IS NULL OR user_id = $5) AND ($6 IS NULL OR team_id = $6)
                   AND ($7 IS NULL OR started_at >= $7) AND ($8 IS NULL OR started_at < $8)
                   AND ($9 IS NULL OR user_id IN (SELECT user_id FROM memberships
                                                  WHERE workspace_id = $1 AND manager_id = $9))
                   AND ($10 IS NULL OR task_id IN (SELECT t.id FROM tasks t
                                                   JOIN projects p ON p.id = t.project_id
                                                   WHERE p.leader_id = $10)))
           GROUP BY task_id"#,
        workspace,
        me,
        all_public,
        teams,
        user,
        team,
        from,
        to,
        managed_by,
        led_by
    )
    .fetch_all(pool)
    .await
    .map_err(storage_error)?;
    rows.into_iter()
        .map(|row| Ok((id(&row.task_id)?, row.secs)))
        .collect()
}

/// What both reads of visible entries bind, as SQLite takes it.
struct Bound {
    workspace: String,
    me: String,
    all_public: bool,
    /// A JSON array of ids.
    teams: String,
    user: Option<String>,
    team: Option<String>,
    from: Option<i64>,
    to: Option<i64>,
    managed_by: Option<String>,
    led_by: Option<String>,
}

fn bound(visibility: &Visibility<'_>, query: &EntryQuery) -> Bound {
    let scope = visibility.scope();
    let text = |id: Option<Uuid>| id.map(|id| id.to_string());
    Bound {
        workspace: scope.workspace_id().to_string(),
        me: scope.user_id().to_string(),
        all_public: visibility.all_public(),
        teams: json_ids(visibility.teams()),
        user: text(query.user_id),
        team: text(query.team_id),
        from: query.from.map(millis),
        to: query.to.map(millis),
        managed_by: text(query.managed_by),
        led_by: text(query.projects_led_by),
    }
}
