//! T6 *Team now*, for admins: who in the workspace is tracking what, read from the server, and
//! pausing or stopping someone's timer there. Online only: it is about others' timers, which
//! this device does not hold.

use stint_api::desk::TimerAction;
use stint_api::rest::TeamNow;
use uuid::Uuid;

use super::Desk;
use crate::error::DeskError;
use crate::server_client::ServerClient;

impl Desk {
    pub async fn team_now(&self) -> Result<TeamNow, DeskError> {
        let (session, token) = self.signed_in()?.ok_or(DeskError::NotSignedIn)?;
        let client = ServerClient::new(&self.http, &session.server_url)?;
        client.team_now(&token, session.workspace.id).await
    }

    /// Pauses or stops someone's timer, then answers who is tracking what. The admin's own
    /// timer too: this device then hears of it like any owner's (the event stream, then a pull).
    pub async fn control_timer(
        &self,
        timer_id: Uuid,
        action: TimerAction,
    ) -> Result<TeamNow, DeskError> {
        let (session, token) = self.signed_in()?.ok_or(DeskError::NotSignedIn)?;
        let client = ServerClient::new(&self.http, &session.server_url)?;
        client
            .control_timer(&token, session.workspace.id, timer_id, action)
            .await?;
        client.team_now(&token, session.workspace.id).await
    }
}
