//! `stint`: the desktop shell. It owns the tray and the window and wires `Desk` (stint-client)
//! to Tauri IPC; the rules, the store and sync all live below it.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod idle;
mod logging;
mod login1;
mod shortcut;
mod tray;

use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use stint_api::desk::{DeskCall, DeskReply};
use stint_api::ErrorBody;
use stint_client::{Clock, Desk, DeskConfig};
use tauri::{AppHandle, Emitter, Manager, RunEvent, WebviewUrl, WebviewWindowBuilder};

#[derive(Parser, Debug)]
#[command(name = "stint", version, about = "Stint: time tracking for teams")]
struct Cli {
    /// Where the local store lives (default: the OS data folder).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// The workspace server offered on the sign-in screen.
    #[arg(long, default_value = "http://127.0.0.1:7420")]
    server: String,
    /// Start in the tray with no window (for autostart).
    #[arg(long)]
    hidden: bool,
    /// Sign in as this user at start when not signed in; the password comes from the
    /// STINT_PASSWORD environment variable (`cargo xtask run` uses this for the demo).
    #[arg(long)]
    sign_in_email: Option<String>,
}

/// What the UI reads to prefill the sign-in form.
struct ShellOptions {
    server: String,
}

#[tauri::command]
async fn desk(call: DeskCall, desk: tauri::State<'_, Arc<Desk>>) -> Result<DeskReply, ErrorBody> {
    desk.dispatch(call).await.map_err(|error| error.to_body())
}

#[tauri::command]
fn default_server(options: tauri::State<'_, ShellOptions>) -> String {
    options.server.clone()
}

/// Shows the main window, creating its webview if it was closed.
pub fn open_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
        return;
    }
    let built = WebviewWindowBuilder::new(app, "main", WebviewUrl::App("index.html".into()))
        .title("Stint")
        .inner_size(420.0, 640.0)
        .min_inner_size(360.0, 480.0)
        .build();
    if let Err(error) = built {
        tracing::error!(%error, "opening the window failed");
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // GTK 3 on X11 probes OpenGL when it opens the display, which loads the whole GL driver
    // (Mesa + LLVM) into a process that, in the tray, never draws with it. Without the probe the
    // tray-only process measured 124 → 72 MB resident and the window renders the same
    // (`cargo xtask bench`). Set before GTK starts; a user's own GDK_GL wins.
    if std::env::var_os("GDK_GL").is_none() {
        std::env::set_var("GDK_GL", "disable");
    }
    let app = tauri::Builder::default()
        // D5: a second launch (Stint clicked again, autostart racing a click) shows this one's
        // window and ends; it must come first, before the second opens anything.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            open_window(app)
        }))
        .plugin(tauri_plugin_notification::init())
        // D5: the tray's "Start Stint at login" writes the session's autostart entry, which
        // starts Stint in the tray.
        .plugin(
            tauri_plugin_autostart::Builder::new()
                .arg("--hidden")
                .build(),
        )
        // D5: Start/Stop from any app (`shortcut.rs` registers the one the user chose).
        .plugin(shortcut::plugin())
        .invoke_handler(tauri::generate_handler![desk, default_server])
        .manage(ShellOptions {
            server: cli.server.clone(),
        })
        .setup(move |app| {
            // The log folder is Tauri's to tell, so logging starts here, before anything logs.
            logging::init(app.path().app_log_dir().ok());
            let data_dir = match &cli.data_dir {
                Some(dir) => dir.clone(),
                None => app.path().app_data_dir()?,
            };
            let desk = Arc::new(Desk::open(DeskConfig {
                data_dir,
                use_keyring: true,
                device_name: device_name(),
                clock: Clock::system(),
            })?);
            app.manage(desk.clone());
            tray::create(app.handle())?;
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(sign_in_at_start(
                desk.clone(),
                cli.server.clone(),
                cli.sign_in_email.clone(),
            ));
            tauri::async_runtime::spawn(desk.clone().run_sync_loop());
            tauri::async_runtime::spawn(desk.clone().run_events_loop());
            tauri::async_runtime::spawn(idle::watch(handle.clone(), desk.clone()));
            let told = handle.clone();
            tauri::async_runtime::spawn(
                desk.clone()
                    .run_pomodoro_loop(move |words| notify(&told, words)),
            );
            tauri::async_runtime::spawn(follow_changes(handle, desk));
            if !cli.hidden {
                open_window(app.handle());
            }
            tracing::info!("tray ready");
            Ok(())
        })
        .build(tauri::generate_context!())?;
    app.run(|_, event| {
        // Closing the window destroys the webview; the tray keeps running until Quit.
        if let RunEvent::ExitRequested {
            code: None, api, ..
        } = event
        {
            api.prevent_exit();
        }
    });
    Ok(())
}

/// Refreshes the tray and tells the window after every change, and once a minute for the
/// elapsed time in the tray's first line. No per-second wake-ups while in the tray. A new
/// notice about the user's timer (stopped by an admin, by the runaway limit, by work started
/// elsewhere) becomes a desktop notification (D2); one left from before this start does not.
/// So does a timer that has run the workspace's runaway hours (T8), once. The global shortcut
/// follows the device's setting (D5).
async fn follow_changes(app: AppHandle, desk: Arc<Desk>) {
    let mut changes = desk.subscribe();
    let mut told = desk.timer_notice().ok().flatten();
    let mut runaway_told = None;
    let mut review_opened = None;
    let mut shortcut = None;
    loop {
        // Seen before the state is read: a change made while this turn reads (a pull landing
        // during the refresh) wakes the next turn instead of waiting for the minute.
        let version = *changes.borrow_and_update();
        tray::refresh(&app);
        shortcut::follow(&app, &desk, &mut shortcut);
        let notice = desk.timer_notice().ok().flatten();
        if notice.is_some() && notice != told {
            notify(&app, notice.as_deref().unwrap_or_default());
        }
        told = notice;
        // T8: a timer that ran the workspace's runaway hours is told of once.
        if let Ok(Some((timer_id, words))) = desk.runaway_notice() {
            if runaway_told != Some(timer_id) {
                notify(&app, &words);
                runaway_told = Some(timer_id);
            }
        }
        // T4: a stop in the tray or by the shortcut: the window opens to ask its review.
        let waiting = desk.review_waiting().ok().flatten();
        if waiting.is_some() && waiting != review_opened {
            open_window(&app);
        }
        review_opened = waiting;
        let _ = app.emit("desk-changed", version);
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { return },
            _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
        }
    }
}

/// A desktop notification (D2). Sent from a blocking thread: the notification server's answer
/// (a D-Bus round trip on Linux) must not hold up the tray, the window or the shortcut.
fn notify(app: &AppHandle, body: &str) {
    use tauri_plugin_notification::NotificationExt;
    let (app, body) = (app.clone(), body.to_string());
    tauri::async_runtime::spawn_blocking(move || {
        let shown = app
            .notification()
            .builder()
            .title("Stint")
            .body(body)
            .show();
        if let Err(error) = shown {
            tracing::warn!(%error, "showing a notification failed");
        }
    });
}

async fn sign_in_at_start(desk: Arc<Desk>, server: String, email: Option<String>) {
    let (Some(email), Ok(password)) = (email, std::env::var("STINT_PASSWORD")) else {
        return;
    };
    if matches!(desk.session(), Ok(Some(_))) {
        return;
    }
    if let Err(error) = desk.sign_in(&server, &email, &password).await {
        tracing::warn!(%error, "signing in at start failed");
    }
}

fn device_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "Stint desktop".into())
}
