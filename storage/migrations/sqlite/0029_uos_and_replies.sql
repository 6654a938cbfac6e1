-- Sportello schema, version 29, SQLite: the IPA list of the UOs, and the registration an
-- outgoing one answers. See the PostgreSQL file.
CREATE TABLE directory_uos (
    ipa_key         TEXT    NOT NULL,
    uo_key          TEXT    NOT NULL,
    ipa_code        TEXT    NOT NULL,
    uo_code         TEXT    NOT NULL,
    aoo_code        TEXT    NOT NULL,
    name            TEXT    NOT NULL CHECK (name <> ''),
    name_key        TEXT    NOT NULL,
    digital_address TEXT    NOT NULL,
    PRIMARY KEY (ipa_key, uo_key)
) STRICT;
CREATE INDEX directory_uos_code ON directory_uos (uo_key);

-- A CHECK of an existing SQLite table cannot be changed: directory_imports, which nothing
-- references, is rebuilt with the one that admits 'uos', its rows copied.
CREATE TABLE directory_imports_29 (
    id          TEXT    PRIMARY KEY,
    list        TEXT    NOT NULL CHECK (list IN ('administrations', 'aoos', 'uos')),
    entries     INTEGER NOT NULL CHECK (entries >= 0),
    imported_at TEXT    NOT NULL,
    imported_by TEXT    NOT NULL
) STRICT;
INSERT INTO directory_imports_29 (id, list, entries, imported_at, imported_by)
    SELECT id, list, entries, imported_at, imported_by FROM directory_imports;
DROP TABLE directory_imports;
ALTER TABLE directory_imports_29 RENAME TO directory_imports;

-- The incoming registration an outgoing one answers (see the PostgreSQL file). The guard
-- trigger lists its columns one by one: this one has a trigger of its own.
ALTER TABLE registrations ADD COLUMN in_reply_to TEXT REFERENCES registrations (identifier);
CREATE TRIGGER registrations_in_reply_to_immutable BEFORE UPDATE OF in_reply_to ON registrations
BEGIN
    SELECT RAISE(ABORT, 'registration: immutable column in_reply_to') WHERE NEW.in_reply_to IS NOT OLD.in_reply_to;
END;
