-- Sportello schema, version 9, SQLite: the service catalogue and applications (cases). See the
-- PostgreSQL file for the design.

CREATE TABLE procedures (
    code               TEXT    PRIMARY KEY,
    name               TEXT    NOT NULL CHECK (name <> ''),
    audience           TEXT    NOT NULL CHECK (audience IN ('citizen', 'business', 'both')),
    description        TEXT    NOT NULL,
    required_documents TEXT    NOT NULL,
    form_schema        TEXT    NOT NULL,
    office             TEXT    NOT NULL REFERENCES offices (code),
    class              TEXT    NOT NULL REFERENCES classes (code),
    deadline_days      INTEGER NOT NULL CHECK (deadline_days BETWEEN 1 AND 180),
    silence_is_consent INTEGER NOT NULL,
    steps              TEXT    NOT NULL,
    steps_in_order     INTEGER NOT NULL,
    created_at         TEXT    NOT NULL
) STRICT;

CREATE TABLE cases (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT    NOT NULL UNIQUE,
    procedure_code  TEXT    NOT NULL REFERENCES procedures (code),
    portal_id       TEXT    NOT NULL REFERENCES clients (id),
    applicant       TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('submitted', 'in_progress', 'awaiting_applicant', 'approved', 'rejected', 'withdrawn')),
    form            TEXT    NOT NULL,
    office          TEXT    NOT NULL REFERENCES offices (code),
    registration_id TEXT    NOT NULL REFERENCES registrations (id) DEFERRABLE INITIALLY DEFERRED,
    dossier_id      TEXT    NOT NULL REFERENCES dossiers (id) DEFERRABLE INITIALLY DEFERRED,
    submitted_at    TEXT    NOT NULL,
    silence_is_consent INTEGER NOT NULL,
    due_date        TEXT    NOT NULL CHECK (due_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    paused_on       TEXT    CHECK (paused_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    closed_at       TEXT,
    final_registration_id TEXT REFERENCES registrations (id),
    position        INTEGER NOT NULL,
    CHECK ((status = 'awaiting_applicant') = (paused_on IS NOT NULL)),
    CHECK ((status IN ('approved', 'rejected', 'withdrawn')) = (closed_at IS NOT NULL))
) STRICT;
CREATE INDEX cases_portal ON cases (portal_id, applicant, seq);
CREATE INDEX cases_office ON cases (office, seq);
CREATE INDEX cases_due ON cases (due_date) WHERE closed_at IS NULL;

CREATE TABLE case_steps (
    case_id TEXT    NOT NULL REFERENCES cases (id),
    ordinal INTEGER NOT NULL,
    office  TEXT    NOT NULL REFERENCES offices (code),
    name    TEXT    NOT NULL,
    status  TEXT    NOT NULL CHECK (status IN ('waiting', 'active', 'done')),
    PRIMARY KEY (case_id, ordinal)
) STRICT;
CREATE INDEX case_steps_office ON case_steps (office, status);

CREATE TABLE case_messages (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT    NOT NULL UNIQUE,
    case_id         TEXT    NOT NULL REFERENCES cases (id),
    author          TEXT    NOT NULL,
    author_name     TEXT    NOT NULL,
    from_applicant  INTEGER NOT NULL,
    internal        INTEGER NOT NULL,
    text            TEXT    NOT NULL,
    registration_id TEXT    REFERENCES registrations (id),
    created_at      TEXT    NOT NULL
) STRICT;
CREATE INDEX case_messages_case ON case_messages (case_id, seq);

CREATE TABLE case_documents (
    case_id         TEXT NOT NULL REFERENCES cases (id),
    registration_id TEXT NOT NULL REFERENCES registrations (id) DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (registration_id, case_id)
) STRICT;
