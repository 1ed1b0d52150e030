//! Live updates over server-sent events, on both backends: a device hears of another device's
//! push, of its timer being stopped elsewhere, and nothing of other users' timers; idle streams
//! get heartbeats; on PostgreSQL a push to one server instance reaches a device connected to
//! another.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};
use stint_api::sync::{Intent, PROTOCOL_VERSION};
use stint_server::service::demo;
use stint_server::{EdgeLimits, Passwords};
use uuid::Uuid;

mod common;

const SHARED_TASK: &str = "01900000-0000-7000-8000-000000000307";
/// Only reached when a test fails.
const PATIENCE: Duration = Duration::from_secs(10);

struct Device {
    base: String,
    token: String,
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

async fn serve_demo(storage: std::sync::Arc<dyn stint_storage::Storage>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let limits = EdgeLimits {
        sse_heartbeat: Duration::from_millis(300),
        ..EdgeLimits::default()
    };
    tokio::spawn(stint_server::serve_with(
        listener,
        storage,
        limits,
        std::future::pending(),
    ));
    base
}

#[tokio::test]
async fn devices_hear_of_changes_and_of_their_timer_stopped_elsewhere() {
    for backend in common::backends().await {
        let storage = backend.storage.clone();
        demo::seed(&*storage, &Passwords::new()).await.unwrap();
        let base = serve_demo(storage).await;
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
        // Ben hears that something changed, never about Ana's timer.
        assert_eq!(ben_events.next_event().await.0, "changed");
        laptop.start().await;
        assert_eq!(ben_events.next_event().await.0, "changed");
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
        let base = serve_demo(storage).await;
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
    }
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
        let first = serve_demo(backend.storage.clone()).await;
        let second = serve_demo(stint_server::connect(&url, 5).await.unwrap()).await;
        let mut pusher = Device::sign_in(&first, "ana@demo.stint.test").await;
        let listener = Device::sign_in(&second, "ana@demo.stint.test").await;
        let mut events = listener.listen(&second).await;
        // The second instance's LISTEN is set up as it starts; give it a moment.
        tokio::time::sleep(Duration::from_millis(300)).await;
        pusher.start().await;
        assert_eq!(events.next_event().await.0, "changed");
    }
}
