//! The write transaction (READ COMMITTED). Methods that change an entity append its change-log
//! row themselves.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Postgres};
use stint_domain::{EntrySource, EntryStatus, Segment, TaskStatus, TimerHead};
use stint_storage::{
    parse_stored, ChangeOp, DeviceRecord, Entity, EntryRecord, MembershipRecord, MutationOutcome,
    MutationRecord, NewTask, ProjectRecord, Reason, RecordedMutation, Result, StorageError,
    TimerRecord, TokenRecord, Transaction, UserRecord, WorkspaceScope,
};
use uuid::Uuid;

use crate::convert::storage_error;

/// Change-log rows and mutation records are kept here and written at commit, one statement
/// each, instead of one round trip per row: a pushed batch is mostly round trips.
pub struct PostgresTransaction {
    tx: sqlx::Transaction<'static, Postgres>,
    /// (workspace, entity, id, op, owner)
    changes: Vec<(Uuid, Entity, Uuid, ChangeOp, Option<Uuid>)>,
    /// (workspace, record)
    mutations: Vec<(Uuid, MutationRecord)>,
    /// How many changes and mutations were kept when the savepoint was taken: a rollback to it
    /// forgets the ones after.
    savepoint: Option<(usize, usize)>,
}

impl PostgresTransaction {
    pub fn new(tx: sqlx::Transaction<'static, Postgres>) -> PostgresTransaction {
        PostgresTransaction {
            tx,
            changes: Vec::new(),
            mutations: Vec::new(),
            savepoint: None,
        }
    }
}

/// An `entries` row as read.
pub struct EntryRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub task_id: Uuid,
    pub timer_id: Option<Uuid>,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub duration_secs: i64,
    pub status: String,
    pub source: String,
    pub description: String,
}

pub fn entry_record(row: EntryRow) -> Result<EntryRecord> {
    Ok(EntryRecord {
        id: row.id,
        user_id: row.user_id,
        task_id: row.task_id,
        timer_id: row.timer_id,
        started_at: row.started_at,
        ended_at: row.ended_at,
        duration_secs: row.duration_secs,
        status: parse_stored(&row.status, EntryStatus::parse, "entry status")?,
        source: parse_stored(&row.source, EntrySource::parse, "entry source")?,
        description: row.description,
    })
}

/// A `timers` row as read.
pub struct TimerRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub task_id: Uuid,
    pub state: String,
    pub started_at: DateTime<Utc>,
    pub closed_millis: i64,
    pub segment_count: i64,
    pub last_start: DateTime<Utc>,
    pub last_end: Option<DateTime<Utc>>,
}

pub fn timer_record(row: TimerRow) -> Result<TimerRecord> {
    let stopped = TimerRecord::is_stopped(&row.state)?;
    Ok(TimerRecord {
        id: row.id,
        user_id: row.user_id,
        task_id: row.task_id,
        head: TimerHead {
            started_at: row.started_at,
            closed_millis: row.closed_millis,
            segment_count: u32::try_from(row.segment_count)
                .map_err(|_| StorageError::Corrupt("segment count".into()))?,
            last: Segment {
                start: row.last_start,
                end: row.last_end,
            },
        },
        stopped,
    })
}

impl PostgresTransaction {
    fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
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

    /// A statement without parameters or rows (savepoints).
    async fn execute(&mut self, sql: &'static str) -> Result<()> {
        sqlx::query(sql)
            .execute(self.conn())
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
        Ok(done.rows_affected() > 0)
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
    async fn insert_membership(&mut self, membership: &MembershipRecord) -> Result<()> {
        let workspace = membership.workspace_id;
        let user = membership.user_id;
        sqlx::query!(
            "INSERT INTO memberships (workspace_id, user_id, role) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
            workspace,
            user,
            membership.role
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
        let (device, user) = (token.device_id, token.user_id);
        let (created, expires) = (token.created_at, token.expires_at);
        sqlx::query!(
            "INSERT INTO tokens (hash, device_id, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
            token.hash,
            device,
            user,
            created,
            expires
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn savepoint(&mut self) -> Result<()> {
        self.execute("SAVEPOINT mutation").await?;
        self.savepoint = Some((self.changes.len(), self.mutations.len()));
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn rollback_to_savepoint(&mut self) -> Result<()> {
        self.execute("ROLLBACK TO SAVEPOINT mutation").await?;
        self.execute("RELEASE SAVEPOINT mutation").await?;
        if let Some((changes, mutations)) = self.savepoint.take() {
            self.changes.truncate(changes);
            self.mutations.truncate(mutations);
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn release_savepoint(&mut self) -> Result<()> {
        self.savepoint = None;
        self.execute("RELEASE SAVEPOINT mutation").await
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
    async fn record_mutation(
        &mut self,
        scope: &WorkspaceScope,
        mutation: &MutationRecord,
    ) -> Result<()> {
        self.mutations
            .push((scope.workspace_id(), mutation.clone()));
        Ok(())
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
    async fn task_status(
        &mut self,
        scope: &WorkspaceScope,
        task_id: Uuid,
    ) -> Result<Option<TaskStatus>> {
        let (task, workspace) = (task_id, scope.workspace_id());
        let status = sqlx::query_scalar!(
            "SELECT status FROM tasks WHERE id = $1 AND workspace_id = $2",
            task,
            workspace
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        status
            .map(|s| parse_stored(&s, TaskStatus::parse, "task status"))
            .transpose()
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
    async fn timer_id_taken(&mut self, timer_id: Uuid) -> Result<bool> {
        let found = sqlx::query_scalar!(
            r#"SELECT id AS "found!" FROM timers WHERE id = $1"#,
            timer_id
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(found.is_some())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn entry_id_taken(&mut self, entry_id: Uuid) -> Result<bool> {
        let found = sqlx::query_scalar!(
            r#"SELECT id AS "found!" FROM entries WHERE id = $1"#,
            entry_id
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(found.is_some())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn own_timer(
        &mut self,
        scope: &WorkspaceScope,
        timer_id: Uuid,
    ) -> Result<Option<TimerRecord>> {
        let (id, workspace) = (timer_id, scope.workspace_id());
        let user = scope.user_id();
        let row = sqlx::query_as!(
            TimerRow,
            "SELECT id, user_id, task_id, state, started_at, closed_millis, segment_count, \
                    last_start, last_end \
             FROM timers WHERE id = $1 AND workspace_id = $2 AND user_id = $3",
            id,
            workspace,
            user
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        row.map(timer_record).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn own_active_timer(&mut self, scope: &WorkspaceScope) -> Result<Option<TimerRecord>> {
        let workspace = scope.workspace_id();
        let user = scope.user_id();
        let row = sqlx::query_as!(
            TimerRow,
            "SELECT id, user_id, task_id, state, started_at, closed_millis, segment_count, \
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
    async fn next_timer_start(
        &mut self,
        scope: &WorkspaceScope,
        at: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        sqlx::query_scalar!(
            "SELECT min(started_at) FROM timers \
             WHERE workspace_id = $1 AND user_id = $2 AND started_at > $3",
            scope.workspace_id(),
            scope.user_id(),
            at
        )
        .fetch_one(self.conn())
        .await
        .map_err(storage_error)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn own_entry(
        &mut self,
        scope: &WorkspaceScope,
        entry_id: Uuid,
    ) -> Result<Option<EntryRecord>> {
        let row = sqlx::query_as!(
            EntryRow,
            "SELECT id, user_id, task_id, timer_id, started_at, ended_at, duration_secs, status, \
                    source, description \
             FROM entries WHERE id = $1 AND workspace_id = $2 AND user_id = $3",
            entry_id,
            scope.workspace_id(),
            scope.user_id()
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        row.map(entry_record).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn entry_of_timer(
        &mut self,
        scope: &WorkspaceScope,
        timer_id: Uuid,
    ) -> Result<Option<EntryRecord>> {
        let row = sqlx::query_as!(
            EntryRow,
            "SELECT id, user_id, task_id, timer_id, started_at, ended_at, duration_secs, status, \
                    source, description \
             FROM entries WHERE timer_id = $1 AND workspace_id = $2 AND user_id = $3",
            timer_id,
            scope.workspace_id(),
            scope.user_id()
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        row.map(entry_record).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_timer(&mut self, scope: &WorkspaceScope, timer: &TimerRecord) -> Result<()> {
        let (id, workspace) = (timer.id, scope.workspace_id());
        let (user, task) = (scope.user_id(), timer.task_id);
        let state = timer.state_name();
        let head = &timer.head;
        let started = head.started_at;
        let count = i64::from(head.segment_count);
        let last_start = head.last.start;
        let last_end = head.last.end;
        // The timer and its first segment in one round trip; no row when the task is not in the
        // workspace.
        let done = sqlx::query!(
            "WITH timer AS ( \
                 INSERT INTO timers (id, workspace_id, user_id, task_id, state, started_at, \
                                     closed_millis, segment_count, last_start, last_end) \
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 \
                 WHERE EXISTS (SELECT 1 FROM tasks WHERE id = $4 AND workspace_id = $2) \
                 RETURNING id \
             ) \
             INSERT INTO timer_segments (timer_id, n, started_at, ended_at) \
             SELECT id, $8, $9, $10 FROM timer",
            id,
            workspace,
            user,
            task,
            state,
            started,
            head.closed_millis,
            count,
            last_start,
            last_end
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound);
        }
        self.log_change(scope, Entity::Timer, timer.id, ChangeOp::Upsert)
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn update_timer(&mut self, scope: &WorkspaceScope, timer: &TimerRecord) -> Result<()> {
        let (id, workspace) = (timer.id, scope.workspace_id());
        let user = scope.user_id();
        let state = timer.state_name();
        let head = &timer.head;
        let count = i64::from(head.segment_count);
        let last_start = head.last.start;
        let last_end = head.last.end;
        // The head and its last segment in one round trip; no row when the timer is not the
        // scope's user's.
        let done = sqlx::query!(
            "WITH timer AS ( \
                 UPDATE timers SET state = $1, closed_millis = $2, segment_count = $3, \
                                   last_start = $4, last_end = $5 \
                 WHERE id = $6 AND workspace_id = $7 AND user_id = $8 RETURNING id \
             ) \
             INSERT INTO timer_segments (timer_id, n, started_at, ended_at) \
             SELECT id, $3, $4, $5 FROM timer \
             ON CONFLICT (timer_id, n) DO UPDATE SET ended_at = excluded.ended_at",
            state,
            head.closed_millis,
            count,
            last_start,
            last_end,
            id,
            workspace,
            user
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound);
        }
        self.log_change(scope, Entity::Timer, timer.id, ChangeOp::Upsert)
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_entry(&mut self, scope: &WorkspaceScope, entry: &EntryRecord) -> Result<()> {
        let (id, workspace) = (entry.id, scope.workspace_id());
        let (user, task) = (scope.user_id(), entry.task_id);
        let timer = entry.timer_id;
        let (started, ended) = (entry.started_at, entry.ended_at);
        let (status, source) = (entry.status.as_str(), entry.source.as_str());
        let done = sqlx::query!(
            "INSERT INTO entries (id, workspace_id, user_id, task_id, timer_id, started_at, \
                                  ended_at, duration_secs, status, source, description) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 \
             WHERE EXISTS (SELECT 1 FROM tasks WHERE id = $4 AND workspace_id = $2)",
            id,
            workspace,
            user,
            task,
            timer,
            started,
            ended,
            entry.duration_secs,
            status,
            source,
            entry.description
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound);
        }
        self.log_change(scope, Entity::Entry, entry.id, ChangeOp::Upsert)
            .await
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
