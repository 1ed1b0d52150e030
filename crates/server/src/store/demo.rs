//! The demo workspace made by `stint-server demo`: fixed ids, so running it again changes nothing.

use uuid::Uuid;

use super::{next_change, Store};
use crate::error::ApiError;
use crate::store::accounts::hash_password;
use crate::time::{now, to_millis};

pub const DEMO_PASSWORD: &str = "stint-demo";

const WORKSPACE: (u128, &str) = (0x0190_0000_0000_7000_8000_0000_0000_0001, "Demo Agency");

/// (id, email, name, role)
const USERS: [(u128, &str, &str, &str); 3] = [
    (
        0x0190_0000_0000_7000_8000_0000_0000_0101,
        "admin@demo.stint.test",
        "Ada Admin",
        "admin",
    ),
    (
        0x0190_0000_0000_7000_8000_0000_0000_0102,
        "ana@demo.stint.test",
        "Ana Alvarez",
        "member",
    ),
    (
        0x0190_0000_0000_7000_8000_0000_0000_0103,
        "ben@demo.stint.test",
        "Ben Baker",
        "member",
    ),
];

/// (id, name, colour)
const PROJECTS: [(u128, &str, &str); 2] = [
    (
        0x0190_0000_0000_7000_8000_0000_0000_0201,
        "Website relaunch",
        "#3b82f6",
    ),
    (
        0x0190_0000_0000_7000_8000_0000_0000_0202,
        "Support desk",
        "#10b981",
    ),
];

/// (id, project index, title, assignee indexes)
const TASKS: [(u128, usize, &str, &[usize]); 7] = [
    (
        0x0190_0000_0000_7000_8000_0000_0000_0301,
        0,
        "Design the new landing page",
        &[0, 1],
    ),
    (
        0x0190_0000_0000_7000_8000_0000_0000_0302,
        0,
        "Migrate blog posts",
        &[1],
    ),
    (
        0x0190_0000_0000_7000_8000_0000_0000_0303,
        0,
        "Fix checkout redirect",
        &[2],
    ),
    (
        0x0190_0000_0000_7000_8000_0000_0000_0304,
        1,
        "Ticket #4821: login loop on Safari",
        &[2],
    ),
    (
        0x0190_0000_0000_7000_8000_0000_0000_0305,
        1,
        "Write the FAQ on CSV exports",
        &[1],
    ),
    (
        0x0190_0000_0000_7000_8000_0000_0000_0306,
        1,
        "Review the monthly SLA report",
        &[0],
    ),
    (
        0x0190_0000_0000_7000_8000_0000_0000_0307,
        1,
        "Triage new tickets",
        &[1, 2],
    ),
];

pub struct DemoWorkspace {
    pub workspace_id: Uuid,
    pub name: String,
    /// (email, name, role)
    pub users: Vec<(String, String, String)>,
    pub password: &'static str,
}

impl Store {
    pub async fn seed_demo(&self) -> Result<DemoWorkspace, ApiError> {
        let workspace_id = Uuid::from_u128(WORKSPACE.0);
        let created = to_millis(now());
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(workspace_id.to_string())
        .bind(WORKSPACE.1)
        .bind(created)
        .execute(&mut *tx)
        .await?;
        let change = next_change(&mut tx, workspace_id).await?;
        for (id, email, name, role) in USERS {
            let id = Uuid::from_u128(id).to_string();
            let exists: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
                .bind(&id)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                sqlx::query(
                    "INSERT INTO users (id, email, name, password_hash, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&id)
                .bind(email)
                .bind(name)
                .bind(hash_password(DEMO_PASSWORD)?)
                .bind(created)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "INSERT INTO memberships (workspace_id, user_id, role) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(workspace_id.to_string())
            .bind(&id)
            .bind(role)
            .execute(&mut *tx)
            .await?;
        }
        for (id, name, color) in PROJECTS {
            sqlx::query(
                "INSERT INTO projects (id, workspace_id, name, color, change_no) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(Uuid::from_u128(id).to_string())
            .bind(workspace_id.to_string())
            .bind(name)
            .bind(color)
            .bind(change)
            .execute(&mut *tx)
            .await?;
        }
        for (id, project, title, assignees) in TASKS {
            let task_id = Uuid::from_u128(id).to_string();
            let inserted = sqlx::query(
                "INSERT INTO tasks (id, workspace_id, project_id, title, status, change_no) \
                 VALUES ($1, $2, $3, $4, 'open', $5) ON CONFLICT DO NOTHING",
            )
            .bind(&task_id)
            .bind(workspace_id.to_string())
            .bind(Uuid::from_u128(PROJECTS[project].0).to_string())
            .bind(title)
            .bind(change)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 0 {
                continue; // seeded before; its assignees may have changed since, leave them
            }
            for &user in assignees {
                sqlx::query("INSERT INTO task_assignees (task_id, user_id) VALUES ($1, $2)")
                    .bind(&task_id)
                    .bind(Uuid::from_u128(USERS[user].0).to_string())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(DemoWorkspace {
            workspace_id,
            name: WORKSPACE.1.to_string(),
            users: USERS
                .iter()
                .map(|(_, email, name, role)| {
                    (email.to_string(), name.to_string(), role.to_string())
                })
                .collect(),
            password: DEMO_PASSWORD,
        })
    }
}
