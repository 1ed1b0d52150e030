-- Teams (P2). A team's work-log visibility (P4) is chosen at creation and never changes; a
-- workspace allows secured teams only once an admin turned the option on. Every team has the
-- two default team roles, whose permissions are fixed in code (`stint_domain::DefaultTeamRole`);
-- a custom team role lists its permissions in team_role_permissions. A team member holds any
-- number of the team's roles (possibly none for a while: a custom role deleted).

ALTER TABLE workspaces ADD COLUMN secured_teams boolean NOT NULL DEFAULT false;

CREATE TABLE teams (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    work_logs text NOT NULL CHECK (work_logs IN ('public', 'secured')),
    -- Moves on with every change to the team, its roles or members: a change checked against
    -- what it read writes only if nothing changed meanwhile.
    version bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL,
    UNIQUE (workspace_id, id)
);
CREATE UNIQUE INDEX teams_by_name ON teams (workspace_id, lower(name));

CREATE TABLE team_roles (
    id uuid PRIMARY KEY,
    team_id uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- Which default team role this is; NULL for a custom one.
    default_role text CHECK (default_role IN ('team_lead', 'team_member')),
    UNIQUE (team_id, default_role),
    -- What team_member_roles refers to: a role of the member's own team.
    UNIQUE (team_id, id)
);
CREATE UNIQUE INDEX team_roles_by_name ON team_roles (team_id, lower(name));

CREATE TABLE team_role_permissions (
    role_id uuid NOT NULL REFERENCES team_roles (id) ON DELETE CASCADE,
    permission text NOT NULL CHECK (permission IN
        ('work_on_issues', 'view_work_logs', 'manage_work_logs', 'manage_team')),
    PRIMARY KEY (role_id, permission)
);

CREATE TABLE team_members (
    workspace_id uuid NOT NULL,
    team_id uuid NOT NULL,
    user_id uuid NOT NULL,
    PRIMARY KEY (team_id, user_id),
    FOREIGN KEY (workspace_id, team_id) REFERENCES teams (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, user_id) REFERENCES memberships (workspace_id, user_id)
        ON DELETE CASCADE
);
CREATE INDEX team_members_by_user ON team_members (workspace_id, user_id);

CREATE TABLE team_member_roles (
    team_id uuid NOT NULL,
    user_id uuid NOT NULL,
    role_id uuid NOT NULL,
    PRIMARY KEY (team_id, user_id, role_id),
    FOREIGN KEY (team_id, user_id) REFERENCES team_members (team_id, user_id) ON DELETE CASCADE,
    FOREIGN KEY (team_id, role_id) REFERENCES team_roles (team_id, id) ON DELETE CASCADE
);
CREATE INDEX team_member_roles_by_role ON team_member_roles (role_id);
