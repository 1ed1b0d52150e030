//! Payloads of the workspace server's REST API.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    ActivityKind, DefaultGroup, DefaultRole, DefaultTeamRole, EntrySource, EntryStatus, Filter,
    FilterSource, Page, Permission, Segment, TaskStatus, TeamPermission, TimerState,
    TimesheetAccess, WorkLogs,
};

// The server refuses control characters other than tab, line feed and carriage return in any
// text it is sent (`invalid_text`); each pattern below says so for its field. utoipa takes only
// literals here: the server's tests check these numbers against its own limits.
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
pub struct TokenRequest {
    /// At most 254 characters (longer is nobody's address: answered like a wrong password).
    #[schema(
        max_length = 254,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub email: String,
    /// At most 1,024 bytes of UTF-8 (longer is nobody's password: answered like a wrong one).
    #[schema(
        max_length = 1024,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub password: String,
    /// 1 to 100 characters once leading and trailing white space is trimmed, which the server
    /// does before storing it.
    // The pattern: white space, a visible character, optionally up to 98 of any allowed
    // character and a visible one, white space. "White space" is what Rust's `trim` removes
    // less the control characters; "visible" is neither.
    #[schema(
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]{0,98}[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub device_name: String,
    /// The id the server gave this installation when this user signed in on it before. Any
    /// other (none, or an id the user has not signed in with) gets a fresh one in the answer,
    /// which the device adopts; the sync protocol numbers each device's mutations.
    // The pattern repeats the format: schemathesis (4.32) ignores `format` on a nullable string
    // and would send "" as a valid id.
    #[serde(default)]
    #[ts(optional)]
    #[schema(
        pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    )]
    pub device_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
pub struct TokenResponse {
    /// Opaque bearer token; the server keeps only its hash.
    pub token: String,
    /// The device's id from now on: the one sent, if this user signed in with it before.
    pub device_id: Uuid,
    pub user: User,
    pub workspaces: Vec<Workspace>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Workspace {
    pub id: Uuid,
    pub name: String,
    /// The names of the caller's roles there.
    #[serde(default)]
    pub roles: Vec<String>,
    /// What the caller may do there: the union of their roles' permissions (P1).
    #[serde(default)]
    pub permissions: Vec<Permission>,
}

/// A personal access token to make (I3): it acts with its user's permissions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct PersonalTokenRequest {
    /// 1 to 100 characters once trimmed.
    #[schema(
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]{0,98}[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub name: String,
    /// When it stops working, in the future; left out for a token that does not expire.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A personal access token as listed: never the token itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct PersonalToken {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// Left out for a token that does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A personal access token just made: the only time the token is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct NewPersonalToken {
    /// Send as `Authorization: Bearer <token>`; the server keeps only its hash.
    pub token: String,
    #[serde(flatten)]
    pub listed: PersonalToken,
}

/// One of the caller's devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Device {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// A token of it still works.
    pub signed_in: bool,
    /// The device this request came from.
    pub current: bool,
}

/// Someone to invite into a workspace, with the roles they will hold there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct InvitationRequest {
    /// At most 254 characters, with an `@`.
    #[schema(
        max_length = 254,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*@[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub email: String,
    /// 1 to 100 characters once trimmed: the name their account gets if they have none yet.
    #[schema(
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]{0,98}[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub name: String,
    #[schema(max_items = 100)]
    pub role_ids: Vec<Uuid>,
}

/// An invitation not accepted yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Invitation {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    /// After this the token no longer works; invite again.
    pub expires_at: DateTime<Utc>,
}

/// An invitation just made: the only time its token is shown. The invitee sends it to
/// `POST /api/v1/invitations/accept`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct NewInvitation {
    pub token: String,
    #[serde(flatten)]
    pub invitation: Invitation,
}

/// Joining with an invitation's token: a new account's password, or, when the invited email
/// has an account already, that account's password. Signs the device in.
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
pub struct AcceptInvitation {
    #[schema(
        max_length = 200,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub token: String,
    /// 8 to 1,024 bytes for a new account.
    #[schema(
        min_length = 8,
        max_length = 1024,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub password: String,
    /// As at sign-in.
    #[schema(
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]{0,98}[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub device_name: String,
    /// As at sign-in.
    #[serde(default)]
    #[ts(optional)]
    #[schema(
        pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    )]
    pub device_id: Option<Uuid>,
}

/// A workspace role (P1): one of the four default roles, whose names and permissions are fixed,
/// or a custom one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Role {
    pub id: Uuid,
    pub name: String,
    /// Which default role this is; left out for a custom role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub default_role: Option<DefaultRole>,
    pub permissions: Vec<Permission>,
}

/// A custom role to create, or what one becomes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct RoleRequest {
    /// 1 to 100 characters once trimmed; unique in the workspace, whatever the case.
    #[schema(
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]{0,98}[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub name: String,
    /// Each at most once counts; repeats change nothing.
    pub permissions: Vec<Permission>,
}

/// A member of a workspace, as its admins see them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Member {
    pub user: User,
    pub role_ids: Vec<Uuid>,
    /// A deactivated member's tokens no longer reach the workspace; their entries stay.
    pub active: bool,
    /// Left out when they have no manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub manager_id: Option<Uuid>,
    /// The hours a week they are expected to work.
    pub weekly_hours: f64,
    pub timesheet_access: TimesheetAccess,
}

/// What to change of a member: fields left out stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct MemberChange {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub active: Option<bool>,
    /// Another member of the workspace; `null` for no manager.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::value_or_null"
    )]
    #[schema(value_type = Option<Uuid>, nullable = true)]
    #[ts(optional, type = "string | null")]
    pub manager_id: Option<Option<Uuid>>,
    /// 0 to 168, kept to the minute.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false, minimum = 0, maximum = 168)]
    #[ts(optional)]
    pub weekly_hours: Option<f64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub timesheet_access: Option<TimesheetAccess>,
}

/// The roles a member is to hold, replacing what they hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct MemberRoles {
    #[schema(max_items = 100)]
    pub role_ids: Vec<Uuid>,
}

/// The filter one page gets, set over the one that would apply otherwise (P3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct PageFilter {
    pub page: Page,
    pub filter: Filter,
}

/// A group (P3): which pages its members may open, the filter their lists get, and per-page
/// overrules of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Group {
    pub id: Uuid,
    pub name: String,
    pub filter: Filter,
    /// Which default group it was made as; left out for others. New members are placed by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub default_group: Option<DefaultGroup>,
    pub pages: Vec<Page>,
    pub overrules: Vec<PageFilter>,
    #[ts(type = "number")]
    pub member_count: u64,
}

/// A group to make, or what one becomes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct GroupRequest {
    /// 1 to 100 characters once trimmed; unique in the workspace, whatever the case.
    #[schema(
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]{0,98}[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub name: String,
    /// Required: what its members' lists get unless overruled.
    pub filter: Filter,
    /// The pages its members may open (at most 4 items); repeats change nothing.
    #[schema(max_items = 4)]
    pub pages: Vec<Page>,
    /// At most one per page.
    #[schema(max_items = 4)]
    pub overrules: Vec<PageFilter>,
}

/// A member's group and their own filter settings (P3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct MemberFilters {
    pub group_id: Uuid,
    /// Their own filter, over the group's; `null` for none.
    #[schema(nullable = true)]
    pub filter: Option<Filter>,
    /// At most one per page; over everything else.
    #[schema(max_items = 4)]
    pub overrules: Vec<PageFilter>,
}

/// What the caller's group and filter settings give them on each page that has a filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct MyPages {
    pub group_id: Uuid,
    pub group_name: String,
    pub pages: Vec<PageAccess>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct PageAccess {
    pub page: Page,
    /// Whether their group lets them open it.
    pub may_open: bool,
    /// The filter its lists get, and where it was set: what the window shows beside it.
    pub filter: Filter,
    pub filter_source: FilterSource,
}

/// A workspace's own settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct WorkspaceSettings {
    pub id: Uuid,
    pub name: String,
    /// Whether teams with secured work logs may be created (P4). Turning it off later leaves
    /// existing secured teams as they are.
    pub secured_teams: bool,
}

/// What to change of a workspace's settings: fields left out stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct WorkspaceChange {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub secured_teams: Option<bool>,
}

/// A team (P2): its roles, its members, and what the caller may do in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Team {
    pub id: Uuid,
    pub name: String,
    /// Chosen when the team was made; never changes.
    pub work_logs: WorkLogs,
    /// Default roles first (Team Lead, Team Member), then by name.
    pub roles: Vec<TeamRole>,
    /// By name.
    pub members: Vec<TeamMember>,
    /// What the caller's team roles let them do here, cut to their workspace permissions.
    pub my_permissions: Vec<TeamPermission>,
    /// Whether the caller may change the team's name, members and custom roles: they hold
    /// *manage this team*, or hold `time:settings` and the team is public.
    pub managed_by_me: bool,
}

/// A team role: one of the two default ones, whose names and permissions are fixed, or a
/// custom one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct TeamRole {
    pub id: Uuid,
    pub name: String,
    /// Which default team role this is; left out for a custom one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub default_role: Option<DefaultTeamRole>,
    pub permissions: Vec<TeamPermission>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct TeamMember {
    pub user: User,
    pub role_ids: Vec<Uuid>,
}

/// A team to make.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct NewTeamRequest {
    /// 1 to 100 characters once trimmed; unique in the workspace, whatever the case.
    #[schema(
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]{0,98}[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub name: String,
    /// An active member of the workspace; they hold the Team Lead role.
    pub lead_id: Uuid,
    /// `secured` only where the workspace allows secured teams. Never changes afterwards.
    pub work_logs: WorkLogs,
}

/// What to change of a team: fields left out stay as they are. A team's work-log visibility
/// is fixed: sending another one is refused (`work_logs_fixed`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct TeamChange {
    /// 1 to 100 characters once trimmed; unique in the workspace, whatever the case.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(
        nullable = false,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]{0,98}[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    #[ts(optional)]
    pub name: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub work_logs: Option<WorkLogs>,
}

/// A custom team role to create, or what one becomes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct TeamRoleRequest {
    /// 1 to 100 characters once trimmed; unique in the team, whatever the case.
    #[schema(
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]{0,98}[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub name: String,
    /// Each at most once counts; repeats change nothing.
    pub permissions: Vec<TeamPermission>,
}

/// The team roles a member is to hold, replacing what they hold; adding someone to a team
/// without `role_ids` gives them Team Member.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct TeamMemberRoles {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false, max_items = 100)]
    #[ts(optional)]
    pub role_ids: Option<Vec<Uuid>>,
}

/// What happens to a secured team's entries when it is deleted (P4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SecuredEntries {
    /// They become public entries of no team.
    ConvertToPublic,
    /// They are deleted.
    Delete,
}

/// How to delete a team. A secured team needs both: what becomes of its entries, and
/// `confirm=irreversible`.
#[derive(
    Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, ToSchema, utoipa::IntoParams,
)]
#[into_params(parameter_in = Query)]
pub struct TeamDeletion {
    #[serde(default)]
    #[param(nullable = false, inline)]
    #[ts(optional)]
    pub entries: Option<SecuredEntries>,
    /// `irreversible`.
    #[serde(default)]
    #[param(nullable = false, pattern = "^irreversible$")]
    #[ts(optional)]
    pub confirm: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Assignee {
    pub user_id: Uuid,
    pub name: String,
}

/// A team a task is assigned to: each of its members works on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct TeamAssignee {
    pub team_id: Uuid,
    pub name: String,
}

/// A task with its project, as the caller may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Task {
    pub id: Uuid,
    pub title: String,
    pub status: TaskStatus,
    /// 0 to 100, set by whoever manages the task.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100)]
    pub percent_complete: u8,
    pub project_id: Uuid,
    pub project_name: String,
    /// `#rrggbb`, shown as a small chip.
    pub project_color: String,
    /// People assigned to it, by name.
    pub assignees: Vec<Assignee>,
    /// Teams assigned to it, by name.
    #[serde(default)]
    pub teams: Vec<TeamAssignee>,
}

/// A task and the time logged to it that the caller may see (their own entries, every public
/// entry with `time:read_all`, and those of the teams whose logs they may view).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct TaskDetails {
    #[serde(flatten)]
    pub task: Task,
    /// The actual hours, in seconds.
    #[ts(type = "number")]
    pub actual_secs: i64,
}

/// Tasks as `GET …/tasks` lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct TaskList {
    pub tasks: Vec<TaskDetails>,
    /// The filter the actual hours got (the timesheets page's, P3; own hours for a group that
    /// does not open that page), and where it was set.
    pub filter: Filter,
    pub filter_source: FilterSource,
}

/// Which tasks to list; all of the workspace's, by title, when left out.
#[derive(
    Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema, utoipa::IntoParams,
)]
#[into_params(parameter_in = Query)]
pub struct TaskListQuery {
    /// `me`: only those assigned to the caller, directly or through one of their teams.
    #[serde(default)]
    #[param(nullable = false, pattern = "^me$")]
    pub assigned: Option<String>,
    /// Only those whose title or project contains this text, whatever the case.
    #[serde(default)]
    #[param(nullable = false, max_length = 100)]
    pub q: Option<String>,
    /// Only those the caller logged time to or ran a timer on, most recent first.
    #[serde(default)]
    #[param(nullable = false)]
    pub recent: Option<bool>,
    /// At most this many (1 to 1,000; all when left out).
    #[serde(default)]
    #[param(nullable = false, minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// A task to make. Its status starts `open` when left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct NewTaskRequest {
    /// A project of the workspace.
    pub project_id: Uuid,
    /// 1 to 100 characters once trimmed.
    #[schema(
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]{0,98}[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub title: String,
    #[serde(default, deserialize_with = "crate::present")]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub status: Option<TaskStatus>,
    #[serde(default, deserialize_with = "crate::present")]
    #[schema(nullable = false, minimum = 0, maximum = 100)]
    #[ts(optional)]
    pub percent_complete: Option<u8>,
}

/// What to change of a task: fields left out stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct TaskChange {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub project_id: Option<Uuid>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(
        nullable = false,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]{0,98}[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    #[ts(optional)]
    pub title: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub status: Option<TaskStatus>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false, minimum = 0, maximum = 100)]
    #[ts(optional)]
    pub percent_complete: Option<u8>,
}

/// Who works on a task: active members, and teams of the workspace (every member of each).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct TaskAssignees {
    #[serde(default)]
    #[schema(max_items = 1000)]
    pub user_ids: Vec<Uuid>,
    #[serde(default)]
    #[schema(max_items = 1000)]
    pub team_ids: Vec<Uuid>,
}

/// A project: what tasks belong to, with a colour and, optionally, a leader (P3's
/// project-leader filter shows them their project's time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Project {
    pub id: Uuid,
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub leader_id: Option<Uuid>,
}

/// A project to make.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct NewProjectRequest {
    /// 1 to 100 characters once trimmed.
    #[schema(
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]{0,98}[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub name: String,
    /// `#rrggbb`.
    #[schema(pattern = "^#[0-9a-fA-F]{6}$")]
    pub color: String,
    /// An active member of the workspace.
    #[serde(default, deserialize_with = "crate::present")]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub leader_id: Option<Uuid>,
}

/// What to change of a project: fields left out stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct ProjectChange {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(
        nullable = false,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]{0,98}[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    #[ts(optional)]
    pub name: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false, pattern = "^#[0-9a-fA-F]{6}$")]
    #[ts(optional)]
    pub color: Option<String>,
    /// An active member of the workspace; `null` for none.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::value_or_null"
    )]
    #[schema(value_type = Option<Uuid>, nullable = true)]
    #[ts(optional, type = "string | null")]
    pub leader_id: Option<Option<Uuid>>,
}

/// One time entry ("timesheet" in OneDesk's words).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Entry {
    pub id: Uuid,
    pub user_id: Uuid,
    pub task_id: Uuid,
    #[serde(default)]
    pub timer_id: Option<Uuid>,
    /// The team it is logged to; left out for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub team_id: Option<Uuid>,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    #[ts(type = "number")]
    pub duration_secs: i64,
    pub status: EntryStatus,
    pub source: EntrySource,
    pub description: String,
}

/// Which of the visible entries to list, newest first.
#[derive(
    Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema, utoipa::IntoParams,
)]
#[into_params(parameter_in = Query)]
pub struct EntryListQuery {
    /// Only this person's.
    #[serde(default)]
    #[param(nullable = false)]
    pub user_id: Option<Uuid>,
    /// Only this team's.
    #[serde(default)]
    #[param(nullable = false)]
    pub team_id: Option<Uuid>,
    /// Only those started at or after this instant.
    #[serde(default)]
    #[param(nullable = false)]
    pub from: Option<DateTime<Utc>>,
    /// Only those started before this instant.
    #[serde(default)]
    #[param(nullable = false)]
    pub to: Option<DateTime<Utc>>,
    /// At most this many (1 to 1,000; 100 when left out).
    #[serde(default)]
    #[param(nullable = false, minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// Entries the caller may see, and what decided it (P1, P4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct EntryList {
    /// Newest first.
    pub entries: Vec<Entry>,
    /// Every public entry of the workspace is visible (`time:read_all`); otherwise only the
    /// caller's own and those of `team_ids`.
    pub all_public: bool,
    /// The teams whose entries, public and secured, a team role lets the caller view.
    pub team_ids: Vec<Uuid>,
    /// The filter the list got (the timesheets page's, P3), and where it was set.
    pub filter: Filter,
    pub filter_source: FilterSource,
}

/// One event of an entry's activity feed (E1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct EntryActivity {
    pub at: DateTime<Utc>,
    /// Who did it.
    pub actor: Assignee,
    pub kind: ActivityKind,
    /// For `moved`: the team it left, left out for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub from_team_id: Option<Uuid>,
    /// For `moved`: the team it went to, left out for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub to_team_id: Option<Uuid>,
}

/// The team an entry is to be logged to; `null` for none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct EntryTeam {
    #[schema(nullable = true)]
    pub team_id: Option<Uuid>,
}

/// What deleting a team did to its secured entries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct TeamDeleted {
    /// Secured entries that became public entries of no team.
    #[ts(type = "number")]
    pub entries_converted: u64,
    /// Secured entries deleted.
    #[ts(type = "number")]
    pub entries_deleted: u64,
}

/// The caller's running or paused timer, as the server knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct TimerSnapshot {
    pub id: Uuid,
    pub task_id: Uuid,
    pub state: TimerState,
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
pub struct Health {
    pub status: String,
    pub version: String,
}
