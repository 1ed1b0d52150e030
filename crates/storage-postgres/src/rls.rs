//! Row level security (`migrations/0050_row_level_security.sql`): every pooled connection acts
//! as `stint_app`, which sees a workspace table's rows only in the workspace its transaction
//! names; the few reads that cross workspaces run as `stint_lookup`.

use sqlx::{PgConnection, PgPool, Postgres};
use stint_storage::Result;
use uuid::Uuid;

use crate::convert::storage_error;

/// What every pooled connection acts as, from its first statement on.
pub const SET_APP_ROLE: &str = "SET ROLE stint_app";

pub type Read = sqlx::Transaction<'static, Postgres>;

/// Names the transaction's workspace until it ends (`set_config(…, true)`).
pub async fn set_workspace(conn: &mut PgConnection, workspace_id: Uuid) -> Result<()> {
    sqlx::query_scalar!(
        "SELECT set_config('stint.workspace_id', $1::uuid::text, true)",
        workspace_id
    )
    .fetch_one(conn)
    .await
    .map_err(storage_error)?;
    Ok(())
}

/// A read transaction in the workspace.
pub async fn read_in(pool: &PgPool, workspace_id: Uuid) -> Result<Read> {
    begin_in(pool, "BEGIN READ ONLY", workspace_id).await
}

/// A read transaction in the workspace that reads one snapshot throughout.
pub async fn snapshot_in(pool: &PgPool, workspace_id: Uuid) -> Result<Read> {
    begin_in(
        pool,
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        workspace_id,
    )
    .await
}

async fn begin_in(pool: &PgPool, begin: &'static str, workspace_id: Uuid) -> Result<Read> {
    let mut read = pool.begin_with(begin).await.map_err(storage_error)?;
    set_workspace(&mut read, workspace_id).await?;
    Ok(read)
}

/// A read transaction as `stint_lookup`, for the paths that cross workspaces before there is
/// one: a user by email, a token by its hash, a user's memberships, an invitation by its token.
pub async fn lookup(pool: &PgPool) -> Result<Read> {
    pool.begin_with("BEGIN READ ONLY; SET LOCAL ROLE stint_lookup")
        .await
        .map_err(storage_error)
}
