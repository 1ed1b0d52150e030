-- Times are UTC instants in milliseconds since the epoch; ids are UUID text (v7 where made here).

CREATE TABLE workspaces (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- The change counter: bumped inside every writing transaction, so its row lock hands out
    -- change numbers in commit order and a pull cursor never skips a late commit.
    last_change BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE memberships (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    role TEXT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);

CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    -- The last mutation seq applied or recorded as rejected: pushes are idempotent by (device, seq).
    last_applied_seq BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE tokens (
    hash TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    name TEXT NOT NULL,
    color TEXT NOT NULL,
    change_no BIGINT NOT NULL
);

CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    project_id TEXT NOT NULL REFERENCES projects (id),
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    change_no BIGINT NOT NULL
);
CREATE INDEX tasks_by_change ON tasks (workspace_id, change_no);

CREATE TABLE task_assignees (
    task_id TEXT NOT NULL REFERENCES tasks (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (task_id, user_id)
);

CREATE TABLE timers (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    task_id TEXT NOT NULL REFERENCES tasks (id),
    -- JSON array of {start, end} (see stint_domain::Segment).
    segments TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('running', 'paused', 'stopped')),
    change_no BIGINT NOT NULL
);
-- T1: at most one running or paused timer per user and workspace.
CREATE UNIQUE INDEX one_active_timer ON timers (workspace_id, user_id) WHERE state <> 'stopped';

CREATE TABLE entries (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    task_id TEXT NOT NULL REFERENCES tasks (id),
    timer_id TEXT REFERENCES timers (id),
    started_at BIGINT NOT NULL,
    ended_at BIGINT NOT NULL,
    duration_secs BIGINT NOT NULL CHECK (duration_secs >= 0),
    status TEXT NOT NULL,
    source TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    change_no BIGINT NOT NULL
);
CREATE INDEX entries_by_change ON entries (workspace_id, user_id, change_no);

-- Every pushed mutation, applied or rejected, with the reason: nothing is dropped silently.
CREATE TABLE mutations (
    device_id TEXT NOT NULL REFERENCES devices (id),
    seq BIGINT NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    name TEXT NOT NULL,
    args TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('applied', 'rejected')),
    reason_code TEXT,
    reason_message TEXT,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (device_id, seq)
);
