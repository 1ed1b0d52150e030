//! Server instances on one database tell each other about changes through PostgreSQL's
//! `NOTIFY`/`LISTEN` on one channel, so a device connected to one instance hears of a push to
//! another. Notifications are not stored: one sent while a listener's connection is down is
//! lost, which is why the listener says `Listening` each time it (re)connects.

use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::PgPool;
use stint_storage::{FromInstances, InstanceEvents, Result};
use tokio::sync::mpsc;

use crate::convert::storage_error;

/// The channel server instances tell each other about changes on.
const CHANNEL: &str = "stint_events";

/// Pause before connecting again after a failure, so a database that is down is not hammered.
const RETRY_PAUSE: Duration = Duration::from_secs(1);

/// Sends `payload` to every listening instance, this one included.
pub async fn notify(pool: &PgPool, payload: &str) -> Result<()> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(payload)
        .execute(pool)
        .await
        .map_err(storage_error)?;
    Ok(())
}

/// Listens on its own connection (one of the pool's, held for good) until the receiver is
/// dropped or the pool closed, connecting again whenever the connection is lost.
pub fn listen(pool: &PgPool) -> InstanceEvents {
    let (sender, receiver) = mpsc::channel(1024);
    tokio::spawn(listen_loop(pool.clone(), sender));
    receiver
}

async fn listen_loop(pool: PgPool, sender: mpsc::Sender<FromInstances>) {
    while !pool.is_closed() {
        let mut listener = match connect(&pool).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for other instances' events; retrying");
                tokio::time::sleep(RETRY_PAUSE).await;
                continue;
            }
        };
        if sender.send(FromInstances::Listening).await.is_err() {
            return; // nobody listens any more
        }
        loop {
            let message = match listener.try_recv().await {
                Ok(Some(notification)) => {
                    FromInstances::Payload(notification.payload().to_string())
                }
                // The connection was lost, and sqlx made a new one and listens on it again.
                Ok(None) => FromInstances::Listening,
                // Connecting again failed, or the connection broke some other way: start over
                // on a fresh one, so that `Listening` is only said once it is true.
                Err(error) => {
                    tracing::warn!(%error, "listening for other instances' events failed");
                    tokio::time::sleep(RETRY_PAUSE).await;
                    break;
                }
            };
            if sender.send(message).await.is_err() {
                return;
            }
        }
    }
}

async fn connect(pool: &PgPool) -> std::result::Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}
