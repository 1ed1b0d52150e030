//! A workspace's time settings (S).

use async_trait::async_trait;
use stint_domain::TimeSettings;
use stint_storage::{may, Capability, Result, SettingsWrites, StorageError, WorkspaceScope};

use super::PostgresTransaction;
use crate::convert::storage_error;
use crate::reads;

#[async_trait]
impl SettingsWrites for PostgresTransaction {
    async fn time_settings(&mut self, scope: &WorkspaceScope) -> Result<Option<TimeSettings>> {
        self.enter(scope).await?;
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

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn lock_time_settings(
        &mut self,
        change: Capability<'_, may::ChangeSettings>,
    ) -> Result<()> {
        self.enter(change.scope()).await?;
        sqlx::query!(
            "SELECT workspace_id FROM time_settings WHERE workspace_id = $1 FOR UPDATE",
            change.scope().workspace_id()
        )
        .fetch_optional(self.conn())
        .await
        .map_err(storage_error)?;
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

impl PostgresTransaction {
    /// Writes the workspace's row: over the one there (`replace`) or only when there is none.
    /// Whether it wrote.
    async fn put_time_settings(
        &mut self,
        scope: &WorkspaceScope,
        s: &TimeSettings,
        replace: bool,
    ) -> Result<bool> {
        self.enter(scope).await?;
        let small = |value: i64| {
            i16::try_from(value).map_err(|_| StorageError::Other(format!("setting {value}")))
        };
        let weekly_minutes = (s.default_weekly_hours * 60.0).round() as i32;
        let (strategy, status) = (
            s.rounding_strategy.as_str(),
            s.automatic_entry_status.as_str(),
        );
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
             WHERE $22::boolean",
            scope.workspace_id(),
            small(s.week_start_day)?,
            small(s.rounding_minutes)?,
            strategy,
            s.default_billable,
            s.require_description,
            s.allow_future_entries,
            s.auto_submit_day.map(small).transpose()?,
            s.default_hourly_rate_cents,
            s.default_currency,
            weekly_minutes,
            small(s.runaway_timer_hours)?,
            s.runaway_auto_stop,
            small(s.idle_minutes)?,
            small(s.pomodoro_focus_minutes)?,
            small(s.pomodoro_break_minutes)?,
            small(s.pomodoro_long_break_minutes)?,
            s.onboarding_dismissed_at,
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
