//! The desktop command surface: what the UI sends to `Desk` (through Tauri IPC or the HTTP
//! bridge) and what it gets back. The table of calls below is the one place that says both;
//! `desk_calls!` turns it into `DeskCall`, `DeskReply`, `DeskHandler` and `DeskReplies`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::desk_calls::desk_calls;
use crate::rest::{Entry, Task, TeamNow, TimeSettings, TimeSettingsChange, User, Workspace};
use crate::sync::TaskProgress;
use crate::{PomodoroPhase, Segment, TaskStatus, TimerState};
pub use stint_domain::ReviewAsk;

// One line per call: `method: Variant { arguments } -> Reply;`. A new line makes the compiler ask
// for the matching `DeskHandler` method on `Desk`; `cargo xtask gen` then gives the UI its types.
desk_calls! {
    /// Who is signed in, or `null` (also when the token of an earlier run is gone).
    session: Session -> Option<Session>;
    /// Signs in — to the workspace this user chose last on this installation, else their first
    /// — and fetches its tasks.
    sign_in: SignIn { server_url: String, email: String, password: String } -> Session;
    /// Opens another of the user's workspaces (remembered for the next sign-in); refused while
    /// changes wait to be sent or sync issues wait to be looked at.
    switch_workspace: SwitchWorkspace { workspace_id: Uuid } -> Session;
    /// Revokes the token and forgets the user's local data; refused while changes wait.
    sign_out: SignOut -> ();
    /// Tasks from the local cache (works offline).
    tasks: Tasks -> Vec<Task>;
    /// Which cached tasks are the user's beyond those assigned to them by name: through their
    /// teams, and those they used lately on this device (works offline).
    my_tasks: MyTasks -> MyTasks;
    /// Starts work on a task, stopping a running timer first.
    start_work: StartWork { task_id: Uuid } -> CurrentTimer;
    pause: Pause -> CurrentTimer;
    resume: Resume -> CurrentTimer;
    /// Stops the timer into a draft entry, and says what to ask before keeping it (T4).
    stop: Stop -> Stopped;
    /// T4: the review a stop made in the tray or by the global shortcut asks for, while its
    /// entry is as the stop left it; once (the window asks it when it gets it).
    asked_review: AskedReview -> Option<Stopped>;
    /// T4: the review dialog's answer for an entry of the user's (a draft or a returned one):
    /// its hours, notes and billable, submitted or kept as a draft, and its task's status and
    /// % complete when the user changed them (works offline).
    review_entry: ReviewEntry {
        entry_id: Uuid,
        #[ts(type = "number")] duration_secs: i64,
        description: String,
        billable: bool,
        submit: bool,
        task: Option<TaskProgress>,
    } -> WeekEntry;
    /// T4: throws a draft (or returned) entry of the user's away (works offline).
    discard_entry: DiscardEntry { entry_id: Uuid } -> ();
    /// The workspace's time settings as the last sync brought them (works offline).
    time_settings: TimeSettings -> TimeSettings;
    /// Changes the workspace's time settings on the server: admins, online only (S).
    change_time_settings: ChangeTimeSettings { change: TimeSettingsChange } -> TimeSettings;
    /// T6: who in the workspace is tracking what now, from the server: admins, online only.
    team_now: TeamNow -> TeamNow;
    /// T6: pauses or stops someone's timer on the server (admins, online only); then who is
    /// tracking what. Its owner's devices are told who did it.
    control_timer: ControlTimer { timer_id: Uuid, action: TimerAction } -> TeamNow;
    current_timer: CurrentTimer -> Option<CurrentTimer>;
    /// T10: Pomodoro on the timer, from a focus now (a paused timer resumes).
    start_pomodoro: StartPomodoro -> CurrentTimer;
    /// T10: ends the Pomodoro phase now and starts the next.
    skip_pomodoro_phase: SkipPomodoroPhase -> CurrentTimer;
    /// T10: back to a plain timer (as it is: running, or paused in a break).
    end_pomodoro: EndPomodoro -> CurrentTimer;
    /// T9: the time away the user is asked about, while the timer it ran on is unchanged.
    idle_prompt: IdlePrompt -> Option<IdlePrompt>;
    /// T9: what to do with the time away; then the timer, if one runs.
    answer_idle: AnswerIdle { answer: IdleAnswer } -> Option<CurrentTimer>;
    /// This week's entries, oldest first.
    week_entries: WeekEntries -> Vec<WeekEntry>;
    /// D5: this device's global shortcut for Start/Stop, and why it is off if it had to be.
    device_settings: DeviceSettings -> DeviceSettings;
    /// D5: sets the global shortcut ("Ctrl+Alt+S"), or turns it off with `null`.
    set_shortcut: SetShortcut { shortcut: Option<String> } -> DeviceSettings;
    /// Pushes local changes and pulls the server's now.
    sync_now: SyncNow -> SyncStatus;
    sync_status: SyncStatus -> SyncStatus;
    /// Changes the server refused or decided otherwise about, oldest first.
    sync_issues: SyncIssues -> Vec<SyncIssue>;
    /// Sends the issue's change again (as a new change) and drops the issue.
    retry_sync_issue: RetrySyncIssue { #[ts(type = "number")] id: i64 } -> SyncStatus;
    /// Drops the issue; the change is not sent again.
    dismiss_sync_issue: DismissSyncIssue { #[ts(type = "number")] id: i64 } -> SyncStatus;
}

/// Settings of this installation only, not of the workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DeviceSettings {
    /// The global shortcut that starts work on the latest task or stops the timer; none: off.
    pub shortcut: Option<String>,
    /// Why the shortcut was turned off (another app holds it, or it is not a key Stint knows).
    pub shortcut_problem: Option<String>,
}

/// The global shortcut of a new installation.
pub const DEFAULT_SHORTCUT: &str = "Ctrl+Alt+S";

/// What an admin does to someone's timer (T6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TimerAction {
    Pause,
    Stop,
}

/// T9: the user came back to a running timer after *idle minutes* or more without input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct IdlePrompt {
    pub timer_id: Uuid,
    pub task: Task,
    /// Their last input before going away (or the timer's start, if later).
    pub since: DateTime<Utc>,
    /// Their first input after.
    pub back_at: DateTime<Utc>,
}

/// T9: what becomes of the time away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum IdleAnswer {
    /// It counts: nothing changes.
    Keep,
    /// The entry ends where the user went away (a draft); the timer goes on from their return.
    Discard,
    /// The entry ends where the user went away (a draft), and no timer runs.
    DiscardAndStop,
    /// The time away is given to another task (an entry of its own); the timer goes on from
    /// the return.
    MoveTo { task_id: Uuid },
}

/// What Start Work needs besides the tasks themselves to show "Recent" and "Assigned to me".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct MyTasks {
    /// The teams the user was in at the last sync: a task assigned to one is theirs too.
    pub team_ids: Vec<Uuid>,
    /// The tasks of the user's timer and latest entries on this device, latest first (at most
    /// five).
    pub recent_task_ids: Vec<Uuid>,
}

/// Who is signed in, where, and where the device token is kept (D4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Session {
    pub server_url: String,
    pub user: User,
    pub workspace: Workspace,
    /// Every workspace the user could open when they signed in, by name: the window offers
    /// the choice when there are several.
    pub workspaces: Vec<Workspace>,
    pub token_storage: TokenStorage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TokenStorage {
    /// The OS keyring (Secret Service, Keychain, Credential Manager).
    Keyring,
    /// No keyring service: the token lives in memory for this run only.
    Memory,
}

/// The running or paused timer with what the UI shows beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CurrentTimer {
    pub timer_id: Uuid,
    pub task: Task,
    pub state: TimerState,
    pub started_at: DateTime<Utc>,
    /// Counted seconds at `as_of`; the UI adds the time since while `state` is running.
    #[ts(type = "number")]
    pub elapsed_secs: i64,
    pub as_of: DateTime<Utc>,
    pub segments: Vec<Segment>,
    /// T10: where the timer's Pomodoro is, if it has one.
    pub pomodoro: Option<PomodoroNow>,
}

/// T10: the Pomodoro phase of the timer and when it ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PomodoroNow {
    pub phase: PomodoroPhase,
    pub ends_at: DateTime<Utc>,
    /// Focus sessions done (a long break follows every 4th).
    pub focus_done: u32,
}

/// A stopped timer's entry, and what the window asks before keeping it (T4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Stopped {
    pub entry: WeekEntry,
    pub review: ReviewAsk,
}

/// An entry of the week with its task's title and project, for lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct WeekEntry {
    pub entry: Entry,
    pub task_title: String,
    pub project_name: String,
    pub project_color: String,
    /// The task's status and % complete now, which the review dialog shows (T4).
    pub task_status: TaskStatus,
    pub task_percent_complete: u8,
    /// Whether the server has acknowledged it.
    pub synced: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SyncStatus {
    /// Whether the last contact with the server succeeded.
    pub online: bool,
    /// Local changes waiting to be pushed.
    #[ts(type = "number")]
    pub pending: i64,
    /// Entries of the *Sync issues* list.
    #[ts(type = "number")]
    pub issues: i64,
    /// While a sync pushes a backlog: how far it got ("Syncing 3,200 of 20,000 changes…").
    pub progress: Option<SyncProgress>,
    /// How far this device's clock is from the server's, in seconds (positive: the device is
    /// behind). Instants are corrected by it; the UI warns when it is over a minute.
    #[ts(type = "number")]
    pub clock_offset_secs: i64,
    /// Something the user should know, e.g. "Your timer was stopped: work started on another of
    /// your devices." (until they act on their timer).
    pub notice: Option<String>,
    pub last_synced_at: Option<DateTime<Utc>>,
    /// Since when the server could not be reached.
    pub offline_since: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn calls_without_arguments_may_leave_args_out() {
        let call: DeskCall = serde_json::from_value(json!({ "method": "session" })).unwrap();
        assert_eq!(call, DeskCall::Session);
        let call: DeskCall = serde_json::from_value(
            json!({ "method": "start_work", "args": { "task_id": Uuid::nil() } }),
        )
        .unwrap();
        assert_eq!(
            call,
            DeskCall::StartWork {
                task_id: Uuid::nil()
            }
        );
    }

    #[test]
    fn method_names_match_the_wire() {
        for method in DeskCall::METHODS {
            match serde_json::from_value::<DeskCall>(json!({ "method": method })) {
                Ok(call) => assert_eq!(call.method(), *method),
                // A call that takes arguments: the name is known, the arguments are missing.
                Err(error) => assert!(
                    error.to_string().contains("missing field `args`"),
                    "{method}: {error}"
                ),
            }
        }
    }

    #[test]
    fn a_reply_is_its_bare_value() {
        assert_eq!(
            serde_json::to_value(DeskReply::SignOut(())).unwrap(),
            json!(null)
        );
        assert_eq!(
            serde_json::to_value(DeskReply::Tasks(vec![])).unwrap(),
            json!([])
        );
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SyncProgress {
    #[ts(type = "number")]
    pub done: i64,
    #[ts(type = "number")]
    pub total: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SyncIssueKind {
    /// The server refused the change (a rule, an unknown task …).
    Rejected,
    /// The server had already decided otherwise (the timer was stopped elsewhere): the device
    /// took the server's version; this is what it had instead.
    Reconciled,
}

/// One entry of the *Sync issues* list: a change of this device the server did not take as it
/// was, in plain words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SyncIssue {
    #[ts(type = "number")]
    pub id: i64,
    pub kind: SyncIssueKind,
    /// The change, for example "Stop work on “Design review” at 10:42".
    pub change: String,
    pub code: crate::ErrorCode,
    /// Why, in the server's words.
    pub reason: String,
    /// What the server has instead, when it kept its own version.
    pub server_has: Option<String>,
    /// When the change was made on this device.
    pub made_at: DateTime<Utc>,
    /// Whether sending it again can succeed (an unknown task cannot, a busy rule might).
    pub can_retry: bool,
}
