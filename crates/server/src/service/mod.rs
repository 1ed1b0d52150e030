//! The rules, written once above storage: sign-in and tokens (`accounts`), the timer rules T1,
//! T2 and T3 (`timers`), sync push and pull (`sync`), and the demo workspace (`demo`).

pub mod accounts;
pub mod demo;
pub mod passwords;
pub mod sync;
pub mod tasks;
mod timers;
