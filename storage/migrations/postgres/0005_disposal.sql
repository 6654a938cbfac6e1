-- Sportello schema, version 5, PostgreSQL: retention, legal holds and disposal (scarto,
-- docs/compliance.md C4), and the register option for later classification (C1).
--
-- registers.allow_unclassified says whether a registration may be made without a class and
-- classified later. New registers refuse it by default; the general register PG, which has
-- always allowed it, keeps allowing it.
ALTER TABLE registers ADD COLUMN allow_unclassified boolean NOT NULL DEFAULT false;
UPDATE registers SET allow_unclassified = true WHERE code = 'PG';

-- A disposal record is kept forever: the authorisation (the Soprintendenza's reference), who
-- and when, and the list of what was destroyed with every file's digest (items, JSON).
CREATE TABLE disposals (
    seq               bigserial PRIMARY KEY,
    id                text        NOT NULL UNIQUE,
    authorization_ref text        NOT NULL CHECK (authorization_ref <> ''),
    disposal_date     text        NOT NULL,
    disposed_by       text        NOT NULL,
    disposed_by_name  text        NOT NULL,
    created_at        timestamptz NOT NULL,
    items             text        NOT NULL
);

CREATE FUNCTION disposals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'disposal %: a disposal record is never changed or deleted', OLD.id USING ERRCODE = 'SP001';
END $$;
CREATE TRIGGER disposals_guard BEFORE UPDATE OR DELETE ON disposals
    FOR EACH ROW EXECUTE FUNCTION disposals_guard();
CREATE TRIGGER disposals_no_truncate BEFORE TRUNCATE ON disposals
    FOR EACH STATEMENT EXECUTE FUNCTION sportello_refuse_truncate();

-- A disposed dossier keeps status 'closed' (its index stays frozen by the item guard) and gains
-- disposal_id; the API reports it as 'disposed'. disposal_id only goes from null to a value.
ALTER TABLE dossiers ADD COLUMN disposal_id text REFERENCES disposals (id);

CREATE FUNCTION dossiers_disposal_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.disposal_id IS NOT NULL AND (NEW.disposal_id, NEW.status, NEW.closed_at)
        IS DISTINCT FROM (OLD.disposal_id, OLD.status, OLD.closed_at) THEN
        RAISE EXCEPTION 'dossier %: disposed, it cannot change', OLD.identifier USING ERRCODE = 'SP001';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER dossiers_disposal_guard BEFORE UPDATE ON dossiers
    FOR EACH ROW EXECUTE FUNCTION dossiers_disposal_guard();

-- A disposed registration stays in the register (it is never deleted); disposal_id and
-- disposed_at only go from null to a value, together.
ALTER TABLE registrations ADD COLUMN disposal_id text REFERENCES disposals (id);
ALTER TABLE registrations ADD COLUMN disposed_at timestamptz;
ALTER TABLE registrations ADD CONSTRAINT registrations_disposal_both CHECK ((disposal_id IS NULL) = (disposed_at IS NULL));

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
                              'disposal_id', 'disposed_at');
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

-- Legal holds (C4): a hold on a dossier or on a class (and its descendants) blocks disposal
-- until released. A hold is never deleted; releasing it sets the release columns once.
CREATE TABLE holds (
    seq            bigserial PRIMARY KEY,
    id             text        NOT NULL UNIQUE,
    dossier_id     text        REFERENCES dossiers (id),
    class          text COLLATE "C" REFERENCES classes (code),
    reason         text        NOT NULL CHECK (reason <> ''),
    reference      text        NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL,
    created_by     text        NOT NULL,
    released_at    timestamptz,
    released_by    text,
    release_reason text,
    CHECK ((dossier_id IS NULL) <> (class IS NULL)),
    CHECK ((released_at IS NULL) = (released_by IS NULL) AND (released_at IS NULL) = (release_reason IS NULL))
);

CREATE FUNCTION holds_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'hold %: delete refused: a hold is released, never deleted', OLD.id USING ERRCODE = 'SP001';
    END IF;
    IF (NEW.seq, NEW.id, NEW.dossier_id, NEW.class, NEW.reason, NEW.reference, NEW.created_at, NEW.created_by)
        IS DISTINCT FROM (OLD.seq, OLD.id, OLD.dossier_id, OLD.class, OLD.reason, OLD.reference, OLD.created_at, OLD.created_by)
       OR OLD.released_at IS NOT NULL THEN
        RAISE EXCEPTION 'hold %: only an active hold can change, and only by its release', OLD.id USING ERRCODE = 'SP001';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER holds_guard BEFORE UPDATE OR DELETE ON holds
    FOR EACH ROW EXECUTE FUNCTION holds_guard();
CREATE TRIGGER holds_no_truncate BEFORE TRUNCATE ON holds
    FOR EACH STATEMENT EXECUTE FUNCTION sportello_refuse_truncate();
