//! A workspace's time settings (S) — one row per workspace, the spec's defaults until an admin
//! changes them — and the rounding of a stopped timer's duration (T7).

use serde::{Deserialize, Serialize};

use crate::EntryStatus;

/// The rounding granularities a workspace may choose, in minutes (0: no rounding).
pub const ROUNDING_MINUTES: [i64; 5] = [0, 5, 6, 15, MAX_ROUNDING_MINUTES];
/// The largest granularity: a rounded duration is less than this from the counted one.
pub const MAX_ROUNDING_MINUTES: i64 = 30;

/// How a duration that is not a multiple of the granularity is rounded (T7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum RoundingStrategy {
    Nearest,
    Up,
    Down,
}

impl RoundingStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            RoundingStrategy::Nearest => "nearest",
            RoundingStrategy::Up => "up",
            RoundingStrategy::Down => "down",
        }
    }

    pub fn parse(s: &str) -> Option<RoundingStrategy> {
        [
            RoundingStrategy::Nearest,
            RoundingStrategy::Up,
            RoundingStrategy::Down,
        ]
        .into_iter()
        .find(|strategy| strategy.as_str() == s)
    }
}

/// T7: `secs` rounded to `minutes` (0: unchanged) the `strategy`'s way. An exact multiple stays
/// as it is, so rounding twice gives what rounding once gave; a half-way duration rounds up.
pub fn round_duration(secs: i64, minutes: i64, strategy: RoundingStrategy) -> i64 {
    let step = minutes * 60;
    if step == 0 {
        return secs;
    }
    let below = secs - secs.rem_euclid(step);
    if below == secs {
        return secs;
    }
    let up = match strategy {
        RoundingStrategy::Up => true,
        RoundingStrategy::Down => false,
        RoundingStrategy::Nearest => (secs - below) * 2 >= step,
    };
    if up {
        below + step
    } else {
        below
    }
}

/// A workspace's time settings (S). `Default` is the spec's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub struct TimeSettings {
    /// The first day of the timesheet week: 0 is Sunday, 1 Monday … 6 Saturday.
    #[cfg_attr(feature = "wire", ts(type = "number"))]
    pub week_start_day: i64,
    /// Timer-stopped durations are rounded to this many minutes: 0 (none), 5, 6, 15 or 30.
    #[cfg_attr(feature = "wire", ts(type = "number"))]
    pub rounding_minutes: i64,
    pub rounding_strategy: RoundingStrategy,
    /// Whether new entries start out billable.
    pub default_billable: bool,
    /// Entries cannot be submitted without a description (drafts may lack one).
    pub require_description: bool,
    /// Entries may be logged on days after today (in the user's time zone).
    pub allow_future_entries: bool,
    /// The day of the week (0–6) last week's drafts are submitted on; none when unset.
    #[cfg_attr(
        feature = "wire",
        ts(optional, type = "number"),
        schema(nullable = false)
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_submit_day: Option<i64>,
    /// The rate when no override applies, in hundredths of the currency (cents).
    #[cfg_attr(feature = "wire", ts(type = "number"))]
    pub default_hourly_rate_cents: i64,
    /// ISO 4217: three capital letters.
    pub default_currency: String,
    /// The hours of a normal week: the denominator of utilization.
    pub default_weekly_hours: f64,
    /// A timer running longer than this is a runaway (T8).
    #[cfg_attr(feature = "wire", ts(type = "number"))]
    pub runaway_timer_hours: i64,
    /// The server stops a runaway timer at the threshold (T8).
    pub runaway_auto_stop: bool,
    /// Minutes without input before the idle prompt (T9).
    #[cfg_attr(feature = "wire", ts(type = "number"))]
    pub idle_minutes: i64,
    /// Pomodoro lengths in minutes (T10).
    #[cfg_attr(feature = "wire", ts(type = "number"))]
    pub pomodoro_focus_minutes: i64,
    #[cfg_attr(feature = "wire", ts(type = "number"))]
    pub pomodoro_break_minutes: i64,
    #[cfg_attr(feature = "wire", ts(type = "number"))]
    pub pomodoro_long_break_minutes: i64,
    /// When an admin dismissed the onboarding checklist; none while it shows.
    // Spelled out (not `Instant`) so the schema derives recognise the type.
    #[cfg_attr(feature = "wire", ts(optional), schema(nullable = false))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onboarding_dismissed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The status of entries submitted without review (T5): submitted or approved.
    pub automatic_entry_status: EntryStatus,
    /// Start Work removes every other assignee of the task (T2).
    pub unassign_others_on_start: bool,
    /// Non-admins review an entry before submitting it when they stop (T4).
    pub allow_review_before_submit: bool,
}

impl Default for TimeSettings {
    fn default() -> TimeSettings {
        TimeSettings {
            week_start_day: 1,
            rounding_minutes: 0,
            rounding_strategy: RoundingStrategy::Nearest,
            default_billable: false,
            require_description: false,
            allow_future_entries: false,
            auto_submit_day: None,
            default_hourly_rate_cents: 0,
            default_currency: "USD".to_string(),
            default_weekly_hours: 40.0,
            runaway_timer_hours: 12,
            runaway_auto_stop: false,
            idle_minutes: 10,
            pomodoro_focus_minutes: 25,
            pomodoro_break_minutes: 5,
            pomodoro_long_break_minutes: 15,
            onboarding_dismissed_at: None,
            automatic_entry_status: EntryStatus::Submitted,
            unassign_others_on_start: false,
            allow_review_before_submit: true,
        }
    }
}

/// A setting outside its allowed values: which one, and what it allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SettingError {
    pub field: &'static str,
    pub message: String,
}

/// The largest hourly rate taken, in cents: a typo of a few zeros is refused.
const MAX_HOURLY_RATE_CENTS: i64 = 100_000_000;
/// Idle and Pomodoro lengths, in minutes.
const MINUTES: std::ops::RangeInclusive<i64> = 1..=480;
const HOURS_IN_A_WEEK: i64 = 168;

impl TimeSettings {
    /// T7 for a timer stopped with `secs` counted.
    pub fn round_stopped(&self, secs: i64) -> i64 {
        round_duration(secs, self.rounding_minutes, self.rounding_strategy)
    }

    /// Every value within what the spec allows, or the first that is not.
    pub fn check(&self) -> Result<(), SettingError> {
        let refuse = |field: &'static str, message: String| Err(SettingError { field, message });
        if !(0..=6).contains(&self.week_start_day) {
            return refuse(
                "week_start_day",
                "week_start_day must be 0 (Sunday) to 6".into(),
            );
        }
        if !ROUNDING_MINUTES.contains(&self.rounding_minutes) {
            return refuse(
                "rounding_minutes",
                "rounding_minutes must be 0, 5, 6, 15 or 30".into(),
            );
        }
        if self
            .auto_submit_day
            .is_some_and(|day| !(0..=6).contains(&day))
        {
            return refuse(
                "auto_submit_day",
                "auto_submit_day must be 0 (Sunday) to 6".into(),
            );
        }
        if !(0..=MAX_HOURLY_RATE_CENTS).contains(&self.default_hourly_rate_cents) {
            return refuse(
                "default_hourly_rate_cents",
                format!("default_hourly_rate_cents must be 0 to {MAX_HOURLY_RATE_CENTS}"),
            );
        }
        let currency = &self.default_currency;
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return refuse(
                "default_currency",
                "default_currency must be three capital letters (ISO 4217), like USD".into(),
            );
        }
        let weekly = self.default_weekly_hours;
        // Kept in whole minutes: at least one.
        if !((weekly * 60.0).round() >= 1.0 && weekly <= HOURS_IN_A_WEEK as f64) {
            return refuse(
                "default_weekly_hours",
                format!("default_weekly_hours must be a minute to {HOURS_IN_A_WEEK} hours"),
            );
        }
        if !(1..=HOURS_IN_A_WEEK).contains(&self.runaway_timer_hours) {
            return refuse(
                "runaway_timer_hours",
                format!("runaway_timer_hours must be 1 to {HOURS_IN_A_WEEK}"),
            );
        }
        for (field, minutes) in [
            ("idle_minutes", self.idle_minutes),
            ("pomodoro_focus_minutes", self.pomodoro_focus_minutes),
            ("pomodoro_break_minutes", self.pomodoro_break_minutes),
            (
                "pomodoro_long_break_minutes",
                self.pomodoro_long_break_minutes,
            ),
        ] {
            if !MINUTES.contains(&minutes) {
                return refuse(
                    field,
                    format!("{field} must be {} to {}", MINUTES.start(), MINUTES.end()),
                );
            }
        }
        if !matches!(
            self.automatic_entry_status,
            EntryStatus::Submitted | EntryStatus::Approved
        ) {
            return refuse(
                "automatic_entry_status",
                "automatic_entry_status must be submitted or approved".into(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const STRATEGIES: [RoundingStrategy; 3] = [
        RoundingStrategy::Nearest,
        RoundingStrategy::Up,
        RoundingStrategy::Down,
    ];

    #[test]
    fn rounds_the_ways_the_spec_names() {
        use RoundingStrategy::*;
        // 7 min 30 s on a 15-minute grid: half-way goes up.
        assert_eq!(round_duration(450, 15, Nearest), 900);
        assert_eq!(round_duration(449, 15, Nearest), 0);
        assert_eq!(round_duration(61, 5, Up), 300);
        assert_eq!(round_duration(599, 5, Down), 300);
        assert_eq!(round_duration(3 * 60 + 1, 6, Nearest), 360);
        assert_eq!(round_duration(1234, 0, Up), 1234);
        assert_eq!(round_duration(1800, 30, Up), 1800);
    }

    #[test]
    fn the_defaults_are_the_specs_and_valid() {
        let defaults = TimeSettings::default();
        assert_eq!(defaults.check(), Ok(()));
        assert_eq!(defaults.week_start_day, 1);
        assert_eq!(defaults.round_stopped(1234), 1234);
    }

    #[test]
    fn each_value_outside_the_spec_is_refused_by_name() {
        type Spoil = fn(&mut TimeSettings);
        let cases: Vec<(&str, Spoil)> = vec![
            ("week_start_day", |s| s.week_start_day = 7),
            ("week_start_day", |s| s.week_start_day = -1),
            ("rounding_minutes", |s| s.rounding_minutes = 7),
            ("auto_submit_day", |s| s.auto_submit_day = Some(9)),
            ("default_hourly_rate_cents", |s| {
                s.default_hourly_rate_cents = -1
            }),
            ("default_currency", |s| s.default_currency = "usd".into()),
            ("default_currency", |s| s.default_currency = "EURO".into()),
            ("default_weekly_hours", |s| s.default_weekly_hours = -40.0),
            ("default_weekly_hours", |s| {
                s.default_weekly_hours = f64::NAN
            }),
            ("runaway_timer_hours", |s| s.runaway_timer_hours = 0),
            ("runaway_timer_hours", |s| s.runaway_timer_hours = -12),
            ("idle_minutes", |s| s.idle_minutes = 0),
            ("pomodoro_focus_minutes", |s| s.pomodoro_focus_minutes = 481),
            ("automatic_entry_status", |s| {
                s.automatic_entry_status = EntryStatus::Draft
            }),
        ];
        for (field, spoil) in cases {
            let mut settings = TimeSettings::default();
            spoil(&mut settings);
            assert_eq!(settings.check().map_err(|e| e.field), Err(field));
        }
    }

    proptest! {
        /// T7: rounding again changes nothing, moves by less than one granularity, leaves exact
        /// multiples alone, and goes the strategy's way.
        #[test]
        fn rounding_is_idempotent_bounded_and_keeps_multiples(
            secs in 0i64..200_000,
            minutes in proptest::sample::select(ROUNDING_MINUTES.to_vec()),
            strategy in proptest::sample::select(STRATEGIES.to_vec()),
        ) {
            let step = minutes * 60;
            let rounded = round_duration(secs, minutes, strategy);
            prop_assert_eq!(round_duration(rounded, minutes, strategy), rounded);
            if step == 0 {
                prop_assert_eq!(rounded, secs);
            } else {
                prop_assert!((rounded - secs).abs() < step);
                prop_assert_eq!(rounded % step, 0);
                if secs % step == 0 {
                    prop_assert_eq!(rounded, secs);
                }
                match strategy {
                    RoundingStrategy::Up => prop_assert!(rounded >= secs),
                    RoundingStrategy::Down => prop_assert!(rounded <= secs),
                    RoundingStrategy::Nearest => prop_assert!((rounded - secs).abs() * 2 <= step),
                }
            }
        }
    }
}
