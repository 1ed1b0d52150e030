//! The one source of truth for what crosses a boundary: REST (`rest`), sync (`sync`) and the
//! desktop command surface that the UI calls (`desk`). `typescript::write_all` generates the
//! UI's types from these structs; the server derives its OpenAPI document from them.

pub mod desk;
mod desk_calls;
mod error;
mod instant;
pub mod rest;
pub mod sync;
pub mod typescript;

pub use error::ErrorCode;
pub use stint_domain::{
    ActivityKind, DefaultGroup, DefaultRole, DefaultTeamRole, EntryFlag, EntrySource, EntryStatus,
    Filter, FilterSource, Page, Permission, PomodoroPhase, Segment, TaskStatus, TeamPermission,
    TimerState, TimesheetAccess, WorkLogs,
};

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// How every error crosses a boundary. Callers branch on `code`, never on `message`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "unknown")]
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ErrorBody {
        ErrorBody {
            code,
            message: message.into(),
            details: None,
        }
    }

    pub fn with_details(mut self, details: serde_json::Value) -> ErrorBody {
        self.details = Some(details);
        self
    }
}

/// Whether `text` holds a control character other than tab, line feed and carriage return: the
/// server refuses such text anywhere in a request (`invalid_text`), so devices check first.
pub fn is_control_text(text: &str) -> bool {
    // By bytes, as the server reads every string of a request: the control characters are
    // U+0000–U+001F, U+007F and U+0080–U+009F, which UTF-8 writes as 0xC2 0x80–0x9F.
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(i, &byte)| match byte {
        b'\t' | b'\n' | b'\r' => false,
        0x00..=0x1F | 0x7F => true,
        0xC2 => matches!(bytes.get(i + 1), Some(0x80..=0x9F)),
        _ => false,
    })
}

/// An optional field that is either left out or holds a value: `null` is refused, as the
/// schema says, rather than read as left out.
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// An optional field that may also be `null`: left out is `None`, `null` is `Some(None)`.
fn value_or_null<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// The byte scan agrees with Unicode's control characters (category Cc), on any text
        /// and on text dense with the edges (C0, DEL, C1, their UTF-8 neighbours).
        #[test]
        fn control_text_is_unicodes_control_characters(
            text in prop_oneof![
                any::<String>(),
                proptest::collection::vec(
                    prop_oneof![0u32..0x21, 0x7Eu32..0xA1, 0x100u32..0x2100],
                    0..8,
                )
                .prop_map(|codes| codes.into_iter().filter_map(char::from_u32).collect()),
            ]
        ) {
            let by_chars = text
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'));
            prop_assert_eq!(super::is_control_text(&text), by_chars, "{:?}", text);
        }
    }
}
