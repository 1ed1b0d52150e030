//! Every error code that crosses a boundary, in one enum: the server, `Desk`, the dev bridge and
//! the UI (through the generated TypeScript type) all name codes from here, never as strings.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // The HTTP edge: requests the server could not take as sent.
    /// The body or query is not what the endpoint takes (bad JSON, wrong field types).
    MalformedRequest,
    /// A text field holds NUL or another control character.
    InvalidText,
    /// A field is out of its allowed range; `details.field` names it.
    InvalidRequest,
    /// The body is over the route's limit; `details.limit_bytes` says how much is allowed.
    PayloadTooLarge,
    /// No such endpoint, or no such object the caller may see.
    NotFound,
    /// The endpoint exists but not with this method.
    MethodNotAllowed,
    /// The request took too long to arrive or to answer.
    RequestTimeout,
    /// The server is too busy right now; try again shortly.
    Busy,
    /// A failure of the server itself; the details are in its log.
    Internal,

    // Sign-in and tokens.
    MissingToken,
    InvalidToken,
    TokenExpired,
    InvalidCredentials,
    /// Too many failed sign-ins for this account or from this address: `Retry-After` (and
    /// `details.retry_after_secs`) says when to try again.
    TooManyAttempts,
    /// The caller's roles do not grant what this needs; `details.permission` names it.
    Forbidden,
    /// A default role's name and permissions are fixed; custom roles are made for the rest.
    RoleFixed,
    /// Another role of the workspace has that name.
    NameTaken,
    /// The change would leave the workspace without anyone holding the admin role.
    LastAdmin,
    /// A team's work-log visibility is chosen when it is made and never changes.
    WorkLogsFixed,
    /// The workspace does not allow teams with secured work logs (an admin can turn it on).
    SecuredTeamsOff,
    /// The change would leave the team without an active member who may manage it.
    LastTeamManager,
    /// A group with members cannot be deleted: move them to other groups first.
    GroupNotEmpty,
    /// A submitted or approved entry stays where it is until it is returned to its author.
    EntryLocked,
    /// A project with tasks cannot be deleted: delete or move its tasks first.
    ProjectHasTasks,
    /// A task that time was logged to, or a timer runs on, cannot be deleted.
    TaskInUse,
    /// A workspace setting outside the values it allows; `details.field` names it.
    InvalidSetting,

    // Sync.
    UnsupportedProtocol,
    /// A push on a stream id another device or workspace uses.
    StreamTaken,
    /// A push skipped a seq of its stream; `details.expected` is the one the server waits for.
    SequenceGap,
    /// The server holds a pushed seq with other content: the device opens a new stream.
    Diverged,
    /// A pushed mutation whose fingerprint does not match its content (damaged, or a bug).
    FingerprintMismatch,
    TooManyMutations,

    // Rules: why a pushed mutation was rejected (recorded, shown in *Sync issues*).
    UnknownTask,
    UnknownTimer,
    /// No entry of the user's by that id.
    UnknownEntry,
    TimerStopped,
    InvalidTransition,
    IdConflict,
    TooManySegments,
    /// An instant before 2000 or more than a day ahead of the server's clock.
    InstantOutOfRange,
    /// An instant further ahead of the server's clock than the sync protocol tolerates.
    InstantInFuture,
    /// An entry's values break T11: negative hours, more than 24 hours.
    InvalidEntry,
    /// The workspace requires a description to submit an entry (T11); drafts may lack one.
    DescriptionRequired,
    /// A rejection recorded by an older server without its reason.
    Rejected,

    // The desktop core (`Desk`) and its transports.
    NotSignedIn,
    NoTimer,
    InvalidInput,
    UnsyncedChanges,
    Offline,
    LocalStore,
    /// The server answered with something that is not the expected JSON.
    BadResponse,
    /// The server answered an HTTP error without a JSON body.
    HttpError,
    BadHost,
    BadOrigin,
    BadBridgeToken,
    BridgeUnreachable,
    Ipc,

    /// A code this build does not know (a newer server): handled like `internal`.
    #[serde(other)]
    Unknown,
}

impl std::fmt::Display for ErrorCode {
    /// The wire spelling (`invalid_token`), as stored in the database and shown in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(code)) => f.write_str(&code),
            _ => f.write_str("unknown"),
        }
    }
}

impl std::str::FromStr for ErrorCode {
    type Err = std::convert::Infallible;

    /// Reads the wire spelling back (a stored code, say). Text this build does not know — an
    /// older or newer server's code — is `Unknown`, never an error.
    fn from_str(text: &str) -> Result<ErrorCode, Self::Err> {
        Ok(
            serde_json::from_value(serde_json::Value::String(text.to_string()))
                .unwrap_or(ErrorCode::Unknown),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn codes_read_back_from_their_wire_spelling() {
        for code in [
            ErrorCode::InvalidToken,
            ErrorCode::Rejected,
            ErrorCode::Unknown,
        ] {
            assert_eq!(code.to_string().parse::<ErrorCode>(), Ok(code));
        }
        assert_eq!("no_such_code".parse::<ErrorCode>(), Ok(ErrorCode::Unknown));
    }
}
