//! T9: when a running timer's user is away, and when they are back. The desktop looks at the
//! OS idle time (seconds since the last input) now and then while a timer runs; each look is
//! one `IdleLook`, and `IdleWatch::look` says what it means. A suspend counts as idle: the
//! desktop finds it by the wall clock moving on more than the monotonic clock, which stops
//! while the machine sleeps (`slept`).

use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::Instant;

/// A sleep shorter than this is taken for scheduling noise, not a suspend.
const SLEEP_NOISE_SECS: i64 = 5;

/// A period the user was away from a running timer: from their last input before it to their
/// first input after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Away {
    pub since: Instant,
    pub back_at: Instant,
}

/// What one look at the idle time means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdleLook {
    /// The user is at the machine, and was at the last look too.
    Present,
    /// The user has been away for *idle minutes* or more, since this instant.
    Away(Instant),
    /// The user came back after being away: ask them what to do with the period.
    Back(Away),
}

/// What the desktop knows between two looks: since when the user is away, if they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IdleWatch {
    pub away_since: Option<Instant>,
}

impl IdleWatch {
    /// One look at `now`: no input for `idle_for`, with `threshold` the workspace's *idle
    /// minutes*. The last input was at `now - idle_for`; being away starts there, and ends at
    /// the first input after it — the last input of a look that finds the user present.
    pub fn look(&mut self, now: Instant, idle_for: Duration, threshold: Duration) -> IdleLook {
        let last_input = now - idle_for.max(Duration::zero());
        if idle_for >= threshold {
            // Keep the earliest start: a later look may read less (a suspend told as idle,
            // then the OS's own counter), without the user having come back.
            let since = self.away_since.map_or(last_input, |s| s.min(last_input));
            self.away_since = Some(since);
            return IdleLook::Away(since);
        }
        match self.away_since.take() {
            Some(since) if last_input > since => IdleLook::Back(Away {
                since,
                back_at: last_input,
            }),
            // An input at or before the start read back: nothing was missed.
            _ => IdleLook::Present,
        }
    }
}

/// How long the machine slept between two looks: the wall clock moved `wall` while the
/// monotonic clock (stopped during a suspend) moved `monotonic`. None for no sleep.
pub fn slept(wall: Duration, monotonic: Duration) -> Option<Duration> {
    let gap = wall - monotonic;
    (gap > Duration::seconds(SLEEP_NOISE_SECS)).then_some(gap)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(secs: i64) -> Instant {
        chrono::Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
    }

    const TEN_MIN: i64 = 600;

    fn look(watch: &mut IdleWatch, now: i64, idle: i64) -> IdleLook {
        watch.look(at(now), Duration::seconds(idle), Duration::seconds(TEN_MIN))
    }

    #[test]
    fn away_for_idle_minutes_then_back_asks_once() {
        let mut watch = IdleWatch::default();
        assert_eq!(look(&mut watch, 0, 0), IdleLook::Present);
        assert_eq!(look(&mut watch, 599, 599), IdleLook::Present);
        assert_eq!(look(&mut watch, 600, 600), IdleLook::Away(at(0)));
        assert_eq!(look(&mut watch, 1200, 1200), IdleLook::Away(at(0)));
        // Input at 1500, seen at 1510.
        assert_eq!(
            look(&mut watch, 1510, 10),
            IdleLook::Back(Away {
                since: at(0),
                back_at: at(1500)
            })
        );
        assert_eq!(look(&mut watch, 1520, 20), IdleLook::Present);
    }

    #[test]
    fn a_suspend_told_as_idle_keeps_its_start_when_the_os_counter_reads_less() {
        let mut watch = IdleWatch::default();
        // The machine slept from 0 to 3600: the desktop tells it as an hour of idle time.
        assert_eq!(look(&mut watch, 3600, 3600), IdleLook::Away(at(0)));
        // The OS's counter was reset by the resume, and the user typed at 3602.
        assert_eq!(
            look(&mut watch, 3605, 3),
            IdleLook::Back(Away {
                since: at(0),
                back_at: at(3602)
            })
        );
    }

    #[test]
    fn sleeps_are_told_from_the_clocks() {
        let s = Duration::seconds;
        assert_eq!(slept(s(10), s(10)), None);
        assert_eq!(slept(s(12), s(10)), None, "scheduling noise");
        assert_eq!(slept(s(3610), s(10)), Some(s(3600)));
        assert_eq!(slept(s(5), s(10)), None, "the wall clock set back");
    }

    proptest! {
        /// Over any timeline of inputs looked at every few seconds: each prompt starts at an
        /// input followed by at least *idle minutes* without one, and ends at the return (the
        /// last input the look that saw it found: within one look of the first); and every
        /// such gap that looks saw from inside and after is prompted.
        #[test]
        fn prompts_are_the_long_gaps(
            gaps in proptest::collection::vec(1i64..1500, 1..30),
            every in 1i64..60,
        ) {
            let inputs: Vec<i64> = gaps.iter().scan(0, |t, g| { *t += g; Some(*t) }).collect();
            let end = *inputs.last().unwrap() + every;
            let looks: Vec<i64> = (inputs[0]..=end).step_by(every as usize).collect();
            let mut watch = IdleWatch::default();
            let mut prompts = Vec::new();
            for &now in &looks {
                let last = *inputs.iter().rfind(|&&i| i <= now).unwrap();
                if let IdleLook::Back(away) = look(&mut watch, now, now - last) {
                    prompts.push(away);
                }
            }
            let next_input = |t: i64| *inputs.iter().find(|&&i| i > t).unwrap();
            for away in &prompts {
                let since = (away.since - at(0)).num_seconds();
                let back = (away.back_at - at(0)).num_seconds();
                let returned = next_input(since);
                prop_assert!(inputs.contains(&since) && inputs.contains(&back));
                prop_assert!(returned - since >= TEN_MIN);
                prop_assert!(back >= returned && back - returned < every);
            }
            for pair in inputs.windows(2) {
                let (since, returned) = (pair[0], pair[1]);
                let looked_away = looks.iter().any(|&t| t >= since + TEN_MIN && t < returned);
                if looked_away {
                    prop_assert!(prompts.iter().any(|a| a.since == at(since)));
                }
            }
        }
    }
}
