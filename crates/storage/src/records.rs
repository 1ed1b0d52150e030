//! What storage reads and writes: plain values in the domain's types.

use chrono::{DateTime, Utc};
use stint_domain::{
    ActivityKind, DefaultGroup, DefaultRole, DefaultTeamRole, EntryFlag, EntrySource, EntryStatus,
    Filter, HeldRole, HeldTeamRole, Page, Permission, Permissions, Segment, TaskStatus,
    TeamPermission, TeamPermissions, TimerHead, TimerState, TimesheetAccess, WorkLogs,
};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub password_hash: String,
}

/// A user's place in a workspace: the roles they hold there.
#[derive(Debug, Clone, PartialEq)]
pub struct MembershipRecord {
    pub workspace_id: Uuid,
    pub workspace_name: String,
    pub user_id: Uuid,
    pub roles: Vec<RoleRecord>,
    pub timesheet_access: TimesheetAccess,
}

/// An invitation to join a workspace with some roles; its one-time token is known by its
/// SHA-256 only.
#[derive(Debug, Clone, PartialEq)]
pub struct InvitationRecord {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub email: String,
    pub name: String,
    pub token_hash: String,
    pub invited_by: Uuid,
    pub role_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A member of a workspace as its admins see them.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberRecord {
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
    pub role_ids: Vec<Uuid>,
    pub settings: MemberSettings,
}

/// What admins set per member (P1, T5).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemberSettings {
    /// A deactivated member's tokens no longer reach the workspace; their entries stay.
    pub active: bool,
    /// A member of the same workspace.
    pub manager_id: Option<Uuid>,
    pub weekly_minutes: i64,
    pub timesheet_access: TimesheetAccess,
}

/// A workspace role (P1): one of the four default roles, whose permissions are the code's, or
/// a custom one with the permissions it was given.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleRecord {
    pub id: Uuid,
    pub name: String,
    pub default_role: Option<DefaultRole>,
    pub permissions: Permissions,
}

impl RoleRecord {
    /// A role as both databases store it: the default role's name, or the custom role's
    /// permissions (a CHECK constraint holds both sets).
    pub fn from_stored<'a>(
        id: Uuid,
        name: String,
        default_role: Option<&str>,
        permissions: impl IntoIterator<Item = &'a str>,
    ) -> crate::Result<RoleRecord> {
        let default_role = default_role
            .map(|role| parse_stored(role, DefaultRole::parse, "default role"))
            .transpose()?;
        let permissions = match default_role {
            Some(role) => role.permissions(),
            None => permissions
                .into_iter()
                .map(|p| parse_stored(p, Permission::parse, "permission"))
                .collect::<crate::Result<Permissions>>()?,
        };
        Ok(RoleRecord {
            id,
            name,
            default_role,
            permissions,
        })
    }

    /// What holding it grants, for `stint_domain::grants`.
    pub fn held(&self) -> HeldRole {
        match self.default_role {
            Some(role) => HeldRole::Default(role),
            None => HeldRole::Custom(self.permissions),
        }
    }
}

/// A group (P3): the pages its members may open, its filter and its per-page overrules.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRecord {
    pub id: Uuid,
    pub name: String,
    pub filter: Filter,
    /// Which default group it was made as; new members are placed by it.
    pub default_group: Option<DefaultGroup>,
    /// In `Page::ALL` order.
    pub pages: Vec<Page>,
    /// At most one per page, in `Page::ALL` order.
    pub overrules: Vec<(Page, Filter)>,
    /// How many members are in it (`insert_group` and `update_group` do not read it).
    pub member_count: i64,
}

impl GroupRecord {
    /// A default group as a new workspace gets it.
    pub fn new_default(id: Uuid, group: DefaultGroup) -> GroupRecord {
        GroupRecord {
            id,
            name: group.name().to_string(),
            filter: group.filter(),
            default_group: Some(group),
            pages: group.pages().to_vec(),
            overrules: Vec::new(),
            member_count: 0,
        }
    }

    /// A group as both databases store it: its pages, and its overrules as `page:filter`.
    pub fn from_stored<'a>(
        id: Uuid,
        name: String,
        filter: &str,
        default_group: Option<&str>,
        pages: impl IntoIterator<Item = &'a str>,
        overrules: impl IntoIterator<Item = &'a str>,
        member_count: i64,
    ) -> crate::Result<GroupRecord> {
        let mut pages = pages
            .into_iter()
            .map(|page| parse_stored(page, Page::parse, "page"))
            .collect::<crate::Result<Vec<_>>>()?;
        pages.sort();
        Ok(GroupRecord {
            id,
            name,
            filter: parse_stored(filter, Filter::parse, "filter")?,
            default_group: default_group
                .map(|group| parse_stored(group, DefaultGroup::parse, "default group"))
                .transpose()?,
            pages,
            overrules: parse_overrules(overrules)?,
            member_count,
        })
    }
}

/// Per-page filter overrules stored as `page:filter`, in `Page::ALL` order.
pub fn parse_overrules<'a>(
    stored: impl IntoIterator<Item = &'a str>,
) -> crate::Result<Vec<(Page, Filter)>> {
    let mut overrules = stored
        .into_iter()
        .map(|text| {
            let (page, filter) = text.split_once(':').unwrap_or((text, ""));
            Ok((
                parse_stored(page, Page::parse, "page")?,
                parse_stored(filter, Filter::parse, "filter")?,
            ))
        })
        .collect::<crate::Result<Vec<_>>>()?;
    overrules.sort_by_key(|(page, _)| *page);
    Ok(overrules)
}

/// A member's group and their own filter settings (P3).
#[derive(Debug, Clone, PartialEq)]
pub struct MemberFiltersRecord {
    pub group: GroupRecord,
    /// Their own filter, over the group's; none set when `None`.
    pub filter: Option<Filter>,
    /// At most one per page, in `Page::ALL` order.
    pub overrules: Vec<(Page, Filter)>,
}

/// A workspace's own settings.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkspaceRecord {
    pub id: Uuid,
    pub name: String,
    /// Whether teams with secured work logs may be created (P4).
    pub secured_teams: bool,
}

/// A team (P2) with its roles and members.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamRecord {
    pub id: Uuid,
    pub name: String,
    pub work_logs: WorkLogs,
    pub created_at: DateTime<Utc>,
    /// Moves on with every change to the team, its roles or members.
    pub version: i64,
    /// Default roles first, then by name.
    pub roles: Vec<TeamRoleRecord>,
    /// By name.
    pub members: Vec<TeamMemberRecord>,
}

impl TeamRecord {
    /// What a member's team roles are, for `stint_domain::team_grants` (none for a non-member).
    pub fn held_by(&self, user_id: Uuid) -> Vec<HeldTeamRole> {
        let Some(member) = self.members.iter().find(|m| m.user_id == user_id) else {
            return Vec::new();
        };
        self.roles
            .iter()
            .filter(|role| member.role_ids.contains(&role.id))
            .map(TeamRoleRecord::held)
            .collect()
    }
}

/// What a new team is made with; its two default roles are made with it, and its lead holds
/// the Team Lead role.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTeam {
    pub id: Uuid,
    pub name: String,
    pub work_logs: WorkLogs,
    pub created_at: DateTime<Utc>,
    pub lead_id: Uuid,
    /// The ids its Team Lead and Team Member roles get.
    pub lead_role_id: Uuid,
    pub member_role_id: Uuid,
}

/// A team role: one of the two default roles, whose permissions are the code's, or a custom
/// one with the permissions it was given.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamRoleRecord {
    pub id: Uuid,
    pub name: String,
    pub default_role: Option<DefaultTeamRole>,
    pub permissions: TeamPermissions,
}

impl TeamRoleRecord {
    /// A team role as both databases store it (see `RoleRecord::from_stored`).
    pub fn from_stored<'a>(
        id: Uuid,
        name: String,
        default_role: Option<&str>,
        permissions: impl IntoIterator<Item = &'a str>,
    ) -> crate::Result<TeamRoleRecord> {
        let default_role = default_role
            .map(|role| parse_stored(role, DefaultTeamRole::parse, "default team role"))
            .transpose()?;
        let permissions = match default_role {
            Some(role) => role.permissions(),
            None => permissions
                .into_iter()
                .map(|p| parse_stored(p, TeamPermission::parse, "team permission"))
                .collect::<crate::Result<TeamPermissions>>()?,
        };
        Ok(TeamRoleRecord {
            id,
            name,
            default_role,
            permissions,
        })
    }

    pub fn held(&self) -> HeldTeamRole {
        match self.default_role {
            Some(role) => HeldTeamRole::Default(role),
            None => HeldTeamRole::Custom(self.permissions),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TeamMemberRecord {
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
    pub role_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeviceRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// A token, known by its SHA-256 only: a device's, issued at sign-in, or a personal access
/// token, which has a name instead of a device and may never expire.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRecord {
    pub id: Uuid,
    pub hash: String,
    pub user_id: Uuid,
    pub device_id: Option<Uuid>,
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// One of a user's devices, and whether a token of it still works.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedInDevice {
    pub device: DeviceRecord,
    pub signed_in: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProjectRecord {
    pub id: Uuid,
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
    /// A member who leads it (the project-leader filter, P3).
    pub leader_id: Option<Uuid>,
}

/// A task's own fields, as made or changed (its assignees are set apart).
#[derive(Debug, Clone, PartialEq)]
pub struct TaskFields {
    pub id: Uuid,
    pub project_id: Uuid,
    pub title: String,
    pub status: TaskStatus,
    /// 0 to 100.
    pub percent_complete: u8,
}

/// What to change of a task, written in one statement (two admins changing other fields of
/// one task at once both land); `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskUpdate {
    pub id: Uuid,
    pub project_id: Option<Uuid>,
    pub title: Option<String>,
    pub status: Option<TaskStatus>,
    pub percent_complete: Option<u8>,
}

/// What to change of a project, written in one statement; `None` leaves a field as it is
/// (`Some(None)` takes the leader away).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectUpdate {
    pub id: Uuid,
    pub name: Option<String>,
    pub color: Option<String>,
    pub leader_id: Option<Option<Uuid>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskRecord {
    pub id: Uuid,
    pub title: String,
    pub status: TaskStatus,
    pub project_id: Uuid,
    pub project_name: String,
    pub project_color: String,
    pub percent_complete: u8,
    /// (user id, name), by name.
    pub assignees: Vec<(Uuid, String)>,
    /// (team id, name), by name.
    pub teams: Vec<(Uuid, String)>,
}

/// A timer's head (see `stint_domain::TimerHead`); `stopped` once it became an entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimerRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub task_id: Uuid,
    pub head: TimerHead,
    pub stopped: bool,
}

impl TimerRecord {
    /// The `timers.state` column: `running`, `paused` or `stopped`.
    pub fn state_name(&self) -> &'static str {
        match (self.stopped, self.head.state()) {
            (true, _) => "stopped",
            (false, TimerState::Running) => "running",
            (false, TimerState::Paused) => "paused",
        }
    }

    /// Whether a stored `timers.state` means stopped.
    pub fn is_stopped(state_name: &str) -> crate::Result<bool> {
        match state_name {
            "running" | "paused" => Ok(false),
            "stopped" => Ok(true),
            other => Err(crate::StorageError::Corrupt(format!(
                "timer state {other:?}"
            ))),
        }
    }
}

/// Segment `n` (from 1) of a timer, as saved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmentRecord {
    pub timer_id: Uuid,
    pub n: u32,
    pub segment: Segment,
}

/// A row found by a device-made id: the scope's user's own, or someone else's (whose content is
/// none of the caller's business: the id is just taken).
#[derive(Debug, Clone, PartialEq)]
pub enum Held<T> {
    Own(T),
    Taken(Uuid),
}

/// T8: a timer past its workspace's runaway threshold, found across workspaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunawayTimer {
    pub timer_id: Uuid,
    pub workspace_id: Uuid,
    pub user_id: Uuid,
}

/// Who stopped a user's timer when it was not their own doing, in their device's words.
#[derive(Debug, Clone, PartialEq)]
pub struct TimerStopRecord {
    pub timer_id: Uuid,
    pub by: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TimerWithSegments {
    pub timer: TimerRecord,
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EntryRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub task_id: Uuid,
    pub timer_id: Option<Uuid>,
    /// The team it is logged to, if any; a secured team's entries are stored apart (P4).
    pub team_id: Option<Uuid>,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    /// Counted time, rounded when a timer stopped (T7).
    pub duration_secs: i64,
    /// Counted time before rounding (the same when not rounded).
    pub raw_duration_secs: i64,
    pub billable: bool,
    /// Why it waits for its author (T8, T11); cleared by their review.
    pub flag: Option<EntryFlag>,
    pub status: EntryStatus,
    pub source: EntrySource,
    pub description: String,
}

/// One event of an entry's activity feed (E1).
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityRecord {
    pub at: DateTime<Utc>,
    pub actor_id: Uuid,
    pub actor_name: String,
    pub kind: ActivityKind,
    /// For `Moved`: the team it left and the one it went to.
    pub from_team_id: Option<Uuid>,
    pub to_team_id: Option<Uuid>,
}

/// Which of the visible entries to list: each field left out matches every entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EntryQuery {
    /// Only this entry.
    pub entry_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    /// Only the entries of the people this user manages (the manager filter, P3).
    pub managed_by: Option<Uuid>,
    /// Only the entries on projects this user leads (the project-leader filter, P3).
    pub projects_led_by: Option<Uuid>,
    /// Entries that started at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Entries that started before this instant.
    pub to: Option<DateTime<Utc>>,
    pub limit: usize,
}

/// A pushed mutation as the server recorded it on its stream: applied, rejected or reconciled,
/// with the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct MutationRecord {
    pub stream_id: Uuid,
    pub seq: i64,
    pub fingerprint: String,
    pub name: String,
    /// The intent's arguments, as JSON text.
    pub args: String,
    pub device_time: DateTime<Utc>,
    pub outcome: MutationOutcome,
    pub reason: Option<Reason>,
    pub received_at: DateTime<Utc>,
}

/// What became of a recorded mutation (`mutations.outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MutationOutcome {
    Applied,
    Rejected,
    Reconciled,
}

impl MutationOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            MutationOutcome::Applied => "applied",
            MutationOutcome::Rejected => "rejected",
            MutationOutcome::Reconciled => "reconciled",
        }
    }

    pub fn parse(text: &str) -> Option<MutationOutcome> {
        [
            MutationOutcome::Applied,
            MutationOutcome::Rejected,
            MutationOutcome::Reconciled,
        ]
        .into_iter()
        .find(|outcome| outcome.as_str() == text)
    }
}

/// Why a mutation was not applied as sent, kept so a retry gets the same answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    pub code: String,
    pub message: String,
    pub details: Option<serde_json::Value>,
}

/// What a retry is compared with: a recorded mutation's content and outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedMutation {
    pub seq: i64,
    pub fingerprint: String,
    pub outcome: MutationOutcome,
    pub reason: Option<Reason>,
}

/// What a change-log row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    Project,
    Task,
    Timer,
    Entry,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeOp {
    Upsert,
    /// A tombstone: the entity is gone; devices remove their copy.
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// Unique in the database; on PostgreSQL not in commit order (see `ChangePage`).
    pub change_no: i64,
    pub entity: Entity,
    pub entity_id: Uuid,
    pub op: ChangeOp,
}

/// Changes after a position, and the position to ask from next. Their order within a page is
/// not meaningful (on PostgreSQL it is not commit order): read the current state of what
/// changed. A position is opaque to callers and means what its backend says: on SQLite the last
/// change number seen (one writer, so numbers are handed out in commit order); on PostgreSQL a
/// transaction-id horizon below which every transaction has finished and been read. A page
/// ends on a transaction's boundary, so it may hold a little more than asked.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangePage {
    pub changes: Vec<Change>,
    pub position: i64,
    /// More changes wait after `position`.
    pub more: bool,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Project => "project",
            Entity::Task => "task",
            Entity::Timer => "timer",
            Entity::Entry => "entry",
        }
    }

    pub fn parse(text: &str) -> Option<Entity> {
        [Entity::Project, Entity::Task, Entity::Timer, Entity::Entry]
            .into_iter()
            .find(|entity| entity.as_str() == text)
    }
}

impl Entity {
    /// Whose it is: timers and entries are their user's alone (only they pull them); everyone
    /// in the workspace sees projects and tasks.
    pub fn owner(self, scope: &crate::WorkspaceScope) -> Option<Uuid> {
        match self {
            Entity::Timer | Entity::Entry => Some(scope.user_id()),
            Entity::Project | Entity::Task => None,
        }
    }
}

impl ChangeOp {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeOp::Upsert => "upsert",
            ChangeOp::Delete => "delete",
        }
    }

    pub fn parse(text: &str) -> Option<ChangeOp> {
        [ChangeOp::Upsert, ChangeOp::Delete]
            .into_iter()
            .find(|op| op.as_str() == text)
    }
}

/// A stored task's % complete; outside 0 to 100 is damage.
pub fn stored_percent(stored: i64) -> crate::Result<u8> {
    u8::try_from(stored)
        .ok()
        .filter(|percent| *percent <= 100)
        .ok_or_else(|| crate::StorageError::Corrupt(format!("task at {stored} % complete")))
}

/// Tasks' people and teams, gathered from rows that name either (both backends read them in
/// one query, by name).
#[derive(Debug, Default)]
pub struct TaskAssignees(std::collections::HashMap<Uuid, (Named, Named)>);

/// (id, name) pairs, by name.
type Named = Vec<(Uuid, String)>;

impl TaskAssignees {
    pub fn add(&mut self, task_id: Uuid, is_team: bool, id: Uuid, name: String) {
        let (people, teams) = self.0.entry(task_id).or_default();
        if is_team { teams } else { people }.push((id, name));
    }

    /// The task's (people, teams).
    pub fn take(&mut self, task_id: Uuid) -> (Named, Named) {
        self.0.remove(&task_id).unwrap_or_default()
    }
}

/// Reads a stored closed-set value back (`TaskStatus::parse` …); an unknown one is damage.
pub fn parse_stored<T>(
    text: &str,
    parse: impl Fn(&str) -> Option<T>,
    what: &str,
) -> crate::Result<T> {
    parse(text).ok_or_else(|| crate::StorageError::Corrupt(format!("unknown {what} {text:?}")))
}
