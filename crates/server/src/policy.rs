//! The one place that decides who may do what (P5). A `WorkspaceScope` is made only here, after
//! the membership check, holding the caller's grants: the union of their roles' permissions
//! (`stint_domain::grants`). Every storage call on workspace data takes a scope, and every call
//! that needs a permission takes the capability `WorkspaceScope::require` hands out — so a
//! handler that forgot a check has nothing to pass. (`clippy.toml` refuses `vouched_by_policy`
//! anywhere else.)

use serde_json::json;
use stint_api::ErrorCode;
use stint_domain::{
    DefaultRole, Permission, Permissions, TeamPermission, TeamPermissions, TimesheetAccess,
    WorkLogs,
};
use stint_storage::{
    may, Capability, InvitationRecord, MembershipRecord, Missing, RoleRecord, RunawayTimer,
    Storage, TeamManagement, TeamRecord, Visibility, WorkspaceScope,
};
use uuid::Uuid;

use crate::error::ApiError;
use crate::service::accounts::Caller;

/// Members get a scope with what their roles grant. Someone else's workspace looks the same as
/// one that does not exist.
pub async fn member_of(
    storage: &dyn Storage,
    caller: &Caller,
    workspace_id: Uuid,
) -> Result<WorkspaceScope, ApiError> {
    match storage.membership(caller.user_id, workspace_id).await? {
        #[allow(clippy::disallowed_methods)] // the check is the line above
        Some(membership) => Ok(WorkspaceScope::vouched_by_policy(
            workspace_id,
            caller.user_id,
            // A personal access token has no device: it has no stream to push on either.
            caller.device_id.unwrap_or(Uuid::nil()),
            grants_of(&membership),
            membership.timesheet_access,
        )),
        None => Err(ApiError::new(ErrorCode::NotFound, "no such workspace")),
    }
}

impl From<Missing> for ApiError {
    fn from(Missing(permission): Missing) -> ApiError {
        ApiError::new(
            ErrorCode::Forbidden,
            format!(
                "your roles in this workspace do not grant `{}`",
                permission.as_str()
            ),
        )
        .with_details(json!({ "permission": permission }))
    }
}

/// What a member may do in the workspace: the union of their roles' permissions.
pub fn grants_of(membership: &MembershipRecord) -> Permissions {
    let held: Vec<_> = membership.roles.iter().map(RoleRecord::held).collect();
    stint_domain::grants(&held)
}

/// What the caller may do in a team: their team roles' permissions, cut to their workspace
/// grants (`stint_domain::team_grants`).
pub fn team_grants(scope: &WorkspaceScope, team: &TeamRecord) -> TeamPermissions {
    stint_domain::team_grants(&team.held_by(scope.user_id()), scope.permissions())
}

/// Who may change a team (P2, P4): a holder of *manage this team* there, giving at most what
/// they hold in it; or, for a public team only, a holder of `time:settings`, giving what their
/// workspace permissions cover (`admin_team_grants`). A secured team is managed from inside
/// only: an admin could otherwise make themselves a viewer of its entries.
pub fn team_management<'s>(
    scope: &'s WorkspaceScope,
    team: &TeamRecord,
) -> Result<TeamManagement<'s>, ApiError> {
    let mine = team_grants(scope, team);
    let admin =
        team.work_logs == WorkLogs::Public && scope.permissions().contains(Permission::Settings);
    let grants = if admin {
        mine.union(admin_team_grants(scope.permissions()))
    } else if mine.contains(TeamPermission::ManageTeam) {
        mine
    } else {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "changing this team needs its `manage_team` permission",
        )
        .with_details(json!({ "team_permission": TeamPermission::ManageTeam })));
    };
    #[allow(clippy::disallowed_methods)] // the check is the lines above
    Ok(TeamManagement::vouched_by_policy(
        scope,
        team.id,
        team.version,
        grants,
    ))
}

/// The team permissions a `time:settings` holder may give on a public team: those their
/// workspace permissions already cover, so that giving them widens nothing — managing the team
/// (settings), logging time to it (`time:write`), viewing its members' logs (`time:read_all`),
/// managing them (`time:read_all` and `time:write`).
fn admin_team_grants(workspace: Permissions) -> TeamPermissions {
    let (read_all, write) = (
        workspace.contains(Permission::ReadAll),
        workspace.contains(Permission::Write),
    );
    [
        (TeamPermission::ManageTeam, true),
        (TeamPermission::WorkOnIssues, write),
        (TeamPermission::ViewWorkLogs, read_all),
        (TeamPermission::ManageWorkLogs, read_all && write),
    ]
    .into_iter()
    .filter_map(|(permission, granted)| granted.then_some(permission))
    .collect()
}

/// Which entries the caller may see (P1, P4): their own; every public entry with
/// `time:read_all`; and the entries of the teams where a team role lets them view work logs.
/// No workspace permission shows a secured entry.
pub async fn visibility<'s>(
    storage: &dyn Storage,
    read: Capability<'s, may::Read>,
) -> Result<Visibility<'s>, ApiError> {
    let scope = read.scope();
    let viewed = storage
        .teams(scope, None)
        .await?
        .iter()
        .filter(|team| team_grants(scope, team).contains(TeamPermission::ViewWorkLogs))
        .map(|team| team.id)
        .collect();
    let all_public = scope.permissions().contains(Permission::ReadAll);
    #[allow(clippy::disallowed_methods)] // decided by the lines above
    Ok(Visibility::vouched_by_policy(scope, all_public, viewed))
}

/// T6: the scope an admin (a holder of `time:settings`) changes a member's timer in: the
/// owner's grants and timesheet access, so the stop follows the owner's rules (T4, T5); no
/// device. A user who is not a member of the admin's workspace is not found.
pub async fn timer_owner(
    storage: &dyn Storage,
    control: Capability<'_, may::ChangeSettings>,
    user_id: Uuid,
) -> Result<WorkspaceScope, ApiError> {
    owner_scope(storage, control.scope().workspace_id(), user_id).await
}

/// T8: the scope the server's runaway watchdog stops a timer in, as `timer_owner`.
pub async fn runaway_owner(
    storage: &dyn Storage,
    runaway: &RunawayTimer,
) -> Result<WorkspaceScope, ApiError> {
    owner_scope(storage, runaway.workspace_id, runaway.user_id).await
}

async fn owner_scope(
    storage: &dyn Storage,
    workspace_id: Uuid,
    user_id: Uuid,
) -> Result<WorkspaceScope, ApiError> {
    match storage.membership(user_id, workspace_id).await? {
        #[allow(clippy::disallowed_methods)] // the membership is the line above
        Some(membership) => Ok(WorkspaceScope::vouched_by_policy(
            workspace_id,
            user_id,
            Uuid::nil(),
            grants_of(&membership),
            membership.timesheet_access,
        )),
        None => Err(ApiError::not_found("no such member")),
    }
}

/// The scope an invitation is accepted in: its workspace, acting as the admin who invited
/// (who held `time:settings` to do so), allowed only to change members.
pub fn invited(invitation: &InvitationRecord) -> WorkspaceScope {
    #[allow(clippy::disallowed_methods)] // the invitation's token was checked by the caller
    WorkspaceScope::vouched_by_policy(
        invitation.workspace_id,
        invitation.invited_by,
        Uuid::nil(),
        Permissions::of(&[Permission::Settings]),
        TimesheetAccess::Full,
    )
}

/// The scope the command line seeds a workspace in (`stint-server demo`): no request and no
/// device, acting as the workspace's first admin.
pub fn seeding(workspace_id: Uuid, admin_id: Uuid) -> WorkspaceScope {
    #[allow(clippy::disallowed_methods)] // the operator at the command line is the authority
    WorkspaceScope::vouched_by_policy(
        workspace_id,
        admin_id,
        Uuid::nil(),
        DefaultRole::Admin.permissions(),
        TimesheetAccess::Full,
    )
}
