//! A workspace's time settings (S): read by every member, changed with `time:settings`.

use serde::{Deserialize, Serialize};
use stint_domain::{EntryStatus, RoundingStrategy};
use ts_rs::TS;
use utoipa::ToSchema;

pub use stint_domain::TimeSettings;

/// What to change of the time settings: fields left out stay as they are. Each value is checked
/// against the spec's range; the first one outside it is refused with `details.field`. The
/// schema gives the ranges; rounding takes 0, 5, 6, 15 or 30 minutes only, and the automatic
/// status is `submitted` or `approved`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct TimeSettingsChange {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false, minimum = 0, maximum = 6)]
    #[ts(optional, type = "number")]
    pub week_start_day: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false, minimum = 0, maximum = 30)]
    #[ts(optional, type = "number")]
    pub rounding_minutes: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub rounding_strategy: Option<RoundingStrategy>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub default_billable: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub require_description: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub allow_future_entries: Option<bool>,
    /// 0 (Sunday) to 6; `null` for none.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::value_or_null"
    )]
    #[schema(value_type = Option<i64>, nullable = true, minimum = 0, maximum = 6)]
    #[ts(optional, type = "number | null")]
    pub auto_submit_day: Option<Option<i64>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false, minimum = 0, maximum = 100000000)]
    #[ts(optional, type = "number")]
    pub default_hourly_rate_cents: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false, pattern = "^[A-Z]{3}$")]
    #[ts(optional)]
    pub default_currency: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false, exclusive_minimum = 0, maximum = 168)]
    #[ts(optional)]
    pub default_weekly_hours: Option<f64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false, minimum = 1, maximum = 168)]
    #[ts(optional, type = "number")]
    pub runaway_timer_hours: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub runaway_auto_stop: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false, minimum = 1, maximum = 480)]
    #[ts(optional, type = "number")]
    pub idle_minutes: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false, minimum = 1, maximum = 480)]
    #[ts(optional, type = "number")]
    pub pomodoro_focus_minutes: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false, minimum = 1, maximum = 480)]
    #[ts(optional, type = "number")]
    pub pomodoro_break_minutes: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false, minimum = 1, maximum = 480)]
    #[ts(optional, type = "number")]
    pub pomodoro_long_break_minutes: Option<i64>,
    /// `true` hides the onboarding checklist (from now), `false` shows it again.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub onboarding_dismissed: Option<bool>,
    /// `submitted` or `approved`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub automatic_entry_status: Option<EntryStatus>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub unassign_others_on_start: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    #[schema(nullable = false)]
    #[ts(optional)]
    pub allow_review_before_submit: Option<bool>,
}
