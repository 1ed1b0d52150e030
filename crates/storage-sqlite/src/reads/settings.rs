//! A workspace's time settings (S).

use stint_domain::{EntryStatus, RoundingStrategy, TimeSettings};
use stint_storage::{parse_stored, Result};
use uuid::Uuid;

use crate::convert::{instant, storage_error};

/// The workspace's time settings, `None` until first made; on the reader pool or inside a
/// transaction.
pub async fn time_settings<'e>(
    executor: impl sqlx::SqliteExecutor<'e>,
    workspace_id: Uuid,
) -> Result<Option<TimeSettings>> {
    let workspace = workspace_id.to_string();
    let row = sqlx::query!(
        r#"SELECT week_start_day, rounding_minutes, rounding_strategy,
                  default_billable AS "default_billable: bool",
                  require_description AS "require_description: bool",
                  allow_future_entries AS "allow_future_entries: bool",
                  auto_submit_day,
                  default_hourly_rate_cents, default_currency, default_weekly_minutes,
                  runaway_timer_hours,
                  runaway_auto_stop AS "runaway_auto_stop: bool",
                  idle_minutes,
                  pomodoro_focus_minutes,
                  pomodoro_break_minutes,
                  pomodoro_long_break_minutes,
                  onboarding_dismissed_at, automatic_entry_status,
                  unassign_others_on_start AS "unassign_others_on_start: bool",
                  allow_review_before_submit AS "allow_review_before_submit: bool"
           FROM time_settings WHERE workspace_id = $1"#,
        workspace
    )
    .fetch_optional(executor)
    .await
    .map_err(storage_error)?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(TimeSettings {
        week_start_day: row.week_start_day,
        rounding_minutes: row.rounding_minutes,
        rounding_strategy: parse_stored(
            &row.rounding_strategy,
            RoundingStrategy::parse,
            "rounding strategy",
        )?,
        default_billable: row.default_billable,
        require_description: row.require_description,
        allow_future_entries: row.allow_future_entries,
        auto_submit_day: row.auto_submit_day,
        default_hourly_rate_cents: row.default_hourly_rate_cents,
        default_currency: row.default_currency,
        default_weekly_hours: row.default_weekly_minutes as f64 / 60.0,
        runaway_timer_hours: row.runaway_timer_hours,
        runaway_auto_stop: row.runaway_auto_stop,
        idle_minutes: row.idle_minutes,
        pomodoro_focus_minutes: row.pomodoro_focus_minutes,
        pomodoro_break_minutes: row.pomodoro_break_minutes,
        pomodoro_long_break_minutes: row.pomodoro_long_break_minutes,
        onboarding_dismissed_at: row.onboarding_dismissed_at.map(instant).transpose()?,
        automatic_entry_status: parse_stored(
            &row.automatic_entry_status,
            EntryStatus::parse,
            "entry status",
        )?,
        unassign_others_on_start: row.unassign_others_on_start,
        allow_review_before_submit: row.allow_review_before_submit,
    }))
}
