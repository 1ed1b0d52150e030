//! A workspace's time settings (S). Every member reads them, and devices keep a copy (it comes
//! with the last page of every pull), so the timer's rules hold offline; holders of
//! `time:settings` change them. The row is made with the spec's defaults on first read.

use chrono::{DateTime, Utc};
use serde_json::json;
use stint_api::rest::{TimeSettings, TimeSettingsChange};
use stint_api::ErrorCode;
use stint_storage::{may, Capability, Storage, WorkspaceScope};

use crate::error::ApiError;

/// The workspace's settings, made with the defaults when this is the first read.
pub async fn read(storage: &dyn Storage, scope: &WorkspaceScope) -> Result<TimeSettings, ApiError> {
    if let Some(settings) = storage.time_settings(scope).await? {
        return Ok(settings);
    }
    let mut tx = storage.begin_in(scope).await?;
    tx.insert_time_settings(scope, &TimeSettings::default())
        .await?;
    // Made here, or by a request that was first: either way, what is there now.
    let settings = tx.time_settings(scope).await?.unwrap_or_default();
    tx.commit().await?;
    Ok(settings)
}

/// Changes what `change` names; nothing is written when one value is out of range (422
/// `invalid_setting`, naming it).
pub async fn change(
    storage: &dyn Storage,
    settings: Capability<'_, may::ChangeSettings>,
    change: &TimeSettingsChange,
    now: DateTime<Utc>,
) -> Result<TimeSettings, ApiError> {
    let scope = settings.scope();
    let mut tx = storage.begin_in(scope).await?;
    tx.insert_time_settings(scope, &TimeSettings::default())
        .await?;
    tx.lock_time_settings(settings).await?;
    let current = tx.time_settings(scope).await?.unwrap_or_default();
    let next = changed(current, change, now);
    next.check().map_err(|refused| {
        ApiError::new(ErrorCode::InvalidSetting, refused.message)
            .with_details(json!({ "field": refused.field }))
    })?;
    tx.update_time_settings(settings, &next).await?;
    tx.commit().await?;
    Ok(next)
}

/// `current` with what `change` names put in.
fn changed(current: TimeSettings, change: &TimeSettingsChange, now: DateTime<Utc>) -> TimeSettings {
    let c = change.clone();
    TimeSettings {
        week_start_day: c.week_start_day.unwrap_or(current.week_start_day),
        rounding_minutes: c.rounding_minutes.unwrap_or(current.rounding_minutes),
        rounding_strategy: c.rounding_strategy.unwrap_or(current.rounding_strategy),
        default_billable: c.default_billable.unwrap_or(current.default_billable),
        require_description: c.require_description.unwrap_or(current.require_description),
        allow_future_entries: c
            .allow_future_entries
            .unwrap_or(current.allow_future_entries),
        auto_submit_day: c.auto_submit_day.unwrap_or(current.auto_submit_day),
        default_hourly_rate_cents: c
            .default_hourly_rate_cents
            .unwrap_or(current.default_hourly_rate_cents),
        default_currency: c.default_currency.unwrap_or(current.default_currency),
        default_weekly_hours: c
            .default_weekly_hours
            .unwrap_or(current.default_weekly_hours),
        runaway_timer_hours: c.runaway_timer_hours.unwrap_or(current.runaway_timer_hours),
        runaway_auto_stop: c.runaway_auto_stop.unwrap_or(current.runaway_auto_stop),
        idle_minutes: c.idle_minutes.unwrap_or(current.idle_minutes),
        pomodoro_focus_minutes: c
            .pomodoro_focus_minutes
            .unwrap_or(current.pomodoro_focus_minutes),
        pomodoro_break_minutes: c
            .pomodoro_break_minutes
            .unwrap_or(current.pomodoro_break_minutes),
        pomodoro_long_break_minutes: c
            .pomodoro_long_break_minutes
            .unwrap_or(current.pomodoro_long_break_minutes),
        // Dismissed once: a second dismissal keeps the first instant.
        onboarding_dismissed_at: match c.onboarding_dismissed {
            Some(true) => current.onboarding_dismissed_at.or(Some(now)),
            Some(false) => None,
            None => current.onboarding_dismissed_at,
        },
        automatic_entry_status: c
            .automatic_entry_status
            .unwrap_or(current.automatic_entry_status),
        unassign_others_on_start: c
            .unassign_others_on_start
            .unwrap_or(current.unassign_others_on_start),
        allow_review_before_submit: c
            .allow_review_before_submit
            .unwrap_or(current.allow_review_before_submit),
    }
}
