//! Workspace permissions and roles (P1), as closed sets: what a role grants is a `Permissions`
//! value, and a caller's grants are the union of their roles' (`grants`). Nothing here reads
//! a database; the server's policy layer feeds these functions and hands out capabilities.

use std::marker::PhantomData;

use serde::{Deserialize, Serialize};

/// One of P1's workspace permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum Permission {
    /// See one's own entries.
    #[serde(rename = "time:read")]
    Read,
    /// See other people's entries (narrowed by filters, never secured ones outside a team).
    #[serde(rename = "time:read_all")]
    ReadAll,
    /// Log time and edit one's own entries.
    #[serde(rename = "time:write")]
    Write,
    /// Approve and reject submitted time.
    #[serde(rename = "time:approve")]
    Approve,
    /// Change the workspace's settings, people and roles.
    #[serde(rename = "time:settings")]
    Settings,
    /// Invoice time.
    #[serde(rename = "time:invoice")]
    Invoice,
}

impl Permission {
    pub const ALL: [Permission; 6] = [
        Permission::Read,
        Permission::ReadAll,
        Permission::Write,
        Permission::Approve,
        Permission::Settings,
        Permission::Invoice,
    ];

    /// The wire and database spelling, `time:read` …
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Read => "time:read",
            Permission::ReadAll => "time:read_all",
            Permission::Write => "time:write",
            Permission::Approve => "time:approve",
            Permission::Settings => "time:settings",
            Permission::Invoice => "time:invoice",
        }
    }

    pub fn parse(s: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// A closed set of flags (permissions, team permissions) that fits one byte.
pub trait Flag: Copy + 'static {
    /// Every flag, in the order sets list them.
    const ALL: &'static [Self];
    fn bit(self) -> u8;
}

impl Flag for Permission {
    const ALL: &'static [Permission] = &Permission::ALL;

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Set<F>(u8, PhantomData<F>);

/// A set of workspace permissions.
pub type Permissions = Set<Permission>;

impl<F: Flag> Set<F> {
    pub const NONE: Set<F> = Set(0, PhantomData);

    pub fn of(flags: &[F]) -> Set<F> {
        flags.iter().copied().collect()
    }

    pub fn with(self, flag: F) -> Set<F> {
        Set(self.0 | flag.bit(), PhantomData)
    }

    pub fn union(self, other: Set<F>) -> Set<F> {
        Set(self.0 | other.0, PhantomData)
    }

    pub fn contains(self, flag: F) -> bool {
        self.0 & flag.bit() != 0
    }

    /// The first flag (in `Flag::ALL` order) of this set that `held` lacks: what giving this
    /// set would add beyond what its giver holds.
    pub fn first_not_in(self, held: Set<F>) -> Option<F> {
        self.to_vec().into_iter().find(|f| !held.contains(*f))
    }

    /// In `Flag::ALL` order.
    pub fn to_vec(self) -> Vec<F> {
        F::ALL
            .iter()
            .copied()
            .filter(|f| self.contains(*f))
            .collect()
    }
}

impl<F: Flag> Default for Set<F> {
    fn default() -> Set<F> {
        Set::NONE
    }
}

impl<F: Flag> FromIterator<F> for Set<F> {
    fn from_iter<I: IntoIterator<Item = F>>(iter: I) -> Set<F> {
        iter.into_iter().fold(Set::NONE, Set::with)
    }
}

/// The roles every workspace has from its start (P1). Their permissions are the spec's and do
/// not change; custom roles are made for anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum DefaultRole {
    Member,
    Manager,
    Finance,
    Admin,
}

impl DefaultRole {
    pub const ALL: [DefaultRole; 4] = [
        DefaultRole::Member,
        DefaultRole::Manager,
        DefaultRole::Finance,
        DefaultRole::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DefaultRole::Member => "member",
            DefaultRole::Manager => "manager",
            DefaultRole::Finance => "finance",
            DefaultRole::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<DefaultRole> {
        DefaultRole::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The name a new workspace gives the role.
    pub fn name(self) -> &'static str {
        match self {
            DefaultRole::Member => "Member",
            DefaultRole::Manager => "Manager",
            DefaultRole::Finance => "Finance",
            DefaultRole::Admin => "Admin",
        }
    }

    pub fn permissions(self) -> Permissions {
        use Permission::*;
        match self {
            DefaultRole::Member => Permissions::of(&[Read, Write]),
            DefaultRole::Manager => Permissions::of(&[Read, Write, ReadAll, Approve]),
            DefaultRole::Finance => Permissions::of(&[Read, ReadAll, Invoice]),
            DefaultRole::Admin => Permissions::of(&Permission::ALL),
        }
    }
}

/// A member's timesheet permission level (T5): full, or timer access only (time is logged by
/// the timer alone; Stop completes the task and submits the entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wire", derive(ts_rs::TS, utoipa::ToSchema))]
pub enum TimesheetAccess {
    Full,
    TimerOnly,
}

impl TimesheetAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            TimesheetAccess::Full => "full",
            TimesheetAccess::TimerOnly => "timer_only",
        }
    }

    pub fn parse(s: &str) -> Option<TimesheetAccess> {
        [TimesheetAccess::Full, TimesheetAccess::TimerOnly]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

/// A role a user holds: a default one, or a custom one with the permissions it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldRole {
    Default(DefaultRole),
    Custom(Permissions),
}

/// What a member of a workspace may do there: the union of their roles' permissions. Default
/// roles' permissions are fixed, so an admin always holds `time:approve` (P1).
pub fn grants(roles: &[HeldRole]) -> Permissions {
    roles
        .iter()
        .map(|role| match role {
            HeldRole::Default(role) => role.permissions(),
            HeldRole::Custom(permissions) => *permissions,
        })
        .fold(Permissions::NONE, Permissions::union)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;

    #[test]
    fn spellings_round_trip_and_match_serde() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(p));
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        for r in DefaultRole::ALL {
            assert_eq!(DefaultRole::parse(r.as_str()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        assert_eq!(Permission::parse("time:everything"), None);
    }

    /// Every role set's grants, against the spec's table.
    #[test]
    fn grants_are_the_union_of_the_roles() {
        let member = HeldRole::Default(DefaultRole::Member);
        let manager = HeldRole::Default(DefaultRole::Manager);
        let finance = HeldRole::Default(DefaultRole::Finance);
        let admin = HeldRole::Default(DefaultRole::Admin);
        let invoicer = HeldRole::Custom(Permissions::of(&[Invoice]));
        let table: Vec<(Vec<HeldRole>, Vec<Permission>)> = vec![
            (vec![], vec![]),
            (vec![member], vec![Read, Write]),
            (vec![manager], vec![Read, ReadAll, Write, Approve]),
            (vec![finance], vec![Read, ReadAll, Invoice]),
            (vec![admin], Permission::ALL.to_vec()),
            (vec![member, finance], vec![Read, ReadAll, Write, Invoice]),
            (vec![member, invoicer], vec![Read, Write, Invoice]),
            (vec![invoicer], vec![Invoice]),
            (vec![HeldRole::Custom(Permissions::NONE)], vec![]),
            (
                vec![admin, HeldRole::Custom(Permissions::NONE)],
                Permission::ALL.to_vec(),
            ),
        ];
        for (roles, expected) in table {
            assert_eq!(grants(&roles).to_vec(), expected, "{roles:?}");
        }
    }

    #[test]
    fn a_set_holds_what_was_put_in_it() {
        let set: Permissions = [Write, Invoice].into_iter().collect();
        assert!(set.contains(Write) && set.contains(Invoice));
        assert!(!set.contains(Read));
        assert_eq!(set.to_vec(), [Write, Invoice]);
    }
}
