-- Sportello schema, version 25, SQLite: the emergency register (DPR 445/2000 art. 63,
-- docs/compliance.md E1). See the PostgreSQL file for the design: an immutable outage row, and
-- on a registration loaded from the emergency register its outage, emergency number and
-- emergency date, fixed once registered and unique per outage.

CREATE TABLE emergency_outages (
    id            TEXT NOT NULL PRIMARY KEY,
    register_code TEXT NOT NULL REFERENCES registers (code),
    cause         TEXT NOT NULL CHECK (cause <> ''),
    starts_at     TEXT NOT NULL,
    ends_at       TEXT NOT NULL,
    authorizing_act TEXT NOT NULL CHECK (authorizing_act <> ''),
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    CHECK (ends_at > starts_at)
) STRICT;
CREATE INDEX emergency_outages_register ON emergency_outages (register_code, starts_at);

CREATE TRIGGER emergency_outages_no_update BEFORE UPDATE ON emergency_outages
BEGIN
    SELECT RAISE(ABORT, 'emergency outage: update refused: an outage is immutable once recorded');
END;

CREATE TRIGGER emergency_outages_no_delete BEFORE DELETE ON emergency_outages
BEGIN
    SELECT RAISE(ABORT, 'emergency outage: delete refused: an outage is immutable once recorded');
END;

ALTER TABLE registrations ADD COLUMN emergency_outage TEXT REFERENCES emergency_outages (id);
ALTER TABLE registrations ADD COLUMN emergency_number INTEGER CHECK (emergency_number > 0);
ALTER TABLE registrations ADD COLUMN emergency_date TEXT
    CHECK (emergency_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' AND emergency_date <= reg_date);
-- SQLite cannot add a table constraint: the three are set together, checked by a trigger.
CREATE TRIGGER registrations_emergency_whole BEFORE INSERT ON registrations
WHEN (NEW.emergency_outage IS NULL) <> (NEW.emergency_number IS NULL)
  OR (NEW.emergency_outage IS NULL) <> (NEW.emergency_date IS NULL)
BEGIN
    SELECT RAISE(ABORT, 'registration: emergency outage, number and date are set together');
END;
CREATE UNIQUE INDEX registrations_emergency_number ON registrations (emergency_outage, emergency_number);

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
    SELECT RAISE(ABORT, 'registration: immutable column direction') WHERE NEW.direction IS NOT OLD.direction;
    SELECT RAISE(ABORT, 'registration: immutable column channel') WHERE NEW.channel IS NOT OLD.channel;
    SELECT RAISE(ABORT, 'registration: immutable column subject') WHERE NEW.subject IS NOT OLD.subject;
    SELECT RAISE(ABORT, 'registration: immutable column correspondents') WHERE NEW.correspondents IS NOT OLD.correspondents;
    SELECT RAISE(ABORT, 'registration: immutable column sender_reference') WHERE NEW.sender_reference IS NOT OLD.sender_reference;
    SELECT RAISE(ABORT, 'registration: immutable column document') WHERE NEW.document IS NOT OLD.document;
    SELECT RAISE(ABORT, 'registration: immutable column attachments') WHERE NEW.attachments IS NOT OLD.attachments;
    SELECT RAISE(ABORT, 'registration: immutable column confidential') WHERE NEW.confidential IS NOT OLD.confidential;
    SELECT RAISE(ABORT, 'registration: immutable column created_by') WHERE NEW.created_by IS NOT OLD.created_by;
    SELECT RAISE(ABORT, 'registration: position cannot go back')
    WHERE NEW.position < OLD.position;
    SELECT RAISE(ABORT, 'registration: status may only go from active to annulled, once, and an annulment cannot change')
    WHERE (NEW.status IS NOT OLD.status OR NEW.annulled_at IS NOT OLD.annulled_at OR NEW.annulled_by IS NOT OLD.annulled_by
           OR NEW.annulled_by_name IS NOT OLD.annulled_by_name OR NEW.annulment_reason IS NOT OLD.annulment_reason
           OR NEW.annulment_authorization IS NOT OLD.annulment_authorization)
      AND NOT (OLD.status = 'active' AND NEW.status = 'annulled');
END;
