-- Sportello schema, version 8, SQLite: text extracted from registered content. See the
-- PostgreSQL file for the design.
CREATE TABLE registration_texts (
    registration_id TEXT    PRIMARY KEY REFERENCES registrations (id) DEFERRABLE INITIALLY DEFERRED,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'done', 'failed', 'none')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      TEXT    NOT NULL DEFAULT '',
    text            TEXT    NOT NULL DEFAULT '',
    updated_at      TEXT    NOT NULL
) STRICT;
