-- Sync protocol v2: streams, fingerprints, epochs, T1 in time order, snapshot pages.

-- A device's numbered mutations for one workspace, in one epoch of the device: a device that
-- diverged (its store went back in time, or was copied) opens a new stream.
CREATE TABLE streams (
    id uuid PRIMARY KEY,
    device_id uuid NOT NULL REFERENCES devices (id),
    workspace_id uuid NOT NULL REFERENCES workspaces (id),
    -- The last seq applied or recorded: pushes are idempotent by (stream, seq, fingerprint).
    last_applied_seq bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL
);

-- Version 1 numbered mutations per device across workspaces; kept for the record only.
ALTER TABLE mutations RENAME TO mutations_v1;
ALTER TABLE mutations_v1 RENAME CONSTRAINT mutations_pkey TO mutations_v1_pkey;
ALTER TABLE devices DROP COLUMN last_applied_seq;

-- Every pushed mutation, with what became of it and why: nothing is dropped silently, and a
-- retry gets the same answer back.
CREATE TABLE mutations (
    stream_id uuid NOT NULL REFERENCES streams (id),
    seq bigint NOT NULL CHECK (seq >= 1),
    workspace_id uuid NOT NULL REFERENCES workspaces (id),
    fingerprint text NOT NULL,
    name text NOT NULL,
    args jsonb NOT NULL,
    -- The device's own clock when it made the change (the intent's instants are corrected).
    device_time timestamptz NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('applied', 'rejected', 'reconciled')),
    reason_code text,
    reason_message text,
    reason_details jsonb,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (stream_id, seq)
);

-- Each start of a server instance opens an epoch. A cursor names its epoch and is valid only
-- if this database knows the epoch and the cursor's horizon is not beyond the current one: a
-- dump restored elsewhere forgets later epochs and starts its transaction ids lower.
CREATE TABLE epochs (
    id uuid PRIMARY KEY,
    first_position bigint NOT NULL,
    started_at timestamptz NOT NULL
);

-- T1 in time order reads a user's timers by start; snapshots page entries by id.
CREATE INDEX timers_by_user_start ON timers (workspace_id, user_id, started_at);
CREATE INDEX entries_by_user_id ON entries (workspace_id, user_id, id);
