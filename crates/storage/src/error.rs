/// How storage fails, in its own words: the server's routes decide what each means over HTTP.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("not found")]
    NotFound,
    /// A unique, foreign-key or check constraint refused the write.
    #[error("constraint {constraint} refused the write")]
    Conflict { constraint: String },
    /// The database could not take the work now (SQLite busy past its timeout, pool exhausted,
    /// a PostgreSQL deadlock or serialization failure); trying again later may succeed.
    #[error("the database is busy: {0}")]
    Busy(String),
    /// Stored data that does not read back as the domain's types.
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Other(String),
}

impl StorageError {
    /// What a write answers when the row it was decided on changed (or went) before it wrote:
    /// the caller decides again on the row as it is now.
    pub fn changed_meanwhile(what: &str) -> StorageError {
        StorageError::Conflict {
            constraint: format!("the {what} changed meanwhile"),
        }
    }
}
