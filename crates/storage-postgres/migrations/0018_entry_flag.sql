-- T8, T11: why an entry waits for its author — stopped by the runaway watchdog, or stopped by
-- someone else while the workspace requires a description. Their review clears it.
ALTER TABLE entries ADD COLUMN flag text CHECK (flag IN ('runaway', 'needs_description'));
ALTER TABLE secured_entries ADD COLUMN flag text
    CHECK (flag IN ('runaway', 'needs_description'));

-- T8: the runaway watchdog looks across workspaces (as `stint_lookup`) for running timers whose
-- counted time reached their workspace's threshold where auto-stop is on, and learns no more
-- than which they are and whose; it stops each in that workspace's scope.
GRANT SELECT (user_id, state, closed_millis, last_start) ON timers TO stint_lookup;
GRANT SELECT (workspace_id, runaway_timer_hours, runaway_auto_stop) ON time_settings
    TO stint_lookup;
CREATE POLICY lookup ON time_settings FOR SELECT TO stint_lookup USING (true);
