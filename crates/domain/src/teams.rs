//! Teams (P2): the four team permissions, the two default team roles, a team's work-log
//! visibility, and what a member may do in a team (`team_grants`) — never more than their
//! workspace permissions allow.

use serde::{Deserialize, Serialize};

use crate::access::{Flag, Permission, Permissions, Set};

/// One of P2's team permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum TeamPermission {
    /// Log time to the team.
    WorkOnIssues,
    /// See the team members' entries.
    ViewWorkLogs,
    /// See the team members' entries, and create and edit them.
    ManageWorkLogs,
    /// See the team members' entries, close and reopen periods, and change the team's
    /// members, custom roles and name (not delete it).
    ManageTeam,
}

impl TeamPermission {
    pub const ALL: [TeamPermission; 4] = [
        TeamPermission::WorkOnIssues,
        TeamPermission::ViewWorkLogs,
        TeamPermission::ManageWorkLogs,
        TeamPermission::ManageTeam,
    ];

    /// The wire and database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TeamPermission::WorkOnIssues => "work_on_issues",
            TeamPermission::ViewWorkLogs => "view_work_logs",
            TeamPermission::ManageWorkLogs => "manage_work_logs",
            TeamPermission::ManageTeam => "manage_team",
        }
    }

    pub fn parse(s: &str) -> Option<TeamPermission> {
        TeamPermission::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

impl Flag for TeamPermission {
    const ALL: &'static [TeamPermission] = &TeamPermission::ALL;

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of team permissions.
pub type TeamPermissions = Set<TeamPermission>;

/// The roles every team has from its creation; they cannot be changed or deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum DefaultTeamRole {
    TeamLead,
    TeamMember,
}

impl DefaultTeamRole {
    pub const ALL: [DefaultTeamRole; 2] = [DefaultTeamRole::TeamLead, DefaultTeamRole::TeamMember];

    pub fn as_str(self) -> &'static str {
        match self {
            DefaultTeamRole::TeamLead => "team_lead",
            DefaultTeamRole::TeamMember => "team_member",
        }
    }

    pub fn parse(s: &str) -> Option<DefaultTeamRole> {
        DefaultTeamRole::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn name(self) -> &'static str {
        match self {
            DefaultTeamRole::TeamLead => "Team Lead",
            DefaultTeamRole::TeamMember => "Team Member",
        }
    }

    pub fn permissions(self) -> TeamPermissions {
        match self {
            DefaultTeamRole::TeamLead => TeamPermissions::of(&TeamPermission::ALL),
            DefaultTeamRole::TeamMember => TeamPermissions::of(&[TeamPermission::WorkOnIssues]),
        }
    }
}

/// Who sees a team's entries (P4), chosen when the team is made and never changed: *public*
/// entries are seen as any entry is; *secured* ones only by their author and by members of
/// the team whose role can view or manage work logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum WorkLogs {
    Public,
    Secured,
}

impl WorkLogs {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkLogs::Public => "public",
            WorkLogs::Secured => "secured",
        }
    }

    pub fn parse(s: &str) -> Option<WorkLogs> {
        [WorkLogs::Public, WorkLogs::Secured]
            .into_iter()
            .find(|w| w.as_str() == s)
    }
}

/// A team role a member holds: a default one, or a custom one with its permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldTeamRole {
    Default(DefaultTeamRole),
    Custom(TeamPermissions),
}

/// What a member may do in a team: the union of their team roles' permissions, where managing
/// work logs or the team includes viewing work logs, and cut to what their workspace grants —
/// logging time or managing others' logs needs `time:write`, viewing logs `time:read`.
pub fn team_grants(roles: &[HeldTeamRole], workspace: Permissions) -> TeamPermissions {
    use TeamPermission::*;
    let held = roles
        .iter()
        .map(|role| match role {
            HeldTeamRole::Default(role) => role.permissions(),
            HeldTeamRole::Custom(permissions) => *permissions,
        })
        .fold(TeamPermissions::NONE, TeamPermissions::union);
    let views =
        held.contains(ViewWorkLogs) || held.contains(ManageWorkLogs) || held.contains(ManageTeam);
    let reads = workspace.contains(Permission::Read);
    let writes = workspace.contains(Permission::Write);
    [
        (WorkOnIssues, held.contains(WorkOnIssues) && writes),
        (ViewWorkLogs, views && reads),
        (
            ManageWorkLogs,
            held.contains(ManageWorkLogs) && reads && writes,
        ),
        (ManageTeam, held.contains(ManageTeam)),
    ]
    .into_iter()
    .filter_map(|(permission, granted)| granted.then_some(permission))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::DefaultRole;
    use TeamPermission::*;

    #[test]
    fn spellings_round_trip_and_match_serde() {
        for p in TeamPermission::ALL {
            assert_eq!(TeamPermission::parse(p.as_str()), Some(p));
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        for r in DefaultTeamRole::ALL {
            assert_eq!(DefaultTeamRole::parse(r.as_str()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        for w in [WorkLogs::Public, WorkLogs::Secured] {
            assert_eq!(WorkLogs::parse(w.as_str()), Some(w));
            assert_eq!(serde_json::to_value(w).unwrap(), w.as_str());
        }
    }

    /// Every team role set against three workspace grants, from the spec's table.
    #[test]
    fn team_grants_are_the_roles_union_cut_to_the_workspace_grants() {
        let lead = HeldTeamRole::Default(DefaultTeamRole::TeamLead);
        let member = HeldTeamRole::Default(DefaultTeamRole::TeamMember);
        let viewer = HeldTeamRole::Custom(TeamPermissions::of(&[ViewWorkLogs]));
        let log_manager = HeldTeamRole::Custom(TeamPermissions::of(&[ManageWorkLogs]));
        let deputy = HeldTeamRole::Custom(TeamPermissions::of(&[ManageTeam]));
        let nothing = HeldTeamRole::Custom(TeamPermissions::NONE);
        let full = DefaultRole::Member.permissions();
        let read_only = Permissions::of(&[Permission::Read]);
        let none = Permissions::NONE;
        let all = TeamPermission::ALL.to_vec();
        let table: Vec<(Vec<HeldTeamRole>, Permissions, Vec<TeamPermission>)> = vec![
            (vec![], full, vec![]),
            (vec![nothing], full, vec![]),
            (vec![lead], full, all.clone()),
            (vec![member], full, vec![WorkOnIssues]),
            (vec![viewer], full, vec![ViewWorkLogs]),
            (vec![log_manager], full, vec![ViewWorkLogs, ManageWorkLogs]),
            (vec![deputy], full, vec![ViewWorkLogs, ManageTeam]),
            (vec![member, viewer], full, vec![WorkOnIssues, ViewWorkLogs]),
            // Team roles never widen the workspace's: no time:write, no logging or managing logs.
            (vec![lead], read_only, vec![ViewWorkLogs, ManageTeam]),
            (vec![member], read_only, vec![]),
            (vec![log_manager], read_only, vec![ViewWorkLogs]),
            (vec![lead], none, vec![ManageTeam]),
            (vec![viewer], none, vec![]),
            (
                vec![member],
                Permissions::of(&[Permission::Write]),
                vec![WorkOnIssues],
            ),
        ];
        for (roles, workspace, expected) in table {
            assert_eq!(
                team_grants(&roles, workspace).to_vec(),
                expected,
                "{roles:?} with {workspace:?}"
            );
        }
    }
}
