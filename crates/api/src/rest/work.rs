//! Tasks and projects.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{Filter, FilterSource, TaskStatus};

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
