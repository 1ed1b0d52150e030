-- An entry's team is a team of the entry's own workspace, as for secured entries. Deleting a
-- team clears its public entries' team itself (with change-log rows for their authors'
-- devices), so the key no longer does it behind the change log's back.
ALTER TABLE entries DROP CONSTRAINT entries_team_id_fkey;
ALTER TABLE entries ADD CONSTRAINT entries_team_fkey
    FOREIGN KEY (workspace_id, team_id) REFERENCES teams (workspace_id, id);
