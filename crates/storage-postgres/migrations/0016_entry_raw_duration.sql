-- T7: a timer-stopped entry's duration is rounded to the workspace's granularity; the counted
-- time before rounding is kept beside it. Entries made before are as they were counted.
-- The copy touches every workspace's rows: row level security is lifted around it (the
-- migration runs as the tables' owner, whom FORCE holds to the policies).
ALTER TABLE entries NO FORCE ROW LEVEL SECURITY;
ALTER TABLE secured_entries NO FORCE ROW LEVEL SECURITY;
ALTER TABLE entries ADD COLUMN raw_duration_secs bigint CHECK (raw_duration_secs >= 0);
UPDATE entries SET raw_duration_secs = duration_secs;
ALTER TABLE entries ALTER COLUMN raw_duration_secs SET NOT NULL;
ALTER TABLE secured_entries ADD COLUMN raw_duration_secs bigint CHECK (raw_duration_secs >= 0);
UPDATE secured_entries SET raw_duration_secs = duration_secs;
ALTER TABLE secured_entries ALTER COLUMN raw_duration_secs SET NOT NULL;
ALTER TABLE entries FORCE ROW LEVEL SECURITY;
ALTER TABLE secured_entries FORCE ROW LEVEL SECURITY;
