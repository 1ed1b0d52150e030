-- Tokens (I3) get an id to be listed and revoked by, and personal access tokens join the
-- devices' tokens: a name instead of a device, and an expiry that may be left open.

CREATE TABLE tokens_v2 (
    hash TEXT PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id),
    -- The device a sign-in issued it to; NULL for a personal access token.
    device_id TEXT REFERENCES devices (id),
    -- A personal access token's name; NULL for a device's token.
    name TEXT CHECK (length(name) BETWEEN 1 AND 100),
    created_at INTEGER NOT NULL,
    -- NULL only for a personal access token that does not expire.
    expires_at INTEGER,
    CHECK ((device_id IS NULL) <> (name IS NULL)),
    CHECK (device_id IS NULL OR expires_at IS NOT NULL)
);
INSERT INTO tokens_v2 (hash, id, user_id, device_id, created_at, expires_at)
SELECT hash, hex(randomblob(16)), user_id, device_id, created_at, expires_at FROM tokens;
UPDATE tokens_v2 SET id = lower(substr(id, 1, 8) || '-' || substr(id, 9, 4) || '-4' ||
    substr(id, 14, 3) || '-8' || substr(id, 18, 3) || '-' || substr(id, 21, 12));
DROP TABLE tokens;
ALTER TABLE tokens_v2 RENAME TO tokens;
CREATE INDEX tokens_by_user ON tokens (user_id);
CREATE INDEX tokens_by_device ON tokens (device_id);
CREATE INDEX tokens_by_expiry ON tokens (expires_at);
