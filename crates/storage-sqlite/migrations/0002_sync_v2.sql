-- Sync protocol v2: streams, fingerprints, epochs, T1 in time order, snapshot pages.

-- A device's numbered mutations for one workspace, in one epoch of the device: a device that
-- diverged (its store went back in time, or was copied) opens a new stream.
CREATE TABLE streams (
    id TEXT PRIMARY KEY NOT NULL,
    device_id TEXT NOT NULL REFERENCES devices (id),
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    -- The last seq applied or recorded: pushes are idempotent by (stream, seq, fingerprint).
    last_applied_seq INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

-- Version 1 numbered mutations per device across workspaces; kept for the record only.
ALTER TABLE mutations RENAME TO mutations_v1;
ALTER TABLE devices DROP COLUMN last_applied_seq;

-- Every pushed mutation, with what became of it and why: nothing is dropped silently, and a
-- retry gets the same answer back.
CREATE TABLE mutations (
    stream_id TEXT NOT NULL REFERENCES streams (id),
    seq INTEGER NOT NULL CHECK (seq >= 1),
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    fingerprint TEXT NOT NULL,
    name TEXT NOT NULL,
    args TEXT NOT NULL,
    -- The device's own clock when it made the change (the intent's instants are corrected).
    device_time INTEGER NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('applied', 'rejected', 'reconciled')),
    reason_code TEXT,
    reason_message TEXT,
    reason_details TEXT,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (stream_id, seq)
);

-- Each start of the server opens an epoch. A cursor names its epoch: a database restored from
-- a backup does not know the epochs after it, and its next epoch starts below positions that
-- were handed out before the restore, so old cursors are noticed (see `cursor_valid`).
CREATE TABLE epochs (
    epoch_no INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    -- The newest change number when the epoch began.
    first_position INTEGER NOT NULL,
    started_at INTEGER NOT NULL
);

-- T1 in time order reads a user's timers by start; snapshots page entries by id.
CREATE INDEX timers_by_user_start ON timers (workspace_id, user_id, started_at);
CREATE INDEX entries_by_user_id ON entries (workspace_id, user_id, id);
