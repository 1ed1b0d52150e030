//! A workspace's time settings (S).

use sqlx::PgConnection;
use stint_domain::{EntryStatus, RoundingStrategy, TimeSettings};
use stint_storage::{parse_stored, Result};
use uuid::Uuid;

use crate::convert::storage_error;

/// The workspace's time settings, `None` until first made; in a read or write transaction that
/// named the workspace.
pub async fn time_settings(
    conn: &mut PgConnection,
    workspace_id: Uuid,
) -> Result<Option<TimeSettings>> {
    let row = sqlx::query!(
        "SELECT week_start_day, rounding_minutes, rounding_strategy, default_billable, \
                require_description, allow_future_entries, auto_submit_day, \
                default_hourly_rate_cents, default_currency, default_weekly_minutes, \
                runaway_timer_hours, runaway_auto_stop, idle_minutes, pomodoro_focus_minutes, \
                pomodoro_break_minutes, pomodoro_long_break_minutes, onboarding_dismissed_at, \
                automatic_entry_status, unassign_others_on_start, allow_review_before_submit \
         FROM time_settings WHERE workspace_id = $1",
        workspace_id
    )
    .fetch_optional(conn)
    .await
    .map_err(storage_error)?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(TimeSettings {
        week_start_day: i64::from(row.week_start_day),
        rounding_minutes: i64::from(row.rounding_minutes),
        rounding_strategy: parse_stored(
            &row.rounding_strategy,
            RoundingStrategy::parse,
            "rounding strategy",
        )?,
        default_billable: row.default_billable,
        require_description: row.require_description,
        allow_future_entries: row.allow_future_entries,
        auto_submit_day: row.auto_submit_day.map(i64::from),
        default_hourly_rate_cents: row.default_hourly_rate_cents,
        default_currency: row.default_currency,
        default_weekly_hours: f64::from(row.default_weekly_minutes) / 60.0,
        runaway_timer_hours: i64::from(row.runaway_timer_hours),
        runaway_auto_stop: row.runaway_auto_stop,
        idle_minutes: i64::from(row.idle_minutes),
        pomodoro_focus_minutes: i64::from(row.pomodoro_focus_minutes),
        pomodoro_break_minutes: i64::from(row.pomodoro_break_minutes),
        pomodoro_long_break_minutes: i64::from(row.pomodoro_long_break_minutes),
        onboarding_dismissed_at: row.onboarding_dismissed_at,
        automatic_entry_status: parse_stored(
            &row.automatic_entry_status,
            EntryStatus::parse,
            "entry status",
        )?,
        unassign_others_on_start: row.unassign_others_on_start,
        allow_review_before_submit: row.allow_review_before_submit,
    }))
}
