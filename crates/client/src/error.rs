//! Errors of the desktop brain. Each has a stable `code` that crosses to the UI.

use stint_api::{ErrorBody, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("sign in first")]
    NotSignedIn,
    #[error("there is no task {0} on this device")]
    UnknownTask(uuid::Uuid),
    #[error("no timer is running")]
    NoTimer,
    #[error("{0}")]
    InvalidTransition(#[from] stint_domain::TimerError),
    #[error("{0}")]
    InvalidInput(String),
    #[error("{} not reached the server yet: let it sync, then try again", waiting(.count))]
    UnsyncedChanges { count: i64 },
    #[error("the server cannot be reached: {0}")]
    Offline(String),
    /// The server answered with an error of its own.
    #[error("{}", .0.message)]
    Server(ErrorBody),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DeskError {
    pub fn code(&self) -> ErrorCode {
        match self {
            DeskError::NotSignedIn => ErrorCode::NotSignedIn,
            DeskError::UnknownTask(_) => ErrorCode::UnknownTask,
            DeskError::NoTimer => ErrorCode::NoTimer,
            DeskError::InvalidTransition(_) => ErrorCode::InvalidTransition,
            DeskError::InvalidInput(_) => ErrorCode::InvalidInput,
            DeskError::UnsyncedChanges { .. } => ErrorCode::UnsyncedChanges,
            DeskError::Offline(_) => ErrorCode::Offline,
            DeskError::Server(body) => body.code,
            DeskError::Store(_) => ErrorCode::LocalStore,
        }
    }

    /// What the UI gets: the server's own answer (with its details, such as the field it
    /// refused) when it came from the server.
    pub fn to_body(&self) -> ErrorBody {
        match self {
            DeskError::Server(body) => body.clone(),
            other => ErrorBody::new(other.code(), other.to_string()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("local database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("local data is damaged: {0}")]
    Corrupt(String),
    #[error(
        "this local store was written by a newer Stint (schema {found}, this build knows {known}); \
         update Stint instead of risking the data"
    )]
    TooNew { found: i64, known: i64 },
}

impl From<serde_json::Error> for StoreError {
    fn from(error: serde_json::Error) -> StoreError {
        StoreError::Corrupt(error.to_string())
    }
}

/// "1 change has", "3 changes have".
fn waiting(count: &i64) -> String {
    match count {
        1 => "1 change has".to_string(),
        n => format!("{n} changes have"),
    }
}
