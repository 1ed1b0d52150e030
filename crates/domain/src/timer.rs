//! A timer is a list of segments: each Start/Resume opens one, each Pause/Stop closes it (T3).
//! Durations are always computed from the stored instants, never by counting ticks, so a crash,
//! a restart or a suspend cannot make a total wrong.

use serde::{Deserialize, Serialize};

use crate::Instant;

/// One stretch of counted time. `end` is `None` while the timer runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub struct Segment {
    // Spelled out (not `Instant`) so the schema derives recognise the type.
    pub start: chrono::DateTime<chrono::Utc>,
    pub end: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum TimerState {
    Running,
    Paused,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimerError {
    #[error("the timer is already paused")]
    AlreadyPaused,
    #[error("the timer is not paused")]
    NotPaused,
    #[error("{at} is before the timer's last change at {last}")]
    BeforeLastChange { at: Instant, last: Instant },
    #[error("the timer already has {max} segments; stop it and start a new one")]
    TooManySegments { max: u32 },
}

/// A running or paused timer. Invariant: at least one segment; every segment but the last is
/// closed; segments are in time order and do not overlap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timer {
    segments: Vec<Segment>,
}

/// What a stop leaves behind: the closed segments and the counted duration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoppedTimer {
    pub started_at: Instant,
    pub ended_at: Instant,
    pub segments: Vec<Segment>,
    pub duration_secs: i64,
}

impl Timer {
    pub fn start(at: Instant) -> Timer {
        Timer {
            segments: vec![Segment {
                start: at,
                end: None,
            }],
        }
    }

    /// Rebuilds a timer from stored segments, checking the invariant.
    pub fn from_segments(segments: Vec<Segment>) -> Option<Timer> {
        let (last, closed) = segments.split_last()?;
        let ordered = segments.windows(2).all(|pair| match pair[0].end {
            Some(end) => pair[0].start <= end && end <= pair[1].start,
            None => false,
        });
        let last_ok = last.end.is_none_or(|end| last.start <= end);
        (ordered && last_ok && closed.iter().all(|s| s.end.is_some())).then_some(Timer { segments })
    }

    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    pub fn started_at(&self) -> Instant {
        self.segments[0].start
    }

    /// The instant of the last start, pause or resume: no later change may come before it.
    pub fn last_change(&self) -> Instant {
        let last = self.last();
        last.end.unwrap_or(last.start)
    }

    pub fn state(&self) -> TimerState {
        match self.last().end {
            None => TimerState::Running,
            Some(_) => TimerState::Paused,
        }
    }

    /// Counted time up to `now`, in whole seconds. A clock that went back never counts negative.
    pub fn elapsed_secs(&self, now: Instant) -> i64 {
        let millis: i64 = self
            .segments
            .iter()
            .map(|s| (s.end.unwrap_or(now) - s.start).num_milliseconds().max(0))
            .sum();
        millis / 1000
    }

    pub fn pause(&mut self, at: Instant) -> Result<(), TimerError> {
        self.check_not_before_last_change(at)?;
        let last = self.last_mut();
        if last.end.is_some() {
            return Err(TimerError::AlreadyPaused);
        }
        last.end = Some(at);
        Ok(())
    }

    pub fn resume(&mut self, at: Instant) -> Result<(), TimerError> {
        self.check_not_before_last_change(at)?;
        if self.last().end.is_none() {
            return Err(TimerError::NotPaused);
        }
        self.segments.push(Segment {
            start: at,
            end: None,
        });
        Ok(())
    }

    /// Stops the timer at `at`. A paused timer ends where its last segment ended: paused time is
    /// never counted, and the entry does not stretch over the pause.
    pub fn stop(mut self, at: Instant) -> Result<StoppedTimer, TimerError> {
        self.check_not_before_last_change(at)?;
        let last = self.last_mut();
        let ended_at = *last.end.get_or_insert(at);
        let duration_secs = self.elapsed_secs(ended_at);
        Ok(StoppedTimer {
            started_at: self.started_at(),
            ended_at,
            segments: self.segments,
            duration_secs,
        })
    }

    fn last(&self) -> &Segment {
        self.segments
            .last()
            .expect("a timer has at least one segment")
    }

    fn last_mut(&mut self) -> &mut Segment {
        self.segments
            .last_mut()
            .expect("a timer has at least one segment")
    }

    fn check_not_before_last_change(&self, at: Instant) -> Result<(), TimerError> {
        let last_change = self.last_change();
        if at < last_change {
            return Err(TimerError::BeforeLastChange {
                at,
                last: last_change,
            });
        }
        Ok(())
    }
}

/// Durations are shown as `h:mm` everywhere (UX brief).
pub fn format_hm(secs: i64) -> String {
    let minutes = secs.max(0) / 60;
    format!("{}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};
    use proptest::prelude::*;

    fn t(secs: i64) -> Instant {
        Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn paused_time_is_not_counted() {
        let mut timer = Timer::start(t(0));
        timer.pause(t(600)).unwrap();
        assert_eq!(timer.elapsed_secs(t(5000)), 600);
        timer.resume(t(1200)).unwrap();
        assert_eq!(timer.elapsed_secs(t(1500)), 900);
        let stopped = timer.stop(t(1800)).unwrap();
        assert_eq!(stopped.duration_secs, 1200);
        assert_eq!(stopped.started_at, t(0));
        assert_eq!(stopped.ended_at, t(1800));
        assert_eq!(stopped.segments.len(), 2);
    }

    #[test]
    fn stopping_a_paused_timer_ends_at_the_pause() {
        let mut timer = Timer::start(t(0));
        timer.pause(t(300)).unwrap();
        let stopped = timer.stop(t(9000)).unwrap();
        assert_eq!(stopped.ended_at, t(300));
        assert_eq!(stopped.duration_secs, 300);
    }

    #[test]
    fn wrong_transitions_are_refused() {
        let mut timer = Timer::start(t(0));
        assert_eq!(timer.resume(t(10)), Err(TimerError::NotPaused));
        timer.pause(t(10)).unwrap();
        assert_eq!(timer.pause(t(20)), Err(TimerError::AlreadyPaused));
        assert!(matches!(
            timer.resume(t(5)),
            Err(TimerError::BeforeLastChange { .. })
        ));
        assert!(matches!(
            timer.clone().stop(t(5)),
            Err(TimerError::BeforeLastChange { .. })
        ));
    }

    #[test]
    fn a_clock_that_went_back_counts_zero_not_negative() {
        let timer = Timer::start(t(100));
        assert_eq!(timer.elapsed_secs(t(50)), 0);
    }

    #[test]
    fn stored_segments_are_checked() {
        let open = Segment {
            start: t(0),
            end: None,
        };
        let closed = Segment {
            start: t(0),
            end: Some(t(10)),
        };
        assert!(Timer::from_segments(vec![]).is_none());
        assert!(Timer::from_segments(vec![open, open]).is_none());
        assert!(Timer::from_segments(vec![Segment {
            start: t(10),
            end: Some(t(0))
        }])
        .is_none());
        assert!(Timer::from_segments(vec![
            closed,
            Segment {
                start: t(5),
                end: None
            }
        ])
        .is_none());
        assert!(Timer::from_segments(vec![
            closed,
            Segment {
                start: t(20),
                end: None
            }
        ])
        .is_some());
    }

    #[test]
    fn format_hm_pads_minutes() {
        assert_eq!(format_hm(0), "0:00");
        assert_eq!(format_hm(59), "0:00");
        assert_eq!(format_hm(3600 + 5 * 60), "1:05");
        assert_eq!(format_hm(26 * 3600), "26:00");
    }

    /// A random run of pause/resume steps, each a positive number of seconds after the last.
    fn steps() -> impl Strategy<Value = Vec<u32>> {
        proptest::collection::vec(1u32..10_000, 0..20)
    }

    proptest! {
        #[test]
        fn duration_is_the_sum_of_running_stretches(gaps in steps(), tail in 0u32..10_000) {
            let mut timer = Timer::start(t(0));
            let mut now = t(0);
            let mut running_secs = 0i64;
            for gap in &gaps {
                let next = now + Duration::seconds(i64::from(*gap));
                match timer.state() {
                    TimerState::Running => {
                        running_secs += i64::from(*gap);
                        timer.pause(next).unwrap();
                    }
                    TimerState::Paused => timer.resume(next).unwrap(),
                }
                now = next;
            }
            let end = now + Duration::seconds(i64::from(tail));
            if timer.state() == TimerState::Running {
                running_secs += i64::from(tail);
            }
            let restored = Timer::from_segments(timer.segments().to_vec()).unwrap();
            prop_assert_eq!(&restored, &timer);
            let stopped = timer.stop(end).unwrap();
            prop_assert_eq!(stopped.duration_secs, running_secs);
            let span = (stopped.ended_at - stopped.started_at).num_seconds();
            prop_assert!(stopped.duration_secs <= span);
            prop_assert!(stopped.segments.iter().all(|s| s.end.is_some()));
        }

        #[test]
        fn elapsed_never_decreases_as_time_passes(gaps in steps(), a in 0u32..100_000, b in 0u32..100_000) {
            let mut timer = Timer::start(t(0));
            let mut now = t(0);
            for gap in &gaps {
                now += Duration::seconds(i64::from(*gap));
                match timer.state() {
                    TimerState::Running => timer.pause(now).unwrap(),
                    TimerState::Paused => timer.resume(now).unwrap(),
                }
            }
            let (early, late) = (a.min(b), a.max(b));
            let e1 = timer.elapsed_secs(now + Duration::seconds(i64::from(early)));
            let e2 = timer.elapsed_secs(now + Duration::seconds(i64::from(late)));
            prop_assert!(e1 <= e2);
        }
    }
}
