//! What logind (`org.freedesktop.login1`, on the system bus) says of this session, for T9: the
//! machine going to sleep and waking (`PrepareForSleep`), the screen locked and unlocked (the
//! session's `Lock`/`Unlock` signals and its `LockedHint`, which lock screens set). The idle
//! watch takes a sleep as time away with its exact instants and a locked screen as away however
//! the lock screen treats input. Without logind (another OS, no system bus, a container) nothing
//! is said and the watch goes by the idle counter and the clocks alone.

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Said {
    Sleeping,
    Woke,
    Locked,
    Unlocked,
}

/// logind's word on this session, each with the instant it came. The channel closes at once
/// where logind cannot be reached.
pub fn follow() -> mpsc::UnboundedReceiver<(Said, DateTime<Utc>)> {
    let (tell, told) = mpsc::unbounded_channel();
    #[cfg(target_os = "linux")]
    tauri::async_runtime::spawn(async move {
        if let Err(error) = linux::listen(tell).await {
            tracing::info!(%error, "no word from logind: sleeps are seen by the clocks only");
        }
    });
    #[cfg(not(target_os = "linux"))]
    drop(tell);
    told
}

#[cfg(target_os = "linux")]
mod linux {
    use std::collections::HashMap;

    use futures_util::StreamExt;
    use tokio::sync::mpsc::UnboundedSender;
    use zbus::proxy::{Builder, CacheProperties};
    use zbus::zvariant::{ObjectPath, OwnedObjectPath, OwnedValue};
    use zbus::{Connection, Proxy};

    use super::Said;

    const LOGIN1: &str = "org.freedesktop.login1";

    pub async fn listen(
        tell: UnboundedSender<(Said, chrono::DateTime<chrono::Utc>)>,
    ) -> zbus::Result<()> {
        // DBUS_SYSTEM_BUS_ADDRESS, when set, names the bus (the desktop e2e's stand-in logind).
        let bus = Connection::system().await?;
        let manager = proxy(
            &bus,
            "/org/freedesktop/login1".try_into()?,
            "org.freedesktop.login1.Manager",
        )
        .await?;
        // "auto": the session this process runs in, or else the user's graphical one.
        let session: OwnedObjectPath = manager.call("GetSession", &("auto",)).await?;
        let session = session.into_inner();
        let session_signals =
            proxy(&bus, session.clone(), "org.freedesktop.login1.Session").await?;
        let session_properties = proxy(&bus, session, "org.freedesktop.DBus.Properties").await?;

        let sleeps = manager
            .receive_signal("PrepareForSleep")
            .await?
            .map(|message| {
                // true: about to sleep; false: awake again.
                match message.body().deserialize::<bool>() {
                    Ok(true) => Some(Said::Sleeping),
                    Ok(false) => Some(Said::Woke),
                    Err(_) => None,
                }
            });
        let locks = session_signals
            .receive_signal("Lock")
            .await?
            .map(|_| Some(Said::Locked));
        let unlocks = session_signals
            .receive_signal("Unlock")
            .await?
            .map(|_| Some(Said::Unlocked));
        let hints = session_properties
            .receive_signal("PropertiesChanged")
            .await?
            .map(|message| {
                let (_, changed, _) = message
                    .body()
                    .deserialize::<(String, HashMap<String, OwnedValue>, Vec<String>)>()
                    .ok()?;
                match bool::try_from(changed.get("LockedHint")?).ok()? {
                    true => Some(Said::Locked),
                    false => Some(Said::Unlocked),
                }
            });
        tracing::info!("following logind's sleeps and screen locks");
        let mut said = futures_util::stream::select_all([
            sleeps.boxed(),
            locks.boxed(),
            unlocks.boxed(),
            hints.boxed(),
        ]);
        while let Some(word) = said.next().await {
            if let Some(word) = word {
                tracing::debug!(?word, "logind");
                if tell.send((word, chrono::Utc::now())).is_err() {
                    break;
                }
            }
        }
        Ok(())
    }

    /// A plain proxy: the signals are all that is wanted, no cached properties.
    async fn proxy(
        bus: &Connection,
        path: ObjectPath<'static>,
        interface: &'static str,
    ) -> zbus::Result<Proxy<'static>> {
        Builder::new(bus)
            .destination(LOGIN1)?
            .path(path)?
            .interface(interface)?
            .cache_properties(CacheProperties::No)
            .build()
            .await
    }
}
