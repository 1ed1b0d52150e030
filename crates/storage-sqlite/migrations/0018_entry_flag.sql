-- T8, T11: why an entry waits for its author — stopped by the runaway watchdog, or stopped by
-- someone else while the workspace requires a description. Their review clears it.
ALTER TABLE entries ADD COLUMN flag TEXT CHECK (flag IN ('runaway', 'needs_description'));
ALTER TABLE secured_entries ADD COLUMN flag TEXT
    CHECK (flag IN ('runaway', 'needs_description'));
