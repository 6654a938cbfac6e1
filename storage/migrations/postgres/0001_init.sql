-- Sportello schema, version 1, PostgreSQL.
--
-- Timestamps are timestamptz (microseconds, written in UTC). Protocol dates are 'YYYY-MM-DD'
-- text in the "C" collation, so that text order is date order. JSON is stored as text, so the
-- bytes the application wrote are the bytes it reads back.
--
-- The legal guarantees (docs/compliance.md M1, M3, N2) are enforced here by triggers, so that no code
-- path and no manual SQL session can alter or delete a registration, an audit event or a
-- counter. Every refusal raises SQLSTATE SP001 with a message saying what was refused.

CREATE FUNCTION sportello_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%: truncate refused', TG_TABLE_NAME USING ERRCODE = 'SP001';
END $$;

-- The AOO: exactly one row, whose codes are part of every identifier and never change.
CREATE TABLE aoos (
    code       text PRIMARY KEY,
    ipa_code   text NOT NULL,
    name       text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE FUNCTION aoos_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF EXISTS (SELECT 1 FROM aoos) THEN
            RAISE EXCEPTION 'aoo %: insert refused: an AOO already exists', NEW.code USING ERRCODE = 'SP001';
        END IF;
        RETURN NEW;
    ELSIF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'aoo %: delete refused', OLD.code USING ERRCODE = 'SP001';
    END IF;
    IF NEW.code IS DISTINCT FROM OLD.code OR NEW.ipa_code IS DISTINCT FROM OLD.ipa_code THEN
        RAISE EXCEPTION 'aoo %: immutable column %', OLD.code,
            CASE WHEN NEW.code IS DISTINCT FROM OLD.code THEN 'code' ELSE 'ipa_code' END
            USING ERRCODE = 'SP001';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER aoos_guard BEFORE INSERT OR UPDATE OR DELETE ON aoos
    FOR EACH ROW EXECUTE FUNCTION aoos_guard();

CREATE TABLE registers (
    code       text PRIMARY KEY,
    name       text NOT NULL,
    created_at timestamptz NOT NULL
);

-- One counter per register and year (N1). Never a sequence: a sequence leaves gaps on rollback.
CREATE TABLE register_counters (
    register_code text    NOT NULL REFERENCES registers (code),
    year          integer NOT NULL CHECK (year BETWEEN 1 AND 9999),
    last_number   bigint  NOT NULL CHECK (last_number >= 1),
    PRIMARY KEY (register_code, year)
);

-- A counter only ever moves to the next number (N2): no decrease, no skip, no delete.
CREATE FUNCTION register_counters_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'register counter %/%: delete refused', OLD.register_code, OLD.year
            USING ERRCODE = 'SP001';
    END IF;
    IF NEW.register_code IS DISTINCT FROM OLD.register_code OR NEW.year IS DISTINCT FROM OLD.year THEN
        RAISE EXCEPTION 'register counter %/%: register and year cannot change', OLD.register_code, OLD.year
            USING ERRCODE = 'SP001';
    END IF;
    IF NEW.last_number IS DISTINCT FROM OLD.last_number + 1 THEN
        RAISE EXCEPTION 'register counter %/%: last_number may only go from % to %, not to %',
            OLD.register_code, OLD.year, OLD.last_number, OLD.last_number + 1, NEW.last_number
            USING ERRCODE = 'SP001';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER register_counters_guard BEFORE UPDATE OR DELETE ON register_counters
    FOR EACH ROW EXECUTE FUNCTION register_counters_guard();
CREATE TRIGGER register_counters_no_truncate BEFORE TRUNCATE ON register_counters
    FOR EACH STATEMENT EXECUTE FUNCTION sportello_refuse_truncate();

CREATE TABLE offices (
    code       text PRIMARY KEY,
    name       text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE clients (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    roles      text NOT NULL,
    offices    text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE api_keys (
    id          text PRIMARY KEY,
    client_id   text  NOT NULL REFERENCES clients (id),
    secret_hash bytea NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX api_keys_client ON api_keys (client_id);

-- Registrations (art. 53). seq orders them and backs list cursors; position is the change-feed
-- position of the latest write and is the only bookkeeping column that changes.
CREATE TABLE registrations (
    seq                     bigserial PRIMARY KEY,
    id                      text        NOT NULL UNIQUE,
    register_code           text        NOT NULL REFERENCES registers (code),
    year                    integer     NOT NULL,
    number                  bigint      NOT NULL CHECK (number >= 1),
    identifier              text        NOT NULL UNIQUE,
    registered_at           timestamptz NOT NULL,
    reg_date                text COLLATE "C" NOT NULL CHECK (reg_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    direction               text        NOT NULL CHECK (direction IN ('incoming', 'outgoing', 'internal')),
    channel                 text        NOT NULL,
    subject                 text        NOT NULL CHECK (subject <> ''),
    correspondents          text        NOT NULL CHECK (json_array_length(correspondents::json) > 0),
    sender_reference        text,
    document                text        NOT NULL,
    attachments             text        NOT NULL,
    class                   text COLLATE "C" NOT NULL DEFAULT '',
    dossiers                text        NOT NULL DEFAULT '[]',
    confidential            boolean     NOT NULL,
    status                  text        NOT NULL CHECK (status IN ('active', 'annulled')),
    annulled_at             timestamptz,
    annulled_by             text,
    annulled_by_name        text,
    annulment_reason        text,
    annulment_authorization text,
    created_by              text        NOT NULL,
    position                bigint      NOT NULL,
    UNIQUE (register_code, year, number),
    -- An active registration has no annulment; an annulled one has all of it (M3).
    CHECK ((status = 'active' AND annulled_at IS NULL AND annulled_by IS NULL AND annulled_by_name IS NULL
                AND annulment_reason IS NULL AND annulment_authorization IS NULL)
        OR (status = 'annulled' AND annulled_at IS NOT NULL AND annulled_by IS NOT NULL
                AND annulled_by_name IS NOT NULL AND annulment_reason <> '' AND annulment_authorization <> ''))
);
CREATE INDEX registrations_register_year ON registrations (register_code, year, seq);
CREATE INDEX registrations_reg_date ON registrations (reg_date, seq);
CREATE INDEX registrations_class ON registrations (class, seq);
-- Annulled registrations are few: only they are indexed, and inserts pay nothing for it.
CREATE INDEX registrations_annulled ON registrations (seq) WHERE status = 'annulled';
CREATE INDEX registrations_created_by ON registrations (created_by, seq);

-- Only class, dossiers, position and — once, from active to annulled — status and annulment may
-- change (M1, M3). Columns are checked generically, so a column added later is immutable unless
-- it is added to the list below.
CREATE FUNCTION registrations_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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
                              'annulled_by_name', 'annulment_reason', 'annulment_authorization');
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
    RETURN NEW;
END $$;

CREATE TRIGGER registrations_guard BEFORE UPDATE OR DELETE ON registrations
    FOR EACH ROW EXECUTE FUNCTION registrations_guard();
CREATE TRIGGER registrations_no_truncate BEFORE TRUNCATE ON registrations
    FOR EACH STATEMENT EXECUTE FUNCTION sportello_refuse_truncate();

-- The offices a registration is assigned to (R4), in the order given. The reference to the
-- registration is checked at commit, so a registration's offices can be written before the
-- counter row is locked, keeping that lock short.
CREATE TABLE registration_offices (
    registration_id text    NOT NULL REFERENCES registrations (id) DEFERRABLE INITIALLY DEFERRED,
    office_code     text    NOT NULL REFERENCES offices (code),
    ordinal         integer NOT NULL,
    PRIMARY KEY (registration_id, office_code)
);
CREATE INDEX registration_offices_office ON registration_offices (office_code, registration_id);

-- The audit trail (M2): append-only.
CREATE TABLE audit_events (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    actor_name  text NOT NULL,
    action      text NOT NULL,
    entity_kind text NOT NULL,
    entity_id   text NOT NULL,
    field       text NOT NULL DEFAULT '',
    old_value   text,
    new_value   text,
    detail      text NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_entity ON audit_events (entity_kind, entity_id, id);

CREATE FUNCTION audit_events_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit event %: % refused: the audit trail is append-only', OLD.id, lower(TG_OP)
        USING ERRCODE = 'SP001';
END $$;

CREATE TRIGGER audit_events_guard BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_guard();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION sportello_refuse_truncate();

-- The change feed. Positions come from a sequence and commit out of order; txid lets a consumer
-- wait for every transaction older than its snapshot (pg_snapshot_xmin) before moving past a
-- position, so that it never skips an event that commits late.
CREATE TABLE change_events (
    position    bigserial PRIMARY KEY,
    at          timestamptz NOT NULL,
    kind        text NOT NULL,
    entity_kind text NOT NULL,
    entity_id   text NOT NULL,
    txid        xid8 NOT NULL DEFAULT pg_current_xact_id()
);
-- Consumers read the feed in (txid, position) order: see storage/changes.go.
CREATE INDEX change_events_tx ON change_events (txid, position);

CREATE TABLE idempotency_keys (
    principal_id  text NOT NULL,
    key           text NOT NULL,
    request_hash  text NOT NULL,
    resource_kind text NOT NULL,
    resource_id   text NOT NULL,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (principal_id, key)
);
