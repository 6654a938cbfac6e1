-- Sportello schema, version 13, PostgreSQL: a counter may move by several numbers at once, as
-- long as registrations took every one of them.
--
-- Concurrent registrations in one register are written as a group, in one transaction whose
-- one statement moves the counter by the group's size (storage/groupcommit.go). The guard of
-- version 1 allowed exactly one step per update; it now refuses any update that does not move
-- the counter up, and a constraint trigger checks, when the transaction commits, that the
-- registrations of that register and year hold every number the counter moved past (N2). This
-- is stronger than before: a counter moved by SQL alone, even by one, leaving a number that no
-- registration holds, is refused.
CREATE OR REPLACE FUNCTION register_counters_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'register counter %/%: delete refused', OLD.register_code, OLD.year
            USING ERRCODE = 'SP001';
    END IF;
    IF NEW.register_code IS DISTINCT FROM OLD.register_code OR NEW.year IS DISTINCT FROM OLD.year THEN
        RAISE EXCEPTION 'register counter %/%: register and year cannot change', OLD.register_code, OLD.year
            USING ERRCODE = 'SP001';
    END IF;
    IF NEW.last_number IS NULL OR NEW.last_number <= OLD.last_number THEN
        RAISE EXCEPTION 'register counter %/%: last_number may only go from % to a higher number, not to %',
            OLD.register_code, OLD.year, OLD.last_number, NEW.last_number
            USING ERRCODE = 'SP001';
    END IF;
    RETURN NEW;
END $$;

-- The count must read the unique index (register, year, number) over the range, whatever the
-- table's statistics: PL/pgSQL plans it once per session, possibly while the table is small and
-- not yet analysed, and keeps that plan. Without statistics every index that starts with the
-- register looks as cheap as the unique one (measured: the planner took (register, year, seq)
-- and (register, reg_date, seq), reading every registration of the year at each commit, 1–5 ms
-- after a few thousand). Asking for the numbers in order breaks the tie, since only the unique
-- index gives that order without a sort; and no sequential scan, which a small table invites.
CREATE FUNCTION register_counters_taken() RETURNS trigger LANGUAGE plpgsql
SET enable_seqscan = off AS $$
DECLARE
    prev  bigint := 0;
    taken bigint;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        prev := OLD.last_number;
    END IF;
    SELECT count(*) INTO taken FROM (
        SELECT number FROM registrations
        WHERE register_code = NEW.register_code AND year = NEW.year
          AND number > prev AND number <= NEW.last_number
        ORDER BY number LIMIT NEW.last_number - prev) AS numbers;
    IF taken <> NEW.last_number - prev THEN
        RAISE EXCEPTION 'register counter %/%: last_number may only go from % to %, the numbers registrations took; % of its % numbers are',
            NEW.register_code, NEW.year, prev, NEW.last_number, taken, NEW.last_number - prev
            USING ERRCODE = 'SP001';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER register_counters_taken AFTER INSERT OR UPDATE ON register_counters
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION register_counters_taken();
