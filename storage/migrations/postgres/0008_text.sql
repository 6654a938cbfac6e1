-- Sportello schema, version 8, PostgreSQL: text extracted from registered content.
--
-- One row per registration, written as 'pending' in the registration's own transaction together
-- with the River job that extracts the text (River's tables are migrated by rivermigrate, see
-- storage/jobs.go). The job fills in the text of the document and its attachments ('done'),
-- records that nothing could be read from them ('none'), or records each failed attempt
-- ('failed' with the error, retried by River with backoff). The row is derived data: unlike the
-- registration it may change, and disposal empties it with the content.
CREATE TABLE registration_texts (
    registration_id text        PRIMARY KEY REFERENCES registrations (id) DEFERRABLE INITIALLY DEFERRED,
    status          text        NOT NULL CHECK (status IN ('pending', 'done', 'failed', 'none')),
    attempts        integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      text        NOT NULL DEFAULT '',
    text            text        NOT NULL DEFAULT '',
    updated_at      timestamptz NOT NULL
);
