//! The write transaction: every statement on the one writer connection, inside `BEGIN
//! IMMEDIATE`. Methods that change an entity append its change-log row themselves.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Sqlite, SqliteConnection};
use stint_domain::{EntrySource, EntryStatus, Segment, TaskStatus, TimerHead};
use stint_storage::{
    parse_stored, ChangeOp, DeviceRecord, Entity, EntryRecord, MembershipRecord, MutationOutcome,
    MutationRecord, NewTask, ProjectRecord, Reason, RecordedMutation, Result, StorageError,
    TimerRecord, TokenRecord, Transaction, UserRecord, WorkspaceScope,
};
use uuid::Uuid;

use crate::convert::{id, instant, millis, storage_error};

pub struct SqliteTransaction {
    pub tx: sqlx::Transaction<'static, Sqlite>,
}

/// A `timers` row as read.
pub struct TimerRow {
    pub id: String,
    pub user_id: String,
    pub task_id: String,
    pub state: String,
    pub started_at: i64,
    pub closed_millis: i64,
    pub segment_count: i64,
    pub last_start: i64,
    pub last_end: Option<i64>,
}

pub fn timer_record(row: TimerRow) -> Result<TimerRecord> {
    let stopped = TimerRecord::is_stopped(&row.state)?;
    Ok(TimerRecord {
        id: id(&row.id)?,
        user_id: id(&row.user_id)?,
        task_id: id(&row.task_id)?,
        head: TimerHead {
            started_at: instant(row.started_at)?,
            closed_millis: row.closed_millis,
            segment_count: u32::try_from(row.segment_count)
                .map_err(|_| StorageError::Corrupt("segment count".into()))?,
            last: Segment {
                start: instant(row.last_start)?,
                end: row.last_end.map(instant).transpose()?,
            },
        },
        stopped,
    })
}

/// An `entries` row as read.
pub struct EntryRow {
    pub id: String,
    pub user_id: String,
    pub task_id: String,
    pub timer_id: Option<String>,
    pub started_at: i64,
    pub ended_at: i64,
    pub duration_secs: i64,
    pub status: String,
    pub source: String,
    pub description: String,
}

pub fn entry_record(row: EntryRow) -> Result<EntryRecord> {
    Ok(EntryRecord {
        id: id(&row.id)?,
        user_id: id(&row.user_id)?,
        task_id: id(&row.task_id)?,
        timer_id: row.timer_id.as_deref().map(id).transpose()?,
        started_at: instant(row.started_at)?,
        ended_at: instant(row.ended_at)?,
        duration_secs: row.duration_secs,
        status: parse_stored(&row.status, EntryStatus::parse, "entry status")?,
        source: parse_stored(&row.source, EntrySource::parse, "entry source")?,
        description: row.description,
    })
}

/// A recorded reason from its three columns.
fn reason(
    code: Option<String>,
    message: Option<String>,
    details: Option<String>,
) -> Result<Option<Reason>> {
    let Some(code) = code else { return Ok(None) };
    let details = details
        .map(|text| serde_json::from_str(&text))
        .transpose()
        .map_err(|e| StorageError::Corrupt(format!("reason details: {e}")))?;
    Ok(Some(Reason {
        code,
        message: message.unwrap_or_default(),
        details,
    }))
}

impl SqliteTransaction {
    fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }

    /// A statement without parameters or rows (savepoints).
    async fn execute(&mut self, sql: &'static str) -> Result<()> {
        sqlx::query(sql)
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
}

#[async_trait]
impl Transaction for SqliteTransaction {
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn commit(self: Box<Self>) -> Result<()> {
        self.tx.commit().await.map_err(storage_error)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_workspace(&mut self, id: Uuid, name: &str, at: DateTime<Utc>) -> Result<bool> {
        let (id, at) = (id.to_string(), millis(at));
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
    async fn insert_membership(&mut self, membership: &MembershipRecord) -> Result<()> {
        let workspace = membership.workspace_id.to_string();
        let user = membership.user_id.to_string();
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
        let (device, user) = (token.device_id.to_string(), token.user_id.to_string());
        let (created, expires) = (millis(token.created_at), millis(token.expires_at));
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
        self.execute("SAVEPOINT mutation").await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn rollback_to_savepoint(&mut self) -> Result<()> {
        // ROLLBACK TO keeps the savepoint open; RELEASE closes it.
        self.execute("ROLLBACK TO SAVEPOINT mutation").await?;
        self.execute("RELEASE SAVEPOINT mutation").await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn release_savepoint(&mut self) -> Result<()> {
        self.execute("RELEASE SAVEPOINT mutation").await
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
    async fn record_mutation(
        &mut self,
        scope: &WorkspaceScope,
        mutation: &MutationRecord,
    ) -> Result<()> {
        let stream = mutation.stream_id.to_string();
        let workspace = scope.workspace_id().to_string();
        let args = mutation.args.to_string();
        let outcome = mutation.outcome.as_str();
        let reason = mutation.reason.as_ref();
        let code = reason.map(|r| r.code.as_str());
        let message = reason.map(|r| r.message.as_str());
        let details = reason
            .and_then(|r| r.details.as_ref())
            .map(|d| d.to_string());
        let (device_time, received) = (millis(mutation.device_time), millis(mutation.received_at));
        sqlx::query!(
            "INSERT INTO mutations (stream_id, seq, workspace_id, fingerprint, name, args, \
             device_time, outcome, reason_code, reason_message, \
             reason_details, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            stream,
            mutation.seq,
            workspace,
            mutation.fingerprint,
            mutation.name,
            args,
            device_time,
            outcome,
            code,
            message,
            details,
            received
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(())
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
    async fn task_status(
        &mut self,
        scope: &WorkspaceScope,
        task_id: Uuid,
    ) -> Result<Option<TaskStatus>> {
        let (task, workspace) = (task_id.to_string(), scope.workspace_id().to_string());
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
    async fn timer_id_taken(&mut self, timer_id: Uuid) -> Result<bool> {
        let id = timer_id.to_string();
        let found = sqlx::query_scalar!(r#"SELECT id AS "found!" FROM timers WHERE id = $1"#, id)
            .fetch_optional(self.conn())
            .await
            .map_err(storage_error)?;
        Ok(found.is_some())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn entry_id_taken(&mut self, entry_id: Uuid) -> Result<bool> {
        let id = entry_id.to_string();
        let found = sqlx::query_scalar!(r#"SELECT id AS "found!" FROM entries WHERE id = $1"#, id)
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
        let (id, workspace) = (timer_id.to_string(), scope.workspace_id().to_string());
        let user = scope.user_id().to_string();
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
        let workspace = scope.workspace_id().to_string();
        let user = scope.user_id().to_string();
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
        let (workspace, user) = (
            scope.workspace_id().to_string(),
            scope.user_id().to_string(),
        );
        let at = millis(at);
        let next = sqlx::query_scalar!(
            r#"SELECT min(started_at) AS "next: i64" FROM timers
               WHERE workspace_id = $1 AND user_id = $2 AND started_at > $3"#,
            workspace,
            user,
            at
        )
        .fetch_one(self.conn())
        .await
        .map_err(storage_error)?;
        next.map(instant).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn own_entry(
        &mut self,
        scope: &WorkspaceScope,
        entry_id: Uuid,
    ) -> Result<Option<EntryRecord>> {
        let (workspace, user) = (
            scope.workspace_id().to_string(),
            scope.user_id().to_string(),
        );
        let id = entry_id.to_string();
        let row = sqlx::query_as!(
            EntryRow,
            "SELECT id, user_id, task_id, timer_id, started_at, ended_at, duration_secs, status, \
                    source, description \
             FROM entries WHERE id = $1 AND workspace_id = $2 AND user_id = $3",
            id,
            workspace,
            user
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
        let (workspace, user) = (
            scope.workspace_id().to_string(),
            scope.user_id().to_string(),
        );
        let timer = timer_id.to_string();
        let row = sqlx::query_as!(
            EntryRow,
            "SELECT id, user_id, task_id, timer_id, started_at, ended_at, duration_secs, status, \
                    source, description \
             FROM entries WHERE timer_id = $1 AND workspace_id = $2 AND user_id = $3",
            timer,
            workspace,
            user
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
        row.map(entry_record).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_timer(&mut self, scope: &WorkspaceScope, timer: &TimerRecord) -> Result<()> {
        let (id, workspace) = (timer.id.to_string(), scope.workspace_id().to_string());
        let (user, task) = (scope.user_id().to_string(), timer.task_id.to_string());
        let state = timer.state_name();
        let head = &timer.head;
        let started = millis(head.started_at);
        let count = i64::from(head.segment_count);
        let last_start = millis(head.last.start);
        let last_end = head.last.end.map(millis);
        let done = sqlx::query!(
            "INSERT INTO timers (id, workspace_id, user_id, task_id, state, started_at, \
                                 closed_millis, segment_count, last_start, last_end) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 \
             WHERE EXISTS (SELECT 1 FROM tasks WHERE id = $4 AND workspace_id = $2)",
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
        sqlx::query!(
            "INSERT INTO timer_segments (timer_id, n, started_at, ended_at) VALUES ($1, $2, $3, $4)",
            id,
            count,
            last_start,
            last_end
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        self.log_change(scope, Entity::Timer, timer.id, ChangeOp::Upsert)
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn update_timer(&mut self, scope: &WorkspaceScope, timer: &TimerRecord) -> Result<()> {
        let (id, workspace) = (timer.id.to_string(), scope.workspace_id().to_string());
        let user = scope.user_id().to_string();
        let state = timer.state_name();
        let head = &timer.head;
        let count = i64::from(head.segment_count);
        let last_start = millis(head.last.start);
        let last_end = head.last.end.map(millis);
        let done = sqlx::query!(
            "UPDATE timers SET state = $1, closed_millis = $2, segment_count = $3, \
                               last_start = $4, last_end = $5 \
             WHERE id = $6 AND workspace_id = $7 AND user_id = $8",
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
        sqlx::query!(
            "INSERT INTO timer_segments (timer_id, n, started_at, ended_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (timer_id, n) DO UPDATE SET ended_at = excluded.ended_at",
            id,
            count,
            last_start,
            last_end
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        self.log_change(scope, Entity::Timer, timer.id, ChangeOp::Upsert)
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_entry(&mut self, scope: &WorkspaceScope, entry: &EntryRecord) -> Result<()> {
        let (id, workspace) = (entry.id.to_string(), scope.workspace_id().to_string());
        let (user, task) = (scope.user_id().to_string(), entry.task_id.to_string());
        let timer = entry.timer_id.map(|t| t.to_string());
        let (started, ended) = (millis(entry.started_at), millis(entry.ended_at));
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
