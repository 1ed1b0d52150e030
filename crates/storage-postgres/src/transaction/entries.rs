//! Changes to entries that exist: a user's review of their own (T4), a move to another team
//! (P4).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use stint_domain::{ActivityKind, EntryFlag, WorkLogs};
use stint_storage::{
    may, Capability, ChangeOp, Entity, EntryRecord, EntryWrites, Result, StorageError, SyncWrites,
    TeamRecord, WorkspaceScope,
};
use uuid::Uuid;

use super::PostgresTransaction;
use crate::convert::storage_error;

#[async_trait]
impl EntryWrites for PostgresTransaction {
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn update_own_entries(
        &mut self,
        scope: &WorkspaceScope,
        changes: &[(EntryRecord, Vec<ActivityKind>)],
        at: DateTime<Utc>,
        actor: Uuid,
    ) -> Result<()> {
        self.enter(scope).await?;
        let (workspace, user) = (scope.workspace_id(), scope.user_id());
        for (entry, activity) in changes {
            let id = entry.id;
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
                    actor,
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
        self.enter(scope).await?;
        let (workspace, user) = (scope.workspace_id(), scope.user_id());
        for &entry_id in ids {
            let id = entry_id;
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

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn move_entry(
        &mut self,
        write: Capability<'_, may::Write>,
        entry: &EntryRecord,
        to: Option<&TeamRecord>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let scope = write.scope();
        self.enter(scope).await?;
        // The user's pushes take turns with this: none re-creates the entry in the store it
        // is leaving.
        self.lock_user_timers(scope).await?;
        if let Some(team) = to {
            // Held until commit: the team's roles cannot change, nor the team go, before the
            // entry is in it.
            let version = sqlx::query_scalar!(
                "SELECT version FROM teams WHERE id = $1 AND workspace_id = $2 FOR SHARE",
                team.id,
                scope.workspace_id()
            )
            .fetch_optional(self.conn())
            .await
            .map_err(storage_error)?;
            if version != Some(team.version) {
                return Err(StorageError::changed_meanwhile("team"));
            }
        }
        let found = sqlx::query!(
            r#"SELECT false AS "secured!", team_id FROM entries
                   WHERE id = $1 AND workspace_id = $2 AND user_id = $3
               UNION ALL
               SELECT true, team_id FROM secured_entries
                   WHERE id = $1 AND workspace_id = $2 AND user_id = $3"#,
            entry.id,
            scope.workspace_id(),
            scope.user_id()
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        let Some(found) = found else {
            return Err(StorageError::NotFound);
        };
        if found.team_id != entry.team_id {
            return Err(StorageError::changed_meanwhile("entry"));
        }
        let (entry_id, from_secured, from_team) = (entry.id, found.secured, entry.team_id);
        let team = to.map(|team| team.id);
        let to_secured = to.is_some_and(|team| team.work_logs == WorkLogs::Secured);
        // Each statement moves the entry only from where it was read: a team deletion that
        // committed in between (it locks its entries) leaves nothing to move, and the move is
        // decided again.
        let moved = match (from_secured, to_secured) {
            (false, false) => sqlx::query!(
                "UPDATE entries SET team_id = $1 WHERE id = $2 AND team_id IS NOT DISTINCT FROM $3",
                team,
                entry_id,
                from_team
            )
            .execute(self.conn())
            .await,
            (true, true) => sqlx::query!(
                "UPDATE secured_entries SET team_id = $1 WHERE id = $2 AND team_id = $3",
                team,
                entry_id,
                from_team
            )
            .execute(self.conn())
            .await,
            (false, true) => sqlx::query!(
                "WITH moved AS (DELETE FROM entries \
                                WHERE id = $2 AND team_id IS NOT DISTINCT FROM $3 RETURNING *) \
                 INSERT INTO secured_entries (id, workspace_id, user_id, task_id, timer_id, team_id, started_at, ended_at, duration_secs, raw_duration_secs, billable, flag, status, source, description) \
                 SELECT id, workspace_id, user_id, task_id, timer_id, $1, started_at, ended_at, duration_secs, raw_duration_secs, billable, flag, status, source, description FROM moved",
                team,
                entry_id,
                from_team
            )
            .execute(self.conn())
            .await,
            (true, false) => sqlx::query!(
                "WITH moved AS (DELETE FROM secured_entries \
                                WHERE id = $2 AND team_id = $3 RETURNING *) \
                 INSERT INTO entries (id, workspace_id, user_id, task_id, timer_id, team_id, started_at, ended_at, duration_secs, raw_duration_secs, billable, flag, status, source, description) \
                 SELECT id, workspace_id, user_id, task_id, timer_id, $1, started_at, ended_at, duration_secs, raw_duration_secs, billable, flag, status, source, description FROM moved",
                team,
                entry_id,
                from_team
            )
            .execute(self.conn())
            .await,
        }
        .map_err(storage_error)?;
        if moved.rows_affected() != 1 {
            return Err(StorageError::changed_meanwhile("entry"));
        }
        sqlx::query!(
            "INSERT INTO entry_activity \
                 (workspace_id, entry_id, at, actor_id, kind, from_team_id, to_team_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            scope.workspace_id(),
            entry_id,
            at,
            scope.user_id(),
            ActivityKind::Moved.as_str(),
            from_team,
            team
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        self.log_change(scope, Entity::Entry, entry_id, ChangeOp::Upsert)
            .await
    }
}
