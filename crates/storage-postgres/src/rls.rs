//! Row level security (`migrations/0014_row_level_security.sql`): every pooled connection acts
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

/// One round trip: `begin` and naming the workspace go as one simple query. (A `Uuid` prints
/// as hex digits and dashes only, so writing it into the text is safe.)
pub async fn begin_in(pool: &PgPool, begin: &'static str, workspace_id: Uuid) -> Result<Read> {
    pool.begin_with(format!(
        "{begin}; SELECT set_config('stint.workspace_id', '{workspace_id}', true)"
    ))
    .await
    .map_err(storage_error)
}

/// A read transaction as `stint_lookup`, for the paths that cross workspaces before there is
/// one: a user by email, a user's memberships, an invitation by its token.
pub async fn lookup(pool: &PgPool) -> Result<Read> {
    pool.begin_with("BEGIN READ ONLY; SET LOCAL ROLE stint_lookup")
        .await
        .map_err(storage_error)
}

#[cfg(test)]
mod tests {
    use sqlx::{Connection, PgConnection};
    use uuid::Uuid;

    use crate::PostgresStorage;

    /// The server's connections act as `stint_app` even when its URL names a superuser (as the
    /// tests' URL does, and whom row level security would never stop).
    #[tokio::test]
    async fn pooled_connections_act_as_the_application_role() {
        let Some(url) = fresh_database().await else {
            return;
        };
        let storage = PostgresStorage::connect(&url, 2).await.unwrap();
        let mut owner = PgConnection::connect(&url).await.unwrap();
        sqlx::query("INSERT INTO workspaces (id, name, created_at) VALUES ($1, 'A', now())")
            .bind(Uuid::now_v7())
            .execute(&mut owner)
            .await
            .unwrap();

        let (role, superuser): (String, bool) = sqlx::query_as(
            "SELECT current_user::text, rolsuper FROM pg_roles WHERE rolname = current_user",
        )
        .fetch_one(&storage.pool)
        .await
        .unwrap();
        assert_eq!((role.as_str(), superuser), ("stint_app", false));
        let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM workspaces")
            .fetch_one(&storage.pool)
            .await
            .unwrap();
        assert_eq!(seen, 0, "a workspace outside any transaction that named it");
    }

    /// A new database on STINT_TEST_DATABASE_URL's cluster (`cargo xtask test` sets it); `None`
    /// only when STINT_SKIP_POSTGRES says to skip PostgreSQL.
    async fn fresh_database() -> Option<String> {
        let Ok(admin_url) = std::env::var("STINT_TEST_DATABASE_URL") else {
            assert!(
                std::env::var("STINT_SKIP_POSTGRES").is_ok(),
                "set STINT_TEST_DATABASE_URL (cargo xtask test does) or STINT_SKIP_POSTGRES=1"
            );
            return None;
        };
        let name = format!("stint_test_{}", Uuid::now_v7().simple());
        let mut admin = PgConnection::connect(&admin_url).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        let (base, _) = admin_url.rsplit_once('/').unwrap();
        Some(format!("{base}/{name}"))
    }
}
