-- T6, T8: who stopped a user's timer when it was not their own doing (an admin, the runaway
-- watchdog), in the words their device shows. A device that was offline when it happened learns
-- it with its next pull. One row per stopped timer; no foreign key to `timers`, which a task's
-- deletion may take with it.
CREATE TABLE timer_stops (
    timer_id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id),
    user_id uuid NOT NULL REFERENCES users (id),
    by_words text NOT NULL CHECK (length(by_words) BETWEEN 1 AND 500),
    at timestamptz NOT NULL
);
CREATE INDEX timer_stops_by_user ON timer_stops (workspace_id, user_id, at);

ALTER TABLE timer_stops ENABLE ROW LEVEL SECURITY;
ALTER TABLE timer_stops FORCE ROW LEVEL SECURITY;
CREATE POLICY workspace ON timer_stops TO stint_app
    USING (workspace_id = stint_workspace_id())
    WITH CHECK (workspace_id = stint_workspace_id());
