-- Sportello schema, version 1, SQLite. The same logical schema as postgres/0001_init.sql.
--
-- Tables are STRICT. Timestamps are fixed-width RFC 3339 text in UTC with microseconds
-- ('2026-11-28T20:01:02.123456Z'), so text order is time order; booleans are 0/1 integers;
-- protocol dates are 'YYYY-MM-DD' text; JSON is stored as text, byte for byte.
--
-- The legal guarantees (docs/compliance.md M1, M3, N2) are enforced by triggers that RAISE(ABORT) with a
-- message saying what was refused. SQLite's REPLACE conflict resolution deletes a conflicting
-- row without firing delete triggers, so the protected tables also refuse an INSERT that would
-- collide with an existing row: `INSERT OR REPLACE` cannot overwrite history either.

CREATE TABLE aoos (
    code       TEXT PRIMARY KEY,
    ipa_code   TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TRIGGER aoos_single BEFORE INSERT ON aoos
BEGIN
    SELECT RAISE(ABORT, 'aoo ' || NEW.code || ': insert refused: an AOO already exists')
    WHERE EXISTS (SELECT 1 FROM aoos);
END;

CREATE TRIGGER aoos_immutable BEFORE UPDATE ON aoos
BEGIN
    SELECT RAISE(ABORT, 'aoo ' || OLD.code || ': immutable column code') WHERE NEW.code IS NOT OLD.code;
    SELECT RAISE(ABORT, 'aoo ' || OLD.code || ': immutable column ipa_code') WHERE NEW.ipa_code IS NOT OLD.ipa_code;
END;

CREATE TRIGGER aoos_no_delete BEFORE DELETE ON aoos
BEGIN
    SELECT RAISE(ABORT, 'aoo ' || OLD.code || ': delete refused');
END;

CREATE TABLE registers (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

-- One counter per register and year (N1). Never a sequence: a sequence leaves gaps on rollback.
CREATE TABLE register_counters (
    register_code TEXT    NOT NULL REFERENCES registers (code),
    year          INTEGER NOT NULL CHECK (year BETWEEN 1 AND 9999),
    last_number   INTEGER NOT NULL CHECK (last_number >= 1),
    PRIMARY KEY (register_code, year)
) STRICT;

-- A counter only ever moves to the next number (N2): no decrease, no skip, no delete, no
-- re-insert over an existing counter.
CREATE TRIGGER register_counters_no_reinsert BEFORE INSERT ON register_counters
BEGIN
    SELECT RAISE(ABORT, 'register counter ' || NEW.register_code || '/' || NEW.year || ': insert refused: the counter exists')
    WHERE EXISTS (SELECT 1 FROM register_counters WHERE register_code = NEW.register_code AND year = NEW.year);
END;

CREATE TRIGGER register_counters_next BEFORE UPDATE ON register_counters
BEGIN
    SELECT RAISE(ABORT, 'register counter ' || OLD.register_code || '/' || OLD.year || ': register and year cannot change')
    WHERE NEW.register_code IS NOT OLD.register_code OR NEW.year IS NOT OLD.year;
    SELECT RAISE(ABORT, 'register counter ' || OLD.register_code || '/' || OLD.year || ': last_number may only go from '
        || OLD.last_number || ' to ' || (OLD.last_number + 1) || ', not to ' || coalesce(NEW.last_number, 'NULL'))
    WHERE NEW.last_number IS NOT OLD.last_number + 1;
END;

CREATE TRIGGER register_counters_no_delete BEFORE DELETE ON register_counters
BEGIN
    SELECT RAISE(ABORT, 'register counter ' || OLD.register_code || '/' || OLD.year || ': delete refused');
END;

CREATE TABLE offices (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE clients (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    roles      TEXT NOT NULL,
    offices    TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL REFERENCES clients (id),
    secret_hash BLOB NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX api_keys_client ON api_keys (client_id);

-- Registrations (art. 53). seq orders them and backs list cursors; position is the change-feed
-- position of the latest write and is the only bookkeeping column that changes.
CREATE TABLE registrations (
    seq                     INTEGER PRIMARY KEY AUTOINCREMENT,
    id                      TEXT    NOT NULL UNIQUE,
    register_code           TEXT    NOT NULL REFERENCES registers (code),
    year                    INTEGER NOT NULL,
    number                  INTEGER NOT NULL CHECK (number >= 1),
    identifier              TEXT    NOT NULL UNIQUE,
    registered_at           TEXT    NOT NULL,
    reg_date                TEXT    NOT NULL CHECK (reg_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    direction               TEXT    NOT NULL CHECK (direction IN ('incoming', 'outgoing', 'internal')),
    channel                 TEXT    NOT NULL,
    subject                 TEXT    NOT NULL CHECK (subject <> ''),
    correspondents          TEXT    NOT NULL CHECK (json_array_length(correspondents) > 0),
    sender_reference        TEXT,
    document                TEXT    NOT NULL,
    attachments             TEXT    NOT NULL,
    class                   TEXT    NOT NULL DEFAULT '',
    dossiers                TEXT    NOT NULL DEFAULT '[]',
    confidential            INTEGER NOT NULL CHECK (confidential IN (0, 1)),
    status                  TEXT    NOT NULL CHECK (status IN ('active', 'annulled')),
    annulled_at             TEXT,
    annulled_by             TEXT,
    annulled_by_name        TEXT,
    annulment_reason        TEXT,
    annulment_authorization TEXT,
    created_by              TEXT    NOT NULL,
    position                INTEGER NOT NULL,
    UNIQUE (register_code, year, number),
    -- An active registration has no annulment; an annulled one has all of it (M3).
    CHECK ((status = 'active' AND annulled_at IS NULL AND annulled_by IS NULL AND annulled_by_name IS NULL
                AND annulment_reason IS NULL AND annulment_authorization IS NULL)
        OR (status = 'annulled' AND annulled_at IS NOT NULL AND annulled_by IS NOT NULL
                AND annulled_by_name IS NOT NULL AND annulment_reason <> '' AND annulment_authorization <> ''))
) STRICT;
CREATE INDEX registrations_register_year ON registrations (register_code, year, seq);
CREATE INDEX registrations_reg_date ON registrations (reg_date, seq);
CREATE INDEX registrations_class ON registrations (class, seq);
-- Annulled registrations are few: only they are indexed, and inserts pay nothing for it.
CREATE INDEX registrations_annulled ON registrations (seq) WHERE status = 'annulled';
CREATE INDEX registrations_created_by ON registrations (created_by, seq);

CREATE TRIGGER registrations_no_reinsert BEFORE INSERT ON registrations
BEGIN
    SELECT RAISE(ABORT, 'registration ' || NEW.id || ': insert refused: it would replace an existing registration')
    WHERE EXISTS (SELECT 1 FROM registrations
                  WHERE seq = NEW.seq OR id = NEW.id OR identifier = NEW.identifier
                     OR (register_code = NEW.register_code AND year = NEW.year AND number = NEW.number));
END;

-- Only class, dossiers, position and — once, from active to annulled — status and annulment may
-- change (M1, M3). A column added later must be added here to be protected.
CREATE TRIGGER registrations_immutable BEFORE UPDATE ON registrations
BEGIN
    SELECT RAISE(ABORT, 'registration ' || OLD.id || ': immutable column seq') WHERE NEW.seq IS NOT OLD.seq;
    SELECT RAISE(ABORT, 'registration ' || OLD.id || ': immutable column id') WHERE NEW.id IS NOT OLD.id;
    SELECT RAISE(ABORT, 'registration ' || OLD.id || ': immutable column register_code') WHERE NEW.register_code IS NOT OLD.register_code;
    SELECT RAISE(ABORT, 'registration ' || OLD.id || ': immutable column year') WHERE NEW.year IS NOT OLD.year;
    SELECT RAISE(ABORT, 'registration ' || OLD.id || ': immutable column number') WHERE NEW.number IS NOT OLD.number;
    SELECT RAISE(ABORT, 'registration ' || OLD.id || ': immutable column identifier') WHERE NEW.identifier IS NOT OLD.identifier;
    SELECT RAISE(ABORT, 'registration ' || OLD.id || ': immutable column registered_at') WHERE NEW.registered_at IS NOT OLD.registered_at;
    SELECT RAISE(ABORT, 'registration ' || OLD.id || ': immutable column reg_date') WHERE NEW.reg_date IS NOT OLD.reg_date;
    SELECT RAISE(ABORT, 'registration ' || OLD.id || ': immutable column direction') WHERE NEW.direction IS NOT OLD.direction;
    SELECT RAISE(ABORT, 'registration ' || OLD.id || ': immutable column channel') WHERE NEW.channel IS NOT OLD.channel;
    SELECT RAISE(ABORT, 'registration ' || OLD.id || ': immutable column subject') WHERE NEW.subject IS NOT OLD.subject;
    SELECT RAISE(ABORT, 'registration ' || OLD.id || ': immutable column correspondents') WHERE NEW.correspondents IS NOT OLD.correspondents;
    SELECT RAISE(ABORT, 'registration ' || OLD.id || ': immutable column sender_reference') WHERE NEW.sender_reference IS NOT OLD.sender_reference;
    SELECT RAISE(ABORT, 'registration ' || OLD.id || ': immutable column document') WHERE NEW.document IS NOT OLD.document;
    SELECT RAISE(ABORT, 'registration ' || OLD.id || ': immutable column attachments') WHERE NEW.attachments IS NOT OLD.attachments;
    SELECT RAISE(ABORT, 'registration ' || OLD.id || ': immutable column confidential') WHERE NEW.confidential IS NOT OLD.confidential;
    SELECT RAISE(ABORT, 'registration ' || OLD.id || ': immutable column created_by') WHERE NEW.created_by IS NOT OLD.created_by;
    SELECT RAISE(ABORT, 'registration ' || OLD.id || ': position cannot go back from ' || OLD.position || ' to ' || NEW.position)
    WHERE NEW.position < OLD.position;
    SELECT RAISE(ABORT, 'registration ' || OLD.id || ': status ' || OLD.status || ' cannot become ' || NEW.status
        || ' and an annulment cannot change')
    WHERE (NEW.status IS NOT OLD.status OR NEW.annulled_at IS NOT OLD.annulled_at OR NEW.annulled_by IS NOT OLD.annulled_by
           OR NEW.annulled_by_name IS NOT OLD.annulled_by_name OR NEW.annulment_reason IS NOT OLD.annulment_reason
           OR NEW.annulment_authorization IS NOT OLD.annulment_authorization)
      AND NOT (OLD.status = 'active' AND NEW.status = 'annulled');
END;

CREATE TRIGGER registrations_no_delete BEFORE DELETE ON registrations
BEGIN
    SELECT RAISE(ABORT, 'registration ' || OLD.id || ': delete refused: a registration is never deleted, only annulled');
END;

-- The offices a registration is assigned to (R4), in the order given. The reference to the
-- registration is checked at commit, so offices can be written before the counter is taken.
CREATE TABLE registration_offices (
    registration_id TEXT    NOT NULL REFERENCES registrations (id) DEFERRABLE INITIALLY DEFERRED,
    office_code     TEXT    NOT NULL REFERENCES offices (code),
    ordinal         INTEGER NOT NULL,
    PRIMARY KEY (registration_id, office_code)
) STRICT;
CREATE INDEX registration_offices_office ON registration_offices (office_code, registration_id);

-- The audit trail (M2): append-only.
CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    actor_name  TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity_kind TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    field       TEXT NOT NULL DEFAULT '',
    old_value   TEXT,
    new_value   TEXT,
    detail      TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_events_entity ON audit_events (entity_kind, entity_id, id);

CREATE TRIGGER audit_events_no_reinsert BEFORE INSERT ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit event ' || NEW.id || ': insert refused: the audit trail is append-only')
    WHERE EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id);
END;

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit event ' || OLD.id || ': update refused: the audit trail is append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit event ' || OLD.id || ': delete refused: the audit trail is append-only');
END;

-- The change feed. SQLite has one writer at a time, so positions commit in order.
CREATE TABLE change_events (
    position    INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL,
    entity_kind TEXT NOT NULL,
    entity_id   TEXT NOT NULL
) STRICT;

CREATE TABLE idempotency_keys (
    principal_id  TEXT NOT NULL,
    key           TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    resource_kind TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (principal_id, key)
) STRICT;
