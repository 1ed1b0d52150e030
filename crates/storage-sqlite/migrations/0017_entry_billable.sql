-- T4: whether an entry is billable, seeded from the workspace's *default billable* when a timer
-- stops and changed in the review dialog. Entries made before are not billable.
ALTER TABLE entries ADD COLUMN billable INTEGER NOT NULL DEFAULT 0 CHECK (billable IN (0, 1));
ALTER TABLE secured_entries ADD COLUMN billable INTEGER NOT NULL DEFAULT 0
    CHECK (billable IN (0, 1));
