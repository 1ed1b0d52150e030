//! A user's tokens beyond signing in (I3): personal access tokens, made (shown once), listed
//! and revoked; and devices, listed and signed out remotely — one, or all at once, by the user
//! or by an admin of a workspace they are in. Another user's token or device ids answer like
//! unknown ones.

use chrono::{DateTime, Utc};
use stint_api::rest::{Device, NewPersonalToken, PersonalToken, PersonalTokenRequest};
use stint_storage::{may, Capability, Storage, TokenRecord};
use uuid::Uuid;

use crate::error::ApiError;
use crate::service::accounts::{new_token, short_name, token_hash, Caller};
use crate::service::roles;

pub async fn create(
    storage: &dyn Storage,
    caller: &Caller,
    request: &PersonalTokenRequest,
    now: DateTime<Utc>,
) -> Result<NewPersonalToken, ApiError> {
    let name = short_name("name", &request.name)?;
    if let Some(expires) = request.expires_at {
        if expires <= now {
            return Err(ApiError::invalid(
                "expires_at",
                format!("expires_at must be in the future (it is {now} now)"),
            ));
        }
    }
    let token = new_token();
    let record = TokenRecord {
        id: Uuid::now_v7(),
        hash: token_hash(&token),
        user_id: caller.user_id,
        device_id: None,
        name: Some(name.to_string()),
        created_at: now,
        expires_at: request.expires_at.map(crate::time::to_millis),
    };
    let mut tx = storage.begin().await?;
    tx.insert_token(&record).await?;
    tx.commit().await?;
    Ok(NewPersonalToken {
        token,
        listed: personal_token(record),
    })
}

pub async fn list(storage: &dyn Storage, caller: &Caller) -> Result<Vec<PersonalToken>, ApiError> {
    Ok(storage
        .personal_tokens(caller.user_id)
        .await?
        .into_iter()
        .map(personal_token)
        .collect())
}

pub async fn revoke(
    storage: &dyn Storage,
    caller: &Caller,
    token_id: Uuid,
) -> Result<(), ApiError> {
    let mut tx = storage.begin().await?;
    if !tx.revoke_personal_token(caller.user_id, token_id).await? {
        return Err(ApiError::not_found("no such token"));
    }
    tx.commit().await?;
    Ok(())
}

pub async fn devices(
    storage: &dyn Storage,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<Vec<Device>, ApiError> {
    Ok(storage
        .devices_of(caller.user_id, now)
        .await?
        .into_iter()
        .map(|d| Device {
            current: caller.device_id == Some(d.device.id),
            id: d.device.id,
            name: d.device.name,
            created_at: d.device.created_at,
            signed_in: d.signed_in,
        })
        .collect())
}

/// Signs out one of the caller's devices, or all of them (this one too) when `device_id` is
/// `None`: their tokens stop working at once. Personal access tokens stay.
pub async fn sign_out_devices(
    storage: &dyn Storage,
    caller: &Caller,
    device_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if let Some(device_id) = device_id {
        let own = storage.devices_of(caller.user_id, now).await?;
        if !own.iter().any(|d| d.device.id == device_id) {
            return Err(ApiError::not_found("no such device"));
        }
    }
    let mut tx = storage.begin().await?;
    tx.revoke_device_tokens(caller.user_id, device_id).await?;
    tx.commit().await?;
    Ok(())
}

/// An admin signs a member of their workspace out of every device and revokes their personal
/// access tokens.
pub async fn sign_out_member(
    storage: &dyn Storage,
    settings: Capability<'_, may::ChangeSettings>,
    user_id: Uuid,
) -> Result<(), ApiError> {
    // Deactivated members too: their tokens must not wait for a reactivation.
    let members = storage.members(settings).await?;
    let member = members
        .iter()
        .find(|m| m.user_id == user_id)
        .ok_or_else(|| ApiError::not_found("no such member"))?;
    // Like any change to a member: only by someone holding everything the member holds (a
    // custom role with `time:settings` alone does not sign the admins out).
    roles::within_grants(
        settings,
        roles::check_role_ids(storage, settings, &member.role_ids).await?,
    )?;
    let mut tx = storage.begin().await?;
    // Their personal access tokens too: an admin cutting off an account (a lost laptop, a
    // leaver) must not leave a script's token working.
    tx.revoke_all_tokens(user_id).await?;
    tx.commit().await?;
    Ok(())
}

fn personal_token(record: TokenRecord) -> PersonalToken {
    PersonalToken {
        id: record.id,
        name: record.name.unwrap_or_default(),
        created_at: record.created_at,
        expires_at: record.expires_at,
    }
}
