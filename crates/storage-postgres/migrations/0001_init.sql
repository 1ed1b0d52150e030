-- Stint's workspace schema on PostgreSQL, in native types: uuid ids, timestamptz instants (the
-- server truncates instants to milliseconds, as on SQLite), jsonb for pushed arguments. Closed sets are
-- CHECKed; money columns (rates, invoices) will be numeric.

CREATE TABLE workspaces (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE users (
    id uuid PRIMARY KEY,
    email text NOT NULL,
    name text NOT NULL,
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE memberships (
    workspace_id uuid NOT NULL REFERENCES workspaces (id),
    user_id uuid NOT NULL REFERENCES users (id),
    role text NOT NULL CHECK (role IN ('admin', 'manager', 'finance', 'member')),
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE devices (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id),
    name text NOT NULL,
    -- The last mutation seq applied or recorded as rejected: pushes are idempotent by (device, seq).
    last_applied_seq bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL
);

CREATE TABLE tokens (
    hash text PRIMARY KEY,
    device_id uuid NOT NULL REFERENCES devices (id),
    user_id uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE TABLE projects (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id),
    name text NOT NULL,
    color text NOT NULL
);

CREATE TABLE tasks (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id),
    project_id uuid NOT NULL REFERENCES projects (id),
    title text NOT NULL,
    status text NOT NULL CHECK (status IN ('open', 'in_progress', 'completed'))
);
CREATE INDEX tasks_by_workspace ON tasks (workspace_id);

CREATE TABLE task_assignees (
    task_id uuid NOT NULL REFERENCES tasks (id),
    user_id uuid NOT NULL REFERENCES users (id),
    PRIMARY KEY (task_id, user_id)
);

-- A timer's head (stint_domain::TimerHead); its segments are rows of timer_segments.
CREATE TABLE timers (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id),
    user_id uuid NOT NULL REFERENCES users (id),
    task_id uuid NOT NULL REFERENCES tasks (id),
    state text NOT NULL CHECK (state IN ('running', 'paused', 'stopped')),
    started_at timestamptz NOT NULL,
    closed_millis bigint NOT NULL CHECK (closed_millis >= 0),
    segment_count bigint NOT NULL CHECK (segment_count >= 1),
    last_start timestamptz NOT NULL,
    last_end timestamptz
);
-- T1: at most one running or paused timer per user and workspace.
CREATE UNIQUE INDEX one_active_timer ON timers (workspace_id, user_id) WHERE state <> 'stopped';
CREATE INDEX timers_by_task ON timers (task_id);

CREATE TABLE timer_segments (
    timer_id uuid NOT NULL REFERENCES timers (id),
    n bigint NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at timestamptz,
    PRIMARY KEY (timer_id, n)
);

CREATE TABLE entries (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id),
    user_id uuid NOT NULL REFERENCES users (id),
    task_id uuid NOT NULL REFERENCES tasks (id),
    timer_id uuid REFERENCES timers (id),
    started_at timestamptz NOT NULL,
    ended_at timestamptz NOT NULL,
    duration_secs bigint NOT NULL CHECK (duration_secs >= 0),
    status text NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'rejected')),
    source text NOT NULL CHECK (source IN ('timer', 'manual', 'imported', 'api')),
    description text NOT NULL DEFAULT ''
);
CREATE INDEX entries_by_user ON entries (workspace_id, user_id, started_at);
CREATE INDEX entries_by_task ON entries (task_id);
CREATE INDEX entries_by_timer ON entries (timer_id);

-- Every pushed mutation, applied or rejected, with the reason: nothing is dropped silently.
CREATE TABLE mutations (
    device_id uuid NOT NULL REFERENCES devices (id),
    seq bigint NOT NULL,
    workspace_id uuid NOT NULL REFERENCES workspaces (id),
    name text NOT NULL,
    args jsonb NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('applied', 'rejected')),
    reason_code text,
    reason_message text,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (device_id, seq)
);

-- The change log: every writing transaction appends a row per entity it touched. Change numbers
-- come from an identity sequence (no row every writer waits on), so they are not handed out in
-- commit order. What makes a pull cursor safe is `txid`: a pull returns only
-- rows of transactions below the snapshot's xmin horizon (all finished, so all visible), and
-- its cursor is that horizon; a transaction still running when one pull is answered is above
-- that pull's horizon and is delivered by a later one.
CREATE TABLE changes (
    change_no bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    txid bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    workspace_id uuid NOT NULL REFERENCES workspaces (id),
    entity text NOT NULL CHECK (entity IN ('project', 'task', 'timer', 'entry')),
    entity_id uuid NOT NULL,
    op text NOT NULL CHECK (op IN ('upsert', 'delete')),
    -- The user a timer or entry belongs to (only they pull it); NULL for what all members see.
    owner_id uuid
);
CREATE INDEX changes_by_workspace ON changes (workspace_id, txid, change_no);
