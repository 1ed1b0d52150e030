//! What an entry's activity feed records (E1).

use serde::{Deserialize, Serialize};

/// One kind of event in an entry's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum ActivityKind {
    Created,
    HoursEdited,
    BillableToggled,
    StatusChanged,
    /// Logged to another team, or to none.
    Moved,
    Approved,
    Rejected,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 7] = [
        ActivityKind::Created,
        ActivityKind::HoursEdited,
        ActivityKind::BillableToggled,
        ActivityKind::StatusChanged,
        ActivityKind::Moved,
        ActivityKind::Approved,
        ActivityKind::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Created => "created",
            ActivityKind::HoursEdited => "hours_edited",
            ActivityKind::BillableToggled => "billable_toggled",
            ActivityKind::StatusChanged => "status_changed",
            ActivityKind::Moved => "moved",
            ActivityKind::Approved => "approved",
            ActivityKind::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<ActivityKind> {
        ActivityKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip_and_match_serde() {
        for kind in ActivityKind::ALL {
            assert_eq!(ActivityKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
    }
}
