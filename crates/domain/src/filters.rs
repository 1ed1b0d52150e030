//! Groups' and users' filters (P3): what narrows — never widens — the lists and reports that
//! support filtering. Which filter a page gets is decided in four steps, by `resolve_filter`.

use serde::{Deserialize, Serialize};

/// A filter on a page's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum Filter {
    /// Everything the permissions allow.
    None,
    /// Only the people the user manages.
    Manager,
    /// Only the projects the user leads.
    ProjectLeader,
    /// Only the user's own hours.
    OwnHours,
}

impl Filter {
    pub const ALL: [Filter; 4] = [
        Filter::None,
        Filter::Manager,
        Filter::ProjectLeader,
        Filter::OwnHours,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Filter::None => "none",
            Filter::Manager => "manager",
            Filter::ProjectLeader => "project_leader",
            Filter::OwnHours => "own_hours",
        }
    }

    pub fn parse(s: &str) -> Option<Filter> {
        Filter::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// The pages that support filtering.
/// Ordered as declared, which is `Page::ALL`'s order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum Page {
    Timesheets,
    Approvals,
    Reports,
    Members,
}

impl Page {
    pub const ALL: [Page; 4] = [
        Page::Timesheets,
        Page::Approvals,
        Page::Reports,
        Page::Members,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Page::Timesheets => "timesheets",
            Page::Approvals => "approvals",
            Page::Reports => "reports",
            Page::Members => "members",
        }
    }

    pub fn parse(s: &str) -> Option<Page> {
        Page::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// The groups every workspace starts with (P3). They can be renamed, changed and (when empty)
/// removed like any other; a new member joins the one their roles suggest (`for_roles`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum DefaultGroup {
    Administrators,
    Managers,
    ProjectLeaders,
    Employees,
}

impl DefaultGroup {
    pub const ALL: [DefaultGroup; 4] = [
        DefaultGroup::Administrators,
        DefaultGroup::Managers,
        DefaultGroup::ProjectLeaders,
        DefaultGroup::Employees,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DefaultGroup::Administrators => "administrators",
            DefaultGroup::Managers => "managers",
            DefaultGroup::ProjectLeaders => "project_leaders",
            DefaultGroup::Employees => "employees",
        }
    }

    pub fn parse(s: &str) -> Option<DefaultGroup> {
        DefaultGroup::ALL.into_iter().find(|g| g.as_str() == s)
    }

    pub fn name(self) -> &'static str {
        match self {
            DefaultGroup::Administrators => "Administrators",
            DefaultGroup::Managers => "Managers",
            DefaultGroup::ProjectLeaders => "Project leaders",
            DefaultGroup::Employees => "Employees",
        }
    }

    /// The filter the group starts with.
    pub fn filter(self) -> Filter {
        match self {
            DefaultGroup::Administrators => Filter::None,
            DefaultGroup::Managers => Filter::Manager,
            DefaultGroup::ProjectLeaders => Filter::ProjectLeader,
            DefaultGroup::Employees => Filter::OwnHours,
        }
    }

    /// The pages its members may open, as it starts.
    pub fn pages(self) -> &'static [Page] {
        match self {
            DefaultGroup::Administrators | DefaultGroup::Managers => &Page::ALL,
            DefaultGroup::ProjectLeaders => &[Page::Timesheets, Page::Reports],
            DefaultGroup::Employees => &[Page::Timesheets],
        }
    }

    /// Where a new member with these default roles goes: admins to Administrators, managers
    /// to Managers, everyone else to Employees.
    pub fn for_roles(roles: &[crate::DefaultRole]) -> DefaultGroup {
        use crate::DefaultRole;
        if roles.contains(&DefaultRole::Admin) {
            DefaultGroup::Administrators
        } else if roles.contains(&DefaultRole::Manager) {
            DefaultGroup::Managers
        } else {
            DefaultGroup::Employees
        }
    }
}

/// Where the filter a page gets was set: what the window shows beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum FilterSource {
    UserOverrule,
    GroupOverrule,
    User,
    Group,
}

/// The filter settings that bear on one page for one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilterSettings {
    /// The user's overrule for this page.
    pub user_overrule: Option<Filter>,
    /// Their group's overrule for this page.
    pub group_overrule: Option<Filter>,
    /// The user's own filter (optional).
    pub user: Option<Filter>,
    /// Their group's filter (every group has one).
    pub group: Filter,
}

/// P3's resolution: (1) the user's overrule for the page, else (2) the group's overrule for
/// the page, else (3) the user's filter, else (4) the group's filter.
pub fn resolve_filter(settings: FilterSettings) -> (Filter, FilterSource) {
    if let Some(filter) = settings.user_overrule {
        return (filter, FilterSource::UserOverrule);
    }
    if let Some(filter) = settings.group_overrule {
        return (filter, FilterSource::GroupOverrule);
    }
    if let Some(filter) = settings.user {
        return (filter, FilterSource::User);
    }
    (settings.group, FilterSource::Group)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Filter::*;
    use FilterSource as From;

    /// Every combination of present and absent settings, each level with a filter of its own so
    /// that the answer shows which level won.
    #[test]
    fn the_four_steps_in_every_combination() {
        let (u_over, g_over, user, group) = (OwnHours, ProjectLeader, Manager, None);
        let table = [
            // user overrule, group overrule, user filter → filter, source
            (true, true, true, (OwnHours, From::UserOverrule)),
            (true, true, false, (OwnHours, From::UserOverrule)),
            (true, false, true, (OwnHours, From::UserOverrule)),
            (true, false, false, (OwnHours, From::UserOverrule)),
            (false, true, true, (ProjectLeader, From::GroupOverrule)),
            (false, true, false, (ProjectLeader, From::GroupOverrule)),
            (false, false, true, (Manager, From::User)),
            (false, false, false, (None, From::Group)),
        ];
        for (has_user_overrule, has_group_overrule, has_user_filter, expected) in table {
            let settings = FilterSettings {
                user_overrule: has_user_overrule.then_some(u_over),
                group_overrule: has_group_overrule.then_some(g_over),
                user: has_user_filter.then_some(user),
                group,
            };
            assert_eq!(resolve_filter(settings), expected, "{settings:?}");
        }
    }

    #[test]
    fn a_level_may_set_the_same_filter_as_another_and_still_be_the_source() {
        let settings = FilterSettings {
            user_overrule: Option::None,
            group_overrule: Some(Manager),
            user: Some(Manager),
            group: Manager,
        };
        assert_eq!(resolve_filter(settings), (Manager, From::GroupOverrule));
    }

    #[test]
    fn new_members_join_the_group_their_roles_suggest() {
        use crate::DefaultRole as R;
        assert_eq!(
            DefaultGroup::for_roles(&[R::Member, R::Admin]),
            DefaultGroup::Administrators
        );
        assert_eq!(
            DefaultGroup::for_roles(&[R::Manager]),
            DefaultGroup::Managers
        );
        assert_eq!(
            DefaultGroup::for_roles(&[R::Finance]),
            DefaultGroup::Employees
        );
        assert_eq!(DefaultGroup::for_roles(&[]), DefaultGroup::Employees);
    }

    #[test]
    fn spellings_round_trip() {
        for f in Filter::ALL {
            assert_eq!(Filter::parse(f.as_str()), Some(f));
            assert_eq!(serde_json::to_value(f).unwrap(), f.as_str());
        }
        for p in Page::ALL {
            assert_eq!(Page::parse(p.as_str()), Some(p));
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        for g in DefaultGroup::ALL {
            assert_eq!(DefaultGroup::parse(g.as_str()), Some(g));
            assert_eq!(serde_json::to_value(g).unwrap(), g.as_str());
        }
    }
}
