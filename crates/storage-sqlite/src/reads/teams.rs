//! A workspace's own settings and its teams (P2).

use sqlx::SqlitePool;
use stint_domain::WorkLogs;
use stint_storage::{
    parse_stored, Result, StorageError, TeamMemberRecord, TeamRecord, TeamRoleRecord,
    WorkspaceRecord, WorkspaceScope,
};
use uuid::Uuid;

use crate::convert::{id, instant, storage_error};

pub async fn workspace(pool: &SqlitePool, scope: &WorkspaceScope) -> Result<WorkspaceRecord> {
    let workspace = scope.workspace_id().to_string();
    let row = sqlx::query!(
        r#"SELECT id, name, secured_teams AS "secured_teams: bool" FROM workspaces WHERE id = $1"#,
        workspace
    )
    .fetch_optional(pool)
    .await
    .map_err(storage_error)?
    .ok_or(StorageError::NotFound)?;
    Ok(WorkspaceRecord {
        id: id(&row.id)?,
        name: row.name,
        secured_teams: row.secured_teams,
    })
}

pub async fn teams(
    pool: &SqlitePool,
    scope: &WorkspaceScope,
    team_id: Option<Uuid>,
) -> Result<Vec<TeamRecord>> {
    let workspace = scope.workspace_id().to_string();
    let team = team_id.map(|team| team.to_string());
    let team_rows = sqlx::query!(
        "SELECT id, name, work_logs, created_at, version FROM teams \
         WHERE workspace_id = $1 AND ($2 IS NULL OR id = $2) ORDER BY lower(name), id",
        workspace,
        team
    )
    .fetch_all(pool)
    .await
    .map_err(storage_error)?;
    let mut teams = team_rows
        .into_iter()
        .map(|row| {
            Ok(TeamRecord {
                id: id(&row.id)?,
                name: row.name,
                work_logs: parse_stored(&row.work_logs, WorkLogs::parse, "work-log visibility")?,
                created_at: instant(row.created_at)?,
                version: row.version,
                roles: Vec::new(),
                members: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>>>()?;

    let role_rows = sqlx::query!(
        r#"SELECT r.id, r.team_id, r.name, r.default_role,
                  group_concat(p.permission) AS "permissions?: String"
           FROM team_roles r JOIN teams t ON t.id = r.team_id
                LEFT JOIN team_role_permissions p ON p.role_id = r.id
           WHERE t.workspace_id = $1 AND ($2 IS NULL OR t.id = $2)
           GROUP BY r.id ORDER BY r.default_role IS NULL, r.default_role, lower(r.name)"#,
        workspace,
        team
    )
    .fetch_all(pool)
    .await
    .map_err(storage_error)?;
    for row in role_rows {
        let permissions = row.permissions.unwrap_or_default();
        let role = TeamRoleRecord::from_stored(
            id(&row.id)?,
            row.name,
            row.default_role.as_deref(),
            permissions.split(',').filter(|p| !p.is_empty()),
        )?;
        if let Some(team) = team_of(&mut teams, id(&row.team_id)?) {
            team.roles.push(role);
        }
    }

    let member_rows = sqlx::query!(
        r#"SELECT tm.team_id, u.id, u.email, u.name,
                  group_concat(tmr.role_id) AS "role_ids?: String"
           FROM team_members tm JOIN users u ON u.id = tm.user_id
                LEFT JOIN team_member_roles tmr
                    ON tmr.team_id = tm.team_id AND tmr.user_id = tm.user_id
           WHERE tm.workspace_id = $1 AND ($2 IS NULL OR tm.team_id = $2)
           GROUP BY tm.team_id, u.id ORDER BY lower(u.name), u.id"#,
        workspace,
        team
    )
    .fetch_all(pool)
    .await
    .map_err(storage_error)?;
    for row in member_rows {
        let role_ids = row.role_ids.unwrap_or_default();
        let member = TeamMemberRecord {
            user_id: id(&row.id)?,
            email: row.email,
            name: row.name,
            role_ids: role_ids
                .split(',')
                .filter(|r| !r.is_empty())
                .map(id)
                .collect::<Result<_>>()?,
        };
        if let Some(team) = team_of(&mut teams, id(&row.team_id)?) {
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
