-- Sportello schema, version 36, PostgreSQL: procedure versions, information sheets, and the
-- version each case was submitted under.
--
-- A change to a procedure is a new version: a draft written by an editor of the responsible
-- office (or, for the instructions of a step, of the step's office), published once approved.
-- procedure_versions keeps every version with the same columns as procedures plus the
-- information sheet of D.Lgs. 33/2013 art. 35 (info, JSON); procedures keeps the published
-- version in force (version, info), which the catalogue lists and new cases are submitted
-- under. A published version never changes and no version is deleted (the guard below):
-- cases carry procedure_version and are handled by that version's form, documents and steps.
-- The procedures that exist become their version 1, published.

ALTER TABLE procedures ADD COLUMN version integer NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE procedures ADD COLUMN info text NOT NULL DEFAULT '{}';

CREATE TABLE procedure_versions (
    procedure_code     text COLLATE "C" NOT NULL REFERENCES procedures (code),
    version            integer NOT NULL CHECK (version >= 1),
    status             text NOT NULL CHECK (status IN ('draft', 'published')),
    name               text NOT NULL CHECK (name <> ''),
    audience           text NOT NULL CHECK (audience IN ('citizen', 'business', 'both')),
    description        text NOT NULL,
    required_documents text NOT NULL,
    form_schema        text NOT NULL,
    office             text NOT NULL REFERENCES offices (code),
    class              text NOT NULL REFERENCES classes (code),
    deadline_days      integer NOT NULL CHECK (deadline_days BETWEEN 1 AND 180),
    silence_is_consent boolean NOT NULL,
    steps              text NOT NULL,
    steps_in_order     boolean NOT NULL,
    info               text NOT NULL,
    created_at         timestamptz NOT NULL,
    created_by         text NOT NULL,
    published_at       timestamptz,
    published_by       text,
    PRIMARY KEY (procedure_code, version),
    CHECK ((status = 'published') = (published_at IS NOT NULL)),
    CHECK ((status = 'published') = (published_by IS NOT NULL))
);

INSERT INTO procedure_versions (procedure_code, version, status, name, audience, description, required_documents,
    form_schema, office, class, deadline_days, silence_is_consent, steps, steps_in_order, info, created_at, created_by,
    published_at, published_by)
SELECT code, 1, 'published', name, audience, description, required_documents, form_schema, office, class,
    deadline_days, silence_is_consent, steps, steps_in_order, info, created_at, 'system', created_at, 'system'
FROM procedures;

CREATE FUNCTION procedure_versions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'procedure version %/%: delete refused', OLD.procedure_code, OLD.version USING ERRCODE = 'SP001';
    END IF;
    IF OLD.status = 'published' THEN
        RAISE EXCEPTION 'procedure version %/%: a published version is immutable', OLD.procedure_code, OLD.version
            USING ERRCODE = 'SP001';
    END IF;
    IF (NEW.procedure_code, NEW.version, NEW.name, NEW.audience, NEW.description, NEW.required_documents,
            NEW.form_schema, NEW.office, NEW.class, NEW.deadline_days, NEW.silence_is_consent, NEW.steps,
            NEW.steps_in_order, NEW.info, NEW.created_at, NEW.created_by)
            IS DISTINCT FROM (OLD.procedure_code, OLD.version, OLD.name, OLD.audience, OLD.description,
            OLD.required_documents, OLD.form_schema, OLD.office, OLD.class, OLD.deadline_days, OLD.silence_is_consent,
            OLD.steps, OLD.steps_in_order, OLD.info, OLD.created_at, OLD.created_by) THEN
        RAISE EXCEPTION 'procedure version %/%: a version is changed by a new version, not in place', OLD.procedure_code,
            OLD.version USING ERRCODE = 'SP001';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER procedure_versions_guard BEFORE UPDATE OR DELETE ON procedure_versions
    FOR EACH ROW EXECUTE FUNCTION procedure_versions_guard();
CREATE TRIGGER procedure_versions_no_truncate BEFORE TRUNCATE ON procedure_versions
    FOR EACH STATEMENT EXECUTE FUNCTION sportello_refuse_truncate();

-- The version a case was submitted under; the cases that exist were submitted under version 1.
ALTER TABLE cases ADD COLUMN procedure_version integer NOT NULL DEFAULT 1 CHECK (procedure_version >= 1);
ALTER TABLE cases ADD CONSTRAINT cases_procedure_version FOREIGN KEY (procedure_code, procedure_version)
    REFERENCES procedure_versions (procedure_code, version);
CREATE INDEX cases_submitted ON cases (submitted_at);

-- A new version never changes an open case: the version a case was submitted under is fixed.
CREATE FUNCTION cases_procedure_version_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'case %: immutable column procedure_version', OLD.id USING ERRCODE = 'SP001';
END $$;

CREATE TRIGGER cases_procedure_version_fixed BEFORE UPDATE OF procedure_version ON cases
    FOR EACH ROW WHEN (NEW.procedure_version IS DISTINCT FROM OLD.procedure_version)
    EXECUTE FUNCTION cases_procedure_version_fixed();
