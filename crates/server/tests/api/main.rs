//! The server's HTTP API, end to end over loopback, on both backends: every test runs once on a
//! fresh SQLite file and once on a fresh PostgreSQL database. `cargo xtask test` starts
//! PostgreSQL and sets STINT_TEST_DATABASE_URL; without it these tests fail unless
//! STINT_SKIP_POSTGRES=1 says to run SQLite only.

use chrono::{DateTime, Duration, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::Arc;

use stint_api::sync::{Intent, MAX_MUTATIONS_PER_PUSH, PROTOCOL_VERSION};
use stint_server::service::{accounts, demo};
use stint_server::Passwords;
use stint_storage::Storage;
use uuid::Uuid;

mod access;
#[path = "../common/mod.rs"]
mod common;
mod entries;
mod groups;
mod invitations;
mod roles;
mod settings;
mod sync;
mod tasks;
mod teams;
mod timers;
mod tokens;

const ANA: &str = "ana@demo.stint.test";
const BEN: &str = "ben@demo.stint.test";
const PASSWORD: &str = "stint-demo";
/// "Triage new tickets": assigned to Ana and Ben in the demo.
const SHARED_TASK: &str = "01900000-0000-7000-8000-000000000307";
/// "Fix checkout redirect": open, assigned to Ben only.
const BENS_TASK: &str = "01900000-0000-7000-8000-000000000303";

struct TestServer {
    base: String,
    storage: Arc<dyn Storage>,
    /// The database's URL on PostgreSQL, for a connection of the test's own.
    postgres_url: Option<String>,
    http: reqwest::Client,
}

/// Runs `test` against a demo server on each backend.
async fn on_each_backend<F, Fut>(test: F)
where
    F: Fn(TestServer) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for backend in common::backends().await {
        let storage = backend.storage.clone();
        demo::seed(&*storage, &Passwords::new()).await.unwrap();
        let (base, server) = common::serve(storage.clone()).await;
        eprintln!("-- on {}", storage.backend());
        test(TestServer {
            base,
            storage,
            postgres_url: backend.postgres_url.clone(),
            http: reqwest::Client::new(),
        })
        .await;
        server.abort();
    }
}

#[derive(Clone)]
struct SignedIn {
    token: String,
    workspace: String,
    device: String,
    /// The device's stream in the workspace (made by the "device", as a real one does).
    stream: String,
}

impl TestServer {
    async fn sign_in(&self, email: &str) -> SignedIn {
        let credentials = json!({ "email": email, "password": PASSWORD, "device_name": "test" });
        let url = format!("{}/api/v1/auth/token", self.base);
        let (status, body) = answer(self.http.post(url).json(&credentials)).await;
        assert_eq!(status, StatusCode::OK);
        SignedIn {
            token: body["token"].as_str().unwrap().into(),
            workspace: body["workspaces"][0]["id"].as_str().unwrap().into(),
            device: body["device_id"].as_str().unwrap().into(),
            stream: Uuid::now_v7().to_string(),
        }
    }

    async fn push_raw(&self, who: &SignedIn, body: Value) -> (StatusCode, Value) {
        let url = format!(
            "{}/api/v1/workspaces/{}/sync/push",
            self.base, who.workspace
        );
        answer(self.http.post(url).bearer_auth(&who.token).json(&body)).await
    }

    /// Pushes `mutations` (`{seq, name, args}`) on the device's stream, each with its
    /// fingerprint and device time added as a real device sends them.
    async fn push(&self, who: &SignedIn, mutations: Value) -> (StatusCode, Value) {
        let mutations: Vec<Value> = mutations.as_array().unwrap().iter().map(v2).collect();
        let body = json!({
            "protocol_version": PROTOCOL_VERSION, "stream_id": who.stream, "mutations": mutations
        });
        self.push_raw(who, body).await
    }

    /// Every page after `cursor` (none: a snapshot), as one answer: tasks and entries by id
    /// (the latest state), all tombstones, and the last page's cursor, timer and stream seq.
    async fn pull(&self, who: &SignedIn, cursor: Option<&str>) -> Value {
        let url = format!(
            "{}/api/v1/workspaces/{}/sync/pull",
            self.base, who.workspace
        );
        let mut cursor = cursor.map(str::to_string);
        let (mut tasks, mut entries, mut removed) = (Vec::new(), Vec::new(), Vec::new());
        loop {
            let mut query = vec![
                ("protocol_version", PROTOCOL_VERSION.to_string()),
                ("stream_id", who.stream.clone()),
            ];
            if let Some(cursor) = &cursor {
                query.push(("cursor", cursor.clone()));
            }
            let request = self.http.get(&url).query(&query).bearer_auth(&who.token);
            let (status, mut page) = answer(request).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            for (all, key) in [(&mut tasks, "tasks"), (&mut entries, "entries")] {
                for item in page[key].as_array().unwrap() {
                    all.retain(|known: &Value| known["id"] != item["id"]);
                    all.push(item.clone());
                }
            }
            removed.extend(page["removed"].as_array().unwrap().iter().cloned());
            cursor = page["cursor"].as_str().map(str::to_string);
            if page["more"] == false {
                page["tasks"] = json!(tasks);
                page["entries"] = json!(entries);
                page["removed"] = json!(removed);
                return page;
            }
        }
    }
}

/// Reads of a workspace's roles and people, for the tests of `roles`, `invitations`, `tokens`.
impl TestServer {
    fn url(&self, who: &SignedIn, path: &str) -> String {
        format!("{}/api/v1/workspaces/{}{path}", self.base, who.workspace)
    }

    async fn roles(&self, who: &SignedIn) -> Value {
        let (status, body) = answer(
            self.http
                .get(self.url(who, "/roles"))
                .bearer_auth(&who.token),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// The member row of `user_id`, as `GET …/members` answers it to `who`.
    async fn member(&self, who: &SignedIn, user_id: &str) -> Value {
        let (status, members) = answer(
            self.http
                .get(self.url(who, "/members"))
                .bearer_auth(&who.token),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{members}");
        members
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["user"]["id"] == user_id)
            .unwrap()
            .clone()
    }
}

/// Teams, for the tests of `teams` and `entries`.
impl TestServer {
    async fn make_team(
        &self,
        who: &SignedIn,
        name: &str,
        lead: &str,
        work_logs: &str,
    ) -> (StatusCode, Value) {
        let request = json!({ "name": name, "lead_id": lead, "work_logs": work_logs });
        answer(
            self.http
                .post(self.url(who, "/teams"))
                .bearer_auth(&who.token)
                .json(&request),
        )
        .await
    }

    async fn team(&self, who: &SignedIn, team: &Value) -> Value {
        let url = self.url(who, &format!("/teams/{}", team["id"].as_str().unwrap()));
        let (status, body) = answer(self.http.get(url).bearer_auth(&who.token)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// Sends `body` with `method` to a path under the team.
    async fn on_team(
        &self,
        who: &SignedIn,
        method: reqwest::Method,
        team: &Value,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let url = self.url(
            who,
            &format!("/teams/{}{path}", team["id"].as_str().unwrap()),
        );
        let mut request = self.http.request(method, url).bearer_auth(&who.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request).await
    }

    /// The workspace role named `role` (custom or default), and no other, given to a member.
    async fn give_role(&self, admin: &SignedIn, user: &str, role: &str) {
        let roles = self.roles(admin).await;
        let url = self.url(admin, &format!("/members/{user}/roles"));
        let body = json!({ "role_ids": [role_id(&roles, role)] });
        let (status, body) = answer(self.http.put(url).bearer_auth(&admin.token).json(&body)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    async fn allow_secured_teams(&self, admin: &SignedIn) {
        let (status, body) = answer(
            self.http
                .patch(self.url(admin, ""))
                .bearer_auth(&admin.token)
                .json(&json!({ "secured_teams": true })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["secured_teams"], true);
    }
}

/// The id of the role named `name` in a roles list.
fn role_id(roles: &Value, name: &str) -> Value {
    roles
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap()["id"]
        .clone()
}

fn at(minutes: i64) -> String {
    (Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap() + Duration::minutes(minutes)).to_rfc3339()
}

fn start(seq: i64, timer: &Uuid, task: &str, minutes: i64) -> Value {
    json!({ "seq": seq, "name": "start_timer", "args": { "timer_id": timer, "task_id": task, "at": at(minutes) } })
}

fn stop(seq: i64, timer: &Uuid, entry: &Uuid, minutes: i64) -> Value {
    json!({ "seq": seq, "name": "stop_timer", "args": { "timer_id": timer, "entry_id": entry, "at": at(minutes) } })
}

/// A v1-shaped mutation with what v2 adds: the intent's fingerprint and the device's time.
fn v2(mutation: &Value) -> Value {
    let mut mutation = mutation.clone();
    let intent = json!({ "name": mutation["name"], "args": mutation["args"] });
    let intent: Intent = serde_json::from_value(intent).expect("a well-formed intent");
    mutation["fingerprint"] = json!(intent.fingerprint());
    mutation["device_time"] = json!(intent.at());
    mutation
}

fn outcomes(body: &Value) -> Vec<&str> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn health_and_openapi() {
    on_each_backend(|server| async move {
        let health: Value = reqwest::get(format!("{}/health", server.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(health["status"], "ok");
        let doc: Value = reqwest::get(format!("{}/api/openapi.json", server.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        for path in [
            "/api/v1/auth/token",
            "/api/v1/workspaces/{workspace_id}/sync/push",
        ] {
            assert!(
                doc["paths"].get(path).is_some(),
                "{path} missing from the OpenAPI document"
            );
        }
        assert!(doc["components"]["schemas"].get("PushRequest").is_some());
    })
    .await;
}

/// The document states the limits the server enforces (utoipa takes only literals, so they are
/// written twice).
#[test]
fn the_openapi_document_states_the_servers_limits() {
    let doc = serde_json::to_value(stint_server::openapi()).unwrap();
    let schemas = &doc["components"]["schemas"];
    let token = &schemas["TokenRequest"]["properties"];
    assert_eq!(token["email"]["maxLength"], accounts::MAX_EMAIL_CHARS);
    assert_eq!(token["password"]["maxLength"], accounts::MAX_PASSWORD_BYTES);
    let push = &schemas["PushRequest"]["properties"];
    assert_eq!(push["mutations"]["maxItems"], MAX_MUTATIONS_PER_PUSH);
    assert_eq!(push["protocol_version"]["minimum"], PROTOCOL_VERSION);
    assert_eq!(push["protocol_version"]["maximum"], PROTOCOL_VERSION);

    assert_eq!(
        schemas["MemberRoles"]["properties"]["role_ids"]["maxItems"],
        stint_server::service::roles::MAX_ROLES_HELD
    );
    // A role's name follows the device name's rule.
    assert_eq!(
        schemas["RoleRequest"]["properties"]["name"]["pattern"],
        token["device_name"]["pattern"]
    );
    // The device name's pattern accepts exactly what the server takes: a name that is 1 to 100
    // characters once trimmed, without control characters other than tab and line breaks.
    let pattern = regex::Regex::new(token["device_name"]["pattern"].as_str().unwrap()).unwrap();
    let text = |n: usize, c: char| c.to_string().repeat(n);
    let names = [
        "laptop".to_string(),
        "a".into(),
        "".into(),
        "   ".into(),
        " \t work laptop \r\n".into(),
        "\u{3000}x\u{a0}".into(),
        "\u{a0}\u{2003}".into(),
        "x\u{feff}".into(),
        "lap\u{7}top".into(),
        "\u{85}x".into(),
        "x\u{0}".into(),
        text(100, 'é'),
        text(101, 'x'),
        format!("  {}\n", text(100, 'x')),
        format!("x{}x", text(98, ' ')),
        format!("x{}x", text(99, ' ')),
    ];
    for name in names {
        let server_takes = accounts::device_name(&name).is_ok()
            && !name
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'));
        assert_eq!(pattern.is_match(&name), server_takes, "{name:?}");
    }
}

/// Sends `request`; its status and JSON body (`null` when there is none).
async fn answer(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn sign_in_and_its_errors() {
    on_each_backend(|server| async move {
        let http = &server.http;
        let token_url = format!("{}/api/v1/auth/token", server.base);
        let wrong = json!({ "email": ANA, "password": "nope", "device_name": "test" });
        let (status, body) = answer(http.post(&token_url).json(&wrong)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["code"], "invalid_credentials");

        let malformed = http
            .post(&token_url)
            .header("content-type", "application/json");
        let (status, body) = answer(malformed.body("{\"email\": ")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["code"], "malformed_request");

        let ana = server.sign_in(ANA).await;
        let tasks_url = format!("{}/api/v1/workspaces/{}/tasks", server.base, ana.workspace);
        let (_, tasks) = answer(http.get(&tasks_url).bearer_auth(&ana.token)).await;
        assert_eq!(tasks["tasks"].as_array().unwrap().len(), 7);

        for (token, code) in [("", "invalid_token"), ("stint_wrong", "invalid_token")] {
            let (status, body) = answer(http.get(&tasks_url).bearer_auth(token)).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            assert_eq!(body["code"], code);
        }
        let (_, body) = answer(http.get(&tasks_url)).await;
        assert_eq!(body["code"], "missing_token");
        // The scheme's case does not matter; another scheme is not a bearer token.
        for scheme in ["bearer", "BEARER"] {
            let header = format!("{scheme} {}", ana.token);
            let (status, _) = answer(http.get(&tasks_url).header("authorization", header)).await;
            assert_eq!(status, StatusCode::OK, "{scheme}");
        }
        let basic = http
            .get(&tasks_url)
            .header("authorization", format!("Basic {}", ana.token));
        assert_eq!(answer(basic).await.1["code"], "invalid_token");

        // An expired token is told apart from a wrong one.
        let user: Uuid = "01900000-0000-7000-8000-000000000102".parse().unwrap();
        let expired = accounts::issue_token(
            &*server.storage,
            user,
            None,
            "old laptop",
            Utc::now(),
            Duration::seconds(-1),
        )
        .await
        .unwrap();
        let (status, body) = answer(http.get(&tasks_url).bearer_auth(&expired.token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["code"], "token_expired");
        // A token expired for over a month is purged at the next sign-in: then it is unknown.
        let ancient = accounts::issue_token(
            &*server.storage,
            user,
            None,
            "older laptop",
            Utc::now(),
            Duration::days(-31),
        )
        .await
        .unwrap();
        server.sign_in(BEN).await;
        let (_, body) = answer(http.get(&tasks_url).bearer_auth(&ancient.token)).await;
        assert_eq!(body["code"], "invalid_token");
        let (_, body) = answer(http.get(&tasks_url).bearer_auth(&expired.token)).await;
        assert_eq!(body["code"], "token_expired");

        // Another workspace's id looks like no workspace at all.
        let elsewhere = format!("{}/api/v1/workspaces/{}/tasks", server.base, Uuid::now_v7());
        let (status, _) = answer(http.get(&elsewhere).bearer_auth(&ana.token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Sign-out revokes the token.
        let (status, _) = answer(http.delete(&token_url).bearer_auth(&ana.token)).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = answer(http.get(&tasks_url).bearer_auth(&ana.token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    })
    .await;
}

/// A client whose requests come from `address` (any of 127.0.0.0/8 reaches the server).
fn client_from(address: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(address))
        .build()
        .unwrap()
}

#[tokio::test]
async fn failed_sign_ins_are_held_back_and_the_real_user_gets_in() {
    on_each_backend(|server| async move {
        let token_url = format!("{}/api/v1/auth/token", server.base);
        let guesser = client_from([127, 0, 0, 2]);
        let sign_in = |http: &reqwest::Client, password: &str| {
            let body = json!({ "email": ANA, "password": password, "device_name": "test" });
            http.post(&token_url).json(&body).send()
        };
        // Five wrong passwords are free, the sixth blocks this address on this account.
        for n in 0..6 {
            let answer = sign_in(&guesser, &format!("guess-{n}")).await.unwrap();
            assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "guess {n}");
        }
        let held = sign_in(&guesser, PASSWORD).await.unwrap();
        assert_eq!(held.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(held.headers()["retry-after"], "1");
        let body: Value = held.json().await.unwrap();
        assert_eq!(body["code"], "too_many_attempts");
        assert_eq!(body["details"]["retry_after_secs"], 1);

        // Ana, from her own address, is not held back.
        let ana = sign_in(&client_from([127, 0, 0, 3]), PASSWORD)
            .await
            .unwrap();
        assert_eq!(ana.status(), StatusCode::OK);

        // After the wait, the right password works from the guesser's address too, and the
        // count starts again: the next wrong one is a plain 401.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        assert_eq!(
            sign_in(&guesser, PASSWORD).await.unwrap().status(),
            StatusCode::OK
        );
        let wrong = sign_in(&guesser, "wrong").await.unwrap();
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

        // Many addresses guessing one account slow it down for everyone, for a second at first.
        for n in 0..20u8 {
            let answer = sign_in(&client_from([127, 0, 1, n]), "wrong")
                .await
                .unwrap();
            assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "address {n}");
        }
        let held = sign_in(&client_from([127, 0, 2, 1]), PASSWORD)
            .await
            .unwrap();
        assert_eq!(held.status(), StatusCode::TOO_MANY_REQUESTS);
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let ana = sign_in(&client_from([127, 0, 2, 1]), PASSWORD)
            .await
            .unwrap();
        assert_eq!(ana.status(), StatusCode::OK);
    })
    .await;
}

/// JSON has one number type: `1.0` is the integer 1 (JSON Schema agrees).
#[tokio::test]
async fn integers_written_with_a_fraction_of_zero_are_integers() {
    on_each_backend(|server| async move {
        let ana = server.sign_in(ANA).await;
        let mut mutation = start(1, &Uuid::now_v7(), SHARED_TASK, 0);
        mutation["seq"] = json!(1.0);
        let body = json!({ "protocol_version": 2.0, "stream_id": ana.stream, "mutations": [v2(&mutation)] });
        let (status, body) = server.push_raw(&ana, body).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(outcomes(&body), ["applied"]);
        assert_eq!(body["last_applied_seq"], 1);

        let mut mutation = start(2, &Uuid::now_v7(), SHARED_TASK, 0);
        mutation["seq"] = json!(2.5);
        let (status, body) = server.push(&ana, json!([mutation])).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["code"], "malformed_request");
    })
    .await;
}

#[tokio::test]
async fn demo_seeding_is_idempotent() {
    on_each_backend(|server| async move {
        let again = demo::seed(&*server.storage, &Passwords::new())
            .await
            .unwrap();
        assert_eq!(again.users.len(), 3);
        let ana = server.sign_in(ANA).await;
        assert_eq!(
            server.pull(&ana, None).await["tasks"]
                .as_array()
                .unwrap()
                .len(),
            7
        );
    })
    .await;
}

#[tokio::test]
async fn nul_and_control_characters_are_refused_before_the_database() {
    on_each_backend(|server| async move {
        let url = format!("{}/api/v1/auth/token", server.base);
        for (body, field) in [
            (json!({ "email": "ana\u{0}@demo.stint.test", "password": PASSWORD, "device_name": "x" }), "$.email"),
            (json!({ "email": ANA, "password": PASSWORD, "device_name": "lap\u{0}top" }), "$.device_name"),
            (json!({ "email": ANA, "password": PASSWORD, "device_name": "bell\u{7}" }), "$.device_name"),
        ] {
            let (status, answer) = answer(server.http.post(&url).json(&body)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
            assert_eq!(answer["code"], "invalid_text");
            assert_eq!(answer["details"]["field"], field);
        }
        // Nothing was stored: Ana still signs in, with a clean device name.
        server.sign_in(ANA).await;
    })
    .await;
}

/// serde would read a struct from an array of its fields; the schema says object, and so does
/// the server, at the top and inside.
#[tokio::test]
async fn objects_sent_as_arrays_are_refused() {
    on_each_backend(|server| async move {
        let url = format!("{}/api/v1/auth/token", server.base);
        let (status, body) = answer(server.http.post(&url).json(&json!([ANA, PASSWORD, "x"]))).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("malformed_request")), "{body}");
        let ana = server.sign_in(ANA).await;
        let mut mutation = v2(&start(1, &Uuid::now_v7(), SHARED_TASK, 0));
        let args = mutation["args"].clone();
        mutation["args"] = json!([args["timer_id"], args["task_id"], args["at"]]);
        let push = json!({ "protocol_version": PROTOCOL_VERSION, "stream_id": ana.stream, "mutations": [mutation] });
        let (status, body) = server.push_raw(&ana, push).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(server.pull(&ana, None).await["timer"].is_null());
    })
    .await;
}
