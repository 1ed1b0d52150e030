//! A workspace's own settings and its teams (P2).

use sqlx::PgPool;
use stint_domain::WorkLogs;
use stint_storage::{
    parse_stored, Result, StorageError, TeamMemberRecord, TeamRecord, TeamRoleRecord,
    WorkspaceRecord, WorkspaceScope,
};
use uuid::Uuid;

use crate::convert::storage_error;
use crate::rls;

pub async fn workspace(pool: &PgPool, scope: &WorkspaceScope) -> Result<WorkspaceRecord> {
    let mut read = rls::read_in(pool, scope.workspace_id()).await?;
    let row = sqlx::query!(
        "SELECT id, name, secured_teams FROM workspaces WHERE id = $1",
        scope.workspace_id()
    )
    .fetch_optional(&mut *read)
    .await
    .map_err(storage_error)?
    .ok_or(StorageError::NotFound)?;
    Ok(WorkspaceRecord {
        id: row.id,
        name: row.name,
        secured_teams: row.secured_teams,
    })
}

pub async fn teams(
    pool: &PgPool,
    scope: &WorkspaceScope,
    team_id: Option<Uuid>,
) -> Result<Vec<TeamRecord>> {
    let mut read = rls::read_in(pool, scope.workspace_id()).await?;
    let workspace = scope.workspace_id();
    let team_rows = sqlx::query!(
        "SELECT id, name, work_logs, created_at, version FROM teams \
         WHERE workspace_id = $1 AND ($2::uuid IS NULL OR id = $2) ORDER BY lower(name), id",
        workspace,
        team_id
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)?;
    let mut teams = team_rows
        .into_iter()
        .map(|row| {
            Ok(TeamRecord {
                id: row.id,
                name: row.name,
                work_logs: parse_stored(&row.work_logs, WorkLogs::parse, "work-log visibility")?,
                created_at: row.created_at,
                version: row.version,
                roles: Vec::new(),
                members: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>>>()?;

    let role_rows = sqlx::query!(
        r#"SELECT r.id, r.team_id, r.name, r.default_role,
                  array_remove(array_agg(p.permission), NULL) AS "permissions!"
           FROM team_roles r JOIN teams t ON t.id = r.team_id
                LEFT JOIN team_role_permissions p ON p.role_id = r.id
           WHERE t.workspace_id = $1 AND ($2::uuid IS NULL OR t.id = $2)
           GROUP BY r.id ORDER BY r.default_role IS NULL, r.default_role, lower(r.name)"#,
        workspace,
        team_id
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)?;
    for row in role_rows {
        let role = TeamRoleRecord::from_stored(
            row.id,
            row.name,
            row.default_role.as_deref(),
            row.permissions.iter().map(String::as_str),
        )?;
        if let Some(team) = team_of(&mut teams, row.team_id) {
            team.roles.push(role);
        }
    }

    let member_rows = sqlx::query!(
        r#"SELECT tm.team_id, u.id, u.email, u.name,
                  array_remove(array_agg(tmr.role_id), NULL) AS "role_ids!"
           FROM team_members tm JOIN users u ON u.id = tm.user_id
                LEFT JOIN team_member_roles tmr
                    ON tmr.team_id = tm.team_id AND tmr.user_id = tm.user_id
           WHERE tm.workspace_id = $1 AND ($2::uuid IS NULL OR tm.team_id = $2)
           GROUP BY tm.team_id, u.id ORDER BY lower(u.name), u.id"#,
        workspace,
        team_id
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)?;
    for row in member_rows {
        let member = TeamMemberRecord {
            user_id: row.id,
            email: row.email,
            name: row.name,
            role_ids: row.role_ids,
        };
        if let Some(team) = team_of(&mut teams, row.team_id) {
            team.members.push(member);
        }
    }
    Ok(teams)
}

/// The team a role or member row belongs to; none for a team made after the first read (the
/// reads are separate statements), which the next read lists whole.
fn team_of(teams: &mut [TeamRecord], team_id: Uuid) -> Option<&mut TeamRecord> {
    teams.iter_mut().find(|team| team.id == team_id)
}
