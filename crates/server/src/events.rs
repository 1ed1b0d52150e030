//! Live updates: what the server tells devices over server-sent events (`routes::events`) —
//! "something you may see changed" (the device pulls) and "your timer was stopped". Events
//! are published after the transaction that made them commits. On PostgreSQL every instance
//! hears every instance's events (`NOTIFY`/`LISTEN` through the storage), so a device connected
//! to one instance learns of a push to another; SQLite has one instance and delivers locally.
//! Devices also poll, so an event lost (a dropped listener connection) only delays a pull.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use stint_storage::Storage;
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub workspace_id: Uuid,
    /// Only this user's devices hear it; everyone in the workspace when none.
    pub user_id: Option<Uuid>,
    #[serde(flatten)]
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// A pull would bring something new.
    Changed,
    /// The user's running timer was stopped by something other than the device that has it.
    TimerStopped { timer_id: Uuid, by: String },
}

impl Event {
    pub fn is_for(&self, workspace_id: Uuid, user_id: Uuid) -> bool {
        self.workspace_id == workspace_id && self.user_id.is_none_or(|user| user == user_id)
    }
}

/// The hub every event stream subscribes to.
#[derive(Clone)]
pub struct Events {
    local: broadcast::Sender<Event>,
    closing: watch::Sender<bool>,
    storage: Arc<dyn Storage>,
    /// How often an idle stream gets a comment, so proxies keep it open and devices notice a
    /// dead connection.
    pub heartbeat: Duration,
}

impl Events {
    /// The hub, listening to the other instances when the storage has them.
    pub fn start(storage: Arc<dyn Storage>, heartbeat: Duration) -> Events {
        let (local, _) = broadcast::channel(1024);
        let events = Events {
            local,
            closing: watch::channel(false).0,
            storage,
            heartbeat,
        };
        let hub = events.clone();
        tokio::spawn(async move {
            match hub.storage.listen_instances().await {
                Ok(Some(mut others)) => {
                    while let Some(payload) = others.recv().await {
                        match serde_json::from_str::<Event>(&payload) {
                            Ok(event) => drop(hub.local.send(event)),
                            Err(error) => tracing::warn!(%error, "an event that is not ours"),
                        }
                    }
                }
                Ok(None) => {}
                Err(error) => tracing::error!(%error, "cannot hear other instances' events"),
            }
        });
        events
    }

    /// Tells the devices that may see it. Never fails the caller: an event is a hint.
    pub async fn publish(&self, event: Event) {
        let payload = match serde_json::to_string(&event) {
            Ok(payload) => payload,
            Err(error) => return tracing::error!(%error, "an event that does not serialize"),
        };
        match self.storage.notify_instances(&payload).await {
            Ok(true) => {}
            Ok(false) => drop(self.local.send(event)),
            Err(error) => {
                tracing::warn!(%error, "telling other instances failed; telling this one");
                drop(self.local.send(event));
            }
        }
    }

    pub fn subscribe(&self) -> (broadcast::Receiver<Event>, watch::Receiver<bool>) {
        (self.local.subscribe(), self.closing.subscribe())
    }

    /// Ends every stream (the server is shutting down and waits for open connections).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }
}
