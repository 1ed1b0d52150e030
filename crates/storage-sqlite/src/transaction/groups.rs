//! Groups and members' filter settings (P3).

use async_trait::async_trait;
use stint_domain::{Filter, Page};
use stint_storage::{may, Capability, GroupRecord, GroupWrites, Result, StorageError};
use uuid::Uuid;

use super::SqliteTransaction;
use crate::convert::storage_error;

impl SqliteTransaction {
    /// A group's pages and overrules, as rows.
    pub(super) async fn write_group_details(&mut self, group: &GroupRecord) -> Result<()> {
        let id = group.id.to_string();
        for page in &group.pages {
            let page = page.as_str();
            sqlx::query!(
                "INSERT INTO group_pages (group_id, page) VALUES ($1, $2)",
                id,
                page
            )
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        }
        for (page, filter) in &group.overrules {
            let (page, filter) = (page.as_str(), filter.as_str());
            sqlx::query!(
                "INSERT INTO group_filter_overrules (group_id, page, filter) VALUES ($1, $2, $3)",
                id,
                page,
                filter
            )
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        }
        Ok(())
    }

    /// `NotFound` unless the group is the workspace's.
    async fn group_exists(&mut self, workspace: &str, group: &str) -> Result<()> {
        let found = sqlx::query_scalar!(
            "SELECT count(*) FROM groups WHERE id = $1 AND workspace_id = $2",
            group,
            workspace
        )
        .fetch_one(self.conn())
        .await
        .map_err(storage_error)?;
        if found == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }
}

#[async_trait]
impl GroupWrites for SqliteTransaction {
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_group(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        group: &GroupRecord,
    ) -> Result<bool> {
        let workspace = settings.scope().workspace_id().to_string();
        let (id, filter) = (group.id.to_string(), group.filter.as_str());
        let default_group = group.default_group.map(|g| g.as_str());
        let done = sqlx::query!(
            "INSERT INTO groups (id, workspace_id, name, filter, default_group) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            id,
            workspace,
            group.name,
            filter,
            default_group
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        self.write_group_details(group).await?;
        Ok(true)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn update_group(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        group: &GroupRecord,
    ) -> Result<bool> {
        let workspace = settings.scope().workspace_id().to_string();
        let (id, filter) = (group.id.to_string(), group.filter.as_str());
        self.group_exists(&workspace, &id).await?;
        let done = sqlx::query!(
            "UPDATE groups SET name = $1, filter = $2 WHERE id = $3 AND NOT EXISTS \
                 (SELECT 1 FROM groups o WHERE o.workspace_id = $4 AND o.id <> $3 \
                  AND lower(o.name) = lower($1))",
            group.name,
            filter,
            id,
            workspace
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query!("DELETE FROM group_pages WHERE group_id = $1", id)
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        sqlx::query!("DELETE FROM group_filter_overrules WHERE group_id = $1", id)
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        self.write_group_details(group).await?;
        Ok(true)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn delete_group(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        group_id: Uuid,
    ) -> Result<()> {
        let (workspace, id) = (
            settings.scope().workspace_id().to_string(),
            group_id.to_string(),
        );
        self.group_exists(&workspace, &id).await?;
        let members =
            sqlx::query_scalar!("SELECT count(*) FROM member_groups WHERE group_id = $1", id)
                .fetch_one(self.conn())
                .await
                .map_err(storage_error)?;
        if members > 0 {
            return Err(StorageError::Conflict {
                constraint: "group_not_empty".into(),
            });
        }
        sqlx::query!("DELETE FROM groups WHERE id = $1", id)
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn set_member_filters(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        user_id: Uuid,
        group_id: Uuid,
        filter: Option<Filter>,
        overrules: &[(Page, Filter)],
    ) -> Result<()> {
        let workspace = settings.scope().workspace_id().to_string();
        let (user, group) = (user_id.to_string(), group_id.to_string());
        self.group_exists(&workspace, &group).await?;
        let filter = filter.map(Filter::as_str);
        let member = sqlx::query!(
            "UPDATE memberships SET filter = $1 WHERE workspace_id = $2 AND user_id = $3",
            filter,
            workspace,
            user
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if member.rows_affected() == 0 {
            return Err(StorageError::NotFound);
        }
        sqlx::query!(
            "INSERT INTO member_groups (workspace_id, user_id, group_id) VALUES ($1, $2, $3) \
             ON CONFLICT (workspace_id, user_id) DO UPDATE SET group_id = excluded.group_id",
            workspace,
            user,
            group
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        sqlx::query!(
            "DELETE FROM member_filter_overrules WHERE workspace_id = $1 AND user_id = $2",
            workspace,
            user
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        for (page, filter) in overrules {
            let (page, filter) = (page.as_str(), filter.as_str());
            sqlx::query!(
                "INSERT INTO member_filter_overrules (workspace_id, user_id, page, filter) \
                 VALUES ($1, $2, $3, $4)",
                workspace,
                user,
                page,
                filter
            )
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        }
        Ok(())
    }
}
