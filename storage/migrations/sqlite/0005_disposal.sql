-- Sportello schema, version 5, SQLite: retention, legal holds and disposal (scarto). The same
-- logical schema as postgres/0005_disposal.sql, which explains it.

ALTER TABLE registers ADD COLUMN allow_unclassified INTEGER NOT NULL DEFAULT 0 CHECK (allow_unclassified IN (0, 1));
UPDATE registers SET allow_unclassified = 1 WHERE code = 'PG';

CREATE TABLE disposals (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    id                TEXT NOT NULL UNIQUE,
    authorization_ref TEXT NOT NULL CHECK (authorization_ref <> ''),
    disposal_date     TEXT NOT NULL,
    disposed_by       TEXT NOT NULL,
    disposed_by_name  TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    items             TEXT NOT NULL
) STRICT;

CREATE TRIGGER disposals_no_reinsert BEFORE INSERT ON disposals
BEGIN
    SELECT RAISE(ABORT, 'disposal ' || NEW.id || ': insert refused: it would replace an existing record')
    WHERE EXISTS (SELECT 1 FROM disposals WHERE seq = NEW.seq OR id = NEW.id);
END;

CREATE TRIGGER disposals_no_update BEFORE UPDATE ON disposals
BEGIN
    SELECT RAISE(ABORT, 'disposal ' || OLD.id || ': a disposal record is never changed or deleted');
END;

CREATE TRIGGER disposals_no_delete BEFORE DELETE ON disposals
BEGIN
    SELECT RAISE(ABORT, 'disposal ' || OLD.id || ': a disposal record is never changed or deleted');
END;

ALTER TABLE dossiers ADD COLUMN disposal_id TEXT REFERENCES disposals (id);

CREATE TRIGGER dossiers_disposal BEFORE UPDATE ON dossiers
BEGIN
    SELECT RAISE(ABORT, 'dossier ' || OLD.identifier || ': disposed, it cannot change')
    WHERE OLD.disposal_id IS NOT NULL AND (NEW.disposal_id IS NOT OLD.disposal_id
        OR NEW.status IS NOT OLD.status OR NEW.closed_at IS NOT OLD.closed_at);
END;

ALTER TABLE registrations ADD COLUMN disposal_id TEXT REFERENCES disposals (id);
ALTER TABLE registrations ADD COLUMN disposed_at TEXT;

CREATE TRIGGER registrations_disposal BEFORE UPDATE ON registrations
BEGIN
    SELECT RAISE(ABORT, 'registration ' || OLD.id || ': a disposal cannot change')
    WHERE (NEW.disposal_id IS NOT OLD.disposal_id OR NEW.disposed_at IS NOT OLD.disposed_at)
      AND (OLD.disposal_id IS NOT NULL OR OLD.disposed_at IS NOT NULL);
    SELECT RAISE(ABORT, 'registration ' || OLD.id || ': disposal_id and disposed_at are set together')
    WHERE (NEW.disposal_id IS NULL) <> (NEW.disposed_at IS NULL);
END;

CREATE TABLE holds (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT NOT NULL UNIQUE,
    dossier_id     TEXT REFERENCES dossiers (id),
    class          TEXT REFERENCES classes (code),
    reason         TEXT NOT NULL CHECK (reason <> ''),
    reference      TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    released_at    TEXT,
    released_by    TEXT,
    release_reason TEXT,
    CHECK ((dossier_id IS NULL) <> (class IS NULL)),
    CHECK ((released_at IS NULL) = (released_by IS NULL) AND (released_at IS NULL) = (release_reason IS NULL))
) STRICT;

CREATE TRIGGER holds_no_reinsert BEFORE INSERT ON holds
BEGIN
    SELECT RAISE(ABORT, 'hold ' || NEW.id || ': insert refused: it would replace an existing hold')
    WHERE EXISTS (SELECT 1 FROM holds WHERE seq = NEW.seq OR id = NEW.id);
END;

CREATE TRIGGER holds_release_only BEFORE UPDATE ON holds
BEGIN
    SELECT RAISE(ABORT, 'hold ' || OLD.id || ': only an active hold can change, and only by its release')
    WHERE NEW.seq IS NOT OLD.seq OR NEW.id IS NOT OLD.id OR NEW.dossier_id IS NOT OLD.dossier_id
       OR NEW.class IS NOT OLD.class OR NEW.reason IS NOT OLD.reason OR NEW.reference IS NOT OLD.reference
       OR NEW.created_at IS NOT OLD.created_at OR NEW.created_by IS NOT OLD.created_by
       OR OLD.released_at IS NOT NULL;
END;

CREATE TRIGGER holds_no_delete BEFORE DELETE ON holds
BEGIN
    SELECT RAISE(ABORT, 'hold ' || OLD.id || ': delete refused: a hold is released, never deleted');
END;
