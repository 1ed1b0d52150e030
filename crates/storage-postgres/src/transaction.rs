//! The write transaction (READ COMMITTED). Methods that change an entity append its change-log
//! row themselves.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Postgres};
use stint_domain::{DefaultRole, TaskStatus};
use stint_storage::{
    may, parse_stored, Capability, ChangeOp, DeviceRecord, Entity, EntryRecord, Held,
    InvitationRecord, MemberSettings, MutationOutcome, MutationRecord, NewTask, ProjectRecord,
    Reason, RecordedMutation, Result, RoleRecord, SegmentRecord, StorageError, TimerRecord,
    TokenRecord, Transaction, UserRecord, WorkspaceScope,
};
use uuid::Uuid;

use crate::convert::storage_error;
use crate::rows::{entry_record, held, timer_record, EntryRow, TimerRow};

/// Change-log rows and mutation records are kept here and written at commit, one statement
/// each, instead of one round trip per row: a pushed batch is mostly round trips.
pub struct PostgresTransaction {
    tx: sqlx::Transaction<'static, Postgres>,
    /// (workspace, entity, id, op, owner)
    changes: Vec<(Uuid, Entity, Uuid, ChangeOp, Option<Uuid>)>,
    /// (workspace, record)
    mutations: Vec<(Uuid, MutationRecord)>,
}

impl PostgresTransaction {
    pub fn new(tx: sqlx::Transaction<'static, Postgres>) -> PostgresTransaction {
        PostgresTransaction {
            tx,
            changes: Vec::new(),
            mutations: Vec::new(),
        }
    }
}

impl PostgresTransaction {
    fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

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

    async fn log_change(
        &mut self,
        scope: &WorkspaceScope,
        entity: Entity,
        entity_id: Uuid,
        op: ChangeOp,
    ) -> Result<()> {
        let owner = entity.owner(scope);
        self.changes
            .push((scope.workspace_id(), entity, entity_id, op, owner));
        Ok(())
    }

    /// Writes the kept change-log rows, in the order they were logged.
    async fn write_changes(&mut self) -> Result<()> {
        if self.changes.is_empty() {
            return Ok(());
        }
        let workspaces: Vec<Uuid> = self.changes.iter().map(|c| c.0).collect();
        let entities: Vec<&str> = self.changes.iter().map(|c| c.1.as_str()).collect();
        let ids: Vec<Uuid> = self.changes.iter().map(|c| c.2).collect();
        let ops: Vec<&str> = self.changes.iter().map(|c| c.3.as_str()).collect();
        let owners: Vec<Option<Uuid>> = self.changes.iter().map(|c| c.4).collect();
        sqlx::query!(
            "INSERT INTO changes (workspace_id, entity, entity_id, op, owner_id) \
             SELECT w, e, i, o, u \
             FROM UNNEST($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::uuid[]) \
                 WITH ORDINALITY AS c (w, e, i, o, u, n) \
             ORDER BY n",
            &workspaces,
            &entities as &[&str],
            &ids,
            &ops as &[&str],
            &owners as &[Option<Uuid>]
        )
        .execute(&mut *self.tx)
        .await
        .map_err(storage_error)?;
        Ok(())
    }

    async fn write_mutations(&mut self) -> Result<()> {
        if self.mutations.is_empty() {
            return Ok(());
        }
        let m = &self.mutations;
        let streams: Vec<Uuid> = m.iter().map(|(_, r)| r.stream_id).collect();
        let seqs: Vec<i64> = m.iter().map(|(_, r)| r.seq).collect();
        let workspaces: Vec<Uuid> = m.iter().map(|(workspace, _)| *workspace).collect();
        let fingerprints: Vec<&str> = m.iter().map(|(_, r)| r.fingerprint.as_str()).collect();
        let names: Vec<&str> = m.iter().map(|(_, r)| r.name.as_str()).collect();
        let args: Vec<serde_json::Value> = m.iter().map(|(_, r)| r.args.clone()).collect();
        let device_times: Vec<DateTime<Utc>> = m.iter().map(|(_, r)| r.device_time).collect();
        let outcomes: Vec<&str> = m.iter().map(|(_, r)| r.outcome.as_str()).collect();
        let reasons = || m.iter().map(|(_, r)| r.reason.as_ref());
        let codes: Vec<Option<&str>> = reasons().map(|r| r.map(|r| r.code.as_str())).collect();
        let messages: Vec<Option<&str>> =
            reasons().map(|r| r.map(|r| r.message.as_str())).collect();
        let details: Vec<Option<serde_json::Value>> = reasons()
            .map(|r| r.and_then(|r| r.details.clone()))
            .collect();
        let received: Vec<DateTime<Utc>> = m.iter().map(|(_, r)| r.received_at).collect();
        sqlx::query!(
            "INSERT INTO mutations (stream_id, seq, workspace_id, fingerprint, name, args, \
                                    device_time, outcome, reason_code, reason_message, \
                                    reason_details, received_at) \
             SELECT * FROM UNNEST($1::uuid[], $2::bigint[], $3::uuid[], $4::text[], $5::text[], \
                                  $6::jsonb[], $7::timestamptz[], $8::text[], $9::text[], \
                                  $10::text[], $11::jsonb[], $12::timestamptz[])",
            &streams,
            &seqs,
            &workspaces,
            &fingerprints as &[&str],
            &names as &[&str],
            &args,
            &device_times,
            &outcomes as &[&str],
            &codes as &[Option<&str>],
            &messages as &[Option<&str>],
            &details as &[Option<serde_json::Value>],
            &received
        )
        .execute(&mut *self.tx)
        .await
        .map_err(storage_error)?;
        Ok(())
    }
}

#[async_trait]
impl Transaction for PostgresTransaction {
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn commit(mut self: Box<Self>) -> Result<()> {
        self.write_changes().await?;
        self.write_mutations().await?;
        self.tx.commit().await.map_err(storage_error)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_workspace(&mut self, id: Uuid, name: &str, at: DateTime<Utc>) -> Result<bool> {
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

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn lock_stream(
        &mut self,
        scope: &WorkspaceScope,
        stream_id: Uuid,
    ) -> Result<Option<i64>> {
        sqlx::query!(
            "INSERT INTO streams (id, device_id, workspace_id, created_at) \
             VALUES ($1, $2, $3, now()) ON CONFLICT (id) DO NOTHING",
            stream_id,
            scope.device_id(),
            scope.workspace_id()
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        // Locked until commit: two pushes on one stream take turns instead of both applying
        // the same sequence numbers.
        sqlx::query_scalar!(
            "SELECT last_applied_seq FROM streams \
             WHERE id = $1 AND device_id = $2 AND workspace_id = $3 FOR NO KEY UPDATE",
            stream_id,
            scope.device_id(),
            scope.workspace_id()
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn set_stream_seq(&mut self, stream_id: Uuid, seq: i64) -> Result<()> {
        sqlx::query!(
            "UPDATE streams SET last_applied_seq = $1 WHERE id = $2",
            seq,
            stream_id
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
        let rows = sqlx::query!(
            "SELECT seq, fingerprint, outcome, reason_code, reason_message, reason_details \
             FROM mutations WHERE stream_id = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq",
            stream_id,
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
                    reason: row.reason_code.map(|code| Reason {
                        code,
                        message: row.reason_message.unwrap_or_default(),
                        details: row.reason_details,
                    }),
                })
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn lock_user_timers(&mut self, scope: &WorkspaceScope) -> Result<()> {
        // Two devices of one user starting timers at once would both see "no timer running" and
        // the second insert would break `one_active_timer`; this row lock makes them take turns.
        // Other users' writes do not wait.
        sqlx::query!(
            "SELECT user_id FROM memberships WHERE workspace_id = $1 AND user_id = $2 FOR UPDATE",
            scope.workspace_id(),
            scope.user_id()
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_project(
        &mut self,
        scope: &WorkspaceScope,
        project: &ProjectRecord,
    ) -> Result<bool> {
        let (id, workspace) = (project.id, scope.workspace_id());
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
        let (id, workspace) = (task.id, scope.workspace_id());
        let (project, status) = (task.project_id, task.status.as_str());
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
        // READ COMMITTED re-checks `status = from` after waiting for a concurrent writer.
        let done = sqlx::query!(
            "UPDATE tasks SET status = $1 WHERE id = $2 AND workspace_id = $3 AND status = $4",
            to.as_str(),
            task_id,
            scope.workspace_id(),
            from.as_str()
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
        let workspace = scope.workspace_id();
        let done = sqlx::query!(
            "INSERT INTO task_assignees (task_id, user_id) \
             SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM tasks WHERE id = $1 AND workspace_id = $3) \
                             AND EXISTS (SELECT 1 FROM memberships \
                                         WHERE workspace_id = $3 AND user_id = $2) \
             ON CONFLICT DO NOTHING",
            task_id,
            user_id,
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
        let workspace = scope.workspace_id();
        let user = scope.user_id();
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
        let workspace = scope.workspace_id();
        self.mutations
            .extend(mutations.iter().map(|m| (workspace, m.clone())));
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn task_statuses(
        &mut self,
        scope: &WorkspaceScope,
        ids: &[Uuid],
    ) -> Result<Vec<(Uuid, TaskStatus)>> {
        let rows = sqlx::query!(
            "SELECT id, status FROM tasks WHERE workspace_id = $1 AND id = ANY($2)",
            scope.workspace_id(),
            ids
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)?;
        rows.into_iter()
            .map(|row| {
                let status = parse_stored(&row.status, TaskStatus::parse, "task status")?;
                Ok((row.id, status))
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn timers_with_ids(
        &mut self,
        scope: &WorkspaceScope,
        ids: &[Uuid],
    ) -> Result<Vec<Held<TimerRecord>>> {
        let rows = sqlx::query_as!(
            TimerRow,
            "SELECT id, workspace_id, user_id, task_id, state, started_at, closed_millis, \
                    segment_count, last_start, last_end \
             FROM timers WHERE id = ANY($1)",
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
        sqlx::query_scalar!(
            "SELECT started_at FROM timers \
             WHERE workspace_id = $1 AND user_id = $2 AND started_at > $3",
            scope.workspace_id(),
            scope.user_id(),
            at
        )
        .fetch_all(self.conn())
        .await
        .map_err(storage_error)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn entries_with_ids(
        &mut self,
        scope: &WorkspaceScope,
        ids: &[Uuid],
    ) -> Result<Vec<Held<EntryRecord>>> {
        let rows = sqlx::query_as!(
            EntryRow,
            "SELECT id, workspace_id, user_id, task_id, timer_id, started_at, ended_at, \
                    duration_secs, status, source, description \
             FROM entries WHERE id = ANY($1)",
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
        let rows = sqlx::query_as!(
            EntryRow,
            "SELECT id, workspace_id, user_id, task_id, timer_id, started_at, ended_at, \
                    duration_secs, status, source, description \
             FROM entries WHERE timer_id = ANY($1)",
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
        if timers.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = timers.iter().map(|t| t.id).collect();
        let tasks: Vec<Uuid> = timers.iter().map(|t| t.task_id).collect();
        let states: Vec<&str> = timers.iter().map(|t| t.state_name()).collect();
        let started: Vec<DateTime<Utc>> = timers.iter().map(|t| t.head.started_at).collect();
        let closed: Vec<i64> = timers.iter().map(|t| t.head.closed_millis).collect();
        let counts: Vec<i64> = timers
            .iter()
            .map(|t| i64::from(t.head.segment_count))
            .collect();
        let last_starts: Vec<DateTime<Utc>> = timers.iter().map(|t| t.head.last.start).collect();
        let last_ends: Vec<Option<DateTime<Utc>>> =
            timers.iter().map(|t| t.head.last.end).collect();
        // A row of another user under the same id is not overwritten; it is counted as missing.
        let done = sqlx::query!(
            "INSERT INTO timers (id, workspace_id, user_id, task_id, state, started_at, \
                                 closed_millis, segment_count, last_start, last_end) \
             SELECT t.id, $1, $2, t.task, t.state, t.started, t.closed, t.count, t.ls, t.le \
             FROM UNNEST($3::uuid[], $4::uuid[], $5::text[], $6::timestamptz[], $7::bigint[], \
                         $8::bigint[], $9::timestamptz[], $10::timestamptz[]) \
                  WITH ORDINALITY AS t (id, task, state, started, closed, count, ls, le, n) \
             WHERE EXISTS (SELECT 1 FROM tasks WHERE id = t.task AND workspace_id = $1) \
             ORDER BY t.n \
             ON CONFLICT (id) DO UPDATE SET state = excluded.state, \
                 closed_millis = excluded.closed_millis, \
                 segment_count = excluded.segment_count, \
                 last_start = excluded.last_start, last_end = excluded.last_end \
             WHERE timers.workspace_id = excluded.workspace_id \
               AND timers.user_id = excluded.user_id",
            scope.workspace_id(),
            scope.user_id(),
            &ids,
            &tasks,
            &states as &[&str],
            &started,
            &closed,
            &counts,
            &last_starts,
            &last_ends as &[Option<DateTime<Utc>>]
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if done.rows_affected() != timers.len() as u64 {
            // Read a moment ago as free: another push took an id, or a task went.
            return Err(StorageError::Conflict {
                constraint: "a timer's id or task changed meanwhile".into(),
            });
        }
        let timer_ids: Vec<Uuid> = segments.iter().map(|s| s.timer_id).collect();
        let ns: Vec<i64> = segments.iter().map(|s| i64::from(s.n)).collect();
        let starts: Vec<DateTime<Utc>> = segments.iter().map(|s| s.segment.start).collect();
        let ends: Vec<Option<DateTime<Utc>>> = segments.iter().map(|s| s.segment.end).collect();
        sqlx::query!(
            "INSERT INTO timer_segments (timer_id, n, started_at, ended_at) \
             SELECT * FROM UNNEST($1::uuid[], $2::bigint[], $3::timestamptz[], \
                                  $4::timestamptz[]) \
             ON CONFLICT (timer_id, n) DO UPDATE SET ended_at = excluded.ended_at",
            &timer_ids,
            &ns,
            &starts,
            &ends as &[Option<DateTime<Utc>>]
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        for id in ids {
            self.log_change(scope, Entity::Timer, id, ChangeOp::Upsert)
                .await?;
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_entries(
        &mut self,
        scope: &WorkspaceScope,
        entries: &[EntryRecord],
    ) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = entries.iter().map(|e| e.id).collect();
        let tasks: Vec<Uuid> = entries.iter().map(|e| e.task_id).collect();
        let timers: Vec<Option<Uuid>> = entries.iter().map(|e| e.timer_id).collect();
        let started: Vec<DateTime<Utc>> = entries.iter().map(|e| e.started_at).collect();
        let ended: Vec<DateTime<Utc>> = entries.iter().map(|e| e.ended_at).collect();
        let durations: Vec<i64> = entries.iter().map(|e| e.duration_secs).collect();
        let statuses: Vec<&str> = entries.iter().map(|e| e.status.as_str()).collect();
        let sources: Vec<&str> = entries.iter().map(|e| e.source.as_str()).collect();
        let descriptions: Vec<&str> = entries.iter().map(|e| e.description.as_str()).collect();
        let done = sqlx::query!(
            "INSERT INTO entries (id, workspace_id, user_id, task_id, timer_id, started_at, \
                                  ended_at, duration_secs, status, source, description) \
             SELECT e.id, $1, $2, e.task, e.timer, e.started, e.ended, e.duration, e.status, \
                    e.source, e.description \
             FROM UNNEST($3::uuid[], $4::uuid[], $5::uuid[], $6::timestamptz[], \
                         $7::timestamptz[], $8::bigint[], $9::text[], $10::text[], $11::text[]) \
                  AS e (id, task, timer, started, ended, duration, status, source, description) \
             WHERE EXISTS (SELECT 1 FROM tasks WHERE id = e.task AND workspace_id = $1)",
            scope.workspace_id(),
            scope.user_id(),
            &ids,
            &tasks,
            &timers as &[Option<Uuid>],
            &started,
            &ended,
            &durations,
            &statuses as &[&str],
            &sources as &[&str],
            &descriptions as &[&str]
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if done.rows_affected() != entries.len() as u64 {
            return Err(StorageError::Conflict {
                constraint: "an entry's task was deleted meanwhile".into(),
            });
        }
        for id in ids {
            self.log_change(scope, Entity::Entry, id, ChangeOp::Upsert)
                .await?;
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_role(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        role: &RoleRecord,
    ) -> Result<bool> {
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
    async fn accept_invitation(&mut self, invitation_id: Uuid, now: DateTime<Utc>) -> Result<bool> {
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

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn delete_task(&mut self, scope: &WorkspaceScope, task_id: Uuid) -> Result<()> {
        let (task, workspace) = (task_id, scope.workspace_id());
        // Checked first, so a refused delete leaves everything as it was (assignees included).
        let in_use = sqlx::query_scalar!(
            "SELECT EXISTS (SELECT 1 FROM timers WHERE task_id = $1) \
                 OR EXISTS (SELECT 1 FROM entries WHERE task_id = $1) AS \"in_use!\"",
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
