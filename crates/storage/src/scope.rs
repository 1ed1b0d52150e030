/// Proof that `user_id` may act in `workspace_id` (calling from `device_id`). Storage functions
/// take one instead of a raw workspace id, so no query can forget which workspace it is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkspaceScope {
    workspace_id: uuid::Uuid,
    user_id: uuid::Uuid,
    device_id: uuid::Uuid,
}

impl WorkspaceScope {
    /// Only the server's `policy` module calls this, after checking the membership: grep for it
    /// to find every place a scope is made.
    pub fn vouched_by_policy(
        workspace_id: uuid::Uuid,
        user_id: uuid::Uuid,
        device_id: uuid::Uuid,
    ) -> WorkspaceScope {
        WorkspaceScope {
            workspace_id,
            user_id,
            device_id,
        }
    }

    pub fn workspace_id(&self) -> uuid::Uuid {
        self.workspace_id
    }

    pub fn user_id(&self) -> uuid::Uuid {
        self.user_id
    }

    pub fn device_id(&self) -> uuid::Uuid {
        self.device_id
    }

    /// Whether a row of this workspace and user is the scope's own.
    pub fn owns(&self, workspace_id: uuid::Uuid, user_id: uuid::Uuid) -> bool {
        (workspace_id, user_id) == (self.workspace_id, self.user_id)
    }
}
