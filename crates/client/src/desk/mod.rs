//! `Desk`: every action of the desktop UI, in one place. The Tauri shell and the dev HTTP bridge
//! both call `Desk::dispatch`, so the UI behaves the same in the app and in a browser.
//!
//! The actions live by feature: `session` (sign in and out), `tasks`, `timer`, `review`, `week`,
//! `device` (D5: the global shortcut), `idle` (T9: time away from a running timer), `pomodoro` (T10), `team_now` (admins: everyone's timers) and `sync`
//! (sync now, its status, the loop). This file holds the struct, `dispatch` and the change
//! notification.

mod device;
mod events;
mod idle;
mod issues;
mod pomodoro;
mod review;
mod session;
mod sync;
mod tasks;
mod team_now;
mod timer;
mod week;

use std::path::PathBuf;

use stint_api::desk::{
    CurrentTimer, DeskCall, DeskHandler, DeskReply, DeviceSettings, IdleAnswer, IdlePrompt,
    MyTasks, Session, Stopped, SyncIssue, SyncProgress, SyncStatus, TimerAction, WeekEntry,
};
use stint_api::rest::{Task, TeamNow, TimeSettings, TimeSettingsChange};
use stint_api::sync::TaskProgress;
use tokio::sync::{watch, Mutex, Notify};
use uuid::Uuid;

use crate::clock::Clock;
use crate::error::DeskError;
use crate::server_client::{events_client, http_client};
use crate::store::{EntryReview, LocalStore};
use crate::vault::TokenVault;

pub struct DeskConfig {
    /// Folder of the local store (`stint.db`).
    pub data_dir: PathBuf,
    /// `false` keeps the token in memory only (tests, the dev bridge).
    pub use_keyring: bool,
    /// Shown to admins in the list of a user's devices.
    pub device_name: String,
    pub clock: Clock,
}

pub struct Desk {
    store: LocalStore,
    vault: TokenVault,
    clock: Clock,
    device_name: String,
    http: reqwest::Client,
    /// For the long-lived event stream: no total timeout, a read timeout instead.
    events_http: reqwest::Client,
    /// One sync at a time.
    sync_lock: Mutex<()>,
    /// The latest instant a change was stamped with (see `now`).
    last_stamp: std::sync::Mutex<chrono::DateTime<chrono::Utc>>,
    /// How far the running sync's push got, for the window and the tray.
    progress: std::sync::Mutex<Option<SyncProgress>>,
    /// Wakes the sync loop after a local change.
    sync_wanted: Notify,
    /// Wakes the sync loop on a live event: the server has something new, and is reachable —
    /// so this ends a backoff too.
    server_spoke: Notify,
    /// Bumped after every sync that reached the server, so the sync loop knows an outage it
    /// backs off from has ended (a Sync now got through).
    synced: watch::Sender<u64>,
    /// Bumped after every change, so the shell can refresh the tray and the window.
    changes: watch::Sender<u64>,
}

impl Desk {
    pub fn open(config: DeskConfig) -> Result<Desk, DeskError> {
        let store = LocalStore::open(&config.data_dir.join("stint.db"))?;
        let vault = TokenVault::new(store.device_id()?.to_string(), config.use_keyring);
        Ok(Desk {
            store,
            vault,
            clock: config.clock,
            device_name: config.device_name,
            http: http_client(),
            events_http: events_client(),
            sync_lock: Mutex::new(()),
            progress: std::sync::Mutex::new(None),
            last_stamp: std::sync::Mutex::new(chrono::DateTime::<chrono::Utc>::MIN_UTC),
            sync_wanted: Notify::new(),
            server_spoke: Notify::new(),
            synced: watch::channel(0).0,
            changes: watch::channel(0).0,
        })
    }

    /// The local store, for tests that prepare or inspect it directly.
    pub fn store(&self) -> &LocalStore {
        &self.store
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Answers one call of the UI. `DeskHandler` below says which method answers which call;
    /// its signatures come from the call table in stint-api, so each reply has the declared type.
    pub async fn dispatch(&self, call: DeskCall) -> Result<DeskReply, DeskError> {
        call.answer_with(self).await
    }

    fn after_local_change(&self) {
        // The user acted on their timer: an old "your timer was stopped" has been seen.
        if let Err(error) = self.store.delete_setting(crate::store::keys::TIMER_NOTICE) {
            tracing::warn!(%error, "clearing the timer notice failed");
        }
        self.changed();
        self.sync_wanted.notify_one();
    }

    fn changed(&self) {
        self.changes.send_modify(|version| *version += 1);
    }
}

/// Each call of the table to the `Desk` method of the same name. The compiler checks each
/// method's reply type against the table, which is what the UI's generated types say.
impl DeskHandler for Desk {
    type Error = DeskError;

    async fn session(&self) -> Result<Option<Session>, DeskError> {
        Desk::session(self)
    }

    async fn sign_in(
        &self,
        server_url: String,
        email: String,
        password: String,
    ) -> Result<Session, DeskError> {
        Desk::sign_in(self, &server_url, &email, &password).await
    }

    async fn sign_out(&self) -> Result<(), DeskError> {
        Desk::sign_out(self).await
    }

    async fn switch_workspace(&self, workspace_id: Uuid) -> Result<Session, DeskError> {
        Desk::switch_workspace(self, workspace_id).await
    }

    async fn tasks(&self) -> Result<Vec<Task>, DeskError> {
        Desk::tasks(self)
    }

    async fn my_tasks(&self) -> Result<MyTasks, DeskError> {
        Desk::my_tasks(self)
    }

    async fn start_work(&self, task_id: Uuid) -> Result<CurrentTimer, DeskError> {
        Desk::start_work(self, task_id)
    }

    async fn pause(&self) -> Result<CurrentTimer, DeskError> {
        Desk::pause(self)
    }

    async fn resume(&self) -> Result<CurrentTimer, DeskError> {
        Desk::resume(self)
    }

    async fn stop(&self) -> Result<Stopped, DeskError> {
        Desk::stop(self)
    }

    async fn asked_review(&self) -> Result<Option<Stopped>, DeskError> {
        Desk::asked_review(self)
    }

    async fn review_entry(
        &self,
        entry_id: Uuid,
        duration_secs: i64,
        description: String,
        billable: bool,
        submit: bool,
        task: Option<TaskProgress>,
    ) -> Result<WeekEntry, DeskError> {
        let review = EntryReview {
            duration_secs,
            description,
            billable,
            submit,
            task,
        };
        Desk::review_entry(self, entry_id, review)
    }

    async fn discard_entry(&self, entry_id: Uuid) -> Result<(), DeskError> {
        Desk::discard_entry(self, entry_id)
    }

    async fn time_settings(&self) -> Result<TimeSettings, DeskError> {
        Desk::time_settings(self)
    }

    async fn change_time_settings(
        &self,
        change: TimeSettingsChange,
    ) -> Result<TimeSettings, DeskError> {
        Desk::change_time_settings(self, &change).await
    }

    async fn team_now(&self) -> Result<TeamNow, DeskError> {
        Desk::team_now(self).await
    }

    async fn control_timer(
        &self,
        timer_id: Uuid,
        action: TimerAction,
    ) -> Result<TeamNow, DeskError> {
        Desk::control_timer(self, timer_id, action).await
    }

    async fn current_timer(&self) -> Result<Option<CurrentTimer>, DeskError> {
        Desk::current_timer(self)
    }

    async fn idle_prompt(&self) -> Result<Option<IdlePrompt>, DeskError> {
        Desk::idle_prompt(self)
    }

    async fn answer_idle(&self, answer: IdleAnswer) -> Result<Option<CurrentTimer>, DeskError> {
        Desk::answer_idle(self, answer)
    }

    async fn start_pomodoro(&self) -> Result<CurrentTimer, DeskError> {
        Desk::start_pomodoro(self)
    }

    async fn skip_pomodoro_phase(&self) -> Result<CurrentTimer, DeskError> {
        Desk::skip_pomodoro_phase(self)
    }

    async fn end_pomodoro(&self) -> Result<CurrentTimer, DeskError> {
        Desk::end_pomodoro(self)
    }

    async fn week_entries(&self) -> Result<Vec<WeekEntry>, DeskError> {
        Desk::week_entries(self)
    }

    async fn device_settings(&self) -> Result<DeviceSettings, DeskError> {
        Desk::device_settings(self)
    }

    async fn set_shortcut(&self, shortcut: Option<String>) -> Result<DeviceSettings, DeskError> {
        Desk::set_shortcut(self, shortcut)
    }

    async fn sync_now(&self) -> Result<SyncStatus, DeskError> {
        Desk::sync_now(self).await
    }

    async fn sync_status(&self) -> Result<SyncStatus, DeskError> {
        Desk::sync_status(self)
    }

    async fn sync_issues(&self) -> Result<Vec<SyncIssue>, DeskError> {
        Desk::sync_issues(self)
    }

    async fn retry_sync_issue(&self, id: i64) -> Result<SyncStatus, DeskError> {
        Desk::retry_sync_issue(self, id)
    }

    async fn dismiss_sync_issue(&self, id: i64) -> Result<SyncStatus, DeskError> {
        Desk::dismiss_sync_issue(self, id)
    }
}

#[cfg(test)]
mod tests;
