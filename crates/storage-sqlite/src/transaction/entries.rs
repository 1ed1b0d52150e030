//! Changes to entries that exist: a user's review of their own (T4).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use stint_domain::{ActivityKind, EntryFlag};
use stint_storage::{ChangeOp, Entity, EntryRecord, EntryWrites, Result, WorkspaceScope};
use uuid::Uuid;

use super::SqliteTransaction;
use crate::convert::{millis, storage_error};

#[async_trait]
impl EntryWrites for SqliteTransaction {
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn update_own_entries(
        &mut self,
        scope: &WorkspaceScope,
        changes: &[(EntryRecord, Vec<ActivityKind>)],
        at: DateTime<Utc>,
    ) -> Result<()> {
        let workspace = scope.workspace_id().to_string();
        let user = scope.user_id().to_string();
        let at = millis(at);
        for (entry, activity) in changes {
            let id = entry.id.to_string();
            let status = entry.status.as_str();
            let flag = entry.flag.map(EntryFlag::as_str);
            // In one of the two stores (P4); the other has no such row.
            for update in [
                sqlx::query!(
                    "UPDATE entries SET duration_secs = $1, description = $2, billable = $3, \
                         status = $4, flag = $8 \
                     WHERE id = $5 AND workspace_id = $6 AND user_id = $7",
                    entry.duration_secs,
                    entry.description,
                    entry.billable,
                    status,
                    id,
                    workspace,
                    user,
                    flag
                ),
                sqlx::query!(
                    "UPDATE secured_entries SET duration_secs = $1, description = $2, \
                         billable = $3, status = $4, flag = $8 \
                     WHERE id = $5 AND workspace_id = $6 AND user_id = $7",
                    entry.duration_secs,
                    entry.description,
                    entry.billable,
                    status,
                    id,
                    workspace,
                    user,
                    flag
                ),
            ] {
                update.execute(self.conn()).await.map_err(storage_error)?;
            }
            for kind in activity {
                let kind = kind.as_str();
                sqlx::query!(
                    "INSERT INTO entry_activity (workspace_id, entry_id, at, actor_id, kind) \
                     VALUES ($1, $2, $3, $4, $5)",
                    workspace,
                    id,
                    at,
                    user,
                    kind
                )
                .execute(self.conn())
                .await
                .map_err(storage_error)?;
            }
            self.log_change(scope, Entity::Entry, entry.id, ChangeOp::Upsert)
                .await?;
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn delete_own_entries(&mut self, scope: &WorkspaceScope, ids: &[Uuid]) -> Result<()> {
        let workspace = scope.workspace_id().to_string();
        let user = scope.user_id().to_string();
        for &entry_id in ids {
            let id = entry_id.to_string();
            for delete in [
                sqlx::query!(
                    "DELETE FROM entries WHERE id = $1 AND workspace_id = $2 AND user_id = $3",
                    id,
                    workspace,
                    user
                ),
                sqlx::query!(
                    "DELETE FROM secured_entries \
                     WHERE id = $1 AND workspace_id = $2 AND user_id = $3",
                    id,
                    workspace,
                    user
                ),
                sqlx::query!(
                    "DELETE FROM entry_activity WHERE entry_id = $1 AND workspace_id = $2",
                    id,
                    workspace
                ),
            ] {
                delete.execute(self.conn()).await.map_err(storage_error)?;
            }
            self.log_change(scope, Entity::Entry, entry_id, ChangeOp::Delete)
                .await?;
        }
        Ok(())
    }
}
