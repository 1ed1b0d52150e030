//! Changes to entries that exist: a user's review of their own (T4), a move to another team
//! (P4).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use stint_domain::{ActivityKind, EntryFlag, WorkLogs};
use stint_storage::{
    may, Capability, ChangeOp, Entity, EntryRecord, EntryWrites, Result, StorageError, TeamRecord,
    WorkspaceScope,
};
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
        actor: Uuid,
    ) -> Result<()> {
        let workspace = scope.workspace_id().to_string();
        let user = scope.user_id().to_string();
        let actor = actor.to_string();
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

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn move_entry(
        &mut self,
        write: Capability<'_, may::Write>,
        entry: &EntryRecord,
        to: Option<&TeamRecord>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let scope = write.scope();
        let (workspace, user) = (
            scope.workspace_id().to_string(),
            scope.user_id().to_string(),
        );
        if let Some(team) = to {
            let team_id = team.id.to_string();
            let version = sqlx::query_scalar!(
                "SELECT version FROM teams WHERE id = $1 AND workspace_id = $2",
                team_id,
                workspace
            )
            .fetch_optional(self.conn())
            .await
            .map_err(storage_error)?;
            if version != Some(team.version) {
                return Err(StorageError::changed_meanwhile("team"));
            }
        }
        let entry_id = entry.id;
        let expected_team = entry.team_id.map(|team| team.to_string());
        let entry = entry_id.to_string();
        let public = sqlx::query_scalar!(
            "SELECT team_id FROM entries WHERE id = $1 AND workspace_id = $2 AND user_id = $3",
            entry,
            workspace,
            user
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        let secured = sqlx::query_scalar!(
            "SELECT team_id FROM secured_entries \
             WHERE id = $1 AND workspace_id = $2 AND user_id = $3",
            entry,
            workspace,
            user
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        let (from_secured, from_team) = match (public, secured) {
            (Some(team), _) => (false, team),
            (None, Some(team)) => (true, Some(team)),
            (None, None) => return Err(StorageError::NotFound),
        };
        if from_team != expected_team {
            return Err(StorageError::changed_meanwhile("entry"));
        }
        let team = to.map(|team| team.id.to_string());
        let to_secured = to.is_some_and(|team| team.work_logs == WorkLogs::Secured);
        match (from_secured, to_secured) {
            (false, false) => {
                sqlx::query!("UPDATE entries SET team_id = $1 WHERE id = $2", team, entry)
                    .execute(self.conn())
                    .await
                    .map_err(storage_error)?;
            }
            (true, true) => {
                sqlx::query!(
                    "UPDATE secured_entries SET team_id = $1 WHERE id = $2",
                    team,
                    entry
                )
                .execute(self.conn())
                .await
                .map_err(storage_error)?;
            }
            (false, true) => {
                sqlx::query!(
                    "INSERT INTO secured_entries (id, workspace_id, user_id, task_id, timer_id, team_id, started_at, ended_at, duration_secs, raw_duration_secs, billable, flag, status, source, description) \
                     SELECT id, workspace_id, user_id, task_id, timer_id, $1, started_at, ended_at, duration_secs, raw_duration_secs, billable, flag, status, source, description FROM entries WHERE id = $2",
                    team,
                    entry
                )
                .execute(self.conn())
                .await
                .map_err(storage_error)?;
                sqlx::query!("DELETE FROM entries WHERE id = $1", entry)
                    .execute(self.conn())
                    .await
                    .map_err(storage_error)?;
            }
            (true, false) => {
                sqlx::query!(
                    "INSERT INTO entries (id, workspace_id, user_id, task_id, timer_id, team_id, started_at, ended_at, duration_secs, raw_duration_secs, billable, flag, status, source, description) \
                     SELECT id, workspace_id, user_id, task_id, timer_id, $1, started_at, ended_at, duration_secs, raw_duration_secs, billable, flag, status, source, description FROM secured_entries WHERE id = $2",
                    team,
                    entry
                )
                .execute(self.conn())
                .await
                .map_err(storage_error)?;
                sqlx::query!("DELETE FROM secured_entries WHERE id = $1", entry)
                    .execute(self.conn())
                    .await
                    .map_err(storage_error)?;
            }
        }
        let (at, moved) = (millis(at), ActivityKind::Moved.as_str());
        sqlx::query!(
            "INSERT INTO entry_activity \
                 (workspace_id, entry_id, at, actor_id, kind, from_team_id, to_team_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            workspace,
            entry,
            at,
            user,
            moved,
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
