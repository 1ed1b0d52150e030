//! The rules, written once above storage: sign-in and tokens (`accounts`), the timer rules T1,
//! T2 and T3 (`timers`, on a pushed batch's view of the user's data: `batch`), a user's review
//! of their entries, T4 (`review`), timers changed by an admin or the runaway watchdog, T6 and
//! T8 (`control`), sync push and pull
//! (`sync`, with a snapshot's next page read ahead: `read_ahead`), entries as REST lists them
//! (`entries`), workspace roles and who holds them (`roles`), groups and filters (`groups`),
//! teams and their roles (`teams`), a workspace's time settings (`settings`), personal access tokens and devices (`tokens`), invitations
//! to join a workspace (`invitations`), the demo workspace (`demo`), and how fast failed
//! sign-ins may be tried (`sign_in_limits`).

pub mod accounts;
mod batch;
pub mod control;
pub mod demo;
pub mod entries;
pub mod groups;
pub mod invitations;
pub mod passwords;
pub mod projects;
pub mod read_ahead;
mod review;
pub mod roles;
pub mod settings;
pub mod sign_in_limits;
pub mod sync;
pub mod tasks;
pub mod teams;
mod timers;
pub mod tokens;
