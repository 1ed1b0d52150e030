//! The access matrix (P5), on both backends: every GET endpoint of the OpenAPI document × every
//! kind of caller × the objects its path names (the caller's workspace or another's; a public
//! team, a secured one, another workspace's; a teammate or another workspace's user) → the
//! status a rule table expects. An endpoint the table does not know fails the test, so a new
//! one cannot slip past it. (What the answers contain is the leak scan's and the visibility
//! tests' business, in `entries.rs`.)

use reqwest::StatusCode;
use serde_json::{json, Value};
use stint_server::service::demo;
use stint_server::Passwords;
use stint_storage::{may, NewTeam};
use uuid::Uuid;

use super::entries::{legal, Legal};
use super::{answer, common, on_each_backend};

const BEN_ID: &str = "01900000-0000-7000-8000-000000000103";
const WEB_TEAM: &str = "01900000-0000-7000-8000-000000000401";

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
}

/// The rule table: every GET endpoint and what it needs. `None`: not in the matrix (an event
/// stream never ends; `events.rs` tests who may open one).
fn needs(path: &str) -> Option<Needs> {
    let in_workspace = path.strip_prefix("/api/v1/workspaces/{workspace_id}");
    Some(match (path, in_workspace) {
        ("/health" | "/api/openapi.json", _) => Needs::Nobody,
        ("/api/v1/devices" | "/api/v1/tokens", _) => Needs::SignedIn,
        (_, Some("" | "/pages")) => Needs::Member,
        (_, Some("/teams" | "/teams/{team_id}" | "/tasks" | "/sync/pull" | "/entries")) => {
            Needs::Read
        }
        (
            _,
            Some("/roles" | "/members" | "/invitations" | "/groups" | "/members/{user_id}/filters"),
        ) => Needs::Settings,
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
        Needs::Read => holds.read,
        Needs::Settings => holds.settings,
        _ => true,
    };
    if !allowed {
        StatusCode::FORBIDDEN
    } else if object_foreign {
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
        let callers = [
            Caller {
                name: "admin",
                token: admin.token.clone(),
                demo: admin_holds,
                other: None,
            },
            Caller {
                name: "manager",
                token: manager.token.clone(),
                demo: MEMBER,
                other: None,
            },
            Caller {
                name: "finance",
                token: finance.token.clone(),
                demo: MEMBER,
                other: None,
            },
            Caller {
                name: "member",
                token: ben.token.clone(),
                demo: MEMBER,
                other: None,
            },
            Caller {
                name: "timer-only member",
                token: timer_only.token.clone(),
                demo: MEMBER,
                other: None,
            },
            Caller {
                name: "team lead",
                token: ana.token.clone(),
                demo: MEMBER,
                other: None,
            },
            Caller {
                name: "team viewer (custom team role)",
                token: viewer.token.clone(),
                demo: MEMBER,
                other: None,
            },
            Caller {
                name: "team deputy (custom team role)",
                token: deputy.token.clone(),
                demo: MEMBER,
                other: None,
            },
            Caller {
                name: "another workspace's member",
                token: olga.token.clone(),
                demo: None,
                other: MEMBER,
            },
            Caller {
                name: "deactivated member",
                token: gone.token.clone(),
                demo: None,
                other: None,
            },
            Caller {
                name: "no token",
                token: String::new(),
                demo: None,
                other: None,
            },
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
                let fill = |ws: &str, team: &str, user: &str| {
                    path.replace("{workspace_id}", ws)
                        .replace("{team_id}", team)
                        .replace("{user_id}", user)
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
