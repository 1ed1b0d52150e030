//! The one place that decides who may do what (P5). A `WorkspaceScope` is made only here, after
//! the membership check, and every storage call on workspace data takes one — so a handler that
//! forgot the check has no scope to pass. (`clippy.toml` refuses `vouched_by_policy` anywhere
//! else.)

use stint_api::ErrorCode;
use stint_storage::{Storage, WorkspaceScope};
use uuid::Uuid;

use crate::error::ApiError;
use crate::service::accounts::Caller;

/// Members may read the workspace's tasks and track their own time. Someone else's workspace
/// looks the same as one that does not exist.
pub async fn member_of(
    storage: &dyn Storage,
    caller: &Caller,
    workspace_id: Uuid,
) -> Result<WorkspaceScope, ApiError> {
    match storage.membership(caller.user_id, workspace_id).await? {
        #[allow(clippy::disallowed_methods)] // the check is the line above
        Some(_) => Ok(WorkspaceScope::vouched_by_policy(
            workspace_id,
            caller.user_id,
            caller.device_id,
        )),
        None => Err(ApiError::new(ErrorCode::NotFound, "no such workspace")),
    }
}

/// The scope the command line seeds a workspace in (`stint-server demo`): no request and no
/// device, acting as the workspace's first admin.
pub fn seeding(workspace_id: Uuid, admin_id: Uuid) -> WorkspaceScope {
    #[allow(clippy::disallowed_methods)] // the operator at the command line is the authority
    WorkspaceScope::vouched_by_policy(workspace_id, admin_id, Uuid::nil())
}
