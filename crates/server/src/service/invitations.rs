//! Invitations (P1): holders of `time:settings` invite someone by email with the roles they
//! will hold, and get a one-time token (shown once, kept as its SHA-256) to pass on. The
//! invitee joins with it: a new account gets the password they choose; an email that has an
//! account already must give that account's password (so the admin learns nothing about who
//! has one). Either way the device is signed in.

use std::net::IpAddr;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use stint_api::rest::{
    AcceptInvitation, Invitation, InvitationRequest, NewInvitation, TokenResponse,
};
use stint_api::ErrorCode;
use stint_domain::{Permission, Permissions};
use stint_storage::{may, Capability, InvitationRecord, Storage, UserRecord};
use uuid::Uuid;

use crate::error::ApiError;
use crate::policy;
use crate::service::accounts::{
    self, device_name, new_token, short_name, token_hash, MAX_EMAIL_CHARS, MAX_PASSWORD_BYTES,
    TOKEN_TTL,
};
use crate::service::passwords::Passwords;
use crate::service::roles::{check_role_ids, within_grants};
use crate::service::sign_in_limits::SignInLimits;

/// How long an invitation's token works.
pub const INVITATION_TTL: Duration = Duration::days(7);
/// The shortest password a new account may have.
pub const MIN_PASSWORD_BYTES: usize = 8;

type Settings<'s> = Capability<'s, may::ChangeSettings>;

pub async fn invite(
    storage: &dyn Storage,
    settings: Settings<'_>,
    request: &InvitationRequest,
    now: DateTime<Utc>,
) -> Result<NewInvitation, ApiError> {
    let email = request.email.trim();
    if email.is_empty() || email.chars().count() > MAX_EMAIL_CHARS || !email.contains('@') {
        return Err(ApiError::invalid(
            "email",
            "an email address, at most 254 characters",
        ));
    }
    let name = short_name("name", &request.name)?;
    let granted = check_role_ids(storage, settings, &request.role_ids).await?;
    within_grants(settings, granted)?;
    let token = new_token();
    let record = InvitationRecord {
        id: Uuid::now_v7(),
        workspace_id: settings.scope().workspace_id(),
        email: email.to_string(),
        name: name.to_string(),
        token_hash: token_hash(&token),
        invited_by: settings.scope().user_id(),
        role_ids: request.role_ids.clone(),
        created_at: now,
        expires_at: now + INVITATION_TTL,
    };
    let mut tx = storage.begin().await?;
    tx.insert_invitation(settings, &record).await?;
    tx.commit().await?;
    Ok(NewInvitation {
        token,
        invitation: invitation(record),
    })
}

pub async fn list(
    storage: &dyn Storage,
    settings: Settings<'_>,
) -> Result<Vec<Invitation>, ApiError> {
    Ok(storage
        .invitations(settings)
        .await?
        .into_iter()
        .map(invitation)
        .collect())
}

pub async fn withdraw(
    storage: &dyn Storage,
    settings: Settings<'_>,
    invitation_id: Uuid,
) -> Result<(), ApiError> {
    let mut tx = storage.begin().await?;
    if !tx.delete_invitation(settings, invitation_id).await? {
        return Err(ApiError::not_found("no such invitation"));
    }
    tx.commit().await?;
    Ok(())
}

/// Joins the invitation's workspace with its roles (added to any the invitee holds there), and
/// signs the device in. It answers like an unknown invitation when its maker no longer holds
/// what it gives, or when the invitee is a member an admin deactivated. It counts as a sign-in
/// for `limits`: a wrong password for an existing account is a failed one.
pub async fn accept(
    storage: &dyn Storage,
    passwords: &Passwords,
    limits: &SignInLimits,
    request: &AcceptInvitation,
    address: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<TokenResponse, ApiError> {
    let device_name = device_name(&request.device_name)?;
    let unknown = || ApiError::not_found("no such invitation: it may have expired or been used");
    let invitation = storage
        .open_invitation(&token_hash(&request.token), now)
        .await?
        .ok_or_else(unknown)?;
    limits
        .attempt(&invitation.email, address, Instant::now())
        .map_err(ApiError::too_many_attempts)?;
    if request.password.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::invalid("password", "at most 1,024 bytes"));
    }
    let existing = storage.user_by_email(&invitation.email).await?;
    let (user, new_user) = match existing {
        Some(user) => {
            if !passwords
                .verify(&request.password, Some(&user.password_hash))
                .await?
            {
                return Err(ApiError::new(
                    ErrorCode::InvalidCredentials,
                    "this email has an account: give its password to join",
                ));
            }
            (user, false)
        }
        None => {
            if request.password.len() < MIN_PASSWORD_BYTES {
                return Err(ApiError::invalid(
                    "password",
                    format!("a new password is at least {MIN_PASSWORD_BYTES} bytes"),
                ));
            }
            let user = UserRecord {
                id: Uuid::now_v7(),
                email: invitation.email.clone(),
                name: invitation.name.clone(),
                password_hash: passwords.hash(&request.password).await?,
            };
            (user, true)
        }
    };
    let scope = policy::invited(&invitation);
    let settings = scope.require::<may::ChangeSettings>()?;
    // The invitation's roles that still exist, and what they grant.
    let roles = storage.roles(settings).await?;
    let invited: Vec<_> = roles
        .iter()
        .filter(|r| invitation.role_ids.contains(&r.id))
        .collect();
    let grants = invited
        .iter()
        .fold(Permissions::NONE, |all, r| all.union(r.permissions));
    // The invitation speaks for the admin who made it only while they could still make it:
    // an active member holding `time:settings` and everything the invited roles grant.
    let inviter = storage
        .membership(invitation.invited_by, invitation.workspace_id)
        .await?
        .map(|m| policy::grants_of(&m))
        .unwrap_or_default();
    if !inviter.contains(Permission::Settings) || grants.union(inviter) != inviter {
        return Err(unknown());
    }
    // What the invitee holds there already (nothing when new). A member an admin deactivated
    // is not brought back by an invitation: only an admin reactivates them.
    let members = storage.members(settings).await?;
    let member = members.iter().find(|m| m.user_id == user.id);
    if member.is_some_and(|m| !m.settings.active) {
        return Err(unknown());
    }
    let role_ids: Vec<Uuid> = invited.iter().map(|r| r.id).collect();
    let mut tx = storage.begin().await?;
    if !tx.accept_invitation(settings, invitation.id, now).await? {
        return Err(unknown());
    }
    if new_user && !tx.insert_user(&user, now).await? {
        return Err(ApiError::internal("a new user's id was taken"));
    }
    // A new member goes to the group their default roles suggest (an admin to Administrators).
    let default_roles: Vec<_> = invited.iter().filter_map(|r| r.default_role).collect();
    tx.insert_membership(&scope, user.id, &default_roles)
        .await?;
    // Added to what they hold when the transaction runs, not to what was read above: a role
    // an admin gave or took meanwhile is not undone.
    tx.add_member_roles(settings, user.id, &role_ids).await?;
    tx.commit().await?;
    limits.succeeded(&invitation.email, address);
    let issued = accounts::issue_token(
        storage,
        user.id,
        request.device_id,
        device_name,
        now,
        TOKEN_TTL,
    )
    .await?;
    accounts::signed_in(storage, user, issued).await
}

fn invitation(record: InvitationRecord) -> Invitation {
    Invitation {
        id: record.id,
        email: record.email,
        name: record.name,
        role_ids: record.role_ids,
        created_at: record.created_at,
        expires_at: record.expires_at,
    }
}
