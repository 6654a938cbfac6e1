-- Sportello schema, version 37, SQLite: a records officer can change a registration's
-- confidentiality (riservatezza), with a reason recorded in its history, so the column leaves
-- the immutable set. See the PostgreSQL file.

DROP TRIGGER registrations_immutable;
CREATE TRIGGER registrations_immutable BEFORE UPDATE ON registrations
BEGIN
    SELECT RAISE(ABORT, 'registration: immutable column seq') WHERE NEW.seq IS NOT OLD.seq;
    SELECT RAISE(ABORT, 'registration: immutable column id') WHERE NEW.id IS NOT OLD.id;
    SELECT RAISE(ABORT, 'registration: immutable column register_code') WHERE NEW.register_code IS NOT OLD.register_code;
    SELECT RAISE(ABORT, 'registration: immutable column year') WHERE NEW.year IS NOT OLD.year;
    SELECT RAISE(ABORT, 'registration: immutable column number') WHERE NEW.number IS NOT OLD.number;
    SELECT RAISE(ABORT, 'registration: immutable column identifier') WHERE NEW.identifier IS NOT OLD.identifier;
    SELECT RAISE(ABORT, 'registration: immutable column registered_at') WHERE NEW.registered_at IS NOT OLD.registered_at;
    SELECT RAISE(ABORT, 'registration: immutable column reg_date') WHERE NEW.reg_date IS NOT OLD.reg_date;
    SELECT RAISE(ABORT, 'registration: immutable column received_on') WHERE NEW.received_on IS NOT OLD.received_on;
    SELECT RAISE(ABORT, 'registration: immutable column emergency_outage') WHERE NEW.emergency_outage IS NOT OLD.emergency_outage;
    SELECT RAISE(ABORT, 'registration: immutable column emergency_number') WHERE NEW.emergency_number IS NOT OLD.emergency_number;
    SELECT RAISE(ABORT, 'registration: immutable column emergency_date') WHERE NEW.emergency_date IS NOT OLD.emergency_date;
    SELECT RAISE(ABORT, 'registration: immutable column image_copy') WHERE NEW.image_copy IS NOT OLD.image_copy;
    SELECT RAISE(ABORT, 'registration: immutable column direction') WHERE NEW.direction IS NOT OLD.direction;
    SELECT RAISE(ABORT, 'registration: immutable column channel') WHERE NEW.channel IS NOT OLD.channel;
    SELECT RAISE(ABORT, 'registration: immutable column subject') WHERE NEW.subject IS NOT OLD.subject;
    SELECT RAISE(ABORT, 'registration: immutable column correspondents') WHERE NEW.correspondents IS NOT OLD.correspondents;
    SELECT RAISE(ABORT, 'registration: immutable column sender_reference') WHERE NEW.sender_reference IS NOT OLD.sender_reference;
    SELECT RAISE(ABORT, 'registration: immutable column document') WHERE NEW.document IS NOT OLD.document;
    SELECT RAISE(ABORT, 'registration: immutable column attachments') WHERE NEW.attachments IS NOT OLD.attachments;
    SELECT RAISE(ABORT, 'registration: immutable column created_by') WHERE NEW.created_by IS NOT OLD.created_by;
    SELECT RAISE(ABORT, 'registration: position cannot go back')
    WHERE NEW.position < OLD.position;
    SELECT RAISE(ABORT, 'registration: status may only go from active to annulled, once, and an annulment cannot change')
    WHERE (NEW.status IS NOT OLD.status OR NEW.annulled_at IS NOT OLD.annulled_at OR NEW.annulled_by IS NOT OLD.annulled_by
           OR NEW.annulled_by_name IS NOT OLD.annulled_by_name OR NEW.annulment_reason IS NOT OLD.annulment_reason
           OR NEW.annulment_authorization IS NOT OLD.annulment_authorization)
      AND NOT (OLD.status = 'active' AND NEW.status = 'annulled');
END;

-- Assignments (smistamento): see the PostgreSQL file.
CREATE TABLE assignments (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT    NOT NULL UNIQUE,
    registration_id TEXT    NOT NULL REFERENCES registrations (id),
    kind            TEXT    NOT NULL CHECK (kind IN ('competenza', 'conoscenza')),
    office          TEXT    NOT NULL REFERENCES offices (code),
    person          TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected', 'superseded', 'informed')),
    reason          TEXT    NOT NULL,
    created_by      TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    decided_by      TEXT    NOT NULL,
    decided_at      TEXT
);
CREATE INDEX assignments_registration ON assignments (registration_id);
CREATE INDEX assignments_office ON assignments (office, state);

CREATE TRIGGER assignments_no_delete BEFORE DELETE ON assignments
BEGIN
    SELECT RAISE(ABORT, 'assignment: delete refused: assignments are history');
END;

CREATE TRIGGER assignments_guard BEFORE UPDATE ON assignments
BEGIN
    SELECT RAISE(ABORT, 'assignment: immutable column')
    WHERE NEW.seq IS NOT OLD.seq OR NEW.id IS NOT OLD.id OR NEW.registration_id IS NOT OLD.registration_id
       OR NEW.kind IS NOT OLD.kind OR NEW.office IS NOT OLD.office OR NEW.person IS NOT OLD.person
       OR NEW.created_by IS NOT OLD.created_by OR NEW.created_at IS NOT OLD.created_at;
    SELECT RAISE(ABORT, 'assignment: state may only go from pending to accepted, rejected or superseded, or from accepted to superseded')
    WHERE NOT ((OLD.state = 'pending' AND NEW.state IN ('accepted', 'rejected', 'superseded'))
            OR (OLD.state = 'accepted' AND NEW.state = 'superseded'));
END;

-- A dossier names its responsible person (responsabile del procedimento), a user id of its
-- office, or '' for none; dossiers opened before have none.
ALTER TABLE dossiers ADD COLUMN responsible TEXT NOT NULL DEFAULT '';
