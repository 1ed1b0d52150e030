//! Payloads of the workspace server's REST API, one module per part of it, all named from here
//! (`stint_api::rest::Entry`).
//!
//! The server refuses control characters other than tab, line feed and carriage return in any
//! text it is sent (`invalid_text`); each text field's pattern says so. utoipa takes only
//! literals here: the server's tests check these numbers against its own limits.

mod accounts;
mod entries;
mod people;
mod settings;
mod teams;
mod work;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

pub use accounts::*;
pub use entries::*;
pub use people::*;
pub use settings::*;
pub use teams::*;
pub use work::*;

#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
pub struct Health {
    pub status: String,
    pub version: String,
}
