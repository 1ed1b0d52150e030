//! Workspace roles, members, groups and their page filters, workspace settings.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{DefaultGroup, DefaultRole, Filter, FilterSource, Page, Permission, TimesheetAccess};

use super::User;

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
