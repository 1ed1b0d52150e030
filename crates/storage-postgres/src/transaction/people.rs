//! Roles, what members hold and what admins set for them, invitations.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use stint_storage::{
    may, Capability, InvitationRecord, MemberSettings, PeopleWrites, Result, RoleRecord,
    StorageError,
};
use uuid::Uuid;

use super::PostgresTransaction;
use crate::convert::storage_error;

impl PostgresTransaction {
    /// Gives a member those of these roles that are the workspace's (a role deleted meanwhile
    /// is passed over) and that they do not hold yet.
    async fn insert_member_roles(
        &mut self,
        workspace: Uuid,
        user_id: Uuid,
        role_ids: &[Uuid],
    ) -> Result<()> {
        sqlx::query!(
            "INSERT INTO member_roles (workspace_id, user_id, role_id) \
             SELECT $1, $2, id FROM roles WHERE workspace_id = $1 AND id = ANY($3) \
             ON CONFLICT DO NOTHING",
            workspace,
            user_id,
            role_ids
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(())
    }

    /// Locks the user's membership row, so that changes of one member's roles take turns;
    /// `NotFound` unless they are a member of the workspace (active or not).
    async fn lock_member(&mut self, workspace: Uuid, user_id: Uuid) -> Result<()> {
        let member = sqlx::query_scalar!(
            "SELECT user_id FROM memberships WHERE workspace_id = $1 AND user_id = $2 FOR UPDATE",
            workspace,
            user_id
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        if member.is_none() {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }

    /// A custom role's permissions, as rows of role_permissions.
    async fn write_role_permissions(&mut self, role: &RoleRecord) -> Result<()> {
        let permissions: Vec<&str> = role
            .permissions
            .to_vec()
            .iter()
            .map(|p| p.as_str())
            .collect();
        sqlx::query!(
            "INSERT INTO role_permissions (role_id, permission) SELECT $1, p FROM UNNEST($2::text[]) AS p",
            role.id,
            &permissions as &[&str]
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(())
    }
}

#[async_trait]
impl PeopleWrites for PostgresTransaction {
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_role(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        role: &RoleRecord,
    ) -> Result<bool> {
        self.enter(settings.scope()).await?;
        let done = sqlx::query!(
            "INSERT INTO roles (id, workspace_id, name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            role.id,
            settings.scope().workspace_id(),
            role.name
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        self.write_role_permissions(role).await?;
        Ok(true)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn update_role(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        role: &RoleRecord,
    ) -> Result<bool> {
        self.enter(settings.scope()).await?;
        let workspace = settings.scope().workspace_id();
        // Locked: a concurrent rename or delete of the same role waits for this one.
        let custom = sqlx::query_scalar!(
            "SELECT id FROM roles WHERE id = $1 AND workspace_id = $2 AND default_role IS NULL \
             FOR UPDATE",
            role.id,
            workspace
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        if custom.is_none() {
            return Err(StorageError::NotFound);
        }
        let done = sqlx::query!(
            "UPDATE roles SET name = $1 WHERE id = $2 AND NOT EXISTS \
                 (SELECT 1 FROM roles o WHERE o.workspace_id = $3 AND o.id <> $2 \
                  AND lower(o.name) = lower($1))",
            role.name,
            role.id,
            workspace
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query!("DELETE FROM role_permissions WHERE role_id = $1", role.id)
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        self.write_role_permissions(role).await?;
        Ok(true)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn delete_role(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        role_id: Uuid,
    ) -> Result<()> {
        self.enter(settings.scope()).await?;
        // Holders go with it: member_roles refers to the role ON DELETE CASCADE.
        let done = sqlx::query!(
            "DELETE FROM roles WHERE id = $1 AND workspace_id = $2 AND default_role IS NULL",
            role_id,
            settings.scope().workspace_id()
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn set_member_roles(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        user_id: Uuid,
        role_ids: &[Uuid],
    ) -> Result<()> {
        self.enter(settings.scope()).await?;
        let workspace = settings.scope().workspace_id();
        self.lock_member(workspace, user_id).await?;
        sqlx::query!(
            "DELETE FROM member_roles WHERE workspace_id = $1 AND user_id = $2",
            workspace,
            user_id
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        self.insert_member_roles(workspace, user_id, role_ids).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn add_member_roles(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        user_id: Uuid,
        role_ids: &[Uuid],
    ) -> Result<()> {
        self.enter(settings.scope()).await?;
        let workspace = settings.scope().workspace_id();
        self.lock_member(workspace, user_id).await?;
        self.insert_member_roles(workspace, user_id, role_ids).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_invitation(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        invitation: &InvitationRecord,
    ) -> Result<()> {
        self.enter(settings.scope()).await?;
        let workspace = settings.scope().workspace_id();
        sqlx::query!(
            "INSERT INTO invitations \
                 (id, workspace_id, email, name, token_hash, invited_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            invitation.id,
            workspace,
            invitation.email,
            invitation.name,
            invitation.token_hash,
            invitation.invited_by,
            invitation.created_at,
            invitation.expires_at
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        sqlx::query!(
            "INSERT INTO invitation_roles (workspace_id, invitation_id, role_id) \
             SELECT DISTINCT $1::uuid, $2::uuid, role_id FROM UNNEST($3::uuid[]) AS r (role_id)",
            workspace,
            invitation.id,
            &invitation.role_ids
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn delete_invitation(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        invitation_id: Uuid,
    ) -> Result<bool> {
        self.enter(settings.scope()).await?;
        let done = sqlx::query!(
            "DELETE FROM invitations WHERE id = $1 AND workspace_id = $2 AND accepted_at IS NULL",
            invitation_id,
            settings.scope().workspace_id()
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(done.rows_affected() > 0)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn accept_invitation(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        invitation_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.enter(settings.scope()).await?;
        let done = sqlx::query!(
            "UPDATE invitations SET accepted_at = $2 \
             WHERE id = $1 AND workspace_id = $3 AND accepted_at IS NULL AND expires_at > $2",
            invitation_id,
            now,
            settings.scope().workspace_id()
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(done.rows_affected() > 0)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn update_member(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        user_id: Uuid,
        before: &MemberSettings,
        after: &MemberSettings,
    ) -> Result<bool> {
        self.enter(settings.scope()).await?;
        let minutes = |m: i64| {
            i32::try_from(m).map_err(|_| StorageError::Other("weekly minutes out of range".into()))
        };
        let done = sqlx::query!(
            "UPDATE memberships SET active = $3, manager_id = $4, weekly_minutes = $5, \
                 timesheet_access = $6 \
             WHERE workspace_id = $1 AND user_id = $2 AND active = $7 \
                 AND manager_id IS NOT DISTINCT FROM $8 AND weekly_minutes = $9 \
                 AND timesheet_access = $10",
            settings.scope().workspace_id(),
            user_id,
            after.active,
            after.manager_id,
            minutes(after.weekly_minutes)?,
            after.timesheet_access.as_str(),
            before.active,
            before.manager_id,
            minutes(before.weekly_minutes)?,
            before.timesheet_access.as_str()
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(done.rows_affected() > 0)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn admin_count(&mut self, settings: Capability<'_, may::ChangeSettings>) -> Result<i64> {
        self.enter(settings.scope()).await?;
        sqlx::query_scalar!(
            r#"SELECT count(*) AS "count!" FROM member_roles mr JOIN roles r ON r.id = mr.role_id
                   JOIN memberships m
                       ON m.workspace_id = mr.workspace_id AND m.user_id = mr.user_id
               WHERE mr.workspace_id = $1 AND r.default_role = 'admin' AND m.active"#,
            settings.scope().workspace_id()
        )
        .fetch_one(self.conn())
        .await
        .map_err(storage_error)
    }
}
