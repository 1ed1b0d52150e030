//! Live updates over server-sent events, on both backends: a device hears of another device's
//! push, of its timer being stopped elsewhere (another device, an admin, the runaway watchdog)
//! or paused by an admin, and nothing of other users' timers; idle streams get heartbeats; on
//! PostgreSQL a push to one server instance reaches a device connected to another.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};
use stint_api::sync::{Intent, PROTOCOL_VERSION};
use stint_server::edge::{self, EdgeLimits};
use stint_server::events::{Event, EventKind, Events};
use stint_server::service::{control, demo};
use stint_server::Passwords;
use stint_storage::Storage;
use uuid::Uuid;

mod common;

const SHARED_TASK: &str = "01900000-0000-7000-8000-000000000307";
/// Only reached when a test fails.
const PATIENCE: Duration = Duration::from_secs(10);

struct Device {
    base: String,
    token: String,
    user_id: Uuid,
    device_id: Uuid,
    workspace: String,
    stream: Uuid,
    seq: i64,
}

impl Device {
    async fn sign_in(base: &str, email: &str) -> Device {
        let body: Value = reqwest::Client::new()
            .post(format!("{base}/api/v1/auth/token"))
            .json(&json!({ "email": email, "password": "stint-demo", "device_name": "t" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Device {
            base: base.to_string(),
            token: body["token"].as_str().unwrap().into(),
            user_id: body["user"]["id"].as_str().unwrap().parse().unwrap(),
            device_id: body["device_id"].as_str().unwrap().parse().unwrap(),
            workspace: body["workspaces"][0]["id"].as_str().unwrap().into(),
            stream: Uuid::now_v7(),
            seq: 0,
        }
    }

    /// Pushes a start of a new timer now; its id.
    async fn start(&mut self) -> Uuid {
        let timer = Uuid::now_v7();
        let at = chrono::Utc::now();
        let intent = Intent::StartTimer {
            timer_id: timer,
            task_id: SHARED_TASK.parse().unwrap(),
            at,
        };
        self.seq += 1;
        let mutation = stint_api::sync::Mutation::new(self.seq, intent, at);
        let answer: Value = reqwest::Client::new()
            .post(format!(
                "{}/api/v1/workspaces/{}/sync/push",
                self.base, self.workspace
            ))
            .bearer_auth(&self.token)
            .json(&json!({ "protocol_version": PROTOCOL_VERSION, "stream_id": self.stream, "mutations": [mutation] }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["results"][0]["outcome"], "applied", "{answer}");
        timer
    }

    async fn listen(&self, base: &str) -> Listener {
        let response = reqwest::Client::new()
            .get(format!(
                "{base}/api/v1/workspaces/{}/events",
                self.workspace
            ))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"],
            "text/event-stream",
            "an event stream"
        );
        let mut listener = Listener {
            body: Box::pin(
                response
                    .bytes_stream()
                    .map(|chunk| chunk.map(|b| b.to_vec())),
            ),
            buffer: String::new(),
        };
        assert_eq!(listener.next().await.0, "ready");
        listener
    }
}

struct Listener {
    body: std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<Vec<u8>>> + Send>>,
    buffer: String,
}

impl Listener {
    /// The next event (name, data), or ("", "") for a heartbeat comment.
    async fn next(&mut self) -> (String, String) {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(name))
                        .unwrap_or_default()
                        .trim()
                        .to_string()
                };
                return (field("event:"), field("data:"));
            }
            let chunk = tokio::time::timeout(PATIENCE, self.body.next())
                .await
                .expect("an event in time")
                .expect("the stream stays open")
                .unwrap();
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The next event that is not a heartbeat.
    async fn next_event(&mut self) -> (String, String) {
        loop {
            let event = self.next().await;
            if !event.0.is_empty() {
                return event;
            }
        }
    }
}

/// Serves the API with a short heartbeat: its base URL and its event hub, listening already.
async fn serve_demo(storage: Arc<dyn Storage>) -> (String, Events) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let limits = EdgeLimits {
        sse_heartbeat: Duration::from_millis(300),
        ..EdgeLimits::default()
    };
    let (app, events) = stint_server::app(storage, &limits);
    tokio::time::timeout(PATIENCE, events.ready())
        .await
        .expect("the hub listens");
    tokio::spawn(edge::serve(listener, app, limits, std::future::pending()));
    (base, events)
}

#[tokio::test]
async fn devices_hear_of_changes_and_of_their_timer_stopped_elsewhere() {
    for backend in common::backends().await {
        let storage = backend.storage.clone();
        demo::seed(&*storage, &Passwords::new()).await.unwrap();
        let (base, _events) = serve_demo(storage).await;
        let mut laptop = Device::sign_in(&base, "ana@demo.stint.test").await;
        let mut phone = Device::sign_in(&base, "ana@demo.stint.test").await;
        let ben = Device::sign_in(&base, "ben@demo.stint.test").await;
        let mut laptop_events = laptop.listen(&base).await;
        let mut ben_events = ben.listen(&base).await;

        // An idle stream gets heartbeats.
        assert_eq!(
            laptop_events.next().await.0,
            "",
            "{}",
            storage_name(&backend)
        );

        let first = laptop.start().await;
        assert_eq!(laptop_events.next_event().await.0, "changed");
        assert_eq!(
            ben_events.next_event().await.0,
            "changed",
            "tasks changed for all"
        );

        // The phone's start stops the laptop's timer (T1): the laptop is told which, and why.
        phone.start().await;
        let mut heard = Vec::new();
        while heard.len() < 2 {
            heard.push(laptop_events.next_event().await);
        }
        let stopped = heard
            .iter()
            .find(|(name, _)| name == "timer_stopped")
            .expect("timer_stopped");
        let data: Value = serde_json::from_str(&stopped.1).unwrap();
        assert_eq!(data["timer_id"], first.to_string());
        assert!(!data["by"].as_str().unwrap().is_empty());
        assert_eq!(
            data["device_id"],
            phone.device_id.to_string(),
            "the phone stopped it"
        );
        // Ben hears that something changed, never about Ana's timer.
        assert_eq!(ben_events.next_event().await.0, "changed");
        laptop.start().await;
        assert_eq!(ben_events.next_event().await.0, "changed");
    }
}

/// T6 and T8: the owner's devices hear at once, by whom, when an admin pauses or stops their
/// timer or the runaway watchdog stops it; the watchdog stops a timer once even when two server
/// instances sweep at the same moment, at the threshold, flagged for review.
#[tokio::test]
async fn owners_hear_of_admins_and_the_watchdog_changing_their_timer() {
    for backend in common::backends().await {
        let storage = backend.storage.clone();
        demo::seed(&*storage, &Passwords::new()).await.unwrap();
        let (base, events) = serve_demo(storage.clone()).await;
        let mut ana = Device::sign_in(&base, "ana@demo.stint.test").await;
        let admin = Device::sign_in(&base, "admin@demo.stint.test").await;
        let mut heard = ana.listen(&base).await;
        let http = reqwest::Client::new();
        let workspace_url = format!("{base}/api/v1/workspaces/{}", admin.workspace);
        let control = |timer: Uuid, action: &str| {
            http.post(format!("{workspace_url}/timers/{timer}/{action}"))
                .bearer_auth(&admin.token)
                .send()
        };
        let mut next_about_the_timer = async || loop {
            let (name, data) = heard.next_event().await;
            if name != "changed" {
                let data: Value = serde_json::from_str(&data).unwrap();
                return (name, data);
            }
        };

        let timer = ana.start().await;
        assert_eq!(control(timer, "pause").await.unwrap().status(), 204);
        let (name, data) = next_about_the_timer().await;
        assert_eq!(
            (name.as_str(), &data["by"]),
            ("timer_paused", &json!("by Ada Admin"))
        );
        assert_eq!(control(timer, "stop").await.unwrap().status(), 200);
        let (name, data) = next_about_the_timer().await;
        assert_eq!(
            (name.as_str(), &data["by"]),
            ("timer_stopped", &json!("by Ada Admin"))
        );
        assert_eq!(
            data["device_id"],
            Uuid::nil().to_string(),
            "no device stopped it"
        );

        // The watchdog: nothing while auto-stop is off; then one stop, whoever sweeps.
        let timer = ana.start().await;
        let later = chrono::Utc::now() + chrono::Duration::hours(13);
        let swept = control::stop_runaways(&*storage, &events, later)
            .await
            .unwrap();
        assert_eq!(swept, 0, "auto-stop is off by default");
        let status = http
            .patch(format!("{workspace_url}/time/settings"))
            .bearer_auth(&admin.token)
            .json(&json!({ "runaway_auto_stop": true, "runaway_timer_hours": 12 }))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
        let other_instance = match &backend.postgres_url {
            Some(url) => stint_server::connect(url, 5).await.unwrap(),
            None => storage.clone(),
        };
        let (first, second) = tokio::join!(
            control::stop_runaways(&*storage, &events, later),
            control::stop_runaways(&*other_instance, &events, later),
        );
        assert_eq!(first.unwrap() + second.unwrap(), 1, "stopped once");
        let (name, data) = next_about_the_timer().await;
        assert_eq!(
            (name.as_str(), &data["timer_id"]),
            ("timer_stopped", &json!(timer))
        );
        assert!(
            data["by"].as_str().unwrap().contains("12-hour limit"),
            "{data}"
        );

        let entries: Value = http
            .get(format!("{workspace_url}/entries"))
            .bearer_auth(&admin.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let entry = entries["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|entry| entry["timer_id"] == json!(timer))
            .expect("the runaway's entry");
        assert_eq!(
            (&entry["flag"], &entry["status"]),
            (&json!("runaway"), &json!("draft"))
        );
        let span = chrono::DateTime::parse_from_rfc3339(entry["ended_at"].as_str().unwrap())
            .unwrap()
            - chrono::DateTime::parse_from_rfc3339(entry["started_at"].as_str().unwrap()).unwrap();
        assert_eq!(span.num_seconds(), 12 * 3600, "stopped at the threshold");
    }
}

fn storage_name(backend: &common::Backend) -> &'static str {
    backend.storage.backend()
}

#[tokio::test]
async fn events_need_a_token_and_a_membership() {
    for backend in common::backends().await {
        let storage = backend.storage.clone();
        demo::seed(&*storage, &Passwords::new()).await.unwrap();
        let (base, _events) = serve_demo(storage).await;
        let url = format!("{base}/api/v1/workspaces/{}/events", Uuid::now_v7());
        let response = reqwest::get(&url).await.unwrap();
        assert_eq!(response.status(), 401);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "missing_token");
        let ana = Device::sign_in(&base, "ana@demo.stint.test").await;
        let response = reqwest::Client::new()
            .get(&url)
            .bearer_auth(&ana.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "another workspace's events");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "not_found");
        let response = reqwest::Client::new()
            .get(format!("{base}/api/v1/workspaces/{}/events", ana.workspace))
            .bearer_auth("not-a-token")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "invalid_token");
    }
}

/// A member of another workspace hears nothing of this one's changes, and a user nothing of
/// another user's timer.
#[tokio::test]
async fn a_stream_carries_only_what_its_user_may_see() {
    for backend in common::backends().await {
        let storage = backend.storage.clone();
        demo::seed(&*storage, &Passwords::new()).await.unwrap();
        let elsewhere =
            common::other_workspace_with_member(&*storage, "olga@other.stint.test").await;
        let (base, hub) = serve_demo(storage).await;
        let mut ana = Device::sign_in(&base, "ana@demo.stint.test").await;
        let ben = Device::sign_in(&base, "ben@demo.stint.test").await;
        let olga = Device::sign_in(&base, "olga@other.stint.test").await;
        assert_eq!(olga.workspace, elsewhere.to_string());
        let mut ana_events = ana.listen(&base).await;
        let mut ben_events = ben.listen(&base).await;
        let mut olga_events = olga.listen(&base).await;

        // Ana's push, and a stop of her timer meant for her alone, through the hub.
        ana.start().await;
        assert_eq!(ana_events.next_event().await.0, "changed");
        let ana_only = Event {
            workspace_id: ana.workspace.parse().unwrap(),
            user_id: Some(ana.user_id),
            kind: EventKind::TimerStopped {
                timer_id: Uuid::now_v7(),
                by: "a test".into(),
                device_id: Uuid::now_v7(),
            },
        };
        hub.publish(ana_only).await;
        assert_eq!(ana_events.next_event().await.0, "timer_stopped");

        // Then one marker each for Olga and Ben: the first thing either hears after the
        // events above is their own marker, so those never reached them.
        for (listener, user, workspace) in [
            (&mut olga_events, &olga, elsewhere),
            (&mut ben_events, &ben, ana.workspace.parse().unwrap()),
        ] {
            let marker = Uuid::now_v7();
            hub.publish(Event {
                workspace_id: workspace,
                user_id: Some(user.user_id),
                kind: EventKind::TimerStopped {
                    timer_id: marker,
                    by: "the marker".into(),
                    device_id: Uuid::now_v7(),
                },
            })
            .await;
            let (name, data) = listener.next_event().await;
            if user.workspace == ana.workspace {
                // Ben shares Ana's workspace: he hears that it changed, then his marker.
                assert_eq!(name, "changed", "{}", storage_name(&backend));
                let (name, data) = listener.next_event().await;
                assert_eq!((name.as_str(), marker_of(&data)), ("timer_stopped", marker));
            } else {
                assert_eq!(
                    (name.as_str(), marker_of(&data)),
                    ("timer_stopped", marker),
                    "{}: Olga heard another workspace",
                    storage_name(&backend)
                );
            }
        }
    }
}

fn marker_of(data: &str) -> Uuid {
    let data: Value = serde_json::from_str(data).unwrap();
    data["timer_id"].as_str().unwrap().parse().unwrap()
}

/// Two server instances on one PostgreSQL database: a push to one reaches a device listening
/// on the other (LISTEN/NOTIFY).
#[tokio::test]
async fn on_postgres_events_reach_devices_on_every_instance() {
    for backend in common::backends().await {
        let Some(url) = backend.postgres_url.clone() else {
            continue;
        };
        demo::seed(&*backend.storage, &Passwords::new())
            .await
            .unwrap();
        let (first, _) = serve_demo(backend.storage.clone()).await;
        let (second, _) = serve_demo(stint_server::connect(&url, 5).await.unwrap()).await;
        let mut pusher = Device::sign_in(&first, "ana@demo.stint.test").await;
        let listener = Device::sign_in(&second, "ana@demo.stint.test").await;
        let mut events = listener.listen(&second).await;
        pusher.start().await;
        assert_eq!(events.next_event().await.0, "changed");
    }
}

/// On PostgreSQL, when an instance's listening connection is lost, its devices are told
/// `changed` (they may have missed something) and events reach them again once it is back.
#[tokio::test]
async fn on_postgres_a_lost_listening_connection_is_made_again() {
    for backend in common::backends().await {
        let Some(url) = backend.postgres_url.clone() else {
            continue;
        };
        demo::seed(&*backend.storage, &Passwords::new())
            .await
            .unwrap();
        let (first, _) = serve_demo(backend.storage.clone()).await;
        let (second, _) = serve_demo(stint_server::connect(&url, 5).await.unwrap()).await;
        let mut pusher = Device::sign_in(&first, "ana@demo.stint.test").await;
        let listener = Device::sign_in(&second, "ana@demo.stint.test").await;
        let mut events = listener.listen(&second).await;

        // Cut every instance's listening connection, as a failover or a restart would.
        let admin = sqlx::PgPool::connect(&url).await.unwrap();
        let cut: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        )
        .fetch_all(&admin)
        .await
        .unwrap();
        assert_eq!(cut, [true, true], "both instances were listening");
        assert_eq!(
            events.next_event().await.0,
            "changed",
            "told it may have missed some"
        );

        pusher.start().await;
        assert_eq!(events.next_event().await.0, "changed", "heard again");
        admin.close().await;
    }
}
