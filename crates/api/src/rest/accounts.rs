//! Signing in, tokens, devices and invitations.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{Permission, TimesheetAccess};

#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
pub struct TokenRequest {
    /// At most 254 characters (longer is nobody's address: answered like a wrong password).
    #[schema(
        max_length = 254,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub email: String,
    /// At most 1,024 bytes of UTF-8 (longer is nobody's password: answered like a wrong one).
    #[schema(
        max_length = 1024,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub password: String,
    /// 1 to 100 characters once leading and trailing white space is trimmed, which the server
    /// does before storing it.
    // The pattern: white space, a visible character, optionally up to 98 of any allowed
    // character and a visible one, white space. "White space" is what Rust's `trim` removes
    // less the control characters; "visible" is neither.
    #[schema(
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]{0,98}[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub device_name: String,
    /// The id the server gave this installation when this user signed in on it before. Any
    /// other (none, or an id the user has not signed in with) gets a fresh one in the answer,
    /// which the device adopts; the sync protocol numbers each device's mutations.
    // The pattern repeats the format: schemathesis (4.32) ignores `format` on a nullable string
    // and would send "" as a valid id.
    #[serde(default)]
    #[ts(optional)]
    #[schema(
        pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    )]
    pub device_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
pub struct TokenResponse {
    /// Opaque bearer token; the server keeps only its hash.
    pub token: String,
    /// The device's id from now on: the one sent, if this user signed in with it before.
    pub device_id: Uuid,
    pub user: User,
    pub workspaces: Vec<Workspace>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Workspace {
    pub id: Uuid,
    pub name: String,
    /// The names of the caller's roles there.
    #[serde(default)]
    pub roles: Vec<String>,
    /// What the caller may do there: the union of their roles' permissions (P1).
    #[serde(default)]
    pub permissions: Vec<Permission>,
    /// Their timesheet permission level there (T5): *timer access only* users track time with
    /// the timer alone.
    #[serde(default = "full_access")]
    pub timesheet_access: TimesheetAccess,
}

/// What a session kept by an older version, without the field, had.
fn full_access() -> TimesheetAccess {
    TimesheetAccess::Full
}

/// A personal access token to make (I3): it acts with its user's permissions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct PersonalTokenRequest {
    /// 1 to 100 characters once trimmed.
    #[schema(
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]{0,98}[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub name: String,
    /// When it stops working, in the future; left out for a token that does not expire.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A personal access token as listed: never the token itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct PersonalToken {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// Left out for a token that does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A personal access token just made: the only time the token is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct NewPersonalToken {
    /// Send as `Authorization: Bearer <token>`; the server keeps only its hash.
    pub token: String,
    #[serde(flatten)]
    pub listed: PersonalToken,
}

/// One of the caller's devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Device {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// A token of it still works.
    pub signed_in: bool,
    /// The device this request came from.
    pub current: bool,
}

/// Someone to invite into a workspace, with the roles they will hold there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct InvitationRequest {
    /// At most 254 characters, with an `@`.
    #[schema(
        max_length = 254,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*@[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub email: String,
    /// 1 to 100 characters once trimmed: the name their account gets if they have none yet.
    #[schema(
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]{0,98}[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub name: String,
    #[schema(max_items = 100)]
    pub role_ids: Vec<Uuid>,
}

/// An invitation not accepted yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Invitation {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    /// After this the token no longer works; invite again.
    pub expires_at: DateTime<Utc>,
}

/// An invitation just made: the only time its token is shown. The invitee sends it to
/// `POST /api/v1/invitations/accept`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct NewInvitation {
    pub token: String,
    #[serde(flatten)]
    pub invitation: Invitation,
}

/// Joining with an invitation's token: a new account's password, or, when the invited email
/// has an account already, that account's password. Signs the device in.
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
pub struct AcceptInvitation {
    #[schema(
        max_length = 200,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub token: String,
    /// 8 to 1,024 bytes for a new account.
    #[schema(
        min_length = 8,
        max_length = 1024,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub password: String,
    /// As at sign-in.
    #[schema(
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]{0,98}[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub device_name: String,
    /// As at sign-in.
    #[serde(default)]
    #[ts(optional)]
    #[schema(
        pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    )]
    pub device_id: Option<Uuid>,
}
