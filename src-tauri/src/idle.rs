//! T9 in the shell: while a timer runs, looks at the OS idle time now and then and hands each
//! look to the desk; when the user comes back after *idle minutes*, raises the window (which
//! asks what to do with the time away) and notifies. No looks while no timer runs.
//!
//! The idle time comes from `user-idle3`: GNOME's idle monitor (D-Bus), X11's screen-saver
//! extension, Wayland's ext-idle-notify-v1, a screensaver's D-Bus service, the first that
//! answers. A suspend (and so a lid closed on a running timer) is seen by the wall clock moving
//! on more than the monotonic one, which stops while the machine sleeps; a locked screen takes
//! no input, so it counts as idle by itself.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use stint_api::TimerState;
use stint_client::Desk;
use tauri::AppHandle;

/// How soon after a return the window asks.
const AWAY_LOOK: Duration = Duration::from_secs(5);
/// The longest pause between looks while the user is present (and so how late a suspend is
/// seen, at most, after the machine wakes).
const PRESENT_LOOK: Duration = Duration::from_secs(30);

pub async fn watch(app: AppHandle, desk: Arc<Desk>) {
    let mut changes = desk.subscribe();
    // The previous look's wall and monotonic clocks.
    let mut last_look: Option<(chrono::DateTime<Utc>, Instant)> = None;
    // A sleep the OS's idle counter does not hold (it stops while the machine sleeps), added
    // to it until the first input after the wake: when the machine woke, and how long it slept.
    let mut asleep: Option<(Instant, Duration)> = None;
    loop {
        let running = desk
            .current_timer()
            .ok()
            .flatten()
            .is_some_and(|timer| timer.state == TimerState::Running);
        if !running {
            // The timer just stopped running (a stop or a pause, here or elsewhere): tells the
            // desk no absence goes on — once, not at every change while it stays stopped.
            if last_look.take().is_some() {
                if let Err(error) = desk.observe_idle(Duration::ZERO) {
                    tracing::warn!(%error, "looking at idle time failed");
                }
            }
            asleep = None;
            if changes.changed().await.is_err() {
                return;
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
        let look = (Utc::now(), Instant::now());
        let slept = last_look.and_then(|(wall, monotonic)| {
            let monotonic = chrono::Duration::from_std(look.1 - monotonic).ok()?;
            stint_domain::slept(look.0 - wall, monotonic)?.to_std().ok()
        });
        last_look = Some(look);
        if let Some(slept) = slept {
            let before = asleep.map_or(Duration::ZERO, |(_, earlier)| earlier);
            asleep = Some((look.1, before + slept));
        }
        // An input since the wake: the user is back, the sleep is told already.
        if asleep.is_some_and(|(woke, _)| os_idle < look.1 - woke) {
            asleep = None;
        }
        let idle = os_idle + asleep.map_or(Duration::ZERO, |(_, slept)| slept);
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
        }
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
