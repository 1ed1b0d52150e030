//! Live updates: while signed in, the desk holds the server's event stream open and syncs on
//! every event, so a change made elsewhere shows within a moment instead of at the next
//! minute's poll (which stays, for when the stream cannot be held). "Your timer was stopped"
//! also leaves a notice for the window. Signing out closes the stream; signing in (again, or
//! as someone else) opens one for the new session.

use std::sync::Arc;
use std::time::Duration;

use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use serde::Deserialize;
use tokio::sync::watch;
use uuid::Uuid;

use super::Desk;
use crate::error::DeskError;
use crate::store::keys;

/// Longest pause between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The session a stream was opened for: when it is no longer the desk's, the stream ends.
#[derive(Debug, Clone, PartialEq)]
struct StreamSession {
    server_url: String,
    workspace_id: Uuid,
    token: String,
}

/// The data of a `timer_stopped` or `timer_paused` event (its `timer_id` is not needed: the
/// sync it starts brings the timer's new state).
#[derive(Deserialize)]
struct TimerChanged {
    by: String,
    /// The device whose change stopped the timer; nil or none when no device did (an admin,
    /// the runaway watchdog).
    device_id: Option<Uuid>,
}

impl Desk {
    /// Listens to the server's events while signed in, reconnecting with growing, jittered
    /// pauses (1 s doubling to a minute). Runs until the process ends.
    pub async fn run_events_loop(self: Arc<Self>) {
        // Every sign-in and sign-out is a change: each is a reason to look at the session again.
        let mut changes = self.subscribe();
        let mut failures: u32 = 0;
        loop {
            let Some(session) = self.stream_session() else {
                if changes.changed().await.is_err() {
                    return; // the desk is gone
                }
                continue;
            };
            let ended = tokio::select! {
                ended = self.listen(&session, &mut failures) => ended,
                () = self.until_session_differs(&session, &mut changes) => {
                    failures = 0;
                    continue;
                }
            };
            if let Err(error) = ended {
                failures = failures.saturating_add(1);
                tracing::debug!(%error, failures, "the event stream is unavailable");
            }
            // Ended cleanly (the server is restarting) or failed: try again after a pause, or
            // at once for a new session.
            let base = Duration::from_secs(1 << failures.min(6)).min(MAX_BACKOFF);
            tokio::select! {
                () = tokio::time::sleep(base + jitter(base / 2)) => {}
                () = self.until_session_differs(&session, &mut changes) => failures = 0,
            }
        }
    }

    fn stream_session(&self) -> Option<StreamSession> {
        let (session, token) = self.signed_in().ok().flatten()?;
        Some(StreamSession {
            server_url: session.server_url,
            workspace_id: session.workspace.id,
            token,
        })
    }

    /// Returns once the desk is signed out, or signed in to something else than `session`.
    async fn until_session_differs(
        &self,
        session: &StreamSession,
        changes: &mut watch::Receiver<u64>,
    ) {
        loop {
            if changes.changed().await.is_err() {
                return std::future::pending().await; // the desk is gone; so is this loop soon
            }
            if self.stream_session().as_ref() != Some(session) {
                return;
            }
        }
    }

    /// Holds one stream open until it ends. `failures` is reset once the server takes it.
    async fn listen(&self, session: &StreamSession, failures: &mut u32) -> Result<(), DeskError> {
        let url = format!(
            "{}/api/v1/workspaces/{}/events",
            session.server_url.trim_end_matches('/'),
            session.workspace_id
        );
        let response = self
            .events_http
            .get(url)
            .bearer_auth(&session.token)
            .send()
            .await
            .map_err(|e| DeskError::Offline(e.to_string()))?;
        if !response.status().is_success() {
            return Err(DeskError::Offline(format!(
                "the event stream answered {}",
                response.status()
            )));
        }
        *failures = 0;
        let mut events = response.bytes_stream().eventsource();
        while let Some(event) = events.next().await {
            // A read that times out (no heartbeat for a minute) ends the stream with an error.
            let event = event.map_err(|e| DeskError::Offline(e.to_string()))?;
            tracing::debug!(event = %event.event, "the server's event");
            match event.event.as_str() {
                // Connected: pull what changed while away.
                "ready" | "changed" => self.server_spoke.notify_one(),
                "timer_stopped" => {
                    self.timer_changed("stopped", &event.data)?;
                    self.server_spoke.notify_one();
                }
                "timer_paused" => {
                    self.timer_changed("paused", &event.data)?;
                    self.server_spoke.notify_one();
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// What the user should hear about their timer now ("Your timer was stopped: by …"), until
    /// they act on it. The shell shows each new one as a desktop notification (D2).
    pub fn timer_notice(&self) -> Result<Option<String>, DeskError> {
        Ok(self.store.setting(keys::TIMER_NOTICE)?)
    }

    /// Leaves "Your timer was stopped: …" (or paused) for the window, unless this device did it
    /// (its user started work here, on a timer this device did not know was running).
    fn timer_changed(&self, what: &str, data: &str) -> Result<(), DeskError> {
        let changed = serde_json::from_str::<TimerChanged>(data).ok();
        let by_this_device = changed
            .as_ref()
            .and_then(|changed| changed.device_id)
            .is_some_and(|device| self.store.device_id().ok() == Some(device));
        if by_this_device {
            return Ok(());
        }
        let by = changed.map_or_else(|| "something else".to_string(), |changed| changed.by);
        self.store
            .set_setting(keys::TIMER_NOTICE, &crate::store::timer_notice(what, &by))?;
        self.changed();
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
