//! Who is acting where, and what they may do there: the values storage calls take instead of
//! raw ids, so that no query can forget the workspace it is in or the permission it needs.

use std::marker::PhantomData;

use stint_domain::{Permission, Permissions, TeamPermissions, TimesheetAccess};

/// Proof that `user_id` may act in `workspace_id` (calling from `device_id`) with these
/// permissions. Storage functions take one instead of a raw workspace id, so no query can
/// forget which workspace it is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkspaceScope {
    workspace_id: uuid::Uuid,
    user_id: uuid::Uuid,
    device_id: uuid::Uuid,
    permissions: Permissions,
    timesheet_access: TimesheetAccess,
}

impl WorkspaceScope {
    /// Only the server's `policy` module calls this, after checking the membership and
    /// computing the grants: grep for it to find every place a scope is made.
    pub fn vouched_by_policy(
        workspace_id: uuid::Uuid,
        user_id: uuid::Uuid,
        device_id: uuid::Uuid,
        permissions: Permissions,
        timesheet_access: TimesheetAccess,
    ) -> WorkspaceScope {
        WorkspaceScope {
            workspace_id,
            user_id,
            device_id,
            permissions,
            timesheet_access,
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

    pub fn permissions(&self) -> Permissions {
        self.permissions
    }

    /// The caller's timesheet permission level here (T5).
    pub fn timesheet_access(&self) -> TimesheetAccess {
        self.timesheet_access
    }

    /// Whether a row of this workspace and user is the scope's own.
    pub fn owns(&self, workspace_id: uuid::Uuid, user_id: uuid::Uuid) -> bool {
        (workspace_id, user_id) == (self.workspace_id, self.user_id)
    }

    /// The capability to do what `P` names, if the caller holds its permission: storage calls
    /// that need a permission take the capability, so a handler that skipped the check has
    /// nothing to pass them.
    pub fn require<P: Needs>(&self) -> Result<Capability<'_, P>, Missing> {
        if self.permissions.contains(P::PERMISSION) {
            Ok(Capability {
                scope: self,
                needs: PhantomData,
            })
        } else {
            Err(Missing(P::PERMISSION))
        }
    }
}

/// A permission the caller does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("this needs the `{}` permission", .0.as_str())]
pub struct Missing(pub Permission);

/// Proof that the scope's caller holds `P`'s permission; made only by `WorkspaceScope::require`.
#[derive(Debug, Clone, Copy)]
pub struct Capability<'s, P> {
    scope: &'s WorkspaceScope,
    needs: PhantomData<P>,
}

impl<'s, P> Capability<'s, P> {
    pub fn scope(&self) -> &'s WorkspaceScope {
        self.scope
    }
}

/// Proof that the scope's caller may change one team of its workspace — its name, members and
/// custom roles — and give at most `grants` of the team permissions, decided on the team as it
/// was at `version`: each change claims that version (moving it on) before it writes, and
/// answers `Conflict` when the team changed meanwhile, so the decision is made again. Made only by the server's
/// `policy` (which checks the caller manages the team, or holds `time:settings` and the team
/// is public); the storage calls that change a team take one.
#[derive(Debug, Clone, Copy)]
pub struct TeamManagement<'s> {
    scope: &'s WorkspaceScope,
    team_id: uuid::Uuid,
    version: i64,
    grants: TeamPermissions,
}

impl<'s> TeamManagement<'s> {
    /// Only the server's `policy` module calls this.
    pub fn vouched_by_policy(
        scope: &'s WorkspaceScope,
        team_id: uuid::Uuid,
        version: i64,
        grants: TeamPermissions,
    ) -> TeamManagement<'s> {
        TeamManagement {
            scope,
            team_id,
            version,
            grants,
        }
    }

    pub fn scope(&self) -> &'s WorkspaceScope {
        self.scope
    }

    pub fn team_id(&self) -> uuid::Uuid {
        self.team_id
    }

    /// The team's version the decision was made on: a change writes only while it still is.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// The team permissions the caller may give (and act on holders of).
    pub fn grants(&self) -> TeamPermissions {
        self.grants
    }
}

/// Which entries the scope's caller may see (P1, P4): their own, in either store; every public
/// entry when they hold `time:read_all`; and the entries, public or secured, of the teams whose
/// work logs a team role lets them view (`teams`). Holding `time:read_all`, `time:approve` or
/// the admin role shows no secured entry. Made only by the server's `policy`; the one storage
/// read of other people's entries takes it.
#[derive(Debug, Clone)]
pub struct Visibility<'s> {
    scope: &'s WorkspaceScope,
    all_public: bool,
    teams: Vec<uuid::Uuid>,
}

impl<'s> Visibility<'s> {
    /// Only the server's `policy` module calls this.
    pub fn vouched_by_policy(
        scope: &'s WorkspaceScope,
        all_public: bool,
        teams: Vec<uuid::Uuid>,
    ) -> Visibility<'s> {
        Visibility {
            scope,
            all_public,
            teams,
        }
    }

    pub fn scope(&self) -> &'s WorkspaceScope {
        self.scope
    }

    /// Whether every public entry of the workspace is visible.
    pub fn all_public(&self) -> bool {
        self.all_public
    }

    /// The teams whose entries (public and secured) are visible.
    pub fn teams(&self) -> &[uuid::Uuid] {
        &self.teams
    }
}

/// What a capability is for: one workspace permission each.
pub trait Needs {
    const PERMISSION: Permission;
}

/// The capabilities' names: `scope.require::<may::Write>()`.
pub mod may {
    use super::{Needs, Permission};

    macro_rules! capability {
        ($(#[$doc:meta])* $name:ident => $permission:ident) => {
            $(#[$doc])*
            #[derive(Debug, Clone, Copy)]
            pub struct $name;
            impl Needs for $name {
                const PERMISSION: Permission = Permission::$permission;
            }
        };
    }

    capability!(
        /// See one's own entries and the workspace's tasks.
        Read => Read
    );
    capability!(
        /// Log time: start, stop and record entries.
        Write => Write
    );
    capability!(
        /// Change the workspace's settings, roles and people.
        ChangeSettings => Settings
    );
}
