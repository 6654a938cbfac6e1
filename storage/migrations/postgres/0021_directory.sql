-- Sportello schema, version 21, PostgreSQL: the IPA directory, the public lists of Italian
-- administrations and their AOOs that an admin loads (POST /v1/directory/imports) so that staff
-- can find another administration's codes and PEC address (GET /v1/directory).
--
-- Each list is replaced whole by each load, in one transaction (storage/directory.go). The lists
-- are loaded independently, so an AOO does not reference its administration. ipa_key and
-- aoo_key are the codes in lower case (IPA codes are compared without case); name_key is the
-- name folded (domain.FoldName) with a leading space, so that `LIKE '% word%'` finds a word's
-- prefix alike on both engines; seq is the administration's place in name order, the key of
-- the pages.
CREATE TABLE directory_administrations (
    ipa_key         text    PRIMARY KEY,
    seq             bigint  NOT NULL UNIQUE CHECK (seq > 0),
    ipa_code        text    NOT NULL,
    name            text    NOT NULL CHECK (name <> ''),
    name_key        text    NOT NULL,
    tax_code        text    NOT NULL,
    digital_address text    NOT NULL
);

CREATE TABLE directory_aoos (
    ipa_key         text    NOT NULL,
    aoo_key         text    NOT NULL,
    ipa_code        text    NOT NULL,
    aoo_code        text    NOT NULL,
    name            text    NOT NULL CHECK (name <> ''),
    name_key        text    NOT NULL,
    digital_address text    NOT NULL,
    PRIMARY KEY (ipa_key, aoo_key)
);
CREATE INDEX directory_aoos_code ON directory_aoos (aoo_key);

-- Every load, kept: which list, how many entries it left, when and by whom.
CREATE TABLE directory_imports (
    id          text        PRIMARY KEY,
    list        text        NOT NULL CHECK (list IN ('administrations', 'aoos')),
    entries     bigint      NOT NULL CHECK (entries >= 0),
    imported_at timestamptz NOT NULL,
    imported_by text        NOT NULL
);
