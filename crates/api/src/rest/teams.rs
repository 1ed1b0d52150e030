//! Teams, their roles and members, and deleting one.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{DefaultTeamRole, TeamPermission, WorkLogs};

use super::User;

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
