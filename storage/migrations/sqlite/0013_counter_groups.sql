-- Sportello schema, version 13, SQLite: a counter moves only to a number a registration holds.
--
-- Version 1 refused any update of a counter but one step up; a counter moved by SQL alone, by
-- one, still left a number no registration held. Now the registration is inserted first, with
-- the counter's next number, and the counter moved after it (storage/counter.go): these
-- triggers refuse a move to a number no registration of that register and year holds, and a new
-- counter whose numbers registrations do not all hold (N2). With the one-step guard of version
-- 1, checking the new number is checking every number.
--
-- (On PostgreSQL this version also lets a counter move by several numbers in one update, for
-- groups of registrations numbered by one statement; SQLite numbers each registration of a
-- group with its own statements, in process, and keeps the one-step guard.)
CREATE TRIGGER register_counters_taken AFTER UPDATE OF last_number ON register_counters
WHEN NOT EXISTS (SELECT 1 FROM registrations
                 WHERE register_code = NEW.register_code AND year = NEW.year AND number = NEW.last_number)
BEGIN
    SELECT RAISE(ABORT, 'register counter ' || NEW.register_code || '/' || NEW.year || ': last_number may only go from '
        || OLD.last_number || ' to ' || NEW.last_number || ', the numbers registrations took; no registration took '
        || NEW.last_number);
END;

CREATE TRIGGER register_counters_taken_new AFTER INSERT ON register_counters
WHEN (SELECT count(*) FROM registrations
      WHERE register_code = NEW.register_code AND year = NEW.year AND number BETWEEN 1 AND NEW.last_number)
     <> NEW.last_number
BEGIN
    SELECT RAISE(ABORT, 'register counter ' || NEW.register_code || '/' || NEW.year || ': last_number may only go from 0 to '
        || NEW.last_number || ', the numbers registrations took');
END;
