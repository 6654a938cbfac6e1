-- Sportello schema, version 2, PostgreSQL: the classification scheme (titolario, docs/compliance.md C2).
--
-- A class is versioned by validity dates, never deleted: documents classified under a code
-- must resolve to it for as long as they exist, so DELETE and TRUNCATE are refused, and the
-- columns that place a class in the tree (code, parent, level, valid_from) never change.
-- Closing a class sets valid_to (its last valid day) and, optionally, replaced_by.
-- Codes and dates are in the "C" collation, so that text order is byte order and date order.

CREATE TABLE classes (
    code            text COLLATE "C" PRIMARY KEY,
    parent          text COLLATE "C" REFERENCES classes (code),
    level           integer NOT NULL CHECK (level BETWEEN 1 AND 3),
    title           text    NOT NULL CHECK (title <> ''),
    description     text    NOT NULL DEFAULT '',
    retention_years integer CHECK (retention_years > 0),
    valid_from      text COLLATE "C" NOT NULL CHECK (valid_from ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    valid_to        text COLLATE "C" CHECK (valid_to ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' AND valid_to >= valid_from),
    replaced_by     text COLLATE "C" REFERENCES classes (code),
    created_at      timestamptz NOT NULL,
    CHECK ((level = 1) = (parent IS NULL)),
    CHECK (replaced_by IS NULL OR valid_to IS NOT NULL)
);
CREATE INDEX classes_parent ON classes (parent);

CREATE FUNCTION classes_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'class %: delete refused: a class stays resolvable for the documents that used it', OLD.code
            USING ERRCODE = 'SP001';
    END IF;
    IF (NEW.code, NEW.parent, NEW.level, NEW.valid_from) IS DISTINCT FROM (OLD.code, OLD.parent, OLD.level, OLD.valid_from) THEN
        RAISE EXCEPTION 'class %: code, parent, level and valid_from cannot change', OLD.code USING ERRCODE = 'SP001';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER classes_guard BEFORE UPDATE OR DELETE ON classes
    FOR EACH ROW EXECUTE FUNCTION classes_guard();
CREATE TRIGGER classes_no_truncate BEFORE TRUNCATE ON classes
    FOR EACH STATEMENT EXECUTE FUNCTION sportello_refuse_truncate();
