-- Each entry's activity feed (E1): who did what to it, and when. It is read only through its
-- entry, by whoever may see the entry (the same visibility, secured entries included); the
-- rows name the teams an entry moved between and nothing of its content.
CREATE TABLE entry_activity (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    -- In `entries` or `secured_entries`: no foreign key reaches across the two stores.
    entry_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    actor_id TEXT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL CHECK (kind IN ('created', 'hours_edited', 'billable_toggled',
                                       'status_changed', 'moved', 'approved', 'rejected')),
    -- For `moved`: the team it left and the one it went to (NULL: none).
    from_team_id TEXT,
    to_team_id TEXT
);
CREATE INDEX entry_activity_by_entry ON entry_activity (entry_id, id);
