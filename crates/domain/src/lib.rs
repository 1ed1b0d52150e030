//! Stint's rules, free of IO: the timer's segment arithmetic, the states of tasks and entries,
//! workspace permissions and roles, teams, the filters of groups and users, and a workspace's
//! time settings with the rounding of stopped timers.
//! Every function that needs "now" takes it as an argument, so tests and crash recovery see the
//! same arithmetic as the live app.

mod access;
mod activity;
mod calendar;
mod filters;
mod idle;
mod pomodoro;
mod review;
mod settings;
mod status;
mod teams;
mod timer;
mod timer_head;

pub use access::{
    grants, DefaultRole, Flag, HeldRole, Permission, Permissions, Set, TimesheetAccess,
};
pub use activity::ActivityKind;
pub use calendar::{start_of_day, week_bounds};
pub use filters::{resolve_filter, DefaultGroup, Filter, FilterSettings, FilterSource, Page};
pub use idle::{slept, Away, IdleLook, IdleWatch};
pub use pomodoro::{Pomodoro, PomodoroLengths, PomodoroPhase, PomodoroStep, FOCUS_PER_LONG_BREAK};
pub use review::{Review, ReviewAsk, ReviewRefusal, Reviewer, StopRule, Stopper, MAX_ENTRY_SECS};
pub use settings::{
    round_duration, RoundingStrategy, SettingError, TimeSettings, MAX_ROUNDING_MINUTES,
    ROUNDING_MINUTES,
};
pub use status::{EntryFlag, EntrySource, EntryStatus, TaskStatus};
pub use teams::{
    team_grants, DefaultTeamRole, HeldTeamRole, TeamPermission, TeamPermissions, WorkLogs,
};
pub use timer::{format_hm, Segment, StoppedTimer, Timer, TimerError, TimerState};
pub use timer_head::{StoppedHead, TimerHead, MAX_SEGMENTS};

/// All instants are UTC wall-clock times with millisecond precision.
pub type Instant = chrono::DateTime<chrono::Utc>;
