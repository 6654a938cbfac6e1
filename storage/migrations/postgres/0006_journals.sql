-- Sportello schema, version 6, PostgreSQL: daily journals (registro giornaliero di protocollo,
-- docs/compliance.md D1).
--
-- One row per register and protocol date, written once by the journal worker when the day is
-- over. The journal's canonical JSON and signed PDF are in the blob store under the digests
-- recorded here; the journal's leaf in the transparency log commits to both. A journal is what
-- the register was that day: it is never rewritten, so the database refuses any UPDATE, DELETE
-- or TRUNCATE. UNIQUE (register_code, journal_date) makes two workers racing produce one.

CREATE TABLE journals (
    register_code text COLLATE "C" NOT NULL REFERENCES registers (code),
    journal_date  text COLLATE "C" NOT NULL CHECK (journal_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    registrations integer NOT NULL CHECK (registrations > 0),
    json_sha256   text NOT NULL CHECK (json_sha256 ~ '^[0-9a-f]{64}$'),
    pdf_sha256    text NOT NULL CHECK (pdf_sha256 ~ '^[0-9a-f]{64}$'),
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (register_code, journal_date)
);

CREATE FUNCTION journals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'journal %/%: % refused: a daily journal is immutable', OLD.register_code, OLD.journal_date,
        lower(TG_OP) USING ERRCODE = 'SP001';
END $$;

CREATE TRIGGER journals_guard BEFORE UPDATE OR DELETE ON journals
    FOR EACH ROW EXECUTE FUNCTION journals_guard();
CREATE TRIGGER journals_no_truncate BEFORE TRUNCATE ON journals
    FOR EACH STATEMENT EXECUTE FUNCTION sportello_refuse_truncate();

-- The worker looks for days of a register that have registrations and no journal.
CREATE INDEX registrations_register_date ON registrations (register_code, reg_date);
