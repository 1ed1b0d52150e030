//! Workspaces, users, memberships, devices and tokens.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use stint_domain::{DefaultGroup, DefaultRole};
use stint_storage::{
    AccountWrites, DeviceRecord, GroupRecord, Result, TokenRecord, UserRecord, WorkspaceScope,
};
use uuid::Uuid;

use super::SqliteTransaction;
use crate::convert::{id, millis, storage_error};

#[async_trait]
impl AccountWrites for SqliteTransaction {
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_workspace(&mut self, id: Uuid, name: &str, at: DateTime<Utc>) -> Result<bool> {
        let (workspace, at) = (id.to_string(), millis(at));
        let done = sqlx::query!(
            "INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
            workspace,
            name,
            at
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        for role in DefaultRole::ALL {
            let (id, name, key) = (Uuid::now_v7().to_string(), role.name(), role.as_str());
            sqlx::query!(
                "INSERT INTO roles (id, workspace_id, name, default_role) VALUES ($1, $2, $3, $4)",
                id,
                workspace,
                name,
                key
            )
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        }
        for group in DefaultGroup::ALL {
            let record = GroupRecord::new_default(Uuid::now_v7(), group);
            let (id, filter, key) = (
                record.id.to_string(),
                record.filter.as_str(),
                group.as_str(),
            );
            sqlx::query!(
                "INSERT INTO groups (id, workspace_id, name, filter, default_group) \
                 VALUES ($1, $2, $3, $4, $5)",
                id,
                workspace,
                record.name,
                filter,
                key
            )
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
            self.write_group_details(&record).await?;
        }
        Ok(true)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_user(&mut self, user: &UserRecord, at: DateTime<Utc>) -> Result<bool> {
        let (id, at) = (user.id.to_string(), millis(at));
        let done = sqlx::query!(
            "INSERT INTO users (id, email, name, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
            id,
            user.email,
            user.name,
            user.password_hash,
            at
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(done.rows_affected() > 0)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_membership(
        &mut self,
        scope: &WorkspaceScope,
        user_id: Uuid,
        roles: &[DefaultRole],
    ) -> Result<()> {
        let workspace = scope.workspace_id().to_string();
        let user = user_id.to_string();
        sqlx::query!(
            "INSERT INTO memberships (workspace_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            workspace,
            user
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        for role in roles {
            let key = role.as_str();
            sqlx::query!(
                "INSERT INTO member_roles (workspace_id, user_id, role_id) \
                 SELECT workspace_id, $2, id FROM roles WHERE workspace_id = $1 AND default_role = $3 \
                 ON CONFLICT DO NOTHING",
                workspace,
                user,
                key
            )
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        }
        // In the group the roles suggest; when that one is gone, Employees, or the first group by
        // name that does not open the admin pages by default.
        let group = DefaultGroup::for_roles(roles).as_str();
        sqlx::query!(
            "INSERT INTO member_groups (workspace_id, user_id, group_id) \
             SELECT $1, $2, (SELECT id FROM groups WHERE workspace_id = $1 \
                             ORDER BY default_group IS $3 DESC, \
                                      default_group IS 'employees' DESC, \
                                      default_group IS 'administrators', lower(name) LIMIT 1) \
             WHERE true ON CONFLICT DO NOTHING",
            workspace,
            user,
            group
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn device_owner(&mut self, device_id: Uuid) -> Result<Option<Uuid>> {
        let device = device_id.to_string();
        let owner = sqlx::query_scalar!("SELECT user_id FROM devices WHERE id = $1", device)
            .fetch_optional(self.conn())
            .await
            .map_err(storage_error)?;
        owner.as_deref().map(id).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn upsert_device(&mut self, device: &DeviceRecord) -> Result<bool> {
        let (id, user) = (device.id.to_string(), device.user_id.to_string());
        let at = millis(device.created_at);
        let done = sqlx::query!(
            "INSERT INTO devices (id, user_id, name, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name \
             WHERE devices.user_id = excluded.user_id",
            id,
            user,
            device.name,
            at
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(done.rows_affected() > 0)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_token(&mut self, token: &TokenRecord) -> Result<()> {
        let (token_id, user) = (token.id.to_string(), token.user_id.to_string());
        let device = token.device_id.map(|d| d.to_string());
        let (created, expires) = (millis(token.created_at), token.expires_at.map(millis));
        sqlx::query!(
            "INSERT INTO tokens (hash, id, user_id, device_id, name, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            token.hash,
            token_id,
            user,
            device,
            token.name,
            created,
            expires
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn revoke_device_tokens(
        &mut self,
        user_id: Uuid,
        device_id: Option<Uuid>,
    ) -> Result<u64> {
        let (user, device) = (user_id.to_string(), device_id.map(|d| d.to_string()));
        let done = sqlx::query!(
            "DELETE FROM tokens WHERE user_id = $1 AND device_id IS NOT NULL \
             AND ($2 IS NULL OR device_id = $2)",
            user,
            device
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(done.rows_affected())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn revoke_all_tokens(&mut self, user_id: Uuid) -> Result<u64> {
        let user = user_id.to_string();
        let done = sqlx::query!("DELETE FROM tokens WHERE user_id = $1", user)
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        Ok(done.rows_affected())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn revoke_personal_token(&mut self, user_id: Uuid, token_id: Uuid) -> Result<bool> {
        let (user, token_id) = (user_id.to_string(), token_id.to_string());
        let done = sqlx::query!(
            "DELETE FROM tokens WHERE id = $1 AND user_id = $2 AND device_id IS NULL",
            token_id,
            user
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(done.rows_affected() > 0)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn purge_tokens(&mut self, before: DateTime<Utc>) -> Result<u64> {
        let before = millis(before);
        let done = sqlx::query!("DELETE FROM tokens WHERE expires_at < $1", before)
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        Ok(done.rows_affected())
    }
}
