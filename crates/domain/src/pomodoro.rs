//! T10: Pomodoro on a running timer — focus, a short break, focus … and a long break after
//! every 4th focus, with the workspace's lengths. The timer runs during focus and is paused
//! during breaks, so the entry holds the focus time only. A Pomodoro needs someone following
//! it: a phase end nobody saw come (the computer slept, Stint was not running) is not replayed
//! afterwards — that would count the sleep as focus — but ends the Pomodoro there (`step`).

use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::{Instant, TimeSettings};

/// Focus sessions before a long break.
pub const FOCUS_PER_LONG_BREAK: u32 = 4;

/// How late a phase end may be noticed and still be followed: a watcher looks at least every
/// minute, so later than this nobody was looking.
const MISSED_AFTER: Duration = Duration::minutes(2);

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

    /// What to do at `now`: nothing, begin the next phase (from this one's end), or — the end
    /// was missed — stop the Pomodoro where this phase ended.
    pub fn step(&self, now: Instant, lengths: &PomodoroLengths) -> PomodoroStep {
        let ends_at = self.ends_at(lengths);
        if now < ends_at {
            PomodoroStep::Stay
        } else if now - ends_at > MISSED_AFTER {
            PomodoroStep::Missed { ended_at: ends_at }
        } else {
            PomodoroStep::Next(self.next(ends_at))
        }
    }
}

/// What a look at a Pomodoro calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PomodoroStep {
    Stay,
    Next(Pomodoro),
    Missed { ended_at: Instant },
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

    /// Each phase from the end of the one before, looked at every `every` minutes.
    fn followed(until: i64, every: i64) -> Vec<Pomodoro> {
        let mut current = Pomodoro::start(at(0));
        let mut phases = vec![current];
        for minute in (0..=until).step_by(every as usize) {
            match current.step(at(minute), &LENGTHS) {
                PomodoroStep::Stay => {}
                PomodoroStep::Next(next) => {
                    current = next;
                    phases.push(next);
                }
                PomodoroStep::Missed { .. } => panic!("missed at {minute} looking every {every}"),
            }
        }
        phases
    }

    #[test]
    fn four_focus_sessions_then_a_long_break() {
        use PomodoroPhase::*;
        let first: Vec<_> = followed(159, 1)
            .iter()
            .map(|p| (p.phase, (p.phase_started - at(0)).num_minutes()))
            .collect();
        assert_eq!(
            first,
            [
                (Focus, 0),
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
    fn a_phase_end_nobody_saw_ends_the_pomodoro_there() {
        let focus = Pomodoro::start(at(0));
        assert_eq!(focus.step(at(24), &LENGTHS), PomodoroStep::Stay);
        assert_eq!(
            focus.step(at(27), &LENGTHS),
            PomodoroStep::Next(focus.next(at(25)))
        );
        assert_eq!(
            focus.step(at(90), &LENGTHS),
            PomodoroStep::Missed { ended_at: at(25) }
        );
        let skipped = focus.next(at(10));
        assert_eq!(skipped.phase, PomodoroPhase::ShortBreak);
        assert_eq!(skipped.ends_at(&LENGTHS), at(15));
    }

    proptest! {
        /// Looked at every minute or two, a Pomodoro goes phase after phase without a gap, with
        /// one long break for every 4 focus sessions; a longer gap after a phase end stops it.
        #[test]
        fn followed_closely_it_never_misses(until in 0i64..2000, every in 1i64..=2) {
            let phases = followed(until, every);
            for pair in phases.windows(2) {
                prop_assert_eq!(pair[0].ends_at(&LENGTHS), pair[1].phase_started);
            }
            let long_breaks = phases.iter().filter(|p| p.phase == PomodoroPhase::LongBreak).count();
            let last = phases.last().unwrap();
            prop_assert_eq!(long_breaks, (last.focus_done / FOCUS_PER_LONG_BREAK) as usize);
        }

        #[test]
        fn a_late_look_stops_it_at_the_phase_end(late in 3i64..1000) {
            let focus = Pomodoro::start(at(0));
            prop_assert_eq!(focus.step(at(25 + late), &LENGTHS), PomodoroStep::Missed { ended_at: at(25) });
        }
    }
}
