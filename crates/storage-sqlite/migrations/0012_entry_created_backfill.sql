-- Entries made before their feed existed (0010) get the `created` event they lacked: by their
-- author, when they ended (the feed reads in time order). (0011 is PostgreSQL's alone.)
INSERT INTO entry_activity (workspace_id, entry_id, at, actor_id, kind)
SELECT e.workspace_id, e.id, e.ended_at, e.user_id, 'created'
FROM (SELECT workspace_id, id, ended_at, user_id FROM entries
      UNION ALL
      SELECT workspace_id, id, ended_at, user_id FROM secured_entries) e
WHERE NOT EXISTS (SELECT 1 FROM entry_activity a WHERE a.entry_id = e.id AND a.kind = 'created')
ORDER BY e.ended_at, e.id;
