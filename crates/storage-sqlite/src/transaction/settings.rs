//! A workspace's time settings (S).

use async_trait::async_trait;
use stint_domain::TimeSettings;
use stint_storage::{may, Capability, Result, SettingsWrites, WorkspaceScope};

use super::SqliteTransaction;
use crate::convert::{millis, storage_error};
use crate::reads;

#[async_trait]
impl SettingsWrites for SqliteTransaction {
    async fn time_settings(&mut self, scope: &WorkspaceScope) -> Result<Option<TimeSettings>> {
        reads::time_settings(self.conn(), scope.workspace_id()).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn insert_time_settings(
        &mut self,
        scope: &WorkspaceScope,
        settings: &TimeSettings,
    ) -> Result<bool> {
        self.put_time_settings(scope, settings, false).await
    }

    async fn lock_time_settings(&mut self, _: Capability<'_, may::ChangeSettings>) -> Result<()> {
        // The one writer connection (`BEGIN IMMEDIATE`) already makes writers take turns.
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn update_time_settings(
        &mut self,
        change: Capability<'_, may::ChangeSettings>,
        settings: &TimeSettings,
    ) -> Result<()> {
        self.put_time_settings(change.scope(), settings, true)
            .await
            .map(|_| ())
    }
}

impl SqliteTransaction {
    /// Writes the workspace's row: over the one there (`replace`) or only when there is none.
    /// Whether it wrote.
    async fn put_time_settings(
        &mut self,
        scope: &WorkspaceScope,
        s: &TimeSettings,
        replace: bool,
    ) -> Result<bool> {
        let workspace = scope.workspace_id().to_string();
        let weekly_minutes = (s.default_weekly_hours * 60.0).round() as i64;
        let (strategy, status) = (
            s.rounding_strategy.as_str(),
            s.automatic_entry_status.as_str(),
        );
        let dismissed = s.onboarding_dismissed_at.map(millis);
        let written = sqlx::query!(
            "INSERT INTO time_settings (workspace_id, week_start_day, rounding_minutes, \
                 rounding_strategy, default_billable, require_description, allow_future_entries, \
                 auto_submit_day, default_hourly_rate_cents, default_currency, \
                 default_weekly_minutes, runaway_timer_hours, runaway_auto_stop, idle_minutes, \
                 pomodoro_focus_minutes, pomodoro_break_minutes, pomodoro_long_break_minutes, \
                 onboarding_dismissed_at, automatic_entry_status, unassign_others_on_start, \
                 allow_review_before_submit) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
                 $18, $19, $20, $21) \
             ON CONFLICT (workspace_id) DO UPDATE SET week_start_day = excluded.week_start_day, \
                 rounding_minutes = excluded.rounding_minutes, \
                 rounding_strategy = excluded.rounding_strategy, \
                 default_billable = excluded.default_billable, \
                 require_description = excluded.require_description, \
                 allow_future_entries = excluded.allow_future_entries, \
                 auto_submit_day = excluded.auto_submit_day, \
                 default_hourly_rate_cents = excluded.default_hourly_rate_cents, \
                 default_currency = excluded.default_currency, \
                 default_weekly_minutes = excluded.default_weekly_minutes, \
                 runaway_timer_hours = excluded.runaway_timer_hours, \
                 runaway_auto_stop = excluded.runaway_auto_stop, \
                 idle_minutes = excluded.idle_minutes, \
                 pomodoro_focus_minutes = excluded.pomodoro_focus_minutes, \
                 pomodoro_break_minutes = excluded.pomodoro_break_minutes, \
                 pomodoro_long_break_minutes = excluded.pomodoro_long_break_minutes, \
                 onboarding_dismissed_at = excluded.onboarding_dismissed_at, \
                 automatic_entry_status = excluded.automatic_entry_status, \
                 unassign_others_on_start = excluded.unassign_others_on_start, \
                 allow_review_before_submit = excluded.allow_review_before_submit \
             WHERE $22",
            workspace,
            s.week_start_day,
            s.rounding_minutes,
            strategy,
            s.default_billable,
            s.require_description,
            s.allow_future_entries,
            s.auto_submit_day,
            s.default_hourly_rate_cents,
            s.default_currency,
            weekly_minutes,
            s.runaway_timer_hours,
            s.runaway_auto_stop,
            s.idle_minutes,
            s.pomodoro_focus_minutes,
            s.pomodoro_break_minutes,
            s.pomodoro_long_break_minutes,
            dismissed,
            status,
            s.unassign_others_on_start,
            s.allow_review_before_submit,
            replace
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(written.rows_affected() > 0)
    }
}
