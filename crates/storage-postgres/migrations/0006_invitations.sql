-- Invitations (P1): an admin invites someone by email with the roles they will hold; the
-- invitee uses the one-time token (kept as its SHA-256 only) to set a password and join.
CREATE TABLE invitations (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id),
    email text NOT NULL CHECK (length(email) BETWEEN 1 AND 254),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    token_hash text NOT NULL UNIQUE,
    invited_by uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    -- Set once, when the invitee joins: a token works once.
    accepted_at timestamptz,
    UNIQUE (workspace_id, id)
);
CREATE INDEX invitations_by_workspace ON invitations (workspace_id, created_at);

CREATE TABLE invitation_roles (
    workspace_id uuid NOT NULL,
    invitation_id uuid NOT NULL,
    role_id uuid NOT NULL,
    PRIMARY KEY (invitation_id, role_id),
    FOREIGN KEY (workspace_id, invitation_id) REFERENCES invitations (workspace_id, id)
        ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, role_id) REFERENCES roles (workspace_id, id) ON DELETE CASCADE
);
