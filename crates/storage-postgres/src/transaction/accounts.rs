//! Workspaces, users, memberships, devices and tokens.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use stint_domain::{DefaultGroup, DefaultRole};
use stint_storage::{
    AccountWrites, DeviceRecord, GroupRecord, Result, TokenRecord, UserRecord, WorkspaceScope,
};
use uuid::Uuid;

use super::PostgresTransaction;
use crate::convert::storage_error;

#[async_trait]
impl AccountWrites for PostgresTransaction {
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_workspace(&mut self, id: Uuid, name: &str, at: DateTime<Utc>) -> Result<bool> {
        self.enter_workspace(id).await?;
        let done = sqlx::query!(
            "INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
            id,
            name,
            at
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        let ids: Vec<Uuid> = DefaultRole::ALL.iter().map(|_| Uuid::now_v7()).collect();
        let names: Vec<&str> = DefaultRole::ALL.iter().map(|r| r.name()).collect();
        let keys: Vec<&str> = DefaultRole::ALL.iter().map(|r| r.as_str()).collect();
        sqlx::query!(
            "INSERT INTO roles (id, workspace_id, name, default_role) \
             SELECT role_id, $2, name, key FROM UNNEST($1::uuid[], $3::text[], $4::text[]) \
                 AS r (role_id, name, key)",
            &ids,
            id,
            &names as &[&str],
            &keys as &[&str]
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        for group in DefaultGroup::ALL {
            let record = GroupRecord::new_default(Uuid::now_v7(), group);
            sqlx::query!(
                "INSERT INTO groups (id, workspace_id, name, filter, default_group) \
                 VALUES ($1, $2, $3, $4, $5)",
                record.id,
                id,
                record.name,
                record.filter.as_str(),
                group.as_str()
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
        let id = user.id;
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
        self.enter(scope).await?;
        let workspace = scope.workspace_id();
        sqlx::query!(
            "INSERT INTO memberships (workspace_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            workspace,
            user_id
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        let keys: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        sqlx::query!(
            "INSERT INTO member_roles (workspace_id, user_id, role_id) \
             SELECT workspace_id, $2, id FROM roles \
             WHERE workspace_id = $1 AND default_role = ANY($3::text[]) \
             ON CONFLICT DO NOTHING",
            workspace,
            user_id,
            &keys as &[&str]
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        // In the group the roles suggest; when that one is gone, Employees, or the first group by
        // name that does not open the admin pages by default.
        sqlx::query!(
            "INSERT INTO member_groups (workspace_id, user_id, group_id) \
             SELECT $1, $2, (SELECT id FROM groups WHERE workspace_id = $1 \
                             ORDER BY default_group IS NOT DISTINCT FROM $3 DESC, \
                                      default_group IS NOT DISTINCT FROM 'employees' DESC, \
                                      default_group IS NOT DISTINCT FROM 'administrators', \
                                      lower(name) LIMIT 1) \
             ON CONFLICT DO NOTHING",
            workspace,
            user_id,
            DefaultGroup::for_roles(roles).as_str()
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn device_owner(&mut self, device_id: Uuid) -> Result<Option<Uuid>> {
        let owner = sqlx::query_scalar!("SELECT user_id FROM devices WHERE id = $1", device_id)
            .fetch_optional(self.conn())
            .await
            .map_err(storage_error)?;
        Ok(owner)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn upsert_device(&mut self, device: &DeviceRecord) -> Result<bool> {
        let (id, user) = (device.id, device.user_id);
        let at = device.created_at;
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
        sqlx::query!(
            "INSERT INTO tokens (hash, id, user_id, device_id, name, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            token.hash,
            token.id,
            token.user_id,
            token.device_id,
            token.name,
            token.created_at,
            token.expires_at
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
        let done = sqlx::query!(
            "DELETE FROM tokens WHERE user_id = $1 AND device_id IS NOT NULL \
             AND ($2::uuid IS NULL OR device_id = $2)",
            user_id,
            device_id
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(done.rows_affected())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn revoke_all_tokens(&mut self, user_id: Uuid) -> Result<u64> {
        let done = sqlx::query!("DELETE FROM tokens WHERE user_id = $1", user_id)
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        Ok(done.rows_affected())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn revoke_personal_token(&mut self, user_id: Uuid, token_id: Uuid) -> Result<bool> {
        let done = sqlx::query!(
            "DELETE FROM tokens WHERE id = $1 AND user_id = $2 AND device_id IS NULL",
            token_id,
            user_id
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(done.rows_affected() > 0)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn purge_tokens(&mut self, before: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query!("DELETE FROM tokens WHERE expires_at < $1", before)
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        Ok(done.rows_affected())
    }
}
