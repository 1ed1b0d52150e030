//! What a writing transaction can do, in nine parts a backend implements one file each:
//! accounts (workspaces, users, devices, tokens), people (roles, members, invitations), groups,
//! teams, settings (a workspace's time settings), sync bookkeeping (streams, recorded
//! mutations), work (projects, tasks), timers (and the entries they stop into) and entries
//! (changes to entries that exist).

use async_trait::async_trait;
use stint_domain::{ActivityKind, TimeSettings};
use uuid::Uuid;

use crate::{
    may, Capability, DeviceRecord, EntryRecord, GroupRecord, Held, InvitationRecord,
    MemberSettings, MutationRecord, NewTeam, ProjectRecord, ProjectUpdate, RecordedMutation,
    Result, RoleRecord, SegmentRecord, TaskFields, TaskUpdate, TeamManagement, TeamRecord,
    TeamRoleRecord, TimerRecord, TokenRecord, UserRecord, WorkspaceScope,
};

/// One writing transaction. Every method that changes a project, task, timer or entry appends
/// `(workspace, change_no, entity, id, op, owner)` to the change log in the same transaction, so
/// the sync feed (and later webhooks and live updates) never miss a committed change. Dropping
/// it without `commit` rolls back.
#[async_trait]
pub trait Transaction:
    AccountWrites
    + PeopleWrites
    + GroupWrites
    + TeamWrites
    + SettingsWrites
    + SyncWrites
    + WorkWrites
    + TimerWrites
    + EntryWrites
    + Send
{
    async fn commit(self: Box<Self>) -> Result<()>;
}

/// Workspaces, users, memberships, devices and tokens.
#[async_trait]
pub trait AccountWrites: Send {
    /// Creates the workspace with its four default roles and four default groups; `false`
    /// (nothing written) when a workspace with that id exists.
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

    /// Makes the user a member of the scope's workspace holding these default roles (added to
    /// what they hold when they are a member already), in the group their roles suggest
    /// (`DefaultGroup::for_roles`; when it is gone, Employees, or the first group by name other
    /// than Administrators).
    async fn insert_membership(
        &mut self,
        scope: &WorkspaceScope,
        user_id: Uuid,
        roles: &[stint_domain::DefaultRole],
    ) -> Result<()>;

    async fn device_owner(&mut self, device_id: Uuid) -> Result<Option<Uuid>>;

    /// Creates the device, or renames it when it exists; `false` (and nothing written) when the
    /// id belongs to another user, even one who registered it a moment ago.
    async fn upsert_device(&mut self, device: &DeviceRecord) -> Result<bool>;

    async fn insert_token(&mut self, token: &TokenRecord) -> Result<()>;

    /// Revokes the tokens of the user's device, or of all their devices; how many.
    async fn revoke_device_tokens(&mut self, user_id: Uuid, device_id: Option<Uuid>)
        -> Result<u64>;

    /// Revokes every token of the user, their personal access tokens too; how many.
    async fn revoke_all_tokens(&mut self, user_id: Uuid) -> Result<u64>;

    /// Revokes one of the user's personal access tokens; `false` when they have none by that id.
    async fn revoke_personal_token(&mut self, user_id: Uuid, token_id: Uuid) -> Result<bool>;

    /// Deletes every token that expired before `before`; how many.
    async fn purge_tokens(&mut self, before: chrono::DateTime<chrono::Utc>) -> Result<u64>;
}

/// Roles, what members hold and what admins set for them, invitations (P1). Each takes the
/// `time:settings` capability.
#[async_trait]
pub trait PeopleWrites: Send {
    /// Adds a custom role (`default_role` is not read); `false` (nothing written) when the
    /// workspace has a role of that name, in any case.
    async fn insert_role(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        role: &RoleRecord,
    ) -> Result<bool>;

    /// Renames a custom role and replaces its permissions. `NotFound` for a default role or a
    /// role of another workspace; `false` (nothing written) when the name is another role's.
    async fn update_role(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        role: &RoleRecord,
    ) -> Result<bool>;

    /// Deletes a custom role, and so takes it from its holders. `NotFound` for a default role
    /// or a role of another workspace.
    async fn delete_role(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        role_id: Uuid,
    ) -> Result<()>;

    /// Replaces the roles a member holds; ids that are not (or no longer) the workspace's roles
    /// are passed over. `NotFound` when the user is not a member.
    async fn set_member_roles(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        user_id: Uuid,
        role_ids: &[Uuid],
    ) -> Result<()>;

    /// Gives a member these roles besides those they hold; ids that are not (or no longer)
    /// the workspace's roles are passed over. `NotFound` when the user is not a member.
    async fn add_member_roles(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        user_id: Uuid,
        role_ids: &[Uuid],
    ) -> Result<()>;

    /// Adds an invitation (its `workspace_id` is the scope's) with its roles (`Conflict` when
    /// one is not the workspace's).
    async fn insert_invitation(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        invitation: &InvitationRecord,
    ) -> Result<()>;

    /// Withdraws an invitation not accepted yet; `false` when there is none by that id.
    async fn delete_invitation(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        invitation_id: Uuid,
    ) -> Result<bool>;

    /// Marks the workspace's invitation accepted, if it is still open at `now`; `false`
    /// otherwise (used or expired meanwhile, or another workspace's), and nothing changes.
    async fn accept_invitation(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        invitation_id: Uuid,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool>;

    /// Changes what admins set for a member from `before` to `after`; `false` (nothing
    /// written) when the member's settings are not `before` any more, or they are no member.
    async fn update_member(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        user_id: Uuid,
        before: &MemberSettings,
        after: &MemberSettings,
    ) -> Result<bool>;

    /// How many active members hold the admin role, as this transaction sees it.
    async fn admin_count(&mut self, settings: Capability<'_, may::ChangeSettings>) -> Result<i64>;
}

/// Groups and members' filter settings (P3), by holders of `time:settings`.
#[async_trait]
pub trait GroupWrites: Send {
    /// Adds a group with its pages and overrules; `false` (nothing written) when the workspace
    /// has a group of that name, in any case.
    async fn insert_group(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        group: &GroupRecord,
    ) -> Result<bool>;

    /// Renames a group and replaces its filter, pages and overrules. `NotFound` for a group of
    /// another workspace; `false` (nothing written) when the name is another group's.
    async fn update_group(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        group: &GroupRecord,
    ) -> Result<bool>;

    /// Deletes a group nobody is in. `NotFound` for a group of another workspace; `Conflict`
    /// (nothing written) while it has members.
    async fn delete_group(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        group_id: Uuid,
    ) -> Result<()>;

    /// Puts a member in a group of the workspace and sets their own filter and overrules.
    /// `NotFound` when the user is no member or the group is not the workspace's.
    async fn set_member_filters(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        user_id: Uuid,
        group_id: Uuid,
        filter: Option<stint_domain::Filter>,
        overrules: &[(stint_domain::Page, stint_domain::Filter)],
    ) -> Result<()>;
}

/// Teams, their roles and members (P2). Making and deleting a team and the workspace's
/// secured-teams option take `time:settings`; changing a team takes its `TeamManagement`, and
/// a change answers `Conflict` (writing nothing) when the team is no longer at the version the
/// management was decided on. One change to a team per transaction.
#[async_trait]
pub trait TeamWrites: Send {
    /// Whether teams with secured work logs may be made from now on (existing ones stay).
    async fn set_secured_teams(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        allowed: bool,
    ) -> Result<()>;

    /// Whether teams with secured work logs may be made, as this transaction sees it (and, on
    /// PostgreSQL, holding the option until commit).
    async fn secured_teams_allowed(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
    ) -> Result<bool>;

    /// Makes the team with its two default roles, and its lead a member holding Team Lead.
    /// `false` (nothing written) when a team with that id exists, or the workspace has a team
    /// of that name in any case; `NotFound` when the lead is not an active member.
    async fn insert_team(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        team: &NewTeam,
    ) -> Result<bool>;

    /// `false` (nothing written) when another team has the name, in any case.
    async fn rename_team(&mut self, team: TeamManagement<'_>, name: &str) -> Result<bool>;

    /// Deletes the team with its roles and memberships; its public entries then belong to no
    /// team. Its secured entries become public entries of no team when `keep_secured`, else
    /// they are deleted; their authors' devices hear of it through the change log. How many
    /// secured entries were converted (their feeds record it `moved`, at `at`) or deleted (with
    /// their feeds); `None` when there is no team by that id.
    async fn delete_team(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        team_id: Uuid,
        keep_secured: bool,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<u64>>;

    /// Adds a custom team role (`default_role` is not read); `false` (nothing written) when the
    /// team has a role of that name, in any case.
    async fn insert_team_role(
        &mut self,
        team: TeamManagement<'_>,
        role: &TeamRoleRecord,
    ) -> Result<bool>;

    /// Renames a custom team role and replaces its permissions. `NotFound` for a default role
    /// or another team's; `false` (nothing written) when the name is another role's.
    async fn update_team_role(
        &mut self,
        team: TeamManagement<'_>,
        role: &TeamRoleRecord,
    ) -> Result<bool>;

    /// Deletes a custom team role, and so takes it from its holders. `NotFound` for a default
    /// role or another team's.
    async fn delete_team_role(&mut self, team: TeamManagement<'_>, role_id: Uuid) -> Result<()>;

    /// Makes the user a member of the team (if they are not) holding exactly these of the
    /// team's roles; ids that are not (or no longer) the team's are passed over. `NotFound`
    /// when the user is not an active member of the workspace.
    async fn set_team_member_roles(
        &mut self,
        team: TeamManagement<'_>,
        user_id: Uuid,
        role_ids: &[Uuid],
    ) -> Result<()>;

    /// `false` when the user was not a member of the team.
    async fn remove_team_member(&mut self, team: TeamManagement<'_>, user_id: Uuid)
        -> Result<bool>;

    /// How many of the workspace's teams have no active member who may manage them (hold
    /// *manage this team*), as this transaction sees it: a change that makes it grow leaves a
    /// team nobody can manage.
    async fn unmanaged_teams(&mut self, scope: &WorkspaceScope) -> Result<i64>;
}

/// A workspace's time settings (S): one row, made with the defaults when first read.
#[async_trait]
pub trait SettingsWrites: Send {
    /// The settings as this transaction sees them; `None` until they are first made.
    async fn time_settings(&mut self, scope: &WorkspaceScope) -> Result<Option<TimeSettings>>;

    /// Makes the workspace's settings unless it has them already; whether it made them.
    async fn insert_time_settings(
        &mut self,
        scope: &WorkspaceScope,
        settings: &TimeSettings,
    ) -> Result<bool>;

    /// Holds the workspace's settings row until commit, so two changes take turns (each reads
    /// what the other wrote). The row exists (`insert_time_settings`).
    async fn lock_time_settings(
        &mut self,
        change: Capability<'_, may::ChangeSettings>,
    ) -> Result<()>;

    /// Replaces the workspace's settings (making them when there are none yet).
    async fn update_time_settings(
        &mut self,
        change: Capability<'_, may::ChangeSettings>,
        settings: &TimeSettings,
    ) -> Result<()>;
}

/// The device streams of pushes and the mutations recorded on them.
#[async_trait]
pub trait SyncWrites: Send {
    /// The stream's last applied seq, creating the stream (for the scope's device and
    /// workspace) at 0 when new; `None` when the id is another device's or workspace's. The
    /// stream is locked until commit, so two pushes on one stream take turns.
    async fn lock_stream(&mut self, scope: &WorkspaceScope, stream_id: Uuid)
        -> Result<Option<i64>>;

    async fn set_stream_seq(&mut self, stream_id: Uuid, seq: i64) -> Result<()>;

    /// The stream's recorded mutations with seq in `from..=to`, by seq.
    async fn recorded_mutations(
        &mut self,
        stream_id: Uuid,
        from: i64,
        to: i64,
    ) -> Result<Vec<RecordedMutation>>;

    /// Records a pushed batch's decided mutations.
    async fn record_mutations(
        &mut self,
        scope: &WorkspaceScope,
        mutations: &[MutationRecord],
    ) -> Result<()>;

    /// Makes concurrent changes to one user's timers wait for each other (T1 holds per user).
    /// PostgreSQL locks the membership row; SQLite's single writer already serialises. Fails
    /// with `NotFound` when the user is no longer an active member (deactivated meanwhile).
    async fn lock_user_timers(&mut self, scope: &WorkspaceScope) -> Result<()>;
}

/// Changes to entries that exist: a user's review of their own (T4), a move to another team (P4).
#[async_trait]
pub trait EntryWrites: Send {
    /// Writes the hours, description, billable, status and flag of entries of the scope's user,
    /// wherever each is stored; each feed records its kinds of `activity` at `at`, made by
    /// `actor` (the user; an admin who edited a submitted entry, T6).
    async fn update_own_entries(
        &mut self,
        scope: &WorkspaceScope,
        changes: &[(EntryRecord, Vec<ActivityKind>)],
        at: chrono::DateTime<chrono::Utc>,
        actor: Uuid,
    ) -> Result<()>;

    /// Deletes entries of the scope's user (drafts they threw away), with their feeds; devices
    /// hear of each as a tombstone.
    async fn delete_own_entries(&mut self, scope: &WorkspaceScope, ids: &[Uuid]) -> Result<()>;

    /// Moves one of the scope's user's entries (as the move was decided on) to a team (of the
    /// scope's workspace, likewise) or to no team; between the public and the secured store
    /// when the visibility changes (a delete and an insert, in this transaction). `NotFound`
    /// when the user has no entry by that id; `Conflict` when the entry's team or the team it
    /// goes to changed since (decide again). Its feed records it `moved` at `at`.
    async fn move_entry(
        &mut self,
        write: Capability<'_, may::Write>,
        entry: &EntryRecord,
        to: Option<&TeamRecord>,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()>;
}

/// Timers and the entries they stop into, read and written a pushed batch at a time. Ids are
/// made by devices: a lookup by id looks across all workspaces, and answers another user's row
/// as `Held::Taken`.
#[async_trait]
pub trait TimerWrites: Send {
    async fn timers_with_ids(
        &mut self,
        scope: &WorkspaceScope,
        ids: &[Uuid],
    ) -> Result<Vec<Held<TimerRecord>>>;

    async fn own_active_timer(&mut self, scope: &WorkspaceScope) -> Result<Option<TimerRecord>>;

    /// The scope's user's timers that started at or after `at`, and the one that started last
    /// before it (T1 in time order: a start that arrives late closes at the next one, and the
    /// one that ran at its instant ends there if it was stopped later).
    async fn own_timers_from(
        &mut self,
        scope: &WorkspaceScope,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<TimerRecord>>;

    /// The entries with these ids.
    async fn entries_with_ids(
        &mut self,
        scope: &WorkspaceScope,
        ids: &[Uuid],
    ) -> Result<Vec<Held<EntryRecord>>>;

    /// The entries these timers were stopped into.
    async fn entries_of_timers(
        &mut self,
        scope: &WorkspaceScope,
        timer_ids: &[Uuid],
    ) -> Result<Vec<Held<EntryRecord>>>;

    /// Inserts or updates the scope's user's timers (their `user_id` is not read; each on a
    /// task of the scope's workspace), then their segments. Timers are written in the order
    /// given: stopped ones first, so one user never holds two active timers in between.
    async fn save_timers(
        &mut self,
        scope: &WorkspaceScope,
        timers: &[TimerRecord],
        segments: &[SegmentRecord],
    ) -> Result<()>;

    /// Inserts entries of the scope's user (`user_id` is not read) on tasks of its workspace,
    /// in the public store and on no team (`team_id` is not read); each feed records it
    /// `created` at `at`.
    async fn insert_entries(
        &mut self,
        scope: &WorkspaceScope,
        entries: &[EntryRecord],
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()>;
    /// T6, T8: the scope's user's timer `timer_id` was stopped at `at` by something other than
    /// them, which `by` tells in their device's words ("by Ada Admin"). Replaces what an earlier
    /// call said of the same timer.
    async fn record_timer_stop(
        &mut self,
        scope: &WorkspaceScope,
        timer_id: Uuid,
        by: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()>;

    /// Forgets who stopped the timer (`record_timer_stop`): the user's own earlier stop took
    /// its place.
    async fn forget_timer_stop(&mut self, scope: &WorkspaceScope, timer_id: Uuid) -> Result<()>;
}

/// Projects and tasks.
#[async_trait]
pub trait WorkWrites: Send {
    async fn insert_project(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        project: &ProjectRecord,
    ) -> Result<bool>;

    /// Changes a project of the scope's workspace; `false` when there is none by that id. Its
    /// tasks travel with its name and colour: devices hear of each.
    async fn update_project(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        project: &ProjectUpdate,
    ) -> Result<bool>;

    /// Deletes a project without tasks; `false` when there is none by that id, `Conflict`
    /// (`project_has_tasks`) while it has tasks.
    async fn delete_project(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        project_id: Uuid,
    ) -> Result<bool>;

    /// Makes a task in a project of the scope's workspace; `false` when the id is taken or the
    /// project is not the workspace's.
    async fn insert_task(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        task: &TaskFields,
    ) -> Result<bool>;

    /// Changes a task of the scope's workspace (its project must be the workspace's too);
    /// `false` when either is not found.
    async fn update_task(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        task: &TaskUpdate,
    ) -> Result<bool>;

    /// Replaces who works on a task of the scope's workspace: members and teams of the
    /// workspace (others are passed over; the caller checked them); `false` for no such task.
    async fn set_task_assignees(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        task_id: Uuid,
        user_ids: &[Uuid],
        team_ids: &[Uuid],
    ) -> Result<bool>;

    /// The statuses of those of `ids` that are tasks of the scope's workspace.
    async fn task_statuses(
        &mut self,
        scope: &WorkspaceScope,
        ids: &[Uuid],
    ) -> Result<Vec<(Uuid, stint_domain::TaskStatus)>>;

    /// Sets the task's status and % complete: a review's (T4), or 100 %, *Completed* by a
    /// *timer access only* user's own Stop (T5). Devices hear of it only when it changed.
    async fn set_task_progress(
        &mut self,
        scope: &WorkspaceScope,
        task_id: Uuid,
        status: stint_domain::TaskStatus,
        percent_complete: u8,
    ) -> Result<()>;

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

    /// T2 *un-assign other users and teams*: removes every assignee of the task but the scope's
    /// user, and every team it is assigned to.
    async fn unassign_others(&mut self, scope: &WorkspaceScope, task_id: Uuid) -> Result<()>;

    /// Deletes a task that no timer or entry refers to (`Conflict` otherwise, and nothing
    /// changes); devices get a tombstone.
    async fn delete_task(
        &mut self,
        settings: Capability<'_, may::ChangeSettings>,
        task_id: Uuid,
    ) -> Result<()>;
}
