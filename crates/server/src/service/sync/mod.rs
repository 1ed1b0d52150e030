//! Sync push and pull (D3), protocol version 2. Push is in `push`.
//!
//! Pull is paged. An incremental page reads the change log after the cursor's position and
//! returns the current state of each task and entry that changed, or a tombstone when it is
//! gone. A cursor from an epoch this database does not know (a restored backup), or no cursor,
//! starts a snapshot: every task and the caller's entries, by id, a page at a time, and then the
//! changes since the snapshot began.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use stint_api::rest::{Entry, TimerSnapshot, TimerStop};
use stint_api::sync::{EntityKind, PullResponse, Tombstone, PULL_PAGE_SIZE, SNAPSHOT_PAGE_SIZE};
use stint_storage::{may, Capability, Entity, EntryRecord, Storage, WorkspaceScope};
use uuid::Uuid;

use crate::error::ApiError;
use crate::service::read_ahead::ReadAhead;
use crate::service::{settings, tasks};

mod push;

pub use push::{push, Pushed};

/// Where a pull stands: reading the change log after a position, or paging a snapshot (which
/// continues with the change log from the position it began at).
#[derive(Debug, Clone, PartialEq)]
enum Cursor {
    Changes {
        epoch: Uuid,
        position: i64,
    },
    Snapshot {
        epoch: Uuid,
        position: i64,
        phase: SnapshotPhase,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum SnapshotPhase {
    Tasks { after: Option<Uuid> },
    Entries { after: Option<Uuid> },
}

impl Cursor {
    /// `<epoch>.<position>` or `<epoch>.<position>.<t|e>.<last id or ->`.
    fn parse(text: &str) -> Option<Cursor> {
        let parts: Vec<&str> = text.split('.').collect();
        let epoch = Uuid::parse_str(parts.first()?).ok()?;
        let position = parts.get(1)?.parse().ok()?;
        match parts[2..] {
            [] => Some(Cursor::Changes { epoch, position }),
            [phase, after] => {
                let after = match after {
                    "-" => None,
                    id => Some(Uuid::parse_str(id).ok()?),
                };
                let phase = match phase {
                    "t" => SnapshotPhase::Tasks { after },
                    "e" => SnapshotPhase::Entries { after },
                    _ => return None,
                };
                Some(Cursor::Snapshot {
                    epoch,
                    position,
                    phase,
                })
            }
            _ => None,
        }
    }

    /// The page this cursor asks for.
    fn next(&self) -> Next {
        match *self {
            Cursor::Changes { position, .. } => Next::Changes(position),
            Cursor::Snapshot {
                position, phase, ..
            } => Next::Snapshot(position, phase),
        }
    }

    fn epoch_and_position(&self) -> (Uuid, i64) {
        match *self {
            Cursor::Changes { epoch, position }
            | Cursor::Snapshot {
                epoch, position, ..
            } => (epoch, position),
        }
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cursor::Changes { epoch, position } => write!(f, "{epoch}.{position}"),
            Cursor::Snapshot {
                epoch,
                position,
                phase,
            } => {
                let (letter, after) = match phase {
                    SnapshotPhase::Tasks { after } => ("t", after),
                    SnapshotPhase::Entries { after } => ("e", after),
                };
                let after = after.map_or("-".to_string(), |id| id.to_string());
                write!(f, "{epoch}.{position}.{letter}.{after}")
            }
        }
    }
}

/// Pull pages read ahead of the device's request for them.
pub type PageReadAhead = ReadAhead<Result<Page, ApiError>>;

pub async fn pull(
    storage: &Arc<dyn Storage>,
    read_ahead: &PageReadAhead,
    read: Capability<'_, may::Read>,
    cursor: Option<&str>,
    stream_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<PullResponse, ApiError> {
    let scope = read.scope();
    // A cursor this server cannot read was not handed out by it (or by this version): like one
    // from a restored backup, it starts a snapshot.
    let parsed = cursor.and_then(|text| Some((text, Cursor::parse(text)?)));
    let valid = match parsed {
        Some((text, cursor)) => {
            let (epoch, position) = cursor.epoch_and_position();
            // A cursor from a timeline this database does not have (a restored backup) starts
            // over with a snapshot.
            storage
                .cursor_valid(epoch, position)
                .await?
                .then_some((text, cursor))
        }
        None => None,
    };
    // Only the device's own cursor, once valid, takes a page read ahead for it: a snapshot that
    // starts over must not continue where one read before a restore left off.
    let (asked, cursor) = match valid {
        Some((text, cursor)) => (Some(text), cursor),
        None => (
            None,
            Cursor::Snapshot {
                epoch: storage.epoch().await?,
                position: storage.head_position().await?,
                phase: SnapshotPhase::Tasks { after: None },
            },
        ),
    };
    let ahead = match asked {
        Some(text) => read_ahead.take(scope, text).await,
        None => None,
    };
    let mut page = match ahead {
        // The last page, which tells the device it is up to date, is read on request: a pull
        // asked for after a change (its event, say) must bring it.
        Some(Ok(page)) if page.more => page,
        // Not read ahead (or that failed): read it now.
        _ => read_page(storage.as_ref(), scope, cursor.next()).await?,
    };
    let epoch = storage.epoch().await?;
    page.cursor = match page.next {
        Next::Changes(position) => Cursor::Changes { epoch, position },
        Next::Snapshot(position, phase) => Cursor::Snapshot {
            epoch,
            position,
            phase,
        },
    }
    .to_string();
    // The next page is read while this one travels and the device writes it. A page read a
    // moment early is as good as one read on request: whatever changes after it was read comes
    // again, further on in the change log.
    if page.more {
        let (storage, scope, next) = (storage.clone(), *scope, page.next);
        read_ahead.start(&scope, &page.cursor, async move {
            read_page(storage.as_ref(), &scope, next).await
        });
    }
    let timer = storage.active_timer(scope).await?.map(|t| TimerSnapshot {
        id: t.timer.id,
        task_id: t.timer.task_id,
        state: t.timer.head.state(),
        segments: t.segments,
    });
    let timer_stop = storage.last_timer_stop(scope).await?.map(|stop| TimerStop {
        timer_id: stop.timer_id,
        by: stop.by,
    });
    let last_applied_seq = match stream_id {
        Some(stream_id) => storage.stream_seq(scope, stream_id).await?,
        None => 0,
    };
    let my_team_ids = storage.my_team_ids(scope).await?;
    // With the last page the device is up to date: its copy of the settings too.
    let time_settings = match page.more {
        true => None,
        false => Some(settings::read(storage.as_ref(), scope).await?),
    };
    Ok(PullResponse {
        cursor: page.cursor,
        more: page.more,
        snapshot: page.snapshot,
        tasks: page.tasks,
        entries: page.entries,
        removed: page.removed,
        timer,
        timer_stop,
        last_applied_seq,
        server_time: now,
        my_team_ids,
        time_settings,
        timesheet_access: (!page.more).then_some(scope.timesheet_access()),
        permissions: (!page.more).then(|| scope.permissions().to_vec()),
    })
}

/// What one page holds, before the timer and stream are added.
pub struct Page {
    tasks: Vec<stint_api::rest::Task>,
    entries: Vec<Entry>,
    removed: Vec<Tombstone>,
    more: bool,
    snapshot: bool,
    next: Next,
    cursor: String,
}

#[derive(Clone, Copy)]
enum Next {
    Changes(i64),
    Snapshot(i64, SnapshotPhase),
}

async fn read_page(
    storage: &dyn Storage,
    scope: &WorkspaceScope,
    at: Next,
) -> Result<Page, ApiError> {
    match at {
        Next::Changes(position) => changes_page(storage, scope, position).await,
        Next::Snapshot(position, phase) => snapshot_page(storage, scope, position, phase).await,
    }
}

async fn changes_page(
    storage: &dyn Storage,
    scope: &WorkspaceScope,
    position: i64,
) -> Result<Page, ApiError> {
    let page = storage
        .changes_since(scope, position, PULL_PAGE_SIZE)
        .await?;
    // What changed, by id; the order of a page is not commit order, so what counts is what
    // exists now: its current state, or a tombstone when it is gone.
    let mut task_ids = HashSet::new();
    let mut entry_ids = HashSet::new();
    for change in &page.changes {
        match change.entity {
            Entity::Task => task_ids.insert(change.entity_id),
            Entity::Entry => entry_ids.insert(change.entity_id),
            // Projects travel inside their tasks; the timer is sent whole.
            Entity::Project | Entity::Timer => false,
        };
    }
    let task_ids: Vec<Uuid> = task_ids.into_iter().collect();
    let entry_ids: Vec<Uuid> = entry_ids.into_iter().collect();
    let tasks = if task_ids.is_empty() {
        vec![]
    } else {
        storage.tasks(scope, Some(&task_ids)).await?
    };
    let entries = if entry_ids.is_empty() {
        vec![]
    } else {
        storage.own_entries(scope, &entry_ids).await?
    };
    let mut removed = gone(EntityKind::Task, &task_ids, tasks.iter().map(|t| t.id));
    removed.extend(gone(
        EntityKind::Entry,
        &entry_ids,
        entries.iter().map(|e| e.id),
    ));
    Ok(Page {
        tasks: tasks.into_iter().map(tasks::task).collect(),
        entries: entries.into_iter().map(entry).collect(),
        removed,
        more: page.more,
        snapshot: false,
        next: Next::Changes(page.position),
        cursor: String::new(),
    })
}

/// A page of a snapshot: tasks by id, then the caller's entries by id; after the last, the
/// change log from where the snapshot began (whatever changed meanwhile comes again from it).
async fn snapshot_page(
    storage: &dyn Storage,
    scope: &WorkspaceScope,
    position: i64,
    phase: SnapshotPhase,
) -> Result<Page, ApiError> {
    let mut page = Page {
        tasks: vec![],
        entries: vec![],
        removed: vec![],
        more: true,
        snapshot: true,
        next: Next::Changes(position),
        cursor: String::new(),
    };
    let entries_after = match phase {
        SnapshotPhase::Tasks { after } => {
            let tasks = storage.tasks_page(scope, after, SNAPSHOT_PAGE_SIZE).await?;
            let full = tasks.len() == SNAPSHOT_PAGE_SIZE;
            // The page is by id; `tasks_page` returns it by title.
            let last = tasks.iter().map(|t| t.id).max();
            page.tasks = tasks.into_iter().map(tasks::task).collect();
            if full {
                page.next = Next::Snapshot(position, SnapshotPhase::Tasks { after: last });
                return Ok(page);
            }
            None
        }
        SnapshotPhase::Entries { after } => after,
    };
    let entries = storage
        .own_entries_page(scope, entries_after, SNAPSHOT_PAGE_SIZE)
        .await?;
    if entries.len() == SNAPSHOT_PAGE_SIZE {
        let last = entries.last().map(|e| e.id);
        page.next = Next::Snapshot(position, SnapshotPhase::Entries { after: last });
    }
    page.entries = entries.into_iter().map(entry).collect();
    Ok(page)
}

/// Tombstones for the ids that changed but no longer exist.
fn gone(entity: EntityKind, changed: &[Uuid], found: impl Iterator<Item = Uuid>) -> Vec<Tombstone> {
    let found: HashSet<Uuid> = found.collect();
    changed
        .iter()
        .filter(|id| !found.contains(id))
        .map(|&id| Tombstone { entity, id })
        .collect()
}

pub fn entry(record: EntryRecord) -> Entry {
    Entry {
        id: record.id,
        user_id: record.user_id,
        task_id: record.task_id,
        timer_id: record.timer_id,
        team_id: record.team_id,
        started_at: record.started_at,
        ended_at: record.ended_at,
        duration_secs: record.duration_secs,
        raw_duration_secs: record.raw_duration_secs,
        billable: record.billable,
        flag: record.flag,
        status: record.status,
        source: record.source,
        description: record.description,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_as_written() {
        let epoch = Uuid::now_v7();
        let id = Uuid::now_v7();
        for cursor in [
            Cursor::Changes {
                epoch,
                position: 42,
            },
            Cursor::Snapshot {
                epoch,
                position: 7,
                phase: SnapshotPhase::Tasks { after: None },
            },
            Cursor::Snapshot {
                epoch,
                position: 7,
                phase: SnapshotPhase::Entries { after: Some(id) },
            },
        ] {
            assert_eq!(Cursor::parse(&cursor.to_string()), Some(cursor));
        }
        for garbage in [
            "",
            "12",
            "x.1",
            &format!("{epoch}.x"),
            &format!("{epoch}.1.q.-"),
        ] {
            assert_eq!(Cursor::parse(garbage), None, "{garbage}");
        }
    }

    /// A snapshot's pages of a user's entries take them from both tables (secured teams' are
    /// kept apart, P4), in id order, each once, and no one else's.
    #[tokio::test]
    async fn entry_pages_take_both_tables_in_id_order() {
        use sqlx::sqlite::SqliteConnectOptions;
        use sqlx::ConnectOptions;

        let dir = tempfile::tempdir().unwrap();
        let storage = crate::open_sqlite_dir(dir.path()).await.unwrap();
        // Rows written straight in, foreign keys off: the pages read these two tables only.
        let mut conn = SqliteConnectOptions::new()
            .filename(dir.path().join("stint.db"))
            .foreign_keys(false)
            .connect()
            .await
            .unwrap();
        let (workspace, user) = (Uuid::now_v7(), Uuid::now_v7());
        let mut expected = Vec::new();
        for n in 0..13 {
            let id = Uuid::now_v7();
            let (table, owner) = match n % 4 {
                0 => ("secured_entries", user),
                1 => ("entries", Uuid::now_v7()),
                _ => ("entries", user),
            };
            if owner == user {
                expected.push(id);
            }
            sqlx::query(&format!(
                "INSERT INTO {table} (id, workspace_id, user_id, task_id, team_id, started_at, \
                                      ended_at, duration_secs, status, source) \
                 VALUES (?, ?, ?, ?, ?, 0, 60000, 60, 'draft', 'timer')"
            ))
            .bind(id.to_string())
            .bind(workspace.to_string())
            .bind(owner.to_string())
            .bind(Uuid::now_v7().to_string())
            .bind(Uuid::now_v7().to_string())
            .execute(&mut conn)
            .await
            .unwrap();
        }
        expected.sort();
        let scope = crate::policy::seeding(workspace, user);
        let (mut read, mut after) = (Vec::new(), None);
        loop {
            let page = storage.own_entries_page(&scope, after, 3).await.unwrap();
            read.extend(page.iter().map(|entry| entry.id));
            if page.len() < 3 {
                break;
            }
            after = page.last().map(|entry| entry.id);
        }
        assert_eq!(read, expected);
    }
}
