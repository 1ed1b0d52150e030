//! Row level security on PostgreSQL (defence in depth): as the server's role, a workspace
//! table shows nothing until a transaction names its workspace, then that workspace's rows
//! only, and takes no row of another. The test connects as the database's owner (a superuser
//! here, whom row level security never stops) and switches to the server's role, as the
//! server's pool does.

#[path = "common/mod.rs"]
mod common;

use chrono::Utc;
use sqlx::{Connection, PgConnection};
use stint_domain::{EntrySource, EntryStatus};
use stint_server::service::demo;
use stint_server::{policy, Passwords};
use stint_storage::{EntryRecord, Storage};
use uuid::Uuid;

/// Tables of no workspace: people and their devices sign in once for all their workspaces.
const GLOBAL_TABLES: [&str; 5] = ["_sqlx_migrations", "devices", "epochs", "tokens", "users"];

/// Some of the tables the demo fills in both workspaces, the workspace table first.
const FILLED: [&str; 8] = [
    "workspaces",
    "memberships",
    "projects",
    "tasks",
    "task_assignees",
    "entries",
    "changes",
    "roles",
];

#[tokio::test]
async fn a_query_that_names_no_workspace_sees_nothing() {
    for backend in common::backends().await {
        let Some(url) = backend.postgres_url.clone() else {
            continue;
        };
        let (a, b) = two_workspaces_with_entries(&*backend.storage).await;
        let mut db = PgConnection::connect(&url).await.unwrap();
        for table in FILLED {
            let (in_a, in_b) = (
                owner_count(&mut db, table, a).await,
                owner_count(&mut db, table, b).await,
            );
            assert!(
                in_a > 0 && in_b > 0,
                "{table}: the demo fills both workspaces"
            );
        }

        exec(&mut db, "SET ROLE stint_app").await;
        for table in FILLED {
            assert_eq!(
                count(&mut db, table).await,
                0,
                "{table} without a workspace"
            );
        }
        // Nor once a transaction that named one has ended.
        in_workspace(&mut db, a).await.commit().await.unwrap();
        for table in FILLED {
            assert_eq!(
                count(&mut db, table).await,
                0,
                "{table} after the transaction"
            );
        }
        exec(&mut db, "RESET ROLE").await;
    }
}

#[tokio::test]
async fn a_transaction_sees_and_writes_its_own_workspace_only() {
    for backend in common::backends().await {
        let Some(url) = backend.postgres_url.clone() else {
            continue;
        };
        let (a, b) = two_workspaces_with_entries(&*backend.storage).await;
        let mut db = PgConnection::connect(&url).await.unwrap();
        let mut owners = Vec::new();
        for table in FILLED {
            owners.push(owner_count(&mut db, table, a).await);
        }

        exec(&mut db, "SET ROLE stint_app").await;
        let mut tx = in_workspace(&mut db, a).await;
        for (table, owner) in FILLED.into_iter().zip(owners) {
            assert_eq!(
                count(&mut tx, table).await,
                owner,
                "{table}: all of A's rows"
            );
        }
        for table in ["entries", "tasks", "memberships", "changes"] {
            let query = format!("SELECT count(*) FROM {table} WHERE workspace_id <> $1");
            let others: i64 = sqlx::query_scalar(&query)
                .bind(a)
                .fetch_one(&mut *tx)
                .await
                .unwrap();
            assert_eq!(others, 0, "{table}: none of B's rows");
        }

        // A row of B written in A's transaction is refused (WITH CHECK), as is moving one of
        // A's rows to B.
        let insert = sqlx::query(
            "INSERT INTO projects (id, workspace_id, name, color) VALUES ($1, $2, 'B', '#000')",
        )
        .bind(Uuid::now_v7())
        .bind(b)
        .execute(&mut *tx)
        .await;
        assert_refused(insert);
        tx.rollback().await.unwrap();
        let mut tx = in_workspace(&mut db, a).await;
        let update = sqlx::query("UPDATE tasks SET workspace_id = $1")
            .bind(b)
            .execute(&mut *tx)
            .await;
        assert_refused(update);
        tx.rollback().await.unwrap();
        let mut tx = in_workspace(&mut db, a).await;
        // B's rows are not there to change.
        let deleted = sqlx::query("DELETE FROM changes WHERE workspace_id = $1")
            .bind(b)
            .execute(&mut *tx)
            .await
            .unwrap();
        assert_eq!(deleted.rows_affected(), 0);
        tx.rollback().await.unwrap();
        exec(&mut db, "RESET ROLE").await;
    }
}

#[tokio::test]
async fn every_workspace_table_forces_its_policy_on_a_role_that_owns_nothing() {
    for backend in common::backends().await {
        let Some(url) = backend.postgres_url.clone() else {
            continue;
        };
        let mut db = PgConnection::connect(&url).await.unwrap();
        let owned: Vec<String> = sqlx::query_scalar(
            "SELECT tablename::text FROM pg_tables \
             WHERE schemaname = 'public' AND tableowner IN ('stint_app', 'stint_lookup')",
        )
        .fetch_all(&mut db)
        .await
        .unwrap();
        assert_eq!(owned, Vec::<String>::new(), "tables the server's roles own");

        // Every table with a `workspace_id` column (a new one too), and every other table but
        // the global ones, has row level security forced and a policy for the server's role.
        let with_workspace: Vec<(String, bool)> = sqlx::query_as(
            "SELECT c.relname::text, c.relrowsecurity AND c.relforcerowsecurity \
                 AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid \
                             AND 'stint_app'::regrole = ANY (p.polroles)) \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND c.relkind = 'r' \
               AND (EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid \
                            AND a.attname = 'workspace_id' AND NOT a.attisdropped) \
                    OR c.relname <> ALL ($1)) \
             ORDER BY 1",
        )
        .bind(GLOBAL_TABLES)
        .fetch_all(&mut db)
        .await
        .unwrap();
        assert!(with_workspace.len() >= 29, "{with_workspace:?}");
        let unguarded: Vec<&str> = with_workspace
            .iter()
            .filter(|(_, guarded)| !guarded)
            .map(|(table, _)| table.as_str())
            .collect();
        assert_eq!(
            unguarded,
            Vec::<&str>::new(),
            "tables without a forced policy"
        );

        // The server's role reads no password hash.
        exec(&mut db, "SET ROLE stint_app").await;
        let hashes = sqlx::query("SELECT password_hash FROM users")
            .execute(&mut db)
            .await;
        assert_refused(hashes);
    }
}

/// The demo's workspace and a second one, each with a member's entries; their ids.
async fn two_workspaces_with_entries(storage: &dyn Storage) -> (Uuid, Uuid) {
    let a = demo::seed(storage, &Passwords::new())
        .await
        .unwrap()
        .workspace_id;
    demo::add_entries(storage, 3).await.unwrap();
    let (b, _) = demo::add_second_workspace(storage).await.unwrap();
    let ana = storage
        .user_by_email("ana@demo.stint.test")
        .await
        .unwrap()
        .unwrap();
    let scope = policy::seeding(b, ana.id);
    let task = storage.tasks(&scope, None).await.unwrap()[0].id;
    let now = Utc::now();
    let entry = EntryRecord {
        id: Uuid::now_v7(),
        user_id: ana.id,
        task_id: task,
        timer_id: None,
        team_id: None,
        started_at: now - chrono::Duration::hours(1),
        ended_at: now,
        duration_secs: 3600,
        raw_duration_secs: 3600,
        billable: false,
        flag: None,
        status: EntryStatus::Draft,
        source: EntrySource::Manual,
        description: "in B".into(),
    };
    let mut tx = storage.begin().await.unwrap();
    tx.insert_entries(&scope, &[entry], now).await.unwrap();
    tx.assign(&scope, task, ana.id).await.unwrap();
    tx.commit().await.unwrap();
    (a, b)
}

/// Rows of the workspace, as the owner sees them (a superuser: row level security aside).
async fn owner_count(db: &mut PgConnection, table: &str, workspace: Uuid) -> i64 {
    let query = match table {
        "workspaces" => "SELECT count(*) FROM workspaces WHERE id = $1".to_string(),
        "task_assignees" => "SELECT count(*) FROM task_assignees a JOIN tasks t \
                             ON t.id = a.task_id WHERE t.workspace_id = $1"
            .to_string(),
        _ => format!("SELECT count(*) FROM {table} WHERE workspace_id = $1"),
    };
    sqlx::query_scalar(&query)
        .bind(workspace)
        .fetch_one(db)
        .await
        .unwrap()
}

async fn count(db: &mut PgConnection, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(db)
        .await
        .unwrap()
}

async fn exec(db: &mut PgConnection, statement: &str) {
    sqlx::query(statement).execute(db).await.unwrap();
}

/// A transaction that names the workspace, as the server's do.
async fn in_workspace(
    db: &mut PgConnection,
    workspace: Uuid,
) -> sqlx::Transaction<'_, sqlx::Postgres> {
    let mut tx = db.begin().await.unwrap();
    sqlx::query("SELECT set_config('stint.workspace_id', $1, true)")
        .bind(workspace.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    tx
}

/// Refused for want of a privilege or by a policy's WITH CHECK (both insufficient_privilege).
fn assert_refused<T: std::fmt::Debug>(result: Result<T, sqlx::Error>) {
    match result {
        Err(sqlx::Error::Database(error)) => {
            assert_eq!(error.code().as_deref(), Some("42501"), "{error}")
        }
        other => panic!("not refused: {other:?}"),
    }
}
