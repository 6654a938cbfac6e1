-- Sportello schema, version 4, PostgreSQL: dossiers (fascicoli, docs/compliance.md C3, MD2).
--
-- A dossier is identified by the year it was opened, its class and a progressive number within
-- that class and year. The number comes from dossier_counters, taken in the creating
-- transaction like the protocol number from register_counters: never a sequence, which would
-- leave gaps on rollback. The columns that identify a dossier never change and a dossier is
-- never deleted; closing and reopening change only status and closed_at (the history of both
-- is in the audit trail).
--
-- A registration is filed into a dossier by a row of dossier_items; a registration may be in
-- several dossiers. registrations.dossiers (version 1) is superseded: a registration's dossiers
-- are read from dossier_items, and that column stays '[]'. A closed dossier accepts no new
-- item and loses none.

CREATE TABLE dossier_counters (
    class       text COLLATE "C" NOT NULL REFERENCES classes (code),
    year        integer NOT NULL CHECK (year BETWEEN 1 AND 9999),
    last_number bigint  NOT NULL CHECK (last_number >= 1),
    PRIMARY KEY (class, year)
);

-- Like register_counters: a counter only ever moves to the next number.
CREATE FUNCTION dossier_counters_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'dossier counter %/%: delete refused', OLD.class, OLD.year USING ERRCODE = 'SP001';
    END IF;
    IF NEW.class IS DISTINCT FROM OLD.class OR NEW.year IS DISTINCT FROM OLD.year THEN
        RAISE EXCEPTION 'dossier counter %/%: class and year cannot change', OLD.class, OLD.year
            USING ERRCODE = 'SP001';
    END IF;
    IF NEW.last_number IS DISTINCT FROM OLD.last_number + 1 THEN
        RAISE EXCEPTION 'dossier counter %/%: last_number may only go from % to %, not to %',
            OLD.class, OLD.year, OLD.last_number, OLD.last_number + 1, NEW.last_number USING ERRCODE = 'SP001';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER dossier_counters_guard BEFORE UPDATE OR DELETE ON dossier_counters
    FOR EACH ROW EXECUTE FUNCTION dossier_counters_guard();
CREATE TRIGGER dossier_counters_no_truncate BEFORE TRUNCATE ON dossier_counters
    FOR EACH STATEMENT EXECUTE FUNCTION sportello_refuse_truncate();

CREATE TABLE dossiers (
    seq        bigserial PRIMARY KEY,
    id         text        NOT NULL UNIQUE,
    identifier text COLLATE "C" NOT NULL UNIQUE,
    year       integer     NOT NULL CHECK (year BETWEEN 1 AND 9999),
    class      text COLLATE "C" NOT NULL REFERENCES classes (code),
    number     bigint      NOT NULL CHECK (number >= 1),
    subject    text        NOT NULL CHECK (subject <> ''),
    type       text        NOT NULL CHECK (type IN ('affare', 'attivita', 'persona_fisica', 'persona_giuridica', 'procedimento')),
    office     text        NOT NULL REFERENCES offices (code),
    parent_id  text        REFERENCES dossiers (id),
    status     text        NOT NULL CHECK (status IN ('open', 'closed')),
    opened_at  timestamptz NOT NULL,
    closed_at  timestamptz,
    created_by text        NOT NULL,
    position   bigint      NOT NULL,
    UNIQUE (class, year, number),
    CHECK ((status = 'open') = (closed_at IS NULL))
);
CREATE INDEX dossiers_class ON dossiers (class, seq);
CREATE INDEX dossiers_year ON dossiers (year, seq);
CREATE INDEX dossiers_office ON dossiers (office, seq);
CREATE INDEX dossiers_created_by ON dossiers (created_by, seq);
CREATE INDEX dossiers_parent ON dossiers (parent_id);

CREATE FUNCTION dossiers_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'dossier %: delete refused: a dossier is never deleted, only closed', OLD.identifier
            USING ERRCODE = 'SP001';
    END IF;
    IF (NEW.seq, NEW.id, NEW.identifier, NEW.year, NEW.class, NEW.number, NEW.opened_at, NEW.created_by)
        IS DISTINCT FROM (OLD.seq, OLD.id, OLD.identifier, OLD.year, OLD.class, OLD.number, OLD.opened_at, OLD.created_by) THEN
        RAISE EXCEPTION 'dossier %: id, identifier, year, class, number, opened_at and created_by cannot change', OLD.identifier
            USING ERRCODE = 'SP001';
    END IF;
    IF NEW.position < OLD.position THEN
        RAISE EXCEPTION 'dossier %: position cannot go back from % to %', OLD.identifier, OLD.position, NEW.position
            USING ERRCODE = 'SP001';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER dossiers_guard BEFORE UPDATE OR DELETE ON dossiers
    FOR EACH ROW EXECUTE FUNCTION dossiers_guard();
CREATE TRIGGER dossiers_no_truncate BEFORE TRUNCATE ON dossiers
    FOR EACH STATEMENT EXECUTE FUNCTION sportello_refuse_truncate();

-- The document index of a dossier. kind is 'registration' for now; unregistered documents will
-- be a second kind with their own reference column.
CREATE TABLE dossier_items (
    dossier_id      text        NOT NULL REFERENCES dossiers (id),
    kind            text        NOT NULL CHECK (kind IN ('registration')),
    registration_id text        NOT NULL REFERENCES registrations (id),
    added_at        timestamptz NOT NULL,
    added_by        text        NOT NULL,
    PRIMARY KEY (dossier_id, registration_id)
);
CREATE INDEX dossier_items_registration ON dossier_items (registration_id);

-- A closed dossier's index is final: no item enters or leaves it, and an item never changes.
CREATE FUNCTION dossier_items_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d record;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'dossier item: update refused' USING ERRCODE = 'SP001';
    END IF;
    SELECT identifier, status INTO d FROM dossiers
        WHERE id = CASE WHEN TG_OP = 'INSERT' THEN NEW.dossier_id ELSE OLD.dossier_id END;
    IF d.status = 'closed' THEN
        RAISE EXCEPTION 'dossier % is closed: a closed dossier accepts no new items and loses none', d.identifier
            USING ERRCODE = 'SP001';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER dossier_items_guard BEFORE INSERT OR UPDATE OR DELETE ON dossier_items
    FOR EACH ROW EXECUTE FUNCTION dossier_items_guard();
CREATE TRIGGER dossier_items_no_truncate BEFORE TRUNCATE ON dossier_items
    FOR EACH STATEMENT EXECUTE FUNCTION sportello_refuse_truncate();
