//! Teams (P2) and the workspace's secured-teams option (P4). Admins (`time:settings`) make and
//! delete teams; a team's name, members and custom roles are changed by whoever `policy`
//! hands a `TeamManagement` to. Default team roles stay as the spec made them, nobody gives a
//! team permission they do not hold there, and every team keeps an active member who may
//! manage it.

use stint_api::rest::{
    NewTeamRequest, SecuredEntries, Team, TeamChange, TeamDeleted, TeamDeletion, TeamMember,
    TeamMemberRoles, TeamRole, TeamRoleRequest, User, WorkspaceChange, WorkspaceSettings,
};
use stint_api::ErrorCode;
use stint_domain::{DefaultTeamRole, TeamPermissions, WorkLogs};
use stint_storage::{
    may, Capability, NewTeam, Storage, StorageError, TeamManagement, TeamRecord, TeamRoleRecord,
    Transaction, WorkspaceScope,
};
use uuid::Uuid;

use crate::error::ApiError;
use crate::policy;
use crate::service::accounts::short_name;
use crate::time::now;

type Settings<'s> = Capability<'s, may::ChangeSettings>;
type Read<'s> = Capability<'s, may::Read>;

/// The most team role ids one request may give a member (the schema's `maxItems`).
const MAX_TEAM_ROLES_HELD: usize = 100;

pub async fn workspace(
    storage: &dyn Storage,
    scope: &WorkspaceScope,
) -> Result<WorkspaceSettings, ApiError> {
    let record = storage.workspace(scope).await?;
    Ok(WorkspaceSettings {
        id: record.id,
        name: record.name,
        secured_teams: record.secured_teams,
    })
}

pub async fn change_workspace(
    storage: &dyn Storage,
    settings: Settings<'_>,
    change: &WorkspaceChange,
) -> Result<WorkspaceSettings, ApiError> {
    if let Some(allowed) = change.secured_teams {
        let mut tx = storage.begin().await?;
        tx.set_secured_teams(settings, allowed).await?;
        tx.commit().await?;
    }
    workspace(storage, settings.scope()).await
}

/// The workspace's teams by name, each as the caller sees it.
pub async fn list(storage: &dyn Storage, read: Read<'_>) -> Result<Vec<Team>, ApiError> {
    let scope = read.scope();
    Ok(storage
        .teams(scope, None)
        .await?
        .into_iter()
        .map(|record| team(scope, record))
        .collect())
}

pub async fn get(storage: &dyn Storage, read: Read<'_>, team_id: Uuid) -> Result<Team, ApiError> {
    Ok(team(
        read.scope(),
        team_of(storage, read.scope(), team_id).await?,
    ))
}

/// Makes a team with its two default roles; its lead holds Team Lead.
pub async fn create(
    storage: &dyn Storage,
    settings: Settings<'_>,
    request: &NewTeamRequest,
) -> Result<Team, ApiError> {
    let name = short_name("name", &request.name)?;
    let record = NewTeam {
        id: Uuid::now_v7(),
        name: name.to_string(),
        work_logs: request.work_logs,
        created_at: now(),
        lead_id: request.lead_id,
        lead_role_id: Uuid::now_v7(),
        member_role_id: Uuid::now_v7(),
    };
    let mut tx = storage.begin().await?;
    if request.work_logs == WorkLogs::Secured && !tx.secured_teams_allowed(settings).await? {
        return Err(ApiError::new(
            ErrorCode::SecuredTeamsOff,
            "this workspace does not allow teams with secured work logs; an admin can turn them on",
        ));
    }
    let inserted = tx
        .insert_team(settings, &record)
        .await
        .map_err(|error| match error {
            StorageError::NotFound => ApiError::invalid(
                "lead_id",
                "the lead must be an active member of this workspace",
            ),
            other => other.into(),
        })?;
    if !inserted {
        return Err(name_taken("team", name));
    }
    tx.commit().await?;
    get_for(storage, settings.scope(), record.id).await
}

/// Renames a team. Its work-log visibility cannot change: asking for another is refused.
pub async fn change(
    storage: &dyn Storage,
    scope: &WorkspaceScope,
    team_id: Uuid,
    change: &TeamChange,
) -> Result<Team, ApiError> {
    decided_again(|| async move {
        let current = team_of(storage, scope, team_id).await?;
        let management = policy::team_management(scope, &current)?;
        if change.work_logs.is_some_and(|w| w != current.work_logs) {
            return Err(ApiError::new(
                ErrorCode::WorkLogsFixed,
                "a team's work-log visibility is chosen when it is made; make a new team instead",
            ));
        }
        if let Some(name) = &change.name {
            let name = short_name("name", name)?;
            let mut tx = storage.begin().await?;
            if !tx.rename_team(management, name).await? {
                return Err(name_taken("team", name));
            }
            tx.commit().await?;
        }
        Ok(())
    })
    .await?;
    get_for(storage, scope, team_id).await
}

/// Deletes a team, its roles and memberships; its public entries then belong to no team. A
/// secured team's deletion says what becomes of its entries — converted to public entries of no
/// team, or deleted — and confirms it cannot be undone. All of it happens in one transaction:
/// a deletion cut short (the server killed, the database gone) leaves the team and every entry
/// as they were, and is simply asked again.
pub async fn delete(
    storage: &dyn Storage,
    settings: Settings<'_>,
    team_id: Uuid,
    deletion: &TeamDeletion,
) -> Result<TeamDeleted, ApiError> {
    if deletion
        .confirm
        .as_deref()
        .is_some_and(|c| c != "irreversible")
    {
        return Err(ApiError::invalid(
            "confirm",
            "`confirm` takes one value: irreversible",
        ));
    }
    let current = team_of(storage, settings.scope(), team_id).await?;
    let keep_secured = match current.work_logs {
        WorkLogs::Public => true,
        WorkLogs::Secured => {
            let Some(entries) = deletion.entries else {
                return Err(ApiError::invalid(
                    "entries",
                    "say what becomes of a secured team's entries: entries=convert_to_public or entries=delete",
                ));
            };
            if deletion.confirm.as_deref() != Some("irreversible") {
                return Err(ApiError::invalid(
                    "confirm",
                    "deleting a secured team cannot be undone: confirm=irreversible",
                ));
            }
            entries == SecuredEntries::ConvertToPublic
        }
    };
    let mut tx = storage.begin().await?;
    let Some(handled) = tx
        .delete_team(settings, team_id, keep_secured, now())
        .await?
    else {
        return Err(ApiError::not_found("no such team"));
    };
    tx.commit().await?;
    let (entries_converted, entries_deleted) = if keep_secured {
        (handled, 0)
    } else {
        (0, handled)
    };
    Ok(TeamDeleted {
        entries_converted,
        entries_deleted,
    })
}

pub async fn create_role(
    storage: &dyn Storage,
    scope: &WorkspaceScope,
    team_id: Uuid,
    request: &TeamRoleRequest,
) -> Result<Team, ApiError> {
    let record = custom_role(Uuid::now_v7(), request)?;
    let record = &record;
    decided_again(|| async move {
        let current = team_of(storage, scope, team_id).await?;
        let management = policy::team_management(scope, &current)?;
        within_team_grants(&management, record.permissions)?;
        let mut tx = storage.begin().await?;
        if !tx.insert_team_role(management, record).await? {
            return Err(name_taken("team role", &record.name));
        }
        tx.commit().await?;
        Ok(())
    })
    .await?;
    get_for(storage, scope, team_id).await
}

/// Renames a custom team role and replaces its permissions; what its holders hold changes
/// with it, so the caller must hold all they hold.
pub async fn update_role(
    storage: &dyn Storage,
    scope: &WorkspaceScope,
    team_id: Uuid,
    role_id: Uuid,
    request: &TeamRoleRequest,
) -> Result<Team, ApiError> {
    let record = custom_role(role_id, request)?;
    let record = &record;
    decided_again(|| async move {
        let current = team_of(storage, scope, team_id).await?;
        let management = policy::team_management(scope, &current)?;
        custom_role_of(&current, role_id)?;
        within_team_grants(&management, record.permissions)?;
        within_team_grants(&management, holders_grants(&current, role_id)?)?;
        let mut tx = storage.begin().await?;
        let unmanaged = tx.unmanaged_teams(scope).await?;
        if !tx
            .update_team_role(management, record)
            .await
            .map_err(no_such_role)?
        {
            return Err(name_taken("team role", &record.name));
        }
        still_managed(tx.as_mut(), scope, unmanaged).await?;
        tx.commit().await?;
        Ok(())
    })
    .await?;
    get_for(storage, scope, team_id).await
}

/// Deletes a custom team role; whoever held it no longer does, so the caller must hold all
/// they hold.
pub async fn delete_role(
    storage: &dyn Storage,
    scope: &WorkspaceScope,
    team_id: Uuid,
    role_id: Uuid,
) -> Result<(), ApiError> {
    decided_again(|| async move {
        let current = team_of(storage, scope, team_id).await?;
        let management = policy::team_management(scope, &current)?;
        let role = custom_role_of(&current, role_id)?;
        within_team_grants(&management, role.permissions)?;
        within_team_grants(&management, holders_grants(&current, role_id)?)?;
        let mut tx = storage.begin().await?;
        let unmanaged = tx.unmanaged_teams(scope).await?;
        tx.delete_team_role(management, role_id)
            .await
            .map_err(no_such_role)?;
        still_managed(tx.as_mut(), scope, unmanaged).await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Adds a member to the team, or replaces the team roles they hold. Left out, the roles are
/// Team Member for someone new and what they hold for a member. A role id that is not one of
/// the team's is answered like an unknown one.
pub async fn set_member_roles(
    storage: &dyn Storage,
    scope: &WorkspaceScope,
    team_id: Uuid,
    user_id: Uuid,
    request: &TeamMemberRoles,
) -> Result<Team, ApiError> {
    if request
        .role_ids
        .as_ref()
        .is_some_and(|ids| ids.len() > MAX_TEAM_ROLES_HELD)
    {
        return Err(ApiError::invalid(
            "role_ids",
            format!("at most {MAX_TEAM_ROLES_HELD} team roles"),
        ));
    }
    decided_again(|| async move {
        let current = team_of(storage, scope, team_id).await?;
        let management = policy::team_management(scope, &current)?;
        let held = current.members.iter().find(|m| m.user_id == user_id);
        let role_ids = match (&request.role_ids, held) {
            (Some(ids), _) => ids.clone(),
            (None, Some(member)) => member.role_ids.clone(),
            (None, None) => vec![default_role_id(&current, DefaultTeamRole::TeamMember)?],
        };
        let given = role_permissions(&current, &role_ids)?;
        let held = role_permissions(&current, &held_role_ids(&current, user_id))?;
        within_team_grants(&management, given.union(held))?;
        let mut tx = storage.begin().await?;
        let unmanaged = tx.unmanaged_teams(scope).await?;
        tx.set_team_member_roles(management, user_id, &role_ids)
            .await
            .map_err(|error| match error {
                StorageError::NotFound => ApiError::not_found("no such member in this workspace"),
                other => other.into(),
            })?;
        still_managed(tx.as_mut(), scope, unmanaged).await?;
        tx.commit().await?;
        Ok(())
    })
    .await?;
    get_for(storage, scope, team_id).await
}

pub async fn remove_member(
    storage: &dyn Storage,
    scope: &WorkspaceScope,
    team_id: Uuid,
    user_id: Uuid,
) -> Result<(), ApiError> {
    decided_again(|| async move {
        let current = team_of(storage, scope, team_id).await?;
        let management = policy::team_management(scope, &current)?;
        within_team_grants(
            &management,
            role_permissions(&current, &held_role_ids(&current, user_id))?,
        )?;
        let mut tx = storage.begin().await?;
        let unmanaged = tx.unmanaged_teams(scope).await?;
        if !tx.remove_team_member(management, user_id).await? {
            return Err(ApiError::not_found("no such member of this team"));
        }
        still_managed(tx.as_mut(), scope, unmanaged).await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// How often a team change is decided again, on the team as it is now, after the team changed
/// between the decision and the write, before it answers `busy`.
const TEAM_CHANGE_TRIES: usize = 3;

/// Runs `change` — read the team, decide, write if the team is still as read — until it is
/// not overtaken by another change to the team, at most `TEAM_CHANGE_TRIES` times. (Storage
/// answers a write on a team that changed meanwhile with `Conflict`, which is `busy`.)
pub async fn decided_again<T, F, Fut>(mut change: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    for _ in 1..TEAM_CHANGE_TRIES {
        match change().await {
            Err(error) if error.code == ErrorCode::Busy => continue,
            done => return done,
        }
    }
    change().await
}

/// Refuses (before commit) a change that left one more team with nobody who may manage it.
/// A team nobody managed before may still be changed (by an admin, if public).
pub async fn still_managed(
    tx: &mut dyn Transaction,
    scope: &WorkspaceScope,
    unmanaged_before: i64,
) -> Result<(), ApiError> {
    if tx.unmanaged_teams(scope).await? > unmanaged_before {
        return Err(last_team_manager());
    }
    Ok(())
}

/// What the holders of a role hold in the team, all together: changing or deleting the role
/// touches each of them.
fn holders_grants(team: &TeamRecord, role_id: Uuid) -> Result<TeamPermissions, ApiError> {
    team.members
        .iter()
        .filter(|m| m.role_ids.contains(&role_id))
        .try_fold(TeamPermissions::NONE, |all, m| {
            Ok(all.union(role_permissions(team, &m.role_ids)?))
        })
}

/// The team with this id in the scope's workspace (another workspace's is not found).
async fn team_of(
    storage: &dyn Storage,
    scope: &WorkspaceScope,
    team_id: Uuid,
) -> Result<TeamRecord, ApiError> {
    storage
        .teams(scope, Some(team_id))
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found("no such team"))
}

async fn get_for(
    storage: &dyn Storage,
    scope: &WorkspaceScope,
    team_id: Uuid,
) -> Result<Team, ApiError> {
    Ok(team(scope, team_of(storage, scope, team_id).await?))
}

/// Nobody gives a team permission they do not hold there (nor acts on someone who holds more).
fn within_team_grants(
    management: &TeamManagement<'_>,
    permissions: TeamPermissions,
) -> Result<(), ApiError> {
    match permissions.first_not_in(management.grants()) {
        Some(missing) => Err(ApiError::new(
            ErrorCode::Forbidden,
            format!(
                "this would give or touch `{}`, which you do not hold in this team",
                missing.as_str()
            ),
        )
        .with_details(serde_json::json!({ "team_permission": missing }))),
        None => Ok(()),
    }
}

/// What holding these roles of the team gives; an id that is not the team's is refused.
fn role_permissions(team: &TeamRecord, role_ids: &[Uuid]) -> Result<TeamPermissions, ApiError> {
    role_ids
        .iter()
        .try_fold(TeamPermissions::NONE, |granted, id| {
            let role = team.roles.iter().find(|r| r.id == *id).ok_or_else(|| {
                ApiError::invalid("role_ids", format!("no role {id} in this team"))
            })?;
            Ok(granted.union(role.permissions))
        })
}

fn held_role_ids(team: &TeamRecord, user_id: Uuid) -> Vec<Uuid> {
    team.members
        .iter()
        .find(|m| m.user_id == user_id)
        .map(|m| m.role_ids.clone())
        .unwrap_or_default()
}

fn default_role_id(team: &TeamRecord, role: DefaultTeamRole) -> Result<Uuid, ApiError> {
    team.roles
        .iter()
        .find(|r| r.default_role == Some(role))
        .map(|r| r.id)
        .ok_or_else(|| ApiError::internal(format!("team {} has no {} role", team.id, role.name())))
}

fn custom_role(id: Uuid, request: &TeamRoleRequest) -> Result<TeamRoleRecord, ApiError> {
    Ok(TeamRoleRecord {
        id,
        name: short_name("name", &request.name)?.to_string(),
        default_role: None,
        permissions: request.permissions.iter().copied().collect(),
    })
}

/// The team's custom role with this id: a default role's is refused, an unknown one is not
/// found.
fn custom_role_of(team: &TeamRecord, role_id: Uuid) -> Result<TeamRoleRecord, ApiError> {
    match team.roles.iter().find(|r| r.id == role_id) {
        Some(TeamRoleRecord {
            default_role: Some(default),
            ..
        }) => Err(ApiError::new(
            ErrorCode::RoleFixed,
            format!(
                "{} is a default team role: its name and permissions are fixed",
                default.name()
            ),
        )),
        Some(role) => Ok(role.clone()),
        None => Err(ApiError::not_found("no such team role")),
    }
}

fn no_such_role(error: StorageError) -> ApiError {
    match error {
        StorageError::NotFound => ApiError::not_found("no such team role"),
        other => other.into(),
    }
}

fn name_taken(what: &str, name: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NameTaken,
        format!("there is a {what} named {name:?} already"),
    )
}

fn last_team_manager() -> ApiError {
    ApiError::new(
        ErrorCode::LastTeamManager,
        "the team must keep an active member who may manage it: give Team Lead or `manage_team` to another member first",
    )
}

fn team(scope: &WorkspaceScope, record: TeamRecord) -> Team {
    let my_permissions = policy::team_grants(scope, &record).to_vec();
    let managed_by_me = policy::team_management(scope, &record).is_ok();
    Team {
        id: record.id,
        name: record.name,
        work_logs: record.work_logs,
        roles: record
            .roles
            .into_iter()
            .map(|role| TeamRole {
                id: role.id,
                name: role.name,
                default_role: role.default_role,
                permissions: role.permissions.to_vec(),
            })
            .collect(),
        members: record
            .members
            .into_iter()
            .map(|member| TeamMember {
                user: User {
                    id: member.user_id,
                    email: member.email,
                    name: member.name,
                },
                role_ids: member.role_ids,
            })
            .collect(),
        my_permissions,
        managed_by_me,
    }
}
