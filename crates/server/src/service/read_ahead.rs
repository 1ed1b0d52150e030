//! Work started before it is asked for: the next page of a pull (a snapshot, or a long change
//! log, as after pushing a backlog). A device asks for the
//! next page as soon as one arrives and writes that one meanwhile; reading the next page while
//! the answer travels and the device writes lets the two overlap instead of taking turns.
//!
//! Each page waits under its key (workspace, user and the cursor that will ask for it), so only
//! that user's request for that cursor takes it, after its own permission check. At most `KEPT`
//! wait, none longer than `KEPT_FOR`: a device that does not come back leaves one page behind,
//! pushed out by the next.

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use stint_storage::WorkspaceScope;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// Pages waiting at most: a few devices' long pulls at once.
const KEPT: usize = 8;

/// A device asks for the next page within milliseconds; one that waited longer is dropped.
const KEPT_FOR: Duration = Duration::from_secs(30);

pub struct ReadAhead<T> {
    waiting: Mutex<Vec<Waiting<T>>>,
}

struct Waiting<T> {
    key: (Uuid, Uuid, String),
    started: Instant,
    work: JoinHandle<T>,
}

impl<T: Send + 'static> ReadAhead<T> {
    pub fn new() -> ReadAhead<T> {
        ReadAhead {
            waiting: Mutex::new(Vec::new()),
        }
    }

    /// Starts `work` for a later `take` with the same scope and cursor.
    pub fn start(
        &self,
        scope: &WorkspaceScope,
        cursor: &str,
        work: impl Future<Output = T> + Send + 'static,
    ) {
        let mut waiting = self.lock();
        waiting.retain(|w| {
            let keep = w.started.elapsed() < KEPT_FOR;
            if !keep {
                w.work.abort();
            }
            keep
        });
        if waiting.len() >= KEPT {
            waiting.remove(0).work.abort();
        }
        waiting.push(Waiting {
            key: key(scope, cursor),
            started: Instant::now(),
            work: tokio::spawn(work),
        });
    }

    /// What was started for this scope and cursor, once it is done; none when nothing was (or
    /// it failed: the caller does the work itself).
    pub async fn take(&self, scope: &WorkspaceScope, cursor: &str) -> Option<T> {
        let wanted = key(scope, cursor);
        let found = {
            let mut waiting = self.lock();
            let index = waiting.iter().position(|w| w.key == wanted)?;
            waiting.remove(index)
        };
        found.work.await.ok()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Waiting<T>>> {
        // The list is consistent between statements; a panic elsewhere leaves it usable.
        self.waiting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl<T: Send + 'static> Default for ReadAhead<T> {
    fn default() -> Self {
        ReadAhead::new()
    }
}

fn key(scope: &WorkspaceScope, cursor: &str) -> (Uuid, Uuid, String) {
    (scope.workspace_id(), scope.user_id(), cursor.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy;

    #[tokio::test]
    async fn only_the_same_user_and_cursor_take_what_was_started_and_only_once() {
        let ahead = ReadAhead::new();
        let workspace = Uuid::now_v7();
        let ana = policy::seeding(workspace, Uuid::now_v7());
        let ben = policy::seeding(workspace, Uuid::now_v7());
        let elsewhere = policy::seeding(Uuid::now_v7(), ana.user_id());
        ahead.start(&ana, "next", async { 1 });
        assert_eq!(ahead.take(&ben, "next").await, None);
        assert_eq!(ahead.take(&elsewhere, "next").await, None);
        assert_eq!(ahead.take(&ana, "other").await, None);
        assert_eq!(ahead.take(&ana, "next").await, Some(1));
        assert_eq!(ahead.take(&ana, "next").await, None);
    }

    #[tokio::test]
    async fn at_most_a_few_wait_and_the_oldest_goes_first() {
        let ahead = ReadAhead::new();
        let scope = policy::seeding(Uuid::now_v7(), Uuid::now_v7());
        for n in 0..=KEPT {
            ahead.start(&scope, &n.to_string(), async move { n });
        }
        assert_eq!(ahead.take(&scope, "0").await, None);
        assert_eq!(ahead.take(&scope, &KEPT.to_string()).await, Some(KEPT));
    }
}
