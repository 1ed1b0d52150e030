-- Groups and filters (P3). Every member is in exactly one group (a member_groups row, made with
-- the membership); the group decides which pages its members may open and the filter their
-- lists get, unless overruled: per page for the group, and per member (their own filter, and
-- per-page overrules) — resolved in four steps by `stint_domain::resolve_filter`. Projects get
-- a leader, for the project-leader filter.

CREATE TABLE groups (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    filter text NOT NULL CHECK (filter IN ('none', 'manager', 'project_leader', 'own_hours')),
    -- Which default group it was made as (new members are placed by it); NULL for others.
    default_group text
        CHECK (default_group IN ('administrators', 'managers', 'project_leaders', 'employees')),
    UNIQUE (workspace_id, default_group),
    UNIQUE (workspace_id, id)
);
CREATE UNIQUE INDEX groups_by_name ON groups (workspace_id, lower(name));

CREATE TABLE group_pages (
    group_id uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    page text NOT NULL CHECK (page IN ('timesheets', 'approvals', 'reports', 'members')),
    PRIMARY KEY (group_id, page)
);

CREATE TABLE group_filter_overrules (
    group_id uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    page text NOT NULL CHECK (page IN ('timesheets', 'approvals', 'reports', 'members')),
    filter text NOT NULL CHECK (filter IN ('none', 'manager', 'project_leader', 'own_hours')),
    PRIMARY KEY (group_id, page)
);

CREATE TABLE member_groups (
    workspace_id uuid NOT NULL,
    user_id uuid NOT NULL,
    group_id uuid NOT NULL,
    PRIMARY KEY (workspace_id, user_id),
    FOREIGN KEY (workspace_id, user_id) REFERENCES memberships (workspace_id, user_id)
        ON DELETE CASCADE,
    -- No cascade: a group with members cannot be deleted.
    FOREIGN KEY (workspace_id, group_id) REFERENCES groups (workspace_id, id)
);
CREATE INDEX member_groups_by_group ON member_groups (group_id);

ALTER TABLE memberships ADD COLUMN filter text
    CHECK (filter IN ('none', 'manager', 'project_leader', 'own_hours'));

CREATE TABLE member_filter_overrules (
    workspace_id uuid NOT NULL,
    user_id uuid NOT NULL,
    page text NOT NULL CHECK (page IN ('timesheets', 'approvals', 'reports', 'members')),
    filter text NOT NULL CHECK (filter IN ('none', 'manager', 'project_leader', 'own_hours')),
    PRIMARY KEY (workspace_id, user_id, page),
    FOREIGN KEY (workspace_id, user_id) REFERENCES memberships (workspace_id, user_id)
        ON DELETE CASCADE
);

ALTER TABLE projects ADD COLUMN leader_id uuid REFERENCES users (id);

-- The default groups of the workspaces there are (as `stint_domain::DefaultGroup` makes them),
-- and each member placed by their roles: admins, managers, everyone else.
INSERT INTO groups (id, workspace_id, name, filter, default_group)
SELECT gen_random_uuid(), w.id, d.name, d.filter, d.grp
FROM workspaces w,
     (VALUES ('administrators', 'Administrators', 'none'), ('managers', 'Managers', 'manager'),
             ('project_leaders', 'Project leaders', 'project_leader'),
             ('employees', 'Employees', 'own_hours')) AS d (grp, name, filter);
INSERT INTO group_pages (group_id, page)
SELECT g.id, p.page
FROM groups g
     JOIN (VALUES ('administrators', 'timesheets'), ('administrators', 'approvals'),
                  ('administrators', 'reports'), ('administrators', 'members'),
                  ('managers', 'timesheets'), ('managers', 'approvals'),
                  ('managers', 'reports'), ('managers', 'members'),
                  ('project_leaders', 'timesheets'), ('project_leaders', 'reports'),
                  ('employees', 'timesheets')) AS p (grp, page)
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
