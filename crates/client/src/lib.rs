//! Stint's desktop brain, without Tauri: the local store, the outbox and sync engine, the token
//! vault, and `Desk`, the one command surface every UI action goes through.

mod clock;
mod desk;
mod error;
mod server_client;
pub mod store;
mod vault;

pub use clock::Clock;
pub use desk::{Desk, DeskConfig};
pub use error::{DeskError, StoreError};
pub use store::EntryReview;
