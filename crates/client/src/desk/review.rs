//! T4: what stopping asks, and the review dialog's answers — hours, notes and billable, then
//! submit, save as a draft or discard. Kept locally and queued, so it works offline. And the
//! workspace's time settings those rules follow (S): the copy the last sync brought, and an
//! admin's change of them.

use stint_api::desk::{ReviewAsk, WeekEntry};
use stint_api::rest::{TimeSettings, TimeSettingsChange};
use stint_domain::{Permission, Reviewer, Stopper, TimesheetAccess};
use uuid::Uuid;

use super::Desk;
use crate::error::DeskError;
use crate::server_client::ServerClient;
use crate::store::EntryReview;

impl Desk {
    /// Who the signed-in user is to T4 and T5 in the open workspace.
    pub(super) fn reviewer(&self) -> Result<Reviewer, DeskError> {
        let workspace = self.stored_session()?.map(|s| s.workspace);
        Ok(Reviewer {
            access: workspace
                .as_ref()
                .map_or(TimesheetAccess::Full, |w| w.timesheet_access),
            admin: workspace.is_some_and(|w| w.permissions.contains(&Permission::Settings)),
        })
    }

    /// What the user's own Stop asks them, by the same rule the stop's entry was made with.
    pub(super) fn ask_after_stop(&self) -> Result<ReviewAsk, DeskError> {
        let settings = self.store.time_settings()?;
        Ok(self.reviewer()?.stop(&settings, Stopper::Own).ask)
    }

    pub fn review_entry(
        &self,
        entry_id: Uuid,
        review: EntryReview,
    ) -> Result<WeekEntry, DeskError> {
        let entry = self
            .store
            .review_entry(entry_id, &review, self.now(), self.reviewer()?)?;
        self.after_local_change();
        self.week_entry(entry, false)
    }

    pub fn discard_entry(&self, entry_id: Uuid) -> Result<(), DeskError> {
        self.store
            .discard_entry(entry_id, self.now(), self.reviewer()?)?;
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
