-- Sportello schema, version 37, PostgreSQL: a records officer can change a registration's
-- confidentiality (riservatezza) with a reason, which the registration's history records (an
-- audit event written in the same transaction); the column leaves the guard's immutable set.

CREATE OR REPLACE FUNCTION registrations_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb;
    new_row jsonb;
    col     text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'registration %: delete refused: a registration is never deleted, only annulled', OLD.id
            USING ERRCODE = 'SP001';
    END IF;
    old_row := to_jsonb(OLD);
    new_row := to_jsonb(NEW);
    FOR col IN SELECT jsonb_object_keys(old_row) LOOP
        CONTINUE WHEN col IN ('class', 'dossiers', 'position', 'status', 'annulled_at', 'annulled_by',
                              'annulled_by_name', 'annulment_reason', 'annulment_authorization',
                              'disposal_id', 'disposed_at', 'confidential');
        IF new_row -> col IS DISTINCT FROM old_row -> col THEN
            RAISE EXCEPTION 'registration %: immutable column %', OLD.id, col USING ERRCODE = 'SP001';
        END IF;
    END LOOP;
    IF NEW.position < OLD.position THEN
        RAISE EXCEPTION 'registration %: position cannot go back from % to %', OLD.id, OLD.position, NEW.position
            USING ERRCODE = 'SP001';
    END IF;
    IF (NEW.status, NEW.annulled_at, NEW.annulled_by, NEW.annulled_by_name, NEW.annulment_reason, NEW.annulment_authorization)
        IS DISTINCT FROM
       (OLD.status, OLD.annulled_at, OLD.annulled_by, OLD.annulled_by_name, OLD.annulment_reason, OLD.annulment_authorization)
    THEN
        IF OLD.status <> 'active' OR NEW.status <> 'annulled' THEN
            RAISE EXCEPTION 'registration %: status % cannot become % and an annulment cannot change', OLD.id, OLD.status, NEW.status
                USING ERRCODE = 'SP001';
        END IF;
    END IF;
    IF (NEW.disposal_id, NEW.disposed_at) IS DISTINCT FROM (OLD.disposal_id, OLD.disposed_at)
        AND (OLD.disposal_id IS NOT NULL OR OLD.disposed_at IS NOT NULL) THEN
        RAISE EXCEPTION 'registration %: a disposal cannot change', OLD.id USING ERRCODE = 'SP001';
    END IF;
    RETURN NEW;
END $$;

-- Assignments (smistamento, docs/assignment.md): a registration is assigned per competenza to
-- one office (and optionally one person of it) at a time, who accepts or rejects it with a
-- reason, and per conoscenza to any number of offices, who may read it. Every assignment is a
-- row, never deleted: a re-assignment supersedes the current competenza row and adds a new one,
-- so the rows are the history. Only the state and the decision columns change, and the state
-- only forwards: pending to accepted, rejected or superseded, accepted to superseded.
-- Conoscenza rows are 'informed' and never change. person, reason and decided_by are '' when
-- unset, so that both engines compare them alike.
CREATE TABLE assignments (
    seq             bigserial   PRIMARY KEY,
    id              text        NOT NULL UNIQUE,
    registration_id text        NOT NULL REFERENCES registrations (id),
    kind            text        NOT NULL CHECK (kind IN ('competenza', 'conoscenza')),
    office          text        NOT NULL REFERENCES offices (code),
    person          text        NOT NULL,
    state           text        NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected', 'superseded', 'informed')),
    reason          text        NOT NULL,
    created_by      text        NOT NULL,
    created_at      timestamptz NOT NULL,
    decided_by      text        NOT NULL,
    decided_at      timestamptz
);
CREATE INDEX assignments_registration ON assignments (registration_id);
CREATE INDEX assignments_office ON assignments (office, state);

CREATE FUNCTION assignments_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'assignment %: delete refused: assignments are history', OLD.id USING ERRCODE = 'SP001';
    END IF;
    IF (NEW.seq, NEW.id, NEW.registration_id, NEW.kind, NEW.office, NEW.person, NEW.created_by, NEW.created_at)
        IS DISTINCT FROM (OLD.seq, OLD.id, OLD.registration_id, OLD.kind, OLD.office, OLD.person, OLD.created_by, OLD.created_at) THEN
        RAISE EXCEPTION 'assignment %: immutable column', OLD.id USING ERRCODE = 'SP001';
    END IF;
    IF NOT ((OLD.state = 'pending' AND NEW.state IN ('accepted', 'rejected', 'superseded'))
            OR (OLD.state = 'accepted' AND NEW.state = 'superseded')) THEN
        RAISE EXCEPTION 'assignment %: state may only go from pending to accepted, rejected or superseded, or from accepted to superseded', OLD.id
            USING ERRCODE = 'SP001';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER assignments_guard BEFORE UPDATE OR DELETE ON assignments
    FOR EACH ROW EXECUTE FUNCTION assignments_guard();
CREATE TRIGGER assignments_no_truncate BEFORE TRUNCATE ON assignments
    FOR EACH STATEMENT EXECUTE FUNCTION sportello_refuse_truncate();

-- A dossier names its responsible person (responsabile del procedimento), a user id of its
-- office, or '' for none; dossiers opened before have none.
ALTER TABLE dossiers ADD COLUMN responsible text NOT NULL DEFAULT '';
