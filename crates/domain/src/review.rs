//! T4, T5 and T11: what becomes of a stopped timer's entry, and what a user's review of one of
//! their entries may change. The server applies pushed stops and reviews with these rules, and
//! the desktop applies them first, offline included, so both come to the same entry.

use serde::{Deserialize, Serialize};

use crate::{EntryFlag, EntryStatus, TimeSettings, TimesheetAccess};

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
    /// Without a review (T5, or reviews turned off) only the description may be added.
    #[error("you may add a description to this entry, but not change its hours or billable")]
    DescriptionOnly,
    /// T5: *timer access only* users see their task's progress but do not change it.
    #[error(
        "your timesheet access shows the task's status and % complete but does not change them"
    )]
    TaskReadOnly,
    #[error("% complete is 0 to 100")]
    Percent,
    /// Without a review, tracked time is not thrown away either.
    #[error("your timesheet access keeps every tracked entry; it cannot be thrown away")]
    Discard,
}

/// What a stop asks the user who made it (T4, T5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum ReviewAsk {
    /// The review dialog: hours, notes, billable; submit, save as a draft or discard.
    Review,
    /// No review for this user, but submitting needs a description: ask for it alone. Until
    /// then the entry waits as a draft.
    DescriptionOnly,
    /// No review for this user: the entry was submitted with the workspace's defaults.
    Nothing,
}

/// Who or what stopped a timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopper {
    /// The user's own Stop.
    Own,
    /// The user started another timer (T1), on this device or another.
    Switch,
    /// A workspace admin (T6).
    Admin,
    /// The server's runaway watchdog, at the workspace's threshold (T8).
    Runaway,
    /// The user's answer to the idle prompt (T9): the timer ends where they went away.
    Idle,
}

/// What becomes of a stopped timer's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopRule {
    pub status: EntryStatus,
    pub ask: ReviewAsk,
    /// T5: the user's own Stop completes the task (100 %, *Completed*).
    pub completes_task: bool,
    /// Why the entry waits for its author (T8, T11).
    pub flag: Option<EntryFlag>,
}

/// Who stops or reviews an entry, as T4 and T5 tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reviewer {
    pub access: TimesheetAccess,
    /// Holds `time:settings`: admins always review (T4).
    pub admin: bool,
}

/// What the review dialog answers for an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Review<'a> {
    pub duration_secs: i64,
    pub description: &'a str,
    pub billable: bool,
    /// Submitted; otherwise kept as a draft.
    pub submit: bool,
}

impl Reviewer {
    /// Whether the user reviews a stopped entry in full: admins always, members when the
    /// workspace lets them, *timer access only* users never.
    pub fn reviews(self, settings: &TimeSettings) -> bool {
        self.access == TimesheetAccess::Full && (self.admin || settings.allow_review_before_submit)
    }

    /// The entry of a timer stopped by `stopper`. Without a review the user's own Stop submits
    /// the entry with the workspace's automatic status, and a stop they did not make submits it
    /// for approval (T5: never approved unseen); unless a description is required: then it
    /// waits as a draft (flagged when the user did not stop it, T11). A stop the user did not
    /// make keeps a member's entry as a draft, and asks nothing.
    pub fn stop(self, settings: &TimeSettings, stopper: Stopper) -> StopRule {
        let own = stopper == Stopper::Own;
        let timer_only = self.access == TimesheetAccess::TimerOnly;
        let (status, ask) = if self.reviews(settings) || (!own && !timer_only) {
            (EntryStatus::Draft, ReviewAsk::Review)
        } else if settings.require_description {
            (EntryStatus::Draft, ReviewAsk::DescriptionOnly)
        } else if own {
            (settings.automatic_entry_status, ReviewAsk::Nothing)
        } else {
            (EntryStatus::Submitted, ReviewAsk::Nothing)
        };
        let flag = if stopper == Stopper::Runaway {
            Some(EntryFlag::Runaway)
        } else if ask == ReviewAsk::DescriptionOnly && !own {
            Some(EntryFlag::NeedsDescription)
        } else {
            None
        };
        StopRule {
            status,
            ask: if own { ask } else { ReviewAsk::Nothing },
            completes_task: own && timer_only,
            flag,
        }
    }

    /// Whether an entry now in `status` may be thrown away: a draft or a returned one, by a
    /// user who reviews their entries.
    pub fn discard(
        self,
        settings: &TimeSettings,
        status: EntryStatus,
    ) -> Result<(), ReviewRefusal> {
        check_open(status)?;
        if !self.reviews(settings) {
            return Err(ReviewRefusal::Discard);
        }
        Ok(())
    }

    /// Whether an entry now as `entry` says may take `review`, and the status it then has. A
    /// user without a review may add the description and submit, nothing more (T5).
    pub fn review(
        self,
        settings: &TimeSettings,
        entry: (EntryStatus, i64, bool),
        review: &Review<'_>,
    ) -> Result<EntryStatus, ReviewRefusal> {
        let (status, duration_secs, billable) = entry;
        check_open(status)?;
        // Checked when changed: a forgotten timer's 30 hours can still be described and sent.
        if review.duration_secs != duration_secs
            && !(0..=MAX_ENTRY_SECS).contains(&review.duration_secs)
        {
            return Err(ReviewRefusal::Hours);
        }
        let reviews = self.reviews(settings);
        if !reviews && (review.duration_secs != duration_secs || review.billable != billable) {
            return Err(ReviewRefusal::DescriptionOnly);
        }
        if review.submit && settings.require_description && review.description.trim().is_empty() {
            return Err(ReviewRefusal::DescriptionRequired);
        }
        Ok(match (review.submit, reviews) {
            (false, _) => EntryStatus::Draft,
            (true, true) => EntryStatus::Submitted,
            (true, false) => settings.automatic_entry_status,
        })
    }
}

impl Reviewer {
    /// Whether a review may also leave the entry's task at `percent_complete` (and a status):
    /// users who review their entries may (T4); *timer access only* users may not (T5).
    pub fn task_progress(
        self,
        settings: &TimeSettings,
        percent_complete: u8,
    ) -> Result<(), ReviewRefusal> {
        if !self.reviews(settings) {
            return Err(ReviewRefusal::TaskReadOnly);
        }
        if percent_complete > 100 {
            return Err(ReviewRefusal::Percent);
        }
        Ok(())
    }
}

impl Review<'_> {
    /// What an entry's flag becomes with this review: a runaway's is answered by any review,
    /// *needs description* only by a description.
    pub fn flag_after(&self, flag: Option<EntryFlag>) -> Option<EntryFlag> {
        match flag {
            Some(EntryFlag::NeedsDescription) if self.description.trim().is_empty() => flag,
            _ => None,
        }
    }
}

/// A draft or a returned entry may change; others are locked.
fn check_open(status: EntryStatus) -> Result<(), ReviewRefusal> {
    match status {
        EntryStatus::Draft | EntryStatus::Rejected => Ok(()),
        locked => Err(ReviewRefusal::Locked(locked)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEMBER: Reviewer = Reviewer {
        access: TimesheetAccess::Full,
        admin: false,
    };
    const ADMIN: Reviewer = Reviewer {
        access: TimesheetAccess::Full,
        admin: true,
    };
    const TIMER_ONLY: Reviewer = Reviewer {
        access: TimesheetAccess::TimerOnly,
        admin: false,
    };

    fn review(duration_secs: i64, description: &str, submit: bool) -> Review<'_> {
        Review {
            duration_secs,
            description,
            billable: false,
            submit,
        }
    }

    #[test]
    fn a_review_changes_the_task_for_those_who_review_only() {
        let settings = TimeSettings::default();
        assert_eq!(MEMBER.task_progress(&settings, 100), Ok(()));
        assert_eq!(ADMIN.task_progress(&settings, 0), Ok(()));
        assert_eq!(
            MEMBER.task_progress(&settings, 101),
            Err(ReviewRefusal::Percent)
        );
        assert_eq!(
            TIMER_ONLY.task_progress(&settings, 50),
            Err(ReviewRefusal::TaskReadOnly)
        );
        let no_reviews = TimeSettings {
            allow_review_before_submit: false,
            ..TimeSettings::default()
        };
        assert_eq!(
            MEMBER.task_progress(&no_reviews, 50),
            Err(ReviewRefusal::TaskReadOnly)
        );
        assert_eq!(ADMIN.task_progress(&no_reviews, 50), Ok(()));
    }

    #[test]
    fn drafts_and_returned_entries_change_within_a_day() {
        let settings = TimeSettings::default();
        let check = |status, secs, submit| {
            MEMBER.review(&settings, (status, 60, false), &review(secs, "", submit))
        };
        assert_eq!(
            check(EntryStatus::Draft, 0, true),
            Ok(EntryStatus::Submitted)
        );
        assert_eq!(
            check(EntryStatus::Rejected, MAX_ENTRY_SECS, false),
            Ok(EntryStatus::Draft)
        );
        assert_eq!(
            check(EntryStatus::Draft, -1, false),
            Err(ReviewRefusal::Hours)
        );
        assert_eq!(
            check(EntryStatus::Draft, MAX_ENTRY_SECS + 1, false),
            Err(ReviewRefusal::Hours)
        );
        assert_eq!(
            check(EntryStatus::Submitted, 60, false),
            Err(ReviewRefusal::Locked(EntryStatus::Submitted))
        );
        assert_eq!(
            check(EntryStatus::Approved, 60, true),
            Err(ReviewRefusal::Locked(EntryStatus::Approved))
        );
    }

    #[test]
    fn a_required_description_holds_for_submitting_only() {
        let settings = TimeSettings {
            require_description: true,
            ..TimeSettings::default()
        };
        let check = |text, submit| {
            MEMBER.review(
                &settings,
                (EntryStatus::Draft, 60, false),
                &review(60, text, submit),
            )
        };
        assert_eq!(check(" \n", true), Err(ReviewRefusal::DescriptionRequired));
        assert_eq!(check("", false), Ok(EntryStatus::Draft));
        assert_eq!(check("Fixed the build", true), Ok(EntryStatus::Submitted));
    }

    #[test]
    fn a_stop_asks_as_the_settings_and_the_users_access_say() {
        let reviews_off = TimeSettings {
            allow_review_before_submit: false,
            automatic_entry_status: EntryStatus::Approved,
            ..TimeSettings::default()
        };
        let needs_text = TimeSettings {
            require_description: true,
            ..reviews_off.clone()
        };
        let rule = |who: Reviewer, settings: &TimeSettings, own: bool| {
            let stopper = if own { Stopper::Own } else { Stopper::Switch };
            let rule = who.stop(settings, stopper);
            (rule.status, rule.ask, rule.completes_task)
        };
        use EntryStatus::*;
        use ReviewAsk::*;
        let defaults = TimeSettings::default();
        assert_eq!(rule(MEMBER, &defaults, true), (Draft, Review, false));
        assert_eq!(rule(ADMIN, &reviews_off, true), (Draft, Review, false));
        assert_eq!(rule(MEMBER, &reviews_off, true), (Approved, Nothing, false));
        assert_eq!(
            rule(MEMBER, &needs_text, true),
            (Draft, DescriptionOnly, false)
        );
        // T1: a switch keeps a member's entry as a draft, and asks nothing.
        assert_eq!(rule(MEMBER, &reviews_off, false), (Draft, Nothing, false));
        // T5: timer access only never reviews; their own Stop completes the task, a switch
        // submits without completing it.
        assert_eq!(
            rule(TIMER_ONLY, &defaults, true),
            (Submitted, Nothing, true)
        );
        assert_eq!(
            rule(TIMER_ONLY, &defaults, false),
            (Submitted, Nothing, false)
        );
        assert_eq!(
            rule(TIMER_ONLY, &needs_text, true),
            (Draft, DescriptionOnly, true)
        );
    }

    #[test]
    fn stops_the_user_did_not_make_are_flagged_where_they_wait() {
        let needs_text = TimeSettings {
            require_description: true,
            ..TimeSettings::default()
        };
        let flag = |who: Reviewer, settings: &TimeSettings, stopper| {
            let rule = who.stop(settings, stopper);
            (rule.status, rule.flag, rule.completes_task)
        };
        use EntryStatus::*;
        let defaults = TimeSettings::default();
        // T8: the watchdog's entry is flagged for every user, and completes nothing.
        assert_eq!(
            flag(MEMBER, &defaults, Stopper::Runaway),
            (Draft, Some(EntryFlag::Runaway), false)
        );
        assert_eq!(
            flag(TIMER_ONLY, &defaults, Stopper::Runaway),
            (Submitted, Some(EntryFlag::Runaway), false)
        );
        // T6 and T11: an admin's stop of a timer-only user's timer waits for its description.
        assert_eq!(
            flag(TIMER_ONLY, &needs_text, Stopper::Admin),
            (Draft, Some(EntryFlag::NeedsDescription), false)
        );
        assert_eq!(
            flag(TIMER_ONLY, &defaults, Stopper::Admin),
            (Submitted, None, false)
        );
        // Submitted for approval, never approved unseen, whatever the automatic status.
        let approving = TimeSettings {
            automatic_entry_status: Approved,
            ..TimeSettings::default()
        };
        for stopper in [Stopper::Switch, Stopper::Admin, Stopper::Runaway] {
            assert_eq!(flag(TIMER_ONLY, &approving, stopper).0, Submitted);
        }
        assert_eq!(flag(TIMER_ONLY, &approving, Stopper::Own).0, Approved);
        assert_eq!(
            flag(MEMBER, &needs_text, Stopper::Admin),
            (Draft, None, false)
        );
        // Their own Stop asks for the description instead of flagging.
        assert_eq!(
            flag(TIMER_ONLY, &needs_text, Stopper::Own),
            (Draft, None, true)
        );
    }

    #[test]
    fn a_review_answers_a_runaway_and_a_description_answers_its_lack() {
        let runaway = Some(EntryFlag::Runaway);
        let needs = Some(EntryFlag::NeedsDescription);
        assert_eq!(review(60, "", false).flag_after(runaway), None);
        assert_eq!(review(60, " ", false).flag_after(needs), needs);
        assert_eq!(review(60, "Support call", false).flag_after(needs), None);
        assert_eq!(review(60, "", true).flag_after(None), None);
    }

    #[test]
    fn only_reviewers_throw_drafts_away_and_long_entries_can_still_be_sent() {
        let settings = TimeSettings::default();
        assert_eq!(MEMBER.discard(&settings, EntryStatus::Draft), Ok(()));
        assert_eq!(
            MEMBER.discard(&settings, EntryStatus::Approved),
            Err(ReviewRefusal::Locked(EntryStatus::Approved))
        );
        assert_eq!(
            TIMER_ONLY.discard(&settings, EntryStatus::Draft),
            Err(ReviewRefusal::Discard)
        );
        // A forgotten timer's 30 hours: described and sent as they are, not changed to more.
        let long = (EntryStatus::Draft, 30 * 3600, false);
        assert_eq!(
            TIMER_ONLY.review(&settings, long, &review(30 * 3600, "Forgot it", true)),
            Ok(EntryStatus::Submitted)
        );
        assert_eq!(
            MEMBER.review(&settings, long, &review(31 * 3600, "", false)),
            Err(ReviewRefusal::Hours)
        );
    }

    #[test]
    fn without_a_review_only_the_description_is_added() {
        let settings = TimeSettings {
            require_description: true,
            ..TimeSettings::default()
        };
        let draft = (EntryStatus::Draft, 600, false);
        assert_eq!(
            TIMER_ONLY.review(&settings, draft, &review(600, "Answered tickets", true)),
            Ok(EntryStatus::Submitted)
        );
        assert_eq!(
            TIMER_ONLY.review(&settings, draft, &review(900, "Answered tickets", true)),
            Err(ReviewRefusal::DescriptionOnly)
        );
        let billable = Review {
            billable: true,
            ..review(600, "Answered tickets", true)
        };
        assert_eq!(
            TIMER_ONLY.review(&settings, draft, &billable),
            Err(ReviewRefusal::DescriptionOnly)
        );
    }
}
