//! T10: Pomodoro on a running timer — focus, a short break, focus … and a long break after
//! every 4th focus, with the workspace's lengths. The timer runs during focus and is paused
//! during breaks, so the entry holds the focus time only. Phases follow the clock, not the app:
//! after a sleep every phase change that came due is made at its own instant (`due`).

use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::{Instant, TimeSettings};

/// Focus sessions before a long break.
pub const FOCUS_PER_LONG_BREAK: u32 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum PomodoroPhase {
    Focus,
    ShortBreak,
    LongBreak,
}

/// Where a Pomodoro is: its phase, since when, and how many focus sessions are done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pomodoro {
    pub phase: PomodoroPhase,
    pub phase_started: Instant,
    pub focus_done: u32,
}

/// The lengths of the phases, from the workspace's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PomodoroLengths {
    pub focus: Duration,
    pub short_break: Duration,
    pub long_break: Duration,
}

impl PomodoroLengths {
    pub fn of(settings: &TimeSettings) -> PomodoroLengths {
        // Settings hold at least a minute each (S); never a phase of no time.
        let minutes = |m: i64| Duration::minutes(m.max(1));
        PomodoroLengths {
            focus: minutes(settings.pomodoro_focus_minutes),
            short_break: minutes(settings.pomodoro_break_minutes),
            long_break: minutes(settings.pomodoro_long_break_minutes),
        }
    }
}

impl Pomodoro {
    /// The first focus, from `at`.
    pub fn start(at: Instant) -> Pomodoro {
        Pomodoro {
            phase: PomodoroPhase::Focus,
            phase_started: at,
            focus_done: 0,
        }
    }

    pub fn ends_at(&self, lengths: &PomodoroLengths) -> Instant {
        self.phase_started
            + match self.phase {
                PomodoroPhase::Focus => lengths.focus,
                PomodoroPhase::ShortBreak => lengths.short_break,
                PomodoroPhase::LongBreak => lengths.long_break,
            }
    }

    /// The phase after this one, from `at` (its end, or earlier for a skip).
    pub fn next(&self, at: Instant) -> Pomodoro {
        match self.phase {
            PomodoroPhase::Focus => {
                let focus_done = self.focus_done + 1;
                let phase = if focus_done.is_multiple_of(FOCUS_PER_LONG_BREAK) {
                    PomodoroPhase::LongBreak
                } else {
                    PomodoroPhase::ShortBreak
                };
                Pomodoro {
                    phase,
                    phase_started: at,
                    focus_done,
                }
            }
            PomodoroPhase::ShortBreak | PomodoroPhase::LongBreak => Pomodoro {
                phase: PomodoroPhase::Focus,
                phase_started: at,
                focus_done: self.focus_done,
            },
        }
    }

    /// Every phase that began by `now` after this one, in order, each from the end of the one
    /// before: one after a phase's end, several after a long sleep.
    pub fn due(&self, now: Instant, lengths: &PomodoroLengths) -> Vec<Pomodoro> {
        let mut phases = Vec::new();
        let mut current = *self;
        while current.ends_at(lengths) <= now {
            current = current.next(current.ends_at(lengths));
            phases.push(current);
        }
        phases
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(minutes: i64) -> Instant {
        chrono::Utc.timestamp_opt(1_800_000_000, 0).unwrap() + Duration::minutes(minutes)
    }

    const LENGTHS: PomodoroLengths = PomodoroLengths {
        focus: Duration::minutes(25),
        short_break: Duration::minutes(5),
        long_break: Duration::minutes(15),
    };

    #[test]
    fn four_focus_sessions_then_a_long_break() {
        use PomodoroPhase::*;
        let phases = Pomodoro::start(at(0)).due(at(24 * 60), &LENGTHS);
        let first: Vec<_> = phases
            .iter()
            .take(9)
            .map(|p| (p.phase, (p.phase_started - at(0)).num_minutes()))
            .collect();
        assert_eq!(
            first,
            [
                (ShortBreak, 25),
                (Focus, 30),
                (ShortBreak, 55),
                (Focus, 60),
                (ShortBreak, 85),
                (Focus, 90),
                (LongBreak, 115),
                (Focus, 130),
                (ShortBreak, 155),
            ]
        );
    }

    #[test]
    fn nothing_is_due_before_the_phase_ends_and_a_skip_starts_the_next_now() {
        let focus = Pomodoro::start(at(0));
        assert!(focus.due(at(24), &LENGTHS).is_empty());
        let skipped = focus.next(at(10));
        assert_eq!(skipped.phase, PomodoroPhase::ShortBreak);
        assert_eq!(skipped.ends_at(&LENGTHS), at(15));
    }

    proptest! {
        /// Catching up after any sleep gives the phase a live app would be in, and every phase
        /// before it keeps its full length.
        #[test]
        fn catching_up_follows_the_clock(minutes in 0i64..2000, looks in 1usize..20) {
            let mut live = Pomodoro::start(at(0));
            for step in 1..=looks {
                let now = at(minutes * step as i64 / looks as i64);
                if let Some(last) = live.due(now, &LENGTHS).last() {
                    live = *last;
                }
            }
            let all = Pomodoro::start(at(0)).due(at(minutes), &LENGTHS);
            let caught_up = all.last().copied().unwrap_or(Pomodoro::start(at(0)));
            prop_assert_eq!(live, caught_up);
            prop_assert!(caught_up.phase_started <= at(minutes));
            prop_assert!(at(minutes) < caught_up.ends_at(&LENGTHS));
            for pair in all.windows(2) {
                prop_assert_eq!(pair[0].ends_at(&LENGTHS), pair[1].phase_started);
            }
            let long_breaks = all.iter().filter(|p| p.phase == PomodoroPhase::LongBreak).count();
            let focus_done = caught_up.focus_done as usize;
            prop_assert_eq!(long_breaks, focus_done / FOCUS_PER_LONG_BREAK as usize);
        }
    }
}
