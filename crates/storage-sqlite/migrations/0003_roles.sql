-- Workspace roles (P1). Every workspace has the four default roles, whose permissions are fixed
-- in code (`stint_domain::DefaultRole`); a custom role lists its permissions in
-- role_permissions. A member holds any number of roles of their workspace.

CREATE TABLE roles (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- Which default role this is; NULL for a custom role.
    default_role TEXT CHECK (default_role IN ('member', 'manager', 'finance', 'admin')),
    UNIQUE (workspace_id, default_role),
    -- What member_roles refers to: a role of the member's own workspace.
    UNIQUE (workspace_id, id)
);
CREATE UNIQUE INDEX roles_by_name ON roles (workspace_id, lower(name));

CREATE TABLE role_permissions (
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission TEXT NOT NULL CHECK (permission IN
        ('time:read', 'time:read_all', 'time:write', 'time:approve', 'time:settings', 'time:invoice')),
    PRIMARY KEY (role_id, permission)
);

CREATE TABLE member_roles (
    workspace_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    role_id TEXT NOT NULL,
    PRIMARY KEY (workspace_id, user_id, role_id),
    FOREIGN KEY (workspace_id, user_id) REFERENCES memberships (workspace_id, user_id)
        ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, role_id) REFERENCES roles (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX member_roles_by_role ON member_roles (role_id);

-- The default roles of the workspaces there are (random ids, made UUID-shaped), and each
-- member's one role moved over.
INSERT INTO roles (id, workspace_id, name, default_role)
SELECT hex(randomblob(16)), w.id, d.name, d.role
FROM workspaces w,
     (SELECT 'member' AS role, 'Member' AS name UNION ALL SELECT 'manager', 'Manager'
      UNION ALL SELECT 'finance', 'Finance' UNION ALL SELECT 'admin', 'Admin') d;
UPDATE roles SET id = lower(substr(id, 1, 8) || '-' || substr(id, 9, 4) || '-4' ||
    substr(id, 14, 3) || '-8' || substr(id, 18, 3) || '-' || substr(id, 21, 12));
INSERT INTO member_roles (workspace_id, user_id, role_id)
SELECT m.workspace_id, m.user_id, r.id
FROM memberships m JOIN roles r ON r.workspace_id = m.workspace_id AND r.default_role = m.role;
ALTER TABLE memberships DROP COLUMN role;
