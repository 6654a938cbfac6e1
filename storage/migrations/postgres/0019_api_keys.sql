-- Sportello schema, version 19, PostgreSQL: API keys expire, are revoked and record their last
-- use.
--
-- expires_at is set at creation or by a rotation (the previous keys' grace period ends then);
-- revoked_at when an admin revokes the key; last_used_at at most once a minute per key
-- (domain/admin.go). A key is refused once revoked or expired.
ALTER TABLE api_keys ADD COLUMN expires_at timestamptz;
ALTER TABLE api_keys ADD COLUMN revoked_at timestamptz;
ALTER TABLE api_keys ADD COLUMN last_used_at timestamptz;
