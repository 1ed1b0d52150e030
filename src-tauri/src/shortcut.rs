//! D5: the global shortcut that starts work on the latest task or stops the timer, from any
//! app. The desk holds which one (a setting of this installation); `follow` registers it again
//! whenever it changes, and turns it off, saying why, when the desktop refuses it — another app
//! holds it, or it names no key.

use std::str::FromStr;
use std::sync::Arc;

use stint_client::Desk;
use tauri::plugin::TauriPlugin;
use tauri::{AppHandle, Wry};
use tauri_plugin_global_shortcut::{GlobalShortcutExt, Shortcut, ShortcutState};

pub fn plugin() -> TauriPlugin<Wry> {
    tauri_plugin_global_shortcut::Builder::new()
        .with_handler(|app, _shortcut, event| {
            if event.state() == ShortcutState::Pressed {
                pressed(app);
            }
        })
        .build()
}

fn pressed(app: &AppHandle) {
    let desk = crate::tray::desk(app);
    match desk.shortcut_pressed() {
        Ok(Some(words)) => crate::notify(app, &words),
        // Nothing worked on lately: the window lets the user choose.
        Ok(None) => crate::open_window(app),
        Err(error) => crate::notify(app, &error.to_string()),
    }
}

/// Makes the registered shortcut the desk's: `registered` is the one held now.
pub fn follow(app: &AppHandle, desk: &Arc<Desk>, registered: &mut Option<String>) {
    let wanted = desk.device_settings().ok().and_then(|s| s.shortcut);
    if wanted == *registered {
        return;
    }
    let shortcuts = app.global_shortcut();
    if let Some(old) = registered.take() {
        if let Err(error) = shortcuts.unregister(old.as_str()) {
            tracing::warn!(%error, old, "releasing the old shortcut failed");
        }
    }
    let Some(wanted) = wanted else {
        return;
    };
    let refused = match Shortcut::from_str(&wanted) {
        Err(_) => Some(format!(
            "“{wanted}” is not a shortcut Stint knows: type one like Ctrl+Alt+S."
        )),
        Ok(shortcut) => shortcuts.register(shortcut).err().map(|error| {
            tracing::info!(%error, wanted, "the shortcut is not free");
            format!("“{wanted}” is taken by another app, so the shortcut is off. Choose another.")
        }),
    };
    match refused {
        None => *registered = Some(wanted),
        Some(why) => {
            if let Err(error) = desk.shortcut_refused(&wanted, &why) {
                tracing::warn!(%error, "turning the shortcut off failed");
            }
        }
    }
}
