//! Syncing with the server: one sync now (push the outbox in batches, then pull every page),
//! the status the UI shows, and the loop that syncs after changes, every minute, and with
//! backoff while offline.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use stint_api::desk::{SyncProgress, SyncStatus};
use stint_api::sync::{MAX_MUTATIONS_PER_PUSH, PUSH_BATCH_BYTES};
use stint_api::ErrorCode;
use uuid::Uuid;

use super::Desk;
use crate::error::DeskError;
use crate::server_client::ServerClient;
use crate::store::{keys, Stream};

/// A learned clock offset moves only by more than this (see `learn_offset`).
const OFFSET_NOISE_MS: i64 = 1000;

/// Pages a pull may take in one sync before it lets the rest wait for the next: a runaway
/// server cannot keep the device busy for ever.
const MAX_PULL_PAGES: usize = 10_000;

/// A batch on its way: the stream it was sent on (as it stood then), its seqs and size, whether
/// it was sent while the one before it was on its way too, and its answer. Dropped unanswered,
/// the request is abandoned.
struct SentBatch {
    stream: Stream,
    first_seq: i64,
    last_seq: i64,
    count: usize,
    early: bool,
    answer: tokio::task::JoinHandle<Result<PushedBatch, DeskError>>,
}

impl Drop for SentBatch {
    fn drop(&mut self) {
        self.answer.abort();
    }
}

/// A push's answer, with when it was asked for and when it came (for the clock offset).
struct PushedBatch {
    sent: DateTime<Utc>,
    received: DateTime<Utc>,
    pushed: stint_api::sync::PushResponse,
}

/// A pulled page, with when it was asked for and when it came (for the clock offset).
struct FetchedPage {
    sent: DateTime<Utc>,
    received: DateTime<Utc>,
    pull: stint_api::sync::PullResponse,
}

impl Desk {
    /// Pushes the outbox, then pulls what changed — the pull even when the push failed, so a
    /// change the server refuses to take never hides what others did. Errors are recorded in
    /// the sync status too.
    pub async fn sync_now(&self) -> Result<SyncStatus, DeskError> {
        let _one_at_a_time = self.sync_lock.lock().await;
        let (session, token) = self.signed_in()?.ok_or(DeskError::NotSignedIn)?;
        let client = ServerClient::new(&self.http, &session.server_url)?;
        let workspace = session.workspace.id;
        let mut result = Ok(());
        // A pull that finds the server lacking something this device had synced queues it
        // again: push that too before calling the sync done (at most twice more).
        for _ in 0..3 {
            let started = std::time::Instant::now();
            let pushed = self.push_all(&client, &token, workspace).await;
            self.set_progress(None);
            let pushed_in = started.elapsed();
            let pulled = self.pull_all(&client, &token, workspace).await;
            tracing::debug!(
                push_ms = pushed_in.as_millis() as u64,
                pull_ms = (started.elapsed() - pushed_in).as_millis() as u64,
                "synced"
            );
            let requeued = matches!(pulled, Ok(count) if count > 0);
            result = pushed.and(pulled.map(|_| ()));
            if !requeued || result.is_err() {
                break;
            }
        }
        let now = self.clock.now().to_rfc3339();
        match &result {
            Ok(()) => {
                self.store.set_setting(keys::LAST_SYNCED_AT, &now)?;
                self.store.delete_setting(keys::OFFLINE_SINCE)?;
                self.store.delete_setting(keys::LAST_ERROR)?;
                self.synced.send_modify(|count| *count += 1);
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

    /// Pushes the outbox in batches (by count and bytes) until it is empty. Once the server has
    /// answered, the next batch is sent before the answer to the one before it comes, so that
    /// the server reads one while it writes the other (a batch that overtakes the one before it
    /// waits there for it); answers are taken in order, and a batch sent after one that did not
    /// go cleanly is abandoned and read again.
    async fn push_all(
        &self,
        client: &ServerClient,
        token: &str,
        workspace: Uuid,
    ) -> Result<(), DeskError> {
        let total = self.store.pending_count()?;
        let mut done = 0;
        // Each round either empties a batch from the outbox or moves it to a new stream (at
        // most twice in a row), so this ends; the bound is a guard against a server that
        // answers nonsense.
        let mut rounds_without_progress = 0;
        let mut on_its_way: Option<SentBatch> = None;
        // The stream's last seq on the server, as its latest answer said.
        let mut server_last: Option<i64> = None;
        loop {
            self.set_progress(Some(SyncProgress { done, total }));
            let next = match &on_its_way {
                None => self.send_batch(client, token, workspace, 0, false)?,
                // Only while the batch on its way holds numbers the server has never seen: one
                // that repeats numbers may diverge, and a batch sent after it would be applied
                // on the stream the device is leaving.
                Some(sent) if server_last.is_some_and(|last| sent.first_seq > last) => {
                    self.send_batch(client, token, workspace, sent.last_seq, true)?
                }
                Some(_) => None,
            };
            let Some(mut sent) = on_its_way.take() else {
                if next.is_none() {
                    return Ok(());
                }
                on_its_way = next;
                continue;
            };
            let waited = std::time::Instant::now();
            let answer = (&mut sent.answer)
                .await
                .map_err(|e| DeskError::Offline(e.to_string()))??;
            let waited = waited.elapsed();
            let pushed = answer.pushed;
            server_last = Some(pushed.last_applied_seq);
            // A batch sent early may have waited on the server for the one before it: its
            // round trip says nothing of the clocks.
            if !sent.early {
                self.learn_offset(answer.sent, answer.received, pushed.server_time)?;
            }
            let acknowledging = std::time::Instant::now();
            let acknowledged = self
                .store
                .acknowledge(&pushed.results, pushed.last_applied_seq)?;
            tracing::debug!(
                count = sent.count,
                wait_us = waited.as_micros() as u64,
                ack_us = acknowledging.elapsed().as_micros() as u64,
                "pushed a batch"
            );
            done += acknowledged.done as i64;
            if acknowledged.done > 0 {
                rounds_without_progress = 0;
            } else {
                rounds_without_progress += 1;
            }
            // Behind what it acknowledged before, the server lost those changes (restored); a
            // gap means the numbering went wrong some other way. Either way a new stream (and a
            // snapshot, which finds what the server lacks) puts it right. A batch sent early
            // that met a gap had only waited too long for the one before it (answered cleanly
            // by now): it is sent again.
            let lost = !acknowledged.diverged && pushed.last_applied_seq < sent.stream.acked_seq;
            let gap = pushed
                .halted
                .as_ref()
                .is_some_and(|halted| halted.code == ErrorCode::SequenceGap);
            if lost || (gap && !sent.early) {
                tracing::warn!(
                    acked = sent.stream.acked_seq,
                    server = pushed.last_applied_seq,
                    "the server does not have what this device numbered; starting over on a \
                     new stream"
                );
                self.store.start_over()?;
            }
            if rounds_without_progress > 2 {
                return Err(DeskError::Server(stint_api::ErrorBody::new(
                    ErrorCode::BadResponse,
                    "the server keeps answering without taking any change",
                )));
            }
            let clean = pushed.halted.is_none() && acknowledged.done == sent.count;
            if clean && !lost {
                on_its_way = next;
            }
        }
    }

    /// Sends the oldest waiting mutations after seq `after` (a batch of them) on a task of its
    /// own, so that it travels while the caller takes the answer to the batch before it (`early`
    /// when one is on its way). None when nothing waits.
    fn send_batch(
        &self,
        client: &ServerClient,
        token: &str,
        workspace: Uuid,
        after: i64,
        early: bool,
    ) -> Result<Option<SentBatch>, DeskError> {
        let batch = self
            .store
            .outbox_batch(after, MAX_MUTATIONS_PER_PUSH, PUSH_BATCH_BYTES)?;
        let (Some(first), Some(last)) = (batch.first(), batch.last()) else {
            return Ok(None);
        };
        let (first_seq, last_seq, count) = (first.seq, last.seq, batch.len());
        let stream = self.store.stream()?;
        let (client, token, clock) = (client.clone(), token.to_string(), self.clock.clone());
        let answer = tokio::spawn(async move {
            let sent = clock.now();
            let pushed = client.push(&token, workspace, stream.id, batch).await?;
            Ok(PushedBatch {
                sent,
                received: clock.now(),
                pushed,
            })
        });
        Ok(Some(SentBatch {
            stream,
            first_seq,
            last_seq,
            count,
            early,
            answer,
        }))
    }

    /// Pulls every page after the stored cursor. Returns how many changes a snapshot queued
    /// again because the server lacked them. The next page is asked for as soon as a page
    /// arrives, and travels while this one is written; it is dropped unused if writing fails
    /// (the stored cursor, which only a written page moves, asks for it again next time).
    async fn pull_all(
        &self,
        client: &ServerClient,
        token: &str,
        workspace: Uuid,
    ) -> Result<usize, DeskError> {
        let mut requeued = 0;
        let mut next_page = None;
        for _ in 0..MAX_PULL_PAGES {
            let stream = self.store.stream()?;
            let page = match next_page.take() {
                Some(page) => page,
                None => {
                    let cursor = self.store.setting(keys::CURSOR)?;
                    self.fetch_page(client, token, workspace, cursor, stream.id)
                }
            };
            let waited = std::time::Instant::now();
            let page = page
                .await
                .map_err(|e| DeskError::Offline(e.to_string()))??;
            let waited = waited.elapsed();
            let pull = page.pull;
            self.learn_offset(page.sent, page.received, pull.server_time)?;
            // The server is behind what it acknowledged (restored), or ahead of anything this
            // store numbered (this store went back in time): start over on a new stream with a
            // snapshot.
            if pull.last_applied_seq < stream.acked_seq || pull.last_applied_seq > stream.last_seq {
                tracing::warn!(
                    acked = stream.acked_seq,
                    last = stream.last_seq,
                    server = pull.last_applied_seq,
                    "the server and this device disagree on what was synced; starting over"
                );
                self.store.start_over()?;
                continue;
            }
            if pull.more {
                let cursor = Some(pull.cursor.clone());
                next_page = Some(self.fetch_page(client, token, workspace, cursor, stream.id));
            }
            let applying = std::time::Instant::now();
            let applied = self.store.apply_pull(&pull)?;
            tracing::debug!(
                wait_us = waited.as_micros() as u64,
                apply_us = applying.elapsed().as_micros() as u64,
                ?applied,
                more = pull.more,
                server_timer = ?pull.timer.as_ref().map(|t| t.state),
                "pulled a page"
            );
            if let (Some(access), Some(permissions)) = (pull.timesheet_access, &pull.permissions) {
                self.keep_membership(access, permissions)?;
            }
            if applied.timer_changed || applied.requeued > 0 {
                self.changed();
            }
            if applied.requeued > 0 {
                tracing::warn!(
                    count = applied.requeued,
                    "the server lacked changes this device had synced; sending them again"
                );
                requeued += applied.requeued;
            }
            if !pull.more {
                break;
            }
        }
        Ok(requeued)
    }

    /// Asks for one page of a pull on a task of its own, so that it travels while the caller
    /// writes the page before it.
    fn fetch_page(
        &self,
        client: &ServerClient,
        token: &str,
        workspace: Uuid,
        cursor: Option<String>,
        stream_id: Uuid,
    ) -> tokio::task::JoinHandle<Result<FetchedPage, DeskError>> {
        let (client, token, clock) = (client.clone(), token.to_string(), self.clock.clone());
        tokio::spawn(async move {
            let sent = clock.now();
            let pull = client
                .pull(&token, workspace, cursor.as_deref(), stream_id)
                .await?;
            Ok(FetchedPage {
                sent,
                received: clock.now(),
                pull,
            })
        })
    }

    /// The device's clock offset from a server answer: the server's time is taken as the middle
    /// of the round trip. A slow round trip says little (the answer may have waited anywhere),
    /// and a change within a second is noise (a retried request, a delay one way): the stored
    /// offset moves only for a clear difference, so stamps do not jitter.
    fn learn_offset(
        &self,
        sent: DateTime<Utc>,
        received: DateTime<Utc>,
        server_time: DateTime<Utc>,
    ) -> Result<(), DeskError> {
        let round_trip = received - sent;
        if round_trip > chrono::Duration::seconds(2) || round_trip < chrono::Duration::zero() {
            return Ok(());
        }
        let offset = (server_time - (sent + round_trip / 2)).num_milliseconds();
        let known = self.store.setting(keys::CLOCK_OFFSET_MS)?.is_some();
        if !known || (offset - self.clock_offset_ms()).abs() > OFFSET_NOISE_MS {
            self.store
                .set_setting(keys::CLOCK_OFFSET_MS, &offset.to_string())?;
        }
        Ok(())
    }

    /// The server's time as this device best knows it: the device clock corrected by the
    /// offset learned at sync. Every change is stamped with it, and never earlier than the
    /// change before (a corrected offset or a clock set back must not reorder the user's own
    /// changes: T1 orders timers by these instants).
    pub(super) fn now(&self) -> DateTime<Utc> {
        let corrected = self.clock.now() + chrono::Duration::milliseconds(self.clock_offset_ms());
        let mut last = self
            .last_stamp
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *last = corrected.max(*last);
        *last
    }

    fn clock_offset_ms(&self) -> i64 {
        self.store
            .setting(keys::CLOCK_OFFSET_MS)
            .ok()
            .flatten()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    fn set_progress(&self, progress: Option<SyncProgress>) {
        *self
            .progress
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = progress;
        self.changed();
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
            issues: self.store.issue_count()?,
            progress: *self
                .progress
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
            clock_offset_secs: self.clock_offset_ms() / 1000,
            notice: self.store.setting(keys::TIMER_NOTICE)?,
            last_synced_at: instant(keys::LAST_SYNCED_AT)?,
            offline_since: instant(keys::OFFLINE_SINCE)?,
            last_error,
        })
    }

    /// Syncs after local changes, every minute when idle, and with growing, jittered pauses
    /// while the server cannot be reached — then a local change waits for the pause too, so an
    /// offline device does not hammer the network; a live event or a *Sync now* that got
    /// through ends the pause (the server is back). Runs until the process ends.
    pub async fn run_sync_loop(self: Arc<Self>) {
        let mut synced = self.synced.subscribe();
        let mut failures: u32 = 0;
        loop {
            let wait = if failures == 0 {
                Duration::from_secs(60)
            } else {
                let base = 5u64.saturating_mul(1 << failures.min(6)).min(300);
                Duration::from_millis(base * 1000 + jitter_millis(base * 250))
            };
            let woken_by = tokio::select! {
                _ = self.sync_wanted.notified(), if failures == 0 => "a local change",
                // The server just sent an event: it is reachable, and has news.
                _ = self.server_spoke.notified() => {
                    failures = 0;
                    "the server's event"
                }
                // A sync made meanwhile outside this loop (Sync now) reached the server: the
                // outage is over, so the backoff ends and local changes sync at once again.
                _ = synced.changed(), if failures > 0 => {
                    failures = 0;
                    continue;
                }
                _ = tokio::time::sleep(wait) => "the clock",
            };
            tracing::debug!(woken_by, "syncing");
            if !matches!(self.signed_in(), Ok(Some(_))) {
                continue;
            }
            let result = self.sync_now().await;
            // This loop's own sync is no news to it.
            synced.mark_unchanged();
            match result {
                Ok(_) => failures = 0,
                Err(error) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(%error, failures, "sync failed; will retry");
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
