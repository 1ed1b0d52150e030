-- What admins set per member (P1, T5): whether the membership is active (a deactivated member's
-- tokens no longer reach the workspace; their entries stay), their manager, their weekly hours,
-- and their timesheet permission level.
ALTER TABLE memberships ADD COLUMN active boolean NOT NULL DEFAULT true;
ALTER TABLE memberships ADD COLUMN manager_id uuid;
-- The manager is a member of the same workspace.
ALTER TABLE memberships ADD FOREIGN KEY (workspace_id, manager_id)
    REFERENCES memberships (workspace_id, user_id);
ALTER TABLE memberships ADD COLUMN weekly_minutes integer NOT NULL DEFAULT 2400
    CHECK (weekly_minutes BETWEEN 0 AND 10080);
ALTER TABLE memberships ADD COLUMN timesheet_access text NOT NULL DEFAULT 'full'
    CHECK (timesheet_access IN ('full', 'timer_only'));
