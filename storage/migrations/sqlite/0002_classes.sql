-- Sportello schema, version 2, SQLite: the classification scheme (titolario, docs/compliance.md C2).
-- The same logical schema as postgres/0002_classes.sql.
--
-- A class is versioned by validity dates, never deleted: documents classified under a code
-- must resolve to it for as long as they exist, so DELETE is refused (and an INSERT colliding
-- with an existing code, which INSERT OR REPLACE would turn into a silent delete), and the
-- columns that place a class in the tree (code, parent, level, valid_from) never change.

CREATE TABLE classes (
    code            TEXT PRIMARY KEY,
    parent          TEXT REFERENCES classes (code),
    level           INTEGER NOT NULL CHECK (level BETWEEN 1 AND 3),
    title           TEXT    NOT NULL CHECK (title <> ''),
    description     TEXT    NOT NULL DEFAULT '',
    retention_years INTEGER CHECK (retention_years > 0),
    valid_from      TEXT    NOT NULL CHECK (valid_from GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    valid_to        TEXT    CHECK (valid_to GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' AND valid_to >= valid_from),
    replaced_by     TEXT    REFERENCES classes (code),
    created_at      TEXT    NOT NULL,
    CHECK ((level = 1) = (parent IS NULL)),
    CHECK (replaced_by IS NULL OR valid_to IS NOT NULL)
) STRICT;
CREATE INDEX classes_parent ON classes (parent);

CREATE TRIGGER classes_no_delete BEFORE DELETE ON classes
BEGIN
    SELECT RAISE(ABORT, 'class ' || OLD.code || ': delete refused: a class stays resolvable for the documents that used it');
END;

CREATE TRIGGER classes_no_reinsert BEFORE INSERT ON classes
BEGIN
    SELECT RAISE(ABORT, 'class ' || NEW.code || ': insert refused: the class exists')
        WHERE EXISTS (SELECT 1 FROM classes WHERE code = NEW.code);
END;

CREATE TRIGGER classes_immutable BEFORE UPDATE ON classes
BEGIN
    SELECT RAISE(ABORT, 'class ' || OLD.code || ': code, parent, level and valid_from cannot change')
        WHERE NEW.code IS NOT OLD.code OR NEW.parent IS NOT OLD.parent OR NEW.level IS NOT OLD.level
            OR NEW.valid_from IS NOT OLD.valid_from;
END;
