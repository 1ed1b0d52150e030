-- T6, T8: who stopped a user's timer when it was not their own doing (an admin, the runaway
-- watchdog), in the words their device shows. A device that was offline when it happened learns
-- it with its next pull. One row per stopped timer; no foreign key to `timers`, which a task's
-- deletion may take with it.
CREATE TABLE timer_stops (
    timer_id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    by_words TEXT NOT NULL CHECK (length(by_words) BETWEEN 1 AND 500),
    at INTEGER NOT NULL
);
CREATE INDEX timer_stops_by_user ON timer_stops (workspace_id, user_id, at);
