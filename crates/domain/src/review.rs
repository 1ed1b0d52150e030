//! T4 and T11: what a user's review of one of their entries may change. The server checks a
//! pushed review with these rules, and the desktop checks the dialog's answer with them first,
//! offline included.

use crate::{EntryStatus, TimeSettings};

/// The most time one entry may hold.
pub const MAX_ENTRY_SECS: i64 = 24 * 3600;

/// Why a review cannot be kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReviewRefusal {
    /// Submitted or approved entries change only once returned to their author.
    #[error("the entry is {} already; it changes only once it is returned to you", .0.as_str())]
    Locked(EntryStatus),
    #[error("an entry holds 0 to 24 hours")]
    Hours,
    /// *Require description*: submitting needs one; a draft may lack it.
    #[error(
        "this workspace needs a description to submit an entry; add one, or save it as a draft"
    )]
    DescriptionRequired,
}

/// Whether an entry now in `status` may be reviewed into `duration_secs` and `description`,
/// and submitted when `submit`.
pub fn check_review(
    status: EntryStatus,
    duration_secs: i64,
    description: &str,
    submit: bool,
    settings: &TimeSettings,
) -> Result<(), ReviewRefusal> {
    check_discard(status)?;
    if !(0..=MAX_ENTRY_SECS).contains(&duration_secs) {
        return Err(ReviewRefusal::Hours);
    }
    if submit && settings.require_description && description.trim().is_empty() {
        return Err(ReviewRefusal::DescriptionRequired);
    }
    Ok(())
}

/// Whether an entry now in `status` may be thrown away: a draft or a returned one only.
pub fn check_discard(status: EntryStatus) -> Result<(), ReviewRefusal> {
    match status {
        EntryStatus::Draft | EntryStatus::Rejected => Ok(()),
        locked => Err(ReviewRefusal::Locked(locked)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_and_returned_entries_change_within_a_day() {
        let settings = TimeSettings::default();
        let check =
            |status, secs, text: &str, submit| check_review(status, secs, text, submit, &settings);
        assert_eq!(check(EntryStatus::Draft, 0, "", true), Ok(()));
        assert_eq!(
            check(EntryStatus::Rejected, MAX_ENTRY_SECS, "", false),
            Ok(())
        );
        assert_eq!(
            check(EntryStatus::Draft, -1, "", false),
            Err(ReviewRefusal::Hours)
        );
        assert_eq!(
            check(EntryStatus::Draft, MAX_ENTRY_SECS + 1, "", false),
            Err(ReviewRefusal::Hours)
        );
        assert_eq!(
            check(EntryStatus::Submitted, 60, "", false),
            Err(ReviewRefusal::Locked(EntryStatus::Submitted))
        );
        assert_eq!(
            check(EntryStatus::Approved, 60, "", true),
            Err(ReviewRefusal::Locked(EntryStatus::Approved))
        );
    }

    #[test]
    fn a_required_description_holds_for_submitting_only() {
        let settings = TimeSettings {
            require_description: true,
            ..TimeSettings::default()
        };
        let check =
            |text: &str, submit| check_review(EntryStatus::Draft, 60, text, submit, &settings);
        assert_eq!(check(" \n", true), Err(ReviewRefusal::DescriptionRequired));
        assert_eq!(check("", false), Ok(()));
        assert_eq!(check("Fixed the build", true), Ok(()));
    }
}
