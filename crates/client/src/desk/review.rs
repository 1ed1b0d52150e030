//! T4: what stopping asks, and the review dialog's answers — hours, notes and billable, then
//! submit, save as a draft or discard. Kept locally and queued, so it works offline. And the
//! workspace's time settings those rules follow (S): the copy the last sync brought, and an
//! admin's change of them.

use stint_api::desk::{ReviewAsk, WeekEntry};
use stint_api::rest::{Entry, TimeSettings, TimeSettingsChange};
use stint_domain::Permission;
use uuid::Uuid;

use super::Desk;
use crate::error::DeskError;
use crate::server_client::ServerClient;
use crate::store::EntryReview;

impl Desk {
    /// What to ask about an entry the user's own stop made, and the entry: submitted straight
    /// away when there is nothing to ask (reviews off for a non-admin, no description required).
    pub(super) fn ask_after_stop(&self, entry: Entry) -> Result<(ReviewAsk, Entry), DeskError> {
        let settings = self.store.time_settings()?;
        let admin = self
            .stored_session()?
            .is_some_and(|s| s.workspace.permissions.contains(&Permission::Settings));
        if admin || settings.allow_review_before_submit {
            return Ok((ReviewAsk::Review, entry));
        }
        if settings.require_description {
            return Ok((ReviewAsk::DescriptionOnly, entry));
        }
        let defaults = EntryReview {
            duration_secs: entry.duration_secs,
            description: entry.description.clone(),
            billable: entry.billable,
            submit: true,
        };
        let submitted = self.store.review_entry(entry.id, &defaults, self.now())?;
        Ok((ReviewAsk::Nothing, submitted))
    }

    pub fn review_entry(
        &self,
        entry_id: Uuid,
        review: EntryReview,
    ) -> Result<WeekEntry, DeskError> {
        let entry = self.store.review_entry(entry_id, &review, self.now())?;
        self.after_local_change();
        self.week_entry(entry, false)
    }

    pub fn discard_entry(&self, entry_id: Uuid) -> Result<(), DeskError> {
        self.store.discard_entry(entry_id, self.now())?;
        self.after_local_change();
        Ok(())
    }

    pub fn time_settings(&self) -> Result<TimeSettings, DeskError> {
        Ok(self.store.time_settings()?)
    }

    /// Changes the workspace's time settings on the server (admins, online only); the device
    /// keeps what the server answered.
    pub async fn change_time_settings(
        &self,
        change: &TimeSettingsChange,
    ) -> Result<TimeSettings, DeskError> {
        let (session, token) = self.signed_in()?.ok_or(DeskError::NotSignedIn)?;
        let client = ServerClient::new(&self.http, &session.server_url)?;
        let settings = client
            .change_time_settings(&token, session.workspace.id, change)
            .await?;
        self.store.set_time_settings(&settings)?;
        self.changed();
        Ok(settings)
    }
}
