//! Stint's side of the sync bench: a real `stint-server` and the real desktop core (`Desk`).

use std::path::Path;
use std::time::{Duration, Instant};

use stint_api::sync::{Intent, Mutation, PushRequest, PROTOCOL_VERSION};
use stint_client::Desk;
use stint_tests::{open_desk, ServerProcess, DEMO_PASSWORD};
use uuid::Uuid;

const ANA: &str = "ana@demo.stint.test";
const BEN: &str = "ben@demo.stint.test";

async fn signed_in(dir: &Path, email: &str, url: &str) -> anyhow::Result<Desk> {
    let desk = open_desk(dir, "bench");
    desk.sign_in(url, email, DEMO_PASSWORD).await?;
    Ok(desk)
}

/// (a) `entries` entries made without syncing (a start and a stop each), then the time one
/// `sync_now` takes to push them all through the desk's own batching.
pub async fn push_backlog(url: &str, entries: usize) -> anyhow::Result<Duration> {
    let dir = tempfile::tempdir()?;
    let desk = signed_in(dir.path(), BEN, url).await?;
    let task = desk.tasks()?[0].id;
    for _ in 0..entries {
        desk.start_work(task)?;
        desk.stop()?;
    }
    let started = Instant::now();
    let status = desk.sync_now().await?;
    let took = started.elapsed();
    anyhow::ensure!(
        status.pending == 0 && status.issues == 0,
        "the backlog did not sync cleanly: {status:?}"
    );
    Ok(took)
}

/// (b) A fresh device's first sync of Ana's `expected` entries, and the server's peak resident
/// memory meanwhile (sampled every 5 ms). Timed from the start of signing in to its end: signing
/// in verifies the password (tens of milliseconds, which TimeTagger's download does not pay) and
/// then pulls everything into the empty store.
pub async fn initial_pull(
    server: &ServerProcess,
    expected: usize,
) -> anyhow::Result<(Duration, u64)> {
    let dir = tempfile::tempdir()?;
    let desk = open_desk(dir.path(), "bench");
    let sampler = RssSampler::start(server.pid());
    let started = Instant::now();
    desk.sign_in(&server.url, ANA, DEMO_PASSWORD).await?;
    let took = started.elapsed();
    let peak = sampler.stop();
    let far = chrono::Utc::now() - chrono::Duration::days(3650);
    let held = desk
        .store()
        .entries_between(far, chrono::Utc::now() + chrono::Duration::days(1))?;
    anyhow::ensure!(
        held.len() == expected && held.iter().all(|(_, synced)| *synced),
        "the device holds {} of {expected} entries",
        held.len()
    );
    Ok((took, peak))
}

/// (c) One small push over HTTP, `count` times: a start or a stop, one mutation each, on the
/// raw push endpoint (what TimeTagger's one-record PUT is compared with).
pub async fn small_pushes(url: &str, count: usize) -> anyhow::Result<Vec<Duration>> {
    let http = reqwest::Client::new();
    let signed_in: serde_json::Value = http
        .post(format!("{url}/api/v1/auth/token"))
        .json(
            &serde_json::json!({ "email": BEN, "password": DEMO_PASSWORD, "device_name": "bench" }),
        )
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = signed_in["token"].as_str().unwrap_or_default().to_string();
    let workspace = signed_in["workspaces"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let task: Uuid = "01900000-0000-7000-8000-000000000307".parse()?;
    let stream = Uuid::now_v7();
    let push_url = format!("{url}/api/v1/workspaces/{workspace}/sync/push");
    let mut timer = Uuid::now_v7();
    let mut took = Vec::with_capacity(count);
    for seq in 1..=count as i64 {
        let at = chrono::Utc::now();
        let intent = if seq % 2 == 1 {
            timer = Uuid::now_v7();
            Intent::StartTimer {
                timer_id: timer,
                task_id: task,
                at,
            }
        } else {
            Intent::StopTimer {
                timer_id: timer,
                entry_id: Uuid::now_v7(),
                at,
                switch: false,
                idle: false,
            }
        };
        let request = PushRequest {
            protocol_version: PROTOCOL_VERSION,
            stream_id: stream,
            mutations: vec![Mutation::new(seq, intent, at)],
        };
        let started = Instant::now();
        http.post(&push_url)
            .bearer_auth(&token)
            .json(&request)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        took.push(started.elapsed());
    }
    Ok(took)
}

/// Server change → device: `count` times, one device pushes a start and the time until a
/// second device's open event stream delivers `changed` (from sending the push).
pub async fn sse_latency(url: &str, count: usize) -> anyhow::Result<Vec<Duration>> {
    use eventsource_stream::Eventsource;
    use futures_util::StreamExt;
    let http = reqwest::Client::new();
    let sign_in = |name: &'static str| {
        let http = http.clone();
        async move {
            let answer: serde_json::Value = http
                .post(format!("{url}/api/v1/auth/token"))
                .json(&serde_json::json!({ "email": BEN, "password": DEMO_PASSWORD, "device_name": name }))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            let token = answer["token"].as_str().unwrap_or_default().to_string();
            let workspace = answer["workspaces"][0]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            anyhow::Ok((token, workspace))
        }
    };
    let (listener_token, workspace) = sign_in("listener").await?;
    let (pusher_token, _) = sign_in("pusher").await?;
    let mut events = http
        .get(format!("{url}/api/v1/workspaces/{workspace}/events"))
        .bearer_auth(&listener_token)
        .send()
        .await?
        .error_for_status()?
        .bytes_stream()
        .eventsource();
    let ready = events.next().await.context_none("the stream closed")??;
    anyhow::ensure!(
        ready.event == "ready",
        "the stream did not start with ready"
    );
    let task: Uuid = "01900000-0000-7000-8000-000000000307".parse()?;
    let stream = Uuid::now_v7();
    let push_url = format!("{url}/api/v1/workspaces/{workspace}/sync/push");
    let mut took = Vec::with_capacity(count);
    for seq in 1..=count as i64 {
        let at = chrono::Utc::now();
        let intent = Intent::StartTimer {
            timer_id: Uuid::now_v7(),
            task_id: task,
            at,
        };
        let request = PushRequest {
            protocol_version: PROTOCOL_VERSION,
            stream_id: stream,
            mutations: vec![Mutation::new(seq, intent, at)],
        };
        let started = Instant::now();
        let push = http
            .post(&push_url)
            .bearer_auth(&pusher_token)
            .json(&request)
            .send();
        let push = tokio::spawn(push);
        loop {
            let event = events.next().await.context_none("the stream closed")??;
            if event.event == "changed" {
                break;
            }
        }
        took.push(started.elapsed());
        push.await??.error_for_status()?;
    }
    Ok(took)
}

trait ContextNone<T> {
    fn context_none(self, what: &'static str) -> anyhow::Result<T>;
}

impl<T> ContextNone<T> for Option<T> {
    fn context_none(self, what: &'static str) -> anyhow::Result<T> {
        self.ok_or_else(|| anyhow::anyhow!(what))
    }
}

/// Samples a process's resident memory on a thread until stopped; the peak, in bytes.
struct RssSampler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<u64>,
}

impl RssSampler {
    fn start(pid: u32) -> RssSampler {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut peak = 0;
            while !flag.load(std::sync::atomic::Ordering::SeqCst) {
                peak = peak.max(rss_bytes(pid).unwrap_or(0));
                std::thread::sleep(Duration::from_millis(5));
            }
            peak
        });
        RssSampler { stop, thread }
    }

    fn stop(self) -> u64 {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        self.thread.join().unwrap_or(0)
    }
}

fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
