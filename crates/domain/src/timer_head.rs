//! The server's view of a timer: its first start, the counted time of its closed segments and its
//! last segment. A pause, resume or stop reads and writes only these, so the 1,000th change costs
//! what the first did; the segments themselves are stored one row each, for display.

use crate::timer::{Segment, TimerError, TimerState};
use crate::Instant;

/// A timer is refused more segments than this (each resume opens one): no honest day needs
/// them, and each is a row the device downloads.
pub const MAX_SEGMENTS: u32 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerHead {
    pub started_at: Instant,
    /// Counted milliseconds of every segment before `last`.
    pub closed_millis: i64,
    /// How many segments the timer has, `last` included.
    pub segment_count: u32,
    pub last: Segment,
}

/// What a stop leaves behind: the entry's span and counted time, and the closed last segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoppedHead {
    pub started_at: Instant,
    pub ended_at: Instant,
    pub duration_secs: i64,
    pub last: Segment,
}

impl TimerHead {
    pub fn start(at: Instant) -> TimerHead {
        TimerHead {
            started_at: at,
            closed_millis: 0,
            segment_count: 1,
            last: Segment {
                start: at,
                end: None,
            },
        }
    }

    pub fn state(&self) -> TimerState {
        match self.last.end {
            None => TimerState::Running,
            Some(_) => TimerState::Paused,
        }
    }

    /// The instant of the last start, pause or resume: no later change may come before it.
    pub fn last_change(&self) -> Instant {
        self.last.end.unwrap_or(self.last.start)
    }

    pub fn pause(&mut self, at: Instant) -> Result<(), TimerError> {
        self.check_not_before_last_change(at)?;
        if self.last.end.is_some() {
            return Err(TimerError::AlreadyPaused);
        }
        self.last.end = Some(at);
        Ok(())
    }

    pub fn resume(&mut self, at: Instant) -> Result<(), TimerError> {
        self.check_not_before_last_change(at)?;
        let Some(end) = self.last.end else {
            return Err(TimerError::NotPaused);
        };
        if self.segment_count >= MAX_SEGMENTS {
            return Err(TimerError::TooManySegments { max: MAX_SEGMENTS });
        }
        self.closed_millis += counted_millis(self.last.start, end);
        self.segment_count += 1;
        self.last = Segment {
            start: at,
            end: None,
        };
        Ok(())
    }

    /// Counted seconds at `now`: pauses left out, a paused timer's count standing still.
    pub fn counted_secs(&self, now: Instant) -> i64 {
        let last_end = self.last.end.unwrap_or(now);
        (self.closed_millis + counted_millis(self.last.start, last_end)) / 1000
    }

    /// When this running timer's counted time reaches `limit` (T8: a runaway); `None` while it
    /// is paused. Not before its last start, when it counted more than `limit` already.
    pub fn reaches(&self, limit: chrono::Duration) -> Option<Instant> {
        if self.last.end.is_some() {
            return None;
        }
        let left = limit - chrono::Duration::milliseconds(self.closed_millis);
        Some(self.last.start + left.max(chrono::Duration::zero()))
    }

    /// Stops at `at`; a paused timer ends where its last segment ended (as `Timer::stop`).
    pub fn stop(self, at: Instant) -> Result<StoppedHead, TimerError> {
        self.check_not_before_last_change(at)?;
        let ended_at = self.last.end.unwrap_or(at);
        let millis = self.closed_millis + counted_millis(self.last.start, ended_at);
        Ok(StoppedHead {
            started_at: self.started_at,
            ended_at,
            duration_secs: millis / 1000,
            last: Segment {
                start: self.last.start,
                end: Some(ended_at),
            },
        })
    }

    fn check_not_before_last_change(&self, at: Instant) -> Result<(), TimerError> {
        let last = self.last_change();
        if at < last {
            return Err(TimerError::BeforeLastChange { at, last });
        }
        Ok(())
    }
}

/// A segment's counted time; a clock that went back counts zero, as in `Timer`.
fn counted_millis(start: Instant, end: Instant) -> i64 {
    (end - start).num_milliseconds().max(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timer::Timer;
    use chrono::{Duration, TimeZone, Utc};
    use proptest::prelude::*;

    fn t(millis: i64) -> Instant {
        Utc.timestamp_millis_opt(1_800_000_000_000 + millis)
            .unwrap()
    }

    #[test]
    fn resumes_stop_at_the_segment_cap() {
        let mut head = TimerHead::start(t(0));
        for n in 1..MAX_SEGMENTS {
            head.pause(t(i64::from(n) * 10)).unwrap();
            head.resume(t(i64::from(n) * 10 + 5)).unwrap();
        }
        assert_eq!(head.segment_count, MAX_SEGMENTS);
        head.pause(t(100_000)).unwrap();
        assert_eq!(
            head.resume(t(100_001)),
            Err(TimerError::TooManySegments { max: MAX_SEGMENTS })
        );
    }

    #[test]
    fn a_runaway_is_counted_time_not_the_clock() {
        let hour = Duration::hours(1);
        let mut head = TimerHead::start(t(0));
        assert_eq!(head.reaches(hour * 12), Some(t(0) + hour * 12));
        // An hour paused moves the limit an hour on; while paused it is never reached.
        head.pause(t(0) + hour * 2).unwrap();
        assert_eq!(head.reaches(hour * 12), None);
        head.resume(t(0) + hour * 3).unwrap();
        assert_eq!(head.reaches(hour * 12), Some(t(0) + hour * 13));
        assert_eq!(head.counted_secs(t(0) + hour * 13), 12 * 3600);
        // Past the limit already (it was raised, then lowered): from the last start.
        assert_eq!(head.reaches(hour), Some(t(0) + hour * 3));
    }

    /// One step: pause, resume or stop, `gap` milliseconds after the previous instant (negative:
    /// a device clock that went back).
    fn steps() -> impl Strategy<Value = Vec<(u8, i64)>> {
        proptest::collection::vec((0u8..3, -5_000i64..50_000), 0..40)
    }

    proptest! {
        /// The head gives the same answers and the same durations as the full segment list.
        #[test]
        fn the_head_agrees_with_the_full_timer(steps in steps()) {
            let mut timer = Timer::start(t(0));
            let mut head = TimerHead::start(t(0));
            let mut now = t(0);
            for (op, gap) in steps {
                now += Duration::milliseconds(gap);
                match op {
                    0 => prop_assert_eq!(timer.pause(now), head.pause(now)),
                    1 => prop_assert_eq!(timer.resume(now), head.resume(now)),
                    _ => {
                        let (full, fast) = (timer.clone().stop(now), head.stop(now));
                        match (full, fast) {
                            (Ok(full), Ok(fast)) => {
                                prop_assert_eq!(full.duration_secs, fast.duration_secs);
                                prop_assert_eq!(full.started_at, fast.started_at);
                                prop_assert_eq!(full.ended_at, fast.ended_at);
                                prop_assert_eq!(full.segments.last().copied(), Some(fast.last));
                            }
                            (full, fast) => prop_assert_eq!(full.err(), fast.err()),
                        }
                    }
                }
                prop_assert_eq!(timer.state(), head.state());
                prop_assert_eq!(timer.last_change(), head.last_change());
                prop_assert_eq!(timer.segments().len() as u32, head.segment_count);
                prop_assert_eq!(timer.segments().last().copied(), Some(head.last));
            }
        }
    }
}
