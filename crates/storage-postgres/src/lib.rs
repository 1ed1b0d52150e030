//! Stint's workspace storage on PostgreSQL, for deployments that outgrow one machine: native
//! `uuid` and `timestamptz` columns, a pool of connections sized by the operator, a change log
//! that needs no row every writer waits on (see `changes_since`), and per-user row locks where
//! T1 needs them. Queries are checked at compile time against `migrations/` (offline metadata in
//! `.sqlx/`, refreshed by `cargo xtask sqlx-prepare`).

mod convert;
mod instances;
mod reads;
mod rls;
mod rows;
mod transaction;

use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, Executor, PgConnection, PgPool};
use stint_storage::{
    may, ActivityRecord, Capability, ChangePage, CurrentEpoch, EntryQuery, EntryRecord,
    GroupRecord, InstanceEvents, InvitationRecord, MemberFiltersRecord, MemberRecord,
    MembershipRecord, ProjectRecord, Result, RoleRecord, RunawayTimer, SignedInDevice, Storage,
    StorageError, TaskRecord, TeamRecord, TimerRecord, TimerStopRecord, TimerWithSegments,
    TokenRecord, Transaction, UserRecord, Visibility, WorkspaceRecord, WorkspaceScope,
};
use uuid::Uuid;

use crate::convert::storage_error;

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub struct PostgresStorage {
    pool: PgPool,
    /// For what only the tables' owner may do (`refresh_statistics`).
    owner: PgConnectOptions,
    epoch: CurrentEpoch,
}

impl PostgresStorage {
    /// Connects with up to `max_connections` connections and brings the schema up to date.
    pub async fn connect(url: &str, max_connections: u32) -> Result<PostgresStorage> {
        let options: PgConnectOptions = url
            .parse()
            .map_err(|e| StorageError::Other(format!("database URL: {e}")))?;
        // The rules rely on READ COMMITTED (a statement sees what committed while it waited for
        // a lock), whatever the database's default; a lock held too long answers "busy" rather
        // than holding a pooled connection for ever.
        let options = options.options([
            // The value travels in a space-separated option string: its space is escaped.
            ("default_transaction_isolation", "read\\ committed"),
            ("lock_timeout", "10s"),
        ]);
        // Migrations run as the connecting user, who owns the tables; the server itself acts
        // as `stint_app`, subject to row level security even when that user is a superuser.
        let mut owner = PgConnection::connect_with(&options)
            .await
            .map_err(storage_error)?;
        MIGRATIONS
            .run(&mut owner)
            .await
            .map_err(|e| StorageError::Other(format!("migrating: {e}")))?;
        owner.close().await.map_err(storage_error)?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            // sqlx pings every connection it hands out: one more round trip before each
            // transaction (three for a small push). Only one that sat idle is checked first:
            // after a restart (which takes longer) the connections that were idle when it began
            // are found and replaced. One dropped within 100 ms of its last use and taken again
            // within 100 ms after fails its request once (503 `busy`; a push retries it).
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for > IDLE_BEFORE_PING {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(rls::SET_APP_ROLE).await?;
                    Ok(())
                })
            })
            .connect_with(options.clone())
            .await
            .map_err(storage_error)?;
        let epoch = CurrentEpoch::new(open_epoch(&pool).await?);
        Ok(PostgresStorage {
            pool,
            owner: options,
            epoch,
        })
    }
}

/// How long a pooled connection may sit unused before it is checked before its next use.
const IDLE_BEFORE_PING: Duration = Duration::from_millis(100);

/// Each instance opens epochs of its own; cursors of any epoch this database knows are valid
/// (see `reads::cursor_valid`).
async fn open_epoch(pool: &PgPool) -> Result<Uuid> {
    let epoch = Uuid::now_v7();
    let first_position = reads::horizon(pool).await?;
    sqlx::query!(
        "INSERT INTO epochs (id, first_position, started_at) VALUES ($1, $2, now())",
        epoch,
        first_position
    )
    .execute(pool)
    .await
    .map_err(storage_error)?;
    Ok(epoch)
}

#[async_trait]
impl Storage for PostgresStorage {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    /// Without statistics, a workspace's rows look few to the planner, and it answers a lookup
    /// by id through the workspace's index (row level security's condition), which reads all of
    /// them: 5 ms instead of 0.05 ms at 130,000 entries.
    async fn refresh_statistics(&self) -> Result<()> {
        let mut owner = PgConnection::connect_with(&self.owner)
            .await
            .map_err(storage_error)?;
        owner.execute("ANALYZE").await.map_err(storage_error)?;
        owner.close().await.map_err(storage_error)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn begin(&self) -> Result<Box<dyn Transaction>> {
        let tx = self.pool.begin().await.map_err(storage_error)?;
        Ok(Box::new(transaction::PostgresTransaction::new(tx, None)))
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn begin_in(&self, scope: &WorkspaceScope) -> Result<Box<dyn Transaction>> {
        let workspace_id = scope.workspace_id();
        let tx = rls::begin_in(&self.pool, "BEGIN", workspace_id).await?;
        Ok(Box::new(transaction::PostgresTransaction::new(
            tx,
            Some(workspace_id),
        )))
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>> {
        reads::user_by_email(&self.pool, email).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn token(&self, token_hash: &str) -> Result<Option<TokenRecord>> {
        reads::token(&self.pool, token_hash).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn personal_tokens(&self, user_id: Uuid) -> Result<Vec<TokenRecord>> {
        reads::personal_tokens(&self.pool, user_id).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn devices_of(
        &self,
        user_id: Uuid,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<SignedInDevice>> {
        reads::devices_of(&self.pool, user_id, now).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn delete_token(&self, token_hash: &str) -> Result<()> {
        sqlx::query!("DELETE FROM tokens WHERE hash = $1", token_hash)
            .execute(&self.pool)
            .await
            .map_err(storage_error)?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn memberships_of(&self, user_id: Uuid) -> Result<Vec<MembershipRecord>> {
        reads::memberships(&self.pool, user_id, None).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn membership(
        &self,
        user_id: Uuid,
        workspace_id: Uuid,
    ) -> Result<Option<MembershipRecord>> {
        Ok(reads::memberships(&self.pool, user_id, Some(workspace_id))
            .await?
            .pop())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn roles(
        &self,
        settings: Capability<'_, may::ChangeSettings>,
    ) -> Result<Vec<RoleRecord>> {
        reads::roles(&self.pool, settings.scope()).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn open_invitation(
        &self,
        token_hash: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<InvitationRecord>> {
        reads::open_invitation(&self.pool, token_hash, now).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn invitations(
        &self,
        settings: Capability<'_, may::ChangeSettings>,
    ) -> Result<Vec<InvitationRecord>> {
        reads::invitations(&self.pool, settings.scope()).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn members(
        &self,
        settings: Capability<'_, may::ChangeSettings>,
    ) -> Result<Vec<MemberRecord>> {
        reads::members(&self.pool, settings.scope()).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn entry_activity(
        &self,
        visibility: &Visibility<'_>,
        entry_id: Uuid,
    ) -> Result<Vec<ActivityRecord>> {
        reads::entry_activity(&self.pool, visibility, entry_id).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn groups(&self, scope: &WorkspaceScope) -> Result<Vec<GroupRecord>> {
        reads::groups(&self.pool, scope).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn member_filters(
        &self,
        scope: &WorkspaceScope,
        user_id: Uuid,
    ) -> Result<Option<MemberFiltersRecord>> {
        reads::member_filters(&self.pool, scope, user_id).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn visible_entries(
        &self,
        visibility: &Visibility<'_>,
        query: &EntryQuery,
    ) -> Result<Vec<EntryRecord>> {
        reads::visible_entries(&self.pool, visibility, query).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn workspace(&self, scope: &WorkspaceScope) -> Result<WorkspaceRecord> {
        reads::workspace(&self.pool, scope).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn time_settings(
        &self,
        scope: &WorkspaceScope,
    ) -> Result<Option<stint_domain::TimeSettings>> {
        let mut read = rls::read_in(&self.pool, scope.workspace_id()).await?;
        reads::time_settings(&mut read, scope.workspace_id()).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn teams(
        &self,
        scope: &WorkspaceScope,
        team_id: Option<Uuid>,
    ) -> Result<Vec<TeamRecord>> {
        reads::teams(&self.pool, scope, team_id).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn tasks(&self, scope: &WorkspaceScope, ids: Option<&[Uuid]>) -> Result<Vec<TaskRecord>> {
        reads::tasks(&self.pool, scope, ids).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn my_team_ids(&self, scope: &WorkspaceScope) -> Result<Vec<Uuid>> {
        reads::my_team_ids(&self.pool, scope).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn projects(&self, scope: &WorkspaceScope) -> Result<Vec<ProjectRecord>> {
        reads::projects(&self.pool, scope).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn task_totals(
        &self,
        visibility: &Visibility<'_>,
        query: &EntryQuery,
    ) -> Result<Vec<(Uuid, i64)>> {
        reads::task_totals(&self.pool, visibility, query).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn recent_tasks(&self, scope: &WorkspaceScope, limit: usize) -> Result<Vec<Uuid>> {
        reads::recent_tasks(&self.pool, scope, limit).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn own_entries(&self, scope: &WorkspaceScope, ids: &[Uuid]) -> Result<Vec<EntryRecord>> {
        reads::own_entries(&self.pool, scope, ids).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn active_timer(&self, scope: &WorkspaceScope) -> Result<Option<TimerWithSegments>> {
        reads::active_timer(&self.pool, scope).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn last_timer_stop(&self, scope: &WorkspaceScope) -> Result<Option<TimerStopRecord>> {
        reads::last_timer_stop(&self.pool, scope).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn running_timers(
        &self,
        settings: Capability<'_, may::ChangeSettings>,
    ) -> Result<Vec<TimerRecord>> {
        reads::running_timers(&self.pool, settings.scope()).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn runaway_timers(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> Result<Vec<RunawayTimer>> {
        reads::runaway_timers(&self.pool, now, limit).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn epoch(&self) -> Result<Uuid> {
        if let Some(epoch) = self.epoch.fresh() {
            return Ok(epoch);
        }
        let epoch = open_epoch(&self.pool).await?;
        self.epoch.replace(epoch);
        Ok(epoch)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn cursor_valid(&self, epoch: Uuid, position: i64) -> Result<bool> {
        reads::cursor_valid(&self.pool, epoch, position).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn head_position(&self) -> Result<i64> {
        reads::head_position(&self.pool).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn changes_since(
        &self,
        scope: &WorkspaceScope,
        position: i64,
        limit: usize,
    ) -> Result<ChangePage> {
        reads::changes_since(&self.pool, scope, position, limit).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn tasks_page(
        &self,
        scope: &WorkspaceScope,
        after: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<TaskRecord>> {
        let ids = reads::task_ids_page(&self.pool, scope, after, limit).await?;
        if ids.is_empty() {
            return Ok(vec![]);
        }
        reads::tasks(&self.pool, scope, Some(&ids)).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn own_entries_page(
        &self,
        scope: &WorkspaceScope,
        after: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<EntryRecord>> {
        reads::own_entries_page(&self.pool, scope, after, limit).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn stream_seq(&self, scope: &WorkspaceScope, stream_id: Uuid) -> Result<i64> {
        reads::stream_seq(&self.pool, scope, stream_id).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn notify_instances(&self, payload: &str) -> Result<bool> {
        instances::notify(&self.pool, payload).await?;
        Ok(true)
    }

    fn listen_instances(&self) -> Option<InstanceEvents> {
        Some(instances::listen(&self.pool))
    }
}
