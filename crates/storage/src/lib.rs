//! The contract between the workspace server's rules (its `service` layer) and its databases.
//! Two implementations: `stint-storage-sqlite` (the default, one file) and
//! `stint-storage-postgres` (native `uuid`/`timestamptz`, several server instances). The server
//! picks one at start-up and holds it as `Arc<dyn Storage>`.
//!
//! Storage holds no business rules: it reads and writes what it is told, inside the caller's
//! transaction, and reports failures as `StorageError` (which knows nothing of HTTP). Every
//! function that touches workspace data takes a `WorkspaceScope`, never a raw workspace id.

mod error;
mod records;
mod scope;
mod transaction;

use async_trait::async_trait;
use uuid::Uuid;

pub use error::StorageError;
pub use records::*;
pub use scope::{may, Capability, Missing, Needs, TeamManagement, Visibility, WorkspaceScope};
pub use transaction::{
    AccountWrites, EntryWrites, GroupWrites, PeopleWrites, SettingsWrites, SyncWrites, TeamWrites,
    TimerWrites, Transaction, WorkWrites,
};

pub type Result<T> = std::result::Result<T, StorageError>;

/// What `listen_instances` hears.
pub type InstanceEvents = tokio::sync::mpsc::Receiver<FromInstances>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FromInstances {
    /// A payload some instance (this one included) sent with `notify_instances`.
    Payload(String),
    /// Listening (again) from now on: what was sent before — while connecting, or while the
    /// connection was down — was missed.
    Listening,
}

/// How long an epoch is handed out before a new one opens.
pub const EPOCH_LENGTH: std::time::Duration = std::time::Duration::from_secs(600);

/// The epoch a storage hands out now, and since when.
pub struct CurrentEpoch(std::sync::Mutex<(Uuid, std::time::Instant)>);

impl CurrentEpoch {
    pub fn new(id: Uuid) -> CurrentEpoch {
        CurrentEpoch(std::sync::Mutex::new((id, std::time::Instant::now())))
    }

    /// The epoch, unless it is due to be replaced.
    pub fn fresh(&self) -> Option<Uuid> {
        let (id, since) = *self.0.lock().unwrap_or_else(|p| p.into_inner());
        (since.elapsed() < EPOCH_LENGTH).then_some(id)
    }

    pub fn replace(&self, id: Uuid) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = (id, std::time::Instant::now());
    }
}

/// Reads outside a transaction, and the way into one.
#[async_trait]
pub trait Storage: Send + Sync + 'static {
    /// `sqlite` or `postgres`, for logs and health.
    fn backend(&self) -> &'static str;

    /// Starts a writing transaction. On SQLite it takes the write lock up front (`BEGIN
    /// IMMEDIATE`), so it cannot fail half-way for want of it; dropping it without `commit` rolls
    /// back.
    async fn begin(&self) -> Result<Box<dyn Transaction>>;

    /// `begin`, for a transaction that acts in the scope's workspace only: on PostgreSQL the
    /// workspace is named in the same round trip as `BEGIN` instead of at the first write.
    async fn begin_in(&self, _scope: &WorkspaceScope) -> Result<Box<dyn Transaction>> {
        self.begin().await
    }

    /// After a bulk load: the query planner's statistics are brought up to date, so it does not
    /// plan the next queries for the tables as they were (PostgreSQL's autovacuum would, within
    /// minutes). SQLite plans without gathered statistics here: nothing to do.
    async fn refresh_statistics(&self) -> Result<()> {
        Ok(())
    }

    // Sign-in: the narrow paths that cross workspaces.
    async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>>;
    async fn token(&self, token_hash: &str) -> Result<Option<TokenRecord>>;
    async fn delete_token(&self, token_hash: &str) -> Result<()>;
    /// The user's personal access tokens, newest first.
    async fn personal_tokens(&self, user_id: Uuid) -> Result<Vec<TokenRecord>>;
    /// The user's devices, newest first, each signed in while one of its tokens is unexpired
    /// at `now`.
    async fn devices_of(
        &self,
        user_id: Uuid,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<SignedInDevice>>;
    async fn memberships_of(&self, user_id: Uuid) -> Result<Vec<MembershipRecord>>;
    /// The invitation with this token hash that is neither accepted nor expired at `now`.
    async fn open_invitation(
        &self,
        token_hash: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<InvitationRecord>>;
    /// The user's active membership of the workspace, if any: what `policy` builds a scope
    /// from. (`memberships_of` lists active ones only, too.)
    async fn membership(
        &self,
        user_id: Uuid,
        workspace_id: Uuid,
    ) -> Result<Option<MembershipRecord>>;

    // Roles and people (P1): what changing them needs, `time:settings`, is also what reading
    // them needs.
    /// The workspace's roles, default ones first, then by name.
    async fn roles(&self, settings: Capability<'_, may::ChangeSettings>)
        -> Result<Vec<RoleRecord>>;
    /// The workspace's invitations not accepted yet (expired ones too), newest first.
    async fn invitations(
        &self,
        settings: Capability<'_, may::ChangeSettings>,
    ) -> Result<Vec<InvitationRecord>>;
    /// The workspace's members, by name, with the ids of the roles they hold.
    async fn members(
        &self,
        settings: Capability<'_, may::ChangeSettings>,
    ) -> Result<Vec<MemberRecord>>;

    /// An entry's activity feed, oldest first (E1). Read it only for an entry `visibility`
    /// shows its caller (the service checks with `visible_entries` first).
    async fn entry_activity(
        &self,
        visibility: &Visibility<'_>,
        entry_id: Uuid,
    ) -> Result<Vec<ActivityRecord>>;

    // Groups and filters (P3).
    /// The workspace's groups, by name.
    async fn groups(&self, scope: &WorkspaceScope) -> Result<Vec<GroupRecord>>;
    /// A member's group and filter settings; `None` for someone who is no member.
    async fn member_filters(
        &self,
        scope: &WorkspaceScope,
        user_id: Uuid,
    ) -> Result<Option<MemberFiltersRecord>>;

    // Workspaces and teams (P2).
    /// The scope's workspace.
    async fn workspace(&self, scope: &WorkspaceScope) -> Result<WorkspaceRecord>;
    /// The workspace's time settings (S); `None` until they are first made.
    async fn time_settings(
        &self,
        scope: &WorkspaceScope,
    ) -> Result<Option<stint_domain::TimeSettings>>;
    /// The workspace's teams by name, with their roles and members; only the one with this id
    /// when `team_id` is given.
    async fn teams(&self, scope: &WorkspaceScope, team_id: Option<Uuid>)
        -> Result<Vec<TeamRecord>>;

    /// The entries `visibility` lets its caller see that match `query`, newest first: the one
    /// read of other people's entries (P1, P4).
    async fn visible_entries(
        &self,
        visibility: &Visibility<'_>,
        query: &EntryQuery,
    ) -> Result<Vec<EntryRecord>>;

    // Workspace reads.
    /// The workspace's tasks; only those with these ids when `ids` is given.
    async fn tasks(&self, scope: &WorkspaceScope, ids: Option<&[Uuid]>) -> Result<Vec<TaskRecord>>;

    /// The teams the scope's user is a member of, by id.
    async fn my_team_ids(&self, scope: &WorkspaceScope) -> Result<Vec<Uuid>>;

    /// The workspace's projects, by name.
    async fn projects(&self, scope: &WorkspaceScope) -> Result<Vec<ProjectRecord>>;

    /// The seconds logged to each task in the entries `visible_entries` would list for `query`
    /// (its `entry_id` and `limit` aside); tasks without any are left out.
    async fn task_totals(
        &self,
        visibility: &Visibility<'_>,
        query: &EntryQuery,
    ) -> Result<Vec<(Uuid, i64)>>;

    /// The tasks the scope's user logged time to or ran a timer on, most recent first.
    async fn recent_tasks(&self, scope: &WorkspaceScope, limit: usize) -> Result<Vec<Uuid>>;

    /// The scope's user's entries with these ids (others' entries are not returned).
    async fn own_entries(&self, scope: &WorkspaceScope, ids: &[Uuid]) -> Result<Vec<EntryRecord>>;
    /// The scope's user's running or paused timer, with every segment.
    async fn active_timer(&self, scope: &WorkspaceScope) -> Result<Option<TimerWithSegments>>;
    /// The latest stop of the scope's user's timers that was not their own doing
    /// (`record_timer_stop`), if any.
    async fn last_timer_stop(&self, scope: &WorkspaceScope) -> Result<Option<TimerStopRecord>>;

    /// T6: everyone's running and paused timers in the workspace, the longest running first.
    async fn running_timers(
        &self,
        settings: Capability<'_, may::ChangeSettings>,
    ) -> Result<Vec<TimerRecord>>;

    /// T8: active members' running timers in any workspace that counted at least their
    /// workspace's *runaway timer hours* by `now`, where *runaway auto-stop* is on; at most
    /// `limit`, the earliest to reach it first.
    async fn runaway_timers(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> Result<Vec<RunawayTimer>>;
    /// The epoch cursors are handed out in. A storage opens one when it connects and a new one
    /// every `EPOCH_LENGTH`: a database restored from a backup does not know the epochs opened
    /// after the backup, so the cursors of that lost stretch are noticed (see `cursor_valid`).
    async fn epoch(&self) -> Result<Uuid>;
    /// Whether a cursor's position could have been handed out by this database in `epoch`. A
    /// restored backup forgets later epochs and later positions: the device re-bootstraps.
    async fn cursor_valid(&self, epoch: Uuid, position: i64) -> Result<bool>;
    /// The position a snapshot starts from: every change below it is in the tables now.
    async fn head_position(&self) -> Result<i64>;
    /// Up to about `limit` of the workspace's changes after `position` that the scope's user may
    /// see: shared things (projects, tasks) and their own timers and entries. See `ChangePage`.
    async fn changes_since(
        &self,
        scope: &WorkspaceScope,
        position: i64,
        limit: usize,
    ) -> Result<ChangePage>;
    /// The workspace's tasks with ids after `after`, by id: a page of a snapshot.
    async fn tasks_page(
        &self,
        scope: &WorkspaceScope,
        after: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<TaskRecord>>;
    /// The scope's user's entries with ids after `after`, by id: a page of a snapshot.
    async fn own_entries_page(
        &self,
        scope: &WorkspaceScope,
        after: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<EntryRecord>>;
    /// The last seq of the scope's device's stream the server applied or recorded; 0 for a
    /// stream it does not know (or that is not this device's in this workspace).
    async fn stream_seq(&self, scope: &WorkspaceScope, stream_id: Uuid) -> Result<i64>;

    // Live updates across server instances.
    /// Sends `payload` to every server instance on this database (this one included) through
    /// `listen_instances`; `false` when the backend serves one instance only (SQLite), and the
    /// caller delivers it itself.
    async fn notify_instances(&self, payload: &str) -> Result<bool>;
    /// What `notify_instances` sends, from any instance; `None` on a one-instance backend.
    /// Keeps listening through lost connections, and says `Listening` each time it (re)starts.
    fn listen_instances(&self) -> Option<InstanceEvents>;
}
