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
