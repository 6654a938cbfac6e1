-- Sportello schema, version 36, SQLite: procedure versions, information sheets, and the version
-- each case was submitted under. See the PostgreSQL file for the design; the triggers mirror
-- its guard. SQLite cannot add a foreign key to an existing table: the reference of
-- cases (procedure_code, procedure_version) to procedure_versions is checked by trigger
-- cases_procedure_version.

ALTER TABLE procedures ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE procedures ADD COLUMN info TEXT NOT NULL DEFAULT '{}';

CREATE TABLE procedure_versions (
    procedure_code     TEXT    NOT NULL REFERENCES procedures (code),
    version            INTEGER NOT NULL CHECK (version >= 1),
    status             TEXT    NOT NULL CHECK (status IN ('draft', 'published')),
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
    info               TEXT    NOT NULL,
    created_at         TEXT    NOT NULL,
    created_by         TEXT    NOT NULL,
    published_at       TEXT,
    published_by       TEXT,
    PRIMARY KEY (procedure_code, version),
    CHECK ((status = 'published') = (published_at IS NOT NULL)),
    CHECK ((status = 'published') = (published_by IS NOT NULL))
) STRICT;

INSERT INTO procedure_versions (procedure_code, version, status, name, audience, description, required_documents,
    form_schema, office, class, deadline_days, silence_is_consent, steps, steps_in_order, info, created_at, created_by,
    published_at, published_by)
SELECT code, 1, 'published', name, audience, description, required_documents, form_schema, office, class,
    deadline_days, silence_is_consent, steps, steps_in_order, info, created_at, 'system', created_at, 'system'
FROM procedures;

CREATE TRIGGER procedure_versions_no_delete BEFORE DELETE ON procedure_versions
BEGIN
    SELECT RAISE(ABORT, 'procedure version: delete refused');
END;

CREATE TRIGGER procedure_versions_published_immutable BEFORE UPDATE ON procedure_versions
    WHEN OLD.status = 'published'
BEGIN
    SELECT RAISE(ABORT, 'procedure version: a published version is immutable');
END;

CREATE TRIGGER procedure_versions_content_immutable BEFORE UPDATE ON procedure_versions
    WHEN (NEW.procedure_code, NEW.version, NEW.name, NEW.audience, NEW.description, NEW.required_documents,
        NEW.form_schema, NEW.office, NEW.class, NEW.deadline_days, NEW.silence_is_consent, NEW.steps,
        NEW.steps_in_order, NEW.info, NEW.created_at, NEW.created_by)
        IS NOT (OLD.procedure_code, OLD.version, OLD.name, OLD.audience, OLD.description, OLD.required_documents,
        OLD.form_schema, OLD.office, OLD.class, OLD.deadline_days, OLD.silence_is_consent, OLD.steps,
        OLD.steps_in_order, OLD.info, OLD.created_at, OLD.created_by)
BEGIN
    SELECT RAISE(ABORT, 'procedure version: a version is changed by a new version, not in place');
END;

ALTER TABLE cases ADD COLUMN procedure_version INTEGER NOT NULL DEFAULT 1 CHECK (procedure_version >= 1);

-- An unknown procedure is left to the foreign key on procedure_code, as on PostgreSQL.
CREATE TRIGGER cases_procedure_version BEFORE INSERT ON cases
    WHEN EXISTS (SELECT 1 FROM procedures WHERE code = NEW.procedure_code) AND NOT EXISTS (SELECT 1 FROM procedure_versions
        WHERE procedure_code = NEW.procedure_code AND version = NEW.procedure_version)
BEGIN
    SELECT RAISE(ABORT, 'case: unknown procedure version');
END;

CREATE INDEX cases_submitted ON cases (submitted_at);

-- A new version never changes an open case: the version a case was submitted under is fixed.
CREATE TRIGGER cases_procedure_version_fixed BEFORE UPDATE OF procedure_version ON cases
    WHEN NEW.procedure_version IS NOT OLD.procedure_version
BEGIN
    SELECT RAISE(ABORT, 'case: immutable column procedure_version');
END;
