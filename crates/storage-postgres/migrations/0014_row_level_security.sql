-- Row level security, as defence in depth: a query that forgets its workspace sees nothing.
--
-- The server migrates as the connecting user, who owns the tables, then acts as `stint_app`
-- (`SET ROLE` on every pooled connection), which owns nothing and sees a workspace table's
-- rows only in the workspace its transaction named: `set_config('stint.workspace_id', …, true)`.
-- The few paths that must cross workspaces (signing in by email, a token by its hash, a user's
-- memberships, an invitation by its token, whether a device-made id is taken elsewhere) read
-- as `stint_lookup`, which may only SELECT what they need.
--
-- FORCE applies the policies to the owner too (a superuser still bypasses them): a later
-- migration that moves data in these tables must set the workspace, or lift FORCE around it.

-- Roles are cluster-wide: another database of the cluster may have made them already, or be
-- making them at this moment (then the loser of the race sees a unique violation).
DO $$
BEGIN
    BEGIN
        CREATE ROLE stint_app NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
    BEGIN
        CREATE ROLE stint_lookup NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
    -- The connecting user switches to them (SET ROLE checks the session's user).
    BEGIN
        GRANT stint_app, stint_lookup TO current_user;
    EXCEPTION WHEN unique_violation THEN NULL;
    END;
END $$;

-- The transaction's workspace; NULL when none was set (or it was set in an earlier
-- transaction, which leaves an empty string behind), and then no row matches.
CREATE FUNCTION stint_workspace_id() RETURNS uuid
    LANGUAGE sql STABLE
    RETURN nullif(current_setting('stint.workspace_id', true), '')::uuid;

-- The application: every table but the migrations' bookkeeping; the password hashes are read
-- only by `stint_lookup`.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO stint_app;
-- (sqlx's bookkeeping is there when the server migrates, not when `cargo xtask sqlx-prepare`
-- applies these files with psql.)
DO $$
BEGIN
    IF to_regclass('_sqlx_migrations') IS NOT NULL THEN
        REVOKE ALL ON _sqlx_migrations FROM stint_app;
    END IF;
END $$;
REVOKE SELECT, UPDATE ON users FROM stint_app;
GRANT SELECT (id, email, name, created_at) ON users TO stint_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO stint_app;
-- Tables made by later migrations are the application's too (their policies are not: the
-- server's tests fail for a table with a `workspace_id` and no FORCEd policy).
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO stint_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO stint_app;

-- Every table with a `workspace_id`: its rows in the transaction's workspace only.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'memberships', 'projects', 'tasks', 'timers', 'entries', 'secured_entries',
        'entry_activity', 'changes', 'streams', 'mutations', 'mutations_v1', 'roles',
        'member_roles', 'invitations', 'invitation_roles', 'teams', 'team_members', 'groups',
        'member_groups', 'member_filter_overrules', 'task_teams']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY workspace ON %I TO stint_app '
                       'USING (workspace_id = stint_workspace_id()) '
                       'WITH CHECK (workspace_id = stint_workspace_id())', t);
    END LOOP;
END $$;

-- The workspace itself, and the tables that belong to a workspace through their parent row.
ALTER TABLE workspaces ENABLE ROW LEVEL SECURITY;
ALTER TABLE workspaces FORCE ROW LEVEL SECURITY;
CREATE POLICY workspace ON workspaces TO stint_app
    USING (id = stint_workspace_id()) WITH CHECK (id = stint_workspace_id());

CREATE FUNCTION stint_parent_policy(child text, parent text, parent_key text) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', child);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', child);
    EXECUTE format('CREATE POLICY workspace ON %1$I TO stint_app '
                   'USING (EXISTS (SELECT 1 FROM %2$I p WHERE p.id = %1$I.%3$I '
                   '               AND p.workspace_id = stint_workspace_id())) '
                   'WITH CHECK (EXISTS (SELECT 1 FROM %2$I p WHERE p.id = %1$I.%3$I '
                   '                    AND p.workspace_id = stint_workspace_id()))',
                   child, parent, parent_key);
END $$;
SELECT stint_parent_policy('task_assignees', 'tasks', 'task_id');
SELECT stint_parent_policy('timer_segments', 'timers', 'timer_id');
SELECT stint_parent_policy('role_permissions', 'roles', 'role_id');
SELECT stint_parent_policy('team_roles', 'teams', 'team_id');
SELECT stint_parent_policy('team_member_roles', 'teams', 'team_id');
SELECT stint_parent_policy('group_pages', 'groups', 'group_id');
SELECT stint_parent_policy('group_filter_overrules', 'groups', 'group_id');
DROP FUNCTION stint_parent_policy(text, text, text);
-- Two steps up: a team role's permissions, through the role's team.
ALTER TABLE team_role_permissions ENABLE ROW LEVEL SECURITY;
ALTER TABLE team_role_permissions FORCE ROW LEVEL SECURITY;
CREATE POLICY workspace ON team_role_permissions TO stint_app
    USING (EXISTS (SELECT 1 FROM team_roles r JOIN teams t ON t.id = r.team_id
                   WHERE r.id = team_role_permissions.role_id
                     AND t.workspace_id = stint_workspace_id()))
    WITH CHECK (EXISTS (SELECT 1 FROM team_roles r JOIN teams t ON t.id = r.team_id
                        WHERE r.id = team_role_permissions.role_id
                          AND t.workspace_id = stint_workspace_id()));

-- Users, devices, tokens and epochs belong to no workspace (a person signs in once for all
-- theirs): no policy, but no password hash for `stint_app` either (above).

-- The lookups: SELECT only, and only what signing in, a user's memberships with their roles,
-- and an invitation by its token read.
GRANT SELECT ON users, tokens, memberships, workspaces, member_roles, roles, role_permissions,
    invitations, invitation_roles TO stint_lookup;
CREATE POLICY lookup ON memberships FOR SELECT TO stint_lookup USING (true);
CREATE POLICY lookup ON workspaces FOR SELECT TO stint_lookup USING (true);
CREATE POLICY lookup ON member_roles FOR SELECT TO stint_lookup USING (true);
CREATE POLICY lookup ON roles FOR SELECT TO stint_lookup USING (true);
CREATE POLICY lookup ON role_permissions FOR SELECT TO stint_lookup USING (true);
CREATE POLICY lookup ON invitations FOR SELECT TO stint_lookup USING (true);
CREATE POLICY lookup ON invitation_roles FOR SELECT TO stint_lookup USING (true);

-- Timer and entry ids are made by devices and unique across workspaces: a push must know
-- which of its ids another workspace holds, and learns no more than that. These functions run
-- as `stint_lookup`, which may read only those ids and their workspace.
GRANT SELECT (id, workspace_id) ON timers, entries, secured_entries TO stint_lookup;
CREATE POLICY lookup ON timers FOR SELECT TO stint_lookup USING (true);
CREATE POLICY lookup ON entries FOR SELECT TO stint_lookup USING (true);
CREATE POLICY lookup ON secured_entries FOR SELECT TO stint_lookup USING (true);

CREATE FUNCTION stint_timer_ids_elsewhere(ids uuid[]) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT id FROM timers
        WHERE id = ANY(ids) AND workspace_id IS DISTINCT FROM stint_workspace_id()
    $$;
CREATE FUNCTION stint_entry_ids_elsewhere(ids uuid[]) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT id FROM entries
        WHERE id = ANY(ids) AND workspace_id IS DISTINCT FROM stint_workspace_id()
        UNION ALL
        SELECT id FROM secured_entries
        WHERE id = ANY(ids) AND workspace_id IS DISTINCT FROM stint_workspace_id()
    $$;
-- A function's new owner needs CREATE on its schema at that moment, and no longer.
GRANT CREATE ON SCHEMA public TO stint_lookup;
ALTER FUNCTION stint_timer_ids_elsewhere(uuid[]) OWNER TO stint_lookup;
ALTER FUNCTION stint_entry_ids_elsewhere(uuid[]) OWNER TO stint_lookup;
REVOKE CREATE ON SCHEMA public FROM stint_lookup;
REVOKE ALL ON FUNCTION stint_timer_ids_elsewhere(uuid[]), stint_entry_ids_elsewhere(uuid[])
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stint_timer_ids_elsewhere(uuid[]), stint_entry_ids_elsewhere(uuid[])
    TO stint_app;
