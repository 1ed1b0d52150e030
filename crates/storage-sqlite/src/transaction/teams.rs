//! Teams, their roles and members (P2).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use stint_domain::{ActivityKind, DefaultTeamRole};
use stint_storage::{
    may, Capability, ChangeOp, Entity, NewTeam, Result, StorageError, TeamManagement,
    TeamRoleRecord, TeamWrites, WorkspaceScope,
};
use uuid::Uuid;

use super::SqliteTransaction;
use crate::convert::{json_ids, millis, storage_error};

impl SqliteTransaction {
    /// Claims the team at the version its management was decided on, moving the version on;
    /// `Conflict` when it changed (or went) meanwhile.
    async fn claim_team(&mut self, team: &TeamManagement<'_>) -> Result<()> {
        let (team_id, workspace) = (
            team.team_id().to_string(),
            team.scope().workspace_id().to_string(),
        );
        let version = team.version();
        let claimed = sqlx::query!(
            "UPDATE teams SET version = version + 1 \
             WHERE id = $1 AND workspace_id = $2 AND version = $3",
            team_id,
            workspace,
            version
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if claimed.rows_affected() == 0 {
            return Err(StorageError::changed_meanwhile("team"));
        }
        Ok(())
    }

    /// A custom team role's permissions, as rows of team_role_permissions.
    async fn write_team_role_permissions(&mut self, role: &TeamRoleRecord) -> Result<()> {
        let role_id = role.id.to_string();
        for permission in role.permissions.to_vec() {
            let permission = permission.as_str();
            sqlx::query!(
                "INSERT INTO team_role_permissions (role_id, permission) VALUES ($1, $2)",
                role_id,
                permission
            )
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        }
        Ok(())
    }

    /// `NotFound` for a default role or a role of another team.
    async fn custom_team_role_exists(&mut self, team: &str, role: &str) -> Result<()> {
        let custom = sqlx::query_scalar!(
            "SELECT count(*) FROM team_roles \
             WHERE id = $1 AND team_id = $2 AND default_role IS NULL",
            role,
            team
        )
        .fetch_one(self.conn())
        .await
        .map_err(storage_error)?;
        if custom == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }
}

#[async_trait]
impl TeamWrites for SqliteTransaction {
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn set_secured_teams(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        allowed: bool,
    ) -> Result<()> {
        let workspace = settings.scope().workspace_id().to_string();
        sqlx::query!(
            "UPDATE workspaces SET secured_teams = $1 WHERE id = $2",
            allowed,
            workspace
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn secured_teams_allowed(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
    ) -> Result<bool> {
        let workspace = settings.scope().workspace_id().to_string();
        sqlx::query_scalar!(
            r#"SELECT secured_teams AS "allowed: bool" FROM workspaces WHERE id = $1"#,
            workspace
        )
        .fetch_one(self.conn())
        .await
        .map_err(storage_error)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_team(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        team: &NewTeam,
    ) -> Result<bool> {
        let workspace = settings.scope().workspace_id().to_string();
        let (team_id, lead) = (team.id.to_string(), team.lead_id.to_string());
        let exists = sqlx::query_scalar!("SELECT count(*) FROM teams WHERE id = $1", team_id)
            .fetch_one(self.conn())
            .await
            .map_err(storage_error)?;
        if exists > 0 {
            return Ok(false);
        }
        let lead_is_member = sqlx::query_scalar!(
            "SELECT count(*) FROM memberships WHERE workspace_id = $1 AND user_id = $2 AND active",
            workspace,
            lead
        )
        .fetch_one(self.conn())
        .await
        .map_err(storage_error)?;
        if lead_is_member == 0 {
            return Err(StorageError::NotFound);
        }
        let (work_logs, at) = (team.work_logs.as_str(), millis(team.created_at));
        let done = sqlx::query!(
            "INSERT INTO teams (id, workspace_id, name, work_logs, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            team_id,
            workspace,
            team.name,
            work_logs,
            at
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        let lead_role = team.lead_role_id.to_string();
        for (role, id) in [
            (DefaultTeamRole::TeamLead, &lead_role),
            (
                DefaultTeamRole::TeamMember,
                &team.member_role_id.to_string(),
            ),
        ] {
            let (name, key) = (role.name(), role.as_str());
            sqlx::query!(
                "INSERT INTO team_roles (id, team_id, name, default_role) VALUES ($1, $2, $3, $4)",
                id,
                team_id,
                name,
                key
            )
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        }
        sqlx::query!(
            "INSERT INTO team_members (workspace_id, team_id, user_id) VALUES ($1, $2, $3)",
            workspace,
            team_id,
            lead
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        sqlx::query!(
            "INSERT INTO team_member_roles (team_id, user_id, role_id) VALUES ($1, $2, $3)",
            team_id,
            lead,
            lead_role
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(true)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn rename_team(&mut self, team: TeamManagement<'_>, name: &str) -> Result<bool> {
        self.claim_team(&team).await?;
        let workspace = team.scope().workspace_id().to_string();
        let team_id = team.team_id().to_string();
        let done = sqlx::query!(
            "UPDATE teams SET name = $1 WHERE id = $2 AND workspace_id = $3 AND NOT EXISTS \
                 (SELECT 1 FROM teams o WHERE o.workspace_id = $3 AND o.id <> $2 \
                  AND lower(o.name) = lower($1))",
            name,
            team_id,
            workspace
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        let renamed = done.rows_affected() == 1;
        if renamed {
            self.log_team_tasks(&workspace, &team_id).await?;
        }
        Ok(renamed)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn delete_team(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        team_id: Uuid,
        keep_secured: bool,
        at: DateTime<Utc>,
    ) -> Result<Option<u64>> {
        let workspace = settings.scope().workspace_id().to_string();
        let team = team_id.to_string();
        let exists = sqlx::query_scalar!(
            "SELECT count(*) FROM teams WHERE id = $1 AND workspace_id = $2",
            team,
            workspace
        )
        .fetch_one(self.conn())
        .await
        .map_err(storage_error)?;
        if exists == 0 {
            return Ok(None);
        }
        // Their authors' devices hear of each entry: no longer in the team (read again), or,
        // when a secured team's entries are deleted with it, gone.
        let (entry, upsert) = (Entity::Entry.as_str(), ChangeOp::Upsert.as_str());
        sqlx::query!(
            "INSERT INTO changes (workspace_id, entity, entity_id, op, owner_id) \
             SELECT workspace_id, $1, id, $2, user_id FROM entries \
             WHERE team_id = $3 AND workspace_id = $4 ORDER BY id",
            entry,
            upsert,
            team,
            workspace
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        let op = if keep_secured {
            ChangeOp::Upsert
        } else {
            ChangeOp::Delete
        }
        .as_str();
        sqlx::query!(
            "INSERT INTO changes (workspace_id, entity, entity_id, op, owner_id) \
             SELECT workspace_id, $1, id, $2, user_id FROM secured_entries \
             WHERE team_id = $3 AND workspace_id = $4 ORDER BY id",
            entry,
            op,
            team,
            workspace
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        // The feeds: every entry leaving the team (public ones belong to no team now, secured
        // ones kept likewise) records it; a deleted entry's feed goes with it.
        let (actor, at, moved) = (
            settings.scope().user_id().to_string(),
            millis(at),
            ActivityKind::Moved.as_str(),
        );
        sqlx::query!(
            "INSERT INTO entry_activity (workspace_id, entry_id, at, actor_id, kind, from_team_id) \
             SELECT workspace_id, id, $1, $2, $3, team_id FROM entries \
             WHERE team_id = $4 AND workspace_id = $5 \
             UNION ALL \
             SELECT workspace_id, id, $1, $2, $3, team_id FROM secured_entries \
             WHERE team_id = $4 AND workspace_id = $5 AND $6",
            at,
            actor,
            moved,
            team,
            workspace,
            keep_secured
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        sqlx::query!(
            "UPDATE entries SET team_id = NULL WHERE team_id = $1 AND workspace_id = $2",
            team,
            workspace
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if !keep_secured {
            sqlx::query!(
                "DELETE FROM entry_activity WHERE entry_id IN \
                     (SELECT id FROM secured_entries WHERE team_id = $1 AND workspace_id = $2)",
                team,
                workspace
            )
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        }
        if keep_secured {
            sqlx::query!(
                "INSERT INTO entries (id, workspace_id, user_id, task_id, timer_id, team_id, started_at, ended_at, duration_secs, raw_duration_secs, billable, flag, status, source, description) \
                 SELECT id, workspace_id, user_id, task_id, timer_id, NULL, started_at, ended_at, \
                        duration_secs, raw_duration_secs, billable, flag, status, source, description \
                 FROM secured_entries WHERE team_id = $1 AND workspace_id = $2",
                team,
                workspace
            )
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        }
        let handled = sqlx::query!(
            "DELETE FROM secured_entries WHERE team_id = $1 AND workspace_id = $2",
            team,
            workspace
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?
        .rows_affected();
        self.log_team_tasks(&workspace, &team).await?;
        sqlx::query!(
            "DELETE FROM task_teams WHERE team_id = $1 AND workspace_id = $2",
            team,
            workspace
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        sqlx::query!(
            "DELETE FROM teams WHERE id = $1 AND workspace_id = $2",
            team,
            workspace
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(Some(handled))
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_team_role(
        &mut self,
        team: TeamManagement<'_>,
        role: &TeamRoleRecord,
    ) -> Result<bool> {
        self.claim_team(&team).await?;
        let (team_id, role_id) = (team.team_id().to_string(), role.id.to_string());
        let done = sqlx::query!(
            "INSERT INTO team_roles (id, team_id, name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            role_id,
            team_id,
            role.name
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        self.write_team_role_permissions(role).await?;
        Ok(true)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn update_team_role(
        &mut self,
        team: TeamManagement<'_>,
        role: &TeamRoleRecord,
    ) -> Result<bool> {
        self.claim_team(&team).await?;
        let (team_id, role_id) = (team.team_id().to_string(), role.id.to_string());
        self.custom_team_role_exists(&team_id, &role_id).await?;
        let done = sqlx::query!(
            "UPDATE team_roles SET name = $1 WHERE id = $2 AND NOT EXISTS \
                 (SELECT 1 FROM team_roles o WHERE o.team_id = $3 AND o.id <> $2 \
                  AND lower(o.name) = lower($1))",
            role.name,
            role_id,
            team_id
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query!(
            "DELETE FROM team_role_permissions WHERE role_id = $1",
            role_id
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        self.write_team_role_permissions(role).await?;
        Ok(true)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn delete_team_role(&mut self, team: TeamManagement<'_>, role_id: Uuid) -> Result<()> {
        self.claim_team(&team).await?;
        let (team_id, role_id) = (team.team_id().to_string(), role_id.to_string());
        self.custom_team_role_exists(&team_id, &role_id).await?;
        sqlx::query!("DELETE FROM team_roles WHERE id = $1", role_id)
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn set_team_member_roles(
        &mut self,
        team: TeamManagement<'_>,
        user_id: Uuid,
        role_ids: &[Uuid],
    ) -> Result<()> {
        self.claim_team(&team).await?;
        let workspace = team.scope().workspace_id().to_string();
        let (team_id, user) = (team.team_id().to_string(), user_id.to_string());
        let active = sqlx::query_scalar!(
            "SELECT count(*) FROM memberships WHERE workspace_id = $1 AND user_id = $2 AND active",
            workspace,
            user
        )
        .fetch_one(self.conn())
        .await
        .map_err(storage_error)?;
        if active == 0 {
            return Err(StorageError::NotFound);
        }
        sqlx::query!(
            "INSERT INTO team_members (workspace_id, team_id, user_id) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
            workspace,
            team_id,
            user
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        sqlx::query!(
            "DELETE FROM team_member_roles WHERE team_id = $1 AND user_id = $2",
            team_id,
            user
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        let roles = json_ids(role_ids);
        sqlx::query!(
            "INSERT INTO team_member_roles (team_id, user_id, role_id) \
             SELECT $1, $2, id FROM team_roles \
             WHERE team_id = $1 AND id IN (SELECT value FROM json_each($3))",
            team_id,
            user,
            roles
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn remove_team_member(
        &mut self,
        team: TeamManagement<'_>,
        user_id: Uuid,
    ) -> Result<bool> {
        self.claim_team(&team).await?;
        let (team_id, user) = (team.team_id().to_string(), user_id.to_string());
        let done = sqlx::query!(
            "DELETE FROM team_members WHERE team_id = $1 AND user_id = $2",
            team_id,
            user
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(done.rows_affected() == 1)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn unmanaged_teams(&mut self, scope: &WorkspaceScope) -> Result<i64> {
        let workspace = scope.workspace_id().to_string();
        sqlx::query_scalar!(
            "SELECT count(*) FROM teams t WHERE t.workspace_id = $1 AND NOT EXISTS \
                 (SELECT 1 FROM team_members tm \
                      JOIN memberships m ON m.workspace_id = tm.workspace_id \
                                        AND m.user_id = tm.user_id AND m.active \
                      JOIN team_member_roles tmr \
                          ON tmr.team_id = tm.team_id AND tmr.user_id = tm.user_id \
                      JOIN team_roles r ON r.id = tmr.role_id \
                  WHERE tm.team_id = t.id AND (r.default_role = 'team_lead' OR EXISTS \
                      (SELECT 1 FROM team_role_permissions p \
                       WHERE p.role_id = r.id AND p.permission = 'manage_team')))",
            workspace
        )
        .fetch_one(self.conn())
        .await
        .map_err(storage_error)
    }
}

impl SqliteTransaction {
    /// Devices hear of each task the team works on: a task carries its teams' names.
    async fn log_team_tasks(&mut self, workspace: &str, team_id: &str) -> Result<()> {
        let (task, upsert) = (Entity::Task.as_str(), ChangeOp::Upsert.as_str());
        sqlx::query!(
            "INSERT INTO changes (workspace_id, entity, entity_id, op, owner_id) \
             SELECT workspace_id, $3, task_id, $4, NULL FROM task_teams \
             WHERE team_id = $1 AND workspace_id = $2 ORDER BY task_id",
            team_id,
            workspace,
            task,
            upsert
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(())
    }
}
