//! Syncing with the server: one sync now, the status the UI shows, and the loop that syncs
//! after changes, every minute, and with backoff while offline.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use stint_api::desk::SyncStatus;
use stint_api::sync::MAX_MUTATIONS_PER_PUSH;
use stint_api::ErrorCode;

use super::Desk;
use crate::error::DeskError;
use crate::server_client::ServerClient;
use crate::store::keys;

impl Desk {
    /// Pushes the outbox, then pulls what changed. Errors are recorded in the sync status too.
    pub async fn sync_now(&self) -> Result<SyncStatus, DeskError> {
        let _one_at_a_time = self.sync_lock.lock().await;
        let (session, token) = self.signed_in()?.ok_or(DeskError::NotSignedIn)?;
        let client = ServerClient::new(&self.http, &session.server_url)?;
        let workspace = session.workspace.id;
        let result = async {
            // The server takes at most MAX_MUTATIONS_PER_PUSH at a time: a long offline stretch
            // goes up in several pushes, each acknowledged before the next.
            let outbox = self.store.outbox()?;
            for batch in outbox.chunks(MAX_MUTATIONS_PER_PUSH) {
                let pushed = client.push(&token, workspace, batch.to_vec()).await?;
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
}

fn jitter_millis(max: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_nanos()))
        .unwrap_or(0);
    nanos % max.max(1)
}
