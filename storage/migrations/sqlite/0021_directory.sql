-- Sportello schema, version 21, SQLite: the IPA directory. See the PostgreSQL file.
CREATE TABLE directory_administrations (
    ipa_key         TEXT    PRIMARY KEY,
    seq             INTEGER NOT NULL UNIQUE CHECK (seq > 0),
    ipa_code        TEXT    NOT NULL,
    name            TEXT    NOT NULL CHECK (name <> ''),
    name_key        TEXT    NOT NULL,
    tax_code        TEXT    NOT NULL,
    digital_address TEXT    NOT NULL
) STRICT;

CREATE TABLE directory_aoos (
    ipa_key         TEXT    NOT NULL,
    aoo_key         TEXT    NOT NULL,
    ipa_code        TEXT    NOT NULL,
    aoo_code        TEXT    NOT NULL,
    name            TEXT    NOT NULL CHECK (name <> ''),
    name_key        TEXT    NOT NULL,
    digital_address TEXT    NOT NULL,
    PRIMARY KEY (ipa_key, aoo_key)
) STRICT;
CREATE INDEX directory_aoos_code ON directory_aoos (aoo_key);

CREATE TABLE directory_imports (
    id          TEXT    PRIMARY KEY,
    list        TEXT    NOT NULL CHECK (list IN ('administrations', 'aoos')),
    entries     INTEGER NOT NULL CHECK (entries >= 0),
    imported_at TEXT    NOT NULL,
    imported_by TEXT    NOT NULL
) STRICT;
