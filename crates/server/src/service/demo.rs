//! The demo workspace made by `stint-server demo`: fixed ids, so running it again changes nothing.

use stint_domain::{DefaultRole, EntrySource, EntryStatus, TaskStatus, WorkLogs};
use stint_storage::{
    may, EntryRecord, NewTeam, ProjectRecord, Storage, TaskFields, TeamRecord, Transaction,
    UserRecord, WorkspaceScope,
};
use uuid::Uuid;

use crate::error::ApiError;
use crate::policy;
use crate::service::passwords::Passwords;
use crate::time;

pub const DEMO_PASSWORD: &str = "stint-demo";

const WORKSPACE: (u128, &str) = (0x0190_0000_0000_7000_8000_0000_0000_0001, "Demo Agency");

/// (id, email, name, role)
const USERS: [(u128, &str, &str, DefaultRole); 3] = [
    (
        0x0190_0000_0000_7000_8000_0000_0000_0101,
        "admin@demo.stint.test",
        "Ada Admin",
        DefaultRole::Admin,
    ),
    (
        0x0190_0000_0000_7000_8000_0000_0000_0102,
        "ana@demo.stint.test",
        "Ana Alvarez",
        DefaultRole::Member,
    ),
    (
        0x0190_0000_0000_7000_8000_0000_0000_0103,
        "ben@demo.stint.test",
        "Ben Baker",
        DefaultRole::Member,
    ),
];

/// (id, name, colour, leader index)
const PROJECTS: [(u128, &str, &str, Option<usize>); 2] = [
    (
        0x0190_0000_0000_7000_8000_0000_0000_0201,
        "Website relaunch",
        "#3b82f6",
        None,
    ),
    (
        0x0190_0000_0000_7000_8000_0000_0000_0202,
        "Support desk",
        "#10b981",
        Some(2),
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

/// (id, name, lead index, member indexes): public teams.
const TEAM: (u128, &str, usize, &[usize]) = (
    0x0190_0000_0000_7000_8000_0000_0000_0401,
    "Web team",
    1,
    &[2],
);

pub struct DemoWorkspace {
    pub workspace_id: Uuid,
    pub name: String,
    /// (email, name, role)
    pub users: Vec<(String, String, String)>,
    pub password: &'static str,
}

pub async fn seed(storage: &dyn Storage, passwords: &Passwords) -> Result<DemoWorkspace, ApiError> {
    let workspace_id = Uuid::from_u128(WORKSPACE.0);
    let now = time::now();
    // Hash before the transaction: hashing is slow and SQLite's write lock is held until commit.
    let password_hash = passwords.hash(DEMO_PASSWORD).await?;
    let mut tx = storage.begin().await?;
    tx.insert_workspace(workspace_id, WORKSPACE.1, now).await?;
    let scope = policy::seeding(workspace_id, Uuid::from_u128(USERS[0].0));
    for (id, email, name, role) in USERS {
        let user = (Uuid::from_u128(id), email.to_string(), name.to_string());
        add_member(tx.as_mut(), &scope, user, role, &password_hash).await?;
    }
    for (id, name, color, leader) in PROJECTS {
        let project = ProjectRecord {
            id: Uuid::from_u128(id),
            name: name.to_string(),
            color: color.to_string(),
            leader_id: leader.map(|user| Uuid::from_u128(USERS[user].0)),
        };
        tx.insert_project(scope.require::<may::ChangeSettings>()?, &project)
            .await?;
    }
    for (id, project, title, assignees) in TASKS {
        let task = TaskFields {
            id: Uuid::from_u128(id),
            project_id: Uuid::from_u128(PROJECTS[project].0),
            title: title.to_string(),
            status: TaskStatus::Open,
            percent_complete: 0,
        };
        if !tx
            .insert_task(scope.require::<may::ChangeSettings>()?, &task)
            .await?
        {
            continue; // seeded before; its assignees may have changed since, leave them
        }
        for &user in assignees {
            tx.assign(&scope, task.id, Uuid::from_u128(USERS[user].0))
                .await?;
        }
    }
    add_team(tx.as_mut(), &scope, now).await?;
    tx.commit().await?;
    Ok(DemoWorkspace {
        workspace_id,
        name: WORKSPACE.1.to_string(),
        users: USERS
            .iter()
            .map(|(_, email, name, role)| {
                (email.to_string(), name.to_string(), role.name().to_string())
            })
            .collect(),
        password: DEMO_PASSWORD,
    })
}

/// The demo team, led by Ana with Ben a Team Member, unless it was made before (however it
/// changed since).
async fn add_team(
    tx: &mut dyn Transaction,
    scope: &WorkspaceScope,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ApiError> {
    let team = NewTeam {
        id: Uuid::from_u128(TEAM.0),
        name: TEAM.1.to_string(),
        work_logs: WorkLogs::Public,
        created_at: now,
        lead_id: Uuid::from_u128(USERS[TEAM.2].0),
        lead_role_id: Uuid::now_v7(),
        member_role_id: Uuid::now_v7(),
    };
    if !tx
        .insert_team(scope.require::<may::ChangeSettings>()?, &team)
        .await?
    {
        return Ok(());
    }
    // As made a moment ago: public, at version 0, with its two roles.
    let made = TeamRecord {
        id: team.id,
        name: team.name,
        work_logs: team.work_logs,
        created_at: now,
        version: 0,
        roles: Vec::new(),
        members: Vec::new(),
    };
    let management = policy::team_management(scope, &made)?;
    for &user in TEAM.3 {
        tx.set_team_member_roles(
            management,
            Uuid::from_u128(USERS[user].0),
            &[team.member_role_id],
        )
        .await?;
    }
    Ok(())
}

/// A second workspace, "Demo Studio", with the demo's admin (Admin) and Ana (Member) and one
/// project with a task: a user in two workspaces, for the desktop's workspace choice. The
/// demo users must exist (`seed` first). Idempotent.
pub async fn add_second_workspace(storage: &dyn Storage) -> Result<(Uuid, String), ApiError> {
    let (id, name) = (Uuid::from_u128(SECOND_WORKSPACE.0), SECOND_WORKSPACE.1);
    let admin = Uuid::from_u128(USERS[0].0);
    let scope = policy::seeding(id, admin);
    let mut tx = storage.begin().await?;
    if tx.insert_workspace(id, name, time::now()).await? {
        tx.insert_membership(&scope, admin, &[DefaultRole::Admin])
            .await?;
        tx.insert_membership(&scope, Uuid::from_u128(USERS[1].0), &[DefaultRole::Member])
            .await?;
        let project = ProjectRecord {
            id: Uuid::from_u128(SECOND_WORKSPACE.2),
            name: "Brand book".to_string(),
            color: "#a855f7".to_string(),
            leader_id: None,
        };
        tx.insert_project(scope.require::<may::ChangeSettings>()?, &project)
            .await?;
        let task = TaskFields {
            id: Uuid::from_u128(SECOND_WORKSPACE.3),
            project_id: project.id,
            title: "Draft the colour palette".to_string(),
            status: TaskStatus::Open,
            percent_complete: 0,
        };
        tx.insert_task(scope.require::<may::ChangeSettings>()?, &task)
            .await?;
        tx.assign(&scope, task.id, Uuid::from_u128(USERS[1].0))
            .await?;
    }
    tx.commit().await?;
    Ok((id, name.to_string()))
}

/// (id, name, project id, task id)
const SECOND_WORKSPACE: (u128, &str, u128, u128) = (
    0x0190_0000_0000_7000_8000_0000_0000_0002,
    "Demo Studio",
    0x0190_0000_0000_7000_8000_0000_0000_0203,
    0x0190_0000_0000_7000_8000_0000_0000_0308,
);

/// `count` more members (`member001@demo.stint.test` …, fixed ids, the demo password), for
/// trying the server with many people: the load bench has fifty push at once. Idempotent.
pub async fn add_members(
    storage: &dyn Storage,
    passwords: &Passwords,
    count: u32,
) -> Result<(), ApiError> {
    if count == 0 {
        return Ok(());
    }
    let password_hash = passwords.hash(DEMO_PASSWORD).await?;
    let scope = policy::seeding(Uuid::from_u128(WORKSPACE.0), Uuid::from_u128(USERS[0].0));
    let mut tx = storage.begin().await?;
    for n in 1..=count {
        let user = (
            Uuid::from_u128(MEMBER_IDS + u128::from(n)),
            format!("member{n:03}@demo.stint.test"),
            format!("Member {n:03}"),
        );
        add_member(
            tx.as_mut(),
            &scope,
            user,
            DefaultRole::Member,
            &password_hash,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Adds (id, email, name) to the demo workspace with `role`, unless they are there already.
async fn add_member(
    tx: &mut dyn Transaction,
    scope: &WorkspaceScope,
    (id, email, name): (Uuid, String, String),
    role: DefaultRole,
    password_hash: &str,
) -> Result<(), ApiError> {
    let user = UserRecord {
        id,
        email,
        name,
        password_hash: password_hash.to_string(),
    };
    tx.insert_user(&user, time::now()).await?;
    tx.insert_membership(scope, user.id, &[role]).await?;
    Ok(())
}

/// `count` more one-minute draft entries for Ana on a task of hers, two minutes apart back from
/// now, for trying sync with a long history: the sync bench pulls 100,000 into a fresh device.
/// Each run adds more.
pub async fn add_entries(storage: &dyn Storage, count: u32) -> Result<(), ApiError> {
    let ana = Uuid::from_u128(USERS[1].0);
    let scope = policy::seeding(Uuid::from_u128(WORKSPACE.0), ana);
    let task = Uuid::from_u128(TASKS[6].0);
    let now = time::now();
    let mut made = 0;
    while made < count {
        let entries: Vec<EntryRecord> = (0..ENTRIES_PER_TRANSACTION.min(count - made))
            .map(|_| {
                made += 1;
                let started_at = now - chrono::Duration::minutes(2 * i64::from(made));
                EntryRecord {
                    id: Uuid::now_v7(),
                    user_id: ana,
                    task_id: task,
                    timer_id: None,
                    team_id: None,
                    started_at,
                    ended_at: started_at + chrono::Duration::minutes(1),
                    duration_secs: 60,
                    raw_duration_secs: 60,
                    billable: false,
                    flag: None,
                    status: EntryStatus::Draft,
                    source: EntrySource::Manual,
                    description: String::new(),
                }
            })
            .collect();
        let mut tx = storage.begin().await?;
        tx.insert_entries(&scope, &entries, now).await?;
        tx.commit().await?;
    }
    storage.refresh_statistics().await?;
    Ok(())
}

const ENTRIES_PER_TRANSACTION: u32 = 5_000;

/// Extra members' ids count up from here.
const MEMBER_IDS: u128 = 0x0190_0000_0000_7000_8000_0000_0001_0000;
