-- T4: whether an entry is billable, seeded from the workspace's *default billable* when a timer
-- stops and changed in the review dialog. Entries made before are not billable.
ALTER TABLE entries ADD COLUMN billable boolean NOT NULL DEFAULT false;
ALTER TABLE secured_entries ADD COLUMN billable boolean NOT NULL DEFAULT false;
