//! Signing in and out, and the session kept between runs.

use serde::{Deserialize, Serialize};
use stint_api::desk::Session;
use stint_api::rest::{TokenRequest, User, Workspace};
use stint_api::{Permission, TimesheetAccess};
use uuid::Uuid;

use super::Desk;
use crate::error::{DeskError, StoreError};
use crate::server_client::ServerClient;
use crate::store::keys;

/// What is kept of a sign-in, besides the token (which lives in the vault).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct StoredSession {
    pub server_url: String,
    pub user: User,
    pub workspace: Workspace,
    /// Every workspace the user could open at sign-in (none in a session kept by an older
    /// version: then the current one only).
    #[serde(default)]
    pub workspaces: Vec<Workspace>,
}

impl Desk {
    pub(super) fn stored_session(&self) -> Result<Option<StoredSession>, DeskError> {
        match self.store.setting(keys::SESSION)? {
            Some(json) => Ok(Some(serde_json::from_str(&json).map_err(StoreError::from)?)),
            None => Ok(None),
        }
    }

    /// The session and its token, when signed in. A session whose token is gone (kept in memory
    /// by an earlier run) counts as signed out; its local data stays for the next sign-in.
    pub(super) fn signed_in(&self) -> Result<Option<(StoredSession, String)>, DeskError> {
        let Some(session) = self.stored_session()? else {
            return Ok(None);
        };
        Ok(self.vault.load().map(|token| (session, token)))
    }

    pub fn session(&self) -> Result<Option<Session>, DeskError> {
        Ok(self.signed_in()?.map(|(s, _)| Session {
            workspaces: if s.workspaces.is_empty() {
                vec![s.workspace.clone()]
            } else {
                s.workspaces
            },
            server_url: s.server_url,
            user: s.user,
            workspace: s.workspace,
            token_storage: self.vault.storage(),
        }))
    }

    /// The user of the stored session, even while its token is gone: local changes are theirs.
    pub(super) fn me(&self) -> Result<Option<User>, DeskError> {
        Ok(self.stored_session()?.map(|s| s.user))
    }
    pub async fn sign_in(
        &self,
        server_url: &str,
        email: &str,
        password: &str,
    ) -> Result<Session, DeskError> {
        if email.trim().is_empty() || password.is_empty() {
            return Err(DeskError::InvalidInput(
                "enter your email and password".into(),
            ));
        }
        let client = ServerClient::new(&self.http, server_url)?;
        let request = |device_id| TokenRequest {
            email: email.trim().to_string(),
            password: password.to_string(),
            device_name: self.device_name.clone(),
            device_id: Some(device_id),
        };
        let sent_device_id = self.store.device_id()?;
        let response = client.sign_in(&request(sent_device_id)).await?;
        if response.device_id != sent_device_id {
            // The server names the device when this user has not signed in on it before (a new
            // installation, or one used by someone else). Taken only once nothing of the
            // previous user waits to be pushed: their outbox is numbered on the old id's streams.
            let pending = self.store.pending_count()?;
            if pending > 0 {
                if let Err(error) = client.revoke(&response.token).await {
                    tracing::warn!(%error, "revoking the unused token failed");
                }
                return Err(DeskError::UnsyncedChanges { count: pending });
            }
            self.store.set_device_id(response.device_id)?;
            self.vault.set_account(response.device_id.to_string());
        }
        let last = self.store.setting(keys::LAST_WORKSPACE)?;
        let chosen_before = |w: &&Workspace| last == Some(format!("{}:{}", response.user.id, w.id));
        let workspace = response
            .workspaces
            .iter()
            .find(chosen_before)
            .or(response.workspaces.first())
            .cloned()
            .ok_or_else(|| {
                DeskError::InvalidInput("this account is not a member of any workspace yet".into())
            })?;
        {
            // As for a switch: no sync of what this device held may land after the clear.
            let _no_sync = self.sync_lock.lock().await;
            if let Some(previous) = self.stored_session()? {
                if previous.user.id != response.user.id || previous.workspace.id != workspace.id {
                    let pending = self.store.pending_count()?;
                    if pending > 0 {
                        return Err(DeskError::UnsyncedChanges { count: pending });
                    }
                    self.store.clear_user_data()?;
                }
            }
            self.vault.save(&response.token);
            self.keep_session(&StoredSession {
                server_url: client.base_url().to_string(),
                user: response.user,
                workspace,
                workspaces: response.workspaces,
            })?;
        }
        self.open_workspace().await
    }

    /// Opens another of the signed-in user's workspaces, with its own tasks, entries and sync
    /// stream; the choice is remembered for the next sign-in. What this device holds of the
    /// current one is dropped, so nothing may be waiting to be sent or looked at.
    pub async fn switch_workspace(&self, workspace_id: Uuid) -> Result<Session, DeskError> {
        let Some((current, _)) = self.signed_in()? else {
            return Err(DeskError::NotSignedIn);
        };
        if current.workspace.id == workspace_id {
            return self.session()?.ok_or(DeskError::NotSignedIn);
        }
        let Some(workspace) = current
            .workspaces
            .iter()
            .find(|w| w.id == workspace_id)
            .cloned()
        else {
            return Err(DeskError::InvalidInput(
                "that is not one of your workspaces; sign in again to see new ones".into(),
            ));
        };
        {
            // A sync of the old workspace in flight would write its tasks, cursor and teams
            // over the new one's: the switch waits for it, and no other starts until it is done.
            let _no_sync = self.sync_lock.lock().await;
            let pending = self.store.pending_count()?;
            if pending > 0 {
                return Err(DeskError::UnsyncedChanges { count: pending });
            }
            let issues = self.store.issue_count()?;
            if issues > 0 {
                return Err(DeskError::InvalidInput(format!(
                    "look at the {issues} sync issue(s) of this workspace first: retry or dismiss them"
                )));
            }
            self.store.clear_user_data()?;
            self.keep_session(&StoredSession {
                workspace,
                ..current
            })?;
        }
        self.open_workspace().await
    }

    /// Keeps the timesheet level (T5) and the permissions a pull said the user has now: an
    /// admin changed them (so the desk knows an admin from the next sync on, not the next
    /// sign-in).
    pub(super) fn keep_membership(
        &self,
        access: TimesheetAccess,
        permissions: &[Permission],
    ) -> Result<(), DeskError> {
        match self.stored_session()? {
            Some(mut stored)
                if stored.workspace.timesheet_access != access
                    || stored.workspace.permissions != permissions =>
            {
                stored.workspace.timesheet_access = access;
                stored.workspace.permissions = permissions.to_vec();
                self.keep_session(&stored)?;
                // The window shows or hides what admins see.
                self.changed();
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Keeps `stored` as the session and remembers its workspace as this user's choice.
    fn keep_session(&self, stored: &StoredSession) -> Result<(), DeskError> {
        self.store.set_setting(
            keys::SESSION,
            &serde_json::to_string(stored).map_err(StoreError::from)?,
        )?;
        self.store.set_setting(
            keys::LAST_WORKSPACE,
            &format!("{}:{}", stored.user.id, stored.workspace.id),
        )?;
        Ok(())
    }

    /// Fetches what the session's workspace holds.
    async fn open_workspace(&self) -> Result<Session, DeskError> {
        // Signed in: the shell shows it, and the event stream opens for this session.
        self.changed();
        // Fetch the tasks now; if this fails the sync loop tries again.
        if let Err(error) = self.sync_now().await {
            tracing::warn!(%error, "first sync of the workspace failed");
        }
        self.session()?.ok_or(DeskError::NotSignedIn)
    }

    /// Signs out: revokes the token, removes it from the keyring and forgets the user's local
    /// data. Refused while local changes have not reached the server.
    pub async fn sign_out(&self) -> Result<(), DeskError> {
        let pending = self.store.pending_count()?;
        if pending > 0 {
            return Err(DeskError::UnsyncedChanges { count: pending });
        }
        if let Some((session, token)) = self.signed_in()? {
            if let Err(error) = ServerClient::new(&self.http, &session.server_url)?
                .revoke(&token)
                .await
            {
                tracing::warn!(%error, "revoking the token on the server failed");
            }
        }
        self.vault.delete();
        self.store.clear_user_data()?;
        self.changed();
        Ok(())
    }
}
