-- What admins set per member (P1, T5): whether the membership is active (a deactivated member's
-- tokens no longer reach the workspace; their entries stay), their manager, their weekly hours,
-- and their timesheet permission level.
ALTER TABLE memberships ADD COLUMN active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1));
-- A member of the same workspace (checked by the server: SQLite cannot add a composite key here).
ALTER TABLE memberships ADD COLUMN manager_id TEXT REFERENCES users (id);
ALTER TABLE memberships ADD COLUMN weekly_minutes INTEGER NOT NULL DEFAULT 2400
    CHECK (weekly_minutes BETWEEN 0 AND 10080);
ALTER TABLE memberships ADD COLUMN timesheet_access TEXT NOT NULL DEFAULT 'full'
    CHECK (timesheet_access IN ('full', 'timer_only'));
