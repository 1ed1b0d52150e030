-- Stint's workspace schema on SQLite. Ids are UUID text; instants are UTC milliseconds since the
-- epoch (INTEGER), turned into chrono values at the edge of this crate. Closed sets are CHECKed.

CREATE TABLE workspaces (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE memberships (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    role TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'finance', 'member')),
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE devices (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    -- The last mutation seq applied or recorded as rejected: pushes are idempotent by (device, seq).
    last_applied_seq INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE tokens (
    hash TEXT PRIMARY KEY NOT NULL,
    device_id TEXT NOT NULL REFERENCES devices (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE projects (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    name TEXT NOT NULL,
    color TEXT NOT NULL
);

CREATE TABLE tasks (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    project_id TEXT NOT NULL REFERENCES projects (id),
    title TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'completed'))
);
CREATE INDEX tasks_by_workspace ON tasks (workspace_id);

CREATE TABLE task_assignees (
    task_id TEXT NOT NULL REFERENCES tasks (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (task_id, user_id)
);

-- A timer's head (stint_domain::TimerHead); its segments are rows of timer_segments.
CREATE TABLE timers (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    task_id TEXT NOT NULL REFERENCES tasks (id),
    state TEXT NOT NULL CHECK (state IN ('running', 'paused', 'stopped')),
    started_at INTEGER NOT NULL,
    closed_millis INTEGER NOT NULL CHECK (closed_millis >= 0),
    segment_count INTEGER NOT NULL CHECK (segment_count >= 1),
    last_start INTEGER NOT NULL,
    last_end INTEGER
);
-- T1: at most one running or paused timer per user and workspace.
CREATE UNIQUE INDEX one_active_timer ON timers (workspace_id, user_id) WHERE state <> 'stopped';
CREATE INDEX timers_by_task ON timers (task_id);

CREATE TABLE timer_segments (
    timer_id TEXT NOT NULL REFERENCES timers (id),
    n INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    PRIMARY KEY (timer_id, n)
) WITHOUT ROWID;

CREATE TABLE entries (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    task_id TEXT NOT NULL REFERENCES tasks (id),
    timer_id TEXT REFERENCES timers (id),
    started_at INTEGER NOT NULL,
    ended_at INTEGER NOT NULL,
    duration_secs INTEGER NOT NULL CHECK (duration_secs >= 0),
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'rejected')),
    source TEXT NOT NULL CHECK (source IN ('timer', 'manual', 'imported', 'api')),
    description TEXT NOT NULL DEFAULT ''
);
CREATE INDEX entries_by_user ON entries (workspace_id, user_id, started_at);
CREATE INDEX entries_by_task ON entries (task_id);
CREATE INDEX entries_by_timer ON entries (timer_id);

-- Every pushed mutation, applied or rejected, with the reason: nothing is dropped silently.
CREATE TABLE mutations (
    device_id TEXT NOT NULL REFERENCES devices (id),
    seq INTEGER NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    name TEXT NOT NULL,
    args TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('applied', 'rejected')),
    reason_code TEXT,
    reason_message TEXT,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, seq)
);

-- The change log: every writing transaction appends a row per entity it touched. One writer
-- hands out change numbers in commit order, so a pull cursor (the last number seen) never skips
-- a change that commits later. AUTOINCREMENT: a number is never reused, even after a delete.
CREATE TABLE changes (
    change_no INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    entity TEXT NOT NULL CHECK (entity IN ('project', 'task', 'timer', 'entry')),
    entity_id TEXT NOT NULL,
    op TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
    -- The user a timer or entry belongs to (only they pull it); NULL for what all members see.
    owner_id TEXT
);
CREATE INDEX changes_by_workspace ON changes (workspace_id, change_no);
