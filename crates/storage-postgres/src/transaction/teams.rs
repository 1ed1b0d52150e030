//! Teams, their roles and members (P2). Every change to a team claims its version first (see
//! `TeamManagement`), which also locks its row until commit.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use stint_domain::{ActivityKind, DefaultTeamRole};
use stint_storage::{
    may, Capability, ChangeOp, Entity, NewTeam, Result, StorageError, TeamManagement,
    TeamRoleRecord, TeamWrites, WorkspaceScope,
};
use uuid::Uuid;

use super::PostgresTransaction;
use crate::convert::storage_error;

impl PostgresTransaction {
    /// Claims the team at the version its management was decided on, moving the version on
    /// (and locking the row until commit); `Conflict` when it changed (or went) meanwhile.
    async fn claim_team(&mut self, team: &TeamManagement<'_>) -> Result<()> {
        let claimed = sqlx::query!(
            "UPDATE teams SET version = version + 1 \
             WHERE id = $1 AND workspace_id = $2 AND version = $3",
            team.team_id(),
            team.scope().workspace_id(),
            team.version()
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
        let permissions: Vec<String> = role
            .permissions
            .to_vec()
            .into_iter()
            .map(|p| p.as_str().to_owned())
            .collect();
        sqlx::query!(
            "INSERT INTO team_role_permissions (role_id, permission) \
             SELECT $1, unnest($2::text[])",
            role.id,
            &permissions
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(())
    }

    /// `NotFound` for a default role or a role of another team.
    async fn custom_team_role_exists(&mut self, team_id: Uuid, role_id: Uuid) -> Result<()> {
        let custom = sqlx::query_scalar!(
            "SELECT id FROM team_roles WHERE id = $1 AND team_id = $2 AND default_role IS NULL",
            role_id,
            team_id
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        custom.map(|_| ()).ok_or(StorageError::NotFound)
    }
}

#[async_trait]
impl TeamWrites for PostgresTransaction {
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn set_secured_teams(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        allowed: bool,
    ) -> Result<()> {
        self.enter(settings.scope()).await?;
        sqlx::query!(
            "UPDATE workspaces SET secured_teams = $1 WHERE id = $2",
            allowed,
            settings.scope().workspace_id()
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
        self.enter(settings.scope()).await?;
        // Shared-locked: an admin turning the option off waits for this transaction.
        sqlx::query_scalar!(
            "SELECT secured_teams FROM workspaces WHERE id = $1 FOR SHARE",
            settings.scope().workspace_id()
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
        self.enter(settings.scope()).await?;
        let workspace = settings.scope().workspace_id();
        let exists = sqlx::query_scalar!("SELECT id FROM teams WHERE id = $1", team.id)
            .fetch_optional(self.conn())
            .await
            .map_err(storage_error)?;
        if exists.is_some() {
            return Ok(false);
        }
        // Locked: the lead cannot be deactivated or removed before this commits.
        let lead = sqlx::query_scalar!(
            "SELECT user_id FROM memberships WHERE workspace_id = $1 AND user_id = $2 AND active \
             FOR SHARE",
            workspace,
            team.lead_id
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        if lead.is_none() {
            return Err(StorageError::NotFound);
        }
        let done = sqlx::query!(
            "INSERT INTO teams (id, workspace_id, name, work_logs, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            team.id,
            workspace,
            team.name,
            team.work_logs.as_str(),
            team.created_at
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        for (role, id) in [
            (DefaultTeamRole::TeamLead, team.lead_role_id),
            (DefaultTeamRole::TeamMember, team.member_role_id),
        ] {
            sqlx::query!(
                "INSERT INTO team_roles (id, team_id, name, default_role) VALUES ($1, $2, $3, $4)",
                id,
                team.id,
                role.name(),
                role.as_str()
            )
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        }
        sqlx::query!(
            "INSERT INTO team_members (workspace_id, team_id, user_id) VALUES ($1, $2, $3)",
            workspace,
            team.id,
            team.lead_id
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        sqlx::query!(
            "INSERT INTO team_member_roles (team_id, user_id, role_id) VALUES ($1, $2, $3)",
            team.id,
            team.lead_id,
            team.lead_role_id
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(true)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn rename_team(&mut self, team: TeamManagement<'_>, name: &str) -> Result<bool> {
        self.enter(team.scope()).await?;
        self.claim_team(&team).await?;
        let done = sqlx::query!(
            "UPDATE teams SET name = $1 WHERE id = $2 AND workspace_id = $3 AND NOT EXISTS \
                 (SELECT 1 FROM teams o WHERE o.workspace_id = $3 AND o.id <> $2 \
                  AND lower(o.name) = lower($1))",
            name,
            team.team_id(),
            team.scope().workspace_id()
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        let renamed = done.rows_affected() == 1;
        if renamed {
            self.log_team_tasks(team.scope().workspace_id(), team.team_id())
                .await?;
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
        self.enter(settings.scope()).await?;
        let workspace = settings.scope().workspace_id();
        let exists = sqlx::query_scalar!(
            "SELECT id FROM teams WHERE id = $1 AND workspace_id = $2 FOR UPDATE",
            team_id,
            workspace
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        if exists.is_none() {
            return Ok(None);
        }
        // The team's entries, locked: a move of one of them in flight waits for this, then
        // finds it changed and is decided again (see `move_entry`).
        let public = sqlx::query!(
            "SELECT id, user_id FROM entries WHERE team_id = $1 AND workspace_id = $2 FOR UPDATE",
            team_id,
            workspace
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)?;
        let secured = sqlx::query!(
            "SELECT id, user_id FROM secured_entries WHERE team_id = $1 AND workspace_id = $2 \
             FOR UPDATE",
            team_id,
            workspace
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)?;
        let public: Vec<(Uuid, Uuid)> = public.into_iter().map(|e| (e.id, e.user_id)).collect();
        let secured: Vec<(Uuid, Uuid)> = secured.into_iter().map(|e| (e.id, e.user_id)).collect();
        let public_ids: Vec<Uuid> = public.iter().map(|(id, _)| *id).collect();
        let secured_ids: Vec<Uuid> = secured.iter().map(|(id, _)| *id).collect();
        // The feeds: every entry leaving the team (public ones belong to no team now, secured
        // ones kept likewise) records it; a deleted entry's feed goes with it.
        let leaving: Vec<Uuid> = if keep_secured {
            public_ids.iter().chain(&secured_ids).copied().collect()
        } else {
            public_ids.clone()
        };
        sqlx::query!(
            "INSERT INTO entry_activity (workspace_id, entry_id, at, actor_id, kind, from_team_id) \
             SELECT $1, id, $2, $3, $4, $5 FROM UNNEST($6::uuid[]) AS leaving (id)",
            workspace,
            at,
            settings.scope().user_id(),
            ActivityKind::Moved.as_str(),
            team_id,
            &leaving
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        sqlx::query!(
            "UPDATE entries SET team_id = NULL WHERE id = ANY($1)",
            &public_ids
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if keep_secured {
            sqlx::query!(
                r#"WITH moved AS (DELETE FROM secured_entries WHERE id = ANY($1) RETURNING *)
                   INSERT INTO entries (id, workspace_id, user_id, task_id, timer_id, team_id, started_at, ended_at, duration_secs, raw_duration_secs, billable, flag, status, source, description)
                   SELECT id, workspace_id, user_id, task_id, timer_id, NULL, started_at, ended_at,
                          duration_secs, raw_duration_secs, billable, flag, status, source, description FROM moved"#,
                &secured_ids
            )
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        } else {
            sqlx::query!(
                "DELETE FROM entry_activity WHERE entry_id = ANY($1)",
                &secured_ids
            )
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
            sqlx::query!(
                "DELETE FROM secured_entries WHERE id = ANY($1)",
                &secured_ids
            )
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        }
        // Their authors' devices hear of each entry: no longer in the team (read again), or,
        // when a secured team's entries are deleted with it, gone.
        for (entry_id, author) in &public {
            self.log_change_of(
                workspace,
                Entity::Entry,
                *entry_id,
                ChangeOp::Upsert,
                Some(*author),
            );
        }
        let op = if keep_secured {
            ChangeOp::Upsert
        } else {
            ChangeOp::Delete
        };
        for (entry_id, author) in &secured {
            self.log_change_of(workspace, Entity::Entry, *entry_id, op, Some(*author));
        }
        self.log_team_tasks(workspace, team_id).await?;
        sqlx::query!(
            "DELETE FROM task_teams WHERE team_id = $1 AND workspace_id = $2",
            team_id,
            workspace
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        sqlx::query!(
            "DELETE FROM teams WHERE id = $1 AND workspace_id = $2",
            team_id,
            workspace
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(Some(secured.len() as u64))
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_team_role(
        &mut self,
        team: TeamManagement<'_>,
        role: &TeamRoleRecord,
    ) -> Result<bool> {
        self.enter(team.scope()).await?;
        self.claim_team(&team).await?;
        let done = sqlx::query!(
            "INSERT INTO team_roles (id, team_id, name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            role.id,
            team.team_id(),
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
        self.enter(team.scope()).await?;
        self.claim_team(&team).await?;
        self.custom_team_role_exists(team.team_id(), role.id)
            .await?;
        let done = sqlx::query!(
            "UPDATE team_roles SET name = $1 WHERE id = $2 AND NOT EXISTS \
                 (SELECT 1 FROM team_roles o WHERE o.team_id = $3 AND o.id <> $2 \
                  AND lower(o.name) = lower($1))",
            role.name,
            role.id,
            team.team_id()
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query!(
            "DELETE FROM team_role_permissions WHERE role_id = $1",
            role.id
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        self.write_team_role_permissions(role).await?;
        Ok(true)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn delete_team_role(&mut self, team: TeamManagement<'_>, role_id: Uuid) -> Result<()> {
        self.enter(team.scope()).await?;
        self.claim_team(&team).await?;
        self.custom_team_role_exists(team.team_id(), role_id)
            .await?;
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
        self.enter(team.scope()).await?;
        self.claim_team(&team).await?;
        let workspace = team.scope().workspace_id();
        let active = sqlx::query_scalar!(
            "SELECT user_id FROM memberships WHERE workspace_id = $1 AND user_id = $2 AND active \
             FOR SHARE",
            workspace,
            user_id
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        if active.is_none() {
            return Err(StorageError::NotFound);
        }
        sqlx::query!(
            "INSERT INTO team_members (workspace_id, team_id, user_id) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
            workspace,
            team.team_id(),
            user_id
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        sqlx::query!(
            "DELETE FROM team_member_roles WHERE team_id = $1 AND user_id = $2",
            team.team_id(),
            user_id
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        sqlx::query!(
            "INSERT INTO team_member_roles (team_id, user_id, role_id) \
             SELECT $1, $2, id FROM team_roles WHERE team_id = $1 AND id = ANY($3)",
            team.team_id(),
            user_id,
            role_ids
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
        self.enter(team.scope()).await?;
        self.claim_team(&team).await?;
        let done = sqlx::query!(
            "DELETE FROM team_members WHERE team_id = $1 AND user_id = $2",
            team.team_id(),
            user_id
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(done.rows_affected() == 1)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn unmanaged_teams(&mut self, scope: &WorkspaceScope) -> Result<i64> {
        self.enter(scope).await?;
        sqlx::query_scalar!(
            r#"SELECT count(*) AS "count!" FROM teams t WHERE t.workspace_id = $1 AND NOT EXISTS
                   (SELECT 1 FROM team_members tm
                        JOIN memberships m ON m.workspace_id = tm.workspace_id
                                          AND m.user_id = tm.user_id AND m.active
                        JOIN team_member_roles tmr
                            ON tmr.team_id = tm.team_id AND tmr.user_id = tm.user_id
                        JOIN team_roles r ON r.id = tmr.role_id
                    WHERE tm.team_id = t.id AND (r.default_role = 'team_lead' OR EXISTS
                        (SELECT 1 FROM team_role_permissions p
                         WHERE p.role_id = r.id AND p.permission = 'manage_team')))"#,
            scope.workspace_id()
        )
        .fetch_one(self.conn())
        .await
        .map_err(storage_error)
    }
}

impl PostgresTransaction {
    /// Devices hear of each task the team works on: a task carries its teams' names.
    async fn log_team_tasks(&mut self, workspace: Uuid, team_id: Uuid) -> Result<()> {
        let tasks = sqlx::query_scalar!(
            "SELECT task_id FROM task_teams WHERE team_id = $1 AND workspace_id = $2 \
             ORDER BY task_id",
            team_id,
            workspace
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)?;
        for task_id in tasks {
            self.log_change_of(workspace, Entity::Task, task_id, ChangeOp::Upsert, None);
        }
        Ok(())
    }
}
