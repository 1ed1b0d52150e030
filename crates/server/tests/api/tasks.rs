//! Projects and tasks as admins manage them, and the task lists members start work from:
//! assigned to me (directly or through a team), recent, search, and actual hours under the
//! caller's visibility.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

use super::entries::{legal, record_entry, Legal};
use super::{answer, on_each_backend, SignedIn, TestServer, ANA, BEN, BENS_TASK, SHARED_TASK};

const ADMIN: &str = "admin@demo.stint.test";
const ANA_ID: &str = "01900000-0000-7000-8000-000000000102";
const BEN_ID: &str = "01900000-0000-7000-8000-000000000103";
const WEB_TEAM: &str = "01900000-0000-7000-8000-000000000401";

impl TestServer {
    async fn call(
        &self,
        who: &SignedIn,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, self.url(who, path))
            .bearer_auth(&who.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request).await
    }

    /// The tasks `who` lists with this query, by id.
    async fn task_list(&self, who: &SignedIn, query: &str) -> Vec<Value> {
        let (status, list) = self
            .call(who, Method::GET, &format!("/tasks{query}"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        list["tasks"].as_array().unwrap().clone()
    }
}

fn ids(tasks: &[Value]) -> Vec<&str> {
    tasks.iter().map(|t| t["id"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn admins_manage_projects_and_tasks_and_devices_hear_of_it() {
    on_each_backend(|server| async move {
        let admin = server.sign_in(ADMIN).await;
        let ana = server.sign_in(ANA).await;
        let ben = server.sign_in(BEN).await;
        let cursor = server.pull(&ana, None).await["cursor"].as_str().unwrap().to_string();

        // Bad input is refused with the field named, and nothing is made.
        let projects_before = server.call(&admin, Method::GET, "/projects", None).await.1;
        for (body, field) in [
            (json!({ "name": "Lights", "color": "red" }), "color"),
            (json!({ "name": "   ", "color": "#aabbcc" }), "name"),
            (json!({ "name": "Lights", "color": "#aabbcc", "leader_id": Uuid::now_v7() }), "leader_id"),
        ] {
            let (status, error) = server.call(&admin, Method::POST, "/projects", Some(body)).await;
            assert_eq!((status, error["details"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some(field)));
        }
        assert_eq!(server.call(&admin, Method::GET, "/projects", None).await.1, projects_before);
        let (status, _) = server
            .call(&ana, Method::POST, "/projects", Some(json!({ "name": "Mine", "color": "#aabbcc" })))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        let project = json!({ "name": "Éclairage", "color": "#aabbcc", "leader_id": ANA_ID });
        let (status, project) = server.call(&admin, Method::POST, "/projects", Some(project)).await;
        assert_eq!(status, StatusCode::CREATED, "{project}");
        assert_eq!(project["leader_id"], ANA_ID);
        let project_id = project["id"].as_str().unwrap().to_string();

        for (body, field) in [
            (json!({ "project_id": project_id, "title": "Plan", "percent_complete": 101 }), None),
            (json!({ "project_id": project_id, "title": "" }), Some("title")),
            (json!({ "project_id": Uuid::now_v7(), "title": "Plan" }), Some("project_id")),
        ] {
            let (status, error) = server.call(&admin, Method::POST, "/tasks", Some(body)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
            if field.is_some() {
                assert_eq!(error["details"]["field"].as_str(), field);
            }
        }
        let new = json!({ "project_id": project_id, "title": "  Ölwechsel planen ", "percent_complete": 40 });
        let (status, task) = server.call(&admin, Method::POST, "/tasks", Some(new)).await;
        assert_eq!(status, StatusCode::CREATED, "{task}");
        assert_eq!((task["title"].as_str(), task["status"].as_str(), task["percent_complete"].as_u64()), (Some("Ölwechsel planen"), Some("open"), Some(40)));
        let task_id = task["id"].as_str().unwrap().to_string();
        let path = format!("/tasks/{task_id}");

        // A change leaves what it does not name as it was.
        let (status, task) = server.call(&admin, Method::PATCH, &path, Some(json!({ "status": "in_progress" }))).await;
        assert_eq!(status, StatusCode::OK, "{task}");
        assert_eq!((task["status"].as_str(), task["percent_complete"].as_u64(), task["title"].as_str()), (Some("in_progress"), Some(40), Some("Ölwechsel planen")));
        let (status, _) = server.call(&ana, Method::PATCH, &path, Some(json!({ "percent_complete": 90 }))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Assignees: people and teams of the workspace, each once.
        let assignees = format!("{path}/assignees");
        for body in [
            json!({ "user_ids": [BEN_ID, BEN_ID] }),
            json!({ "user_ids": [Uuid::now_v7()] }),
            json!({ "team_ids": [Uuid::now_v7()] }),
        ] {
            let (status, error) = server.call(&admin, Method::PUT, &assignees, Some(body)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        }
        let (status, task) = server
            .call(&admin, Method::PUT, &assignees, Some(json!({ "user_ids": [BEN_ID], "team_ids": [WEB_TEAM] })))
            .await;
        assert_eq!(status, StatusCode::OK, "{task}");
        assert_eq!(task["assignees"][0]["user_id"], BEN_ID);
        assert_eq!((task["teams"][0]["team_id"].as_str(), task["teams"][0]["name"].as_str()), (Some(WEB_TEAM), Some("Web team")));

        // Ana works on it through her team, Ben directly; a search finds it whatever the case.
        assert!(ids(&server.task_list(&ana, "?assigned=me").await).contains(&task_id.as_str()));
        assert!(ids(&server.task_list(&ben, "?assigned=me").await).contains(&task_id.as_str()));
        let admins_own = server.task_list(&admin, "?assigned=me").await;
        assert!(!ids(&admins_own).contains(&task_id.as_str()));
        for q in ["%C3%96LWECHSEL", "%C3%A9CLAIRAGE", "lwech"] {
            assert_eq!(ids(&server.task_list(&ben, &format!("?q={q}")).await), [task_id.as_str()], "{q}");
        }
        for query in ["assigned=you", "limit=1001", &format!("q={}", "x".repeat(101))] {
            let (status, _) = server.call(&ben, Method::GET, &format!("/tasks?{query}"), None).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        }

        // Devices hear of it, and of its project's new name.
        let (status, _) = server
            .call(&admin, Method::PATCH, &format!("/projects/{project_id}"), Some(json!({ "name": "Lighting", "leader_id": null })))
            .await;
        assert_eq!(status, StatusCode::OK);
        let pulled = server.pull(&ana, Some(&cursor)).await;
        let on_device = pulled["tasks"].as_array().unwrap().iter().find(|t| t["id"] == task_id.as_str()).cloned().unwrap();
        assert_eq!((on_device["project_name"].as_str(), on_device["percent_complete"].as_u64()), (Some("Lighting"), Some(40)));
        assert_eq!(on_device["teams"][0]["team_id"], WEB_TEAM);
        let projects = server.call(&ana, Method::GET, "/projects", None).await.1;
        let lighting = projects.as_array().unwrap().iter().find(|p| p["id"] == project_id.as_str()).unwrap();
        assert!(lighting.get("leader_id").is_none(), "{lighting}");

        // Renaming the team reaches the device's copy of the task; a change of nothing is
        // nothing for devices to pull.
        let cursor = pulled["cursor"].as_str().unwrap().to_string();
        let (status, body) = server
            .call(&admin, Method::PATCH, &format!("/teams/{WEB_TEAM}"), Some(json!({ "name": "Web crew" })))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let pulled = server.pull(&ana, Some(&cursor)).await;
        let on_device = pulled["tasks"].as_array().unwrap().iter().find(|t| t["id"] == task_id.as_str()).cloned().unwrap();
        assert_eq!(on_device["teams"][0]["name"], "Web crew");
        let cursor = pulled["cursor"].as_str().unwrap().to_string();
        assert_eq!(server.call(&admin, Method::PATCH, &path, Some(json!({}))).await.0, StatusCode::OK);
        let project_path = format!("/projects/{project_id}");
        assert_eq!(server.call(&admin, Method::PATCH, &project_path, Some(json!({}))).await.0, StatusCode::OK);
        assert_eq!(server.pull(&ana, Some(&cursor)).await["tasks"], json!([]));

        // Deleting the team takes it off the task, and devices hear of that too.
        let (status, body) = server.call(&admin, Method::DELETE, &format!("/teams/{WEB_TEAM}"), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let pulled = server.pull(&ana, Some(&cursor)).await;
        let on_device = pulled["tasks"].as_array().unwrap().iter().find(|t| t["id"] == task_id.as_str()).cloned().unwrap();
        assert_eq!(on_device["teams"], json!([]));
        assert!(!ids(&server.task_list(&ana, "?assigned=me").await).contains(&task_id.as_str()));

        // A project goes once its tasks have; a task with time on it stays.
        let (status, error) = server.call(&admin, Method::DELETE, &project_path, None).await;
        assert_eq!((status, error["code"].as_str()), (StatusCode::CONFLICT, Some("project_has_tasks")));
        let logged = json!([record_entry(1, &Uuid::now_v7(), 0, "")]);
        assert_eq!(server.push(&ana, logged).await.0, StatusCode::OK);
        let (status, error) = server.call(&admin, Method::DELETE, &format!("/tasks/{SHARED_TASK}"), None).await;
        assert_eq!((status, error["code"].as_str()), (StatusCode::CONFLICT, Some("task_in_use")));
        let (status, _) = server.call(&admin, Method::DELETE, &path, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = server.call(&admin, Method::DELETE, &project_path, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let projects = server.call(&admin, Method::GET, "/projects", None).await.1;
        assert!(projects.as_array().unwrap().iter().all(|p| p["id"] != project_id.as_str()));
        let pulled = server.pull(&ana, pulled["cursor"].as_str()).await;
        assert!(pulled["removed"].to_string().contains(&task_id), "{pulled}");
    })
    .await;
}

/// Each caller's actual hours are the sum of the entries they may list: a secured entry counts
/// for its author and its team's viewers only, never for an admin.
#[tokio::test]
async fn actual_hours_count_what_the_caller_may_see() {
    on_each_backend(|server| async move {
        let Legal {
            admin,
            ana,
            ben,
            viewer,
            manager,
            team,
        } = legal(&server).await;
        let (public, secured, bens) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let pushed = json!([
            record_entry(1, &public, 0, ""),
            record_entry(2, &secured, 60, "")
        ]);
        assert_eq!(server.push(&ana, pushed).await.0, StatusCode::OK);
        assert_eq!(
            server
                .push(&ben, json!([record_entry(1, &bens, 120, "")]))
                .await
                .0,
            StatusCode::OK
        );
        let (status, body) = server
            .call(
                &ana,
                Method::PUT,
                &format!("/entries/{secured}/team"),
                Some(json!({ "team_id": team["id"] })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");

        let mut totals = Vec::new();
        let callers = [
            ("admin", &admin),
            ("ana", &ana),
            ("ben", &ben),
            ("viewer", &viewer),
            ("manager", &manager),
        ];
        for (name, who) in callers {
            let tasks = server.task_list(who, "").await;
            let shared = tasks.iter().find(|t| t["id"] == SHARED_TASK).unwrap();
            let (status, entries) = server
                .call(who, Method::GET, "/entries?limit=1000", None)
                .await;
            assert_eq!(status, StatusCode::OK);
            let entries = entries["entries"].as_array().unwrap();
            let listed: i64 = entries
                .iter()
                .filter(|e| e["task_id"] == SHARED_TASK)
                .map(|e| e["duration_secs"].as_i64().unwrap())
                .sum();
            assert_eq!(shared["actual_secs"].as_i64(), Some(listed), "{name}");
            let sees_secured = entries.iter().any(|e| e["id"] == secured.to_string());
            totals.push((listed, sees_secured));
        }
        // The admin sees the two public entries, not Ana's secured one; Ana her own two; Ben
        // his own; the team's viewer the secured one only.
        let expected = [(3600, false), (3600, true), (1800, false), (1800, true)];
        assert_eq!(totals[..4], expected);
    })
    .await;
}

#[tokio::test]
async fn recent_tasks_are_the_callers_latest_used_first() {
    on_each_backend(|server| async move {
        let ben = server.sign_in(BEN).await;
        assert_eq!(
            server.task_list(&ben, "?recent=true").await,
            Vec::<Value>::new()
        );
        let entry = |seq: i64, task: &str, from: i64| {
            let mut mutation = record_entry(seq, &Uuid::now_v7(), from, "");
            mutation["args"]["task_id"] = json!(task);
            mutation
        };
        let pushed = json!([entry(1, SHARED_TASK, 1_000), entry(2, BENS_TASK, 1_060)]);
        assert_eq!(server.push(&ben, pushed).await.0, StatusCode::OK);
        let recent = server.task_list(&ben, "?recent=true").await;
        assert_eq!(ids(&recent)[..2], [BENS_TASK, SHARED_TASK]);
        assert_eq!(recent.len(), 2);
        assert_eq!(
            ids(&server.task_list(&ben, "?recent=true&limit=1").await),
            [BENS_TASK]
        );
        let (status, _) = server.call(&ben, Method::GET, "/tasks?limit=0", None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        // Ana's time is not Ben's history.
        let ana = server.sign_in(ANA).await;
        let anas = server.task_list(&ana, "?recent=true").await;
        assert!(anas.first().map(|t| t["id"] != BENS_TASK).unwrap_or(true));
    })
    .await;
}

/// Assigning a team while it is deleted: one of them goes first, the other sees its result
/// (never a deadlock's 503), and the task is left without the deleted team.
#[tokio::test]
async fn a_team_assigned_while_it_is_deleted_is_left_off_the_task() {
    on_each_backend(|server| async move {
        let admin = server.sign_in(ADMIN).await;
        let assignees = format!("/tasks/{SHARED_TASK}/assignees");
        for round in 0..15 {
            let (status, team) = server
                .make_team(&admin, &format!("Race {round}"), ANA_ID, "public")
                .await;
            assert_eq!(status, StatusCode::CREATED, "{team}");
            let team_id = team["id"].as_str().unwrap().to_string();
            let both = json!({ "user_ids": [ANA_ID], "team_ids": [team_id, WEB_TEAM] });
            assert_eq!(
                server
                    .call(&admin, Method::PUT, &assignees, Some(both.clone()))
                    .await
                    .0,
                StatusCode::OK
            );
            let team_path = format!("/teams/{team_id}");
            let (assigned, deleted) = tokio::join!(
                server.call(&admin, Method::PUT, &assignees, Some(both)),
                server.call(&admin, Method::DELETE, &team_path, None),
            );
            assert_eq!(deleted.0, StatusCode::OK, "round {round}: {}", deleted.1);
            assert!(
                [StatusCode::OK, StatusCode::BAD_REQUEST].contains(&assigned.0),
                "round {round}: {} {}",
                assigned.0,
                assigned.1
            );
            let task = server
                .task_list(&admin, "")
                .await
                .into_iter()
                .find(|t| t["id"] == SHARED_TASK)
                .unwrap();
            let teams: Vec<&str> = task["teams"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["team_id"].as_str().unwrap())
                .collect();
            assert!(
                !teams.contains(&team_id.as_str()),
                "round {round}: {teams:?}"
            );
        }
    })
    .await;
}
