//! Stint's workspace storage on SQLite: one file, zero set-up.
//!
//! Concurrency: one writer connection, each write transaction opened with `BEGIN IMMEDIATE` so
//! it holds the write lock from its first statement (a deferred transaction that reads first
//! fails with "database is locked" when it tries to write); readers use their own connections
//! and never wait for the writer (WAL). A busy timeout covers another process holding the lock
//! (`stint-server demo` while serving). `synchronous = FULL`: a commit acknowledged to a device
//! survives a power cut, which WAL's `NORMAL` does not promise.
//!
//! Queries are checked at compile time against `migrations/` (offline metadata in `.sqlx/`,
//! refreshed by `cargo xtask sqlx-prepare`).

mod convert;
mod reads;
mod rows;
mod transaction;

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use stint_storage::{
    may, ActivityRecord, Capability, ChangePage, CurrentEpoch, EntryQuery, EntryRecord,
    GroupRecord, InstanceEvents, InvitationRecord, MemberFiltersRecord, MemberRecord,
    MembershipRecord, ProjectRecord, Result, RoleRecord, RunawayTimer, SignedInDevice, Storage,
    TaskRecord, TeamRecord, TimerRecord, TimerStopRecord, TimerWithSegments, TokenRecord,
    Transaction, UserRecord, Visibility, WorkspaceRecord, WorkspaceScope,
};
use uuid::Uuid;

use crate::convert::storage_error;

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How long a write waits for another process's write lock before answering `Busy`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Readers beside the one writer.
const READERS: u32 = 4;

pub struct SqliteStorage {
    writer: SqlitePool,
    reader: SqlitePool,
    epoch: CurrentEpoch,
}

impl SqliteStorage {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<SqliteStorage> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        // sqlx pings every connection it hands out, a trip to the connection's thread and back
        // before each transaction; a connection to a local file has nothing to check.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await
            .map_err(storage_error)?;
        MIGRATIONS
            .run(&writer)
            .await
            .map_err(|e| stint_storage::StorageError::Other(format!("migrating: {e}")))?;
        let reader = SqlitePoolOptions::new()
            .max_connections(READERS)
            .test_before_acquire(false)
            .connect_with(options.read_only(true))
            .await
            .map_err(storage_error)?;
        let epoch = CurrentEpoch::new(open_epoch(&writer).await?);
        Ok(SqliteStorage {
            writer,
            reader,
            epoch,
        })
    }
}

/// Opens a new epoch at the newest change: see `reads::cursor_valid`.
async fn open_epoch(writer: &SqlitePool) -> Result<Uuid> {
    let epoch = Uuid::now_v7();
    let (id, now) = (epoch.to_string(), chrono::Utc::now().timestamp_millis());
    sqlx::query!(
        "INSERT INTO epochs (id, first_position, started_at) \
         SELECT $1, coalesce(max(change_no), 0), $2 FROM changes",
        id,
        now
    )
    .execute(writer)
    .await
    .map_err(storage_error)?;
    Ok(epoch)
}

#[async_trait]
impl Storage for SqliteStorage {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn begin(&self) -> Result<Box<dyn Transaction>> {
        let tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(storage_error)?;
        Ok(Box::new(transaction::SqliteTransaction { tx }))
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>> {
        reads::user_by_email(&self.reader, email).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn token(&self, token_hash: &str) -> Result<Option<TokenRecord>> {
        reads::token(&self.reader, token_hash).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn personal_tokens(&self, user_id: Uuid) -> Result<Vec<TokenRecord>> {
        reads::personal_tokens(&self.reader, user_id).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn devices_of(
        &self,
        user_id: Uuid,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<SignedInDevice>> {
        reads::devices_of(&self.reader, user_id, now).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn delete_token(&self, token_hash: &str) -> Result<()> {
        // One statement: autocommit on the writer takes the lock for just that.
        sqlx::query!("DELETE FROM tokens WHERE hash = $1", token_hash)
            .execute(&self.writer)
            .await
            .map_err(storage_error)?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn memberships_of(&self, user_id: Uuid) -> Result<Vec<MembershipRecord>> {
        reads::memberships(&self.reader, user_id, None).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn membership(
        &self,
        user_id: Uuid,
        workspace_id: Uuid,
    ) -> Result<Option<MembershipRecord>> {
        Ok(
            reads::memberships(&self.reader, user_id, Some(workspace_id))
                .await?
                .pop(),
        )
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn roles(
        &self,
        settings: Capability<'_, may::ChangeSettings>,
    ) -> Result<Vec<RoleRecord>> {
        reads::roles(&self.reader, settings.scope()).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn open_invitation(
        &self,
        token_hash: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<InvitationRecord>> {
        reads::open_invitation(&self.reader, token_hash, now).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn invitations(
        &self,
        settings: Capability<'_, may::ChangeSettings>,
    ) -> Result<Vec<InvitationRecord>> {
        reads::invitations(&self.reader, settings.scope()).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn members(
        &self,
        settings: Capability<'_, may::ChangeSettings>,
    ) -> Result<Vec<MemberRecord>> {
        reads::members(&self.reader, settings.scope()).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn entry_activity(
        &self,
        visibility: &Visibility<'_>,
        entry_id: Uuid,
    ) -> Result<Vec<ActivityRecord>> {
        reads::entry_activity(&self.reader, visibility, entry_id).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn groups(&self, scope: &WorkspaceScope) -> Result<Vec<GroupRecord>> {
        reads::groups(&self.reader, scope).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn member_filters(
        &self,
        scope: &WorkspaceScope,
        user_id: Uuid,
    ) -> Result<Option<MemberFiltersRecord>> {
        reads::member_filters(&self.reader, scope, user_id).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn visible_entries(
        &self,
        visibility: &Visibility<'_>,
        query: &EntryQuery,
    ) -> Result<Vec<EntryRecord>> {
        reads::visible_entries(&self.reader, visibility, query).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn workspace(&self, scope: &WorkspaceScope) -> Result<WorkspaceRecord> {
        reads::workspace(&self.reader, scope).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn time_settings(
        &self,
        scope: &WorkspaceScope,
    ) -> Result<Option<stint_domain::TimeSettings>> {
        reads::time_settings(&self.reader, scope.workspace_id()).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn teams(
        &self,
        scope: &WorkspaceScope,
        team_id: Option<Uuid>,
    ) -> Result<Vec<TeamRecord>> {
        reads::teams(&self.reader, scope, team_id).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn tasks(&self, scope: &WorkspaceScope, ids: Option<&[Uuid]>) -> Result<Vec<TaskRecord>> {
        reads::tasks(&self.reader, scope, ids).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn my_team_ids(&self, scope: &WorkspaceScope) -> Result<Vec<Uuid>> {
        reads::my_team_ids(&self.reader, scope).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn projects(&self, scope: &WorkspaceScope) -> Result<Vec<ProjectRecord>> {
        reads::projects(&self.reader, scope).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn task_totals(
        &self,
        visibility: &Visibility<'_>,
        query: &EntryQuery,
    ) -> Result<Vec<(Uuid, i64)>> {
        reads::task_totals(&self.reader, visibility, query).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn recent_tasks(&self, scope: &WorkspaceScope, limit: usize) -> Result<Vec<Uuid>> {
        reads::recent_tasks(&self.reader, scope, limit).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn own_entries(&self, scope: &WorkspaceScope, ids: &[Uuid]) -> Result<Vec<EntryRecord>> {
        reads::own_entries(&self.reader, scope, ids).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn active_timer(&self, scope: &WorkspaceScope) -> Result<Option<TimerWithSegments>> {
        reads::active_timer(&self.reader, scope).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn last_timer_stop(&self, scope: &WorkspaceScope) -> Result<Option<TimerStopRecord>> {
        reads::last_timer_stop(&self.reader, scope).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn running_timers(
        &self,
        settings: Capability<'_, may::ChangeSettings>,
    ) -> Result<Vec<TimerRecord>> {
        reads::running_timers(&self.reader, settings.scope()).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn runaway_timers(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> Result<Vec<RunawayTimer>> {
        reads::runaway_timers(&self.reader, now, limit).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn epoch(&self) -> Result<Uuid> {
        if let Some(epoch) = self.epoch.fresh() {
            return Ok(epoch);
        }
        let epoch = open_epoch(&self.writer).await?;
        self.epoch.replace(epoch);
        Ok(epoch)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn cursor_valid(&self, epoch: Uuid, position: i64) -> Result<bool> {
        reads::cursor_valid(&self.reader, epoch, position).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn head_position(&self) -> Result<i64> {
        // One writer commits changes in number order: all up to the newest are in the tables.
        reads::newest_change(&self.reader).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn changes_since(
        &self,
        scope: &WorkspaceScope,
        position: i64,
        limit: usize,
    ) -> Result<ChangePage> {
        reads::changes_since(&self.reader, scope, position, limit).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn tasks_page(
        &self,
        scope: &WorkspaceScope,
        after: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<TaskRecord>> {
        let ids = reads::task_ids_page(&self.reader, scope, after, limit).await?;
        if ids.is_empty() {
            return Ok(vec![]);
        }
        reads::tasks(&self.reader, scope, Some(&ids)).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn own_entries_page(
        &self,
        scope: &WorkspaceScope,
        after: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<EntryRecord>> {
        reads::own_entries_page(&self.reader, scope, after, limit).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn stream_seq(&self, scope: &WorkspaceScope, stream_id: Uuid) -> Result<i64> {
        Ok(reads::stream_seq(&self.reader, scope, stream_id)
            .await?
            .unwrap_or(0))
    }

    async fn notify_instances(&self, _payload: &str) -> Result<bool> {
        // One file, one server process: the caller delivers locally.
        Ok(false)
    }

    fn listen_instances(&self) -> Option<InstanceEvents> {
        None
    }
}
