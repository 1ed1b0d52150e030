//! The access matrix (P5), on both backends: every endpoint of the OpenAPI document × every
//! kind of caller × the objects its path names (the demo workspace or another; the demo's
//! objects — a public team, a secured one, a teammate, an entry — or another workspace's) → the
//! status a rule table expects. An endpoint the tables do not know fails the test, so a new one
//! cannot slip past it. (What the answers contain is the leak scan's and the visibility tests'
//! business, in `entries.rs`.)

use reqwest::StatusCode;
use serde_json::{json, Value};
use stint_server::service::demo;
use stint_server::Passwords;
use stint_storage::{may, NewTeam, ProjectRecord, TaskFields};
use uuid::Uuid;

use super::entries::{legal, record_entry, Legal};
use super::{answer, common, on_each_backend, SignedIn};

const BEN_ID: &str = "01900000-0000-7000-8000-000000000103";
const WEB_TEAM: &str = "01900000-0000-7000-8000-000000000401";
const DEMO_PROJECT: &str = "01900000-0000-7000-8000-000000000201";
const DEMO_TASK: &str = "01900000-0000-7000-8000-000000000307";

/// What an endpoint asks of its caller.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Needs {
    Nobody,
    SignedIn,
    /// An active member of the workspace in the path.
    Member,
    /// … holding `time:read`.
    Read,
    /// … holding `time:settings`.
    Settings,
    /// … holding `time:read`, for an entry they may see (a secured one here: its author and
    /// the team's viewers and managers).
    SeesEntry,
}

/// The rule table: every GET endpoint and what it needs. `None`: not in the matrix (an event
/// stream never ends; `events.rs` tests who may open one).
fn needs(path: &str) -> Option<Needs> {
    let in_workspace = path.strip_prefix("/api/v1/workspaces/{workspace_id}");
    Some(match (path, in_workspace) {
        ("/health" | "/api/openapi.json", _) => Needs::Nobody,
        ("/api/v1/devices" | "/api/v1/tokens", _) => Needs::SignedIn,
        (_, Some("" | "/pages" | "/time/settings")) => Needs::Member,
        (
            _,
            Some(
                "/teams" | "/teams/{team_id}" | "/tasks" | "/projects" | "/sync/pull" | "/entries",
            ),
        ) => Needs::Read,
        (
            _,
            Some(
                "/roles"
                | "/members"
                | "/invitations"
                | "/groups"
                | "/members/{user_id}/filters"
                | "/timers",
            ),
        ) => Needs::Settings,
        (_, Some("/entries/{entry_id}/activity")) => Needs::SeesEntry,
        (_, Some("/events")) => return None,
        _ => panic!("GET {path} is not in the access matrix's rule table: add its row"),
    })
}

/// A caller, and what they hold in the demo workspace (`None`: no active membership there).
struct Caller {
    name: &'static str,
    token: String,
    demo: Option<Holds>,
    /// Whether they are an active member of the other workspace.
    other: Option<Holds>,
    /// Whether they may see the demo's secured entry.
    sees_secured: bool,
}

#[derive(Clone, Copy)]
struct Holds {
    read: bool,
    settings: bool,
}

const MEMBER: Option<Holds> = Some(Holds {
    read: true,
    settings: false,
});

/// Which object a path names, relative to the demo workspace.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Object {
    /// The demo workspace and things in it (a public team, a secured team, a teammate).
    Demo(&'static str),
    /// The other workspace's id, or a thing of the other workspace named under the demo's.
    Foreign(&'static str),
}

/// The status the rules give `caller` asking for `path` with `object`: not signed in, 401;
/// no active membership of the workspace in the path, 404 (like a workspace that does not
/// exist); a permission missing, 403; then another workspace's object, 404 like an unknown
/// one; else 200.
fn expected(
    needs: Needs,
    caller: &Caller,
    workspace_is_demo: bool,
    object_foreign: bool,
) -> StatusCode {
    if needs == Needs::Nobody {
        return StatusCode::OK;
    }
    if caller.token.is_empty() {
        return StatusCode::UNAUTHORIZED;
    }
    if needs == Needs::SignedIn {
        return StatusCode::OK;
    }
    let holds = if workspace_is_demo {
        caller.demo
    } else {
        caller.other
    };
    let Some(holds) = holds else {
        return StatusCode::NOT_FOUND;
    };
    let allowed = match needs {
        Needs::Read | Needs::SeesEntry => holds.read,
        Needs::Settings => holds.settings,
        _ => true,
    };
    if !allowed {
        StatusCode::FORBIDDEN
    } else if object_foreign
        || (needs == Needs::SeesEntry && !(workspace_is_demo && caller.sees_secured))
    {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    }
}

#[tokio::test]
async fn every_get_endpoint_answers_every_caller_as_the_rules_say() {
    on_each_backend(|server| async move {
        let Legal {
            admin,
            ana,
            ben,
            viewer,
            manager,
            team,
        } = legal(&server).await;
        demo::add_members(&*server.storage, &Passwords::new(), 6)
            .await
            .unwrap();
        let member = |n: u32| format!("member{n:03}@demo.stint.test");
        let finance = server.sign_in(&member(3)).await;
        let timer_only = server.sign_in(&member(4)).await;
        let deputy = server.sign_in(&member(5)).await;
        let gone = server.sign_in(&member(6)).await;
        server
            .give_role(&admin, "01900000-0000-7000-8000-000000010003", "Finance")
            .await;
        let patch = |user: &'static str, body: Value| {
            let url = server.url(&admin, &format!("/members/{user}"));
            answer(server.http.patch(url).bearer_auth(&admin.token).json(&body))
        };
        assert_eq!(
            patch(
                "01900000-0000-7000-8000-000000010004",
                json!({ "timesheet_access": "timer_only" })
            )
            .await
            .0,
            StatusCode::OK
        );
        assert_eq!(
            patch(
                "01900000-0000-7000-8000-000000010006",
                json!({ "active": false })
            )
            .await
            .0,
            StatusCode::OK
        );
        let deputy_role = json!({ "name": "Deputy", "permissions": ["manage_team"] });
        let (_, with_deputy) = server
            .on_team(
                &ana,
                reqwest::Method::POST,
                &team,
                "/roles",
                Some(deputy_role),
            )
            .await;
        let roles = json!({ "role_ids": [super::role_id(&with_deputy["roles"], "Deputy")] });
        let path = "/members/01900000-0000-7000-8000-000000010005";
        assert_eq!(
            server
                .on_team(&ana, reqwest::Method::PUT, &team, path, Some(roles))
                .await
                .0,
            StatusCode::OK
        );

        // A secured entry of Ana's, in the team.
        let secret = Uuid::now_v7();
        let pushed = json!([record_entry(1, &secret, 0, "")]);
        assert_eq!(server.push(&ana, pushed).await.0, StatusCode::OK);
        let url = server.url(&ana, &format!("/entries/{secret}/team"));
        let (status, _) = answer(
            server
                .http
                .put(url)
                .bearer_auth(&ana.token)
                .json(&json!({ "team_id": team["id"] })),
        )
        .await;
        assert_eq!(status, StatusCode::OK);

        // Another workspace, its member, and a team there.
        let other =
            common::other_workspace_with_member(&*server.storage, "olga@other.stint.test").await;
        let olga = server.sign_in("olga@other.stint.test").await;
        let olga_id = server
            .storage
            .user_by_email("olga@other.stint.test")
            .await
            .unwrap()
            .unwrap()
            .id;
        let their_team = Uuid::now_v7();
        {
            let scope = stint_server::policy::seeding(other, olga_id);
            let mut tx = server.storage.begin().await.unwrap();
            let new = NewTeam {
                id: their_team,
                name: "Theirs".into(),
                work_logs: stint_domain::WorkLogs::Public,
                created_at: chrono::Utc::now(),
                lead_id: scope.user_id(),
                lead_role_id: Uuid::now_v7(),
                member_role_id: Uuid::now_v7(),
            };
            assert!(tx
                .insert_team(scope.require::<may::ChangeSettings>().unwrap(), &new)
                .await
                .unwrap());
            tx.commit().await.unwrap();
        }
        let olga_user = olga_id.to_string();

        let admin_holds = Some(Holds {
            read: true,
            settings: true,
        });
        let caller = |name, who: &SignedIn, demo, other, sees_secured| Caller {
            name,
            token: who.token.clone(),
            demo,
            other,
            sees_secured,
        };
        let nobody = SignedIn {
            token: String::new(),
            ..ana.clone()
        };
        let callers = [
            caller("admin", &admin, admin_holds, None, false),
            caller("manager", &manager, MEMBER, None, false),
            caller("finance", &finance, MEMBER, None, false),
            caller("member", &ben, MEMBER, None, false),
            caller("timer-only member", &timer_only, MEMBER, None, false),
            caller("team lead", &ana, MEMBER, None, true),
            caller(
                "team viewer (custom team role)",
                &viewer,
                MEMBER,
                None,
                true,
            ),
            caller(
                "team deputy (custom team role)",
                &deputy,
                MEMBER,
                None,
                true,
            ),
            caller("another workspace's member", &olga, None, MEMBER, false),
            caller("deactivated member", &gone, None, None, false),
            caller("no token", &nobody, None, None, false),
        ];

        let (_, document) =
            answer(server.http.get(format!("{}/api/openapi.json", server.base))).await;
        let (demo_ws, other_ws) = (ana.workspace.clone(), other.to_string());
        let (secured, other_team) = (
            team["id"].as_str().unwrap().to_string(),
            their_team.to_string(),
        );
        let mut cases = 0;
        let mut endpoints = 0;
        for (path, item) in document["paths"].as_object().unwrap() {
            if item.get("get").is_none() {
                continue;
            }
            let Some(needs) = needs(path) else { continue };
            endpoints += 1;
            // Each object the path can name: (workspace, team, user), and whether the workspace
            // is the demo's and whether the named thing is another workspace's.
            let objects: Vec<(Object, String, bool, bool)> = {
                let entry = secret.to_string();
                let fill = |ws: &str, team: &str, user: &str| {
                    path.replace("{workspace_id}", ws)
                        .replace("{team_id}", team)
                        .replace("{user_id}", user)
                        .replace("{entry_id}", &entry)
                };
                let mut objects = vec![
                    (
                        Object::Demo("public team, teammate"),
                        fill(&demo_ws, WEB_TEAM, BEN_ID),
                        true,
                        false,
                    ),
                    (
                        Object::Foreign("another workspace"),
                        fill(&other_ws, &other_team, &olga_user),
                        false,
                        false,
                    ),
                ];
                if path.contains("{team_id}") {
                    objects.push((
                        Object::Demo("secured team"),
                        fill(&demo_ws, &secured, BEN_ID),
                        true,
                        false,
                    ));
                    objects.push((
                        Object::Foreign("another workspace's team"),
                        fill(&demo_ws, &other_team, BEN_ID),
                        true,
                        true,
                    ));
                }
                if path.contains("{user_id}") {
                    objects.push((
                        Object::Foreign("another workspace's user"),
                        fill(&demo_ws, WEB_TEAM, &olga_user),
                        true,
                        true,
                    ));
                }
                if !path.contains("{workspace_id}") {
                    objects.truncate(1);
                }
                objects
            };
            for caller in &callers {
                for (object, url_path, workspace_is_demo, foreign) in &objects {
                    let query = match path.as_str() {
                        p if p.ends_with("/sync/pull") => {
                            format!("?protocol_version=2&stream_id={}", Uuid::now_v7())
                        }
                        p if p.ends_with("/entries") => format!("?team_id={secured}"),
                        _ => String::new(),
                    };
                    let url = format!("{}{url_path}{query}", server.base);
                    let status = server
                        .http
                        .get(&url)
                        .bearer_auth(&caller.token)
                        .send()
                        .await
                        .unwrap()
                        .status();
                    let want = expected(needs, caller, *workspace_is_demo, *foreign);
                    assert_eq!(status, want, "GET {path} as {} on {object:?}", caller.name);
                    cases += 1;
                }
            }
        }
        eprintln!(
            "access matrix: {cases} cases ({endpoints} GET endpoints x {} callers x their objects)",
            callers.len()
        );
    })
    .await;
}

/// What a writing endpoint asks of a member of the workspace in its path.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Gate {
    Settings,
    Write,
    /// *manage this team* in the team of the path (the secured team here: no admin exception).
    ManageTeam,
}

/// Whether an endpoint checks the caller's permission before it looks the object up (403
/// before 404), or after (a team's managers are known once the team is found).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Order {
    PermissionFirst,
    LookupFirst,
}

/// A writing endpoint: what it needs, in which order, a well-formed body, and whether a caller
/// allowed to may run it here for real (it changes nothing), or the cell is left to the
/// feature tests (it would change the demo under the other cases).
struct Writing {
    method: &'static str,
    path: &'static str,
    gate: Gate,
    order: Order,
    body: Option<Value>,
    harmless: bool,
}

/// The rule table of the workspace's writing endpoints. (Those outside a workspace — signing in
/// and out, devices, personal tokens, accepting an invitation — act on the caller's own account
/// and are tested in `tokens.rs` and `invitations.rs`.)
fn writing(path: &str, method: &str) -> Option<Writing> {
    use Gate::*;
    use Order::*;
    let rest = path.strip_prefix("/api/v1/workspaces/{workspace_id}")?;
    let role = json!({ "name": format!("Matrix {}", Uuid::now_v7()), "permissions": [] });
    let group = json!({ "name": format!("Matrix {}", Uuid::now_v7()), "filter": "none", "pages": [], "overrules": [] });
    let (gate, order, body, harmless) = match (method, rest) {
        ("PATCH", "") => (Settings, PermissionFirst, Some(json!({})), true),
        ("PATCH", "/time/settings") => (Settings, PermissionFirst, Some(json!({})), true),
        ("POST", "/sync/push") => (Write, PermissionFirst, None, true),
        ("PATCH", "/entries/{entry_id}") => (Settings, PermissionFirst, Some(json!({})), false),
        ("PUT", "/entries/{entry_id}/team") => (
            Write,
            PermissionFirst,
            Some(json!({ "team_id": null })),
            false,
        ),
        ("POST", "/groups") => (Settings, PermissionFirst, Some(group), false),
        ("PUT", "/groups/{group_id}") => (Settings, PermissionFirst, Some(group), false),
        ("DELETE", "/groups/{group_id}") => (Settings, PermissionFirst, None, false),
        ("POST", "/invitations") => (
            Settings,
            PermissionFirst,
            Some(json!({ "email": "new@demo.stint.test", "name": "New", "role_ids": [] })),
            false,
        ),
        ("DELETE", "/invitations/{invitation_id}") => (Settings, PermissionFirst, None, false),
        ("PATCH", "/members/{user_id}") => (Settings, PermissionFirst, Some(json!({})), false),
        ("DELETE", "/members/{user_id}/devices") => (Settings, PermissionFirst, None, false),
        // Its body (a group of the workspace) and a push's (a stream of the caller's) are made
        // per case.
        ("PUT", "/members/{user_id}/filters") => (Settings, PermissionFirst, None, false),
        ("PUT", "/members/{user_id}/roles") => (
            Settings,
            PermissionFirst,
            Some(json!({ "role_ids": [] })),
            false,
        ),
        ("POST", "/projects") => (
            Settings,
            PermissionFirst,
            Some(json!({ "name": "Matrix", "color": "#123456" })),
            false,
        ),
        ("PATCH", "/projects/{project_id}") => (Settings, PermissionFirst, Some(json!({})), true),
        ("DELETE", "/projects/{project_id}") => (Settings, PermissionFirst, None, false),
        ("POST", "/tasks") => (
            Settings,
            PermissionFirst,
            Some(json!({ "project_id": DEMO_PROJECT, "title": "Matrix" })),
            false,
        ),
        ("PATCH", "/tasks/{task_id}") => (Settings, PermissionFirst, Some(json!({})), true),
        ("DELETE", "/tasks/{task_id}") => (Settings, PermissionFirst, None, false),
        ("PUT", "/tasks/{task_id}/assignees") => (
            Settings,
            PermissionFirst,
            Some(json!({ "user_ids": [], "team_ids": [] })),
            false,
        ),
        ("POST", "/roles") => (Settings, PermissionFirst, Some(role), false),
        ("PUT", "/roles/{role_id}") => (Settings, PermissionFirst, Some(role), false),
        ("DELETE", "/roles/{role_id}") => (Settings, PermissionFirst, None, false),
        ("POST", "/teams") => (
            Settings,
            PermissionFirst,
            Some(
                json!({ "name": format!("Matrix {}", Uuid::now_v7()), "lead_id": BEN_ID, "work_logs": "public" }),
            ),
            false,
        ),
        ("DELETE", "/teams/{team_id}") => (Settings, PermissionFirst, None, false),
        ("POST", "/timers/{timer_id}/pause" | "/timers/{timer_id}/stop") => {
            (Settings, PermissionFirst, None, false)
        }
        ("PATCH", "/teams/{team_id}") => (ManageTeam, LookupFirst, Some(json!({})), false),
        ("PUT", "/teams/{team_id}/members/{user_id}") => {
            (ManageTeam, LookupFirst, Some(json!({})), false)
        }
        ("DELETE", "/teams/{team_id}/members/{user_id}") => (ManageTeam, LookupFirst, None, false),
        ("POST", "/teams/{team_id}/roles") => (ManageTeam, LookupFirst, Some(role), false),
        ("PUT", "/teams/{team_id}/roles/{role_id}") => (ManageTeam, LookupFirst, Some(role), false),
        ("DELETE", "/teams/{team_id}/roles/{role_id}") => (ManageTeam, LookupFirst, None, false),
        _ => {
            panic!("{method} {path} is not in the writing access matrix's rule table: add its row")
        }
    };
    Some(Writing {
        method: leak(method),
        path: leak(path),
        gate,
        order,
        body,
        harmless,
    })
}

fn leak(text: &str) -> &'static str {
    Box::leak(text.to_string().into_boxed_str())
}

/// A caller of the writing matrix: who they are in the demo workspace.
struct Writer<'a> {
    caller: &'a Caller,
    write: bool,
    manages_team: bool,
    /// Ana: the author of the entry the matrix names.
    author: bool,
    /// Olga: the other workspace is hers; writing there is left out.
    of_other: bool,
}

/// The status the rules give, or `None` where a caller allowed to would change the demo.
fn expected_write(
    row: &Writing,
    who: &Writer,
    in_demo: bool,
    object: Option<bool>,
) -> Option<StatusCode> {
    let foreign = object == Some(true);
    if who.caller.token.is_empty() {
        return Some(StatusCode::UNAUTHORIZED);
    }
    if !in_demo {
        return (!who.of_other).then_some(StatusCode::NOT_FOUND);
    }
    let Some(holds) = who.caller.demo else {
        return Some(StatusCode::NOT_FOUND);
    };
    let allowed = match row.gate {
        Gate::Settings => holds.settings,
        Gate::Write => who.write,
        Gate::ManageTeam => who.manages_team,
    };
    match row.order {
        Order::PermissionFirst if !allowed => Some(StatusCode::FORBIDDEN),
        Order::LookupFirst if foreign => Some(StatusCode::NOT_FOUND),
        Order::LookupFirst if !allowed => Some(StatusCode::FORBIDDEN),
        _ if foreign => Some(StatusCode::NOT_FOUND),
        // Someone else's entry is answered like an unknown one to a writer of their own (an
        // admin's edit, T6, is of others' entries: its cells are `settings.rs`'s).
        _ if row.path.contains("{entry_id}") && row.gate == Gate::Write && !who.author => {
            Some(StatusCode::NOT_FOUND)
        }
        _ if row.harmless => Some(StatusCode::OK),
        _ => None,
    }
}

#[tokio::test]
async fn every_writing_endpoint_refuses_whoever_the_rules_refuse() {
    use reqwest::Method;
    on_each_backend(|server| async move {
        let Legal { admin, ana, ben, viewer, manager, team } = legal(&server).await;
        demo::add_members(&*server.storage, &Passwords::new(), 6).await.unwrap();
        let member = |n: u32| format!("member{n:03}@demo.stint.test");
        let finance = server.sign_in(&member(3)).await;
        let timer_only = server.sign_in(&member(4)).await;
        let deputy = server.sign_in(&member(5)).await;
        let gone = server.sign_in(&member(6)).await;
        server.give_role(&admin, "01900000-0000-7000-8000-000000010003", "Finance").await;
        for (user, change) in [("010004", json!({ "timesheet_access": "timer_only" })), ("010006", json!({ "active": false }))] {
            let url = server.url(&admin, &format!("/members/01900000-0000-7000-8000-000000{user}"));
            let (status, _) = answer(server.http.patch(url).bearer_auth(&admin.token).json(&change)).await;
            assert_eq!(status, StatusCode::OK);
        }
        let deputy_role = json!({ "name": "Deputy", "permissions": ["manage_team"] });
        let (_, team) = server.on_team(&ana, Method::POST, &team, "/roles", Some(deputy_role)).await;
        let roles = json!({ "role_ids": [super::role_id(&team["roles"], "Deputy")] });
        let path = "/members/01900000-0000-7000-8000-000000010005";
        server.on_team(&ana, Method::PUT, &team, path, Some(roles)).await;

        // The demo's objects each path can name, and another workspace's.
        let entry = Uuid::now_v7();
        let pushed = json!([record_entry(1, &entry, 0, "")]);
        assert_eq!(server.push(&ana, pushed).await.0, StatusCode::OK);
        let (_, custom) = answer(server.http.post(server.url(&admin, "/roles")).bearer_auth(&admin.token)
            .json(&json!({ "name": "Matrix", "permissions": [] }))).await;
        let (_, groups) = answer(server.http.get(server.url(&admin, "/groups")).bearer_auth(&admin.token)).await;
        let employees = groups.as_array().unwrap().iter().find(|g| g["name"] == "Employees").unwrap()["id"].clone();
        let (_, invitation) = answer(server.http.post(server.url(&admin, "/invitations")).bearer_auth(&admin.token)
            .json(&json!({ "email": "someone@demo.stint.test", "name": "Someone", "role_ids": [] }))).await;
        let other = common::other_workspace_with_member(&*server.storage, "olga@other.stint.test").await;
        let olga = server.sign_in("olga@other.stint.test").await;
        let olga_id = server.storage.user_by_email("olga@other.stint.test").await.unwrap().unwrap().id;
        let scope = stint_server::policy::seeding(other, olga_id);
        let settings = scope.require::<may::ChangeSettings>().unwrap();
        let their_role = server.storage.roles(settings).await.unwrap()[0].id;
        let their_group = server.storage.groups(&scope).await.unwrap()[0].id;
        let (their_team, their_team_role) = (Uuid::now_v7(), Uuid::now_v7());
        let mut tx = server.storage.begin().await.unwrap();
        let new = NewTeam {
            id: their_team,
            name: "Theirs".into(),
            work_logs: stint_domain::WorkLogs::Public,
            created_at: chrono::Utc::now(),
            lead_id: olga_id,
            lead_role_id: Uuid::now_v7(),
            member_role_id: their_team_role,
        };
        assert!(tx.insert_team(settings, &new).await.unwrap());
        let their_project = ProjectRecord { id: Uuid::now_v7(), name: "Theirs".into(), color: "#123456".into(), leader_id: None };
        assert!(tx.insert_project(settings, &their_project).await.unwrap());
        let their_task = TaskFields { id: Uuid::now_v7(), project_id: their_project.id, title: "Theirs".into(), status: stint_domain::TaskStatus::Open, percent_complete: 0 };
        assert!(tx.insert_task(settings, &their_task).await.unwrap());
        tx.commit().await.unwrap();

        let ids = |foreign: bool, param: &str, team_path: bool| -> String {
            match (param, foreign) {
                ("workspace_id", _) => ana.workspace.clone(),
                ("entry_id", false) => entry.to_string(),
                ("group_id", false) => employees.as_str().unwrap().to_string(),
                ("invitation_id", false) => invitation["id"].as_str().unwrap().to_string(),
                ("user_id", false) => BEN_ID.to_string(),
                ("team_id", false) => team["id"].as_str().unwrap().to_string(),
                ("role_id", false) if team_path => super::role_id(&team["roles"], "Viewer").as_str().unwrap().to_string(),
                ("role_id", false) => custom["id"].as_str().unwrap().to_string(),
                ("project_id", false) => DEMO_PROJECT.to_string(),
                ("task_id", false) => DEMO_TASK.to_string(),
                // No timer runs in the matrix: its allowed cells are `timers.rs`'s.
                ("timer_id", false) => Uuid::now_v7().to_string(),
                ("project_id", true) => their_project.id.to_string(),
                ("task_id", true) => their_task.id.to_string(),
                ("group_id", true) => their_group.to_string(),
                ("user_id", true) => olga_id.to_string(),
                ("team_id", true) => their_team.to_string(),
                ("role_id", true) if team_path => their_team_role.to_string(),
                ("role_id", true) => their_role.to_string(),
                // Unknown ones: nothing of the other workspace's by that kind exists here.
                (_, true) => Uuid::now_v7().to_string(),
                _ => unreachable!("{param}"),
            }
        };

        let writers = [
            (&admin, true, false, false, false, "admin", Some(Holds { read: true, settings: true })),
            (&manager, true, false, false, false, "manager", MEMBER),
            (&finance, false, false, false, false, "finance", MEMBER),
            (&ben, true, false, false, false, "member", MEMBER),
            (&timer_only, true, false, false, false, "timer-only member", MEMBER),
            (&ana, true, true, true, false, "team lead", MEMBER),
            (&viewer, true, false, false, false, "team viewer (custom team role)", MEMBER),
            (&deputy, true, true, false, false, "team deputy (custom team role)", MEMBER),
            (&olga, true, false, false, true, "another workspace's member", None),
            (&gone, false, false, false, false, "deactivated member", None),
        ];
        let nobody = SignedIn { token: String::new(), ..ana.clone() };
        let mut callers: Vec<(Caller, bool, bool, bool, bool)> = writers
            .iter()
            .map(|&(who, write, manages, author, of_other, name, demo)| {
                (Caller { name, token: who.token.clone(), demo, other: None, sees_secured: false }, write, manages, author, of_other)
            })
            .collect();
        callers.push((Caller { name: "no token", token: nobody.token, demo: None, other: None, sees_secured: false }, false, false, false, false));

        let (_, document) = answer(server.http.get(format!("{}/api/openapi.json", server.base))).await;
        let (mut cases, mut left, mut endpoints) = (0, 0, 0);
        for (path, item) in document["paths"].as_object().unwrap() {
            for method in ["post", "put", "patch", "delete"] {
                if item.get(method).is_none() {
                    continue;
                }
                let Some(row) = writing(path, &method.to_uppercase()) else { continue };
                endpoints += 1;
                let params: Vec<&str> = path
                    .split('{')
                    .skip(1)
                    .map(|p| p.split('}').next().unwrap())
                    .filter(|p| *p != "workspace_id")
                    .collect();
                let objects: Vec<Option<bool>> =
                    if params.is_empty() { vec![None] } else { vec![Some(false), Some(true)] };
                for (caller, write, manages_team, author, of_other) in &callers {
                    let who = Writer { caller, write: *write, manages_team: *manages_team, author: *author, of_other: *of_other };
                    for in_demo in [true, false] {
                        for object in &objects {
                            let Some(want) = expected_write(&row, &who, in_demo, *object) else {
                                left += 1;
                                continue;
                            };
                            let team_path = path.contains("/teams/");
                            let mut url = path.to_string();
                            for param in &params {
                                url = url.replace(&format!("{{{param}}}"), &ids(object.unwrap_or(false), param, team_path));
                            }
                            let workspace = if in_demo { ana.workspace.clone() } else { other.to_string() };
                            let url = format!("{}{}", server.base, url.replace("{workspace_id}", &workspace));
                            // A member's filters name a group of theirs; a push, a stream of the caller's.
                            let body = if row.path.ends_with("/filters") {
                                Some(json!({ "group_id": employees, "filter": null, "overrules": [] }))
                            } else if row.path.ends_with("/sync/push") {
                                Some(json!({ "protocol_version": 2, "stream_id": Uuid::now_v7(), "mutations": [] }))
                            } else {
                                row.body.clone()
                            };
                            let mut request = server.http.request(Method::from_bytes(row.method.as_bytes()).unwrap(), &url).bearer_auth(&caller.token);
                            if let Some(body) = body {
                                request = request.json(&body);
                            }
                            let status = request.send().await.unwrap().status();
                            assert_eq!(status, want, "{} {path} as {} (demo workspace: {in_demo}, another's object: {object:?})", row.method, caller.name);
                            cases += 1;
                        }
                    }
                }
            }
        }
        eprintln!("writing access matrix: {cases} cases over {endpoints} endpoints x {} callers; {left} cells where an allowed caller would change the demo are left to the feature tests", callers.len());
    })
    .await;
}
