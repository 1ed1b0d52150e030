//! Workspace roles and members (P1, T5): custom roles made, edited and deleted, and each
//! member's roles and settings (active, manager, weekly hours, timesheet access) set, by
//! holders of `time:settings`. Default roles stay as the spec made them, and the workspace
//! always keeps someone holding the admin role. Nobody gives what they do not hold: a role's
//! permissions, the roles given to someone, and the member acted on stay within the caller's
//! own grants (`within_grants`).

use chrono::{DateTime, Utc};
use stint_api::rest::{Member, MemberChange, MemberRoles, Role, RoleRequest, User};
use stint_api::ErrorCode;
use stint_domain::Permissions;
use stint_storage::{
    may, Capability, MemberRecord, MemberSettings, RoleRecord, Storage, StorageError,
};
use uuid::Uuid;

use crate::error::ApiError;
use crate::events::Events;
use crate::policy;
use crate::service::accounts::short_name;
use crate::service::{control, teams};

type Settings<'s> = Capability<'s, may::ChangeSettings>;

/// The most role ids one request may give a member (the schema's `maxItems`).
pub const MAX_ROLES_HELD: usize = 100;

pub async fn list(storage: &dyn Storage, settings: Settings<'_>) -> Result<Vec<Role>, ApiError> {
    Ok(storage
        .roles(settings)
        .await?
        .into_iter()
        .map(role)
        .collect())
}

pub async fn create(
    storage: &dyn Storage,
    settings: Settings<'_>,
    request: &RoleRequest,
) -> Result<Role, ApiError> {
    let record = custom_role(Uuid::now_v7(), request)?;
    within_grants(settings, record.permissions)?;
    let mut tx = storage.begin().await?;
    if !tx.insert_role(settings, &record).await? {
        return Err(name_taken(&record.name));
    }
    tx.commit().await?;
    Ok(role(record))
}

pub async fn update(
    storage: &dyn Storage,
    settings: Settings<'_>,
    role_id: Uuid,
    request: &RoleRequest,
) -> Result<Role, ApiError> {
    let current = custom_role_of(storage, settings, role_id).await?;
    let record = custom_role(role_id, request)?;
    within_grants(settings, current.permissions.union(record.permissions))?;
    let mut tx = storage.begin().await?;
    if !tx
        .update_role(settings, &record)
        .await
        .map_err(no_such_role)?
    {
        return Err(name_taken(&record.name));
    }
    tx.commit().await?;
    Ok(role(record))
}

/// Deletes a custom role; whoever held it no longer does.
pub async fn delete(
    storage: &dyn Storage,
    settings: Settings<'_>,
    role_id: Uuid,
) -> Result<(), ApiError> {
    let current = custom_role_of(storage, settings, role_id).await?;
    within_grants(settings, current.permissions)?;
    let mut tx = storage.begin().await?;
    tx.delete_role(settings, role_id)
        .await
        .map_err(no_such_role)?;
    tx.commit().await?;
    Ok(())
}

pub async fn members(
    storage: &dyn Storage,
    settings: Settings<'_>,
) -> Result<Vec<Member>, ApiError> {
    Ok(storage
        .members(settings)
        .await?
        .into_iter()
        .map(member)
        .collect())
}

/// Replaces the roles a member holds. A role id that is not one of the workspace's is answered
/// like one that does not exist, whichever workspace it belongs to.
pub async fn set_member_roles(
    storage: &dyn Storage,
    settings: Settings<'_>,
    user_id: Uuid,
    request: &MemberRoles,
) -> Result<Member, ApiError> {
    let given = check_role_ids(storage, settings, &request.role_ids).await?;
    let held = member_grants(storage, settings, user_id).await?;
    within_grants(settings, given.union(held))?;
    let mut tx = storage.begin().await?;
    tx.set_member_roles(settings, user_id, &request.role_ids)
        .await
        .map_err(|error| match error {
            StorageError::NotFound => ApiError::not_found("no such member"),
            other => other.into(),
        })?;
    if tx.admin_count(settings).await? == 0 {
        // Dropped without commit: nothing changes.
        return Err(last_admin());
    }
    tx.commit().await?;
    storage
        .members(settings)
        .await?
        .into_iter()
        .find(|m| m.user_id == user_id)
        .map(member)
        .ok_or_else(|| ApiError::not_found("no such member"))
}

/// Changes what admins set for a member: active or not, manager, weekly hours, timesheet
/// access. Deactivating keeps the member's entries; their tokens stop reaching the workspace.
/// A member deactivated stops tracking (T6): their timer is stopped as this admin's stop.
pub async fn update_member(
    storage: &dyn Storage,
    events: &Events,
    settings: Settings<'_>,
    user_id: Uuid,
    change: &MemberChange,
    now: DateTime<Utc>,
) -> Result<Member, ApiError> {
    // Read, change, and write only if nothing changed meanwhile: two admins changing one
    // member at once must not undo each other (the second reads again).
    for _ in 0..MEMBER_CHANGE_TRIES {
        let members = storage.members(settings).await?;
        let current = members
            .iter()
            .find(|m| m.user_id == user_id)
            .ok_or_else(|| ApiError::not_found("no such member"))?;
        within_grants(settings, member_grants(storage, settings, user_id).await?)?;
        let next = changed_settings(current.settings, change, user_id, &members)?;
        // Their scope as a member, which a deactivated member no longer has.
        let deactivated = match current.settings.active && !next.active {
            true => Some((
                policy::timer_owner(storage, settings, user_id).await?,
                control::admin_words(storage, settings).await?,
            )),
            false => None,
        };
        let mut tx = storage.begin().await?;
        // First, while they are still active: once deactivated, nothing of theirs changes.
        let stopped = match &deactivated {
            Some((owner, by)) => {
                control::stop_for_deactivation(tx.as_mut(), owner, by, now).await?
            }
            None => None,
        };
        let unmanaged = tx.unmanaged_teams(settings.scope()).await?;
        if !tx
            .update_member(settings, user_id, &current.settings, &next)
            .await?
        {
            continue;
        }
        if tx.admin_count(settings).await? == 0 {
            return Err(last_admin());
        }
        // Deactivating the last who may manage a team would leave it to nobody.
        teams::still_managed(tx.as_mut(), settings.scope(), unmanaged).await?;
        tx.commit().await?;
        if let (Some((owner, by)), Some(timer_id)) = (&deactivated, stopped) {
            control::tell_stopped(events, owner, timer_id, by).await;
        }
        return Ok(member(MemberRecord {
            settings: next,
            ..current.clone()
        }));
    }
    Err(ApiError {
        retryable: true,
        ..ApiError::new(ErrorCode::Busy, "the member keeps changing; try again")
    })
}

/// How often a member change reads again after losing a race before it gives up.
const MEMBER_CHANGE_TRIES: usize = 3;

/// A member's settings with `change` applied, checked.
fn changed_settings(
    current: MemberSettings,
    change: &MemberChange,
    user_id: Uuid,
    members: &[MemberRecord],
) -> Result<MemberSettings, ApiError> {
    let mut next = current;
    if let Some(active) = change.active {
        next.active = active;
    }
    if let Some(manager_id) = change.manager_id {
        let known = |id: Uuid| id != user_id && members.iter().any(|m| m.user_id == id);
        if manager_id.is_some_and(|id| !known(id)) {
            return Err(ApiError::invalid(
                "manager_id",
                "the manager is another member of this workspace",
            ));
        }
        next.manager_id = manager_id;
    }
    if let Some(hours) = change.weekly_hours {
        if !(0.0..=168.0).contains(&hours) {
            return Err(ApiError::invalid(
                "weekly_hours",
                "weekly_hours is 0 to 168",
            ));
        }
        next.weekly_minutes = (hours * 60.0).round() as i64;
    }
    if let Some(access) = change.timesheet_access {
        next.timesheet_access = access;
    }
    Ok(next)
}

fn last_admin() -> ApiError {
    ApiError::new(
        ErrorCode::LastAdmin,
        "an active member must keep the admin role: give it to another member first",
    )
}

/// At most `MAX_ROLES_HELD` ids, each of a role of this workspace (another workspace's is
/// answered like one that does not exist): what holding them all grants.
pub async fn check_role_ids(
    storage: &dyn Storage,
    settings: Settings<'_>,
    role_ids: &[Uuid],
) -> Result<Permissions, ApiError> {
    if role_ids.len() > MAX_ROLES_HELD {
        return Err(ApiError::invalid(
            "role_ids",
            format!("at most {MAX_ROLES_HELD} roles"),
        ));
    }
    let roles = storage.roles(settings).await?;
    let mut granted = Permissions::NONE;
    for id in role_ids {
        let role = roles.iter().find(|r| r.id == *id).ok_or_else(|| {
            ApiError::invalid("role_ids", format!("no role {id} in this workspace"))
        })?;
        granted = granted.union(role.permissions);
    }
    Ok(granted)
}

/// Nobody gives what they do not hold (nor acts on someone who holds more): `permissions`
/// must be within the caller's own grants.
pub fn within_grants(settings: Settings<'_>, permissions: Permissions) -> Result<(), ApiError> {
    match permissions.first_not_in(settings.scope().permissions()) {
        Some(missing) => Err(ApiError::new(
            ErrorCode::Forbidden,
            format!(
                "this would give or touch `{}`, which your roles do not grant",
                missing.as_str()
            ),
        )
        .with_details(serde_json::json!({ "permission": missing }))),
        None => Ok(()),
    }
}

/// What a member's roles grant now (nothing for someone who is no member).
pub async fn member_grants(
    storage: &dyn Storage,
    settings: Settings<'_>,
    user_id: Uuid,
) -> Result<Permissions, ApiError> {
    let held = storage
        .members(settings)
        .await?
        .into_iter()
        .find(|m| m.user_id == user_id)
        .map(|m| m.role_ids)
        .unwrap_or_default();
    check_role_ids(storage, settings, &held).await
}

/// A custom role from a request: its name trimmed and checked.
fn custom_role(id: Uuid, request: &RoleRequest) -> Result<RoleRecord, ApiError> {
    Ok(RoleRecord {
        id,
        name: short_name("name", &request.name)?.to_string(),
        default_role: None,
        permissions: request.permissions.iter().copied().collect::<Permissions>(),
    })
}

/// The custom role with this id: a default role's is refused, an unknown one is not found.
async fn custom_role_of(
    storage: &dyn Storage,
    settings: Settings<'_>,
    role_id: Uuid,
) -> Result<RoleRecord, ApiError> {
    let roles = storage.roles(settings).await?;
    match roles.into_iter().find(|r| r.id == role_id) {
        Some(RoleRecord {
            default_role: Some(default),
            ..
        }) => Err(ApiError::new(
            ErrorCode::RoleFixed,
            format!(
                "{} is a default role: its name and permissions are fixed",
                default.name()
            ),
        )),
        Some(role) => Ok(role),
        None => Err(ApiError::not_found("no such role")),
    }
}

fn no_such_role(error: StorageError) -> ApiError {
    match error {
        StorageError::NotFound => ApiError::not_found("no such role"),
        other => other.into(),
    }
}

fn name_taken(name: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NameTaken,
        format!("this workspace has a role named {name:?} already"),
    )
}

fn role(record: RoleRecord) -> Role {
    Role {
        id: record.id,
        name: record.name,
        default_role: record.default_role,
        permissions: record.permissions.to_vec(),
    }
}

fn member(record: MemberRecord) -> Member {
    Member {
        user: User {
            id: record.user_id,
            email: record.email,
            name: record.name,
        },
        role_ids: record.role_ids,
        active: record.settings.active,
        manager_id: record.settings.manager_id,
        weekly_hours: record.settings.weekly_minutes as f64 / 60.0,
        timesheet_access: record.settings.timesheet_access,
    }
}
