//! Sign-in: email and password for a device token; tokens back to their caller.

use std::net::IpAddr;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use stint_api::rest::{TokenRequest, TokenResponse, User, Workspace};
use stint_api::ErrorCode;
use stint_storage::{DeviceRecord, Storage, StorageError, TokenRecord, UserRecord};
use uuid::Uuid;

use crate::error::ApiError;
use crate::policy;
use crate::service::passwords::Passwords;
use crate::service::sign_in_limits::SignInLimits;

/// Device tokens last 90 days; signing in again issues a new one.
pub const TOKEN_TTL: Duration = Duration::days(90);
pub const MAX_DEVICE_NAME_CHARS: usize = 100;
pub const MAX_EMAIL_CHARS: usize = 254;
/// argon2's cost grows with the password: a megabyte "password" must not buy a megabyte of work.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// How long an expired token is kept (answered `token_expired`, not `invalid_token`) before a
/// sign-in purges it.
const EXPIRED_TOKENS_KEPT: Duration = Duration::days(30);

/// Who is calling: the token's user, and its device (none for a personal access token).
/// Workspace access is decided by `policy`.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    pub user_id: Uuid,
    pub device_id: Option<Uuid>,
}

/// Tokens are random; only their SHA-256 is stored, so a leaked database holds no usable token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random token, as handed out once.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("stint_{}", hex::encode(bytes))
}

/// Email and password for a device token. `address` is the client's, for `limits`: a sign-in
/// they hold back is answered before any password is hashed.
pub async fn sign_in(
    storage: &dyn Storage,
    passwords: &Passwords,
    limits: &SignInLimits,
    request: &TokenRequest,
    address: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<TokenResponse, ApiError> {
    let device_name = device_name(&request.device_name)?;
    let email = request.email.trim();
    limits
        .attempt(email, address, Instant::now())
        .map_err(ApiError::too_many_attempts)?;
    let user =
        if email.chars().count() > MAX_EMAIL_CHARS || request.password.len() > MAX_PASSWORD_BYTES {
            // Too long to be anyone's: a wrong password, without the hashing.
            None
        } else {
            let user = storage.user_by_email(email).await?;
            let matches = passwords
                .verify(
                    &request.password,
                    user.as_ref().map(|u| u.password_hash.as_str()),
                )
                .await?;
            user.filter(|_| matches)
        };
    let Some(user) = user else {
        return Err(wrong_credentials());
    };
    limits.succeeded(email, address);
    let issued = issue_token(
        storage,
        user.id,
        request.device_id,
        device_name,
        now,
        TOKEN_TTL,
    )
    .await?;
    signed_in(storage, user, issued).await
}

/// What a device is told when it is signed in: its token, who it is, and where they are a
/// member.
pub async fn signed_in(
    storage: &dyn Storage,
    user: UserRecord,
    issued: IssuedToken,
) -> Result<TokenResponse, ApiError> {
    let workspaces = storage
        .memberships_of(user.id)
        .await?
        .into_iter()
        .map(|m| Workspace {
            id: m.workspace_id,
            permissions: policy::grants_of(&m).to_vec(),
            roles: m.roles.into_iter().map(|role| role.name).collect(),
            name: m.workspace_name,
            timesheet_access: m.timesheet_access,
        })
        .collect();
    Ok(TokenResponse {
        token: issued.token,
        device_id: issued.device_id,
        user: User {
            id: user.id,
            email: user.email,
            name: user.name,
        },
        workspaces,
    })
}

/// The device name as stored: trimmed, then 1 to `MAX_DEVICE_NAME_CHARS` characters.
pub fn device_name(sent: &str) -> Result<&str, ApiError> {
    short_name("device_name", sent)
}

/// A name as stored (of a device, a role …): trimmed, then 1 to `MAX_DEVICE_NAME_CHARS`
/// characters; `field` names it in the error.
pub fn short_name<'a>(field: &str, sent: &'a str) -> Result<&'a str, ApiError> {
    let name = sent.trim();
    if name.is_empty() || name.chars().count() > MAX_DEVICE_NAME_CHARS {
        return Err(ApiError::invalid(
            field,
            format!("{field} must be 1 to {MAX_DEVICE_NAME_CHARS} characters"),
        ));
    }
    Ok(name)
}

fn wrong_credentials() -> ApiError {
    ApiError::new(ErrorCode::InvalidCredentials, "wrong email or password")
}

pub struct IssuedToken {
    pub token: String,
    pub device_id: Uuid,
}

/// Issues a token for `user_id` on a device, revoking the device's older tokens and purging
/// long-expired ones. A device id this user has signed in with before is kept; any other —
/// none, one nobody has, or another user's — is replaced by a fresh one, so an answer tells
/// nothing about other users' devices (the device adopts the id it is given).
pub async fn issue_token(
    storage: &dyn Storage,
    user_id: Uuid,
    device_id: Option<Uuid>,
    device_name: &str,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<IssuedToken, ApiError> {
    let token = new_token();
    let mut tx = storage.begin().await?;
    let device_id = match device_id {
        Some(id) if tx.device_owner(id).await? == Some(user_id) => id,
        _ => Uuid::now_v7(),
    };
    let registered = tx
        .upsert_device(&DeviceRecord {
            id: device_id,
            user_id,
            name: device_name.to_string(),
            created_at: now,
        })
        .await?;
    if !registered {
        // A fresh v7 id taken meanwhile: not expected; the caller may try again.
        return Err(StorageError::Conflict {
            constraint: "devices_pkey".into(),
        }
        .into());
    }
    tx.revoke_device_tokens(user_id, Some(device_id)).await?;
    tx.purge_tokens(now - EXPIRED_TOKENS_KEPT).await?;
    tx.insert_token(&TokenRecord {
        id: Uuid::now_v7(),
        hash: token_hash(&token),
        user_id,
        device_id: Some(device_id),
        name: None,
        created_at: now,
        expires_at: Some(now + ttl),
    })
    .await?;
    tx.commit().await?;
    Ok(IssuedToken { token, device_id })
}

pub async fn caller_for_token(
    storage: &dyn Storage,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Caller, ApiError> {
    let record = storage
        .token(&token_hash(token))
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidToken, "the token is not valid"))?;
    if record.expires_at.is_some_and(|expires| expires <= now) {
        return Err(ApiError::new(
            ErrorCode::TokenExpired,
            "the token has expired; sign in again",
        ));
    }
    Ok(Caller {
        user_id: record.user_id,
        device_id: record.device_id,
    })
}

pub async fn revoke_token(storage: &dyn Storage, token: &str) -> Result<(), ApiError> {
    storage.delete_token(&token_hash(token)).await?;
    Ok(())
}
