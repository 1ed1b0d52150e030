//! Live updates: what the server tells devices over server-sent events (`routes::events`) —
//! "something you may see changed" (the device pulls) and "your timer was stopped". Events
//! are published after the transaction that made them commits. On PostgreSQL every instance
//! hears every instance's events (`NOTIFY`/`LISTEN` through the storage), so a device connected
//! to one instance learns of a push to another; SQLite has one instance and delivers locally.
//! Whenever events may have been lost (the listening connection dropped, a subscriber fell
//! behind) subscribers are told `changed`: a pull covers whatever they missed. Devices also
//! poll, so even a lost hint only delays a pull.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use stint_storage::{may, Capability, FromInstances, Storage, WorkspaceScope};
use tokio::sync::broadcast::error::RecvError;
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
    TimerStopped {
        timer_id: Uuid,
        /// What stopped it, in words for the user.
        by: String,
        /// The device whose change stopped it: that device knows already and says nothing.
        /// Nil when no device did (an admin, the runaway watchdog).
        device_id: Uuid,
    },
    /// The user's running timer was paused by an admin (T6).
    TimerPaused {
        timer_id: Uuid,
        /// Who paused it, in words for the user.
        by: String,
    },
}

impl Event {
    /// Everyone in the scope's workspace: a pull would bring them something. Publish it after
    /// the transaction that changed something commits.
    pub fn changed(scope: &WorkspaceScope) -> Event {
        Event {
            workspace_id: scope.workspace_id(),
            user_id: None,
            kind: EventKind::Changed,
        }
    }

    /// The scope's user: a change from the scope's device stopped their running timer
    /// `timer_id` (T1: a start on another device). Publish it after the transaction commits.
    pub fn timer_stopped(scope: &WorkspaceScope, timer_id: Uuid) -> Event {
        Event::timer_stopped_by(scope, timer_id, "Work started on another of your devices")
    }

    /// The scope's user: their timer `timer_id` was stopped by `by` (an admin, T6; the runaway
    /// watchdog, T8), from the scope's device (none). Publish it after the transaction commits.
    pub fn timer_stopped_by(scope: &WorkspaceScope, timer_id: Uuid, by: &str) -> Event {
        Event {
            workspace_id: scope.workspace_id(),
            user_id: Some(scope.user_id()),
            kind: EventKind::TimerStopped {
                timer_id,
                by: by.to_string(),
                device_id: scope.device_id(),
            },
        }
    }

    /// The scope's user: an admin (`by`) paused their timer `timer_id` (T6).
    pub fn timer_paused_by(scope: &WorkspaceScope, timer_id: Uuid, by: &str) -> Event {
        Event {
            workspace_id: scope.workspace_id(),
            user_id: Some(scope.user_id()),
            kind: EventKind::TimerPaused {
                timer_id,
                by: by.to_string(),
            },
        }
    }

    fn is_for(&self, workspace_id: Uuid, user_id: Uuid) -> bool {
        self.workspace_id == workspace_id && self.user_id.is_none_or(|user| user == user_id)
    }
}

/// What goes through an instance's broadcast to its subscribers.
#[derive(Debug, Clone)]
enum Local {
    Event(Event),
    /// Events may have been lost (the connection to the other instances was down).
    Missed,
}

/// The hub every event stream subscribes to.
#[derive(Clone)]
pub struct Events {
    local: broadcast::Sender<Local>,
    closing: watch::Sender<bool>,
    /// Whether this instance hears published events yet (at once on SQLite; on PostgreSQL once
    /// its `LISTEN` is in place).
    listening: watch::Sender<bool>,
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
            listening: watch::channel(false).0,
            storage,
            heartbeat,
        };
        let Some(mut instances) = events.storage.listen_instances() else {
            events.listening.send_replace(true);
            return events;
        };
        let hub = events.clone();
        tokio::spawn(async move {
            while let Some(message) = instances.recv().await {
                match message {
                    FromInstances::Payload(payload) => {
                        match serde_json::from_str::<Event>(&payload) {
                            Ok(event) => drop(hub.local.send(Local::Event(event))),
                            Err(error) => tracing::warn!(%error, "an event that is not ours"),
                        }
                    }
                    FromInstances::Listening => {
                        hub.listening.send_replace(true);
                        drop(hub.local.send(Local::Missed));
                    }
                }
            }
        });
        events
    }

    /// Waits until this instance hears the events it publishes (on PostgreSQL, until its
    /// `LISTEN` is in place). Streams opened before then are told `changed` once it is.
    pub async fn ready(&self) {
        // The sender lives in `self`, so the wait ends only by `listening` turning true.
        let _ = self
            .listening
            .subscribe()
            .wait_for(|listening| *listening)
            .await;
    }

    /// Tells the devices that may see it. Never fails the caller: an event is a hint.
    pub async fn publish(&self, event: Event) {
        let payload = match serde_json::to_string(&event) {
            Ok(payload) => payload,
            Err(error) => return tracing::error!(%error, "an event that does not serialize"),
        };
        match self.storage.notify_instances(&payload).await {
            Ok(true) => {}
            Ok(false) => drop(self.local.send(Local::Event(event))),
            Err(error) => {
                tracing::warn!(%error, "telling other instances failed; telling this one");
                drop(self.local.send(Local::Event(event)));
            }
        }
    }

    /// Publishes `events`, in order, without making the caller wait: on PostgreSQL each is one
    /// more round trip, which a device waiting for its push's answer need not wait for.
    pub fn publish_in_background(&self, events: Vec<Event>) {
        if events.is_empty() {
            return;
        }
        let hub = self.clone();
        tokio::spawn(async move {
            for event in events {
                hub.publish(event).await;
            }
        });
    }

    /// What the scope's user may hear in the scope's workspace, from now on.
    pub fn subscribe(&self, read: Capability<'_, may::Read>) -> Subscription {
        let scope = read.scope();
        Subscription {
            workspace_id: scope.workspace_id(),
            user_id: scope.user_id(),
            events: self.local.subscribe(),
            closing: self.closing.subscribe(),
        }
    }

    /// Ends every stream (the server is shutting down and waits for open connections).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }
}

/// One event stream's view of the hub.
pub struct Subscription {
    workspace_id: Uuid,
    user_id: Uuid,
    events: broadcast::Receiver<Local>,
    closing: watch::Receiver<bool>,
}

impl Subscription {
    /// The next thing to tell this subscriber; `None` once the server is shutting down.
    pub async fn next(&mut self) -> Option<EventKind> {
        loop {
            let received = tokio::select! {
                _ = self.closing.wait_for(|closing| *closing) => return None,
                received = self.events.recv() => received,
            };
            match received {
                Ok(Local::Event(event)) if event.is_for(self.workspace_id, self.user_id) => {
                    return Some(event.kind)
                }
                Ok(Local::Event(_)) => {}
                // Events were lost on the way, or this subscriber fell behind: a pull covers
                // whatever it missed.
                Ok(Local::Missed) | Err(RecvError::Lagged(_)) => return Some(EventKind::Changed),
                Err(RecvError::Closed) => return None,
            }
        }
    }
}
