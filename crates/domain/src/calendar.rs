//! Days and weeks in the user's time zone (item 11 of the timer's issue): a day is not always
//! 24 hours — 23 and 25 on the days daylight saving time starts and ends — and in some zones
//! midnight itself is skipped once a year. Instants stay UTC; only these boundaries are local.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeZone};

use crate::Instant;

/// The first instant of `date` in `zone`: its midnight, or, where a DST change skips midnight,
/// the first local time that exists after it.
pub fn start_of_day<Tz: TimeZone>(date: NaiveDate, zone: &Tz) -> Instant {
    let midnight = date.and_time(NaiveTime::MIN);
    // Gaps are an hour at most in practice; look a little further to be sure.
    (0..=8)
        .find_map(|quarter| {
            let local = midnight + chrono::Duration::minutes(15 * quarter);
            zone.from_local_datetime(&local).earliest()
        })
        .map_or_else(|| midnight.and_utc(), |start| start.to_utc())
}

/// The week `now` falls in, in `now`'s zone, starting on `week_start_day` (0 Sunday … 6
/// Saturday, as the workspace setting): its first instant and the next week's.
pub fn week_bounds<Tz: TimeZone>(now: &DateTime<Tz>, week_start_day: i64) -> (Instant, Instant) {
    let today = now.date_naive();
    let weekday = i64::from(today.weekday().num_days_from_sunday());
    let back = u64::try_from((weekday - week_start_day).rem_euclid(7)).unwrap_or(0);
    let first = today - Days::new(back);
    let zone = now.timezone();
    (
        start_of_day(first, &zone),
        start_of_day(first + Days::new(7), &zone),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use chrono_tz::{America::Santiago, Europe::Berlin};
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn hours_of(date: NaiveDate, zone: &impl TimeZone) -> i64 {
        (start_of_day(date + Days::new(1), zone) - start_of_day(date, zone)).num_hours()
    }

    #[test]
    fn the_dst_days_have_23_and_25_hours() {
        assert_eq!(hours_of(day(2026, 3, 28), &Berlin), 24);
        assert_eq!(hours_of(day(2026, 3, 29), &Berlin), 23);
        assert_eq!(hours_of(day(2026, 10, 25), &Berlin), 25);
        assert_eq!(hours_of(day(2026, 10, 25), &Utc), 24);
    }

    #[test]
    fn a_skipped_midnight_starts_the_day_at_the_first_real_time() {
        // Chile moves 00:00 to 01:00 on the first Sunday of September.
        let start = start_of_day(day(2026, 9, 6), &Santiago);
        assert_eq!(
            start.with_timezone(&Santiago).time(),
            NaiveTime::from_hms_opt(1, 0, 0).unwrap()
        );
        assert_eq!(hours_of(day(2026, 9, 6), &Santiago), 23);
    }

    #[test]
    fn weeks_start_on_the_workspace_day_in_the_users_zone() {
        // Sunday 29 March 2026, 12:00 in Berlin: the day clocks went forward.
        let now = Berlin.with_ymd_and_hms(2026, 3, 29, 12, 0, 0).unwrap();
        let (from, to) = week_bounds(&now, 1);
        assert_eq!(from, start_of_day(day(2026, 3, 23), &Berlin));
        assert_eq!((to - from).num_hours(), 167);
        // Weeks starting on Sunday: this one starts today, at midnight Berlin time (23:00 UTC).
        let (from, to) = week_bounds(&now, 0);
        assert_eq!(from.to_rfc3339(), "2026-03-28T23:00:00+00:00");
        assert_eq!((to - from).num_hours(), 167);
        let autumn = Berlin
            .with_ymd_and_hms(2026, 10, 25, 2, 30, 0)
            .earliest()
            .unwrap();
        let (from, to) = week_bounds(&autumn, 1);
        assert_eq!((to - from).num_hours(), 169);
    }

    #[test]
    fn a_timer_over_a_dst_change_counts_the_hours_that_passed() {
        let at = |d, h, m| {
            Berlin
                .with_ymd_and_hms(2026, 3, d, h, m, 0)
                .earliest()
                .unwrap()
                .to_utc()
        };
        // 01:30 to 03:30 on the wall clock, the night it skips 02:00–03:00: one hour of work.
        let timer = crate::Timer::start(at(29, 1, 30));
        assert_eq!(timer.elapsed_secs(at(29, 3, 30)), 3600);
        let autumn = |h, m| {
            Berlin
                .with_ymd_and_hms(2026, 10, 25, h, m, 0)
                .earliest()
                .unwrap()
                .to_utc()
        };
        // 01:30 to 03:30 the night 02:00–03:00 happens twice: three hours.
        assert_eq!(
            crate::Timer::start(autumn(1, 30)).elapsed_secs(autumn(3, 30)),
            3 * 3600
        );
    }

    proptest! {
        #[test]
        fn every_instant_is_in_its_week(secs in 1_600_000_000i64..2_000_000_000, start in 0i64..7) {
            for zone in [Berlin, Santiago] {
                let now = DateTime::from_timestamp(secs, 0).unwrap().with_timezone(&zone);
                let (from, to) = week_bounds(&now, start);
                prop_assert!(from <= now.to_utc() && now.to_utc() < to);
                prop_assert!((167..=169).contains(&(to - from).num_hours()));
                let first = from.with_timezone(&zone).date_naive();
                prop_assert_eq!(i64::from(first.weekday().num_days_from_sunday()), start);
            }
        }
    }
}
