-- Sportello schema, version 6, SQLite: daily journals (registro giornaliero di protocollo,
-- docs/compliance.md D1). See the PostgreSQL file for the design: one immutable row per register and
-- protocol date, the JSON and PDF bytes in the blob store by digest.

CREATE TABLE journals (
    register_code TEXT    NOT NULL REFERENCES registers (code),
    journal_date  TEXT    NOT NULL CHECK (journal_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    registrations INTEGER NOT NULL CHECK (registrations > 0),
    json_sha256   TEXT    NOT NULL CHECK (length(json_sha256) = 64 AND json_sha256 NOT GLOB '*[^0-9a-f]*'),
    pdf_sha256    TEXT    NOT NULL CHECK (length(pdf_sha256) = 64 AND pdf_sha256 NOT GLOB '*[^0-9a-f]*'),
    created_at    TEXT    NOT NULL,
    PRIMARY KEY (register_code, journal_date)
) STRICT;

CREATE TRIGGER journals_no_update BEFORE UPDATE ON journals
BEGIN
    SELECT RAISE(ABORT, 'journal: update refused: a daily journal is immutable');
END;

CREATE TRIGGER journals_no_delete BEFORE DELETE ON journals
BEGIN
    SELECT RAISE(ABORT, 'journal: delete refused: a daily journal is immutable');
END;

-- The worker looks for days of a register that have registrations and no journal.
CREATE INDEX registrations_register_date ON registrations (register_code, reg_date);
