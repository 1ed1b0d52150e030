//! Deleting a secured team (P4) with the server process SIGKILLed part-way, again and again on
//! SQLite and PostgreSQL: each time, after a restart, the team and every one of its entries are
//! as they were, or the team is gone and every entry is a public one of no team — never some of
//! each, and no entry lost.

use std::time::Duration;

use futures_util::{stream, StreamExt};
use serde_json::{json, Value};
use stint_tests::{
    entries_on_server, free_port, workspace_binary, Database, ServerProcess, DEMO_PASSWORD,
};

const ADMIN: &str = "admin@demo.stint.test";
const ANA: &str = "ana@demo.stint.test";
const ANA_ID: &str = "01900000-0000-7000-8000-000000000102";
/// Enough entries that converting them takes the server a while (tens of milliseconds).
const ENTRIES: usize = 1_500;

struct Caller {
    token: String,
    workspace: String,
}

async fn sign_in(http: &reqwest::Client, url: &str, email: &str) -> Caller {
    let answer: Value = http
        .post(format!("{url}/api/v1/auth/token"))
        .json(&json!({ "email": email, "password": DEMO_PASSWORD, "device_name": "test" }))
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .expect("signing in")
        .json()
        .await
        .unwrap();
    Caller {
        token: answer["token"].as_str().unwrap().into(),
        workspace: answer["workspaces"][0]["id"].as_str().unwrap().into(),
    }
}

async fn send(request: reqwest::RequestBuilder, caller: &Caller) -> (u16, Value) {
    let response = request
        .bearer_auth(&caller.token)
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secured_team_deletion_killed_midway_changes_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server_binary = workspace_binary("stint-server");
    let http = reqwest::Client::new();
    for (backend, database) in Database::each(dir.path()) {
        // One port throughout: the server started again answers at the same address.
        let port = free_port();
        let seed = ["--entries".to_string(), ENTRIES.to_string()];
        let mut server =
            ServerProcess::start_with_demo(&server_binary, &database, &seed, port).unwrap();
        let admin = sign_in(&http, &server.url, ADMIN).await;
        let ana = sign_in(&http, &server.url, ANA).await;
        let workspace = format!("{}/api/v1/workspaces/{}", server.url, admin.workspace);
        let (status, _) = send(
            http.patch(&workspace)
                .json(&json!({ "secured_teams": true })),
            &admin,
        )
        .await;
        assert_eq!(status, 200);
        let (status, team) = send(
            http.post(format!("{workspace}/teams"))
                .json(&json!({ "name": "Legal", "lead_id": ANA_ID, "work_logs": "secured" })),
            &admin,
        )
        .await;
        assert_eq!(status, 201, "{team}");
        let team_id = team["id"].as_str().unwrap().to_string();
        let ids: Vec<_> = entries_on_server(&server.url, ANA)
            .await
            .into_iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(ids.len(), ENTRIES);
        let moves = stream::iter(&ids)
            .map(|id| {
                send(
                    http.put(format!("{workspace}/entries/{id}/team"))
                        .json(&json!({ "team_id": team_id })),
                    &ana,
                )
            })
            .buffer_unordered(8)
            .collect::<Vec<_>>()
            .await;
        assert!(moves.iter().all(|(status, _)| *status == 200));

        // Killed 0, 1, 2, 4 … ms after the request went out, until a deletion gets through.
        let mut untouched = 0;
        for round in 0.. {
            assert!(round < 20, "{backend}: the deletion never got through");
            let delete = http
                .delete(format!(
                    "{workspace}/teams/{team_id}?entries=convert_to_public&confirm=irreversible"
                ))
                .bearer_auth(&admin.token)
                .send();
            let delete = tokio::spawn(delete);
            let delay = if round == 0 { 0 } else { 1 << (round - 1) };
            tokio::time::sleep(Duration::from_millis(delay)).await;
            server.stop_now();
            let _ = delete.await;
            server = ServerProcess::start_with_demo(&server_binary, &database, &[], port).unwrap();

            let (status, _) = send(http.get(format!("{workspace}/teams/{team_id}")), &ana).await;
            let entries = entries_on_server(&server.url, ANA).await;
            assert_eq!(entries.len(), ENTRIES, "{backend}, killed after {delay} ms");
            let in_team = entries
                .iter()
                .filter(|e| e.team_id.map(|t| t.to_string()) == Some(team_id.clone()))
                .count();
            match status {
                200 => {
                    assert_eq!(in_team, ENTRIES, "{backend}, killed after {delay} ms");
                    untouched += 1;
                }
                404 => {
                    assert!(
                        entries.iter().all(|e| e.team_id.is_none()),
                        "{backend}, killed after {delay} ms: some entries are still in a team"
                    );
                    eprintln!(
                        "{backend}: {untouched} deletions killed changed nothing; the one \
                         killed after {delay} ms had finished"
                    );
                    break;
                }
                other => panic!("{backend}: the team answers {other}"),
            }
        }
    }
}
