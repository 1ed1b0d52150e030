-- Entries on teams (P2, P4). A public team's entries stay in `entries`, naming the team (no
-- team: NULL; a deleted team's entries belong to no team). A secured team's entries live apart,
-- in `secured_entries`, so a query that forgets the policy cannot return them. An entry is in
-- one store or the other — moving it is a delete and an insert in one transaction — and its id
-- is unique across both (every insert follows a read of both stores, under the user's lock).

ALTER TABLE entries ADD COLUMN team_id uuid REFERENCES teams (id) ON DELETE SET NULL;
CREATE INDEX entries_by_team ON entries (team_id);

CREATE TABLE secured_entries (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id),
    user_id uuid NOT NULL REFERENCES users (id),
    task_id uuid NOT NULL REFERENCES tasks (id),
    timer_id uuid REFERENCES timers (id),
    -- No cascade: a secured team goes only once its entries were converted or deleted.
    team_id uuid NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at timestamptz NOT NULL,
    duration_secs bigint NOT NULL CHECK (duration_secs >= 0),
    status text NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'rejected')),
    source text NOT NULL CHECK (source IN ('timer', 'manual', 'imported', 'api')),
    description text NOT NULL DEFAULT '',
    FOREIGN KEY (workspace_id, team_id) REFERENCES teams (workspace_id, id)
);
CREATE INDEX secured_entries_by_user ON secured_entries (workspace_id, user_id, started_at);
CREATE INDEX secured_entries_by_user_id ON secured_entries (workspace_id, user_id, id);
CREATE INDEX secured_entries_by_team ON secured_entries (team_id, started_at);
CREATE INDEX secured_entries_by_task ON secured_entries (task_id);
CREATE INDEX secured_entries_by_timer ON secured_entries (timer_id);
