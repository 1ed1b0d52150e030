//! The write transaction: every statement on the one writer connection, inside `BEGIN
//! IMMEDIATE`. Methods that change an entity append its change-log row themselves.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use stint_domain::{DefaultRole, TaskStatus};
use stint_storage::{
    may, parse_stored, Capability, ChangeOp, DeviceRecord, Entity, EntryRecord, Held,
    InvitationRecord, MemberSettings, MutationOutcome, MutationRecord, NewTask, ProjectRecord,
    RecordedMutation, Result, RoleRecord, SegmentRecord, StorageError, TimerRecord, TokenRecord,
    Transaction, UserRecord, WorkspaceScope,
};
use uuid::Uuid;

use crate::convert::{id, instant, json_ids, millis, storage_error};
use crate::rows::{entry_record, held, reason, timer_record, EntryRow, TimerRow};

/// Rows per multi-row statement: SQLite takes at most 32,766 bound values in one.
const ROWS_PER_STATEMENT: usize = 1_000;

pub struct SqliteTransaction {
    pub tx: sqlx::Transaction<'static, Sqlite>,
}

impl SqliteTransaction {
    fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }

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

    async fn log_change(
        &mut self,
        scope: &WorkspaceScope,
        entity: Entity,
        entity_id: Uuid,
        op: ChangeOp,
    ) -> Result<()> {
        let workspace = scope.workspace_id().to_string();
        let owner = entity.owner(scope).map(|user| user.to_string());
        let (entity, entity_id, op) = (entity.as_str(), entity_id.to_string(), op.as_str());
        sqlx::query!(
            "INSERT INTO changes (workspace_id, entity, entity_id, op, owner_id) \
             VALUES ($1, $2, $3, $4, $5)",
            workspace,
            entity,
            entity_id,
            op,
            owner
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(())
    }

    /// One change-log row per id, in the order given.
    async fn log_changes(
        &mut self,
        scope: &WorkspaceScope,
        entity: Entity,
        ids: &[Uuid],
    ) -> Result<()> {
        let workspace = scope.workspace_id().to_string();
        let owner = entity.owner(scope).map(|user| user.to_string());
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            let mut insert = QueryBuilder::new(
                "INSERT INTO changes (workspace_id, entity, entity_id, op, owner_id) ",
            );
            insert.push_values(chunk, |mut row, id| {
                row.push_bind(workspace.clone())
                    .push_bind(entity.as_str())
                    .push_bind(id.to_string())
                    .push_bind(ChangeOp::Upsert.as_str())
                    .push_bind(owner.clone());
            });
            insert
                .build()
                .execute(self.conn())
                .await
                .map_err(storage_error)?;
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
impl Transaction for SqliteTransaction {
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn commit(self: Box<Self>) -> Result<()> {
        self.tx.commit().await.map_err(storage_error)
    }

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

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn lock_stream(
        &mut self,
        scope: &WorkspaceScope,
        stream_id: Uuid,
    ) -> Result<Option<i64>> {
        // The one writer holds the lock already (`BEGIN IMMEDIATE`).
        let (stream, device) = (stream_id.to_string(), scope.device_id().to_string());
        let workspace = scope.workspace_id().to_string();
        let now = millis(Utc::now());
        sqlx::query!(
            "INSERT INTO streams (id, device_id, workspace_id, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
            stream,
            device,
            workspace,
            now
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        sqlx::query_scalar!(
            "SELECT last_applied_seq FROM streams \
             WHERE id = $1 AND device_id = $2 AND workspace_id = $3",
            stream,
            device,
            workspace
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn set_stream_seq(&mut self, stream_id: Uuid, seq: i64) -> Result<()> {
        let stream = stream_id.to_string();
        sqlx::query!(
            "UPDATE streams SET last_applied_seq = $1 WHERE id = $2",
            seq,
            stream
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn recorded_mutations(
        &mut self,
        stream_id: Uuid,
        from: i64,
        to: i64,
    ) -> Result<Vec<RecordedMutation>> {
        let stream = stream_id.to_string();
        let rows = sqlx::query!(
            "SELECT seq, fingerprint, outcome, reason_code, reason_message, reason_details \
             FROM mutations WHERE stream_id = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq",
            stream,
            from,
            to
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)?;
        rows.into_iter()
            .map(|row| {
                Ok(RecordedMutation {
                    seq: row.seq,
                    fingerprint: row.fingerprint,
                    outcome: parse_stored(&row.outcome, MutationOutcome::parse, "outcome")?,
                    reason: reason(row.reason_code, row.reason_message, row.reason_details)?,
                })
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn lock_user_timers(&mut self, _scope: &WorkspaceScope) -> Result<()> {
        // `BEGIN IMMEDIATE` on the one writer: nothing else writes until this commits.
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_project(
        &mut self,
        scope: &WorkspaceScope,
        project: &ProjectRecord,
    ) -> Result<bool> {
        let (id, workspace) = (project.id.to_string(), scope.workspace_id().to_string());
        let done = sqlx::query!(
            "INSERT INTO projects (id, workspace_id, name, color) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
            id,
            workspace,
            project.name,
            project.color
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        let inserted = done.rows_affected() > 0;
        if inserted {
            self.log_change(scope, Entity::Project, project.id, ChangeOp::Upsert)
                .await?;
        }
        Ok(inserted)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_task(&mut self, scope: &WorkspaceScope, task: &NewTask) -> Result<bool> {
        let (id, workspace) = (task.id.to_string(), scope.workspace_id().to_string());
        let (project, status) = (task.project_id.to_string(), task.status.as_str());
        // The project must be in the same workspace: the foreign key alone would not say so.
        let done = sqlx::query!(
            "INSERT INTO tasks (id, workspace_id, project_id, title, status) \
             SELECT $1, $2, $3, $4, $5 \
             WHERE EXISTS (SELECT 1 FROM projects WHERE id = $3 AND workspace_id = $2) \
             ON CONFLICT DO NOTHING",
            id,
            workspace,
            project,
            task.title,
            status
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        let inserted = done.rows_affected() > 0;
        if inserted {
            self.log_change(scope, Entity::Task, task.id, ChangeOp::Upsert)
                .await?;
        }
        Ok(inserted)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn change_task_status(
        &mut self,
        scope: &WorkspaceScope,
        task_id: Uuid,
        from: TaskStatus,
        to: TaskStatus,
    ) -> Result<bool> {
        let (task, workspace) = (task_id.to_string(), scope.workspace_id().to_string());
        let (from, to) = (from.as_str(), to.as_str());
        let done = sqlx::query!(
            "UPDATE tasks SET status = $1 WHERE id = $2 AND workspace_id = $3 AND status = $4",
            to,
            task,
            workspace,
            from
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        let changed = done.rows_affected() > 0;
        if changed {
            self.log_change(scope, Entity::Task, task_id, ChangeOp::Upsert)
                .await?;
        }
        Ok(changed)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn assign(
        &mut self,
        scope: &WorkspaceScope,
        task_id: Uuid,
        user_id: Uuid,
    ) -> Result<bool> {
        let (task, user) = (task_id.to_string(), user_id.to_string());
        let workspace = scope.workspace_id().to_string();
        let done = sqlx::query!(
            "INSERT INTO task_assignees (task_id, user_id) \
             SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM tasks WHERE id = $1 AND workspace_id = $3) \
                             AND EXISTS (SELECT 1 FROM memberships \
                                         WHERE workspace_id = $3 AND user_id = $2) \
             ON CONFLICT DO NOTHING",
            task,
            user,
            workspace
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        let assigned = done.rows_affected() > 0;
        if assigned {
            // Assignees travel with the task.
            self.log_change(scope, Entity::Task, task_id, ChangeOp::Upsert)
                .await?;
        }
        Ok(assigned)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn own_active_timer(&mut self, scope: &WorkspaceScope) -> Result<Option<TimerRecord>> {
        let workspace = scope.workspace_id().to_string();
        let user = scope.user_id().to_string();
        let row = sqlx::query_as!(
            TimerRow,
            "SELECT id, workspace_id, user_id, task_id, state, started_at, closed_millis, segment_count, \
                    last_start, last_end \
             FROM timers WHERE workspace_id = $1 AND user_id = $2 AND state <> 'stopped'",
            workspace,
            user
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        row.map(timer_record).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn record_mutations(
        &mut self,
        scope: &WorkspaceScope,
        mutations: &[MutationRecord],
    ) -> Result<()> {
        let workspace = scope.workspace_id().to_string();
        for chunk in mutations.chunks(ROWS_PER_STATEMENT) {
            let mut insert = QueryBuilder::new(
                "INSERT INTO mutations (stream_id, seq, workspace_id, fingerprint, name, args, \
                                        device_time, outcome, reason_code, reason_message, \
                                        reason_details, received_at) ",
            );
            insert.push_values(chunk, |mut row, m| {
                let reason = m.reason.as_ref();
                row.push_bind(m.stream_id.to_string())
                    .push_bind(m.seq)
                    .push_bind(workspace.clone())
                    .push_bind(m.fingerprint.clone())
                    .push_bind(m.name.clone())
                    .push_bind(m.args.to_string())
                    .push_bind(millis(m.device_time))
                    .push_bind(m.outcome.as_str())
                    .push_bind(reason.map(|r| r.code.clone()))
                    .push_bind(reason.map(|r| r.message.clone()))
                    .push_bind(
                        reason
                            .and_then(|r| r.details.as_ref())
                            .map(|d| d.to_string()),
                    )
                    .push_bind(millis(m.received_at));
            });
            insert
                .build()
                .execute(self.conn())
                .await
                .map_err(storage_error)?;
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn task_statuses(
        &mut self,
        scope: &WorkspaceScope,
        ids: &[Uuid],
    ) -> Result<Vec<(Uuid, TaskStatus)>> {
        let (workspace, ids) = (scope.workspace_id().to_string(), json_ids(ids));
        let rows = sqlx::query!(
            "SELECT id, status FROM tasks \
             WHERE workspace_id = $1 AND id IN (SELECT value FROM json_each($2))",
            workspace,
            ids
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)?;
        rows.into_iter()
            .map(|row| {
                let status = parse_stored(&row.status, TaskStatus::parse, "task status")?;
                Ok((id(&row.id)?, status))
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn timers_with_ids(
        &mut self,
        scope: &WorkspaceScope,
        ids: &[Uuid],
    ) -> Result<Vec<Held<TimerRecord>>> {
        let ids = json_ids(ids);
        let rows = sqlx::query_as!(
            TimerRow,
            "SELECT id, workspace_id, user_id, task_id, state, started_at, closed_millis, \
                    segment_count, last_start, last_end \
             FROM timers WHERE id IN (SELECT value FROM json_each($1))",
            ids
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)?;
        held(scope, rows, timer_record)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn own_timer_starts_after(
        &mut self,
        scope: &WorkspaceScope,
        at: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>> {
        let (workspace, user) = (
            scope.workspace_id().to_string(),
            scope.user_id().to_string(),
        );
        let at = millis(at);
        let starts = sqlx::query_scalar!(
            "SELECT started_at FROM timers \
             WHERE workspace_id = $1 AND user_id = $2 AND started_at > $3",
            workspace,
            user,
            at
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)?;
        starts.into_iter().map(instant).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn entries_with_ids(
        &mut self,
        scope: &WorkspaceScope,
        ids: &[Uuid],
    ) -> Result<Vec<Held<EntryRecord>>> {
        let ids = json_ids(ids);
        let rows = sqlx::query_as!(
            EntryRow,
            "SELECT id, workspace_id, user_id, task_id, timer_id, started_at, ended_at, \
                    duration_secs, status, source, description \
             FROM entries WHERE id IN (SELECT value FROM json_each($1))",
            ids
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)?;
        held(scope, rows, entry_record)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn entries_of_timers(
        &mut self,
        scope: &WorkspaceScope,
        ids: &[Uuid],
    ) -> Result<Vec<Held<EntryRecord>>> {
        // By the timer index alone: with the user's columns too, SQLite picks the user index
        // and reads all of their entries (milliseconds a push for a long history).
        let ids = json_ids(ids);
        let rows = sqlx::query_as!(
            EntryRow,
            "SELECT id, workspace_id, user_id, task_id, timer_id, started_at, ended_at, \
                    duration_secs, status, source, description \
             FROM entries WHERE timer_id IN (SELECT value FROM json_each($1))",
            ids
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)?;
        held(scope, rows, entry_record)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn save_timers(
        &mut self,
        scope: &WorkspaceScope,
        timers: &[TimerRecord],
        segments: &[SegmentRecord],
    ) -> Result<()> {
        let (workspace, user) = (
            scope.workspace_id().to_string(),
            scope.user_id().to_string(),
        );
        for chunk in timers.chunks(ROWS_PER_STATEMENT) {
            let mut upsert = QueryBuilder::new(
                "INSERT INTO timers (id, workspace_id, user_id, task_id, state, started_at, \
                                     closed_millis, segment_count, last_start, last_end) \
                 SELECT v.column1, ",
            );
            upsert.push_bind(workspace.clone()).push(", ");
            upsert.push_bind(user.clone()).push(
                ", v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8 \
                 FROM (",
            );
            upsert.push_values(chunk, |mut row, t| {
                row.push_bind(t.id.to_string())
                    .push_bind(t.task_id.to_string())
                    .push_bind(t.state_name())
                    .push_bind(millis(t.head.started_at))
                    .push_bind(t.head.closed_millis)
                    .push_bind(i64::from(t.head.segment_count))
                    .push_bind(millis(t.head.last.start))
                    .push_bind(t.head.last.end.map(millis));
            });
            upsert.push(
                ") AS v WHERE EXISTS (SELECT 1 FROM tasks WHERE id = v.column2 AND workspace_id = ",
            );
            // A row of another user under the same id is not overwritten; it is counted as
            // missing.
            upsert.push_bind(workspace.clone()).push(
                ") ON CONFLICT (id) DO UPDATE SET state = excluded.state, \
                     closed_millis = excluded.closed_millis, \
                     segment_count = excluded.segment_count, \
                     last_start = excluded.last_start, last_end = excluded.last_end \
                 WHERE timers.workspace_id = excluded.workspace_id \
                   AND timers.user_id = excluded.user_id",
            );
            let done = upsert
                .build()
                .execute(self.conn())
                .await
                .map_err(storage_error)?;
            if done.rows_affected() != chunk.len() as u64 {
                // Read a moment ago as free: another push took an id, or a task went.
                return Err(StorageError::Conflict {
                    constraint: "a timer's id or task changed meanwhile".into(),
                });
            }
        }
        for chunk in segments.chunks(ROWS_PER_STATEMENT) {
            let mut upsert = QueryBuilder::new(
                "INSERT INTO timer_segments (timer_id, n, started_at, ended_at) ",
            );
            upsert.push_values(chunk, |mut row, s| {
                row.push_bind(s.timer_id.to_string())
                    .push_bind(i64::from(s.n))
                    .push_bind(millis(s.segment.start))
                    .push_bind(s.segment.end.map(millis));
            });
            upsert.push(" ON CONFLICT (timer_id, n) DO UPDATE SET ended_at = excluded.ended_at");
            upsert
                .build()
                .execute(self.conn())
                .await
                .map_err(storage_error)?;
        }
        let ids: Vec<Uuid> = timers.iter().map(|t| t.id).collect();
        self.log_changes(scope, Entity::Timer, &ids).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_entries(
        &mut self,
        scope: &WorkspaceScope,
        entries: &[EntryRecord],
    ) -> Result<()> {
        let (workspace, user) = (
            scope.workspace_id().to_string(),
            scope.user_id().to_string(),
        );
        for chunk in entries.chunks(ROWS_PER_STATEMENT) {
            let mut insert = QueryBuilder::new(
                "INSERT INTO entries (id, workspace_id, user_id, task_id, timer_id, started_at, \
                                      ended_at, duration_secs, status, source, description) \
                 SELECT v.column1, ",
            );
            insert.push_bind(workspace.clone()).push(", ");
            insert.push_bind(user.clone()).push(
                ", v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8, \
                   v.column9 FROM (",
            );
            insert.push_values(chunk, |mut row, e| {
                row.push_bind(e.id.to_string())
                    .push_bind(e.task_id.to_string())
                    .push_bind(e.timer_id.map(|t| t.to_string()))
                    .push_bind(millis(e.started_at))
                    .push_bind(millis(e.ended_at))
                    .push_bind(e.duration_secs)
                    .push_bind(e.status.as_str())
                    .push_bind(e.source.as_str())
                    .push_bind(e.description.clone());
            });
            insert.push(
                ") AS v WHERE EXISTS (SELECT 1 FROM tasks WHERE id = v.column2 AND workspace_id = ",
            );
            insert.push_bind(workspace.clone()).push(")");
            let done = insert
                .build()
                .execute(self.conn())
                .await
                .map_err(storage_error)?;
            if done.rows_affected() != chunk.len() as u64 {
                return Err(StorageError::Conflict {
                    constraint: "an entry's task was deleted meanwhile".into(),
                });
            }
        }
        let ids: Vec<Uuid> = entries.iter().map(|e| e.id).collect();
        self.log_changes(scope, Entity::Entry, &ids).await
    }

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
    async fn accept_invitation(&mut self, invitation_id: Uuid, now: DateTime<Utc>) -> Result<bool> {
        let (invitation_id, now) = (invitation_id.to_string(), millis(now));
        let done = sqlx::query!(
            "UPDATE invitations SET accepted_at = $2 \
             WHERE id = $1 AND accepted_at IS NULL AND expires_at > $2",
            invitation_id,
            now
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

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn delete_task(&mut self, scope: &WorkspaceScope, task_id: Uuid) -> Result<()> {
        let (task, workspace) = (task_id.to_string(), scope.workspace_id().to_string());
        // Checked first, so a refused delete leaves everything as it was (assignees included).
        let in_use = sqlx::query_scalar!(
            "SELECT EXISTS (SELECT 1 FROM timers WHERE task_id = $1) \
                 OR EXISTS (SELECT 1 FROM entries WHERE task_id = $1) AS \"in_use!: bool\"",
            task
        )
        .fetch_one(self.conn())
        .await
        .map_err(storage_error)?;
        if in_use {
            return Err(StorageError::Conflict {
                constraint: "task_in_use".into(),
            });
        }
        sqlx::query!(
            "DELETE FROM task_assignees WHERE task_id = $1 \
             AND EXISTS (SELECT 1 FROM tasks WHERE id = $1 AND workspace_id = $2)",
            task,
            workspace
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        let done = sqlx::query!(
            "DELETE FROM tasks WHERE id = $1 AND workspace_id = $2",
            task,
            workspace
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound);
        }
        self.log_change(scope, Entity::Task, task_id, ChangeOp::Delete)
            .await
    }
}
