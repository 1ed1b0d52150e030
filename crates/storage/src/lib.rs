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

use async_trait::async_trait;
use uuid::Uuid;

pub use error::StorageError;
pub use records::*;
pub use scope::WorkspaceScope;

pub type Result<T> = std::result::Result<T, StorageError>;

/// Reads outside a transaction, and the way into one.
#[async_trait]
pub trait Storage: Send + Sync + 'static {
    /// `sqlite` or `postgres`, for logs and health.
    fn backend(&self) -> &'static str;

    /// Starts a writing transaction. On SQLite it takes the write lock up front (`BEGIN
    /// IMMEDIATE`), so it cannot fail half-way for want of it; dropping it without `commit` rolls
    /// back.
    async fn begin(&self) -> Result<Box<dyn Transaction>>;

    // Sign-in: the narrow paths that cross workspaces.
    async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>>;
    async fn token(&self, token_hash: &str) -> Result<Option<TokenRecord>>;
    async fn delete_token(&self, token_hash: &str) -> Result<()>;
    async fn memberships_of(&self, user_id: Uuid) -> Result<Vec<MembershipRecord>>;
    /// The user's membership of the workspace, if any: what `policy` builds a scope from.
    async fn membership(
        &self,
        user_id: Uuid,
        workspace_id: Uuid,
    ) -> Result<Option<MembershipRecord>>;

    // Workspace reads.
    /// The workspace's tasks; only those with these ids when `ids` is given.
    async fn tasks(&self, scope: &WorkspaceScope, ids: Option<&[Uuid]>) -> Result<Vec<TaskRecord>>;
    /// The scope's user's entries with these ids (others' entries are not returned).
    async fn own_entries(&self, scope: &WorkspaceScope, ids: &[Uuid]) -> Result<Vec<EntryRecord>>;
    /// The scope's user's running or paused timer, with every segment.
    async fn active_timer(&self, scope: &WorkspaceScope) -> Result<Option<TimerWithSegments>>;
    /// The workspace's changes after `cursor` that the scope's user may see: shared things
    /// (projects, tasks) and their own timers and entries. See `ChangePage` for what a cursor
    /// means. A cursor beyond anything this database handed out (a restored backup) reads from
    /// the start.
    async fn changes_since(&self, scope: &WorkspaceScope, cursor: i64) -> Result<ChangePage>;
    async fn last_applied_seq(&self, device_id: Uuid) -> Result<i64>;
}

/// One writing transaction. Every method that changes a project, task, timer or entry appends
/// `(workspace, change_no, entity, id, op, owner)` to the change log in the same transaction, so
/// the sync feed (and later webhooks and live updates) never miss a committed change.
#[async_trait]
pub trait Transaction: Send {
    async fn commit(self: Box<Self>) -> Result<()>;

    // Accounts.
    async fn insert_workspace(
        &mut self,
        id: Uuid,
        name: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool>;
    /// Inserts the user unless one with that id exists; `true` when inserted.
    async fn insert_user(
        &mut self,
        user: &UserRecord,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool>;
    async fn insert_membership(&mut self, membership: &MembershipRecord) -> Result<()>;
    async fn device_owner(&mut self, device_id: Uuid) -> Result<Option<Uuid>>;
    /// Creates the device, or renames it when it exists; `false` (and nothing written) when the
    /// id belongs to another user, even one who registered it a moment ago.
    async fn upsert_device(&mut self, device: &DeviceRecord) -> Result<bool>;
    async fn insert_token(&mut self, token: &TokenRecord) -> Result<()>;

    // Sync bookkeeping.
    /// The device's last applied seq; the device is locked until commit, so two pushes of one
    /// device take turns.
    async fn last_applied_seq(&mut self, device_id: Uuid) -> Result<i64>;
    async fn set_last_applied_seq(&mut self, device_id: Uuid, seq: i64) -> Result<()>;
    async fn record_mutation(
        &mut self,
        scope: &WorkspaceScope,
        mutation: &MutationRecord,
    ) -> Result<()>;
    /// Makes concurrent changes to one user's timers wait for each other (T1 holds per user).
    /// PostgreSQL locks the membership row; SQLite's single writer already serialises.
    async fn lock_user_timers(&mut self, scope: &WorkspaceScope) -> Result<()>;

    // Projects and tasks.
    async fn insert_project(
        &mut self,
        scope: &WorkspaceScope,
        project: &ProjectRecord,
    ) -> Result<bool>;
    async fn insert_task(&mut self, scope: &WorkspaceScope, task: &NewTask) -> Result<bool>;
    async fn task_status(
        &mut self,
        scope: &WorkspaceScope,
        task_id: Uuid,
    ) -> Result<Option<stint_domain::TaskStatus>>;
    /// Moves the task from `from` to `to`; `false` when it was no longer in `from` (someone
    /// changed it meanwhile), and then nothing changes.
    async fn change_task_status(
        &mut self,
        scope: &WorkspaceScope,
        task_id: Uuid,
        from: stint_domain::TaskStatus,
        to: stint_domain::TaskStatus,
    ) -> Result<bool>;
    /// Assigns a member of the workspace to the task; `true` when they were not assigned before.
    async fn assign(
        &mut self,
        scope: &WorkspaceScope,
        task_id: Uuid,
        user_id: Uuid,
    ) -> Result<bool>;

    // Timers and entries. Ids are made by devices: `*_id_taken` looks across all workspaces.
    async fn timer_id_taken(&mut self, timer_id: Uuid) -> Result<bool>;
    async fn entry_id_taken(&mut self, entry_id: Uuid) -> Result<bool>;
    /// The scope's user's timer with this id (another user's timer is `None`).
    async fn own_timer(
        &mut self,
        scope: &WorkspaceScope,
        timer_id: Uuid,
    ) -> Result<Option<TimerRecord>>;
    async fn own_active_timer(&mut self, scope: &WorkspaceScope) -> Result<Option<TimerRecord>>;
    /// Timers and entries belong to the scope's user (their `user_id` is not read) and to a task
    /// of the scope's workspace (`NotFound` otherwise).
    async fn insert_timer(&mut self, scope: &WorkspaceScope, timer: &TimerRecord) -> Result<()>;
    /// Saves the head of the scope's user's timer and its last segment (one row each, whatever
    /// the segment count).
    async fn update_timer(&mut self, scope: &WorkspaceScope, timer: &TimerRecord) -> Result<()>;
    async fn insert_entry(&mut self, scope: &WorkspaceScope, entry: &EntryRecord) -> Result<()>;
    /// Deletes a task that no timer or entry refers to (`Conflict` otherwise, and nothing
    /// changes); devices get a tombstone.
    async fn delete_task(&mut self, scope: &WorkspaceScope, task_id: Uuid) -> Result<()>;
}
