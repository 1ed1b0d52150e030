//! The one place that decides who may do what (P5). A `WorkspaceScope` can only be made here,
//! after the membership check, and every workspace query takes one — so a handler that forgot
//! the check does not compile.

use uuid::Uuid;

use crate::error::ApiError;
use crate::store::{Caller, Store};

/// Proof that `user_id` is a member of `workspace_id`, calling from `device_id`.
#[derive(Debug, Clone)]
pub struct WorkspaceScope {
    workspace_id: Uuid,
    user_id: Uuid,
    device_id: Uuid,
    role: String,
}

impl WorkspaceScope {
    pub fn workspace_id(&self) -> Uuid {
        self.workspace_id
    }

    pub fn user_id(&self) -> Uuid {
        self.user_id
    }

    pub fn device_id(&self) -> Uuid {
        self.device_id
    }

    pub fn role(&self) -> &str {
        &self.role
    }
}

/// Members may read the workspace's tasks and track their own time. Someone else's workspace
/// looks the same as one that does not exist.
pub async fn member_of(
    store: &Store,
    caller: &Caller,
    workspace_id: Uuid,
) -> Result<WorkspaceScope, ApiError> {
    match store.role_in(caller.user_id, workspace_id).await? {
        Some(role) => Ok(WorkspaceScope {
            workspace_id,
            user_id: caller.user_id,
            device_id: caller.device_id,
            role,
        }),
        None => Err(ApiError::NotFound("no such workspace".into())),
    }
}
