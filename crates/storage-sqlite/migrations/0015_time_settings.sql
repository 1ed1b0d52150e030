-- A workspace's time settings (S): one row per workspace, made with the spec's defaults the
-- first time they are read. Every value is held to the spec's range here too.
CREATE TABLE time_settings (
    workspace_id TEXT PRIMARY KEY NOT NULL REFERENCES workspaces (id),
    week_start_day INTEGER NOT NULL CHECK (week_start_day BETWEEN 0 AND 6),
    rounding_minutes INTEGER NOT NULL CHECK (rounding_minutes IN (0, 5, 6, 15, 30)),
    rounding_strategy TEXT NOT NULL CHECK (rounding_strategy IN ('nearest', 'up', 'down')),
    default_billable INTEGER NOT NULL CHECK (default_billable IN (0, 1)),
    require_description INTEGER NOT NULL CHECK (require_description IN (0, 1)),
    allow_future_entries INTEGER NOT NULL CHECK (allow_future_entries IN (0, 1)),
    auto_submit_day INTEGER CHECK (auto_submit_day BETWEEN 0 AND 6),
    default_hourly_rate_cents INTEGER NOT NULL
        CHECK (default_hourly_rate_cents BETWEEN 0 AND 100000000),
    default_currency TEXT NOT NULL
        CHECK (length(default_currency) = 3 AND default_currency NOT GLOB '*[^A-Z]*'),
    default_weekly_minutes INTEGER NOT NULL CHECK (default_weekly_minutes BETWEEN 1 AND 10080),
    runaway_timer_hours INTEGER NOT NULL CHECK (runaway_timer_hours BETWEEN 1 AND 168),
    runaway_auto_stop INTEGER NOT NULL CHECK (runaway_auto_stop IN (0, 1)),
    idle_minutes INTEGER NOT NULL CHECK (idle_minutes BETWEEN 1 AND 480),
    pomodoro_focus_minutes INTEGER NOT NULL CHECK (pomodoro_focus_minutes BETWEEN 1 AND 480),
    pomodoro_break_minutes INTEGER NOT NULL CHECK (pomodoro_break_minutes BETWEEN 1 AND 480),
    pomodoro_long_break_minutes INTEGER NOT NULL
        CHECK (pomodoro_long_break_minutes BETWEEN 1 AND 480),
    onboarding_dismissed_at INTEGER,
    automatic_entry_status TEXT NOT NULL
        CHECK (automatic_entry_status IN ('submitted', 'approved')),
    unassign_others_on_start INTEGER NOT NULL CHECK (unassign_others_on_start IN (0, 1)),
    allow_review_before_submit INTEGER NOT NULL CHECK (allow_review_before_submit IN (0, 1))
);
