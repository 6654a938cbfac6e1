-- Sportello schema, version 29, PostgreSQL: the third IPA list, the offices of the
-- administrations ("Unità Organizzative"), loaded like the other two (POST
-- /v1/directory/imports?kind=uos) so that GET /v1/directory finds an office and its digital
-- address, and a correspondent picked from it carries its IPA, AOO and UO codes; and, at the
-- end, the registration an outgoing one answers.
--
-- As in version 21: the list is replaced whole by each load; ipa_key and uo_key are the codes in
-- lower case; name_key is the folded name with a leading space. A UO is identified by its code
-- within its administration; aoo_code is the AOO that keeps its protocol, '' when the list names
-- none. Loads of the list are recorded in directory_imports, whose list now admits 'uos'.
CREATE TABLE directory_uos (
    ipa_key         text    NOT NULL,
    uo_key          text    NOT NULL,
    ipa_code        text    NOT NULL,
    uo_code         text    NOT NULL,
    aoo_code        text    NOT NULL,
    name            text    NOT NULL CHECK (name <> ''),
    name_key        text    NOT NULL,
    digital_address text    NOT NULL,
    PRIMARY KEY (ipa_key, uo_key)
);
CREATE INDEX directory_uos_code ON directory_uos (uo_key);

ALTER TABLE directory_imports DROP CONSTRAINT directory_imports_list_check;
ALTER TABLE directory_imports ADD CONSTRAINT directory_imports_list_check
    CHECK (list IN ('administrations', 'aoos', 'uos'));

-- The incoming registration an outgoing one answers, by its identifier (its segnatura names
-- that message in Riferimenti); null when it answers none. Fixed once registered, like every
-- column the guard of version 5 does not list.
ALTER TABLE registrations ADD COLUMN in_reply_to text REFERENCES registrations (identifier);
