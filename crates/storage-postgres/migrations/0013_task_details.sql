-- A task's % complete, set by whoever manages it, and the teams assigned to it (each of their
-- members works on it). Deleting a team takes its assignments (devices hear of each task).
ALTER TABLE tasks ADD COLUMN percent_complete smallint NOT NULL DEFAULT 0
    CHECK (percent_complete BETWEEN 0 AND 100);
ALTER TABLE tasks ADD CONSTRAINT tasks_in_workspace UNIQUE (workspace_id, id);

CREATE TABLE task_teams (
    workspace_id uuid NOT NULL,
    task_id uuid NOT NULL,
    team_id uuid NOT NULL,
    PRIMARY KEY (task_id, team_id),
    FOREIGN KEY (workspace_id, task_id) REFERENCES tasks (workspace_id, id),
    FOREIGN KEY (workspace_id, team_id) REFERENCES teams (workspace_id, id)
);
CREATE INDEX task_teams_by_team ON task_teams (team_id);
