-- A workspace's time settings (S): one row per workspace, made with the spec's defaults the
-- first time they are read. Every value is held to the spec's range here too.
CREATE TABLE time_settings (
    workspace_id uuid PRIMARY KEY REFERENCES workspaces (id),
    week_start_day smallint NOT NULL CHECK (week_start_day BETWEEN 0 AND 6),
    rounding_minutes smallint NOT NULL CHECK (rounding_minutes IN (0, 5, 6, 15, 30)),
    rounding_strategy text NOT NULL CHECK (rounding_strategy IN ('nearest', 'up', 'down')),
    default_billable boolean NOT NULL,
    require_description boolean NOT NULL,
    allow_future_entries boolean NOT NULL,
    auto_submit_day smallint CHECK (auto_submit_day BETWEEN 0 AND 6),
    default_hourly_rate_cents bigint NOT NULL
        CHECK (default_hourly_rate_cents BETWEEN 0 AND 100000000),
    default_currency text NOT NULL CHECK (default_currency ~ '^[A-Z]{3}$'),
    default_weekly_minutes integer NOT NULL CHECK (default_weekly_minutes BETWEEN 1 AND 10080),
    runaway_timer_hours smallint NOT NULL CHECK (runaway_timer_hours BETWEEN 1 AND 168),
    runaway_auto_stop boolean NOT NULL,
    idle_minutes smallint NOT NULL CHECK (idle_minutes BETWEEN 1 AND 480),
    pomodoro_focus_minutes smallint NOT NULL CHECK (pomodoro_focus_minutes BETWEEN 1 AND 480),
    pomodoro_break_minutes smallint NOT NULL CHECK (pomodoro_break_minutes BETWEEN 1 AND 480),
    pomodoro_long_break_minutes smallint NOT NULL
        CHECK (pomodoro_long_break_minutes BETWEEN 1 AND 480),
    onboarding_dismissed_at timestamptz,
    automatic_entry_status text NOT NULL
        CHECK (automatic_entry_status IN ('submitted', 'approved')),
    unassign_others_on_start boolean NOT NULL,
    allow_review_before_submit boolean NOT NULL
);

ALTER TABLE time_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE time_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY workspace ON time_settings TO stint_app
    USING (workspace_id = stint_workspace_id())
    WITH CHECK (workspace_id = stint_workspace_id());
