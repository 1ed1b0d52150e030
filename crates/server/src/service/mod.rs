//! The rules, written once above storage: sign-in and tokens (`accounts`), the timer rules T1,
//! T2 and T3 (`timers`, on a pushed batch's view of the user's data: `batch`), sync push and pull
//! (`sync`), and the demo workspace (`demo`).

pub mod accounts;
mod batch;
pub mod demo;
pub mod passwords;
pub mod sync;
pub mod tasks;
mod timers;
