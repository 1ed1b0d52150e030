//! The local schema and its migrations. `PRAGMA user_version` is the schema version: a store
//! written by a newer build is refused, never "upgraded" backwards.

use rusqlite::Connection;

use crate::error::StoreError;

/// Each entry migrates from version `index` to `index + 1`.
const MIGRATIONS: &[&str] = &["
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    -- Cached tasks: the server's JSON, with the title for ordering.
    CREATE TABLE tasks (id TEXT PRIMARY KEY, title TEXT NOT NULL, json TEXT NOT NULL);
    -- The running or paused timer; at most one (T1).
    CREATE TABLE timer (
        slot INTEGER PRIMARY KEY CHECK (slot = 1),
        id TEXT NOT NULL,
        task_id TEXT NOT NULL,
        segments TEXT NOT NULL
    );
    -- The user's own entries. `synced` = 1 once the server has sent them back.
    CREATE TABLE entries (
        id TEXT PRIMARY KEY,
        started_at INTEGER NOT NULL,
        json TEXT NOT NULL,
        synced INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX entries_by_start ON entries (started_at);
    -- Local changes not yet acknowledged by the server, numbered per device.
    CREATE TABLE outbox (seq INTEGER PRIMARY KEY, intent TEXT NOT NULL, created_at INTEGER NOT NULL);
    -- Changes the server refused, with its reason: the *Sync issues* list.
    CREATE TABLE rejected (
        seq INTEGER PRIMARY KEY,
        intent TEXT NOT NULL,
        code TEXT NOT NULL,
        message TEXT NOT NULL,
        rejected_at INTEGER NOT NULL
    );
", "
    -- Sync protocol v2. Mutations carry the fingerprint of their content and the raw device
    -- clock; their stream (settings `stream_id`) is renumbered from 1 when a new one opens.
    ALTER TABLE outbox ADD COLUMN fingerprint TEXT;
    ALTER TABLE outbox ADD COLUMN device_time INTEGER;
    -- The *Sync issues* list: changes the server refused (`rejected`) or decided otherwise
    -- about (`reconciled`, with what it has instead in `server_has`, JSON).
    CREATE TABLE sync_issues (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('rejected', 'reconciled')),
        intent TEXT NOT NULL,
        code TEXT NOT NULL,
        message TEXT NOT NULL,
        server_has TEXT,
        -- The task's title when the change was made, for the plain-words description.
        task_title TEXT,
        made_at INTEGER NOT NULL,
        noticed_at INTEGER NOT NULL
    );
    -- Task ids a snapshot pull brought, while it runs: at its end the tasks it did not bring
    -- are gone from the server.
    CREATE TABLE snapshot_tasks (id TEXT PRIMARY KEY);
    INSERT INTO sync_issues (kind, intent, code, message, made_at, noticed_at)
        SELECT 'rejected', intent, code, message, rejected_at, rejected_at FROM rejected ORDER BY seq;
    DROP TABLE rejected;
", "
    -- Entries as columns instead of the server's JSON: a snapshot stores 100,000 of them, and
    -- writing each as JSON took half of that time and three times the space. Instants in
    -- milliseconds, as everywhere; ordered by id, which is what a snapshot brings.
    CREATE TABLE entries_by_column (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        task_id TEXT NOT NULL,
        timer_id TEXT,
        team_id TEXT,
        started_at INTEGER NOT NULL,
        ended_at INTEGER NOT NULL,
        duration_secs INTEGER NOT NULL,
        status TEXT NOT NULL,
        source TEXT NOT NULL,
        description TEXT NOT NULL,
        synced INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    INSERT INTO entries_by_column
        SELECT id, json ->> 'user_id', json ->> 'task_id', json ->> 'timer_id', json ->> 'team_id',
               started_at, CAST(round(unixepoch(json ->> 'ended_at', 'subsec') * 1000) AS INTEGER),
               json ->> 'duration_secs', json ->> 'status', json ->> 'source',
               json ->> 'description', synced
        FROM entries;
    DROP TABLE entries;
    ALTER TABLE entries_by_column RENAME TO entries;
    CREATE INDEX entries_by_start ON entries (started_at);
", "
    -- T7: an entry's counted time before rounding, beside the rounded duration.
    ALTER TABLE entries ADD COLUMN raw_duration_secs INTEGER NOT NULL DEFAULT 0;
    UPDATE entries SET raw_duration_secs = duration_secs;
    -- T4: whether an entry is billable.
    ALTER TABLE entries ADD COLUMN billable INTEGER NOT NULL DEFAULT 0;
", "
    -- T8, T11: why an entry waits for the user's review (`runaway`, `needs_description`).
    ALTER TABLE entries ADD COLUMN flag TEXT;
"];

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    migrate_to(conn, SCHEMA_VERSION)
}

/// Brings the schema up to `version` (a test starts from an older one).
pub(super) fn migrate_to(conn: &mut Connection, version: i64) -> Result<(), StoreError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            found,
            known: SCHEMA_VERSION,
        });
    }
    let steps = MIGRATIONS.iter().enumerate();
    for (from, sql) in steps
        .skip(found as usize)
        .take((version - found).max(0) as usize)
    {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", from as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
