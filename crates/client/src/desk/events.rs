//! Live updates: while signed in, the desk holds the server's event stream open and syncs on
//! every event, so a change made elsewhere shows within a moment instead of at the next
//! minute's poll (which stays, for when the stream cannot be held). "Your timer was stopped"
//! also leaves a notice for the window.

use std::sync::Arc;
use std::time::Duration;

use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use uuid::Uuid;

use super::Desk;
use crate::error::DeskError;
use crate::store::keys;

/// Longest pause between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

impl Desk {
    /// Listens to the server's events for the signed-in workspace, reconnecting with growing,
    /// jittered pauses. Runs until the process ends.
    pub async fn run_events_loop(self: Arc<Self>) {
        let mut failures: u32 = 0;
        loop {
            let signed_in = self.signed_in().ok().flatten();
            let Some((session, token)) = signed_in else {
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            };
            match self
                .listen(&session.server_url, session.workspace.id, &token)
                .await
            {
                // The server ended the stream (it is restarting): reconnect soon.
                Ok(()) => failures = 0,
                Err(error) => {
                    failures = failures.saturating_add(1);
                    tracing::debug!(%error, failures, "the event stream is unavailable");
                }
            }
            let base = Duration::from_secs(1 << failures.min(6)).min(MAX_BACKOFF);
            tokio::time::sleep(base + jitter(base / 2)).await;
        }
    }

    async fn listen(
        &self,
        server_url: &str,
        workspace: Uuid,
        token: &str,
    ) -> Result<(), DeskError> {
        let url = format!(
            "{}/api/v1/workspaces/{workspace}/events",
            server_url.trim_end_matches('/')
        );
        let response = self
            .events_http
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| DeskError::Offline(e.to_string()))?;
        if !response.status().is_success() {
            return Err(DeskError::Offline(format!(
                "the event stream answered {}",
                response.status()
            )));
        }
        let mut events = response.bytes_stream().eventsource();
        while let Some(event) = events.next().await {
            // A read that times out (no heartbeat for a minute) ends the stream with an error.
            let event = event.map_err(|e| DeskError::Offline(e.to_string()))?;
            match event.event.as_str() {
                // Connected: pull what changed while away.
                "ready" | "changed" => self.sync_wanted.notify_one(),
                "timer_stopped" => {
                    let by = serde_json::from_str::<serde_json::Value>(&event.data)
                        .ok()
                        .and_then(|data| data["by"].as_str().map(str::to_string))
                        .unwrap_or_else(|| "something else".into());
                    self.store.set_setting(
                        keys::TIMER_NOTICE,
                        &format!("Your timer was stopped: {by}."),
                    )?;
                    self.sync_wanted.notify_one();
                    self.changed();
                }
                _ => {}
            }
        }
        Ok(())
    }
}

fn jitter(max: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_nanos()))
        .unwrap_or(0);
    Duration::from_millis(nanos % (max.as_millis() as u64).max(1))
}
