//! What logind (`org.freedesktop.login1`, on the system bus) says of this session, for T9: the
//! machine going to sleep and waking (`PrepareForSleep`), and the screen locked and unlocked
//! (the session's `LockedHint`, which lock screens set). The idle watch takes a sleep as time
//! away with its exact instants, and a locked screen as away however the lock screen treats
//! input. Without logind (another OS, no system bus, a container) nothing is said and the watch
//! goes by the idle counter and the clocks alone.
//!
//! The session's `Lock`/`Unlock` signals are not followed: they are logind's requests *to* a lock
//! screen (`loginctl lock-session`), not word that it locked, and a password typed into the lock
//! screen never sends `Unlock` — a lock taken from them could stay for good.

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
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
        match linux::listen(tell).await {
            Ok(()) => tracing::info!("logind's word ended: sleeps are seen by the clocks only"),
            Err(error) => {
                tracing::info!(%error, "no word from logind: sleeps are seen by the clocks only")
            }
        }
    });
    #[cfg(not(target_os = "linux"))]
    drop(tell);
    told
}

#[cfg(target_os = "linux")]
mod linux {
    use std::collections::HashMap;

    use futures_util::stream::{self, BoxStream, StreamExt};
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
            })
            .boxed();
        // Sleeps need no session; locks do, and an older logind may not find it.
        let mut said = match locks(&bus, &manager).await {
            Ok(locks) => {
                tracing::info!("following logind's sleeps and screen locks");
                stream::select(sleeps, locks).boxed()
            }
            Err(error) => {
                tracing::info!(%error, "following logind's sleeps; screen locks are not told");
                sleeps
            }
        };
        while let Some(word) = said.next().await {
            // A signal whose body did not read as logind's says nothing.
            let Some(word) = word else { continue };
            tracing::debug!(?word, "logind");
            if tell.send((word, chrono::Utc::now())).is_err() {
                break;
            }
        }
        Ok(())
    }

    /// The session's `LockedHint` as it changes, beginning with its value now.
    async fn locks(
        bus: &Connection,
        manager: &Proxy<'static>,
    ) -> zbus::Result<BoxStream<'static, Option<Said>>> {
        // "auto": this process's session, or else the user's graphical one (logind 246 on);
        // an older one is asked by process.
        let session: OwnedObjectPath = match manager.call("GetSession", &("auto",)).await {
            Ok(session) => session,
            Err(_) => {
                manager
                    .call("GetSessionByPID", &(std::process::id(),))
                    .await?
            }
        };
        let properties = proxy(
            bus,
            session.clone().into_inner(),
            "org.freedesktop.DBus.Properties",
        )
        .await?;
        let hint = |locked: bool| Some(if locked { Said::Locked } else { Said::Unlocked });
        let changes = properties
            .receive_signal("PropertiesChanged")
            .await?
            .map(move |message| {
                let (_, changed, _) = message
                    .body()
                    .deserialize::<(String, HashMap<String, OwnedValue>, Vec<String>)>()
                    .ok()?;
                hint(bool::try_from(changed.get("LockedHint")?).ok()?)
            });
        // Read after subscribing, so a change in between is not missed.
        let now: OwnedValue = properties
            .call("Get", &("org.freedesktop.login1.Session", "LockedHint"))
            .await?;
        let now = bool::try_from(&now).map_err(zbus::Error::Variant)?;
        Ok(stream::once(async move { hint(now) })
            .chain(changes)
            .boxed())
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
