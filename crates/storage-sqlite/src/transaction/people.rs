//! Roles, what members hold and what admins set for them, invitations.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use stint_storage::{
    may, Capability, InvitationRecord, MemberSettings, PeopleWrites, Result, RoleRecord,
    StorageError,
};
use uuid::Uuid;

use super::SqliteTransaction;
use crate::convert::{json_ids, millis, storage_error};

impl SqliteTransaction {
    /// Gives a member those of these roles that are the workspace's (a role deleted meanwhile
    /// is passed over) and that they do not hold yet.
    async fn insert_member_roles(
        &mut self,
        workspace: &str,
        user: &str,
        role_ids: &[Uuid],
    ) -> Result<()> {
        let roles = json_ids(role_ids);
        sqlx::query!(
            "INSERT INTO member_roles (workspace_id, user_id, role_id) \
             SELECT $1, $2, id FROM roles \
             WHERE workspace_id = $1 AND id IN (SELECT value FROM json_each($3)) \
             ON CONFLICT DO NOTHING",
            workspace,
            user,
            roles
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(())
    }

    /// `NotFound` unless the user is a member of the workspace (active or not).
    async fn member_exists(&mut self, workspace: &str, user: &str) -> Result<()> {
        let member = sqlx::query_scalar!(
            "SELECT count(*) FROM memberships WHERE workspace_id = $1 AND user_id = $2",
            workspace,
            user
        )
        .fetch_one(self.conn())
        .await
        .map_err(storage_error)?;
        if member == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }

    /// A custom role's permissions, as rows of role_permissions.
    async fn write_role_permissions(&mut self, role: &RoleRecord) -> Result<()> {
        let role_id = role.id.to_string();
        for permission in role.permissions.to_vec() {
            let permission = permission.as_str();
            sqlx::query!(
                "INSERT INTO role_permissions (role_id, permission) VALUES ($1, $2)",
                role_id,
                permission
            )
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        }
        Ok(())
    }
}

#[async_trait]
impl PeopleWrites for SqliteTransaction {
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_role(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        role: &RoleRecord,
    ) -> Result<bool> {
        let workspace = settings.scope().workspace_id().to_string();
        let role_id = role.id.to_string();
        let done = sqlx::query!(
            "INSERT INTO roles (id, workspace_id, name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            role_id,
            workspace,
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
        let workspace = settings.scope().workspace_id().to_string();
        let role_id = role.id.to_string();
        let custom = sqlx::query_scalar!(
            "SELECT count(*) FROM roles WHERE id = $1 AND workspace_id = $2 AND default_role IS NULL",
            role_id,
            workspace
        )
        .fetch_one(self.conn())
        .await
        .map_err(storage_error)?;
        if custom == 0 {
            return Err(StorageError::NotFound);
        }
        let done = sqlx::query!(
            "UPDATE roles SET name = $1 WHERE id = $2 AND NOT EXISTS \
                 (SELECT 1 FROM roles o WHERE o.workspace_id = $3 AND o.id <> $2 \
                  AND lower(o.name) = lower($1))",
            role.name,
            role_id,
            workspace
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query!("DELETE FROM role_permissions WHERE role_id = $1", role_id)
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
        let (workspace, role_id) = (
            settings.scope().workspace_id().to_string(),
            role_id.to_string(),
        );
        // Holders go with it: member_roles refers to the role ON DELETE CASCADE.
        let done = sqlx::query!(
            "DELETE FROM roles WHERE id = $1 AND workspace_id = $2 AND default_role IS NULL",
            role_id,
            workspace
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
        let (workspace, user) = (
            settings.scope().workspace_id().to_string(),
            user_id.to_string(),
        );
        self.member_exists(&workspace, &user).await?;
        sqlx::query!(
            "DELETE FROM member_roles WHERE workspace_id = $1 AND user_id = $2",
            workspace,
            user
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        self.insert_member_roles(&workspace, &user, role_ids).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn add_member_roles(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        user_id: Uuid,
        role_ids: &[Uuid],
    ) -> Result<()> {
        let (workspace, user) = (
            settings.scope().workspace_id().to_string(),
            user_id.to_string(),
        );
        self.member_exists(&workspace, &user).await?;
        self.insert_member_roles(&workspace, &user, role_ids).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_invitation(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        invitation: &InvitationRecord,
    ) -> Result<()> {
        let workspace = settings.scope().workspace_id().to_string();
        let (invitation_id, invited_by) =
            (invitation.id.to_string(), invitation.invited_by.to_string());
        let (created, expires) = (millis(invitation.created_at), millis(invitation.expires_at));
        sqlx::query!(
            "INSERT INTO invitations \
                 (id, workspace_id, email, name, token_hash, invited_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            invitation_id,
            workspace,
            invitation.email,
            invitation.name,
            invitation.token_hash,
            invited_by,
            created,
            expires
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        let roles = json_ids(&invitation.role_ids);
        sqlx::query!(
            "INSERT INTO invitation_roles (workspace_id, invitation_id, role_id) \
             SELECT DISTINCT $1, $2, value FROM json_each($3)",
            workspace,
            invitation_id,
            roles
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
        let (workspace, invitation_id) = (
            settings.scope().workspace_id().to_string(),
            invitation_id.to_string(),
        );
        let done = sqlx::query!(
            "DELETE FROM invitations WHERE id = $1 AND workspace_id = $2 AND accepted_at IS NULL",
            invitation_id,
            workspace
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
        let (invitation_id, now) = (invitation_id.to_string(), millis(now));
        let workspace = settings.scope().workspace_id().to_string();
        let done = sqlx::query!(
            "UPDATE invitations SET accepted_at = $2 \
             WHERE id = $1 AND workspace_id = $3 AND accepted_at IS NULL AND expires_at > $2",
            invitation_id,
            now,
            workspace
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
        let (workspace, user) = (
            settings.scope().workspace_id().to_string(),
            user_id.to_string(),
        );
        let (manager, was_manager) = (
            after.manager_id.map(|m| m.to_string()),
            before.manager_id.map(|m| m.to_string()),
        );
        let (access, was_access) = (
            after.timesheet_access.as_str(),
            before.timesheet_access.as_str(),
        );
        let done = sqlx::query!(
            "UPDATE memberships SET active = $3, manager_id = $4, weekly_minutes = $5, \
                 timesheet_access = $6 \
             WHERE workspace_id = $1 AND user_id = $2 AND active = $7 AND manager_id IS $8 \
                 AND weekly_minutes = $9 AND timesheet_access = $10",
            workspace,
            user,
            after.active,
            manager,
            after.weekly_minutes,
            access,
            before.active,
            was_manager,
            before.weekly_minutes,
            was_access
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(done.rows_affected() > 0)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn admin_count(&mut self, settings: Capability<'_, may::ChangeSettings>) -> Result<i64> {
        let workspace = settings.scope().workspace_id().to_string();
        sqlx::query_scalar!(
            "SELECT count(*) FROM member_roles mr JOIN roles r ON r.id = mr.role_id \
                 JOIN memberships m ON m.workspace_id = mr.workspace_id AND m.user_id = mr.user_id \
             WHERE mr.workspace_id = $1 AND r.default_role = 'admin' AND m.active",
            workspace
        )
        .fetch_one(self.conn())
        .await
        .map_err(storage_error)
    }
}
