//! Tasks: listed for every member who may read time (assigned to me, recent, search, with the
//! actual hours they may see), and made, changed, assigned and deleted by holders of
//! `time:settings`.

use std::collections::{HashMap, HashSet};

use stint_api::rest::{
    Assignee, NewTaskRequest, Task, TaskAssignees, TaskChange, TaskDetails, TaskList,
    TaskListQuery, TeamAssignee,
};
use stint_api::ErrorCode;
use stint_domain::{Page, TaskStatus};
use stint_storage::{
    may, Capability, EntryQuery, Storage, StorageError, TaskFields, TaskRecord, TaskUpdate,
};
use uuid::Uuid;

use crate::error::ApiError;
use crate::policy;
use crate::service::accounts::short_name;
use crate::service::{entries, groups};

type Settings<'s> = Capability<'s, may::ChangeSettings>;

/// The most `limit` asks for, the most recent tasks listed, and the most assignees of either
/// kind one task takes.
pub const MAX_LISTED: u32 = 1_000;
const MAX_SEARCH_CHARS: usize = 100;

/// The workspace's tasks, by title (or the caller's recent ones, latest first), narrowed as
/// asked, each with the time on it the caller may see under their timesheets filter (P3).
pub async fn list(
    storage: &dyn Storage,
    read: Capability<'_, may::Read>,
    query: &TaskListQuery,
) -> Result<TaskList, ApiError> {
    if query
        .limit
        .is_some_and(|limit| !(1..=MAX_LISTED).contains(&limit))
    {
        return Err(ApiError::invalid(
            "limit",
            format!("limit is 1 to {MAX_LISTED}"),
        ));
    }
    if query
        .q
        .as_ref()
        .is_some_and(|q| q.chars().count() > MAX_SEARCH_CHARS)
    {
        return Err(ApiError::invalid(
            "q",
            format!("q is at most {MAX_SEARCH_CHARS} characters"),
        ));
    }
    let assigned_to_me = match query.assigned.as_deref() {
        None => false,
        Some("me") => true,
        Some(_) => return Err(ApiError::invalid("assigned", "assigned is `me`")),
    };
    let scope = read.scope();
    let me = scope.user_id();
    let mut tasks = storage.tasks(scope, None).await?;
    if query.recent == Some(true) {
        let order: HashMap<Uuid, usize> = storage
            .recent_tasks(scope, MAX_LISTED as usize)
            .await?
            .into_iter()
            .enumerate()
            .map(|(rank, id)| (id, rank))
            .collect();
        tasks.retain(|task| order.contains_key(&task.id));
        tasks.sort_by_key(|task| order[&task.id]);
    }
    if assigned_to_me {
        let my_teams: HashSet<Uuid> = storage.my_team_ids(scope).await?.into_iter().collect();
        tasks.retain(|task| {
            task.assignees.iter().any(|(user, _)| *user == me)
                || task.teams.iter().any(|(team, _)| my_teams.contains(team))
        });
    }
    if let Some(text) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let text = text.to_lowercase();
        tasks.retain(|task| {
            task.title.to_lowercase().contains(&text)
                || task.project_name.to_lowercase().contains(&text)
        });
    }
    if let Some(limit) = query.limit {
        tasks.truncate(limit as usize);
    }

    let (filter, filter_source) = groups::figures_filter(storage, scope, Page::Timesheets).await?;
    let mut narrowed = EntryQuery::default();
    let visibility = policy::visibility(storage, read).await?;
    let totals: HashMap<Uuid, i64> = if entries::apply_filter(filter, me, &mut narrowed) {
        storage
            .task_totals(&visibility, &narrowed)
            .await?
            .into_iter()
            .collect()
    } else {
        HashMap::new()
    };
    Ok(TaskList {
        tasks: tasks
            .into_iter()
            .map(|record| TaskDetails {
                actual_secs: totals.get(&record.id).copied().unwrap_or(0),
                task: task(record),
            })
            .collect(),
        filter,
        filter_source,
    })
}

pub async fn create(
    storage: &dyn Storage,
    settings: Settings<'_>,
    request: &NewTaskRequest,
) -> Result<Task, ApiError> {
    let fields = TaskFields {
        id: Uuid::now_v7(),
        project_id: request.project_id,
        title: short_name("title", &request.title)?.to_string(),
        status: request.status.unwrap_or(TaskStatus::Open),
        percent_complete: percent(request.percent_complete.unwrap_or(0))?,
    };
    let mut tx = storage.begin().await?;
    if !tx.insert_task(settings, &fields).await? {
        return Err(no_such_project());
    }
    tx.commit().await?;
    task_of(storage, settings, fields.id).await
}

/// Changes what is sent of a task; the rest stays as it is, even when another change of it
/// lands at the same moment.
pub async fn update(
    storage: &dyn Storage,
    settings: Settings<'_>,
    task_id: Uuid,
    change: &TaskChange,
) -> Result<Task, ApiError> {
    let update = TaskUpdate {
        id: task_id,
        project_id: change.project_id,
        title: match &change.title {
            Some(title) => Some(short_name("title", title)?.to_string()),
            None => None,
        },
        status: change.status,
        percent_complete: change.percent_complete.map(percent).transpose()?,
    };
    if *change == TaskChange::default() {
        // Nothing to change: nothing for devices to hear of either.
        return task_of(storage, settings, task_id).await;
    }
    let mut tx = storage.begin().await?;
    if !tx.update_task(settings, &update).await? {
        // Told apart after the fact: the task, or the project it was to move to, is unknown.
        drop(tx);
        let exists = !storage
            .tasks(settings.scope(), Some(&[task_id]))
            .await?
            .is_empty();
        return Err(if exists {
            no_such_project()
        } else {
            no_such_task()
        });
    }
    tx.commit().await?;
    task_of(storage, settings, task_id).await
}

/// Replaces who works on a task: active members and teams of the workspace, each named at
/// most once.
pub async fn set_assignees(
    storage: &dyn Storage,
    settings: Settings<'_>,
    task_id: Uuid,
    request: &TaskAssignees,
) -> Result<Task, ApiError> {
    let users = unique("user_ids", &request.user_ids)?;
    let teams = unique("team_ids", &request.team_ids)?;
    let members: HashSet<Uuid> = storage
        .members(settings)
        .await?
        .into_iter()
        .filter(|member| member.settings.active)
        .map(|member| member.user_id)
        .collect();
    if let Some(user) = users.iter().find(|user| !members.contains(user)) {
        return Err(ApiError::invalid(
            "user_ids",
            format!("{user} is not an active member of this workspace"),
        ));
    }
    let known: HashSet<Uuid> = storage
        .teams(settings.scope(), None)
        .await?
        .into_iter()
        .map(|team| team.id)
        .collect();
    if let Some(team) = teams.iter().find(|team| !known.contains(team)) {
        return Err(ApiError::invalid(
            "team_ids",
            format!("{team} is not a team of this workspace"),
        ));
    }
    let mut tx = storage.begin().await?;
    if !tx
        .set_task_assignees(settings, task_id, &users, &teams)
        .await?
    {
        return Err(no_such_task());
    }
    tx.commit().await?;
    task_of(storage, settings, task_id).await
}

/// Deletes a task no entry or timer is on; devices get a tombstone.
pub async fn delete(
    storage: &dyn Storage,
    settings: Settings<'_>,
    task_id: Uuid,
) -> Result<(), ApiError> {
    let mut tx = storage.begin().await?;
    tx.delete_task(settings, task_id)
        .await
        .map_err(|error| match error {
            StorageError::NotFound => no_such_task(),
            StorageError::Conflict { constraint } if constraint == "task_in_use" => ApiError::new(
                ErrorCode::TaskInUse,
                "time was logged to this task or a timer runs on it: set it completed instead",
            ),
            other => other.into(),
        })?;
    tx.commit().await?;
    Ok(())
}

pub fn task(record: TaskRecord) -> Task {
    Task {
        id: record.id,
        title: record.title,
        status: record.status,
        percent_complete: record.percent_complete,
        project_id: record.project_id,
        project_name: record.project_name,
        project_color: record.project_color,
        assignees: record
            .assignees
            .into_iter()
            .map(|(user_id, name)| Assignee { user_id, name })
            .collect(),
        teams: record
            .teams
            .into_iter()
            .map(|(team_id, name)| TeamAssignee { team_id, name })
            .collect(),
    }
}

async fn task_of(
    storage: &dyn Storage,
    settings: Settings<'_>,
    id: Uuid,
) -> Result<Task, ApiError> {
    let record = storage
        .tasks(settings.scope(), Some(&[id]))
        .await?
        .pop()
        // Deleted between the commit and this read.
        .ok_or_else(no_such_task)?;
    Ok(task(record))
}

fn percent(sent: u8) -> Result<u8, ApiError> {
    if sent > 100 {
        return Err(ApiError::invalid(
            "percent_complete",
            "percent_complete is 0 to 100",
        ));
    }
    Ok(sent)
}

fn unique(field: &str, ids: &[Uuid]) -> Result<Vec<Uuid>, ApiError> {
    if ids.len() > MAX_LISTED as usize {
        return Err(ApiError::invalid(field, format!("at most {MAX_LISTED}")));
    }
    let mut seen = HashSet::new();
    if let Some(twice) = ids.iter().find(|id| !seen.insert(**id)) {
        return Err(ApiError::invalid(field, format!("{twice} is named twice")));
    }
    Ok(ids.to_vec())
}

fn no_such_task() -> ApiError {
    ApiError::not_found("no such task")
}

fn no_such_project() -> ApiError {
    ApiError::invalid("project_id", "no such project in this workspace")
}
