//! The storages every server test runs on: a fresh SQLite file and a fresh PostgreSQL database.
//! `cargo xtask test` starts PostgreSQL and sets STINT_TEST_DATABASE_URL; without it these tests
//! fail unless STINT_SKIP_POSTGRES=1 says to run SQLite only.

#![allow(dead_code)] // each test file uses its own part of this

use std::sync::Arc;

use stint_domain::DefaultRole;
use stint_server::service::demo;
use stint_server::Passwords;
use stint_storage::{Storage, UserRecord};
use uuid::Uuid;

pub struct Backend {
    pub storage: Arc<dyn Storage>,
    /// The database's URL on PostgreSQL, for tests that need a connection of their own.
    pub postgres_url: Option<String>,
    /// Keeps the SQLite file's folder alive.
    _dir: Option<tempfile::TempDir>,
}

pub async fn backends() -> Vec<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("stint.db").display());
    let mut backends = vec![Backend {
        storage: stint_server::connect(&sqlite, 1).await.unwrap(),
        postgres_url: None,
        _dir: Some(dir),
    }];
    match std::env::var("STINT_TEST_DATABASE_URL") {
        Ok(admin_url) => {
            let url = fresh_postgres_database(&admin_url).await;
            backends.push(Backend {
                storage: stint_server::connect(&url, 60).await.unwrap(),
                postgres_url: Some(url),
                _dir: None,
            });
        }
        Err(_) if std::env::var("STINT_SKIP_POSTGRES").is_ok() => {
            eprintln!("STINT_SKIP_POSTGRES is set: PostgreSQL is NOT tested");
        }
        Err(_) => {
            panic!("set STINT_TEST_DATABASE_URL (cargo xtask test does) or STINT_SKIP_POSTGRES=1")
        }
    }
    backends
}

async fn fresh_postgres_database(admin_url: &str) -> String {
    let name = format!("stint_test_{}", Uuid::now_v7().simple());
    let admin = sqlx::PgPool::connect(admin_url)
        .await
        .expect("connecting to PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("a database URL ends in /dbname");
    format!("{base}/{name}")
}

/// Serves the API on a free loopback port: its base URL, and the task to abort afterwards.
pub async fn serve(
    storage: Arc<dyn Storage>,
) -> (String, tokio::task::JoinHandle<std::io::Result<()>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(stint_server::serve(
        listener,
        storage,
        std::future::pending(),
    ));
    (base, server)
}

/// A second workspace beside the demo's, with one member who has the demo password.
pub async fn other_workspace_with_member(storage: &dyn Storage, email: &str) -> Uuid {
    let workspace = Uuid::now_v7();
    let user = UserRecord {
        id: Uuid::now_v7(),
        email: email.into(),
        name: "Olga Other".into(),
        password_hash: Passwords::new().hash(demo::DEMO_PASSWORD).await.unwrap(),
    };
    let mut tx = storage.begin().await.unwrap();
    tx.insert_workspace(workspace, "Elsewhere", chrono::Utc::now())
        .await
        .unwrap();
    tx.insert_user(&user, chrono::Utc::now()).await.unwrap();
    let scope = stint_server::policy::seeding(workspace, user.id);
    tx.insert_membership(&scope, user.id, &[DefaultRole::Member])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    workspace
}
