-- Groups and filters (P3). Every member is in exactly one group (a member_groups row, made with
-- the membership); the group decides which pages its members may open and the filter their
-- lists get, unless overruled: per page for the group, and per member (their own filter, and
-- per-page overrules) — resolved in four steps by `stint_domain::resolve_filter`. Projects get
-- a leader, for the project-leader filter.

CREATE TABLE groups (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    filter TEXT NOT NULL CHECK (filter IN ('none', 'manager', 'project_leader', 'own_hours')),
    -- Which default group it was made as (new members are placed by it); NULL for others.
    default_group TEXT
        CHECK (default_group IN ('administrators', 'managers', 'project_leaders', 'employees')),
    UNIQUE (workspace_id, default_group),
    UNIQUE (workspace_id, id)
);
CREATE UNIQUE INDEX groups_by_name ON groups (workspace_id, lower(name));

CREATE TABLE group_pages (
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    page TEXT NOT NULL CHECK (page IN ('timesheets', 'approvals', 'reports', 'members')),
    PRIMARY KEY (group_id, page)
);

CREATE TABLE group_filter_overrules (
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    page TEXT NOT NULL CHECK (page IN ('timesheets', 'approvals', 'reports', 'members')),
    filter TEXT NOT NULL CHECK (filter IN ('none', 'manager', 'project_leader', 'own_hours')),
    PRIMARY KEY (group_id, page)
);

CREATE TABLE member_groups (
    workspace_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    group_id TEXT NOT NULL,
    PRIMARY KEY (workspace_id, user_id),
    FOREIGN KEY (workspace_id, user_id) REFERENCES memberships (workspace_id, user_id)
        ON DELETE CASCADE,
    -- No cascade: a group with members cannot be deleted.
    FOREIGN KEY (workspace_id, group_id) REFERENCES groups (workspace_id, id)
);
CREATE INDEX member_groups_by_group ON member_groups (group_id);

ALTER TABLE memberships ADD COLUMN filter TEXT
    CHECK (filter IN ('none', 'manager', 'project_leader', 'own_hours'));

CREATE TABLE member_filter_overrules (
    workspace_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    page TEXT NOT NULL CHECK (page IN ('timesheets', 'approvals', 'reports', 'members')),
    filter TEXT NOT NULL CHECK (filter IN ('none', 'manager', 'project_leader', 'own_hours')),
    PRIMARY KEY (workspace_id, user_id, page),
    FOREIGN KEY (workspace_id, user_id) REFERENCES memberships (workspace_id, user_id)
        ON DELETE CASCADE
);

ALTER TABLE projects ADD COLUMN leader_id TEXT REFERENCES users (id);

-- The default groups of the workspaces there are (as `stint_domain::DefaultGroup` makes them),
-- and each member placed by their roles: admins, managers, everyone else.
INSERT INTO groups (id, workspace_id, name, filter, default_group)
SELECT hex(randomblob(16)), w.id, d.name, d.filter, d.grp
FROM workspaces w,
     (SELECT 'administrators' AS grp, 'Administrators' AS name, 'none' AS filter
      UNION ALL SELECT 'managers', 'Managers', 'manager'
      UNION ALL SELECT 'project_leaders', 'Project leaders', 'project_leader'
      UNION ALL SELECT 'employees', 'Employees', 'own_hours') d;
UPDATE groups SET id = lower(substr(id, 1, 8) || '-' || substr(id, 9, 4) || '-4' ||
    substr(id, 14, 3) || '-8' || substr(id, 18, 3) || '-' || substr(id, 21, 12));
INSERT INTO group_pages (group_id, page)
SELECT g.id, p.page
FROM groups g
     JOIN (SELECT 'administrators' AS grp, 'timesheets' AS page
           UNION ALL SELECT 'administrators', 'approvals'
           UNION ALL SELECT 'administrators', 'reports'
           UNION ALL SELECT 'administrators', 'members'
           UNION ALL SELECT 'managers', 'timesheets' UNION ALL SELECT 'managers', 'approvals'
           UNION ALL SELECT 'managers', 'reports' UNION ALL SELECT 'managers', 'members'
           UNION ALL SELECT 'project_leaders', 'timesheets'
           UNION ALL SELECT 'project_leaders', 'reports'
           UNION ALL SELECT 'employees', 'timesheets') p
         ON p.grp = g.default_group;
INSERT INTO member_groups (workspace_id, user_id, group_id)
SELECT m.workspace_id, m.user_id, g.id
FROM memberships m
     JOIN groups g ON g.workspace_id = m.workspace_id AND g.default_group =
         CASE WHEN EXISTS (SELECT 1 FROM member_roles mr JOIN roles r ON r.id = mr.role_id
                           WHERE mr.workspace_id = m.workspace_id AND mr.user_id = m.user_id
                             AND r.default_role = 'admin') THEN 'administrators'
              WHEN EXISTS (SELECT 1 FROM member_roles mr JOIN roles r ON r.id = mr.role_id
                           WHERE mr.workspace_id = m.workspace_id AND mr.user_id = m.user_id
                             AND r.default_role = 'manager') THEN 'managers'
              ELSE 'employees' END;
