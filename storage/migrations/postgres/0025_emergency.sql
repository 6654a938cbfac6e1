-- Sportello schema, version 25, PostgreSQL: the emergency register (DPR 445/2000 art. 63,
-- docs/compliance.md E1).
--
-- An outage of a register is recorded once, with its cause, its interval and the act that
-- authorised the emergency register; it is never changed or deleted afterwards, so the
-- database refuses any UPDATE, DELETE or TRUNCATE. The entries written on paper during it are
-- loaded later as ordinary registrations, each keeping the outage, its emergency number and its
-- emergency date: fixed like every other fact of a registration (registrations_guard refuses a
-- change of every column it does not list as changing, these included). An emergency number is
-- loaded once per outage (UNIQUE).

CREATE TABLE emergency_outages (
    id            text COLLATE "C" PRIMARY KEY,
    register_code text COLLATE "C" NOT NULL REFERENCES registers (code),
    cause         text NOT NULL CHECK (cause <> ''),
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL,
    authorizing_act text NOT NULL CHECK (authorizing_act <> ''),
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX emergency_outages_register ON emergency_outages (register_code, starts_at);

CREATE FUNCTION emergency_outages_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'emergency outage %: % refused: an outage is immutable once recorded', OLD.id,
        lower(TG_OP) USING ERRCODE = 'SP001';
END $$;

CREATE TRIGGER emergency_outages_guard BEFORE UPDATE OR DELETE ON emergency_outages
    FOR EACH ROW EXECUTE FUNCTION emergency_outages_guard();
CREATE TRIGGER emergency_outages_no_truncate BEFORE TRUNCATE ON emergency_outages
    FOR EACH STATEMENT EXECUTE FUNCTION sportello_refuse_truncate();

ALTER TABLE registrations ADD COLUMN emergency_outage text COLLATE "C" REFERENCES emergency_outages (id);
ALTER TABLE registrations ADD COLUMN emergency_number bigint CHECK (emergency_number > 0);
ALTER TABLE registrations ADD COLUMN emergency_date text COLLATE "C"
    CHECK (emergency_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' AND emergency_date <= reg_date);
ALTER TABLE registrations ADD CONSTRAINT registrations_emergency_whole
    CHECK ((emergency_outage IS NULL) = (emergency_number IS NULL) AND (emergency_outage IS NULL) = (emergency_date IS NULL));
CREATE UNIQUE INDEX registrations_emergency_number ON registrations (emergency_outage, emergency_number);
