//! How fast live updates are: from one device's change reaching the server to another device
//! of the same user hearing of it on its event stream (server-sent events). The live-updates
//! test prints it; the sync bench can call `sse_latency` against any running server.

use std::time::{Duration, Instant};

use anyhow::{ensure, Context};
use eventsource_stream::Eventsource;
use futures_util::{Stream, StreamExt};

use crate::{open_desk, DEMO_PASSWORD};

/// A round that takes longer than this fails the measurement: the event was lost.
const ROUND_LIMIT: Duration = Duration::from_secs(10);

/// One sample per round.
pub struct SseLatency {
    pub samples: Vec<Duration>,
}

impl SseLatency {
    pub fn p50(&self) -> Duration {
        self.percentile(0.50)
    }

    pub fn p95(&self) -> Duration {
        self.percentile(0.95)
    }

    /// Nearest rank: the smallest sample at or above `p` of them; zero without samples.
    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.samples.clone();
        sorted.sort();
        let rank = (p * sorted.len() as f64).ceil() as usize;
        sorted
            .get(rank.saturating_sub(1))
            .copied()
            .unwrap_or_default()
    }
}

/// `rounds` times, a desk of `email` (the demo password) on the server at `server_url` starts
/// work or stops, alternately, and syncs; each sample runs from the start of that sync (its
/// push carries the change) to `changed` arriving on the event stream of a second device of the
/// same user. The user needs a task; the desk's data lives in a temporary folder.
pub async fn sse_latency(
    server_url: &str,
    email: &str,
    rounds: usize,
) -> anyhow::Result<SseLatency> {
    let dir = tempfile::tempdir()?;
    let desk = open_desk(dir.path(), "latency-pusher");
    desk.sign_in(server_url, email, DEMO_PASSWORD).await?;
    let task = desk.tasks()?.first().context("the user has no task")?.id;
    let mut events = listen(server_url, email).await?;

    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        if desk.current_timer()?.is_some() {
            desk.stop()?;
        } else {
            desk.start_work(task)?;
        }
        let started = Instant::now();
        let heard = async {
            loop {
                let event = events.next().await.context("the event stream ended")??;
                if event.event == "changed" {
                    return anyhow::Ok(started.elapsed());
                }
            }
        };
        let (synced, heard) =
            tokio::time::timeout(ROUND_LIMIT, async { tokio::join!(desk.sync_now(), heard) })
                .await
                .context("no `changed` within 10 s of a push")?;
        synced?;
        samples.push(heard?);
    }
    Ok(SseLatency { samples })
}

type Events = std::pin::Pin<Box<dyn Stream<Item = anyhow::Result<eventsource_stream::Event>>>>;

/// A second device of `email`, signed in over REST, with its event stream open.
async fn listen(server_url: &str, email: &str) -> anyhow::Result<Events> {
    let http = reqwest::Client::new();
    let signed_in: serde_json::Value = http
        .post(format!("{server_url}/api/v1/auth/token"))
        .json(&serde_json::json!({
            "email": email, "password": DEMO_PASSWORD, "device_name": "latency-listener"
        }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = signed_in["token"].as_str().context("no token")?;
    let workspace = signed_in["workspaces"][0]["id"]
        .as_str()
        .context("no workspace")?;
    let response = http
        .get(format!("{server_url}/api/v1/workspaces/{workspace}/events"))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?;
    let mut events: Events = Box::pin(
        response
            .bytes_stream()
            .eventsource()
            .map(|event| event.map_err(anyhow::Error::from)),
    );
    let first = events.next().await.context("the event stream ended")??;
    ensure!(first.event == "ready", "the stream began with {first:?}");
    Ok(events)
}
