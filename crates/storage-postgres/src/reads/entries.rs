//! The one read of other people's entries: what a `Visibility` lets its caller see (P1, P4).

use sqlx::PgPool;
use stint_domain::ActivityKind;
use stint_storage::{parse_stored, ActivityRecord, EntryQuery, EntryRecord, Result, Visibility};
use uuid::Uuid;

use crate::convert::storage_error;
use crate::rls;
use crate::rows::{entry_record, EntryRow};

pub async fn visible_entries(
    pool: &PgPool,
    visibility: &Visibility<'_>,
    query: &EntryQuery,
) -> Result<Vec<EntryRecord>> {
    let mut read = rls::read_in(pool, visibility.scope().workspace_id()).await?;
    let scope = visibility.scope();
    // Secured entries only ever through their author or a team that may view them.
    let rows = sqlx::query_as!(
        EntryRow,
        r#"SELECT id AS "id!", workspace_id AS "workspace_id!", user_id AS "user_id!",
                  task_id AS "task_id!", timer_id, team_id, started_at AS "started_at!",
                  ended_at AS "ended_at!", duration_secs AS "duration_secs!", raw_duration_secs AS "raw_duration_secs!", billable AS "billable!", flag, status AS "status!",
                  source AS "source!", description AS "description!"
           FROM entries
           WHERE workspace_id = $1 AND (user_id = $2 OR $3 OR team_id = ANY($4))
             AND ($5::uuid IS NULL OR user_id = $5) AND ($6::uuid IS NULL OR team_id = $6)
             AND ($12::uuid IS NULL OR id = $12)
             AND ($7::timestamptz IS NULL OR started_at >= $7)
             AND ($8::timestamptz IS NULL OR started_at < $8)
             AND ($10::uuid IS NULL OR user_id IN (SELECT user_id FROM memberships
                                                   WHERE workspace_id = $1 AND manager_id = $10))
             AND ($11::uuid IS NULL OR task_id IN (SELECT t.id FROM tasks t
                                                   JOIN projects p ON p.id = t.project_id
                                                   WHERE p.leader_id = $11))
           UNION ALL
           SELECT id, workspace_id, user_id, task_id, timer_id, team_id, started_at, ended_at,
                  duration_secs, raw_duration_secs, billable, flag, status, source, description
           FROM secured_entries
           WHERE workspace_id = $1 AND (user_id = $2 OR team_id = ANY($4))
             AND ($5::uuid IS NULL OR user_id = $5) AND ($6::uuid IS NULL OR team_id = $6)
             AND ($12::uuid IS NULL OR id = $12)
             AND ($7::timestamptz IS NULL OR started_at >= $7)
             AND ($8::timestamptz IS NULL OR started_at < $8)
             AND ($10::uuid IS NULL OR user_id IN (SELECT user_id FROM memberships
                                                   WHERE workspace_id = $1 AND manager_id = $10))
             AND ($11::uuid IS NULL OR task_id IN (SELECT t.id FROM tasks t
                                                   JOIN projects p ON p.id = t.project_id
                                                   WHERE p.leader_id = $11))
           ORDER BY 7 DESC, 1 LIMIT $9"#,
        scope.workspace_id(),
        scope.user_id(),
        visibility.all_public(),
        visibility.teams(),
        query.user_id,
        query.team_id,
        query.from,
        query.to,
        query.limit as i64,
        query.managed_by,
        query.projects_led_by,
        query.entry_id
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)?;
    rows.into_iter().map(entry_record).collect()
}

/// An entry's feed, oldest first; the caller checked the entry is visible.
pub async fn entry_activity(
    pool: &PgPool,
    visibility: &Visibility<'_>,
    entry_id: Uuid,
) -> Result<Vec<ActivityRecord>> {
    let mut read = rls::read_in(pool, visibility.scope().workspace_id()).await?;
    let rows = sqlx::query!(
        "SELECT a.at, a.actor_id, u.name AS actor_name, a.kind, a.from_team_id, a.to_team_id \
         FROM entry_activity a JOIN users u ON u.id = a.actor_id \
         WHERE a.workspace_id = $1 AND a.entry_id = $2 ORDER BY a.at, a.id",
        visibility.scope().workspace_id(),
        entry_id
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)?;
    rows.into_iter()
        .map(|row| {
            Ok(ActivityRecord {
                at: row.at,
                actor_id: row.actor_id,
                actor_name: row.actor_name,
                kind: parse_stored(&row.kind, ActivityKind::parse, "activity kind")?,
                from_team_id: row.from_team_id,
                to_team_id: row.to_team_id,
            })
        })
        .collect()
}

/// The seconds on each task in the entries `visible_entries` would list for `query` (its
/// entry and limit aside): one sum per task, however many entries.
pub async fn task_totals(
    pool: &PgPool,
    visibility: &Visibility<'_>,
    query: &EntryQuery,
) -> Result<Vec<(Uuid, i64)>> {
    let scope = visibility.scope();
    let mut read = rls::read_in(pool, scope.workspace_id()).await?;
    let rows = sqlx::query!(
        r#"SELECT task_id AS "task_id!", SUM(duration_secs)::bigint AS "secs!"
           FROM (SELECT task_id, duration_secs FROM entries
                 WHERE workspace_id = $1 AND (user_id = $2 OR $3 OR team_id = ANY($4))
                   AND ($5::uuid IS NULL OR user_id = $5) AND ($6::uuid IS NULL OR team_id = $6)
                   AND ($7::timestamptz IS NULL OR started_at >= $7)
                   AND ($8::timestamptz IS NULL OR started_at < $8)
                   AND ($9::uuid IS NULL OR user_id IN (SELECT user_id FROM memberships
                                                        WHERE workspace_id = $1 AND manager_id = $9))
                   AND ($10::uuid IS NULL OR task_id IN (SELECT t.id FROM tasks t
                                                         JOIN projects p ON p.id = t.project_id
                                                         WHERE p.leader_id = $10))
                 UNION ALL
                 SELECT task_id, duration_secs FROM secured_entries
                 WHERE workspace_id = $1 AND (user_id = $2 OR team_id = ANY($4))
                   AND ($5::uuid IS NULL OR user_id = $5) AND ($6::uuid IS NULL OR team_id = $6)
                   AND ($7::timestamptz IS NULL OR started_at >= $7)
                   AND ($8::timestamptz IS NULL OR started_at < $8)
                   AND ($9::uuid IS NULL OR user_id IN (SELECT user_id FROM memberships
                                                        WHERE workspace_id = $1 AND manager_id = $9))
                   AND ($10::uuid IS NULL OR task_id IN (SELECT t.id FROM tasks t
                                                         JOIN projects p ON p.id = t.project_id
                                                         WHERE p.leader_id = $10))) e
           GROUP BY task_id"#,
        scope.workspace_id(),
        scope.user_id(),
        visibility.all_public(),
        visibility.teams(),
        query.user_id,
        query.team_id,
        query.from,
        query.to,
        query.managed_by,
        query.projects_led_by
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)?;
    Ok(rows
        .into_iter()
        .map(|row| (row.task_id, row.secs))
        .collect())
}
