//! `Desk`: every action of the desktop UI, in one place. The Tauri shell and the dev HTTP bridge
//! both call `Desk::dispatch`, so the UI behaves the same in the app and in a browser.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Datelike, Days, Local, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use stint_api::desk::{CurrentTimer, DeskCall, Session, SyncStatus, WeekEntry};
use stint_api::rest::{Entry, Task, TokenRequest, User, Workspace};
use stint_api::ErrorCode;
use tokio::sync::{watch, Mutex, Notify};
use uuid::Uuid;

use crate::clock::Clock;
use crate::error::DeskError;
use crate::server_client::{http_client, ServerClient};
use crate::store::{keys, ActiveTimer, LocalStore};
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

/// What is kept of a sign-in, besides the token (which lives in the vault).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredSession {
    server_url: String,
    user: User,
    workspace: Workspace,
}

pub struct Desk {
    store: LocalStore,
    vault: TokenVault,
    clock: Clock,
    device_name: String,
    http: reqwest::Client,
    /// One sync at a time.
    sync_lock: Mutex<()>,
    /// Wakes the sync loop after a local change.
    sync_wanted: Notify,
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
            sync_lock: Mutex::new(()),
            sync_wanted: Notify::new(),
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

    pub async fn dispatch(&self, call: DeskCall) -> Result<serde_json::Value, DeskError> {
        fn json<T: Serialize>(value: T) -> Result<serde_json::Value, DeskError> {
            serde_json::to_value(value).map_err(|e| DeskError::InvalidInput(e.to_string()))
        }
        match call {
            DeskCall::Session => json(self.session()?),
            DeskCall::SignIn {
                server_url,
                email,
                password,
            } => json(self.sign_in(&server_url, &email, &password).await?),
            DeskCall::SignOut => json(self.sign_out().await?),
            DeskCall::Tasks => json(self.tasks()?),
            DeskCall::StartWork { task_id } => json(self.start_work(task_id)?),
            DeskCall::Pause => json(self.pause()?),
            DeskCall::Resume => json(self.resume()?),
            DeskCall::Stop => json(self.stop()?),
            DeskCall::CurrentTimer => json(self.current_timer()?),
            DeskCall::WeekEntries => json(self.week_entries()?),
            DeskCall::SyncNow => json(self.sync_now().await?),
            DeskCall::SyncStatus => json(self.sync_status()?),
        }
    }

    fn stored_session(&self) -> Result<Option<StoredSession>, DeskError> {
        match self.store.setting(keys::SESSION)? {
            Some(json) => Ok(Some(
                serde_json::from_str(&json).map_err(crate::error::StoreError::from)?,
            )),
            None => Ok(None),
        }
    }

    /// The session and its token, when signed in. A session whose token is gone (kept in memory
    /// by an earlier run) counts as signed out; its local data stays for the next sign-in.
    fn signed_in(&self) -> Result<Option<(StoredSession, String)>, DeskError> {
        let Some(session) = self.stored_session()? else {
            return Ok(None);
        };
        Ok(self.vault.load().map(|token| (session, token)))
    }

    pub fn session(&self) -> Result<Option<Session>, DeskError> {
        Ok(self.signed_in()?.map(|(s, _)| Session {
            server_url: s.server_url,
            user: s.user,
            workspace: s.workspace,
            token_storage: self.vault.storage(),
        }))
    }

    fn me(&self) -> Result<Option<User>, DeskError> {
        Ok(self.stored_session()?.map(|s| s.user))
    }

    pub async fn sign_in(
        &self,
        server_url: &str,
        email: &str,
        password: &str,
    ) -> Result<Session, DeskError> {
        if email.trim().is_empty() || password.is_empty() {
            return Err(DeskError::InvalidInput(
                "enter your email and password".into(),
            ));
        }
        let client = ServerClient::new(&self.http, server_url)?;
        let request = |device_id| TokenRequest {
            email: email.trim().to_string(),
            password: password.to_string(),
            device_name: self.device_name.clone(),
            device_id: Some(device_id),
        };
        let response = match client.sign_in(&request(self.store.device_id()?)).await {
            // This installation was used by someone else before: it becomes a new device.
            Err(DeskError::Server(body)) if body.code == ErrorCode::DeviceTaken => {
                let device_id = self.store.renew_device_id()?;
                self.vault.set_account(device_id.to_string());
                client.sign_in(&request(device_id)).await?
            }
            other => other?,
        };
        let workspace = response.workspaces.first().cloned().ok_or_else(|| {
            DeskError::InvalidInput("this account is not a member of any workspace yet".into())
        })?;
        if let Some(previous) = self.stored_session()? {
            if previous.user.id != response.user.id || previous.workspace.id != workspace.id {
                let pending = self.store.pending_count()?;
                if pending > 0 {
                    return Err(DeskError::UnsyncedChanges { count: pending });
                }
                self.store.clear_user_data()?;
            }
        }
        self.vault.save(&response.token);
        let stored = StoredSession {
            server_url: client.base_url().to_string(),
            user: response.user,
            workspace,
        };
        self.store.set_setting(
            keys::SESSION,
            &serde_json::to_string(&stored).map_err(crate::error::StoreError::from)?,
        )?;
        // Fetch the tasks now; if this fails the sync loop tries again.
        if let Err(error) = self.sync_now().await {
            tracing::warn!(%error, "first sync after sign-in failed");
        }
        self.session()?.ok_or(DeskError::NotSignedIn)
    }

    /// Signs out: revokes the token, removes it from the keyring and forgets the user's local
    /// data. Refused while local changes have not reached the server.
    pub async fn sign_out(&self) -> Result<(), DeskError> {
        let pending = self.store.pending_count()?;
        if pending > 0 {
            return Err(DeskError::UnsyncedChanges { count: pending });
        }
        if let Some((session, token)) = self.signed_in()? {
            if let Err(error) = ServerClient::new(&self.http, &session.server_url)?
                .revoke(&token)
                .await
            {
                tracing::warn!(%error, "revoking the token on the server failed");
            }
        }
        self.vault.delete();
        self.store.clear_user_data()?;
        self.changed();
        Ok(())
    }

    /// Tasks from the local cache: works offline.
    pub fn tasks(&self) -> Result<Vec<Task>, DeskError> {
        Ok(self.store.tasks()?)
    }

    /// T1, T2: starts work on a task (stopping any running timer first).
    pub fn start_work(&self, task_id: Uuid) -> Result<CurrentTimer, DeskError> {
        let me = self.me()?;
        self.store
            .start_timer(Uuid::now_v7(), task_id, self.clock.now(), me.as_ref())?;
        self.after_local_change();
        self.current_timer()?.ok_or(DeskError::NoTimer)
    }

    pub fn pause(&self) -> Result<CurrentTimer, DeskError> {
        let active = self.store.pause_timer(self.clock.now())?;
        self.after_local_change();
        self.describe(active)
    }

    pub fn resume(&self) -> Result<CurrentTimer, DeskError> {
        let active = self.store.resume_timer(self.clock.now())?;
        self.after_local_change();
        self.describe(active)
    }

    /// Stops the timer; its entry is kept as a draft in the week.
    pub fn stop(&self) -> Result<WeekEntry, DeskError> {
        let me = self.me()?;
        let entry = self.store.stop_timer(self.clock.now(), me.as_ref())?;
        self.after_local_change();
        self.week_entry(entry, false)
    }

    pub fn current_timer(&self) -> Result<Option<CurrentTimer>, DeskError> {
        self.store
            .active_timer()?
            .map(|active| self.describe(active))
            .transpose()
    }

    fn describe(&self, active: ActiveTimer) -> Result<CurrentTimer, DeskError> {
        let now = self.clock.now();
        Ok(CurrentTimer {
            timer_id: active.id,
            task: self.task_or_placeholder(active.task_id)?,
            state: active.timer.state(),
            started_at: active.timer.started_at(),
            elapsed_secs: active.timer.elapsed_secs(now),
            as_of: now,
            segments: active.timer.segments().to_vec(),
        })
    }

    /// A task the cache does not hold (yet) still shows, by id, rather than failing the view.
    fn task_or_placeholder(&self, task_id: Uuid) -> Result<Task, DeskError> {
        Ok(self.store.task(task_id)?.unwrap_or_else(|| Task {
            id: task_id,
            title: "Task not on this device yet".into(),
            status: stint_domain::TaskStatus::Open,
            project_id: Uuid::nil(),
            project_name: String::new(),
            project_color: "#888888".into(),
            assignees: vec![],
        }))
    }

    /// This week's entries (Monday to Sunday in the device's time zone), oldest first.
    pub fn week_entries(&self) -> Result<Vec<WeekEntry>, DeskError> {
        let (from, to) = week_bounds(self.clock.now().with_timezone(&Local));
        self.store
            .entries_between(from, to)?
            .into_iter()
            .map(|(entry, synced)| self.week_entry(entry, synced))
            .collect()
    }

    fn week_entry(&self, entry: Entry, synced: bool) -> Result<WeekEntry, DeskError> {
        let task = self.task_or_placeholder(entry.task_id)?;
        Ok(WeekEntry {
            entry,
            task_title: task.title,
            project_name: task.project_name,
            project_color: task.project_color,
            synced,
        })
    }

    /// Pushes the outbox, then pulls what changed. Errors are recorded in the sync status too.
    pub async fn sync_now(&self) -> Result<SyncStatus, DeskError> {
        let _one_at_a_time = self.sync_lock.lock().await;
        let (session, token) = self.signed_in()?.ok_or(DeskError::NotSignedIn)?;
        let client = ServerClient::new(&self.http, &session.server_url)?;
        let workspace = session.workspace.id;
        let result = async {
            let outbox = self.store.outbox()?;
            if !outbox.is_empty() {
                let pushed = client.push(&token, workspace, outbox).await?;
                self.store
                    .acknowledge(&pushed.results, pushed.last_applied_seq)?;
            }
            let cursor = self
                .store
                .setting(keys::CURSOR)?
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            let pull = client.pull(&token, workspace, cursor).await?;
            self.store.apply_pull(&pull)?;
            Ok::<_, DeskError>(())
        }
        .await;
        let now = self.clock.now().to_rfc3339();
        match &result {
            Ok(()) => {
                self.store.set_setting(keys::LAST_SYNCED_AT, &now)?;
                self.store.delete_setting(keys::OFFLINE_SINCE)?;
                self.store.delete_setting(keys::LAST_ERROR)?;
            }
            Err(error) => {
                if matches!(error, DeskError::Offline(_))
                    && self.store.setting(keys::OFFLINE_SINCE)?.is_none()
                {
                    self.store.set_setting(keys::OFFLINE_SINCE, &now)?;
                }
                self.store
                    .set_setting(keys::LAST_ERROR, &error.to_string())?;
                // The server no longer takes this token (revoked, expired): forget it, so the
                // window asks to sign in again. Local data and waiting changes stay for then.
                if matches!(error, DeskError::Server(body) if body.code == ErrorCode::InvalidToken || body.code == ErrorCode::TokenExpired)
                {
                    self.vault.delete();
                }
            }
        }
        self.changed();
        result?;
        self.sync_status()
    }

    pub fn sync_status(&self) -> Result<SyncStatus, DeskError> {
        let instant = |key| -> Result<Option<DateTime<Utc>>, DeskError> {
            Ok(self
                .store
                .setting(key)?
                .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                .map(|t| t.with_timezone(&Utc)))
        };
        let last_error = self.store.setting(keys::LAST_ERROR)?;
        Ok(SyncStatus {
            online: last_error.is_none() && self.store.setting(keys::LAST_SYNCED_AT)?.is_some(),
            pending: self.store.pending_count()?,
            rejected: self.store.rejected_count()?,
            last_synced_at: instant(keys::LAST_SYNCED_AT)?,
            offline_since: instant(keys::OFFLINE_SINCE)?,
            last_error,
        })
    }

    /// Syncs after local changes, every minute when idle, and with growing, jittered pauses
    /// while the server cannot be reached. Runs until the process ends.
    pub async fn run_sync_loop(self: Arc<Self>) {
        let mut failures: u32 = 0;
        loop {
            let wait = if failures == 0 {
                Duration::from_secs(60)
            } else {
                let base = 5u64.saturating_mul(1 << failures.min(6)).min(300);
                Duration::from_millis(base * 1000 + jitter_millis(base * 250))
            };
            tokio::select! {
                _ = self.sync_wanted.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
            if !matches!(self.signed_in(), Ok(Some(_))) {
                continue;
            }
            match self.sync_now().await {
                Ok(_) => failures = 0,
                Err(error) => {
                    failures = failures.saturating_add(1);
                    tracing::info!(%error, failures, "sync failed; will retry");
                }
            }
        }
    }

    fn after_local_change(&self) {
        self.changed();
        self.sync_wanted.notify_one();
    }

    fn changed(&self) {
        self.changes.send_modify(|version| *version += 1);
    }
}

/// The Monday 00:00 that starts the week of `now`, and the next one, as UTC instants.
fn week_bounds(now: DateTime<Local>) -> (DateTime<Utc>, DateTime<Utc>) {
    let monday = now.date_naive() - Days::new(u64::from(now.weekday().num_days_from_monday()));
    let start_of = |date: chrono::NaiveDate| {
        let midnight = date.and_time(NaiveTime::MIN);
        // A DST change at midnight can skip or repeat it: take the earliest real instant.
        Local
            .from_local_datetime(&midnight)
            .earliest()
            .unwrap_or_else(|| Local.from_utc_datetime(&midnight))
            .with_timezone(&Utc)
    };
    (start_of(monday), start_of(monday + Days::new(7)))
}

fn jitter_millis(max: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_nanos()))
        .unwrap_or(0);
    nanos % max.max(1)
}
