-- Tokens (I3) get an id to be listed and revoked by, and personal access tokens join the
-- devices' tokens: a name instead of a device, and an expiry that may be left open.

ALTER TABLE tokens ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE;
ALTER TABLE tokens ALTER COLUMN id DROP DEFAULT;
-- NULL for a personal access token.
ALTER TABLE tokens ALTER COLUMN device_id DROP NOT NULL;
-- A personal access token's name; NULL for a device's token.
ALTER TABLE tokens ADD COLUMN name text CHECK (length(name) BETWEEN 1 AND 100);
-- NULL only for a personal access token that does not expire.
ALTER TABLE tokens ALTER COLUMN expires_at DROP NOT NULL;
ALTER TABLE tokens ADD CHECK ((device_id IS NULL) <> (name IS NULL));
ALTER TABLE tokens ADD CHECK (device_id IS NULL OR expires_at IS NOT NULL);
CREATE INDEX tokens_by_user ON tokens (user_id);
CREATE INDEX tokens_by_device ON tokens (device_id);
CREATE INDEX tokens_by_expiry ON tokens (expires_at);
