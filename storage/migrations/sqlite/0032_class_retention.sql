-- Sportello schema, version 32, SQLite: a class's retention can be "not set yet", as distinct from
-- permanent. See the PostgreSQL file. Every existing class with a NULL retention_years keeps its
-- meaning: it becomes permanent. The PostgreSQL CHECK that a permanent class has no
-- retention_years is enforced here by triggers, as a CHECK cannot be added to an existing SQLite
-- table without rebuilding it.
ALTER TABLE classes ADD COLUMN retention_permanent INTEGER NOT NULL DEFAULT 0 CHECK (retention_permanent IN (0, 1));
UPDATE classes SET retention_permanent = 1 WHERE retention_years IS NULL;

CREATE TRIGGER classes_retention_one_insert BEFORE INSERT ON classes
BEGIN
    SELECT RAISE(ABORT, 'a permanent class has no retention_years')
        WHERE NEW.retention_permanent = 1 AND NEW.retention_years IS NOT NULL;
END;

CREATE TRIGGER classes_retention_one_update BEFORE UPDATE ON classes
BEGIN
    SELECT RAISE(ABORT, 'a permanent class has no retention_years')
        WHERE NEW.retention_permanent = 1 AND NEW.retention_years IS NOT NULL;
END;
