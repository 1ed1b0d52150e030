//! The tasks one can start work on, from the local cache.

use stint_api::desk::MyTasks;
use stint_api::rest::Task;
use uuid::Uuid;

use super::Desk;
use crate::error::DeskError;

/// How many tasks Start Work lists under "Recent".
const RECENT_TASKS: usize = 5;

impl Desk {
    /// Tasks from the local cache: works offline.
    pub fn tasks(&self) -> Result<Vec<Task>, DeskError> {
        Ok(self.store.tasks()?)
    }

    /// Which cached tasks are the user's through their teams, and which they used lately.
    pub fn my_tasks(&self) -> Result<MyTasks, DeskError> {
        Ok(MyTasks {
            team_ids: self.store.my_team_ids()?,
            recent_task_ids: self.store.recent_task_ids(RECENT_TASKS)?,
        })
    }

    /// D1: the tray's Start Work — the tasks used lately on this device, latest first, then
    /// those assigned to the user (by name or through a team) — as the window groups them.
    pub fn start_work_tasks(&self) -> Result<(Vec<Task>, Vec<Task>), DeskError> {
        let tasks = self.store.tasks()?;
        let my = self.my_tasks()?;
        let me = self.me()?.map(|user| user.id);
        let recent: Vec<Task> = my
            .recent_task_ids
            .iter()
            .filter_map(|id| tasks.iter().find(|task| task.id == *id).cloned())
            .collect();
        let mine = tasks
            .into_iter()
            .filter(|task| !recent.iter().any(|r| r.id == task.id))
            .filter(|task| {
                task.assignees.iter().any(|a| Some(a.user_id) == me)
                    || task.teams.iter().any(|t| my.team_ids.contains(&t.team_id))
            })
            .collect();
        Ok((recent, mine))
    }

    /// A task the cache does not hold (yet) still shows, by id, rather than failing the view.
    pub(super) fn task_or_placeholder(&self, task_id: Uuid) -> Result<Task, DeskError> {
        Ok(self.store.task(task_id)?.unwrap_or_else(|| Task {
            id: task_id,
            title: "Task not on this device yet".into(),
            status: stint_domain::TaskStatus::Open,
            percent_complete: 0,
            project_id: Uuid::nil(),
            project_name: String::new(),
            project_color: "#888888".into(),
            assignees: vec![],
            teams: vec![],
        }))
    }
}
