//! The tray (D1): icon by state, the task and elapsed time as the first (disabled) line, and the
//! menu. Menu ids go through `TrayItem`, so handling is typed and exhaustive.

use std::sync::Arc;

use stint_api::desk::{CurrentTimer, SyncStatus};
use stint_api::{PomodoroPhase, TimerState};
use stint_client::Desk;
use stint_domain::format_hm;
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Wry};
use tauri_plugin_autostart::ManagerExt;

const TRAY_ID: &str = "stint";
const ICON_IDLE: &[u8] = include_bytes!("../../icons/tray-idle.png");
const ICON_RUNNING: &[u8] = include_bytes!("../../icons/tray-running.png");
const ICON_PAUSED: &[u8] = include_bytes!("../../icons/tray-paused.png");
/// The Start Work submenu lists at most this many tasks under each heading.
const START_WORK_LIMIT: usize = 10;

#[derive(Debug, Clone, PartialEq)]
enum TrayItem {
    Status,
    StartWork(uuid::Uuid),
    PauseResume,
    Stop,
    Open,
    SyncStatus,
    SyncIssues,
    Autostart,
    Quit,
}

impl TrayItem {
    fn id(&self) -> String {
        match self {
            TrayItem::Status => "status".into(),
            TrayItem::StartWork(task) => format!("start:{task}"),
            TrayItem::PauseResume => "pause_resume".into(),
            TrayItem::Stop => "stop".into(),
            TrayItem::Open => "open".into(),
            TrayItem::SyncStatus => "sync_status".into(),
            TrayItem::SyncIssues => "sync_issues".into(),
            TrayItem::Autostart => "autostart".into(),
            TrayItem::Quit => "quit".into(),
        }
    }

    fn parse(id: &str) -> Option<TrayItem> {
        Some(match id {
            "status" => TrayItem::Status,
            "pause_resume" => TrayItem::PauseResume,
            "stop" => TrayItem::Stop,
            "open" => TrayItem::Open,
            "sync_status" => TrayItem::SyncStatus,
            "sync_issues" => TrayItem::SyncIssues,
            "autostart" => TrayItem::Autostart,
            "quit" => TrayItem::Quit,
            other => TrayItem::StartWork(other.strip_prefix("start:")?.parse().ok()?),
        })
    }
}

pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let timer = desk(app).current_timer().ok().flatten();
    let menu = build_menu(app, timer.as_ref())?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(Image::from_bytes(icon_for(timer.as_ref()))?)
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| on_menu_event(app, event.id().as_ref()))
        .build(app)?;
    Ok(())
}

pub(crate) fn desk(app: &AppHandle) -> Arc<Desk> {
    app.state::<Arc<Desk>>().inner().clone()
}

fn on_menu_event(app: &AppHandle, id: &str) {
    let Some(item) = TrayItem::parse(id) else {
        return;
    };
    let desk = desk(app);
    let result = match item {
        TrayItem::Status | TrayItem::SyncStatus => Ok(()),
        TrayItem::StartWork(task) => desk.start_work(task).map(drop),
        TrayItem::PauseResume => match desk.current_timer() {
            Ok(Some(timer)) if timer.state == TimerState::Paused => desk.resume().map(drop),
            _ => desk.pause().map(drop),
        },
        TrayItem::Stop => desk.stop_outside_window().map(drop),
        // The window shows the issues' count beside the sync status, one click from the list.
        TrayItem::Open | TrayItem::SyncIssues => {
            crate::open_window(app);
            Ok(())
        }
        TrayItem::Autostart => {
            toggle_autostart(app);
            refresh(app);
            Ok(())
        }
        TrayItem::Quit => {
            app.exit(0);
            Ok(())
        }
    };
    if let Err(error) = result {
        tracing::warn!(%error, ?item, "tray action failed");
    }
}

/// D5: Stint starts with the user's session, in the tray (`--hidden`), or no longer does.
fn toggle_autostart(app: &AppHandle) {
    let autostart = app.autolaunch();
    let result = match autostart.is_enabled() {
        Ok(true) => autostart.disable(),
        _ => autostart.enable(),
    };
    if let Err(error) = result {
        tracing::warn!(%error, "changing autostart failed");
    }
}

/// Rebuilds the menu, icon and tooltip from the Desk's current state.
pub fn refresh(app: &AppHandle) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let timer = desk(app).current_timer().ok().flatten();
    tracing::debug!(timer = ?timer.as_ref().map(|t| t.state), "refreshing the tray");
    let icon = icon_for(timer.as_ref());
    let result = build_menu(app, timer.as_ref()).and_then(|menu| {
        tray.set_menu(Some(menu))?;
        tray.set_icon(Some(Image::from_bytes(icon)?))?;
        tray.set_tooltip(Some(status_line(timer.as_ref())))
    });
    if let Err(error) = result {
        tracing::warn!(%error, "refreshing the tray failed");
    }
}

fn icon_for(timer: Option<&CurrentTimer>) -> &'static [u8] {
    match timer.map(|t| t.state) {
        None => ICON_IDLE,
        Some(TimerState::Running) => ICON_RUNNING,
        Some(TimerState::Paused) => ICON_PAUSED,
    }
}

fn status_line(timer: Option<&CurrentTimer>) -> String {
    match timer {
        None => "Not tracking".into(),
        Some(CurrentTimer {
            task,
            pomodoro: Some(pomodoro),
            as_of,
            ..
        }) => {
            // T10: the phase and the minutes left (rounded up: "1 min left" until it ends).
            let left = (pomodoro.ends_at - *as_of).num_seconds().max(0);
            let phase = match pomodoro.phase {
                PomodoroPhase::Focus => "Focus",
                PomodoroPhase::ShortBreak => "Short break",
                PomodoroPhase::LongBreak => "Long break",
            };
            format!("{} — {phase}, {} min left", task.title, (left + 59) / 60)
        }
        Some(timer) => {
            let elapsed = format_hm(timer.elapsed_secs);
            match timer.state {
                TimerState::Running => format!("{} — {elapsed}", timer.task.title),
                TimerState::Paused => format!("{} — {elapsed} (paused)", timer.task.title),
            }
        }
    }
}

fn sync_line(status: Option<SyncStatus>) -> String {
    match status {
        None => "Sync status unknown".into(),
        Some(SyncStatus {
            progress: Some(progress),
            ..
        }) => format!(
            "Syncing {} of {} changes…",
            thousands(progress.done),
            thousands(progress.total)
        ),
        Some(s) if s.pending > 0 && !s.online => format!("Offline — {} changes waiting", s.pending),
        Some(s) if !s.online => "Offline".into(),
        Some(s) if s.pending > 0 => format!("Syncing {} changes…", s.pending),
        Some(s) => match s.last_synced_at {
            Some(at) => format!(
                "Synced at {}",
                at.with_timezone(&chrono::Local).format("%H:%M")
            ),
            None => "Not synced yet".into(),
        },
    }
}

/// 20000 → "20,000".
fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

fn item(
    app: &AppHandle,
    which: TrayItem,
    text: &str,
    enabled: bool,
) -> tauri::Result<MenuItem<Wry>> {
    MenuItem::with_id(app, which.id(), text, enabled, None::<&str>)
}

/// The menu for `timer` (read once per refresh by the caller, which also picks the icon).
fn build_menu(app: &AppHandle, timer: Option<&CurrentTimer>) -> tauri::Result<Menu<Wry>> {
    let desk = desk(app);
    let session = desk.session().ok().flatten();
    let start_work = Submenu::new(app, "Start Work", session.is_some())?;
    if session.is_some() {
        // D1: recent tasks first, then those assigned to the user, as the window lists them.
        let (recent, mine) = desk.start_work_tasks().unwrap_or_default();
        if recent.is_empty() && mine.is_empty() {
            start_work.append(&item(
                app,
                TrayItem::Status,
                "No recent or assigned tasks — open Stint",
                false,
            )?)?;
        }
        for (heading, tasks) in [("Recent", recent), ("Assigned to me", mine)] {
            if tasks.is_empty() {
                continue;
            }
            if !start_work.items()?.is_empty() {
                start_work.append(&PredefinedMenuItem::separator(app)?)?;
            }
            start_work.append(&item(app, TrayItem::Status, heading, false)?)?;
            for task in tasks.into_iter().take(START_WORK_LIMIT) {
                start_work.append(&item(app, TrayItem::StartWork(task.id), &task.title, true)?)?;
            }
        }
    }
    let status = desk.sync_status().ok();
    let issues = status.as_ref().map_or(0, |s| s.issues);
    let issues_text = match issues {
        1 => "1 sync issue — open to review".to_string(),
        n => format!("{n} sync issues — open to review"),
    };
    let pause_text = match timer.map(|t| t.state) {
        Some(TimerState::Paused) => "Resume",
        _ => "Pause",
    };
    Menu::with_items(
        app,
        &[
            &item(app, TrayItem::Status, &status_line(timer), false)?,
            &PredefinedMenuItem::separator(app)?,
            &start_work,
            &item(app, TrayItem::PauseResume, pause_text, timer.is_some())?,
            &item(app, TrayItem::Stop, "Stop", timer.is_some())?,
            &PredefinedMenuItem::separator(app)?,
            &item(app, TrayItem::Open, "Open Stint", true)?,
            &item(app, TrayItem::SyncStatus, &sync_line(status), false)?,
        ],
    )
    .and_then(|menu| {
        if issues > 0 {
            menu.append(&item(app, TrayItem::SyncIssues, &issues_text, true)?)?;
        }
        let autostart = app.autolaunch().is_enabled().unwrap_or(false);
        menu.append(&PredefinedMenuItem::separator(app)?)?;
        menu.append(&CheckMenuItem::with_id(
            app,
            TrayItem::Autostart.id(),
            "Start Stint at login",
            true,
            autostart,
            None::<&str>,
        )?)?;
        menu.append(&item(app, TrayItem::Quit, "Quit Stint", true)?)?;
        Ok(menu)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menu_ids_round_trip() {
        let task = uuid::Uuid::now_v7();
        for item in [
            TrayItem::Status,
            TrayItem::StartWork(task),
            TrayItem::PauseResume,
            TrayItem::Stop,
            TrayItem::Open,
            TrayItem::SyncStatus,
            TrayItem::SyncIssues,
            TrayItem::Autostart,
            TrayItem::Quit,
        ] {
            assert_eq!(TrayItem::parse(&item.id()), Some(item));
        }
        assert_eq!(TrayItem::parse("start:not-a-uuid"), None);
    }

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(3200), "3,200");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
