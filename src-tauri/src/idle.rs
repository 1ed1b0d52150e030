//! T9 in the shell: while a timer runs, looks at the OS idle time now and then and hands each
//! look to the desk; when the user comes back after *idle minutes*, raises the window (which
//! asks what to do with the time away) and notifies. No looks while no timer runs.
//!
//! The idle time comes from `user-idle3`: GNOME's idle monitor (D-Bus), X11's screen-saver
//! extension, Wayland's ext-idle-notify-v1, a screensaver's D-Bus service, the first that
//! answers. A suspend (and so a lid closed on a running timer) is seen by the wall clock moving
//! on more than the monotonic one, which stops while the machine sleeps, and by logind's word
//! (`login1`), which also tells a locked screen: away from the lock on, whatever input the lock
//! screen takes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use stint_api::TimerState;
use stint_client::Desk;
use tauri::AppHandle;

use crate::login1::Said;

/// How soon after a return the window asks.
const AWAY_LOOK: Duration = Duration::from_secs(5);
/// The longest pause between looks while the user is present (and so how late a suspend is
/// seen, at most, after the machine wakes).
const PRESENT_LOOK: Duration = Duration::from_secs(30);

pub async fn watch(app: AppHandle, desk: Arc<Desk>) {
    let mut changes = desk.subscribe();
    let mut logind = crate::login1::follow();
    let mut away = Away::default();
    loop {
        let running = desk
            .current_timer()
            .ok()
            .flatten()
            .is_some_and(|timer| timer.state == TimerState::Running);
        if !running {
            // The timer just stopped running (a stop or a pause, here or elsewhere): tells the
            // desk no absence goes on — once, not at every change while it stays stopped.
            if away.forget_looks() {
                if let Err(error) = desk.observe_idle(Duration::ZERO) {
                    tracing::warn!(%error, "looking at idle time failed");
                }
            }
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { return },
                Some((said, at)) = logind.recv() => away.hear(said, at),
            }
            continue;
        }
        let os_idle = match os_idle_time().await {
            Ok(idle) => idle,
            Err(why) => {
                if let Err(error) = desk.no_idle_source(&why) {
                    tracing::warn!(%error, "keeping the idle notice failed");
                }
                Duration::ZERO
            }
        };
        let idle = away.look(os_idle);
        match desk.observe_idle(idle) {
            Ok(Some(prompt)) => {
                crate::open_window(&app);
                let minutes = (prompt.back_at - prompt.since).num_minutes();
                crate::notify(
                    &app,
                    &format!(
                        "You were away for {minutes} min while “{}” ran. Keep that time or not?",
                        prompt.task.title
                    ),
                );
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "looking at idle time failed"),
        }
        // The look above still counted the lock; the next, at once, sees the user back.
        if away.take_unlock() {
            continue;
        }
        let threshold = desk
            .time_settings()
            .map(|s| Duration::from_secs(s.idle_minutes.max(1) as u64 * 60))
            .unwrap_or(PRESENT_LOOK);
        // Present: the earliest the user can have been away for the threshold.
        let next = threshold
            .saturating_sub(idle)
            .clamp(AWAY_LOOK, PRESENT_LOOK);
        tokio::select! {
            _ = tokio::time::sleep(next) => {}
            changed = changes.changed() => if changed.is_err() { return },
            // Each word from logind is looked at at once.
            Some((said, at)) = logind.recv() => away.hear(said, at),
        }
    }
}

/// What tells the time away beside the OS's idle counter: sleeps (by the clocks, or by logind)
/// and a locked screen (by logind).
#[derive(Default)]
struct Away {
    /// The previous look's wall and monotonic clocks.
    last_look: Option<(DateTime<Utc>, Instant)>,
    /// A sleep the OS's idle counter does not hold (it stops while the machine sleeps), added
    /// to it until the first input after the wake: when the machine woke, and how long it slept.
    asleep: Option<(Instant, Duration)>,
    /// logind said the machine goes to sleep, at this instant, and has not said it woke.
    sleeping_since: Option<DateTime<Utc>>,
    /// logind said the screen is locked, since this instant.
    locked_since: Option<DateTime<Utc>>,
    /// logind said the screen is unlocked again, after the last look.
    unlocked: bool,
}

impl Away {
    fn hear(&mut self, said: Said, at: DateTime<Utc>) {
        match said {
            Said::Sleeping => {
                self.sleeping_since.get_or_insert(at);
            }
            Said::Woke => {
                if let Some(since) = self.sleeping_since.take() {
                    self.add_sleep(Instant::now(), (at - since).to_std().unwrap_or_default());
                    // The clocks start over from the wake, so they do not count this sleep again.
                    if self.last_look.is_some() {
                        self.last_look = Some((Utc::now(), Instant::now()));
                    }
                }
            }
            Said::Locked => {
                self.locked_since.get_or_insert(at);
                self.unlocked = false;
            }
            Said::Unlocked => self.unlocked = self.locked_since.is_some(),
        }
    }

    /// The time away as of now, given the OS idle time.
    fn look(&mut self, os_idle: Duration) -> Duration {
        let (wall, monotonic) = (Utc::now(), Instant::now());
        let slept = self.last_look.and_then(|(last_wall, last_monotonic)| {
            let ran = chrono::Duration::from_std(monotonic - last_monotonic).ok()?;
            stint_domain::slept(wall - last_wall, ran)?.to_std().ok()
        });
        self.last_look = Some((wall, monotonic));
        if let Some(slept) = slept {
            // The clocks saw the sleep before logind's wake came: it is told.
            self.sleeping_since = None;
            self.add_sleep(monotonic, slept);
        }
        // An input since the wake: the user is back, the sleep is told already.
        if self
            .asleep
            .is_some_and(|(woke, _)| os_idle < monotonic - woke)
        {
            self.asleep = None;
        }
        let idle = os_idle + self.asleep.map_or(Duration::ZERO, |(_, slept)| slept);
        // Locked: away since the lock at least, whatever input the lock screen took.
        let locked = self
            .locked_since
            .and_then(|since| (wall - since).to_std().ok())
            .unwrap_or_default();
        idle.max(locked)
    }

    fn add_sleep(&mut self, woke: Instant, slept: Duration) {
        let before = self.asleep.map_or(Duration::ZERO, |(_, earlier)| earlier);
        self.asleep = Some((woke, before + slept));
    }

    /// Ends a lock logind said was over (after a look that counted it): true when one was.
    fn take_unlock(&mut self) -> bool {
        if !std::mem::take(&mut self.unlocked) {
            return false;
        }
        self.locked_since = None;
        true
    }

    /// No timer runs: what the looks saw is over (a lock goes on until logind says otherwise).
    /// True when there were looks.
    fn forget_looks(&mut self) -> bool {
        self.asleep = None;
        self.take_unlock();
        self.last_look.take().is_some()
    }
}

/// The OS idle time: since the last keyboard or mouse input.
async fn os_idle_time() -> Result<Duration, String> {
    tokio::task::spawn_blocking(|| {
        user_idle3::UserIdle::get_time()
            .map(|idle| idle.duration())
            .map_err(|error| error.to_string())
    })
    .await
    .map_err(|error| error.to_string())?
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn ago(duration: Duration) -> DateTime<Utc> {
        Utc::now() - chrono::Duration::from_std(duration).unwrap()
    }

    #[test]
    fn a_locked_screen_is_away_from_the_lock_whatever_input_it_took() {
        let mut away = Away::default();
        away.hear(Said::Locked, ago(11 * MINUTE));
        // The lock screen took input a second ago.
        let idle = away.look(Duration::from_secs(1));
        assert!(idle >= 11 * MINUTE && idle < 12 * MINUTE, "{idle:?}");
        away.hear(Said::Unlocked, Utc::now());
        // The look right after the unlock still counts the lock, then it is over.
        assert!(away.look(Duration::from_secs(1)) >= 11 * MINUTE);
        assert!(away.take_unlock());
        assert_eq!(away.look(Duration::from_secs(1)), Duration::from_secs(1));
        assert!(!away.take_unlock());
    }

    #[test]
    fn a_sleep_logind_tells_is_added_to_the_idle_counter_until_the_next_input() {
        let mut away = Away::default();
        away.hear(Said::Sleeping, ago(20 * MINUTE));
        away.hear(Said::Woke, Utc::now());
        let idle = away.look(Duration::from_secs(30));
        assert!(idle >= 20 * MINUTE + Duration::from_secs(29), "{idle:?}");
        // An input after the wake: back.
        assert_eq!(away.look(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn an_unlock_heard_as_the_timer_stopped_does_not_hold_over_to_the_next_timer() {
        let mut away = Away::default();
        away.hear(Said::Locked, ago(11 * MINUTE));
        away.look(Duration::ZERO);
        away.hear(Said::Unlocked, Utc::now());
        // The timer stopped before the next look.
        assert!(away.forget_looks());
        assert_eq!(away.look(Duration::from_secs(2)), Duration::from_secs(2));
    }

    #[test]
    fn a_wake_with_no_timer_running_leaves_no_looks_behind() {
        let mut away = Away::default();
        away.hear(Said::Sleeping, ago(5 * MINUTE));
        away.hear(Said::Woke, Utc::now());
        assert!(!away.forget_looks());
    }

    #[test]
    fn a_sleep_the_clocks_saw_first_is_not_counted_again_when_logind_says_it_woke() {
        let mut away = Away::default();
        away.hear(Said::Sleeping, ago(20 * MINUTE));
        // The last look was 20 minutes ago by the wall clock and just now by the monotonic one:
        // the machine slept in between, and the clocks see it before logind's wake arrives.
        away.last_look = Some((ago(20 * MINUTE), Instant::now()));
        let idle = away.look(Duration::from_secs(30));
        assert!(idle >= 20 * MINUTE, "{idle:?}");
        away.hear(Said::Woke, Utc::now());
        let again = away.look(Duration::from_secs(31));
        assert!(again < 21 * MINUTE, "counted twice: {again:?}");
    }
}
