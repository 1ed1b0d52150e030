-- T7: a timer-stopped entry's duration is rounded to the workspace's granularity; the counted
-- time before rounding is kept beside it. Entries made before are as they were counted.
ALTER TABLE entries ADD COLUMN raw_duration_secs INTEGER NOT NULL DEFAULT 0
    CHECK (raw_duration_secs >= 0);
UPDATE entries SET raw_duration_secs = duration_secs;
ALTER TABLE secured_entries ADD COLUMN raw_duration_secs INTEGER NOT NULL DEFAULT 0
    CHECK (raw_duration_secs >= 0);
UPDATE secured_entries SET raw_duration_secs = duration_secs;
