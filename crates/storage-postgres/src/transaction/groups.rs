//! Groups and members' filter settings (P3).

use async_trait::async_trait;
use stint_domain::{Filter, Page};
use stint_storage::{may, Capability, GroupRecord, GroupWrites, Result, StorageError};
use uuid::Uuid;

use super::PostgresTransaction;
use crate::convert::storage_error;

impl PostgresTransaction {
    /// A group's pages and overrules, as rows.
    pub(super) async fn write_group_details(&mut self, group: &GroupRecord) -> Result<()> {
        let pages: Vec<String> = group.pages.iter().map(|p| p.as_str().to_owned()).collect();
        sqlx::query!(
            "INSERT INTO group_pages (group_id, page) SELECT $1, unnest($2::text[])",
            group.id,
            &pages
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        let (pages, filters): (Vec<String>, Vec<String>) = group
            .overrules
            .iter()
            .map(|(page, filter)| (page.as_str().to_owned(), filter.as_str().to_owned()))
            .unzip();
        sqlx::query!(
            "INSERT INTO group_filter_overrules (group_id, page, filter) \
             SELECT $1, * FROM unnest($2::text[], $3::text[])",
            group.id,
            &pages,
            &filters
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(())
    }

    /// Locks the group until commit; `NotFound` unless it is the workspace's.
    async fn lock_group(&mut self, workspace: Uuid, group_id: Uuid) -> Result<()> {
        let found = sqlx::query_scalar!(
            "SELECT id FROM groups WHERE id = $1 AND workspace_id = $2 FOR UPDATE",
            group_id,
            workspace
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        found.map(|_| ()).ok_or(StorageError::NotFound)
    }
}

#[async_trait]
impl GroupWrites for PostgresTransaction {
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_group(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        group: &GroupRecord,
    ) -> Result<bool> {
        self.enter(settings.scope()).await?;
        let done = sqlx::query!(
            "INSERT INTO groups (id, workspace_id, name, filter, default_group) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            group.id,
            settings.scope().workspace_id(),
            group.name,
            group.filter.as_str(),
            group.default_group.map(|g| g.as_str())
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
        self.enter(settings.scope()).await?;
        let workspace = settings.scope().workspace_id();
        self.lock_group(workspace, group.id).await?;
        let done = sqlx::query!(
            "UPDATE groups SET name = $1, filter = $2 WHERE id = $3 AND NOT EXISTS \
                 (SELECT 1 FROM groups o WHERE o.workspace_id = $4 AND o.id <> $3 \
                  AND lower(o.name) = lower($1))",
            group.name,
            group.filter.as_str(),
            group.id,
            workspace
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query!("DELETE FROM group_pages WHERE group_id = $1", group.id)
            .execute(self.conn())
            .await
            .map_err(storage_error)?;
        sqlx::query!(
            "DELETE FROM group_filter_overrules WHERE group_id = $1",
            group.id
        )
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
        self.enter(settings.scope()).await?;
        // Locked: a member put in it meanwhile waits, then finds it gone.
        self.lock_group(settings.scope().workspace_id(), group_id)
            .await?;
        let members = sqlx::query_scalar!(
            r#"SELECT count(*) AS "count!" FROM member_groups WHERE group_id = $1"#,
            group_id
        )
        .fetch_one(self.conn())
        .await
        .map_err(storage_error)?;
        if members > 0 {
            return Err(StorageError::Conflict {
                constraint: "group_not_empty".into(),
            });
        }
        sqlx::query!("DELETE FROM groups WHERE id = $1", group_id)
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
        self.enter(settings.scope()).await?;
        let workspace = settings.scope().workspace_id();
        // Shared-locked: the group cannot be deleted before this commits.
        let group = sqlx::query_scalar!(
            "SELECT id FROM groups WHERE id = $1 AND workspace_id = $2 FOR SHARE",
            group_id,
            workspace
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        if group.is_none() {
            return Err(StorageError::NotFound);
        }
        let member = sqlx::query!(
            "UPDATE memberships SET filter = $1 WHERE workspace_id = $2 AND user_id = $3",
            filter.map(Filter::as_str),
            workspace,
            user_id
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
            user_id,
            group_id
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        sqlx::query!(
            "DELETE FROM member_filter_overrules WHERE workspace_id = $1 AND user_id = $2",
            workspace,
            user_id
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        let (pages, filters): (Vec<String>, Vec<String>) = overrules
            .iter()
            .map(|(page, filter)| (page.as_str().to_owned(), filter.as_str().to_owned()))
            .unzip();
        sqlx::query!(
            "INSERT INTO member_filter_overrules (workspace_id, user_id, page, filter) \
             SELECT $1, $2, * FROM unnest($3::text[], $4::text[])",
            workspace,
            user_id,
            &pages,
            &filters
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(())
    }
}
